"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) at /oauth2/logout: Chromium and plain HTTP."""
from __future__ import annotations

import base64
import json
import subprocess
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from tests.oidc.flow import REDIRECT_URI, Browser, callback_params, pkce_pair
from tests.oidc.rp_server import start_relying_party
from tests.oidc.test_openid_client import node_rp  # noqa: F401
from tests.oidc.test_postgres_concurrency import ROOT_KEY, ROOT_SECRET, cli, environment, two_servers  # noqa: F401
from tests.support.aws_clients import client_for
from tests.support.signin import DEFAULT_PASSWORD, create_user_with_password, csrf_token


@pytest.fixture
def rp():
    party, server = start_relying_party()
    yield party
    server.shutdown()


@pytest.fixture
def logout_client(make_client, rp):
    return make_client("--name", "Notes app", "--redirect-uri", REDIRECT_URI,
                       "--post-logout-redirect-uri", f"{rp.url}/logged-out")


@pytest.fixture
def signed_in_tokens(alice_http, code_for, redeem, logout_client):
    """alice signed in through the code flow: the token response of `logout_client`."""
    code, verifier = code_for(logout_client)
    answer = redeem(logout_client, code, verifier)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _signed_in(browser) -> bool:
    return browser.get("/account").status_code == 200


def _logout(browser, **params) -> requests.Response:
    return browser.get("/oauth2/logout?" + urlencode(params))


def test_discovery_advertises_end_session_and_back_channel(live_server):
    metadata = requests.get(f"{live_server.url}/.well-known/openid-configuration", timeout=30).json()
    assert metadata["end_session_endpoint"] == f"{live_server.url}/oauth2/logout"
    assert metadata["backchannel_logout_supported"] is True
    assert metadata["backchannel_logout_session_supported"] is True


def test_logout_in_chromium_ends_at_the_registered_uri(page, live_server, root, alice, make_client, rp,
                                                      node_rp):  # noqa: F811
    callback, logged_out = f"{rp.url}/callback", f"{rp.url}/logged-out"
    made = make_client("--name", "Photo app", "--trusted", "--redirect-uri", callback,
                       "--post-logout-redirect-uri", logged_out)
    verifier, challenge = pkce_pair()
    page.goto(f"{live_server.url}/oauth2/authorize?" + urlencode({
        "response_type": "code", "client_id": made["client_id"], "redirect_uri": callback, "scope": "openid",
        "state": "s1", "code_challenge": challenge, "code_challenge_method": "S256"}))
    page.get_by_label("Account ID or alias").fill(root.account_id)
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{callback}**")
    code = parse_qs(urlsplit(page.url).query)["code"][0]
    tokens = requests.post(f"{live_server.url}/oauth2/token", auth=(made["client_id"], made["client_secret"]),
                           data={"grant_type": "authorization_code", "code": code, "redirect_uri": callback,
                                 "code_verifier": verifier}, timeout=30).json()

    # The end-session URL as openid-client builds it from our discovery document.
    document = {"issuer": live_server.url, "client_id": made["client_id"],
                "auth": {"method": "client_secret_basic", "secret": made["client_secret"]},
                "parameters": {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": logged_out,
                               "state": "bye-1"}}
    built = subprocess.run(["node", str(node_rp), "end-session-url", json.dumps(document)], capture_output=True,
                           text=True, timeout=60)
    end_session_url = json.loads(built.stdout)["url"]
    assert end_session_url.startswith(f"{live_server.url}/oauth2/logout?")
    page.goto(end_session_url)
    page.wait_for_url(f"{logged_out}**")
    assert parse_qs(urlsplit(page.url).query) == {"state": ["bye-1"]}
    page.goto(f"{live_server.url}/account")
    assert urlsplit(page.url).path == "/login"
    refreshed = requests.post(f"{live_server.url}/oauth2/token", auth=(made["client_id"], made["client_secret"]),
                              data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                              timeout=30)
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"


