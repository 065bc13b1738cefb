"""SigV4 authentication: signature -> `Caller`, with stored access keys or temporary credentials.

Verified keys are cached per app together with the account's authz version
seen when they were loaded. Every IAM change that could affect a key (status,
deletion, the user's tags or name) bumps that version, so each request costs
one indexed read of `accounts.authz_version` and a deactivated or deleted key
stops working at once on every instance.

Temporary credentials (`ASIA...` with `X-Amz-Security-Token`) need no stored
key: the token is opened first and its sealed secret verifies the signature.
"""
from __future__ import annotations

import hmac
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from idp import clock
from idp.authz import sigv4
from idp.authz.policy_store import authz_version
from idp.authz.principals import Caller, root_principal, user_principal
from idp.errors import AuthenticationError
from idp.iam.accounts import open_secret
from idp.policy import RequestPrincipal
from idp.sts import sessions
from models import db
from models.access_key import AccessKey

# Writing last-used on every request would make every read a write.
LAST_USED_GRANULARITY = timedelta(minutes=1)
MAX_CACHED_KEYS = 10_000
_lock = threading.Lock()


@dataclass(frozen=True)
class KnownKey:
    """An active access key as verified at `version` of its account."""

    access_key_id: str
    account_id: str
    version: int
    secret: str
    principal: RequestPrincipal
    user_pk: int | None
    last_used_at: datetime | None


TEMPORARY_PREFIX = "ASIA"


def invalid_token() -> AuthenticationError:
    return AuthenticationError("The security token included in the request is invalid.",
                               code="InvalidClientTokenId", status=403)


def _presented_token(request: sigv4.SignedRequest) -> str | None:
    """The session token as SigV4 reads it: the header, else the presigned query parameter."""
    for name, value in request.headers:
        if name == "x-amz-security-token":
            return value
    if "X-Amz-Security-Token" not in request.query_string:
        return None
    for name, value in parse_qsl(request.query_string, keep_blank_values=True):
        if name == "X-Amz-Security-Token":
            return value
    return None


def _cache() -> dict[str, KnownKey]:
    return current_app.extensions.setdefault("idp.key_cache", {})


def _load(access_key_id: str) -> KnownKey | None:
    key = db.session.scalar(
        select(AccessKey).options(selectinload(AccessKey.user)).where(AccessKey.access_key_id == access_key_id)
    )
    if key is None or key.status != "Active":
        return None
    # The version is read before the key is trusted: a change racing this load
    # moves the version past what we store, so the entry is reloaded next time.
    version = authz_version(key.account_id)
    principal = user_principal(key.user) if key.user is not None else root_principal(key.account_id)
    return KnownKey(key.access_key_id, key.account_id, version, open_secret(key), principal, key.user_id,
                    key.last_used_at)


def known_key(access_key_id: str) -> KnownKey | None:
    """The active key with this id, from the cache while its account's version holds."""
    cache = _cache()
    cached = cache.get(access_key_id)
    if cached is not None and authz_version(cached.account_id) == cached.version:
        return cached
    loaded = _load(access_key_id)
    with _lock:
        if len(cache) >= MAX_CACHED_KEYS:
            cache.clear()
        if loaded is None:
            cache.pop(access_key_id, None)
        else:
            cache[access_key_id] = loaded
    return loaded


def authenticate(request: sigv4.SignedRequest, services: frozenset[str], *, unsigned_payload: bool = True) -> Caller:
    """Verify the request's signature with the stored key or the session token it names; return the caller."""
    token = _presented_token(request)
    if token is not None:
        return _authenticate_temporary(request, token, services, unsigned_payload)
    found: dict[str, KnownKey] = {}

    def secret_for(access_key_id: str) -> str | None:
        key = known_key(access_key_id)
        if key is None:
            return None
        found["key"] = key
        return key.secret

    verified = sigv4.verify(request, clock.now(), secret_for, services, allow_unsigned_payload=unsigned_payload)
    if verified.session_token is not None:
        raise invalid_token()  # a long-term key never comes with a session token
    key = found["key"]
    _touch(key, verified)
    return Caller(key.principal, access_key_id=key.access_key_id, user_pk=key.user_pk, region=verified.region,
                  authz_version=key.version)


def _authenticate_temporary(
    request: sigv4.SignedRequest, token: str, services: frozenset[str], unsigned_payload: bool
) -> Caller:
    # The token is opened before the signature is checked: its sealed secret is the signing secret.
    now = clock.now()  # one reading for the token's expiry and the signature's time window
    session = sessions.session_for(token, now)

    def secret_for(access_key_id: str) -> str | None:
        matches = access_key_id.startswith(TEMPORARY_PREFIX) and hmac.compare_digest(
            access_key_id, session.access_key_id)
        return session.secret_access_key if matches else None

    verified = sigv4.verify(request, now, secret_for, services, allow_unsigned_payload=unsigned_payload)
    if verified.session_token != token:
        raise invalid_token()
    if not session.is_role_session and session.mfa_auth_time is None and verified.service == "iam":
        # AWS: GetSessionToken credentials call IAM only when MFA was used to get them.
        raise invalid_token()
    return sessions.caller_for(token, session, verified.region)


def _touch(key: KnownKey, verified: sigv4.VerifiedSignature) -> None:
    now = clock.now()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_GRANULARITY:
        return
    db.session.execute(
        update(AccessKey).where(AccessKey.access_key_id == key.access_key_id)
        .values(last_used_at=now, last_used_service=verified.service, last_used_region=verified.region)
    )
    with _lock:
        _cache()[key.access_key_id] = replace(key, last_used_at=now)
