"""Temporary credentials: issue role and user sessions, and resolve a presented token to its caller.

A presented token is opened once and cached per app with the caller it
resolved to; the caller is rebuilt only when the account's authz version
moves (checked at most once per `IDP_AUTHZ_REFRESH_SECONDS`), so a warm
request with temporary credentials reads nothing from the database.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Mapping, Sequence

from flask import current_app
from sqlalchemy import select, update

from idp import clock
from idp.authz.policy_store import (
    fresh_authz_version,
    parsed,
    policies_for_user,
    role_snapshot,
    session_policy,
)
from idp.authz.principals import Caller, root_principal, user_principal
from idp.errors import AccessDenied
from idp.policy import Policy, PolicyKind, PolicySet, PrincipalType, RequestPrincipal
from idp.sts.session_tokens import (
    ROLE_SESSION,
    USER_SESSION,
    WEB_IDENTITY_SESSION,
    SessionToken,
    expired_token,
    invalid_token,
    key_is_live,
    new_secret,
    open_token,
    seal,
    temporary_access_key_id,
    token_kid,
)
from models import db
from models.role import Role
from models.user import User

MAX_CACHED_SESSIONS = 10_000
LAST_USED_GRANULARITY = timedelta(minutes=1)
INLINE_SESSION_POLICY_ID = "session-policy"
# Stands in for a PolicyArns entry that no longer exists: the session stays limited, to nothing.
_NOTHING = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"*","Resource":"*"}]}'
_lock = threading.Lock()


@dataclass(frozen=True)
class IssuedCredentials:
    """What AssumeRole* and GetSessionToken return as `Credentials`."""

    access_key_id: str  # ASIA + 16
    secret_access_key: str
    session_token: str
    expiration: datetime

    def as_shape(self) -> dict:
        """The `Credentials` structure of the STS API."""
        return {"AccessKeyId": self.access_key_id, "SecretAccessKey": self.secret_access_key,
                "SessionToken": self.session_token, "Expiration": self.expiration}


def assumed_role_arn(account_id: str, role_name: str, session_name: str) -> str:
    """`arn:aws:sts::A:assumed-role/R/S` (the role's path is not part of it, as at AWS)."""
    return f"arn:aws:sts::{account_id}:assumed-role/{role_name}/{session_name}"


def _issue(session: SessionToken) -> IssuedCredentials:
    return IssuedCredentials(session.access_key_id, session.secret_access_key, seal(session), session.expires)


def issue_role_session(*, role, session_name: str, duration: int, source_identity: str | None = None,
                       session_policies: Sequence[str] = (), policy_arns: Sequence[str] = (),
                       tags: Mapping[str, str] | None = None, transitive_tag_keys: Sequence[str] = (),
                       mfa_auth_time: datetime | None = None, web_identity: Mapping[str, object] | None = None,
                       principal_kind: str = "AssumedRole") -> tuple[IssuedCredentials, str, str]:
    """-> (credentials, assumed-role ARN arn:aws:sts::A:assumed-role/R/S, assumed role id AROA...:S)"""
    issued = int(clock.now().timestamp())
    kind = WEB_IDENTITY_SESSION if web_identity else (principal_kind if principal_kind != USER_SESSION else ROLE_SESSION)
    session = SessionToken(
        account_id=role.account_id, kind=kind, principal_arn=role.arn, principal_id=role.role_id,
        session_name=session_name, issued_at=issued, expires_at=issued + duration,
        access_key_id=temporary_access_key_id(role.account_id), secret_access_key=new_secret(),
        policies=tuple(session_policies), policy_arns=tuple(policy_arns), tags=tuple((tags or {}).items()),
        transitive_tag_keys=tuple(transitive_tag_keys), source_identity=source_identity,
        mfa_auth_time=int(mfa_auth_time.timestamp()) if mfa_auth_time else None,
        web_identity=dict(web_identity) if web_identity else None,
    )
    arn = assumed_role_arn(role.account_id, role.name, session_name)
    return _issue(session), arn, f"{role.role_id}:{session_name}"


def issue_user_session(caller: Caller, duration: int, mfa_auth_time: datetime | None) -> IssuedCredentials:
    """GetSessionToken: a session that acts as the calling user (or root) itself."""
    issued = int(clock.now().timestamp())
    principal = caller.principal
    return _issue(SessionToken(
        account_id=caller.account_id, kind=USER_SESSION, principal_arn=principal.arn,
        principal_id=principal.user_id or caller.account_id, session_name=principal.username or "",
        issued_at=issued, expires_at=issued + duration,
        access_key_id=temporary_access_key_id(caller.account_id), secret_access_key=new_secret(),
        mfa_auth_time=int(mfa_auth_time.timestamp()) if mfa_auth_time else None,
    ))


@dataclass(frozen=True)
class _Resolved:
    session: SessionToken
    kid: str
    version: int | None  # None until resolved
    caller: Caller | None


def _sessions() -> dict[str, _Resolved]:
    return current_app.extensions.setdefault("idp.session_cache", {})


def _remember(token: str, entry: _Resolved) -> None:
    cache = _sessions()
    with _lock:
        if len(cache) >= MAX_CACHED_SESSIONS:
            cache.clear()
        cache[token] = entry


def session_for(token: str, now: datetime | None = None) -> SessionToken:
    """The unexpired session sealed in `token` (at `now`, default the clock); InvalidClientTokenId or ExpiredToken."""
    entry = _sessions().get(token)
    if entry is None:
        entry = _Resolved(open_token(token), token_kid(token), None, None)
        _remember(token, entry)
    elif not key_is_live(entry.kid):
        raise invalid_token()  # its key expired (tokens normally expire long before their key does)
    if (now or clock.now()).timestamp() >= entry.session.expires_at:
        raise expired_token()
    return entry.session


def caller_for(token: str, session: SessionToken, region: str) -> Caller:
    """The caller `session` stands for, rebuilt only when its account's authz version moved."""
    version = fresh_authz_version(session.account_id)
    entry = _sessions().get(token)
    if entry is None or entry.version != version or entry.caller is None:
        entry = _Resolved(session, entry.kid if entry else token_kid(token), version, _resolve(session, version))
        _remember(token, entry)
    caller = entry.caller
    return caller if caller.region == region else replace(caller, region=region)


def session_keys(session: SessionToken) -> dict[str, object]:
    """The condition keys a session supplies to every request made with it."""
    keys: dict[str, object] = {
        "aws:TokenIssueTime": session.issued.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:MultiFactorAuthPresent": session.mfa_auth_time is not None,
    }
    if session.source_identity:
        keys["aws:SourceIdentity"] = session.source_identity
    for name, value in (session.web_identity or {}).items():
        keys["aws:FederatedProvider" if name == "provider" else name] = value
    return keys


def _resolve(session: SessionToken, version: int) -> Caller:
    mfa = datetime.fromtimestamp(session.mfa_auth_time, timezone.utc) if session.mfa_auth_time else None
    common = dict(access_key_id=session.access_key_id, authz_version=version, session=session,
                  session_keys=session_keys(session), mfa_auth_time=mfa)
    if not session.is_role_session:
        if session.principal_id == session.account_id:
            return Caller(root_principal(session.account_id), policies=PolicySet(), **common)
        user = db.session.scalar(select(User).where(User.user_id == session.principal_id,
                                                    User.account_id == session.account_id))
        if user is None:
            raise invalid_token()
        policies = policies_for_user(user.id, user.account_id, user.arn, version)
        return Caller(user_principal(user), user_pk=user.id, policies=policies, **common)
    role = role_snapshot(session.account_id, version, role_id=session.principal_id)
    # A deleted role's sessions keep authenticating but no longer have any identity policy.
    base = role.policies if role is not None else PolicySet()
    limits = _session_policies(session, version)
    policies = base if not limits else PolicySet(
        identity=base.identity.policies, boundary=base.boundary.policies, session=limits)
    tags = {key.lower(): (key, value) for key, value in (role.tags if role else ())}
    tags.update({key.lower(): (key, value) for key, value in session.tags})  # session tags win, any case
    principal = RequestPrincipal.of(
        assumed_role_arn(session.account_id, session.role_name, session.session_name), session.account_id,
        PrincipalType.ASSUMED_ROLE, user_id=f"{session.principal_id}:{session.session_name}",
        tags=dict(tags.values()), role_arn=role.arn if role else session.principal_arn,
    )
    return Caller(principal, policies=policies, **common)


def _session_policies(session: SessionToken, version: int) -> list[Policy]:
    found = [parsed(text, PolicyKind.SESSION, INLINE_SESSION_POLICY_ID) for text in session.policies]
    for arn in session.policy_arns:
        policy = session_policy(session.account_id, arn, version)
        found.append(policy if policy is not None else parsed(_NOTHING, PolicyKind.SESSION, arn))
    return found


def touch_role(role, region: str) -> None:
    """Record the role's last use (at most once a minute per role and instance, like access keys)."""
    now = clock.now()
    seen = current_app.extensions.setdefault("idp.role_last_used", {})
    last = seen.get(role.role_id, role.last_used_at)
    if last is not None and now - clock.as_utc(last) < LAST_USED_GRANULARITY:
        return
    db.session.execute(update(Role).where(Role.role_id == role.role_id)
                       .values(last_used_at=now, last_used_region=region)
                       .execution_options(synchronize_session=False))
    with _lock:
        if len(seen) >= MAX_CACHED_SESSIONS:
            seen.clear()
        seen[role.role_id] = now


def verified_mfa(caller: Caller, serial: str | None, code: str | None, *, surface: str,
                 address: str | None = None) -> datetime | None:
    """The MFA time this request proves (now) with the caller's own virtual device; None without MFA.

    AccessDenied as AWS words it when only one of the two is given, the device
    is not the caller's, or the code is wrong or already used in its time step;
    TooManyRequests while the caller's or the device's factor checks back off
    (the shared throttle of `idp.iam.factor_checks`: the code is not checked then).
    """
    if serial is None and code is None:
        return None
    if serial is None or code is None:
        raise AccessDenied("MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code.")
    from idp.iam import factor_checks, mfa_devices  # the IAM services own the devices and their checks

    device = mfa_devices.find(caller.account_id, serial)
    owned = device is not None and (device.user_id is None if caller.is_root else device.user_id == caller.user_pk)
    refusal = lambda: factor_checks.FactorRefused(factor_checks.STS_WRONG_CODE)  # noqa: E731
    if caller.session is not None and caller.session.is_role_session:
        # A role session owns no device: nothing to guess at, refused unchecked (audited, not counted).
        factor_checks.refuse(caller.account_id, caller.principal.arn, surface, refusal())
    usable = owned and device.kind == "virtual" and device.is_enabled
    who = factor_checks.Attempt(
        account_id=caller.account_id, user_id=None if caller.is_root else caller.user_pk,
        actor=caller.principal.arn, surface=surface, address=address,
        devices=(device,) if usable else (),  # someone else's device is never counted, nor checked
    )
    if not usable:
        factor_checks.attempt(who, lambda: None, method="totp", refusal=refusal)
    factor_checks.totp_code(who, code, refusal=refusal)
    return clock.now()