def test_hint_logs_out_at_once_and_revokes_the_grants(alice_http, signed_in_tokens, logout_client, rp,
                                                      token_request):
    answer = _logout(alice_http, id_token_hint=signed_in_tokens["id_token"],
                     post_logout_redirect_uri=f"{rp.url}/logged-out", state="xyz")
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"{rp.url}/logged-out?state=xyz"
    assert not _signed_in(alice_http)
    refreshed = token_request(logout_client, grant_type="refresh_token",
                              refresh_token=signed_in_tokens["refresh_token"])
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"


def test_signing_out_on_the_idp_itself_revokes_the_grants_too(alice_http, signed_in_tokens, logout_client,
                                                             token_request):
    from tests.support.signin import csrf_token

    account = alice_http.get("/account")
    answer = alice_http.http.post(f"{alice_http.base_url}/logout", data={"csrf_token": csrf_token(account.text)},
                                  allow_redirects=False, timeout=30)
    assert answer.status_code == 302 and not _signed_in(alice_http)
    refreshed = token_request(logout_client, grant_type="refresh_token",
                              refresh_token=signed_in_tokens["refresh_token"])
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"


def test_expired_but_genuine_hint_is_accepted(alice_http, signed_in_tokens, rp, test_clock):
    # Past exp and the usual leeway, well inside the browser session's idle timeout (token lifetime 5 min).
    test_clock.advance(400)
    answer = _logout(alice_http, id_token_hint=signed_in_tokens["id_token"],
                     post_logout_redirect_uri=f"{rp.url}/logged-out")
    assert answer.status_code == 302 and answer.headers["Location"] == f"{rp.url}/logged-out"
    assert not _signed_in(alice_http)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "IDP_TOKEN_LIFETIME": 300}


def test_unregistered_post_logout_redirect_uri_is_refused_without_redirect(alice_http, signed_in_tokens):
    answer = _logout(alice_http, id_token_hint=signed_in_tokens["id_token"],
                     post_logout_redirect_uri="https://attacker.example/phish", state="x")
    assert answer.status_code == 400 and "Location" not in answer.headers
    assert "not registered" in answer.text
    assert _signed_in(alice_http)


def test_redirect_uri_registered_for_another_client_is_refused(alice_http, signed_in_tokens, make_client):
    other = make_client("--name", "Other", "--redirect-uri", REDIRECT_URI,
                        "--post-logout-redirect-uri", "https://other.example/bye")
    answer = _logout(alice_http, id_token_hint=signed_in_tokens["id_token"],
                     post_logout_redirect_uri="https://other.example/bye")
    assert answer.status_code == 400 and "Location" not in answer.headers
    answer = _logout(alice_http, id_token_hint=signed_in_tokens["id_token"], client_id=other["client_id"])
    assert answer.status_code == 400 and "not issued to this client_id" in answer.text
    assert _signed_in(alice_http)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_forged_id_token_hint_is_refused(alice_http, signed_in_tokens, rp):
    header, payload, signature = signed_in_tokens["id_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    tampered = f"{header}.{_b64({**claims, 'sub': 'AIDAFORGEDFORGED'})}.{signature}"
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}."
    for forged in (tampered, unsigned, "not-a-jwt"):
        answer = _logout(alice_http, id_token_hint=forged, post_logout_redirect_uri=f"{rp.url}/logged-out")
        assert answer.status_code == 400 and "Location" not in answer.headers
        assert "not an ID token issued by this provider" in answer.text
    assert _signed_in(alice_http)


def test_access_token_is_not_a_hint(alice_http, signed_in_tokens):
    answer = _logout(alice_http, id_token_hint=signed_in_tokens["access_token"])
    assert answer.status_code == 400 and _signed_in(alice_http)


