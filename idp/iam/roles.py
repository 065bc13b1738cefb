"""IAM roles: create with a trust policy, read, update, delete (with AWS's DeleteConflict rules), tags.

Service-linked roles (`idp.iam.service_linked_roles`) live under the reserved path `/aws-service-role/`,
which CreateRole refuses; their trust and permissions are the service's, so `refuse_protected` turns away
every change AWS turns away, even the root user's. Their description and tags stay editable, as at AWS.
"""
from __future__ import annotations

from typing import Sequence

from idp import clock
from idp.errors import DeleteConflict, UnmodifiableEntity, ValidationError
from idp.iam import tags as tagging
from idp.iam.entities import EntityKind
from idp.iam.policies import checked_document, decoded
from idp.iam.tags import Tag
from idp.policy import PolicyKind
from models import db
from models.ids import ROLE_PREFIX, unique_id
from models.policy import ManagedPolicy
from models.role import Role

DEFAULT_MAX_SESSION_DURATION = 3600
SERVICE_ROLE_PATH = "/aws-service-role/"

ROLE = EntityKind(Role, "role")
find = ROLE.find
get = ROLE.get
resource_arn = ROLE.resource_arn
listed = ROLE.listed


def trust_document(text: str, role_arn: str) -> str:
    """A trust policy as IAM stores it, or MalformedPolicyDocument with the engine's message."""
    return checked_document(decoded(text), PolicyKind.TRUST, role_arn)


def is_service_linked(entity: object) -> bool:
    """Whether `entity` is a service-linked role: only CreateServiceLinkedRole may place a role under its path."""
    # Users, groups and policies may use any path; only a role's path marks it as the service's.
    return isinstance(entity, Role) and entity.path.startswith(SERVICE_ROLE_PATH)


def refuse_protected(entity: object) -> None:
    """UnmodifiableEntity for a service-linked role, whoever asks; any other entity passes."""
    if is_service_linked(entity):
        raise UnmodifiableEntity(
            f"Cannot perform the operation on the protected role '{entity.name}' - this role is only modifiable by AWS"
        )


def create(
    account_id: str,
    name: str,
    path: str,
    trust_policy: str,
    *,
    description: str | None = None,
    max_session_duration: int | None = None,
    tags: Sequence[Tag] = (),
    boundary: ManagedPolicy | None = None,
    service_linked: bool = False,
) -> Role:
    """A new role; EntityAlreadyExists if the name is taken; the service-role path only if `service_linked`."""
    if path.startswith(SERVICE_ROLE_PATH) and not service_linked:
        raise ValidationError(
            f"Path prefix '{SERVICE_ROLE_PATH}' can only be used for AWS Service linked Roles", code="InvalidInput"
        )
    ROLE.refuse_taken(account_id, name)
    role_arn = ROLE.arn(account_id, path, name)
    role = Role(
        account_id=account_id, name=name, path=path, role_id=unique_id(ROLE_PREFIX), arn=role_arn,
        trust_policy=trust_document(trust_policy, role_arn), description=description,
        max_session_duration=max_session_duration or DEFAULT_MAX_SESSION_DURATION,
        tags=tagging.as_stored(tags), boundary_policy=boundary, created_at=clock.now(),
    )
    db.session.add(role)
    db.session.flush()
    return role


def update(role: Role, description: str | None, max_session_duration: int | None) -> None:
    """Change the description and/or the maximum session duration; None leaves a value as it is."""
    # AWS lets the account edit a service-linked role's description, and nothing else of it.
    if max_session_duration is not None:
        refuse_protected(role)
    if description is not None:
        role.description = description
    if max_session_duration is not None:
        role.max_session_duration = max_session_duration


def set_trust_policy(role: Role, text: str) -> None:
    """Replace the role's trust policy (UpdateAssumeRolePolicy); never a service-linked role's."""
    refuse_protected(role)
    role.trust_policy = trust_document(text, role.arn)


def delete(role: Role) -> None:
    """Delete a role in no instance profile and holding no policies; its boundary does not block, as at AWS."""
    refuse_protected(role)
    remove(role)


def remove(role: Role) -> None:
    """Delete the role row after AWS's DeleteConflict checks, protected or not (DeleteServiceLinkedRole)."""
    if role.instance_profiles:
        raise DeleteConflict("Cannot delete entity, must remove roles from instance profile first.")
    if role.attached_policies:
        raise DeleteConflict("Cannot delete entity, must detach all policies first.")
    if role.inline_policies:
        raise DeleteConflict("Cannot delete entity, must delete policies first.")
    db.session.delete(role)


def tag(role: Role, new: Sequence[Tag]) -> None:
    """Add or overwrite tags (at most 50)."""
    role.tags = tagging.merged(role.tags, new, "role")


def untag(role: Role, keys: Sequence[str]) -> None:
    """Remove tags by key."""
    role.tags = tagging.without(role.tags, keys)
