"""Permissions boundaries of users and roles: the managed policy that caps what the entity may do."""
from __future__ import annotations

from models.policy import ManagedPolicy
from models.role import Role
from models.user import User

CONTEXT_KEY = "iam:PermissionsBoundary"


def condition_keys(boundary_arn: str | None) -> dict[str, object]:
    """`iam:PermissionsBoundary` for a request that sets, keeps or removes this boundary."""
    return {CONTEXT_KEY: boundary_arn} if boundary_arn else {}


def current_arn(entity: User | Role | None) -> str | None:
    """The ARN of the entity's boundary, if it exists and has one."""
    policy = entity.boundary_policy if entity is not None else None
    return policy.arn if policy is not None else None


def put(entity: User | Role, policy: ManagedPolicy) -> None:
    """Set (or replace) the entity's permissions boundary."""
    entity.boundary_policy = policy


def delete(entity: User | Role) -> None:
    """Remove the entity's permissions boundary; one without a boundary is left as it is, as at AWS."""
    entity.boundary_policy = None
