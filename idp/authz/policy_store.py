"""Loads the policies that bear on a principal, parsed once, cached until the account's authz version moves.

Every instance reads `accounts.authz_version` (one indexed row) per decision;
any IAM change that feeds evaluation bumps it, so a policy change takes effect
on the next request everywhere.
"""
from __future__ import annotations

import functools
import threading

from flask import current_app
from sqlalchemy import select, update

from idp.policy import Policy, PolicyKind, PolicySet, parse_policy
from models import db
from models.account import Account
from models.policy import ManagedPolicy, PolicyVersion
from models.group import Group
from models.role import Role
from models.user import User

MAX_CACHED_PRINCIPALS = 10_000

_lock = threading.Lock()


def _cache() -> dict[tuple[str, str], tuple[int, PolicySet]]:
    # Per app, so two apps in one process (tests) never share entries.
    return current_app.extensions.setdefault("idp.policy_cache", {})


@functools.lru_cache(maxsize=8192)
def parsed(document: str, kind: PolicyKind, policy_id: str) -> Policy:
    """Parse a stored document once per (text, kind, id)."""
    return parse_policy(document, kind, policy_id)


def authz_version(account_id: str) -> int:
    """The account's current authz version."""
    return db.session.scalar(select(Account.authz_version).where(Account.id == account_id)) or 0


def bump_authz_version(account_id: str) -> None:
    """Invalidate every cached policy set of the account, on every instance."""
    db.session.execute(
        update(Account).where(Account.id == account_id).values(authz_version=Account.authz_version + 1)
    )


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
    cached = cache.get((account_id, arn))
    if cached is not None and cached[0] == version:
        return cached[1]
    policy_set = user_policies(db.session.get(User, user_pk))
    with _lock:
        if len(cache) >= MAX_CACHED_PRINCIPALS:
            cache.clear()
        cache[(account_id, arn)] = (version, policy_set)
    return policy_set


def clear_cache() -> None:
    """Forget every cached policy set of this app."""
    _cache().clear()
