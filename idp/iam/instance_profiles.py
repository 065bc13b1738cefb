"""IAM instance profiles: create, read, list, delete, the one role a profile holds, tags."""
from __future__ import annotations

from typing import Sequence

from sqlalchemy import select

from idp import clock
from idp.errors import Conflict, DeleteConflict, LimitExceeded, NotFound
from idp.iam import roles
from idp.iam import tags as tagging
from idp.iam.entities import EntityKind
from idp.iam.tags import Tag
from models import db
from models.ids import unique_id
from models.instance_profile import InstanceProfile
from models.role import Role

INSTANCE_PROFILE_PREFIX = "AIPA"
# AWS's quota InstanceSessionsPerInstanceProfile: one role per profile, and it cannot be raised.
ROLES_PER_PROFILE = 1

PROFILE = EntityKind(InstanceProfile, "instance-profile")
find = PROFILE.find
resource_arn = PROFILE.resource_arn
listed = PROFILE.listed


def get(account_id: str, name: str) -> InstanceProfile:
    """The profile of that name, or NoSuchEntity in AWS's words."""
    profile = find(account_id, name)
    if profile is None:
        raise NotFound(f"Instance Profile {name} cannot be found.")
    return profile


def create(account_id: str, name: str, path: str, tags: Sequence[Tag] = ()) -> InstanceProfile:
    """A new, empty profile; EntityAlreadyExists when the name is taken (regardless of case, as at AWS)."""
    if find(account_id, name) is not None:
        raise Conflict(f"Instance Profile {name} already exists.")
    profile = InstanceProfile(
        account_id=account_id, name=name, path=path, arn=PROFILE.arn(account_id, path, name),
        instance_profile_id=unique_id(INSTANCE_PROFILE_PREFIX), tags=tagging.as_stored(tags),
        created_at=clock.now(),
    )
    db.session.add(profile)
    db.session.flush()
    return profile


def delete(profile: InstanceProfile) -> None:
    """Delete a profile that holds no role."""
    if profile.role is not None:
        raise DeleteConflict("Cannot delete entity, must remove roles from instance profile first.")
    db.session.delete(profile)


def add_role(profile: InstanceProfile, role: Role) -> None:
    """Put `role` in the profile; LimitExceeded when it holds one already, UnmodifiableEntity for a protected role."""
    roles.refuse_protected(role)
    if profile.role is not None:
        raise LimitExceeded(f"Cannot exceed quota for InstanceSessionsPerInstanceProfile: {ROLES_PER_PROFILE}")
    profile.role = role


def remove_role(profile: InstanceProfile, role: Role) -> None:
    """Take `role` out of the profile; NoSuchEntity when the profile does not hold it."""
    roles.refuse_protected(role)
    if profile.role_id != role.id:
        raise NotFound(f"The role with name {role.name} cannot be found in instance profile {profile.name}.")
    profile.role = None


def for_role(role: Role) -> list[InstanceProfile]:
    """The profiles that hold `role`, ordered by name (ListInstanceProfilesForRole)."""
    query = select(InstanceProfile).where(InstanceProfile.role_id == role.id)
    return list(db.session.scalars(query.order_by(InstanceProfile.name_lower)))


def tag(profile: InstanceProfile, new: Sequence[Tag]) -> None:
    """Add or overwrite tags (at most 50)."""
    profile.tags = tagging.merged(profile.tags, new, "instance profile")


def untag(profile: InstanceProfile, keys: Sequence[str]) -> None:
    """Remove tags by key."""
    profile.tags = tagging.without(profile.tags, keys)
