"""The one verifier checks the kind its caller names: header `typ`, the kind's required and forbidden claims, `nonce`.

The end-to-end table (every kind the product issues against every surface) is tests/oidc/test_token_kinds.py.
"""
import re
import secrets
import time

import pytest
from joserfc import jwk
from joserfc import jwt as jose_jwt

from idp.keys import jwt

ISSUER = "https://issuer.example"
CLIENT = "client-1"


@pytest.fixture(scope="module")
def key():
    made = jwk.ECKey.generate_key("P-256", private=True)
    return jwk.import_key(made.as_dict(private=True), "EC", parameters={"kid": made.thumbprint(), "alg": "ES256"})


@pytest.fixture
def lookup(key):
    return lambda kid: (key, "ES256") if kid == key.kid else None


def _now() -> int:
    return int(time.time())


def _sign(key, claims: dict, typ: str | None) -> str:
    if typ is None:
        return jose_jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key, algorithms=["ES256"])
    return jwt.sign(claims, key, "ES256", typ=typ)


def _tokens(key) -> dict[str, str]:
    """One token of each kind, with the claims and `typ` its issuer gives it."""
    now = _now()
    base = {"iss": ISSUER, "iat": now, "exp": now + 300}
    return {
        "id": _sign(key, {**base, "sub": "alice", "aud": CLIENT, "nonce": "n-1", "sid": "s"}, "JWT"),
        "external id (no typ)": _sign(key, {**base, "sub": "alice", "aud": CLIENT}, None),
        "access": _sign(key, {**base, "sub": "alice", "aud": ISSUER, "client_id": CLIENT, "jti": "j-1",
                              "scope": "openid"}, "at+jwt"),
        "logout": _sign(key, {**base, "aud": CLIENT, "jti": "j-2", "sid": "s", "sub": "alice",
                              "events": {jwt.LOGOUT_EVENT: {}}}, "logout+jwt"),
        "initial access": _sign(key, {**base, "sub": "123456789012", "aud": f"{ISSUER}/oauth2/register",
                                      "account": "123456789012", "jti": "j-3"}, "initial-access+jwt"),
        "client assertion": _sign(key, {"iss": CLIENT, "sub": CLIENT, "aud": ISSUER, "iat": now, "exp": now + 60,
                                        "jti": "j-4"}, None),
    }


ACCEPTS = {
    jwt.ID_TOKEN: {"id", "external id (no typ)"},
    jwt.ACCESS_TOKEN: {"access"},
    jwt.LOGOUT_TOKEN: {"logout"},
    jwt.INITIAL_ACCESS_TOKEN: {"initial access"},
    jwt.CLIENT_ASSERTION: {"client assertion"},
    jwt.WEB_IDENTITY_TOKEN: {"id", "external id (no typ)"},
}


def _accepted(token: str, lookup, kind: jwt.TokenKind) -> bool:
    issuer = CLIENT if kind is jwt.CLIENT_ASSERTION else ISSUER
    try:
        jwt.verify(token, lookup, kind=kind, issuer=issuer, audience=None)
    except jwt.WrongTokenKind:
        return False
    except jwt.InvalidToken:  # the issuer: a token of another issuer is refused before its kind matters
        return False
    return True


def test_each_kind_accepts_only_its_own_tokens(key, lookup):
    tokens = _tokens(key)
    table = {kind.name: {name for name, token in tokens.items() if _accepted(token, lookup, kind)}
             for kind in jwt.KINDS}
    assert table == {kind.name: names for kind, names in ACCEPTS.items()}


def test_the_refusal_says_which_kind_was_wanted(key, lookup):
    with pytest.raises(jwt.WrongTokenKind) as refused:
        jwt.verify(_tokens(key)["logout"], lookup, kind=jwt.ID_TOKEN, issuer=ISSUER, audience=CLIENT)
    assert refused.value.kind == jwt.ID_TOKEN.name and refused.value.status == 401
    assert "typ logout+jwt" in refused.value.message


def test_kind_is_required(key, lookup):
    token = _tokens(key)["id"]
    with pytest.raises(TypeError):
        jwt.verify(token, lookup, issuer=ISSUER, audience=CLIENT)  # no kind=
    with pytest.raises(TypeError):
        jwt.verify(token, lookup, kind="id_token", issuer=ISSUER, audience=CLIENT)


@pytest.mark.parametrize("typ", ["at+jwt", "AT+JWT", "application/at+jwt", "Application/AT+JWT"])
def test_typ_is_compared_as_a_media_type(key, lookup, typ):
    now = _now()
    token = _sign(key, {"iss": ISSUER, "sub": "a", "aud": ISSUER, "client_id": CLIENT, "jti": "j", "iat": now,
                        "exp": now + 60}, typ)
    assert jwt.verify(token, lookup, kind=jwt.ACCESS_TOKEN, issuer=ISSUER, audience=ISSUER)["sub"] == "a"


