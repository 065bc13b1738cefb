"""IAM users: create, read, rename, delete (with AWS's DeleteConflict rules), tags."""
from __future__ import annotations

from typing import Sequence

from sqlalchemy import func, select

from idp import clock
from idp.errors import DeleteConflict
from idp.iam import tags as tagging
from idp.iam.entities import EntityKind
from idp.iam.tags import Tag
from models import db
from models.ids import USER_PREFIX, unique_id
from models.user import User

USER = EntityKind(User, "user")
find = USER.find
get = USER.get
resource_arn = USER.resource_arn
update = USER.rename


def by_key(user_pk: int) -> User | None:
    """The user whose primary key a caller's credentials carry (`Caller.user_pk`), or None."""
    return db.session.get(User, user_pk)


def create(account_id: str, name: str, path: str, tags: Sequence[Tag], boundary=None) -> User:
    """A new user; EntityAlreadyExists when the name is taken in the account."""
    USER.refuse_taken(account_id, name)
    user = User(
        account_id=account_id, name=name, path=path, user_id=unique_id(USER_PREFIX),
        arn=USER.arn(account_id, path, name), tags=tagging.as_stored(tags),
        boundary_policy=boundary, created_at=clock.now(),
    )
    db.session.add(user)
    db.session.flush()
    return user


# ListUsers shows only these: rows of them skip building (and JSON-decoding the tags of) 100 ORM objects.
_SUMMARY = (User.path, User.name, User.name_lower, User.user_id, User.arn, User.created_at, User.password_last_used)


def listed(account_id: str, path_prefix: str, *, name_prefix: str = "", after: str | None = None,
           limit: int | None = None) -> list:
    """Users under `path_prefix` (and whose name starts with `name_prefix`, case-insensitive), ordered by name:
    rows with the `User` attributes ListUsers shows; with `after` (a lower-cased name) and `limit`, one keyset page,
    a range read of the (account_id, name_lower) unique index however many users there are."""
    query = select(*_SUMMARY).where(User.account_id == account_id,
                                    User.path.startswith(path_prefix, autoescape=True))
    if name_prefix:
        start = name_prefix.lower()
        # The upper bound ends the index read after the prefix's names (U+10FFFF sorts after every character a
        # name may hold); LIKE decides which rows match.
        query = query.where(User.name_lower >= start, User.name_lower < start + "\U0010ffff",
                            User.name_lower.startswith(start, autoescape=True))
    if after is not None:
        query = query.where(User.name_lower > after)
    return list(db.session.execute(query.order_by(User.name_lower).limit(limit)))


def page_after(account_id: str, path_prefix: str, name_prefix: str, after: str | None, limit: int) -> list:
    """The admin console's page of users: `listed` after the name `after` (any case)."""
    return listed(account_id, path_prefix, name_prefix=name_prefix, after=after.lower() if after else None,
                  limit=limit)


def delete(user: User) -> None:
    """Delete a user that holds nothing AWS says must be removed first."""
    blockers = [
        (user.login_profile is not None, "must delete login profile first"),
        (bool(user.access_keys), "must delete access keys first"),
        (bool(user.attached_policies), "must detach all policies first"),
        (bool(user.inline_policies), "must delete policies first"),
        (bool(user.groups), "must remove users from group first"),
        (any(d.enabled_at for d in user.mfa_devices), "must delete MFA device first"),
        (bool(user.signing_certificates), "must delete signing certificates first"),
        (bool(user.ssh_public_keys), "must delete SSH public keys first"),
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
