"""The organization's tree: its root, organizational units and member accounts; CreateAccount and MoveAccount."""
from __future__ import annotations

import json
import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from idp import clock
from idp.errors import OrganizationsEntityNotFound, OrganizationsError, DuplicateOrganizationalUnit
from idp.errors import OrganizationsInvalidInput
from idp.iam import accounts, attachments, policies, roles
from idp.organizations import control_policies
from idp.organizations.organization import invalidate, random_id, root_of
from models import db
from models.organization import Organization, OrganizationAccount, OrganizationUnit

ACCESS_ROLE = "OrganizationAccountAccessRole"
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
OU_NAME = re.compile(r"[\s\S]{1,128}")
EMAIL = re.compile(r"[^\s@]{1,64}@[^\s@]{1,255}\.[^\s@]{1,255}")
ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)  # CreateAccount's RoleName, as IAM names a role


def unit(organization: Organization, unit_id: str, *, missing: str = "ParentNotFoundException") -> OrganizationUnit:
    """The root or OU of that id in this organization; `missing` names AWS's exception when there is none."""
    found = db.session.get(OrganizationUnit, unit_id or "")
    if found is None or found.organization_id != organization.id:
        raise OrganizationsEntityNotFound("We can't find a root or OU with the id that you specified.", code=missing)
    return found


def organizational_unit(organization: Organization, unit_id: str) -> OrganizationUnit:
    """An OU (not the root) of this organization, or OrganizationalUnitNotFoundException."""
    found = db.session.get(OrganizationUnit, unit_id or "")
    if found is None or found.organization_id != organization.id or found.parent_id is None:
        raise OrganizationsEntityNotFound("We can't find an OU with the OrganizationalUnitId that you specified.",
                                          code="OrganizationalUnitNotFoundException")
    return found


def create_unit(organization: Organization, parent_id: str, name: str) -> OrganizationUnit:
    """A new OU under a root or OU; FullAWSAccess (and RCPFullAWSAccess) attached while the type is enabled."""
    if not OU_NAME.fullmatch(name or ""):
        raise OrganizationsInvalidInput("You provided a value that does not match the required pattern.")
    parent = unit(organization, parent_id)
    taken = db.session.scalar(select(OrganizationUnit.id).where(OrganizationUnit.parent_id == parent.id,
                                                                OrganizationUnit.name == name))
    if taken is not None:
        raise DuplicateOrganizationalUnit("An OU with the same name already exists.")
    root_id = root_of(organization).id
    created = OrganizationUnit(id=f"ou-{root_id[2:]}-{random_id(8)}", organization_id=organization.id,
                               parent_id=parent.id, name=name, created_at=clock.now())
    db.session.add(created)
    db.session.flush()
    control_policies.attach_defaults(organization, created.id)
    return created


def units_under(organization: Organization, parent_id: str) -> list[OrganizationUnit]:
    """The OUs directly under a root or OU, by name."""
    parent = unit(organization, parent_id)
    return list(db.session.scalars(select(OrganizationUnit).where(OrganizationUnit.parent_id == parent.id)
                                   .order_by(OrganizationUnit.name, OrganizationUnit.id)))


def members(organization: Organization, parent_id: str | None = None) -> list[OrganizationAccount]:
    """The organization's accounts (those directly under `parent_id` when given), by when they joined."""
    query = select(OrganizationAccount).where(OrganizationAccount.organization_id == organization.id)
    if parent_id is not None:
        query = query.where(OrganizationAccount.parent_id == unit(organization, parent_id).id)
    return list(db.session.scalars(query.order_by(OrganizationAccount.joined_at, OrganizationAccount.account_id)))


def member(organization: Organization, account_id: str) -> OrganizationAccount:
    """A member account of this organization, or AccountNotFoundException."""
    found = db.session.get(OrganizationAccount, account_id)
    if found is None or found.organization_id != organization.id:
        raise OrganizationsEntityNotFound("You specified an account that doesn't exist.",
                                          code="AccountNotFoundException")
    return found


