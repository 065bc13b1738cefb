"""Back-channel logout (OpenID Connect Back-Channel Logout 1.0): a receiver verifies our logout tokens with our JWKS."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from models.audit import AuditEvent
from tests.oidc.flow import REDIRECT_URI
from tests.oidc.rp_server import start_relying_party
from tests.support.signin import stored

EVENT = "http://schemas.openid.net/event/backchannel-logout"


@pytest.fixture
def rp():
    party, server = start_relying_party()
    yield party
    server.shutdown()


@pytest.fixture
def bc_client(make_client, rp):
    return make_client("--name", "Notes app", "--redirect-uri", REDIRECT_URI, "--backchannel-logout-uri",
                       f"{rp.url}/bc")


@pytest.fixture
def session_tokens(code_for, redeem):
    """Sign alice in for a client and redeem the code: the token response."""
    def run(client: dict) -> dict:
        code, verifier = code_for(client)
        answer = redeem(client, code, verifier)
        assert answer.status_code == 200, answer.text
        return answer.json()

    return run


def _verify(live_server, token: str, audience: str) -> tuple[dict, dict]:
    """What a relying party does (2.6): the signature against the provider's JWKS, then the claims."""
    metadata = requests.get(f"{live_server.url}/.well-known/openid-configuration", timeout=30).json()
    keys = KeySet.import_key_set(requests.get(metadata["jwks_uri"], timeout=30).json())
    decoded = jwt.decode(token, keys, algorithms=["ES256", "RS256"])
    assert decoded.claims["iss"] == live_server.url and decoded.claims["aud"] == audience
    return decoded.header, decoded.claims


def _logout(alice_http, id_token: str) -> requests.Response:
    return alice_http.get("/oauth2/logout?" + urlencode({"id_token_hint": id_token}))


def _deliveries(app, client_id: str) -> list[AuditEvent]:
    return stored(app, AuditEvent, AuditEvent.action == "oauth:BackchannelLogout", AuditEvent.resource == client_id)


def test_logout_token_is_posted_to_the_clients_of_the_session(app, live_server, alice_http, bc_client,
                                                             make_client, session_tokens, rp):
    quiet = make_client("--name", "No back channel", "--redirect-uri", REDIRECT_URI)
    absent = make_client("--name", "Not in the session", "--redirect-uri", REDIRECT_URI,
                         "--backchannel-logout-uri", f"{rp.url}/absent")
    tokens = session_tokens(bc_client)
    session_tokens(quiet)
    id_claims = jwt.decode(tokens["id_token"], KeySet.import_key_set(
        requests.get(f"{live_server.url}/.well-known/jwks.json", timeout=30).json())).claims

    answer = _logout(alice_http, tokens["id_token"])
    assert answer.status_code == 200 and "You are signed out" in answer.text
    posts = rp.posts("/bc")
    assert len(posts) == 1 and not rp.posts("/absent")
    assert posts[0].headers["Content-Type"] == "application/x-www-form-urlencoded"
    header, claims = _verify(live_server, posts[0].form["logout_token"], bc_client["client_id"])
    assert header["typ"] == "logout+jwt"
    assert claims["events"] == {EVENT: {}}
    assert claims["sid"] == id_claims["sid"] and claims["sub"] == id_claims["sub"]
    assert claims["jti"] and claims["iat"] <= claims["exp"]
    assert "nonce" not in claims
    [event] = _deliveries(app, bc_client["client_id"])
    assert event.decision == "Delivered" and event.detail["attempts"] == 1 and event.detail["status"] == 200
    assert not _deliveries(app, quiet["client_id"]) and not _deliveries(app, absent["client_id"])


def test_failed_deliveries_are_retried(app, alice_http, bc_client, session_tokens, rp):
    tokens = session_tokens(bc_client)
    rp.statuses.extend([503, 500])
    _logout(alice_http, tokens["id_token"])
    posts = rp.posts("/bc")
    assert len(posts) == 3 and len({p.form["logout_token"] for p in posts}) == 1
    [event] = _deliveries(app, bc_client["client_id"])
    assert event.decision == "Delivered" and event.detail["attempts"] == 3


def test_retries_are_bounded_and_failure_is_audited(app, alice_http, bc_client, session_tokens, rp):
    tokens = session_tokens(bc_client)
    rp.statuses.extend([500] * 10)
    answer = _logout(alice_http, tokens["id_token"])
    assert answer.status_code == 200  # the user is signed out whatever the relying party does
    assert len(rp.posts("/bc")) == 3
    [event] = _deliveries(app, bc_client["client_id"])
    assert event.decision == "Failed" and event.detail["attempts"] == 3 and event.detail["status"] == 500


def test_a_refusal_by_the_relying_party_is_not_retried(app, alice_http, bc_client, session_tokens, rp):
    tokens = session_tokens(bc_client)
    rp.statuses.append(400)
    _logout(alice_http, tokens["id_token"])
    assert len(rp.posts("/bc")) == 1
    [event] = _deliveries(app, bc_client["client_id"])
    assert event.decision == "Failed" and event.detail["status"] == 400


def test_unreachable_receiver_is_audited(app, alice_http, make_client, session_tokens):
    dead = make_client("--name", "Gone", "--redirect-uri", REDIRECT_URI, "--backchannel-logout-uri",
                       "http://127.0.0.1:9/bc")
    tokens = session_tokens(dead)
    assert _logout(alice_http, tokens["id_token"]).status_code == 200
    [event] = _deliveries(app, dead["client_id"])
    assert event.decision == "Failed" and event.detail["attempts"] == 3 and event.detail["error"]


def test_backchannel_uri_must_be_https_or_loopback(app, root):
    result = app.test_cli_runner().invoke(args=[
        "idp", "clients", "create", "--json", "--name", "Bad", "--redirect-uri", REDIRECT_URI,
        "--backchannel-logout-uri", "http://rp.example/bc"])
    assert result.exit_code != 0 and "plain http is only allowed for loopback" in result.output
