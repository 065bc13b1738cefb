"""Passkeys over real HTTP with a software authenticator: registration, passwordless sign-in, second factor, replays."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from urllib.parse import urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import encode_cbor

from tests.support.signin import DEFAULT_PASSWORD, create_user_with_password, csrf_token, http_login
from tests.web.test_mfa_totp import session_of


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    """A resident-key ES256 authenticator with `none` attestation, as a browser would drive it."""

    def __init__(self, origin: str):
        self.origin = origin
        self.rp_id = urlsplit(origin).hostname
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.user_handle: bytes | None = None
        self.count = 0

    def _auth_data(self, flags: int, attested: bytes = b"") -> bytes:
        return hashlib.sha256(self.rp_id.encode()).digest() + bytes([flags]) + self.count.to_bytes(4, "big") + attested

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin or self.origin, "crossOrigin": False}).encode()

    def create(self, options: dict) -> dict:
        """navigator.credentials.create()."""
        self.user_handle = unb64url(options["user"]["id"])
        numbers = self.key.public_key().public_numbers()
        cose = {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        attested = bytes(16) + len(self.credential_id).to_bytes(2, "big") + self.credential_id + encode_cbor(cose)
        auth_data = self._auth_data(0x01 | 0x04 | 0x40, attested)  # UP, UV, AT
        attestation = encode_cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64url(self.credential_id), "rawId": b64url(self.credential_id), "type": "public-key",
            "response": {"clientDataJSON": b64url(self._client_data("webauthn.create", options["challenge"], None)),
                         "attestationObject": b64url(attestation), "transports": ["internal"]},
            "clientExtensionResults": {},
        }

    def get(self, options: dict, *, origin: str | None = None, backed_up: bool = False) -> dict:
        """navigator.credentials.get()."""
        self.count += 1
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        auth_data = self._auth_data(0x01 | 0x04 | (0x18 if backed_up else 0))  # UP, UV (+ BE, BS)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(self.credential_id), "rawId": b64url(self.credential_id), "type": "public-key",
            "response": {"clientDataJSON": b64url(client_data), "authenticatorData": b64url(auth_data),
                         "signature": b64url(signature), "userHandle": b64url(self.user_handle)},
            "clientExtensionResults": {},
        }


def button_csrf(html: str) -> str:
    """The CSRF token a passkey button hands to static/passkeys.js."""
    return re.search(r'data-csrf="([^"]+)"', html).group(1)


def post_json(browser: requests.Session, url: str, token: str, body: dict | None = None) -> requests.Response:
    return browser.post(url, json=body or {}, headers={"X-CSRFToken": token}, allow_redirects=False, timeout=30)


def signed_in(live_server, root, iam, name: str) -> requests.Session:
    create_user_with_password(iam, name)
    browser = requests.Session()
    assert http_login(browser, live_server.url, root.account_id, name, DEFAULT_PASSWORD).status_code == 302
    return browser


def register(live_server, browser: requests.Session, authenticator: SoftAuthenticator, name: str = "laptop") -> dict:
    base = live_server.url
    token = csrf_token(browser.get(f"{base}/account/mfa", timeout=30).text)
    options = post_json(browser, f"{base}/account/mfa/passkey/options", token).json()
    assert options["authenticatorSelection"]["residentKey"] == "required"
    answer = post_json(browser, f"{base}/account/mfa/passkey/verify", token,
                       {"credential": authenticator.create(options), "name": name})
    assert answer.status_code == 200, answer.text
    return answer.json()


def passwordless(live_server, authenticator: SoftAuthenticator, next_url: str = "/account",
                 **get_options) -> tuple[requests.Session, requests.Response]:
    browser = requests.Session()
    token = csrf_token(browser.get(f"{live_server.url}/login", timeout=30).text)
    options = post_json(browser, f"{live_server.url}/login/passkey/options", token).json()
    assert options["userVerification"] == "required" and options.get("allowCredentials", []) == []
    answer = post_json(browser, f"{live_server.url}/login/passkey/verify", token,
                       {"credential": authenticator.get(options, **get_options), "next": next_url})
    return browser, answer


@pytest.fixture
def alice(live_server, root, iam):
    """Alice signed in, with a passkey registered: (her browser, her authenticator, the serial number)."""
    browser = signed_in(live_server, root, iam, "alice")
    authenticator = SoftAuthenticator(live_server.url)
    serial = register(live_server, browser, authenticator)["serial"]
    return browser, authenticator, serial


def test_registered_passkey_is_an_iam_mfa_device(live_server, root, iam, alice):
    _browser, authenticator, serial = alice

    assert serial.startswith(f"arn:aws:iam::{root.account_id}:u2f/user/alice/laptop-")
    assert [d["SerialNumber"] for d in iam.list_mfa_devices(UserName="alice")["MFADevices"]] == [serial]
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []  # not a virtual (TOTP) device
    user = iam.get_user(UserName="alice")["User"]
    assert authenticator.user_handle == user["UserId"].encode()


def test_passwordless_sign_in_starts_a_hwk_session(live_server, alice, db):

    _browser, authenticator, _serial = alice
    browser, answer = passwordless(live_server, authenticator)

    assert answer.status_code == 200 and answer.json() == {"redirect": "/account"}
    assert browser.get(f"{live_server.url}/account", allow_redirects=False, timeout=30).status_code == 200
    signed = session_of(browser, db)
    assert signed.amr == ["hwk"] and signed.principal_arn.endswith(":user/alice")


def test_a_synced_passkey_counts_as_swk(live_server, alice, db):

    _browser, authenticator, _serial = alice
    browser, answer = passwordless(live_server, authenticator, backed_up=True)

    assert answer.status_code == 200
    assert session_of(browser, db).amr == ["swk"]


def test_a_replayed_challenge_is_refused_even_with_the_old_cookie(live_server, alice, db):
    from models.session import BrowserSession

    _browser, authenticator, _serial = alice
    browser = requests.Session()
    token = csrf_token(browser.get(f"{live_server.url}/login", timeout=30).text)
    options = post_json(browser, f"{live_server.url}/login/passkey/options", token).json()
    state_cookie = browser.cookies.get("idp_state")
    body = {"credential": authenticator.get(options)}
    assert post_json(browser, f"{live_server.url}/login/passkey/verify", token, body).status_code == 200
    sessions_before = db.session.query(BrowserSession).count()

    fresh_token = csrf_token(browser.get(f"{live_server.url}/login", timeout=30).text)  # rotated at sign-in
    again = post_json(browser, f"{live_server.url}/login/passkey/verify", fresh_token, body)
    attacker = requests.Session()
    attacker.cookies.set("idp_state", state_cookie)  # the signed cookie that still holds the challenge
    replayed = post_json(attacker, f"{live_server.url}/login/passkey/verify", token, body)

    assert again.status_code == 403 and replayed.status_code == 403
    assert again.json()["error"] == replayed.json()["error"] == "access_denied"
    db.session.expire_all()
    assert db.session.query(BrowserSession).count() == sessions_before


def test_wrong_origin_or_unknown_credential_is_refused(live_server, alice, db):
    from models.audit import AuditEvent
    from models.session import BrowserSession

    _browser, authenticator, _serial = alice
    _b, phished = passwordless(live_server, authenticator, origin="https://evil.example")
    stranger = SoftAuthenticator(live_server.url)
    stranger.user_handle = authenticator.user_handle
    _b, unknown = passwordless(live_server, stranger)

    assert phished.status_code == 403 and unknown.status_code == 403
    assert db.session.query(BrowserSession).count() == 1  # alice's own password sign-in only
    assert db.session.query(AuditEvent).filter_by(action="signin_failed", decision="Deny").count() == 2


def test_passkey_as_second_factor(live_server, root, alice, db):

    _browser, authenticator, _serial = alice
    browser = requests.Session()
    first = http_login(browser, live_server.url, root.account_id, "alice", DEFAULT_PASSWORD)
    assert first.headers["Location"].endswith("/login/mfa")
    page = browser.get(f"{live_server.url}/login/mfa", timeout=30).text
    assert "data-passkey-mfa" in page and 'name="method" value="totp"' not in page
    token = button_csrf(page)
    options = post_json(browser, f"{live_server.url}/login/mfa/passkey/options", token).json()
    assert [c["id"] for c in options["allowCredentials"]] == [b64url(authenticator.credential_id)]

    answer = post_json(browser, f"{live_server.url}/login/mfa/passkey/verify", token, {"credential": authenticator.get(options)})

    assert answer.status_code == 200 and answer.json()["redirect"] == "/account"
    assert browser.get(f"{live_server.url}/account", allow_redirects=False, timeout=30).status_code == 200
    assert session_of(browser, db).amr == ["pwd", "hwk", "mfa"]


def test_someone_elses_passkey_is_no_second_factor(live_server, root, iam, alice, db):
    from models.session import BrowserSession

    _alice_browser, alice_key, _serial = alice
    bob_browser = signed_in(live_server, root, iam, "bob")
    register(live_server, bob_browser, SoftAuthenticator(live_server.url))
    browser = requests.Session()
    http_login(browser, live_server.url, root.account_id, "bob", DEFAULT_PASSWORD)
    token = button_csrf(browser.get(f"{live_server.url}/login/mfa", timeout=30).text)
    options = post_json(browser, f"{live_server.url}/login/mfa/passkey/options", token).json()
    sessions_before = db.session.query(BrowserSession).count()

    answer = post_json(browser, f"{live_server.url}/login/mfa/passkey/verify", token, {"credential": alice_key.get(options)})

    assert answer.status_code == 403
    db.session.expire_all()
    assert db.session.query(BrowserSession).count() == sessions_before


def test_registration_challenge_is_single_use(live_server, alice, db):
    from models.mfa import MfaDevice

    browser, _authenticator, _serial = alice
    base = live_server.url
    token = csrf_token(browser.get(f"{base}/account/mfa", timeout=30).text)
    options = post_json(browser, f"{base}/account/mfa/passkey/options", token).json()
    assert options["excludeCredentials"]  # the registered passkey is not offered again
    second = SoftAuthenticator(base)
    credential = second.create(options)
    assert post_json(browser, f"{base}/account/mfa/passkey/verify", token, {"credential": credential, "name": "phone"}).status_code == 200
    third = SoftAuthenticator(base)
    replay = third.create(options)

    answer = post_json(browser, f"{base}/account/mfa/passkey/verify", token, {"credential": replay, "name": "tablet"})

    assert answer.status_code == 403
    assert db.session.query(MfaDevice).filter_by(kind="webauthn").count() == 2


def test_user_without_console_access_cannot_sign_in_with_a_passkey(live_server, iam, alice, db):
    from models.session import BrowserSession

    _browser, authenticator, _serial = alice
    iam.delete_login_profile(UserName="alice")
    before = db.session.query(BrowserSession).count()

    _b, answer = passwordless(live_server, authenticator)

    assert answer.status_code == 403
    db.session.expire_all()
    assert db.session.query(BrowserSession).count() == before


def _remove(live_server, browser: requests.Session, serial: str) -> requests.Response:
    token = csrf_token(browser.get(f"{live_server.url}/account/mfa", timeout=30).text)
    return browser.post(f"{live_server.url}/account/mfa/remove", data={"csrf_token": token, "serial": serial, "code": ""},
                        allow_redirects=False, timeout=30)


def test_removing_a_passkey_and_not_someone_elses(live_server, root, iam, alice, db):
    from models.audit import AuditEvent

    alice_browser, authenticator, serial = alice
    bob_browser = signed_in(live_server, root, iam, "bob")

    assert _remove(live_server, bob_browser, serial).status_code == 404
    assert [d["SerialNumber"] for d in iam.list_mfa_devices(UserName="alice")["MFADevices"]] == [serial]

    assert _remove(live_server, alice_browser, serial).status_code == 302
    assert iam.list_mfa_devices(UserName="alice")["MFADevices"] == []
    assert db.session.query(AuditEvent).filter_by(action="mfa_removed", resource=serial, decision="Allow").count() == 1
    _b, answer = passwordless(live_server, authenticator)
    assert answer.status_code == 403


@pytest.mark.parametrize("next_url, expected", [
    ("/oauth2/authorize?client_id=x", "/oauth2/authorize?client_id=x"),
    ("//evil.example/", "/account"), ("https://evil.example/", "/account"), ("/\\evil.example", "/account"),
])
def test_passwordless_sign_in_goes_only_to_local_paths(live_server, alice, next_url, expected):
    _browser, authenticator, _serial = alice

    _b, answer = passwordless(live_server, authenticator, next_url=next_url)

    assert answer.status_code == 200 and answer.json() == {"redirect": expected}


def test_registering_needs_a_session(live_server, db):
    from models.mfa import MfaDevice

    anonymous = requests.Session()
    token = csrf_token(anonymous.get(f"{live_server.url}/login", timeout=30).text)

    options = post_json(anonymous, f"{live_server.url}/account/mfa/passkey/options", token)
    verify = post_json(anonymous, f"{live_server.url}/account/mfa/passkey/verify", token,
                       {"credential": SoftAuthenticator(live_server.url).create({"user": {"id": "eA"}, "challenge": "eA"})})

    assert options.status_code == verify.status_code == 403
    assert options.json()["error"] == "access_denied" and "challenge" not in options.json()
    assert db.session.query(MfaDevice).count() == 0
