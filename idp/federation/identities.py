"""Federated identities: just-in-time provisioning, the mapping re-applied at every sign-in, linking.

A first sign-in through an upstream provisions an IAM user in the upstream's
account under `/federated/<upstream>/` (no password, no keys), linked by
(upstream, `sub`). Mapped groups must already exist (a missing one is skipped
and audited: an upstream claim never creates IAM groups, which carry
policies); memberships the mapping granted are recorded and removed again when
the upstream stops asserting them, memberships an administrator made are
left alone. Mapped tags become the user's tags (`aws:PrincipalTag/...`).
Nothing is written before the allow/deny rules pass, and the whole sign-in is
one transaction, so a refusal or failure leaves no identity behind.
"""
from __future__ import annotations

import hashlib
import re

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from idp import audit, clock
from idp.authz.policy_store import bump_authz_version
from idp.errors import AccessDenied, Conflict, NotFound
from idp.federation import mapping
from idp.federation.relying_party import UpstreamIdentity
from idp.iam import groups as iam_groups
from idp.iam import tags as tagging
from idp.iam import users
from idp.iam.tags import Tag
from models import db
from models.federation import FederatedIdentity, UpstreamProvider
from models.user import User

NAME_CHARS = re.compile(r"[^\w+=,.@-]", re.ASCII)
MAX_NAME = 64


class SignInRefused(AccessDenied):
    """The upstream's allow/deny rules exclude this identity."""


def find_link(upstream: UpstreamProvider, subject: str) -> FederatedIdentity | None:
    """The link of (upstream, sub), or None."""
    return db.session.scalar(select(FederatedIdentity).where(
        FederatedIdentity.upstream_id == upstream.id, FederatedIdentity.subject == subject))


def own_link(user: User, link_id: int) -> FederatedIdentity:
    """One of the user's links, by id; NotFound for any other."""
    row = db.session.get(FederatedIdentity, link_id)
    if row is None or row.user_id != user.id:
        raise NotFound("You have no such linked identity.")
    return row


def links_of(user: User) -> list[FederatedIdentity]:
    """The upstream identities linked to a user, oldest first."""
    return list(db.session.scalars(
        select(FederatedIdentity).where(FederatedIdentity.user_id == user.id).order_by(FederatedIdentity.id)))


def check_allowed(upstream: UpstreamProvider, identity: UpstreamIdentity) -> None:
    """SignInRefused when the rules exclude the identity: the refusal is audited, nothing else is written (the
    request's unit of work rolls back)."""
    reason = mapping.refusal(upstream.mappings or {}, identity.claims)
    if reason is None:
        return
    audit.note("federation_refused", resource=upstream.name, decision="Deny", account_id=upstream.account_id,
               detail={"upstream": upstream.name, "subject": identity.subject, "reason": reason})
    raise SignInRefused(f"Your {upstream.display_name or upstream.name} identity is not allowed to sign in here.")


def sign_in(upstream: UpstreamProvider, identity: UpstreamIdentity) -> User:
    """The local user of an upstream identity (linked or provisioned now), with the mapping applied. Not committed."""
    check_allowed(upstream, identity)
    link = find_link(upstream, identity.subject)
    how = "linked"
    if link is None:
        user = _user_by_verified_email(upstream, identity)
        how = "email" if user is not None else "provisioned"
        user = user or _provision(upstream, identity)
        link = FederatedIdentity(upstream_id=upstream.id, subject=identity.subject, user_id=user.id, managed_groups=[])
        db.session.add(link)
    applied = apply_mapping(upstream, link, identity)
    audit.record("federation_signin", actor=link.user.arn, resource=link.user.arn, decision="Allow",
                 account_id=upstream.account_id,
                 detail={"upstream": upstream.name, "subject": identity.subject, "how": how, **applied})
    return link.user


def sign_in_once(upstream: UpstreamProvider, identity: UpstreamIdentity) -> User:
    """`sign_in`, in a savepoint: when a concurrent first sign-in of the same identity (two tabs) made the link
    first, that attempt is undone alone and the sign-in runs again on the other one's link."""
    try:
        with db.session.begin_nested():
            return sign_in(upstream, identity)
    except IntegrityError:
        return sign_in(upstream, identity)


def link(upstream: UpstreamProvider, identity: UpstreamIdentity, user: User) -> FederatedIdentity:
    """Link an upstream identity to an existing local user of the upstream's account. Not committed."""
    if user.account_id != upstream.account_id:
        raise AccessDenied(f"{upstream.name} signs in to another account; it cannot be linked to this user.")
    check_allowed(upstream, identity)
    existing = find_link(upstream, identity.subject)
    if existing is not None:
        raise Conflict(f"This {upstream.name} identity is already linked to "
                       f"{'your user' if existing.user_id == user.id else 'another user'}.")
    row = FederatedIdentity(upstream_id=upstream.id, subject=identity.subject, user_id=user.id, managed_groups=[])
    db.session.add(row)
    applied = apply_mapping(upstream, row, identity)
    audit.record("federation_linked", actor=user.arn, resource=user.arn, decision="Allow", account_id=user.account_id,
                 detail={"upstream": upstream.name, "subject": identity.subject, **applied})
    return row


