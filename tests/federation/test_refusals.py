"""Every way an upstream sign-in can go wrong is a clear page and leaves nothing behind (SECURITY.md)."""
from __future__ import annotations

import requests

from models.audit import AuditEvent
from models.federation import FederatedIdentity
from models.session import BrowserSession
from models.user import User
from tests.federation import flows
from tests.support.signin import stored


def _nothing_left(app) -> None:
    assert stored(app, User, User.path.startswith("/federated/")) == []
    assert stored(app, FederatedIdentity) == []
    assert stored(app, BrowserSession) == []


def _refused(response, status: int, words: str) -> None:
    assert response.status_code == status, response.text[:500]
    assert words in response.text
    assert "Set-Cookie" not in response.headers or "idp_session=" not in response.headers["Set-Cookie"]


def test_the_authorization_request_carries_state_nonce_pkce_and_the_registered_redirect_uri(
        app, live_server, upstream_op, token_endpoint, add_upstream):
    added = add_upstream(flows.scripted_upstream(upstream_op, token_endpoint))
    params = flows.start(requests.Session(), live_server.url, "scripted")
    assert params["response_type"] == "code" and params["client_id"] == flows.CLIENT_ID
    assert params["redirect_uri"] == added["redirect_uri"] == f"{live_server.url}/login/upstream/scripted/callback"
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert len(params["state"]) >= 32 and len(params["nonce"]) >= 32 and params["scope"] == "openid email profile"


def test_a_good_response_redeems_the_code_with_the_verifier_and_the_client_secret(
        app, live_server, upstream_op, token_endpoint, add_upstream):
    add_upstream(flows.scripted_upstream(upstream_op, token_endpoint))
    response = flows.sign_in(requests.Session(), live_server.url, upstream_op, token_endpoint,
                             preferred_username="uma")
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    sent = token_endpoint.received[-1]
    assert sent["form"]["grant_type"] == "authorization_code" and sent["form"]["code"] == "the-code"
    assert 43 <= len(sent["form"]["code_verifier"]) <= 128 and sent["authorization"].startswith("Basic ")
    [user] = stored(app, User, User.path == "/federated/scripted/")
    assert user.name == "uma"


def test_state_mismatch_is_refused(app, live_server, upstream_op, token_endpoint, add_upstream):
    add_upstream(flows.scripted_upstream(upstream_op, token_endpoint))
    session = requests.Session()
    request = flows.start(session, live_server.url, "scripted")
    token_endpoint.reply = (200, {"access_token": "at", "token_type": "Bearer",
                                  "id_token": flows.id_token(upstream_op, request["nonce"])})
    response = flows.callback(session, live_server.url, "scripted", code="c", state="forged-state",
                              iss=upstream_op.issuer)
    _refused(response, 400, "state does not match")
    assert token_endpoint.received == []
    # The flow was spent: the right state afterwards is refused too.
    again = flows.callback(session, live_server.url, "scripted", code="c", state=request["state"],
                           iss=upstream_op.issuer)
    _refused(again, 400, "does not belong to a sign-in started in this browser")
    _nothing_left(app)
    failures = stored(app, AuditEvent, AuditEvent.action == "federation_failed")
    assert [event.detail["upstream"] for event in failures] == ["scripted", "scripted"]
    assert "state does not match" in failures[0].detail["reason"] and failures[0].decision == "Deny"


def test_a_callback_without_a_started_flow_is_refused(app, live_server, upstream_op, token_endpoint, add_upstream):
    add_upstream(flows.scripted_upstream(upstream_op, token_endpoint))
    request = flows.start(requests.Session(), live_server.url, "scripted")
    other_browser = requests.Session()
    response = flows.callback(other_browser, live_server.url, "scripted", code="c", state=request["state"],
                              iss=upstream_op.issuer)
    _refused(response, 400, "does not belong to a sign-in started in this browser")
    _nothing_left(app)


def test_nonce_mismatch_is_refused(app, live_server, upstream_op, token_endpoint, add_upstream):
    add_upstream(flows.scripted_upstream(upstream_op, token_endpoint))
    session = requests.Session()
    request = flows.start(session, live_server.url, "scripted")
    token_endpoint.reply = (200, {"access_token": "at", "token_type": "Bearer",
                                  "id_token": flows.id_token(upstream_op, "another-nonce")})
    response = flows.callback(session, live_server.url, "scripted", code="c", state=request["state"],
                              iss=upstream_op.issuer)
    _refused(response, 400, "nonce does not match")
    _nothing_left(app)


def test_the_wrong_iss_parameter_is_refused(app, live_server, upstream_op, token_endpoint, add_upstream):
    add_upstream(flows.scripted_upstream(upstream_op, token_endpoint))
    session = requests.Session()
    request = flows.start(session, live_server.url, "scripted")
    response = flows.callback(session, live_server.url, "scripted", code="c", state=request["state"],
                              iss="http://127.0.0.1:9/evil")
    _refused(response, 400, "names another issuer")
    assert token_endpoint.received == []
    _nothing_left(app)


def test_a_token_from_the_wrong_issuer_is_refused(app, live_server, upstream_op, token_endpoint, add_upstream):
    add_upstream(flows.scripted_upstream(upstream_op, token_endpoint))
    response = flows.sign_in(requests.Session(), live_server.url, upstream_op, token_endpoint,
                             iss="http://localhost:9/other-issuer")
    _refused(response, 400, "token issuer is not accepted")
    _nothing_left(app)