def test_missing_hint_asks_for_confirmation(alice_http, signed_in_tokens, logout_client, rp, token_request):
    answer = _logout(alice_http, client_id=logout_client["client_id"],
                     post_logout_redirect_uri=f"{rp.url}/logged-out", state="conf")
    assert answer.status_code == 200 and 'id="logout-confirm"' in answer.text
    assert _signed_in(alice_http)
    form = {"csrf_token": csrf_token(answer.text), "client_id": logout_client["client_id"],
            "post_logout_redirect_uri": f"{rp.url}/logged-out", "state": "conf", "decision": "logout"}
    without_csrf = alice_http.http.post(f"{alice_http.base_url}/logout/confirm",
                                        data={k: v for k, v in form.items() if k != "csrf_token"},
                                        allow_redirects=False, timeout=30)
    assert without_csrf.status_code == 400 and _signed_in(alice_http)
    confirmed = alice_http.http.post(f"{alice_http.base_url}/logout/confirm", data=form, allow_redirects=False,
                                     timeout=30)
    assert confirmed.status_code == 303 and confirmed.headers["Location"] == f"{rp.url}/logged-out?state=conf"
    assert not _signed_in(alice_http)
    refreshed = token_request(logout_client, grant_type="refresh_token",
                              refresh_token=signed_in_tokens["refresh_token"])
    assert refreshed.json()["error"] == "invalid_grant"


def test_staying_signed_in_changes_nothing(alice_http, signed_in_tokens, logout_client):
    answer = _logout(alice_http, client_id=logout_client["client_id"])
    form = {"csrf_token": csrf_token(answer.text), "client_id": logout_client["client_id"], "decision": "stay"}
    stayed = alice_http.http.post(f"{alice_http.base_url}/logout/confirm", data=form, allow_redirects=False,
                                  timeout=30)
    assert stayed.status_code == 303 and stayed.headers["Location"] == "/account"
    assert _signed_in(alice_http)


def test_redirect_without_client_is_refused(alice_http, signed_in_tokens, rp):
    answer = _logout(alice_http, post_logout_redirect_uri=f"{rp.url}/logged-out")
    assert answer.status_code == 400 and "Location" not in answer.headers and _signed_in(alice_http)


def test_without_a_session_goes_straight_back(live_server, logout_client, rp):
    answer = requests.get(f"{live_server.url}/oauth2/logout", params={
        "client_id": logout_client["client_id"], "post_logout_redirect_uri": f"{rp.url}/logged-out", "state": "s"},
        allow_redirects=False, timeout=30)
    assert answer.status_code == 302 and answer.headers["Location"] == f"{rp.url}/logged-out?state=s"
    plain = requests.get(f"{live_server.url}/oauth2/logout", allow_redirects=False, timeout=30)
    assert plain.status_code == 200 and "You are signed out" in plain.text


@pytest.mark.postgres
def test_logout_ends_the_session_and_its_refresh_tokens_on_every_instance(two_servers, environment):  # noqa: F811
    first, second = two_servers
    iam = client_for(first, "iam", ROOT_KEY, ROOT_SECRET)
    create_user_with_password(iam, "alice")
    account_id = iam.get_user()["User"]["Arn"].split(":")[4]
    made = cli(environment, "clients", "create", "--json", "--name", "App", "--redirect-uri", REDIRECT_URI,
               "--trusted", "--post-logout-redirect-uri", "https://app.example/bye")
    browser = Browser(first.url, account_id, "alice")
    verifier, challenge = pkce_pair()
    code = callback_params(browser.authorize(made["client_id"], challenge=challenge))["code"]
    tokens = requests.post(f"{first.url}/oauth2/token", auth=(made["client_id"], made["client_secret"]), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier},
        timeout=30).json()
    on_second = Browser(second.url, account_id, "alice", http=browser.http)  # the same cookie, another instance
    assert on_second.get("/account").status_code == 200

    answer = browser.get("/oauth2/logout?" + urlencode({"id_token_hint": tokens["id_token"],
                                                       "post_logout_redirect_uri": "https://app.example/bye"}))
    assert answer.status_code == 302 and answer.headers["Location"] == "https://app.example/bye"
    for server in (first, second):
        assert Browser(server.url, account_id, "alice", http=browser.http).get("/account").status_code == 302
    refreshed = requests.post(f"{second.url}/oauth2/token", auth=(made["client_id"], made["client_secret"]),
                              data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                              timeout=30)
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