def unlink(row: FederatedIdentity) -> None:
    """Remove a link and the memberships its mapping granted. Not committed."""
    user, upstream = row.user, row.upstream
    removed = [group.name for group in list(user.groups) if group.group_id in set(row.managed_groups or [])]
    for group in list(user.groups):
        if group.group_id in set(row.managed_groups or []):
            iam_groups.remove_user(group, user)
    db.session.delete(row)
    bump_authz_version(user.account_id)
    audit.record("federation_unlinked", actor=user.arn, resource=user.arn, decision="Allow",
                 account_id=user.account_id,
                 detail={"upstream": upstream.name, "subject": row.subject, "groups_removed": removed})


def apply_mapping(upstream: UpstreamProvider, row: FederatedIdentity, identity: UpstreamIdentity) -> dict:
    """Groups and tags as the upstream claims now say; the authz version moves when anything changed."""
    db.session.flush()
    user = db.session.get(User, row.user_id)
    rules = upstream.mappings or {}
    wanted, missing = {}, []
    for name in mapping.groups(rules, identity.claims):
        group = iam_groups.find(upstream.account_id, name)
        if group is None:
            missing.append(name)
        else:
            wanted[group.group_id] = group
    managed = set(row.managed_groups or [])
    current = {group.group_id: group for group in user.groups}
    removed = [group for group_id, group in current.items() if group_id in managed and group_id not in wanted]
    added = [group for group_id, group in wanted.items() if group_id not in current]
    for group in removed:
        iam_groups.remove_user(group, user)
    for group in added:
        iam_groups.add_user(group, user)
    row.managed_groups = sorted((managed & wanted.keys()) | {group.group_id for group in added})
    tags_before = list(user.tags or [])
    mapped = mapping.tags(rules, identity.claims)
    user.tags = tagging.without(user.tags, [key for key, value in mapped.items() if value is None])
    user.tags = tagging.merged(user.tags, [Tag(key, value) for key, value in mapped.items() if value is not None],
                               "user")
    row.last_login_at = clock.now()
    row.last_claims = {key: value for key, value in identity.claims.items() if key not in ("nonce", "at_hash")}
    row.email = _email(identity.claims)
    if removed or added or user.tags != tags_before:
        bump_authz_version(upstream.account_id)
    return {"groups_added": [g.name for g in added], "groups_removed": [g.name for g in removed],
            "groups_missing": missing, "tags": {k: v for k, v in mapped.items() if v is not None}}


def _provision(upstream: UpstreamProvider, identity: UpstreamIdentity) -> User:
    email = _email(identity.claims)
    user = users.create(upstream.account_id, _unique_name(upstream, identity), f"/federated/{upstream.name}/", [])
    user.email = email
    user.email_verified = bool(email and upstream.trust_email and identity.claims.get("email_verified") is True)
    name = identity.claims.get("name")
    user.display_name = name[:255] if isinstance(name, str) and name else None
    return user


def _unique_name(upstream: UpstreamProvider, identity: UpstreamIdentity) -> str:
    """`preferred_username` (else `sub`) made IAM-safe; a short hash of (upstream, sub) when that is taken."""
    wanted = identity.claims.get("preferred_username")
    base = NAME_CHARS.sub("-", wanted if isinstance(wanted, str) and wanted else identity.subject)[:MAX_NAME] or "user"
    if users.find(upstream.account_id, base) is None:
        return base
    digest = hashlib.sha256(f"{upstream.name}\0{identity.subject}".encode()).hexdigest()[:8]
    candidate = f"{base[:MAX_NAME - 9]}-{digest}"
    if users.find(upstream.account_id, candidate) is not None:
        raise Conflict(f"No free user name for this {upstream.name} identity; ask an administrator.")
    return candidate


def _user_by_verified_email(upstream: UpstreamProvider, identity: UpstreamIdentity) -> User | None:
    """The one local user with this verified email, only when the upstream verifies email and linking by it is on."""
    email = _email(identity.claims)
    if not (email and upstream.trust_email and (upstream.mappings or {}).get("link_verified_email")
            and identity.claims.get("email_verified") is True):
        return None
    found = list(db.session.scalars(select(User).where(
        User.account_id == upstream.account_id, func.lower(User.email) == email.lower(),
        User.email_verified.is_(True)).limit(2)))
    return found[0] if len(found) == 1 else None


def _email(claims: dict) -> str | None:
    email = claims.get("email")
    return email if isinstance(email, str) and 3 <= len(email) <= 320 and "@" in email else None
