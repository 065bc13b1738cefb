"""Whom a user-scoped action is about: the named user, or the caller itself."""
from __future__ import annotations

from typing import TYPE_CHECKING

from idp.aws.api import Call
from idp.errors import ValidationError
from idp.iam import tags as tagging
from idp.iam import users
from idp.iam.accounts import root_arn

if TYPE_CHECKING:
    from models.user import User


def authorize_user(call: Call, name: str, context: dict[str, object] | None = None) -> User | None:
    """Authorize the call on user `name`, with its `aws:ResourceTag/*` keys when it exists; return it or None."""
    user = users.find(call.account_id, name)
    keys = {**tagging.resource_keys(user.tags if user else None), **(context or {})}
    call.authorize(user.arn if user else users.resource_arn(call.account_id, name), context=keys)
    return user


def authorized_subject(call: Call, name: str | None, *, allow_root: bool = True) -> User | None:
    """Authorize on the user `name` names, or on the caller itself without a name; return that user.

    None means the account root user (only when `allow_root`). Callers that
    are neither a user nor root (role sessions) must name the user, as at AWS.
    """
    if name is not None:
        return authorize_user(call, name) or users.get(call.account_id, name)
    if call.caller.is_root and allow_root:
        call.authorize(root_arn(call.account_id))
        return None
    if call.caller.user_pk is None or call.caller.is_root:
        raise ValidationError("Must specify userName when calling with non-User credentials")
    user = users.by_key(call.caller.user_pk)
    call.authorize(call.caller.arn, context=tagging.resource_keys(user.tags if user else None))
    return user
