"""Self-contained session tokens: everything a temporary credential means, sealed in the token itself.

Layout (then base64url): version byte, kid length, kid (in the clear, so a
rotated key still opens the tokens it sealed until they expire), 12-byte
nonce, AES-256-GCM ciphertext of the zlib-compressed JSON body; the header is
the associated data. Any change to a byte fails the tag: InvalidClientTokenId.

`ASIA...` key ids carry their account the way AWS's do (bits 7..46 of the
first six decoded bytes), so GetAccessKeyInfo needs no lookup.
"""
from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from idp.errors import AuthenticationError, ConfigError
from idp.keys import keystore

FORMAT_VERSION = 1
NONCE_BYTES = 12
MAX_TOKEN_CHARS = 16_384
_KID = re.compile(r"[0-9a-f]{1,64}")
_ACCOUNT_MASK = 0x7FFFFFFFFF80

ROLE_SESSION = "AssumedRole"
WEB_IDENTITY_SESSION = "WebIdentity"
USER_SESSION = "Session"  # GetSessionToken: the user (or root) itself
FEDERATED_SESSION = "FederatedUser"  # GetFederationToken: a named federated user, on the user's (or root's) behalf

_aeads: dict[tuple[str, bytes], AESGCM] = {}
# Kids that named no key: a burst of forged tokens must not reload the keystore each time.
_unknown_kids: dict[str, float] = {}
UNKNOWN_KID_SECONDS = 5.0
_lock = threading.Lock()


def invalid_token() -> AuthenticationError:
    """AWS's answer to a token that does not open or does not match the key id."""
    return AuthenticationError("The security token included in the request is invalid.",
                               code="InvalidClientTokenId", status=403)


def expired_token() -> AuthenticationError:
    """AWS's answer to a token past its expiry."""
    return AuthenticationError("The security token included in the request is expired",
                               code="ExpiredToken", status=403)


@dataclass(frozen=True)
class SessionToken:
    """One temporary credential: who it stands for, what limits it, and its secret."""

    account_id: str
    kind: str  # ROLE_SESSION, WEB_IDENTITY_SESSION, USER_SESSION or FEDERATED_SESSION
    principal_arn: str  # the role's ARN (with path), or the user's / root's ARN (also the federating one's)
    principal_id: str  # AROA... role id, AIDA... user id, or the account id for root
    session_name: str  # the role session's name, the user's name, or the federated user's name
    issued_at: int  # epoch seconds
    expires_at: int
    access_key_id: str
    secret_access_key: str
    policies: tuple[str, ...] = ()
    policy_arns: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()
    transitive_tag_keys: tuple[str, ...] = ()
    source_identity: str | None = None
    mfa_auth_time: int | None = None
    web_identity: Mapping[str, object] | None = field(default=None, hash=False, compare=False)

    @property
    def is_role_session(self) -> bool:
        """True for AssumeRole / AssumeRoleWithWebIdentity sessions."""
        return self.kind not in (USER_SESSION, FEDERATED_SESSION)

    @property
    def is_federated(self) -> bool:
        """True for GetFederationToken sessions."""
        return self.kind == FEDERATED_SESSION

    @property
    def role_name(self) -> str:
        """The role's name (the last segment of its ARN)."""
        return self.principal_arn.rsplit("/", 1)[-1]

    @property
    def issued(self) -> datetime:
        return datetime.fromtimestamp(self.issued_at, timezone.utc)

    @property
    def expires(self) -> datetime:
        return datetime.fromtimestamp(self.expires_at, timezone.utc)

    def as_json(self) -> dict:
        """The compact body sealed in the token."""
        body = {
            "a": self.account_id, "k": self.kind, "p": self.principal_arn, "pi": self.principal_id,
            "n": self.session_name, "i": self.issued_at, "e": self.expires_at,
            "ak": self.access_key_id, "s": self.secret_access_key,
        }
        optional = {
            "sp": list(self.policies), "pa": list(self.policy_arns), "t": [list(pair) for pair in self.tags],
            "tt": list(self.transitive_tag_keys), "si": self.source_identity, "m": self.mfa_auth_time,
            "w": dict(self.web_identity) if self.web_identity else None,
        }
        body.update({key: value for key, value in optional.items() if value})
        return body

    @classmethod
    def from_json(cls, body: dict) -> SessionToken:
        """The inverse of `as_json`."""
        return cls(
            account_id=body["a"], kind=body["k"], principal_arn=body["p"], principal_id=body["pi"],
            session_name=body["n"], issued_at=int(body["i"]), expires_at=int(body["e"]),
            access_key_id=body["ak"], secret_access_key=body["s"],
            policies=tuple(body.get("sp", ())), policy_arns=tuple(body.get("pa", ())),
            tags=tuple((key, value) for key, value in body.get("t", ())),
            transitive_tag_keys=tuple(body.get("tt", ())), source_identity=body.get("si"),
            mfa_auth_time=body.get("m"), web_identity=body.get("w"),
        )


