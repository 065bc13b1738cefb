"""Long-term access keys of IAM users and of the account root user: create, list, (de)activate, delete.

A key with `user` None is a root key. The secret is generated here, sealed at
rest with the master key, and returned once, to the creator. SigV4
authentication reads the key's row on every request, so a status change or a
deletion takes effect on the very next request.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from idp import clock
from idp.errors import LimitExceeded, NotFound
from idp.iam.accounts import new_secret_access_key
from idp.keys import seal_secret
from models import db
from models.access_key import AccessKey
from models.ids import access_key_id as new_access_key_id
from models.user import User

MAX_KEYS_PER_USER = 2  # AccessKeysPerUser, also for the root user
STATUSES = ("Active", "Inactive")


@dataclass(frozen=True)
class IssuedKey:
    """A key just created, with its secret in clear: the only time anyone sees it."""

    key: AccessKey
    secret_access_key: str


def owned(account_id: str, user: User | None) -> list[AccessKey]:
    """The keys of `user` (None: the account root user), oldest first."""
    owner = AccessKey.user_id.is_(None) if user is None else AccessKey.user_id == user.id
    query = select(AccessKey).where(AccessKey.account_id == account_id, owner)
    return list(db.session.scalars(query.order_by(AccessKey.created_at, AccessKey.id)))


def create(account_id: str, user: User | None) -> IssuedKey:
    """A new active key for `user` (None: root); LimitExceeded beyond two keys."""
    if len(owned(account_id, user)) >= MAX_KEYS_PER_USER:
        raise LimitExceeded(f"Cannot exceed quota for AccessKeysPerUser: {MAX_KEYS_PER_USER}")
    key_id = new_access_key_id()
    secret = new_secret_access_key()
    key = AccessKey(
        access_key_id=key_id, account_id=account_id, user=user,
        secret_encrypted=seal_secret(key_id, secret), status="Active", created_at=clock.now(),
    )
    db.session.add(key)
    db.session.flush()
    return IssuedKey(key, secret)


def find(account_id: str, key_id: str) -> AccessKey | None:
    """The key with that id in this account (a key of another account is not found)."""
    return db.session.scalar(
        select(AccessKey).where(AccessKey.access_key_id == key_id, AccessKey.account_id == account_id)
    )


def not_found(key_id: str) -> NotFound:
    """NoSuchEntity as AWS words it for an unknown access key."""
    return NotFound(f"The Access Key with id {key_id} cannot be found.")


def get_owned(account_id: str, user: User | None, key_id: str) -> AccessKey:
    """The key `key_id` of `user` (None: root), or NoSuchEntity when it is not theirs."""
    key = find(account_id, key_id)
    if key is None or key.user_id != (user.id if user else None):
        raise not_found(key_id)
    return key


def set_status(key: AccessKey, status: str) -> None:
    """Activate or deactivate a key; takes effect on the next request signed with it."""
    key.status = status
    db.session.flush()


def delete(key: AccessKey) -> None:
    """Delete a key; requests signed with it fail from the next one on."""
    db.session.delete(key)
    db.session.flush()
