"""IAM roles: create with a trust policy, read, update, delete (with AWS's DeleteConflict rules), tags."""
from __future__ import annotations

from typing import Sequence

from sqlalchemy import select

from idp import clock
from idp.iam.tags import Tag
from idp.errors import Conflict, DeleteConflict, NotFound
from idp.iam import tags as tagging
from idp.iam.names import arn
from idp.iam.policies import checked_document, decoded
from idp.policy import PolicyKind
from models import db
from models.ids import ROLE_PREFIX, unique_id
from models.policy import ManagedPolicy
from models.role import Role

DEFAULT_MAX_SESSION_DURATION = 3600


def find(account_id: str, name: str) -> Role | None:
    """The role of that name (case-insensitive, as at AWS), or None."""
    return db.session.scalar(select(Role).where(Role.account_id == account_id, Role.name_lower == name.lower()))


def get(account_id: str, name: str) -> Role:
    """The role of that name, or NoSuchEntity."""
    role = find(account_id, name)
    if role is None:
        raise NotFound(f"The role with name {name} cannot be found.")
    return role


def resource_arn(account_id: str, name: str) -> str:
    """The ARN a request about role `name` is authorized on (path known only if it exists)."""
    role = find(account_id, name)
    return role.arn if role else arn(account_id, "role", "/", name)


def trust_document(text: str, role_arn: str) -> str:
    """A trust policy as IAM stores it, or MalformedPolicyDocument with the engine's message."""
    return checked_document(decoded(text), PolicyKind.TRUST, role_arn)


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
) -> Role:
    """A new role; EntityAlreadyExists when the name is taken in the account."""
    if find(account_id, name) is not None:
        raise Conflict(f"Role with name {name} already exists.")
    role_arn = arn(account_id, "role", path, name)
    role = Role(
        account_id=account_id, name=name, path=path, role_id=unique_id(ROLE_PREFIX), arn=role_arn,
        trust_policy=trust_document(trust_policy, role_arn), description=description,
        max_session_duration=max_session_duration or DEFAULT_MAX_SESSION_DURATION,
        tags=tagging.as_stored(tags), boundary_policy=boundary, created_at=clock.now(),
    )
    db.session.add(role)
    db.session.flush()
    return role


def listed(account_id: str, path_prefix: str) -> list[Role]:
    """Roles under `path_prefix`, ordered by name."""
    query = select(Role).where(Role.account_id == account_id, Role.path.startswith(path_prefix, autoescape=True))
    return list(db.session.scalars(query.order_by(Role.name_lower)))


def update(role: Role, description: str | None, max_session_duration: int | None) -> None:
    """Change the description and/or the maximum session duration; None leaves a value as it is."""
    if description is not None:
        role.description = description
    if max_session_duration is not None:
        role.max_session_duration = max_session_duration


def set_trust_policy(role: Role, text: str) -> None:
    """Replace the role's trust policy (UpdateAssumeRolePolicy)."""
    role.trust_policy = trust_document(text, role.arn)


def delete(role: Role) -> None:
    """Delete a role that holds no policies; its permissions boundary does not block, as at AWS."""
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
