"""Keys: the master key, the database keystore, JWKS and the one JWT signer."""
from __future__ import annotations

from flask import current_app

from idp.keys import jwt
from idp.keys.keystore import Keystore
from idp.keys.master import MasterKey


def keystore() -> Keystore:
    """The app's keystore."""
    return current_app.extensions["idp.keystore"]


def master_key() -> MasterKey:
    """The app's master key."""
    return current_app.extensions["idp.master_key"]


def sign_token(claims: dict, alg: str = "ES256", *, typ: str = "JWT") -> str:
    """Sign claims with the current key of `alg`."""
    loaded = keystore().signing_key(alg)
    return jwt.sign(claims, loaded.key, alg, typ=typ)


def verify_own_token(token: str, *, kind: jwt.TokenKind, audience=None, leeway: int = jwt.LEEWAY_SECONDS) -> dict:
    """Verify a JWT this issuer signed that is of `kind` (jwt.ID_TOKEN, jwt.ACCESS_TOKEN...); raise InvalidToken otherwise."""
    store = keystore()

    def lookup(kid: str):
        loaded = store.verification_key(kid)
        return (loaded.key, loaded.alg) if loaded else None

    return jwt.verify(token, lookup, issuer=current_app.config["IDP_SETTINGS"].issuer,
                      audience=audience, kind=kind, leeway=leeway)
