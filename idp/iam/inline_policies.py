"""Inline policies embedded in users, groups and roles (Put/Get/List/Delete<Kind>Policy).

IAM's size quota for inline policies is per holder, summed over all its inline
policies (user 2,048, group 5,120, role 10,240 characters, whitespace not
counted); going over is LimitExceeded, any other problem MalformedPolicyDocument.
"""
from __future__ import annotations

from idp import clock
from idp.errors import LimitExceeded, NotFound
from idp.iam.attachments import Holder, HolderKind
from idp.iam.policies import checked_document, decoded, document_size
from models import db
from models.group import GroupInlinePolicy
from models.role import RoleInlinePolicy
from models.user import UserInlinePolicy

InlinePolicy = UserInlinePolicy | GroupInlinePolicy | RoleInlinePolicy
_MODELS = {"user": UserInlinePolicy, "group": GroupInlinePolicy, "role": RoleInlinePolicy}


def find(holder: Holder, name: str) -> InlinePolicy | None:
    """The holder's inline policy of that name (names are case-sensitive), or None."""
    return next((p for p in holder.inline_policies if p.name == name), None)


def get(kind: HolderKind, holder: Holder, name: str) -> InlinePolicy:
    """The holder's inline policy of that name, or NoSuchEntity as AWS words it."""
    policy = find(holder, name)
    if policy is None:
        raise NotFound(f"The {kind.name} policy with name {name} cannot be found.")
    return policy


def names(holder: Holder) -> list[str]:
    """The names of the holder's inline policies, sorted."""
    return sorted(p.name for p in holder.inline_policies)


def put(kind: HolderKind, holder: Holder, name: str, document: str) -> InlinePolicy:
    """Add or replace an inline policy; its document is checked against the holder's kind and quota."""
    text = decoded(document)
    limit = kind.inline_kind.size_limit
    others = sum(document_size(p.document) for p in holder.inline_policies if p.name != name)
    if others + document_size(text) > limit:
        raise LimitExceeded(f"Maximum policy size of {limit} bytes exceeded for {kind.name} {holder.name}")
    checked_document(text, kind.inline_kind, f"{holder.arn}/{name}")
    now = clock.now()
    policy = find(holder, name)
    if policy is None:
        policy = _MODELS[kind.name](name=name, document=text, created_at=now, updated_at=now)
        holder.inline_policies.append(policy)
    else:
        policy.document = text
        policy.updated_at = now
    db.session.flush()
    return policy


def delete(kind: HolderKind, holder: Holder, name: str) -> None:
    """Delete an inline policy, or NoSuchEntity."""
    holder.inline_policies.remove(get(kind, holder, name))
    db.session.flush()
