"""The organization: created by the account that becomes its management account, which alone manages it."""
from __future__ import annotations

import secrets
import string

from sqlalchemy import delete, select

from idp import clock
from idp.authz.policy_store import bump_authz_version
from idp.errors import AccessDenied, AlreadyInOrganization, AWSOrganizationsNotInUse, OrganizationNotEmpty
from idp.errors import OrganizationsInvalidInput
from idp.iam import accounts
from models import db
from models.organization import Organization, OrganizationAccount, OrganizationPolicy, OrganizationUnit
from models.organization import PolicyAttachment

FEATURE_SETS = ("ALL", "CONSOLIDATED_BILLING")
_ID_CHARACTERS = string.ascii_lowercase + string.digits


def random_id(length: int) -> str:
    """Lowercase letters and digits, as AWS's organization, root, OU and policy ids use."""
    return "".join(secrets.choice(_ID_CHARACTERS) for _ in range(length))


def find(account_id: str) -> Organization | None:
    """The organization the account belongs to (as member or management account), or None."""
    member = db.session.get(OrganizationAccount, account_id)
    return db.session.get(Organization, member.organization_id) if member is not None else None


def of_account(account_id: str) -> Organization:
    """The caller's organization; AWSOrganizationsNotInUseException outside one, as AWS answers."""
    organization = find(account_id)
    if organization is None:
        raise AWSOrganizationsNotInUse("Your account is not a member of an organization.")
    return organization


def managed_by(account_id: str) -> Organization:
    """The organization `account_id` manages. Every management operation asks this first, before it looks up an
    id or asks the authorizer, so a member account learns nothing of the organization's roots, OUs, accounts or
    policies: AWSOrganizationsNotInUseException outside an organization, AccessDeniedException for a member
    account, as AWS answers."""
    organization = of_account(account_id)
    if organization.management_account_id != account_id:
        raise AccessDenied("You don't have permissions to access this resource.")
    return organization


def root_of(organization: Organization) -> OrganizationUnit:
    """The organization's one root."""
    return db.session.scalar(select(OrganizationUnit).where(
        OrganizationUnit.organization_id == organization.id, OrganizationUnit.parent_id.is_(None)))


def create(account_id: str, feature_set: str = "ALL") -> Organization:
    """A new organization managed by `account_id`, with its root; the account is its first member."""
    if feature_set not in FEATURE_SETS:
        raise OrganizationsInvalidInput(f"FeatureSet must be one of {', '.join(FEATURE_SETS)}.")
    if find(account_id) is not None:
        raise AlreadyInOrganization("The AWS account is already a member of an organization.")
    organization = Organization(id=f"o-{random_id(10)}", management_account_id=account_id,
                                feature_set=feature_set, created_at=clock.now())
    root = OrganizationUnit(id=f"r-{random_id(4)}", organization_id=organization.id, parent_id=None,
                            name="Root", policy_types=[], created_at=clock.now())
    db.session.add_all([organization, root])
    db.session.flush()
    db.session.add(OrganizationAccount(
        account_id=account_id, organization_id=organization.id, parent_id=root.id, name=account_name(account_id),
        email=account_email(account_id), joined_method="INVITED", joined_at=clock.now(),
    ))
    db.session.flush()
    invalidate(organization)
    return organization


def delete_organization(organization: Organization) -> None:
    """Delete an organization that has no member account left but the management account."""
    members = db.session.scalars(select(OrganizationAccount.account_id).where(
        OrganizationAccount.organization_id == organization.id)).all()
    if any(account_id != organization.management_account_id for account_id in members):
        raise OrganizationNotEmpty("To delete an organization you must first remove all member accounts "
                                   "(except the master).")
    invalidate(organization)
    for model in (PolicyAttachment, OrganizationPolicy, OrganizationAccount):
        db.session.execute(delete(model).where(model.organization_id == organization.id))
    units = db.session.scalars(select(OrganizationUnit).where(OrganizationUnit.organization_id == organization.id)).all()
    parents = {unit.id: unit.parent_id for unit in units}
    for unit in sorted(units, key=lambda unit: -_depth(unit.id, parents)):  # the parent key has no cascade
        db.session.delete(unit)
        db.session.flush()
    db.session.delete(organization)
    db.session.flush()


def _depth(unit_id: str, parents: dict[str, str | None]) -> int:
    depth = 0
    while parents.get(unit_id) is not None:
        unit_id, depth = parents[unit_id], depth + 1
    return depth


def invalidate(organization: Organization) -> None:
    """Bump the authz version of every account of the organization: their guardrails changed."""
    for account_id in db.session.scalars(select(OrganizationAccount.account_id).where(
            OrganizationAccount.organization_id == organization.id)):
        bump_authz_version(account_id)


def account_name(account_id: str) -> str:
    """The name Organizations shows for an account that joined without one: its alias, else its id."""
    account = accounts.find(account_id)
    return (account.alias if account is not None and account.alias else account_id)[:50]


def account_email(account_id: str) -> str:
    """A placeholder address for an account this product made without one (AWS requires an email)."""
    return f"{account_id}@accounts.invalid"


def organization_arn(organization: Organization) -> str:
    """`arn:aws:organizations::<management>:organization/o-...`."""
    return f"arn:aws:organizations::{organization.management_account_id}:organization/{organization.id}"


def entity_arn(organization: Organization, kind: str, entity_id: str) -> str:
    """`arn:aws:organizations::<management>:<kind>/o-.../<id>`: kind `root`, `ou` or `account`."""
    return f"arn:aws:organizations::{organization.management_account_id}:{kind}/{organization.id}/{entity_id}"
