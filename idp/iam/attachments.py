"""Managed policies attached to users, groups and roles; who holds a policy (ListEntitiesForPolicy)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Union

from sqlalchemy import select

from idp.errors import LimitExceeded, NotFound
from idp.iam import groups, roles, users
from idp.policy import PolicyKind
from models import db
from models.group import Group
from models.policy import ManagedPolicy
from models.role import Role
from models.user import User

Holder = Union[User, Group, Role]
MAX_ATTACHED = 10
# ListEntitiesForPolicy's EntityFilter values naming a kind of holder.
ENTITY_FILTERS = ("User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy")


@dataclass(frozen=True)
class HolderKind:
    """What differs between users, groups and roles when they hold policies."""

    name: str  # "user": the ARN's resource type and the word in AWS's messages
    title: str  # "User": the prefix of `UserName`, `AttachUserPolicy`, `PoliciesPerUser`
    model: type
    inline_kind: PolicyKind
    find: Callable[[str, str], Holder | None]
    get: Callable[[str, str], Holder]
    resource_arn: Callable[[str, str], str]
    max_name: int  # the longest `<Title>Name` the IAM API model accepts

    @property
    def name_param(self) -> str:
        """The request parameter naming the holder: `UserName`, `GroupName`, `RoleName`."""
        return f"{self.title}Name"


USER = HolderKind("user", "User", User, PolicyKind.USER_INLINE, users.find, users.get, users.resource_arn, 64)
GROUP = HolderKind("group", "Group", Group, PolicyKind.GROUP_INLINE, groups.find, groups.get, groups.resource_arn, 128)
ROLE = HolderKind("role", "Role", Role, PolicyKind.ROLE_INLINE, roles.find, roles.get, roles.resource_arn, 64)
KINDS = (USER, GROUP, ROLE)


def attach(kind: HolderKind, holder: Holder, policy: ManagedPolicy) -> None:
    """Attach a managed policy; attaching it again changes nothing; at most ten per holder."""
    if policy in holder.attached_policies:
        return
    if len(holder.attached_policies) >= MAX_ATTACHED:
        raise LimitExceeded(f"Cannot exceed quota for PoliciesPer{kind.title}: {MAX_ATTACHED}")
    holder.attached_policies.append(policy)
    db.session.flush()


def detach(holder: Holder, policy_arn: str) -> None:
    """Detach the policy with that ARN; NoSuchEntity when it is not attached."""
    policy = next((p for p in holder.attached_policies if p.arn == policy_arn), None)
    if policy is None:
        raise NotFound(f"Policy {policy_arn} was not found.")
    holder.attached_policies.remove(policy)
    db.session.flush()


def attached(holder: Holder, path_prefix: str) -> list[ManagedPolicy]:
    """The holder's managed policies under `path_prefix`, ordered by name then ARN."""
    found = [p for p in holder.attached_policies if p.path.startswith(path_prefix)]
    return sorted(found, key=lambda p: (p.name_lower, p.arn))


def _holders(kind: HolderKind, account_id: str, policy: ManagedPolicy, usage_filter: str | None, path_prefix: str):
    model = kind.model
    found: list[Holder] = []
    if usage_filter in (None, "PermissionsPolicy"):
        query = select(model).where(
            model.account_id == account_id, model.attached_policies.contains(policy),
            model.path.startswith(path_prefix, autoescape=True),
        )
        found += db.session.scalars(query)
    if usage_filter in (None, "PermissionsBoundary") and hasattr(model, "boundary_policy_id"):
        query = select(model).where(
            model.account_id == account_id, model.boundary_policy_id == policy.id,
            model.path.startswith(path_prefix, autoescape=True),
        )
        found += [h for h in db.session.scalars(query) if h not in found]
    return found


def entities_for(
    account_id: str, policy: ManagedPolicy, entity_filter: str | None, path_prefix: str, usage_filter: str | None
) -> list[tuple[HolderKind, Holder]]:
    """The account's users, groups and roles that use the policy, grouped by kind, ordered by name."""
    if entity_filter == "LocalManagedPolicy" and policy.is_aws_managed:
        return []
    if entity_filter == "AWSManagedPolicy" and not policy.is_aws_managed:
        return []
    wanted = [k for k in KINDS if entity_filter in (None, k.title, "LocalManagedPolicy", "AWSManagedPolicy")]
    result: list[tuple[HolderKind, Holder]] = []
    for kind in wanted:
        holders = _holders(kind, account_id, policy, usage_filter, path_prefix)
        result += [(kind, h) for h in sorted(holders, key=lambda h: h.name_lower)]
    return result