def test_a_token_for_another_client_is_refused(app, live_server, upstream_op, token_endpoint, add_upstream):
    add_upstream(flows.scripted_upstream(upstream_op, token_endpoint))
    response = flows.sign_in(requests.Session(), live_server.url, upstream_op, token_endpoint, aud="someone-else")
    _refused(response, 400, "token audience is not accepted")
    _nothing_left(app)


def test_an_expired_token_is_refused(app, live_server, upstream_op, token_endpoint, add_upstream):
    add_upstream(flows.scripted_upstream(upstream_op, token_endpoint))
    response = flows.sign_in(requests.Session(), live_server.url, upstream_op, token_endpoint,
                             **flows.expired_claims())
    _refused(response, 400, "token has expired")
    _nothing_left(app)


def test_an_upstream_error_response_is_shown(app, live_server, upstream_op, token_endpoint, add_upstream):
    add_upstream(flows.scripted_upstream(upstream_op, token_endpoint, display_name="Corp"))
    session = requests.Session()
    request = flows.start(session, live_server.url, "scripted")
    response = flows.callback(session, live_server.url, "scripted", error="access_denied",
                              error_description="The user said no", state=request["state"], iss=upstream_op.issuer)
    _refused(response, 400, "Corp did not sign you in: access_denied (The user said no)")
    _nothing_left(app)


def test_a_refused_code_redemption_is_shown(app, live_server, upstream_op, token_endpoint, add_upstream):
    add_upstream(flows.scripted_upstream(upstream_op, token_endpoint))
    session = requests.Session()
    request = flows.start(session, live_server.url, "scripted")
    token_endpoint.reply = (400, {"error": "invalid_grant"})
    response = flows.callback(session, live_server.url, "scripted", code="c", state=request["state"],
                              iss=upstream_op.issuer)
    _refused(response, 400, "refused to redeem the sign-in: invalid_grant")
    _nothing_left(app)


def test_an_upstream_that_is_down_is_a_clear_page(app, live_server, upstream_op, token_endpoint, add_upstream):
    add_upstream(flows.scripted_upstream(upstream_op, token_endpoint))
    session = requests.Session()
    request = flows.start(session, live_server.url, "scripted")
    token_endpoint.server.stop()
    response = flows.callback(session, live_server.url, "scripted", code="c", state=request["state"],
                              iss=upstream_op.issuer)
    _refused(response, 502, "could not be reached")
    _nothing_left(app)


def test_a_user_the_allow_rule_excludes_is_refused(app, live_server, upstream_op, token_endpoint, add_upstream):
    add_upstream(flows.scripted_upstream(upstream_op, token_endpoint,
                                         allow=[{"claim": "hd", "equals": "corp.example"}]))
    response = flows.sign_in(requests.Session(), live_server.url, upstream_op, token_endpoint, hd="evil.example")
    _refused(response, 403, "is not allowed to sign in here")
    _nothing_left(app)
    [refusal] = stored(app, AuditEvent, AuditEvent.action == "federation_refused")
    assert refusal.detail["reason"] == "allow rule on claim 'hd' does not hold" and refusal.detail["subject"] == "u-1"
    allowed = flows.sign_in(requests.Session(), live_server.url, upstream_op, token_endpoint, hd="corp.example")
    assert allowed.status_code == 302


def test_a_deny_rule_refuses(app, live_server, upstream_op, token_endpoint, add_upstream):
    add_upstream(flows.scripted_upstream(upstream_op, token_endpoint,
                                         deny=[{"claim": "groups", "in": ["contractors"]}]))
    response = flows.sign_in(requests.Session(), live_server.url, upstream_op, token_endpoint,
                             groups=["staff", "contractors"])
    _refused(response, 403, "is not allowed to sign in here")
    _nothing_left(app)


def test_a_response_without_iss_is_refused_when_the_upstream_promises_it(
        app, live_server, upstream_op, token_endpoint, add_upstream):
    metadata = requests.get(f"{upstream_op.issuer}/.well-known/openid-configuration", timeout=10).json()
    assert metadata["authorization_response_iss_parameter_supported"] is True
    add_upstream(flows.scripted_upstream(upstream_op, token_endpoint))
    session = requests.Session()
    request = flows.start(session, live_server.url, "scripted")
    response = flows.callback(session, live_server.url, "scripted", code="c", state=request["state"])
    _refused(response, 400, "lacks its iss parameter")
    assert token_endpoint.received == []
    _nothing_left(app)


def test_an_unsigned_id_token_is_refused(app, live_server, upstream_op, token_endpoint, add_upstream):
    import base64
    import json

    def segment(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    add_upstream(flows.scripted_upstream(upstream_op, token_endpoint))
    session = requests.Session()
    request = flows.start(session, live_server.url, "scripted")
    genuine = flows.id_token(upstream_op, request["nonce"]).split(".")[1]
    token_endpoint.reply = (200, {"access_token": "at", "token_type": "Bearer",
                                  "id_token": f"{segment({'alg': 'none', 'typ': 'JWT'})}.{genuine}."})
    response = flows.callback(session, live_server.url, "scripted", code="c", state=request["state"],
                              iss=upstream_op.issuer)
    _refused(response, 400, "is not valid")
    _nothing_left(app)