def parent_of(organization: Organization, child_id: str) -> OrganizationUnit:
    """The root or OU directly above an OU or an account (ChildNotFoundException otherwise)."""
    child = db.session.get(OrganizationAccount, child_id) or db.session.get(OrganizationUnit, child_id)
    if child is None or child.organization_id != organization.id or child.parent_id is None:
        raise OrganizationsEntityNotFound("We can't find an organizational unit (OU) or AWS account with the "
                                          "ChildId that you specified.", code="ChildNotFoundException")
    return db.session.get(OrganizationUnit, child.parent_id)


def move(organization: Organization, account_id: str, source_id: str, destination_id: str) -> None:
    """Move a member account from one root or OU to another; its guardrails follow its new path."""
    source = unit(organization, source_id, missing="SourceParentNotFoundException")
    destination = unit(organization, destination_id, missing="DestinationParentNotFoundException")
    moving = member(organization, account_id)
    if moving.parent_id != source.id:
        raise OrganizationsEntityNotFound("You specified an account that doesn't exist.",
                                          code="AccountNotFoundException")
    if source.id == destination.id:
        raise OrganizationsError("That account is already present in the specified destination.",
                                 code="DuplicateAccountException")
    moving.parent_id = destination.id
    db.session.flush()
    invalidate(organization)


def create_account(organization: Organization, name: str, email: str,
                   role_name: str | None = None) -> OrganizationAccount:
    """A new account of this product, a member under the root, with the role `role_name`
    (`OrganizationAccountAccessRole` unless named).

    As at AWS the role has AdministratorAccess and trusts the management account, so administrators reach the
    account by assuming it; the new account's root credentials are never handed out. An email address belongs to
    one account: the database's unique constraint decides, and undoes the new account.
    """
    if not 1 <= len(name or "") <= 50:
        raise OrganizationsInvalidInput("AccountName must be 1 to 50 characters.")
    if not EMAIL.fullmatch(email or "") or len(email) > 64:
        raise OrganizationsInvalidInput("You provided a value that does not match the required pattern: Email.")
    role_name = ACCESS_ROLE if role_name is None else role_name
    if not ROLE_NAME.fullmatch(role_name):
        raise OrganizationsInvalidInput("You provided a value that does not match the required pattern: RoleName.")
    try:
        with db.session.begin_nested():
            account_id = accounts.create_account().account_id
            joined = OrganizationAccount(
                account_id=account_id, organization_id=organization.id, parent_id=root_of(organization).id,
                name=name, email=email, joined_method="CREATED", create_request_id=f"car-{random_id(32)}",
                joined_at=clock.now(),
            )
            db.session.add(joined)
    except IntegrityError:
        raise _email_taken() from None
    _access_role(organization, account_id, role_name)
    control_policies.attach_defaults(organization, account_id)
    invalidate(organization)
    return joined


def _email_taken() -> OrganizationsError:
    """AWS's answer for an email address another account has (its FailureReason EMAIL_ALREADY_EXISTS)."""
    return OrganizationsError("EMAIL_ALREADY_EXISTS: The account could not be created because another AWS account "
                              "with that email address already exists.", code="DuplicateAccountException")


def _access_role(organization: Organization, account_id: str, role_name: str) -> None:
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{organization.management_account_id}:root"},
        "Action": "sts:AssumeRole",
    }]})
    role = roles.create(account_id, role_name, "/", trust)
    attachments.attach(attachments.ROLE, role, policies.get_attachable(account_id, ADMINISTRATOR_ACCESS))


def create_account_status(organization: Organization, request_id: str) -> OrganizationAccount:
    """The account a CreateAccount request made (CreateAccountStatusNotFoundException otherwise)."""
    found = db.session.scalar(select(OrganizationAccount).where(OrganizationAccount.create_request_id == request_id,
                                                                OrganizationAccount.organization_id == organization.id))
    if found is None:
        raise OrganizationsEntityNotFound("We can't find a create account request with the CreateAccountRequestId "
                                          "that you specified.", code="CreateAccountStatusNotFoundException")
    return found
