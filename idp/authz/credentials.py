"""SigV4 authentication: signature -> `Caller`, with stored access keys or temporary credentials.

Verified keys are cached per app together with the account's authz version
seen when they were loaded. Every IAM change that could affect a key (status,
deletion, the user's tags or name) bumps that version, so each request costs
one indexed read of `accounts.authz_version` and a deactivated or deleted key
stops working at once on every instance.

Temporary credentials (`ASIA...` with `X-Amz-Security-Token`) need no stored
key: the token is opened first and its sealed secret verifies the signature.

Credentials are used only where they are valid, for every SigV4 surface (the
Query API, Access Analyzer's rest-json, `POST /authorize`):
- the signature's credential scope must name the service the request
  addresses (`sigv4.verify`), so a signature made for STS never reaches IAM;
- GetSessionToken credentials are limited by their origin, read from the
  session token and never from the signature (`check_session_reach`).
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

from flask import request
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from idp import audit, clock, work
from idp.authz import sessions, sigv4
from idp.authz.policy_store import authz_version
from idp.authz.principals import Caller, root_principal, user_principal
from idp.authz.session_tokens import SessionToken
from idp.cache import Cache, app_cache
from idp.errors import AccessDenied, AuthenticationError
from idp.keys import open_secret
from idp.policy import RequestPrincipal
from models import db
from models.access_key import AccessKey

# Writing last-used on every request would make every read a write.
LAST_USED_GRANULARITY = timedelta(minutes=1)
MAX_CACHED_KEYS = 10_000


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
# AWS: GetSessionToken credentials "cannot call any STS API except AssumeRole or GetCallerIdentity".
USER_SESSION_STS_ACTIONS = frozenset({"sts:AssumeRole", "sts:GetCallerIdentity"})
# AWS: GetFederationToken credentials call no IAM operation and no STS operation but GetCallerIdentity.
FEDERATED_SESSION_STS_ACTIONS = frozenset({"sts:GetCallerIdentity"})


def signed_request() -> sigv4.SignedRequest:
    """The request as it arrived on the wire, for SigV4 verification."""
    raw_uri = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.full_path
    return sigv4.SignedRequest.from_parts(
        request.method, raw_uri.split("?", 1)[0], request.environ.get("QUERY_STRING", ""),
        [(k, v) for k, v in request.headers.items()], request.get_data(cache=True),
    )


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


def _cache() -> Cache[KnownKey]:
    return app_cache("idp.key_cache", MAX_CACHED_KEYS)


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
    if cached is not None:  # the entry names the account whose current version it must have been verified at
        current = cache.get(access_key_id, version=authz_version(cached.account_id))
        if current is not None:
            return current
    loaded = _load(access_key_id)
    if loaded is None:
        cache.pop(access_key_id)
    else:
        cache.put(access_key_id, loaded, version=loaded.version)
    return loaded


def authenticate(request: sigv4.SignedRequest, service: str, *, action: str | None = None,
                 unsigned_payload: bool = True) -> Caller:
    """Verify a request addressed to `service` (calling `action`, e.g. `sts:AssumeRole`, when known).

    The signature is checked with the stored key or the session token it names;
    the credential scope must name `service`; temporary credentials must be
    valid for `service` and `action` by their origin. Returns the caller.
    """
    try:
        token = _presented_token(request)
        if token is not None:
            return _authenticate_temporary(request, token, service, action, unsigned_payload)
        return _authenticate_long_term(request, service, unsigned_payload)
    except sigv4.ServiceScopeMismatch as refused:
        audit.note("sigv4:ServiceScopeMismatch", actor=refused.access_key_id, resource=refused.addressed,
                   decision="Deny", detail={"scoped": refused.scoped[:64], "addressed": refused.addressed})
        raise


def _authenticate_long_term(request: sigv4.SignedRequest, service: str, unsigned_payload: bool) -> Caller:
    found: dict[str, KnownKey] = {}

    def secret_for(access_key_id: str) -> str | None:
        key = known_key(access_key_id)
        if key is None:
            return None
        found["key"] = key
        return key.secret

    verified = sigv4.verify(request, clock.now(), secret_for, service, allow_unsigned_payload=unsigned_payload)
    if verified.session_token is not None:
        raise invalid_token()  # a long-term key never comes with a session token
    key = found["key"]
    _touch(key, verified)
    return Caller(key.principal, access_key_id=key.access_key_id, user_pk=key.user_pk, region=verified.region,
                  authz_version=key.version)


def _authenticate_temporary(
    request: sigv4.SignedRequest, token: str, service: str, action: str | None, unsigned_payload: bool
) -> Caller:
    # The token is opened before the signature is checked: its sealed secret is the signing secret.
    now = clock.now()  # one reading for the token's expiry and the signature's time window
    session = sessions.session_for(token, now)

    def secret_for(access_key_id: str) -> str | None:
        matches = access_key_id.startswith(TEMPORARY_PREFIX) and hmac.compare_digest(
            access_key_id, session.access_key_id)
        return session.secret_access_key if matches else None

    verified = sigv4.verify(request, now, secret_for, service, allow_unsigned_payload=unsigned_payload)
    if verified.session_token != token:
        raise invalid_token()
    check_session_reach(session, service, action)
    if session.is_role_session:
        sessions.touch_role(session.principal_id, verified.region)  # RoleLastUsed, like a key's last use
    return sessions.caller_for(token, session, verified.region)


def check_session_reach(session: SessionToken, service: str, action: str | None) -> None:
    """Refuse a call that credentials of this origin may not make, as AWS does.

    GetSessionToken credentials reach IAM only when MFA was used to get them
    (AWS answers `InvalidClientTokenId` otherwise) and, MFA or not, call no STS
    action but AssumeRole and GetCallerIdentity (`AccessDenied`).
    GetFederationToken credentials never reach IAM (`InvalidClientTokenId`)
    and call no STS action but GetCallerIdentity. Role sessions are limited
    by their policies alone.
    """
    if session.is_role_session:
        return
    allowed_sts = FEDERATED_SESSION_STS_ACTIONS if session.is_federated else USER_SESSION_STS_ACTIONS
    if service == "iam" and (session.is_federated or session.mfa_auth_time is None):
        _audit_reach(session, service, "iam from a federated user" if session.is_federated else "iam without MFA")
        raise invalid_token()
    if service == "sts" and action is not None and action not in allowed_sts:
        _audit_reach(session, action, f"sts action outside {', '.join(sorted(allowed_sts))}")
        raise AccessDenied(f"Cannot call {action.partition(':')[2]} with session credentials")


def _audit_reach(session: SessionToken, resource: str, reason: str) -> None:
    origin = "GetFederationToken" if session.is_federated else "GetSessionToken"
    audit.note("sts:SessionCredentialsOutOfReach", actor=session.principal_arn, resource=resource,
               decision="Deny", account_id=session.account_id,
               detail={"origin": origin, "mfa": session.mfa_auth_time is not None, "reason": reason})


def _touch(key: KnownKey, verified: sigv4.VerifiedSignature) -> None:
    """Record the key's last use (at most once a minute per instance), whether the request is then refused or not.

    AWS records last use on denied calls too; the write is kept like a noted audit entry (`work.keep`), and
    remembered once committed. A region not of AWS's shape is not recorded (the report shows N/A).
    """
    now = clock.now()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_GRANULARITY:
        return
    values = {"last_used_at": now, "last_used_service": verified.service,
              "last_used_region": sigv4.aws_region(verified.region)}
    work.keep(
        lambda: db.session.execute(update(AccessKey).where(AccessKey.access_key_id == key.access_key_id)
                                   .values(values).execution_options(synchronize_session=False)),
        lambda: _cache().put(key.access_key_id, replace(key, last_used_at=now), version=key.version),
    )
