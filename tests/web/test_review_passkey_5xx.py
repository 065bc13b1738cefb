"""Review (issue 13 class 11): a passkey assertion whose userHandle is not base64url answers 500.

py_webauthn's parse_authentication_credential_json lets binascii.Error / ValueError out of the
userHandle field (other fields become InvalidAuthenticationResponse); idp.signin.passkeys._device_for
catches only WebAuthnException. Both assertion endpoints parse before anything else.
"""
from __future__ import annotations

import pytest
import requests

from tests.support.signin import DEFAULT_PASSWORD, csrf_token, http_login
from tests.web.test_passkeys_http import alice, b64url, button_csrf, post_json  # noqa: F401

# Not base64url: a length of 4n+1 (binascii.Error) and non-ASCII text (ValueError).
BAD_HANDLES = ["1e309", "abcde", "\u00e9\u00e9\u00e9x"]


def _assertion(user_handle: str) -> dict:
    return {"id": "AAAA", "rawId": "AAAA", "type": "public-key",
            "response": {"clientDataJSON": b64url(b"{}"), "authenticatorData": "AAAA", "signature": "AAAA",
                         "userHandle": user_handle}}


@pytest.mark.parametrize("user_handle", BAD_HANDLES)
def test_passwordless_verify_refuses_a_malformed_user_handle_without_a_server_error(live_server, user_handle):
    browser = requests.Session()
    token = csrf_token(browser.get(f"{live_server.url}/login", timeout=30).text)
    post_json(browser, f"{live_server.url}/login/passkey/options", token)
    answer = post_json(browser, f"{live_server.url}/login/passkey/verify", token,
                       {"credential": _assertion(user_handle)})
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:200])


@pytest.mark.parametrize("user_handle", BAD_HANDLES)
def test_second_factor_verify_refuses_a_malformed_user_handle_without_a_server_error(live_server, root, alice,  # noqa: F811 (fixtures imported from their module)
                                                                                    user_handle):
    browser = requests.Session()
    signed = http_login(browser, live_server.url, root.account_id, "alice", DEFAULT_PASSWORD)
    assert signed.headers["Location"].endswith("/login/mfa")
    token = button_csrf(browser.get(f"{live_server.url}/login/mfa", timeout=30).text)
    post_json(browser, f"{live_server.url}/login/mfa/passkey/options", token)
    answer = post_json(browser, f"{live_server.url}/login/mfa/passkey/verify", token,
                       {"credential": _assertion(user_handle)})
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:200])


def test_passwordless_verify_refuses_deeply_nested_json_without_a_server_error(live_server):
    browser = requests.Session()
    token = csrf_token(browser.get(f"{live_server.url}/login", timeout=30).text)
    post_json(browser, f"{live_server.url}/login/passkey/options", token)
    answer = browser.post(f"{live_server.url}/login/passkey/verify", data="[" * 2000 + "]" * 2000, timeout=30,
                          headers={"Content-Type": "application/json", "X-CSRFToken": token})
    assert 400 <= answer.status_code < 500, answer.status_code
