"""IAM users: create, read, rename, delete (with AWS's DeleteConflict rules), tags."""
from __future__ import annotations

from typing import Sequence

from sqlalchemy import bindparam, func, select

from idp import clock
from idp.iam.tags import Tag
from idp.errors import Conflict, DeleteConflict, NotFound
from idp.iam import tags as tagging
from idp.iam.names import arn
from models import db
from models.ids import USER_PREFIX, unique_id
from models.user import User


# Built once: most IAM requests look a user up by name, and building and keying the statement
# anew each time cost about as much as running it.
_BY_NAME = select(User).where(User.account_id == bindparam("account"), User.name_lower == bindparam("name"))


def find(account_id: str, name: str) -> User | None:
    """The user of that name (case-insensitive, as at AWS), or None."""
    return db.session.scalar(_BY_NAME, {"account": account_id, "name": name.lower()})


def get(account_id: str, name: str) -> User:
    """The user of that name, or NoSuchEntity."""
    user = find(account_id, name)
    if user is None:
        raise NotFound(f"The user with name {name} cannot be found.")
    return user


def resource_arn(account_id: str, name: str) -> str:
    """The ARN a request about user `name` is authorized on (path known only if it exists)."""
    user = find(account_id, name)
    return user.arn if user else arn(account_id, "user", "/", name)


def create(account_id: str, name: str, path: str, tags: Sequence[Tag], boundary=None) -> User:
    """A new user; EntityAlreadyExists when the name is taken in the account."""
    if find(account_id, name) is not None:
        raise Conflict(f"User with name {name} already exists.")
    user = User(
        account_id=account_id, name=name, path=path, user_id=unique_id(USER_PREFIX),
        arn=arn(account_id, "user", path, name), tags=tagging.as_stored(tags),
        boundary_policy=boundary, created_at=clock.now(),
    )
    db.session.add(user)
    db.session.flush()
    return user


# ListUsers shows only these: rows of them skip building (and JSON-decoding the tags of) 100 ORM objects.
_SUMMARY = (User.path, User.name, User.name_lower, User.user_id, User.arn, User.created_at, User.password_last_used)


def listed(account_id: str, path_prefix: str) -> list:
    """Users under `path_prefix`, ordered by name: rows with the `User` attributes ListUsers shows."""
    query = select(*_SUMMARY).where(User.account_id == account_id,
                                    User.path.startswith(path_prefix, autoescape=True))
    return list(db.session.execute(query.order_by(User.name_lower)))


def update(user: User, new_name: str | None, new_path: str | None) -> None:
    """Rename and/or move a user; the ARN follows."""
    if new_name and new_name.lower() != user.name_lower and find(user.account_id, new_name) is not None:
        raise Conflict(f"User with name {new_name} already exists.")
    user.name = new_name or user.name
    user.path = new_path or user.path
    user.arn = arn(user.account_id, "user", user.path, user.name)


def delete(user: User) -> None:
    """Delete a user that holds nothing AWS says must be removed first."""
    blockers = [
        (user.login_profile is not None, "must delete login profile first"),
        (bool(user.access_keys), "must delete access keys first"),
        (bool(user.attached_policies), "must detach all policies first"),
        (bool(user.inline_policies), "must delete policies first"),
        (bool(user.groups), "must remove users from group first"),
        (any(d.enabled_at for d in user.mfa_devices), "must delete MFA device first"),
    ]
    for blocked, what in blockers:
        if blocked:
            raise DeleteConflict(f"Cannot delete entity, {what}.")
    db.session.delete(user)


def tag(user: User, new: Sequence[Tag]) -> None:
    user.tags = tagging.merged(user.tags, new, "user")


def untag(user: User, keys: Sequence[str]) -> None:
    user.tags = tagging.without(user.tags, keys)


def count(account_id: str) -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(User.account_id == account_id))
