"""A real browser (Playwright + Chromium) through the login page, the consent page and a form_post response."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlencode

import pytest

from tests.oidc.flow import pkce_pair
from tests.support.signin import DEFAULT_PASSWORD


@pytest.fixture
def callback_server():
    """The client's redirect URI: records what the browser posts or brings back."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            received.append({k: v[0] for k, v in parse_qs(body).items()})
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"received")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/callback", received
    server.shutdown()


def test_sign_in_consent_and_form_post_in_chromium(page, live_server, root, alice, make_client, callback_server):
    redirect_uri, received = callback_server
    made = make_client("--name", "Photo app", "--redirect-uri", redirect_uri)
    _, challenge = pkce_pair()
    query = urlencode({"response_type": "code", "client_id": made["client_id"], "redirect_uri": redirect_uri,
                       "scope": "openid profile", "state": "browser-state", "code_challenge": challenge,
                       "code_challenge_method": "S256", "response_mode": "form_post", "nonce": "n1"})
    page.goto(f"{live_server.url}/oauth2/authorize?{query}")
    page.get_by_label("Account ID or alias").fill(root.account_id)
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("heading", name="Allow Photo app to sign you in?").wait_for()
    assert page.locator("#consent-scopes li").count() == 2
    page.get_by_role("button", name="Allow", exact=True).click()
    page.wait_for_url(redirect_uri)
    assert page.content().find("received") >= 0
    assert len(received) == 1
    answer = received[0]
    assert answer["state"] == "browser-state" and answer["iss"] == live_server.url and answer["code"]
