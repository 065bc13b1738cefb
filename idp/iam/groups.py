"""IAM groups: create, read, rename, delete (with AWS's DeleteConflict rules), membership."""
from __future__ import annotations

from idp import clock
from idp.errors import DeleteConflict, LimitExceeded
from idp.iam.entities import EntityKind
from models import db
from models.group import Group
from models.ids import GROUP_PREFIX, unique_id
from models.user import User

# IAM quota: a user can be a member of at most 10 groups.
MAX_GROUPS_PER_USER = 10

GROUP = EntityKind(Group, "group")
find = GROUP.find
get = GROUP.get
resource_arn = GROUP.resource_arn
listed = GROUP.listed
update = GROUP.rename


def create(account_id: str, name: str, path: str) -> Group:
    """A new group; EntityAlreadyExists when the name is taken in the account."""
    GROUP.refuse_taken(account_id, name)
    group = Group(
        account_id=account_id, name=name, path=path, group_id=unique_id(GROUP_PREFIX),
        arn=GROUP.arn(account_id, path, name), created_at=clock.now(),
    )
    db.session.add(group)
    db.session.flush()
    return group


def members(group: Group) -> list[User]:
    """The group's users, ordered by name."""
    return sorted(group.users, key=lambda user: user.name_lower)


def of_user(user: User) -> list[Group]:
    """The groups a user belongs to, ordered by name."""
    return sorted(user.groups, key=lambda group: group.name_lower)


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
