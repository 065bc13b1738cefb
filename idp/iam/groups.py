"""IAM groups: create, read, rename, delete (with AWS's DeleteConflict rules), membership."""
from __future__ import annotations

from sqlalchemy import select

from idp import clock
from idp.errors import Conflict, DeleteConflict, LimitExceeded, NotFound
from idp.iam.names import arn
from models import db
from models.group import Group
from models.ids import GROUP_PREFIX, unique_id
from models.user import User

# IAM quota: a user can be a member of at most 10 groups.
MAX_GROUPS_PER_USER = 10


def find(account_id: str, name: str) -> Group | None:
    """The group of that name (case-insensitive, as at AWS), or None."""
    return db.session.scalar(select(Group).where(Group.account_id == account_id, Group.name_lower == name.lower()))


def get(account_id: str, name: str) -> Group:
    """The group of that name, or NoSuchEntity."""
    group = find(account_id, name)
    if group is None:
        raise NotFound(f"The group with name {name} cannot be found.")
    return group


def resource_arn(account_id: str, name: str) -> str:
    """The ARN a request about group `name` is authorized on (path known only if it exists)."""
    group = find(account_id, name)
    return group.arn if group else arn(account_id, "group", "/", name)


def create(account_id: str, name: str, path: str) -> Group:
    """A new group; EntityAlreadyExists when the name is taken in the account."""
    if find(account_id, name) is not None:
        raise Conflict(f"Group with name {name} already exists.")
    group = Group(
        account_id=account_id, name=name, path=path, group_id=unique_id(GROUP_PREFIX),
        arn=arn(account_id, "group", path, name), created_at=clock.now(),
    )
    db.session.add(group)
    db.session.flush()
    return group


def listed(account_id: str, path_prefix: str) -> list[Group]:
    """Groups under `path_prefix`, ordered by name."""
    query = select(Group).where(Group.account_id == account_id, Group.path.startswith(path_prefix, autoescape=True))
    return list(db.session.scalars(query.order_by(Group.name_lower)))


def members(group: Group) -> list[User]:
    """The group's users, ordered by name."""
    return sorted(group.users, key=lambda user: user.name_lower)


def of_user(user: User) -> list[Group]:
    """The groups a user belongs to, ordered by name."""
    return sorted(user.groups, key=lambda group: group.name_lower)


def update(group: Group, new_name: str | None, new_path: str | None) -> None:
    """Rename and/or move a group; the ARN follows."""
    if new_name and new_name.lower() != group.name_lower and find(group.account_id, new_name) is not None:
        raise Conflict(f"Group with name {new_name} already exists.")
    group.name = new_name or group.name
    group.path = new_path or group.path
    group.arn = arn(group.account_id, "group", group.path, group.name)


def delete(group: Group) -> None:
    """Delete a group that has no members and no policies, as AWS requires."""
    blockers = [
        (bool(group.users), "must remove users from group first"),
        (bool(group.attached_policies), "must detach all policies first"),
        (bool(group.inline_policies), "must delete policies first"),
    ]
    for blocked, what in blockers:
        if blocked:
            raise DeleteConflict(f"Cannot delete entity, {what}.")
    db.session.delete(group)


def add_user(group: Group, user: User) -> None:
    """Make `user` a member; adding a member again changes nothing, as at AWS."""
    if user in group.users:
        return
    if len(user.groups) >= MAX_GROUPS_PER_USER:
        raise LimitExceeded(f"Cannot exceed quota for GroupsPerUser: {MAX_GROUPS_PER_USER}")
    group.users.append(user)
    db.session.flush()


def remove_user(group: Group, user: User) -> None:
    """End a membership; removing a non-member changes nothing, as at AWS."""
    if user in group.users:
        group.users.remove(user)
        db.session.flush()
