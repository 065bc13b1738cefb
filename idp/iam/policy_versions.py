"""Versions of a managed policy: up to five, `v1`, `v2`, ..., exactly one the default.

`ManagedPolicy.default_version_id` and `PolicyVersion.is_default` say the same
thing twice (the authorizer reads the flag); every change here keeps both in step.
"""
from __future__ import annotations

from idp import clock
from idp.errors import DeleteConflict, LimitExceeded, NotFound
from idp.iam.policies import managed_document
from models import db
from models.policy import ManagedPolicy, PolicyVersion

MAX_VERSIONS = 5


def get(policy: ManagedPolicy, version_id: str) -> PolicyVersion:
    """One version of the policy, or NoSuchEntity."""
    version = next((v for v in policy.versions if v.version_id == version_id), None)
    if version is None:
        raise NotFound(f"Policy {policy.arn} version {version_id} does not exist or is not attachable.")
    return version


def listed(policy: ManagedPolicy) -> list[PolicyVersion]:
    """The policy's versions, newest first, as AWS lists them."""
    return sorted(policy.versions, key=lambda v: _number(v.version_id), reverse=True)


def _number(version_id: str) -> int:
    return int(version_id[1:].split(".", 1)[0])


def _next_version_id(policy: ManagedPolicy) -> str:
    # Counted on the policy, not from the versions left: a deleted id never comes back.
    policy.last_version_number = max(policy.last_version_number or 1, *(_number(v.version_id) for v in policy.versions)) + 1
    return f"v{policy.last_version_number}"


def create(policy: ManagedPolicy, document: str, set_as_default: bool) -> PolicyVersion:
    """A new version; LimitExceeded when the policy already has five."""
    text = managed_document(document, policy.arn)
    if len(policy.versions) >= MAX_VERSIONS:
        raise LimitExceeded(
            f"A managed policy can have up to {MAX_VERSIONS} versions. "
            "Before you create a new version, you must delete an existing version."
        )
    version = PolicyVersion(
        version_id=_next_version_id(policy), document=text, is_default=False, created_at=clock.now()
    )
    policy.versions.append(version)
    db.session.flush()
    if set_as_default:
        set_default(policy, version.version_id)
    return version


def set_default(policy: ManagedPolicy, version_id: str) -> None:
    """Make `version_id` the version the authorizer evaluates, from the next request on."""
    chosen = get(policy, version_id)
    if chosen.is_default and policy.default_version_id == version_id:
        return
    for version in policy.versions:
        version.is_default = version is chosen
    policy.default_version_id = version_id
    policy.updated_at = clock.now()
    db.session.flush()


def delete(policy: ManagedPolicy, version_id: str) -> None:
    """Delete a non-default version."""
    version = get(policy, version_id)
    if version.is_default:
        raise DeleteConflict("Cannot delete the default version of a policy.")
    policy.versions.remove(version)
    db.session.flush()
