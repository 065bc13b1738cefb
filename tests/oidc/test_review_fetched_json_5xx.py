"""Review (issue 13 class 11): a client's jwks_uri answering deeply nested JSON makes the token endpoint answer 500.

idp.oidc.client_auth._fetched catches ValueError around json.loads; about 1,000 nested arrays raise
RecursionError instead. The client chose the URL, so whoever registers one (dynamic registration) can
make every private_key_jwt authentication of that client fail with a server error.
"""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.oidc.test_private_key_jwt import ASSERTION_TYPE, assertion, client_key  # noqa: F401

DEEP = ("[" * 3000 + "]" * 3000).encode()


@pytest.fixture
def deep_jwks():
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(DEEP)))
            self.end_headers()
            self.wfile.write(DEEP)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/jwks"
    server.shutdown()


def test_a_jwks_uri_answering_deeply_nested_json_is_invalid_client(live_server, make_client, client_key, deep_jwks):  # noqa: F811 (fixtures imported from their module)
    client = make_client("--name", "deep", "--auth-method", "private_key_jwt", "--grant-type", "client_credentials",
                         "--jwks-uri", deep_jwks)
    value = assertion(client["client_id"], f"{live_server.url}/oauth2/token", client_key)
    answer = requests.post(f"{live_server.url}/oauth2/token", data={
        "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE, "client_assertion": value},
        timeout=30)
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client", answer.status_code