def _aead(kid: str, key: bytes) -> AESGCM:
    aead = _aeads.get((kid, key))
    if aead is None:
        aead = AESGCM(key)
        with _lock:
            if len(_aeads) > 64:
                _aeads.clear()
            _aeads[(kid, key)] = aead
    return aead


def _session_key(kid: str):
    seen = _unknown_kids.get(kid)
    if seen is not None and time.monotonic() - seen < UNKNOWN_KID_SECONDS:
        raise invalid_token()
    try:
        return keystore().session_key(kid)
    except ConfigError:
        with _lock:
            if len(_unknown_kids) > 1024:
                _unknown_kids.clear()
            _unknown_kids[kid] = time.monotonic()
        raise invalid_token() from None


def seal(session: SessionToken) -> str:
    """The token text for `session`, sealed with the current session key."""
    key = keystore().session_key()
    kid = key.kid.encode("ascii")
    header = bytes([FORMAT_VERSION, len(kid)]) + kid
    nonce = os.urandom(NONCE_BYTES)
    plaintext = zlib.compress(json.dumps(session.as_json(), separators=(",", ":")).encode(), 9)
    sealed = header + nonce + _aead(key.kid, key.key).encrypt(nonce, plaintext, header)
    return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")


def token_kid(text: str) -> str:
    """The kid in a token's clear header (of a token that `open_token` accepted)."""
    head = base64.urlsafe_b64decode(text[:88] + "=" * (-len(text[:88]) % 4))
    return head[2:2 + head[1]].decode("ascii")


def key_is_live(kid: str) -> bool:
    """True while the session key `kid` is published (current, next, or retired but not yet expired)."""
    try:
        _session_key(kid)
    except AuthenticationError:
        return False
    return True


def open_token(text: str) -> SessionToken:
    """The session sealed in `text`, or InvalidClientTokenId; expiry is the caller's to check."""
    if not text or len(text) > MAX_TOKEN_CHARS:
        raise invalid_token()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise invalid_token() from None
    if len(raw) < 2 + NONCE_BYTES + 16 or raw[0] != FORMAT_VERSION:
        raise invalid_token()
    end = 2 + raw[1]
    kid = raw[2:end].decode("ascii", "replace")
    if not _KID.fullmatch(kid):
        raise invalid_token()
    key = _session_key(kid)
    nonce, ciphertext = raw[end:end + NONCE_BYTES], raw[end + NONCE_BYTES:]
    try:
        plaintext = _aead(key.kid, key.key).decrypt(nonce, ciphertext, raw[:end])
        return SessionToken.from_json(json.loads(zlib.decompress(plaintext)))
    except (InvalidTag, zlib.error, ValueError, KeyError, TypeError):
        raise invalid_token() from None


def temporary_access_key_id(account_id: str) -> str:
    """A fresh `ASIA` + 16 key id that encodes `account_id` as AWS's key ids do."""
    value = (int(account_id) << 7) | secrets.randbits(7)
    raw = value.to_bytes(6, "big") + secrets.token_bytes(4)
    return "ASIA" + base64.b32encode(raw).decode("ascii")


def account_of_key_id(access_key_id: str) -> str | None:
    """The account encoded in an AWS-style key id, or None when it does not decode."""
    try:
        raw = base64.b32decode(access_key_id[4:20])
    except (binascii.Error, ValueError):
        return None
    if len(raw) < 6:
        return None
    return f"{(int.from_bytes(raw[:6], 'big') & _ACCOUNT_MASK) >> 7:012d}"


def new_secret() -> str:
    """40 characters of base64, like AWS secret access keys."""
    return base64.b64encode(secrets.token_bytes(30)).decode()
