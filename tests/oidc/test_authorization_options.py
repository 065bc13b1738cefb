"""prompt, max_age, id_token_hint and response_mode=form_post at the authorization endpoint."""
from __future__ import annotations

import html
import re

import pytest

from tests.oidc.flow import REDIRECT_URI, callback_params, pkce_pair


@pytest.fixture
def trusted(make_client):
    return make_client("--name", "Console", "--redirect-uri", REDIRECT_URI, "--trusted")


def test_prompt_login_forces_a_fresh_sign_in(live_server, alice_http, trusted, redeem, test_clock):
    alice_http.sign_in()
    test_clock.advance(5)
    verifier, challenge = pkce_pair()
    first = alice_http.get("/oauth2/authorize", response_type="code", client_id=trusted["client_id"],
                        redirect_uri=REDIRECT_URI, scope="openid", prompt="login", code_challenge=challenge,
                        code_challenge_method="S256", state="s")
    assert first.status_code == 302 and first.headers["Location"].startswith("/login")
    params = callback_params(alice_http.authorize(trusted["client_id"], challenge=challenge, prompt="login"))
    assert params["code"]


def test_max_age_zero_asks_again_and_auth_time_is_fresh(app, alice_http, trusted, redeem, test_clock):
    alice_http.sign_in()
    test_clock.advance(120)
    code_verifier, challenge = pkce_pair()
    params = callback_params(alice_http.authorize(trusted["client_id"], challenge=challenge, max_age="60"))
    from idp.keys import jwt, verify_own_token

    tokens = redeem(trusted, params["code"], code_verifier).json()
    with app.app_context():
        claims = verify_own_token(tokens["id_token"], kind=jwt.ID_TOKEN, audience=trusted["client_id"])
    assert claims["iat"] - claims["auth_time"] <= 1


def test_prompt_none_with_a_session_and_consent(alice_http, trusted):
    alice_http.sign_in()
    _, challenge = pkce_pair()
    assert callback_params(alice_http.authorize(trusted["client_id"], challenge=challenge, prompt="none"))["code"]


def test_id_token_hint_for_another_user_is_login_required(iam, live_server, root, alice_http, trusted, redeem):
    from tests.support.signin import create_user_with_password
    from tests.oidc.flow import Browser

    create_user_with_password(iam, "bob")
    bob = Browser(live_server.url, root.account_id, "bob")
    verifier, challenge = pkce_pair()
    code = callback_params(bob.authorize(trusted["client_id"], challenge=challenge))["code"]
    bobs_id_token = redeem(trusted, code, verifier).json()["id_token"]
    alice_http.sign_in()
    params = callback_params(alice_http.authorize(trusted["client_id"], challenge=challenge, prompt="none",
                                               id_token_hint=bobs_id_token))
    assert params["error"] == "login_required"
    forged = callback_params(alice_http.authorize(trusted["client_id"], challenge=challenge, id_token_hint="x.y.z"))
    assert forged["error"] == "invalid_request"


def test_form_post_response_mode(live_server, alice_http, trusted):
    alice_http.sign_in()
    _, challenge = pkce_pair()
    response = alice_http.authorize(trusted["client_id"], challenge=challenge, response_mode="form_post")
    assert response.status_code == 200 and "text/html" in response.headers["Content-Type"]
    assert f'action="{REDIRECT_URI}"' in response.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', response.text))
    assert fields["code"] and html.unescape(fields["iss"]) == live_server.url and fields["state"].startswith("st-")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "<script src=" in response.text and "oidc_form_post.js" in response.text


def test_form_post_errors_too(live_server, alice_http, trusted):
    _, challenge = pkce_pair()
    response = alice_http.authorize(trusted["client_id"], challenge=challenge, response_mode="form_post",
                                 prompt="none")
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', response.text))
    assert fields["error"] == "login_required" and html.unescape(fields["iss"]) == live_server.url


def _code_acr(app, trusted, redeem, response, verifier) -> str:
    from idp.keys import jwt, verify_own_token

    tokens = redeem(trusted, callback_params(response)["code"], verifier).json()
    with app.app_context():
        return verify_own_token(tokens["id_token"], kind=jwt.ID_TOKEN, audience=trusted["client_id"])["acr"]


def test_acr_values_mfa_is_voluntary_for_a_user_without_a_second_factor(app, alice_http, trusted, redeem):
    alice_http.sign_in()
    verifier, challenge = pkce_pair()
    response = alice_http.get("/oauth2/authorize", response_type="code", client_id=trusted["client_id"],
                              redirect_uri=REDIRECT_URI, scope="openid", code_challenge=challenge,
                              code_challenge_method="S256", state="s", acr_values="urn:idp:acr:mfa")
    assert _code_acr(app, trusted, redeem, response, verifier) == "urn:idp:acr:pwd"


def test_acr_values_mfa_sends_a_password_session_back_to_sign_in_once_a_factor_exists(
        app, iam, alice_http, trusted, test_clock):
    from idp.iam import totp

    alice_http.sign_in()  # password only: alice has no second factor yet
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-phone")["VirtualMFADevice"]
    seed, step = device["Base32StringSeed"].decode(), totp.step_at(test_clock.now())
    iam.enable_mfa_device(UserName="alice", SerialNumber=device["SerialNumber"],
                          AuthenticationCode1=totp.code_at_step(seed, step - 1),
                          AuthenticationCode2=totp.code_at_step(seed, step))
    _, challenge = pkce_pair()
    common = dict(response_type="code", client_id=trusted["client_id"], redirect_uri=REDIRECT_URI, scope="openid",
                  code_challenge=challenge, code_challenge_method="S256", state="s")
    assert callback_params(alice_http.get("/oauth2/authorize", **common))["code"]  # the session still serves others
    asked = alice_http.get("/oauth2/authorize", **common, acr_values="urn:idp:acr:mfa")
    assert asked.status_code == 302 and asked.headers["Location"].startswith("/login")


def test_login_hint_prefills_the_sign_in_page(live_server, root, alice_http, trusted):
    _, challenge = pkce_pair()
    sent = alice_http.get("/oauth2/authorize", response_type="code", client_id=trusted["client_id"],
                          redirect_uri=REDIRECT_URI, scope="openid", code_challenge=challenge,
                          code_challenge_method="S256", state="s", login_hint=f"{root.account_id}/alice")
    assert sent.status_code == 302 and sent.headers["Location"].startswith("/login")
    page = alice_http.get(sent.headers["Location"]).text
    assert f'id="account" name="account" type="text" value="{root.account_id}"' in page
    assert 'id="username" name="username" type="text" value="alice"' in page
    hostile = alice_http.get("/login", next='/oauth2/authorize?login_hint="><script>x</script>').text
    assert "<script>x</script>" not in hostile  # escaped like any other value
