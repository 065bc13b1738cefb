"""SECURITY.md's OAuth refusals at the authorization endpoint: redirect URI tricks, PKCE, unknown clients.

Each refusal also checks that nothing was issued: no authorization code row.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models.oauth_grant import AuthorizationCode
from tests.oidc.flow import callback_params, pkce_pair


def codes(app) -> int:
    from models import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuthorizationCode))


def refusals(app) -> list[dict]:
    from models.audit import AuditEvent
    from tests.support.signin import stored

    return [event.detail for event in stored(app, AuditEvent, AuditEvent.action == "oauth:Authorize",
                                             AuditEvent.decision == "Deny")]


def signed_in(alice_http):
    alice_http.sign_in()
    return alice_http


@pytest.mark.parametrize("tricked", [
    "http://127.0.0.1:8765/Callback",            # case
    "http://127.0.0.1:8765/callback/",           # trailing slash
    "http://127.0.0.1:8765/callback?x=1",        # extra query
    "http://evil.example@127.0.0.1:8765/callback",  # userinfo
    "http://localhost:8765/callback",            # loopback by name instead of the registered IP
    "http://127.0.0.1.evil.example:8765/callback",
    "https://127.0.0.1:8765/callback",           # scheme
    "http://127.0.0.1:8765/callback#frag",
])
def test_mismatched_redirect_uri_gets_an_error_page_not_a_redirect(app, alice_http, web_client, tricked):
    _, challenge = pkce_pair()
    response = signed_in(alice_http).authorize(web_client["client_id"], redirect_uri=tricked, challenge=challenge)
    assert response.status_code == 400 and "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Redirect URI" in response.text or "redirect" in response.text.lower()
    assert codes(app) == 0


@pytest.mark.parametrize("crafted", [
    "http://127.0.0.1:8765\\@evil.example/callback",   # a backslash before @: parsers disagree on the host
    "http://evil.example\\@127.0.0.1:8765/callback",
    "http://127.0.0.1:8765/call\x00back",               # NUL
    "http://127.0.0.1:8765/callback\"><script>",
    "http://127.0.0.1:8765/callback\u2028",
    "http://127.0.0.1:99999/callback",                  # a loopback port out of range
])
def test_a_crafted_redirect_uri_gets_an_error_page_not_a_server_error(app, alice_http, web_client, crafted):
    _, challenge = pkce_pair()
    response = signed_in(alice_http).authorize(web_client["client_id"], redirect_uri=crafted, challenge=challenge)
    assert response.status_code == 400 and "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")
    assert codes(app) == 0


def test_a_crafted_response_type_gets_an_error_page_not_a_server_error(app, alice_http, web_client):
    _, challenge = pkce_pair()
    response = signed_in(alice_http).authorize(web_client["client_id"], challenge=challenge,
                                            response_type='code\\"')
    assert response.status_code == 400 and "Location" not in response.headers
    assert codes(app) == 0
    assert refusals(app) == [{"reason": "unquotable_response_type"}]


def test_a_backslash_before_the_at_sign_is_refused_and_audited(app, alice_http, web_client):
    _, challenge = pkce_pair()
    response = signed_in(alice_http).authorize(web_client["client_id"], challenge=challenge,
                                            redirect_uri="http://127.0.0.1:8765\\@evil.example/callback")
    assert response.status_code == 400 and codes(app) == 0
    assert refusals(app) == [{"reason": "unquotable_redirect_uri"}]


def test_loopback_port_may_vary_for_a_registered_loopback_ip(alice_http, make_client):
    native = make_client("--name", "CLI", "--public", "--redirect-uri", "http://127.0.0.1/callback", "--trusted")
    _, challenge = pkce_pair()
    response = signed_in(alice_http).authorize(native["client_id"], redirect_uri="http://127.0.0.1:53127/callback",
                                            challenge=challenge)
    assert response.headers["Location"].startswith("http://127.0.0.1:53127/callback?code=")


def test_unknown_client_gets_an_error_page(app, alice_http):
    _, challenge = pkce_pair()
    response = signed_in(alice_http).authorize("no-such-client", challenge=challenge)
    assert response.status_code == 400 and "Location" not in response.headers
    assert "text/html" in response.headers["Content-Type"]
    assert codes(app) == 0


def test_missing_redirect_uri_gets_an_error_page(app, alice_http, web_client):
    _, challenge = pkce_pair()
    response = signed_in(alice_http).authorize(web_client["client_id"], redirect_uri=None, challenge=challenge)
    assert response.status_code == 400 and "Location" not in response.headers


@pytest.mark.parametrize("extra, error", [
    ({}, "invalid_request"),                                                   # no PKCE at all
    ({"code_challenge": "x" * 43, "code_challenge_method": "plain"}, "invalid_request"),
    ({"code_challenge": "x" * 43}, "invalid_request"),                         # method omitted = plain
    ({"response_type": "token"}, "unsupported_response_type"),                 # implicit
    ({"response_type": "code id_token"}, "unsupported_response_type"),         # hybrid
    ({"response_mode": "fragment"}, "invalid_request"),
    ({"prompt": "none login"}, "invalid_request"),
    ({"max_age": "-1"}, "invalid_request"),
    ({"scope": "openid admin"}, "invalid_scope"),
    ({"request": "eyJ.x.y"}, "request_not_supported"),
    ({"nonce": "n" * 513}, "invalid_request"),
])
def test_bad_requests_redirect_with_error_state_and_iss(app, live_server, alice_http, web_client, extra, error):
    _, challenge = pkce_pair()
    pkce = {} if "code_challenge" in extra or extra == {} else {"challenge": challenge}
    response = signed_in(alice_http).authorize(web_client["client_id"], **pkce, **extra)
    params = callback_params(response)
    assert params["error"] == error, params
    assert params["state"].startswith("st-") and params["iss"] == live_server.url
    assert codes(app) == 0


def test_prompt_none_without_a_session_is_login_required(live_server, alice_http, web_client):
    _, challenge = pkce_pair()
    params = callback_params(alice_http.authorize(web_client["client_id"], challenge=challenge, prompt="none"))
    assert params["error"] == "login_required" and params["iss"] == live_server.url


def test_prompt_none_without_consent_is_consent_required(alice_http, web_client):
    _, challenge = pkce_pair()
    params = callback_params(signed_in(alice_http).authorize(web_client["client_id"], challenge=challenge,
                                                          prompt="none"))
    assert params["error"] == "consent_required"


def test_consent_form_needs_the_csrf_token(app, alice_http, web_client):
    _, challenge = pkce_pair()
    page = signed_in(alice_http).authorize(web_client["client_id"], challenge=challenge, consent=None)
    assert 'id="consent-title"' in page.text
    forged = page.text.replace('name="csrf_token" value="', 'name="csrf_token" value="forged')
    response = alice_http.answer_consent(forged, "allow")
    assert response.status_code == 400 and "Location" not in response.headers
    assert codes(app) == 0


def test_code_flow_is_only_for_registered_clients_of_it(alice_http, make_client):
    service = make_client("--name", "svc", "--grant-type", "client_credentials")
    _, challenge = pkce_pair()
    response = signed_in(alice_http).authorize(service["client_id"], challenge=challenge)
    # No redirect URI is registered, so none can be validated: an error page.
    assert response.status_code == 400 and "Location" not in response.headers
