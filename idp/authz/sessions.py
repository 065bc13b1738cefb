"""Temporary credentials presented back: a session token -> the session it seals -> the caller it stands for.

A presented token is opened once and cached per app with the caller it
resolved to; the caller is rebuilt only when the account's authz version
moves (checked at most once per `IDP_AUTHZ_REFRESH_SECONDS`), so a warm
request with temporary credentials reads nothing from the database. STS
(`idp.sts.sessions`) issues these tokens; authentication resolves them here.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from idp import clock, work
from idp.authz import sigv4
from idp.authz.policy_store import (
    fresh_authz_version,
    parsed,
    policies_for_user,
    role_snapshot,
    session_policy,
)
from idp.authz.principals import Caller, root_principal, user_principal
from idp.authz.session_tokens import (
    SessionToken,
    expired_token,
    invalid_token,
    key_is_live,
    open_token,
    token_kid,
)
from idp.cache import Cache, app_cache
from idp.policy import Policy, PolicyKind, PolicySet, PrincipalType, RequestPrincipal
from models import db
from models.role import Role
from models.user import User

MAX_CACHED_SESSIONS = 10_000
ROLE_LAST_USED_GRANULARITY = timedelta(minutes=1)
INLINE_SESSION_POLICY_ID = "session-policy"
# Stands in for a PolicyArns entry that no longer exists: the session stays limited, to nothing.
_NOTHING = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"*","Resource":"*"}]}'
# The root user's implicit permissions, as the identity side of a session it federated.
_EVERYTHING = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'


def assumed_role_arn(account_id: str, role_name: str, session_name: str) -> str:
    """`arn:aws:sts::A:assumed-role/R/S` (the role's path is not part of it, as at AWS)."""
    return f"arn:aws:sts::{account_id}:assumed-role/{role_name}/{session_name}"


def touch_role(role_id: str, region: str, last_used_at: datetime | None = None) -> None:
    """Record a role's last use (RoleLastUsed): its assumption, or a request signed with one of its sessions.

    Like access keys' last use: at most once a minute per role and instance, kept even when the request is then
    refused (`work.keep`); a region not of AWS's shape is not recorded.
    """
    now = clock.now()
    seen = app_cache("idp.role_last_used", MAX_CACHED_SESSIONS)
    last = seen.get(role_id, default=last_used_at)
    if last is not None and now - clock.as_utc(last) < ROLE_LAST_USED_GRANULARITY:
        return
    work.keep(lambda: db.session.execute(update(Role).where(Role.role_id == role_id)
                                         .values(last_used_at=now, last_used_region=sigv4.aws_region(region))
                                         .execution_options(synchronize_session=False)),
              lambda: seen.put(role_id, now))


def federated_user_arn(account_id: str, name: str) -> str:
    """`arn:aws:sts::A:federated-user/NAME`: the principal of a GetFederationToken session."""
    return f"arn:aws:sts::{account_id}:federated-user/{name}"


@dataclass(frozen=True)
class _Resolved:
    """An opened token, and once resolved the caller it stood for at the version it is cached with."""

    session: SessionToken
    kid: str
    caller: Caller | None  # None until resolved (cached with no version)


def _sessions() -> Cache[_Resolved]:
    return app_cache("idp.session_cache", MAX_CACHED_SESSIONS)


def session_for(token: str, now: datetime | None = None) -> SessionToken:
    """The unexpired session sealed in `token` (at `now`, default the clock); InvalidClientTokenId or ExpiredToken."""
    cache = _sessions()
    entry = cache.get(token)
    if entry is None:
        entry = cache.put(token, _Resolved(open_token(token), token_kid(token), None))
    elif not key_is_live(entry.kid):
        raise invalid_token()  # its key expired (tokens normally expire long before their key does)
    if (now or clock.now()).timestamp() >= entry.session.expires_at:
        raise expired_token()
    return entry.session


def caller_for(token: str, session: SessionToken, region: str) -> Caller:
    """The caller `session` stands for, rebuilt only when its account's authz version moved."""
    version = fresh_authz_version(session.account_id)
    cache = _sessions()
    entry = cache.get(token, version=version)
    if entry is None:
        opened = cache.get(token)
        entry = cache.put(token, _Resolved(session, opened.kid if opened else token_kid(token),
                                           _resolve(session, version)), version=version)
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
    if session.is_federated:
        return _resolve_federated(session, version, common)
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


def _resolve_federated(session: SessionToken, version: int, common: dict) -> Caller:
    """A GetFederationToken session: the federating user's policies (and boundary), always bounded by the
    session policies -- none passed is a session policy that allows nothing, as at AWS."""
    account_id = session.account_id
    if session.principal_id == account_id:  # federated by the root user: its implicit all, within the session
        base, user_tags = PolicySet(identity=[parsed(_EVERYTHING, PolicyKind.USER_INLINE, "root")]), ()
    else:
        user = db.session.scalar(select(User).where(User.user_id == session.principal_id,
                                                    User.account_id == account_id))
        if user is None:
            raise invalid_token()
        base = policies_for_user(user.id, account_id, user.arn, version)
        user_tags = tuple((tag["Key"], tag["Value"]) for tag in user.tags or [])
    limits = _session_policies(session, version) or [parsed(_NOTHING, PolicyKind.SESSION, INLINE_SESSION_POLICY_ID)]
    tags = {key.lower(): (key, value) for key, value in user_tags}
    tags.update({key.lower(): (key, value) for key, value in session.tags})  # session tags win, any case
    principal = RequestPrincipal.of(
        federated_user_arn(account_id, session.session_name), account_id, PrincipalType.FEDERATED_USER,
        user_id=f"{account_id}:{session.session_name}", tags=dict(tags.values()),
        federating_arn=session.principal_arn,
    )
    policies = PolicySet(identity=base.identity.policies, boundary=base.boundary.policies, session=limits)
    # No user_pk: the federated user is not the IAM user (it owns no keys, devices or profile of its own).
    return Caller(principal, policies=policies, **common)


def _session_policies(session: SessionToken, version: int) -> list[Policy]:
    found = [parsed(text, PolicyKind.SESSION, INLINE_SESSION_POLICY_ID) for text in session.policies]
    for arn in session.policy_arns:
        policy = session_policy(session.account_id, arn, version)
        found.append(policy if policy is not None else parsed(_NOTHING, PolicyKind.SESSION, arn))
    return found
