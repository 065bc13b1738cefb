"""Managed policies: lookup, documents, create, list (with usage counts), delete, tags.

A policy whose `account_id` is NULL is AWS-managed (`arn:aws:iam::aws:policy/...`):
every account sees it, no account may change or delete it.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Sequence
from urllib.parse import unquote

from sqlalchemy import func, or_, select

from idp import clock
from idp import policy as engine
from idp.authz.policy_store import refusing_malformed
from idp.errors import AccessDenied, Conflict, DeleteConflict, LimitExceeded, NotFound
from idp.iam import tags as tagging
from idp.iam.names import arn
from idp.iam.tags import Tag
from models import db
from models.group import Group, group_policy_attachments
from models.ids import POLICY_PREFIX, unique_id
from models.policy import ManagedPolicy, PolicyVersion
from models.role import Role, role_policy_attachments
from models.user import User, user_policy_attachments

SCOPES = ("All", "AWS", "Local")
USAGE_FILTERS = ("PermissionsPolicy", "PermissionsBoundary")


@dataclass(frozen=True)
class Usage:
    """How often an account uses a policy: attached to users/groups/roles, and as a boundary."""

    attachments: int = 0
    boundaries: int = 0


def find_by_arn(account_id: str, policy_arn: str) -> ManagedPolicy | None:
    """A policy of this account, or an AWS-managed policy, with that ARN."""
    return db.session.scalar(
        select(ManagedPolicy).where(
            ManagedPolicy.arn == policy_arn,
            or_(ManagedPolicy.account_id == account_id, ManagedPolicy.account_id.is_(None)),
        )
    )


def get_attachable(account_id: str, policy_arn: str) -> ManagedPolicy:
    """The policy to attach or use as a boundary, or NoSuchEntity as AWS words it."""
    policy = find_by_arn(account_id, policy_arn)
    if policy is None or not policy.is_attachable:
        raise NotFound(f"Policy {policy_arn} does not exist or is not attachable.")
    return policy


def get(account_id: str, policy_arn: str) -> ManagedPolicy:
    """The policy with that ARN, or NoSuchEntity."""
    policy = find_by_arn(account_id, policy_arn)
    if policy is None:
        raise NotFound(f"Policy {policy_arn} was not found.")
    return policy


def get_customer_managed(account_id: str, policy_arn: str, caller_arn: str, action: str) -> ManagedPolicy:
    """The policy to change; an AWS-managed policy is refused as AWS refuses it (AccessDenied)."""
    policy = get(account_id, policy_arn)
    if policy.is_aws_managed:
        raise AccessDenied(
            f"User: {caller_arn} is not authorized to perform: {action} on resource: {policy_arn} "
            "because AWS managed policies cannot be changed"
        )
    return policy


def document_size(document: str) -> int:
    """Characters that count towards IAM's size quotas (whitespace does not)."""
    return sum(1 for ch in document if not ch.isspace())


def decoded(document: str) -> str:
    """The JSON text of a document that may have been sent URL-encoded."""
    return document if document.lstrip().startswith("{") else unquote(document)


def checked_document(document: str, kind: engine.PolicyKind, policy_id: str) -> str:
    """The document's JSON text when IAM would store it as a `kind` policy; else MalformedPolicyDocument.

    Every document the IAM API stores enters here (managed, inline, trust),
    so the rules IAM adds for new documents apply (`entering`).
    """
    with refusing_malformed():
        engine.parse_policy(document, kind, policy_id, entering=True)
    return document


def managed_document(document: str, policy_id: str) -> str:
    """A managed policy document: LimitExceeded over 6,144 characters, else checked by the engine."""
    text = decoded(document)
    limit = engine.PolicyKind.MANAGED.size_limit
    if document_size(text) > limit:
        raise LimitExceeded(f"Cannot exceed quota for PolicySize: {limit}")
    return checked_document(text, engine.PolicyKind.MANAGED, policy_id)


