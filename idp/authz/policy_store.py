"""Loads the policies that bear on a principal, parsed once, cached until the account's authz version moves.

Long-term keys read `accounts.authz_version` (one indexed row) per request.
Temporary credentials read it at most once per `IDP_AUTHZ_REFRESH_SECONDS`
(`fresh_authz_version`), so a warm request signed with them touches no
database; a change made on this instance (`bump_authz_version`) drops this
instance's view of the version at once and again when it commits.
"""
from __future__ import annotations

import functools
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterator, TypeVar

from flask import current_app, has_app_context
from sqlalchemy import bindparam, event, or_, select, update
from sqlalchemy.orm import Session

from idp.cache import Cache, app_cache
from idp.errors import MalformedPolicyDocument
from idp.policy import MalformedPolicyDocument as EngineMalformed
from idp.policy import Policy, PolicyKind, PolicySet, parse_policy
from models import db
from models.account import Account
from models.group import Group
from models.policy import ManagedPolicy, PolicyVersion
from models.role import Role
from models.user import User

MAX_CACHED_PRINCIPALS = 10_000
AUTHZ_VERSIONS = "idp.authz_versions"
_MISSING = object()  # a cached None is an answer (the role or policy is gone), not a miss


def _cache() -> Cache:
    """Policy sets, role snapshots and session policies by principal, each at the authz version it was read at."""
    return app_cache("idp.policy_cache", MAX_CACHED_PRINCIPALS)


T = TypeVar("T")


def cached(key: tuple, version: int, load: Callable[[], T]) -> T:
    """What `load` returns, read once per (key, authz version) into this app's policy cache (None included)."""
    cache = _cache()
    found = cache.get(key, version=version, default=_MISSING)
    if found is not _MISSING:
        return found
    return cache.put(key, load(), version=version)


@contextmanager
def refusing_malformed(what: str | None = None) -> Iterator[None]:
    """The one translation of the engine's `MalformedPolicyDocument` into the API's (HTTP 400
    MalformedPolicyDocument), with `what` ("scope read", ...) before the engine's message when given."""
    try:
        yield
    except EngineMalformed as error:
        raise MalformedPolicyDocument(f"{what}: {error.message}" if what else error.message) from None


@functools.lru_cache(maxsize=8192)
def parsed(document: str, kind: PolicyKind, policy_id: str) -> Policy:
    """Parse a stored document once per (text, kind, id)."""
    return parse_policy(document, kind, policy_id)


def _versions() -> Cache[tuple[int, float]]:
    """account -> (its authz version, the monotonic time it was read)."""
    return app_cache(AUTHZ_VERSIONS, MAX_CACHED_PRINCIPALS)


# A Core statement on the session's connection: this runs on every request signed with a long-term key,
# and the ORM's execution path would cost more than the query itself.
_VERSION_QUERY = select(Account.__table__.c.authz_version).where(Account.__table__.c.id == bindparam("account"))


def authz_version(account_id: str) -> int:
    """The account's current authz version (read now, and remembered for `fresh_authz_version`)."""
    version = db.session.connection().execute(_VERSION_QUERY, {"account": account_id}).scalar() or 0
    _versions().put(account_id, (version, time.monotonic()))
    return version


def fresh_authz_version(account_id: str) -> int:
    """The account's authz version as read within the last `IDP_AUTHZ_REFRESH_SECONDS`, else read now."""
    app = current_app._get_current_object()  # one context lookup, not two: this runs on every warm request
    versions = app.extensions.get(AUTHZ_VERSIONS)  # the app_cache of that name, once `authz_version` made it
    seen = versions.get(account_id) if versions is not None else None
    if seen is not None and time.monotonic() - seen[1] < app.config.get("IDP_AUTHZ_REFRESH_SECONDS", 1):
        return seen[0]
    return authz_version(account_id)


def bump_authz_version(account_id: str) -> None:
    """Invalidate every cached policy set of the account, on every instance."""
    db.session.execute(
        update(Account).where(Account.id == account_id).values(authz_version=Account.authz_version + 1)
    )
    _versions().pop(account_id)
    # A request racing this one may re-read the old version before we commit: forget it again then.
    db.session.info.setdefault("idp.bumped_accounts", set()).add(account_id)


@event.listens_for(Session, "after_commit")
def _forget_bumped_versions(session: Session) -> None:
    bumped = session.info.pop("idp.bumped_accounts", None)
    if bumped and has_app_context():
        versions = _versions()
        for account_id in bumped:
            versions.pop(account_id)


@event.listens_for(Session, "after_rollback")
def _keep_versions_on_rollback(session: Session) -> None:
    session.info.pop("idp.bumped_accounts", None)


def default_document(policy: ManagedPolicy) -> str:
    """The document of a managed policy's default version."""
    return db.session.scalar(
        select(PolicyVersion.document).where(PolicyVersion.policy_id == policy.id, PolicyVersion.is_default.is_(True))
    )


