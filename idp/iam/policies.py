"""Managed policies: lookup by ARN (more actions arrive with the policies family)."""
from __future__ import annotations

from sqlalchemy import or_, select

from idp.errors import NotFound
from models import db
from models.policy import ManagedPolicy


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