def _claims(**extra) -> dict:
    now = _now()
    return {"iss": ISSUER, "sub": "alice", "aud": CLIENT, "iat": now, "exp": now + 300, **extra}


@pytest.mark.parametrize("kind, claims, typ, reason", [
    # A logout token forged as an ID token: typ JWT but the logout event (Back-Channel Logout 2.4 and 2.6).
    (jwt.ID_TOKEN, _claims(events={jwt.LOGOUT_EVENT: {}}), "JWT", "must not carry events"),
    (jwt.WEB_IDENTITY_TOKEN, _claims(events={jwt.LOGOUT_EVENT: {}}), None, "must not carry events"),
    (jwt.ID_TOKEN, {k: v for k, v in _claims().items() if k != "iat"}, "JWT", "must carry iat"),
    (jwt.ACCESS_TOKEN, _claims(client_id=CLIENT), "at+jwt", "must carry jti"),
    (jwt.ACCESS_TOKEN, _claims(client_id=CLIENT, jti="j", nonce="n"), "at+jwt", "must not carry nonce"),
    (jwt.LOGOUT_TOKEN, _claims(jti="j", events={"http://other.example/event": {}}), "logout+jwt",
     "must carry the event"),
    (jwt.LOGOUT_TOKEN, _claims(jti="j", events={jwt.LOGOUT_EVENT: {}}, nonce="n"), "logout+jwt",
     "must not carry nonce"),
    (jwt.INITIAL_ACCESS_TOKEN, _claims(jti="j"), "initial-access+jwt", "must carry account"),
    (jwt.CLIENT_ASSERTION, _claims(iss=CLIENT, jti="j"), None, "sub equal to iss"),
    (jwt.CLIENT_ASSERTION, _claims(iss=CLIENT, sub=CLIENT, jti="j"), "at+jwt", "typ at+jwt"),
    (jwt.ID_TOKEN, _claims(), "at+jwt", "typ at+jwt"),
    (jwt.ID_TOKEN, _claims(), "logout+jwt", "typ logout+jwt"),
    (jwt.WEB_IDENTITY_TOKEN, _claims(), "application/at+jwt", "typ application/at+jwt"),
])
def test_required_forbidden_and_typ(key, lookup, kind, claims, typ, reason):
    token = _sign(key, claims, typ)
    with pytest.raises(jwt.WrongTokenKind, match=re.escape(reason)):
        jwt.verify(token, lookup, kind=kind, issuer=claims["iss"], audience=None)


def test_nonce_is_checked_when_the_caller_sent_one(key, lookup):
    nonce = secrets.token_urlsafe(16)
    good = _sign(key, _claims(nonce=nonce), "JWT")
    assert jwt.verify(good, lookup, kind=jwt.ID_TOKEN, issuer=ISSUER, audience=CLIENT, nonce=nonce)["nonce"] == nonce
    for token in (_sign(key, _claims(nonce="other"), "JWT"), _sign(key, _claims(), "JWT")):
        with pytest.raises(jwt.InvalidToken, match="nonce does not match"):
            jwt.verify(token, lookup, kind=jwt.ID_TOKEN, issuer=ISSUER, audience=CLIENT, nonce=nonce)


def test_the_kind_is_checked_after_the_signature(key, lookup):
    """A forged token learns nothing about kinds: the signature is refused first."""
    other = jwk.ECKey.generate_key("P-256", private=True, parameters={"kid": key.kid})
    forged = jwt.sign(_claims(events={jwt.LOGOUT_EVENT: {}}), other, "ES256", typ="logout+jwt")
    with pytest.raises(jwt.InvalidToken, match="signature does not verify"):
        jwt.verify(forged, lookup, kind=jwt.ID_TOKEN, issuer=ISSUER, audience=CLIENT)


def test_an_expired_token_is_told_apart_by_its_type(key, lookup):
    """Callers (token exchange, STS) answer "expired" by the error's type, never by its text."""
    expired = _sign(key, _claims(exp=_now() - 3600), "JWT")
    with pytest.raises(jwt.TokenExpired):
        jwt.verify(expired, lookup, kind=jwt.ID_TOKEN, issuer=ISSUER, audience=CLIENT)
    with pytest.raises(jwt.InvalidToken) as no_exp:
        jwt.verify(_sign(key, {k: v for k, v in _claims().items() if k != "exp"}, "JWT"), lookup,
                   kind=jwt.ID_TOKEN, issuer=ISSUER, audience=CLIENT)
    assert not isinstance(no_exp.value, jwt.TokenExpired)
