"""The device authorization grant (RFC 8628): openid-client polling while Chromium approves, and every refusal."""
from __future__ import annotations

import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.oidc.test_openid_client import node_rp  # noqa: F401  (the npm project fixture)
from tests.support.signin import DEFAULT_PASSWORD, csrf_token

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture
def app_config(app_config, request):
    # openid-client waits real seconds between polls: its test needs the real clock, the others a fixed one.
    if "real_clock" in request.fixturenames:
        return {k: v for k, v in app_config.items() if k != "IDP_CLOCK"}
    return app_config


@pytest.fixture
def real_clock():
    """Asks `app_config` for the system clock."""
    return True


@pytest.fixture
def tv(make_client):
    """A public device client (a TV app) allowed the device grant and refresh tokens."""
    return make_client("--name", "Living room TV", "--public", "--grant-type", DEVICE_GRANT, "--grant-type",
                       "refresh_token", "--scope", "openid", "--scope", "profile")


@pytest.fixture
def start(live_server):
    def run(client: dict, **form) -> requests.Response:
        return requests.post(f"{live_server.url}/oauth2/device_authorization",
                             data={"client_id": client["client_id"], **form}, timeout=30)

    return run


@pytest.fixture
def poll(live_server):
    def run(client: dict, device_code: str) -> requests.Response:
        return requests.post(f"{live_server.url}/oauth2/token", data={
            "grant_type": DEVICE_GRANT, "device_code": device_code, "client_id": client["client_id"]}, timeout=30)

    return run


def decide(browser, user_code: str, decision: str = "allow") -> requests.Response:
    """Enter the code at /device and answer the confirmation form (signing in first)."""
    entry = browser.get("/device", user_code=user_code)
    if entry.status_code == 302:
        browser.sign_in(f"/device?user_code={user_code}")
        entry = browser.get("/device", user_code=user_code)
    confirm = browser.http.post(f"{browser.base_url}/device", data={
        "csrf_token": csrf_token(entry.text), "user_code": user_code}, allow_redirects=False, timeout=30)
    if confirm.status_code != 200:
        return confirm
    return browser.http.post(f"{browser.base_url}/device/decision", data={
        "csrf_token": csrf_token(confirm.text), "user_code": user_code, "decision": decision},
        allow_redirects=False, timeout=30)


def test_discovery_advertises_the_device_grant(live_server):
    metadata = requests.get(f"{live_server.url}/.well-known/openid-configuration", timeout=30).json()
    assert metadata["device_authorization_endpoint"] == f"{live_server.url}/oauth2/device_authorization"
    assert DEVICE_GRANT in metadata["grant_types_supported"]