def create(
    account_id: str, name: str, path: str, document: str, description: str | None, tags: Sequence[Tag]
) -> ManagedPolicy:
    """A new customer-managed policy with its first version `v1` as the default."""
    policy_arn = arn(account_id, "policy", path, name)
    text = managed_document(document, policy_arn)
    taken = select(ManagedPolicy.id).where(
        ManagedPolicy.account_id == account_id, ManagedPolicy.name_lower == name.lower()
    )
    if db.session.scalar(taken) is not None:
        raise Conflict(f"A policy called {name} already exists. Duplicate names are not allowed.")
    now = clock.now()
    policy = ManagedPolicy(
        account_id=account_id, name=name, path=path, policy_id=unique_id(POLICY_PREFIX), arn=policy_arn,
        description=description, default_version_id="v1", is_attachable=True, tags=tagging.as_stored(tags),
        created_at=now, updated_at=now,
    )
    policy.versions.append(PolicyVersion(version_id="v1", document=text, is_default=True, created_at=now))
    db.session.add(policy)
    db.session.flush()
    return policy


def usage(account_id: str) -> dict[int, Usage]:
    """Usage of every policy the account's users, groups and roles hold, by policy primary key."""
    attached: dict[int, int] = defaultdict(int)
    bounding: dict[int, int] = defaultdict(int)
    holders = ((user_policy_attachments, User), (group_policy_attachments, Group), (role_policy_attachments, Role))
    for table, model in holders:
        holder_column = next(c for c in table.c if c.name != "policy_id")
        query = (
            select(table.c.policy_id, func.count())
            .join(model, model.id == holder_column)
            .where(model.account_id == account_id)
            .group_by(table.c.policy_id)
        )
        for policy_pk, count in db.session.execute(query):
            attached[policy_pk] += count
    for model in (User, Role):
        query = (
            select(model.boundary_policy_id, func.count())
            .where(model.account_id == account_id, model.boundary_policy_id.is_not(None))
            .group_by(model.boundary_policy_id)
        )
        for policy_pk, count in db.session.execute(query):
            bounding[policy_pk] += count
    return {pk: Usage(attached[pk], bounding[pk]) for pk in set(attached) | set(bounding)}


def usage_of(account_id: str, policy: ManagedPolicy) -> Usage:
    """AttachmentCount and PermissionsBoundaryUsageCount of one policy, as the account sees them."""
    return usage(account_id).get(policy.id, Usage())


def _used(found: Usage, usage_filter: str | None) -> bool:
    if usage_filter == "PermissionsPolicy":
        return found.attachments > 0
    if usage_filter == "PermissionsBoundary":
        return found.boundaries > 0
    return found.attachments > 0 or found.boundaries > 0


def listed(
    account_id: str, scope: str, path_prefix: str, only_attached: bool, usage_filter: str | None
) -> list[tuple[ManagedPolicy, Usage]]:
    """Policies the account sees, ordered by name then ARN, each with its usage."""
    owners = {
        "All": or_(ManagedPolicy.account_id == account_id, ManagedPolicy.account_id.is_(None)),
        "AWS": ManagedPolicy.account_id.is_(None),
        "Local": ManagedPolicy.account_id == account_id,
    }
    query = select(ManagedPolicy).where(owners[scope], ManagedPolicy.path.startswith(path_prefix, autoescape=True))
    counts = usage(account_id)
    found = [(p, counts.get(p.id, Usage())) for p in db.session.scalars(query)]
    if only_attached:
        found = [(p, u) for p, u in found if _used(u, usage_filter)]
    return sorted(found, key=lambda item: (item[0].name_lower, item[0].arn))


def delete(policy: ManagedPolicy) -> None:
    """Delete a customer-managed policy that nothing uses and that has only its default version."""
    in_use = usage_of(policy.account_id, policy)
    if in_use.attachments or in_use.boundaries:
        raise DeleteConflict("Cannot delete a policy attached to entities.")
    if len(policy.versions) > 1:
        raise DeleteConflict(
            "This policy has more than one version. Before you delete a policy, you must delete the "
            "policy's versions. The default version is deleted with the policy."
        )
    db.session.delete(policy)
    db.session.flush()


def tag(policy: ManagedPolicy, new: Sequence[Tag]) -> None:
    """Add or overwrite tags on a policy."""
    policy.tags = tagging.merged(policy.tags, new, "policy")


def untag(policy: ManagedPolicy, keys: Sequence[str]) -> None:
    """Remove tags from a policy."""
    policy.tags = tagging.without(policy.tags, keys)