def managed(policy: ManagedPolicy, kind: PolicyKind = PolicyKind.MANAGED) -> Policy:
    """A managed policy's default version, parsed."""
    return parsed(default_document(policy), kind, policy.arn)


def inline_id(entity_kind: str, entity_name: str, policy_name: str) -> str:
    """A unique id for an inline policy: `user/alice/ReadOnly` (names never contain `/`)."""
    return f"{entity_kind}/{entity_name}/{policy_name}"


def group_identity(group: Group) -> list[Policy]:
    """A group's inline and attached policies."""
    found = [parsed(p.document, PolicyKind.GROUP_INLINE, inline_id("group", group.name, p.name))
             for p in group.inline_policies]
    return found + [managed(p) for p in group.attached_policies]


def user_identity(user: User) -> tuple[list[Policy], list[Policy]]:
    """(identity policies: own and groups', permissions boundary) of an IAM user."""
    identity = [parsed(p.document, PolicyKind.USER_INLINE, inline_id("user", user.name, p.name))
                for p in user.inline_policies]
    identity += [managed(p) for p in user.attached_policies]
    for group in user.groups:
        identity += group_identity(group)
    return identity, _boundary(user)


def role_identity(role: Role) -> tuple[list[Policy], list[Policy]]:
    """(identity policies, permissions boundary) of a role."""
    identity = [parsed(p.document, PolicyKind.ROLE_INLINE, inline_id("role", role.name, p.name))
                for p in role.inline_policies]
    identity += [managed(p) for p in role.attached_policies]
    return identity, _boundary(role)


def _boundary(entity) -> list[Policy]:
    return [managed(entity.boundary_policy, PolicyKind.BOUNDARY)] if entity.boundary_policy else []


def user_policies(user: User) -> PolicySet:
    """The compiled PolicySet of an IAM user."""
    identity, boundary = user_identity(user)
    return PolicySet(identity=identity, boundary=boundary)


def policies_for_user(user_pk: int, account_id: str, arn: str, version: int | None = None) -> PolicySet:
    """The cached PolicySet of an IAM user, reloaded when the account's version moved."""
    version = authz_version(account_id) if version is None else version
    cache = _cache()
    cached = cache.get((account_id, arn), version=version)
    if cached is not None:
        return cached
    return cache.put((account_id, arn), user_policies(db.session.get(User, user_pk)), version=version)


@dataclass(frozen=True)
class RoleSnapshot:
    """A role as evaluation and AssumeRole need it, cached per authz version."""

    pk: int
    account_id: str
    name: str
    arn: str
    role_id: str
    trust_policy: str
    max_session_duration: int
    tags: tuple[tuple[str, str], ...]
    last_used_at: datetime | None
    policies: PolicySet  # identity and boundary; no session policies


def _snapshot(role: Role) -> RoleSnapshot:
    identity, boundary = role_identity(role)
    return RoleSnapshot(
        role.id, role.account_id, role.name, role.arn, role.role_id, role.trust_policy, role.max_session_duration,
        tuple((tag["Key"], tag["Value"]) for tag in role.tags or []), role.last_used_at,
        PolicySet(identity=identity, boundary=boundary),
    )


def role_snapshot(account_id: str, version: int, *, name: str | None = None,
                  role_id: str | None = None) -> RoleSnapshot | None:
    """The role named `name` (case-insensitive) or with unique id `role_id`, as of `version`; None if gone."""
    key = (account_id, "role", role_id) if role_id else (account_id, "role-name", (name or "").lower())
    cache = _cache()
    cached = cache.get(key, version=version, default=_MISSING)
    if cached is not _MISSING:
        return cached
    condition = Role.role_id == role_id if role_id else Role.name_lower == (name or "").lower()
    role = db.session.scalar(select(Role).where(Role.account_id == account_id, condition))
    return cache.put(key, _snapshot(role) if role is not None else None, version=version)


def session_policy(account_id: str, policy_arn: str, version: int) -> Policy | None:
    """A managed policy named in `PolicyArns`, parsed as a session policy; None when it no longer exists."""
    key = (account_id, "session-policy", policy_arn)
    cache = _cache()
    cached = cache.get(key, version=version, default=_MISSING)
    if cached is not _MISSING:
        return cached
    policy = db.session.scalar(select(ManagedPolicy).where(
        ManagedPolicy.arn == policy_arn,
        or_(ManagedPolicy.account_id == account_id, ManagedPolicy.account_id.is_(None)),
    ))
    return cache.put(key, managed(policy, PolicyKind.SESSION) if policy is not None else None, version=version)


def clear_cache() -> None:
    """Forget every cached policy set of this app."""
    _cache().clear()
    _versions().clear()