def test_openid_client_polls_while_the_user_approves_in_chromium(real_clock, node_rp, live_server, tv, page,  # noqa: F811
                                                                root, alice, tmp_path):
    started_file = tmp_path / "started.json"
    document = {"issuer": live_server.url, "client_id": tv["client_id"], "auth": {"method": "none"},
                "scope": "openid profile", "started_file": str(started_file)}
    device = subprocess.Popen(["node", str(node_rp), "device", json.dumps(document)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(300):
            if started_file.exists() and started_file.stat().st_size:
                break
            time.sleep(0.1)
        started = json.loads(started_file.read_text())
        assert started["verification_uri"] == f"{live_server.url}/device" and started["interval"] == 5
        page.goto(started["verification_uri_complete"])
        page.get_by_label("Account ID or alias").fill(root.account_id)
        page.get_by_label("User name").fill("alice")
        page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        assert page.get_by_label("Code").input_value() == started["user_code"]
        page.get_by_role("button", name="Continue").click()
        page.get_by_role("heading", name="Allow Living room TV on your device?").wait_for()
        page.get_by_role("button", name="Allow", exact=True).click()
        page.get_by_role("heading", name="Device connected").wait_for()
        out, err = device.communicate(timeout=90)
    finally:
        device.kill()
    output = json.loads(out)
    assert output.get("ok") and "refused" not in output, (output, err[-2000:])
    assert output["claims"]["sub"] == alice["UserId"] and output["claims"]["aud"] == tv["client_id"]
    assert output["scope"] == "openid profile" and output["refresh_token"]


def test_pending_then_slow_down_then_pending(tv, start, poll, test_clock):
    started = start(tv).json()
    assert started["expires_in"] == 600 and len(started["user_code"]) == 9
    first = poll(tv, started["device_code"])
    assert first.status_code == 400 and first.json()["error"] == "authorization_pending"
    too_fast = poll(tv, started["device_code"])
    assert too_fast.status_code == 400 and too_fast.json()["error"] == "slow_down"
    test_clock.advance(6)  # the interval is now 10 s: 6 s is still too fast
    assert poll(tv, started["device_code"]).json()["error"] == "slow_down"
    test_clock.advance(16)
    assert poll(tv, started["device_code"]).json()["error"] == "authorization_pending"


def test_approved_code_works_once_and_a_replay_revokes_its_tokens(tv, start, poll, alice_http, live_server,
                                                                  test_clock):
    started = start(tv).json()
    done = decide(alice_http, started["user_code"].lower())  # typed in lower case: still the same code
    assert done.status_code == 200 and "Device connected" in done.text
    tokens = poll(tv, started["device_code"])
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["id_token"] and body["refresh_token"] and tokens.headers["Cache-Control"] == "no-store"
    test_clock.advance(6)
    again = poll(tv, started["device_code"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    refreshed = requests.post(f"{live_server.url}/oauth2/token", data={
        "grant_type": "refresh_token", "refresh_token": body["refresh_token"], "client_id": tv["client_id"]},
        timeout=30)
    assert refreshed.json()["error"] == "invalid_grant"
    userinfo = requests.get(f"{live_server.url}/oauth2/userinfo",
                            headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=30)
    assert userinfo.status_code == 401


def test_expired_device_code(tv, start, poll, test_clock):
    started = start(tv).json()
    test_clock.advance(601)
    expired = poll(tv, started["device_code"])
    assert expired.status_code == 400 and expired.json()["error"] == "expired_token"


def test_expired_user_code_cannot_be_approved(tv, start, poll, alice_http, test_clock):
    started = start(tv).json()
    alice_http.sign_in()
    test_clock.advance(601)
    refused = decide(alice_http, started["user_code"])
    assert refused.status_code == 400 and "not valid" in refused.text
    assert poll(tv, started["device_code"]).json()["error"] == "expired_token"


def test_denied_request(tv, start, poll, alice_http):
    started = start(tv).json()
    done = decide(alice_http, started["user_code"], "deny")
    assert done.status_code == 200 and "Device refused" in done.text
    denied = poll(tv, started["device_code"])
    assert denied.status_code == 400 and denied.json()["error"] == "access_denied"
    assert decide(alice_http, started["user_code"]).status_code == 400  # decided once, for good


def test_user_code_guessing_is_throttled(tv, start, poll, alice_http):
    started = start(tv).json()
    alice_http.sign_in()
    for guess in ("BCDF-GHJK", "ZZZZ-ZZZZ", "nonsense", "XXXX-XXXX", "BBBB-BBBB"):
        wrong = decide(alice_http, guess)
        assert wrong.status_code == 400 and "not valid" in wrong.text
    assert decide(alice_http, "CCCC-CCCC").status_code == 400  # the sixth failure starts the back-off
    blocked = decide(alice_http, started["user_code"])
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
    assert poll(tv, started["device_code"]).json()["error"] == "authorization_pending"


def test_client_without_the_grant_is_refused(make_client, live_server):
    web = make_client("--name", "Web only", "--redirect-uri", "http://127.0.0.1:8765/callback")
    answer = requests.post(f"{live_server.url}/oauth2/device_authorization", data={"scope": "openid"},
                           auth=(web["client_id"], web["client_secret"]), timeout=30)
    assert answer.status_code == 400 and answer.json()["error"] == "unauthorized_client"


def test_unregistered_scope_is_refused(tv, start):
    answer = start(tv, scope="openid email")
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_scope"


def test_another_clients_device_code_is_refused(tv, make_client, start, poll):
    other = make_client("--name", "Other TV", "--public", "--grant-type", DEVICE_GRANT, "--scope", "openid")
    started = start(tv).json()
    stolen = poll(other, started["device_code"])
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"
    assert poll(tv, started["device_code"]).json()["error"] == "authorization_pending"


@pytest.mark.postgres
def test_concurrent_polls_of_an_approved_code_issue_tokens_once(tv, start, poll, alice_http):
    started = start(tv).json()
    assert decide(alice_http, started["user_code"]).status_code == 200
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: poll(tv, started["device_code"]), range(16)))
    assert sorted(a.status_code for a in answers) == [200] + [400] * 15
    assert {a.json()["error"] for a in answers if a.status_code == 400} == {"invalid_grant"}
