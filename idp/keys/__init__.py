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


def seal_secret(access_key_id: str, secret: str) -> bytes:
    """Encrypt a secret access key at rest, bound to its key id."""
    return master_key().seal(secret.encode(), f"access-key:{access_key_id}")


def open_secret(key) -> str:
    """The plaintext secret of a stored access key (`models.access_key.AccessKey`; SigV4 needs it to verify)."""
    return master_key().open(key.secret_encrypted, f"access-key:{key.access_key_id}").decode()


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
