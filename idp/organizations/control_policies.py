"""Service and resource control policies: create, update, delete, attach, detach, and the policy types of the root.

AWS's rules: a policy type must be enabled on the root before its policies can be attached; enabling it
attaches AWS's `FullAWSAccess` (`RCPFullAWSAccess` for RCPs) to the root, every OU and every account, and so
does creating an OU or an account while it is enabled; a target keeps at least one SCP (detaching the last is a
ConstraintViolationException); a document is validated as Access Analyzer's ValidatePolicy validates its type,
within AWS's quota of 5,120 characters, every character counted. Every change bumps the authz version of every
account of the organization.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sqlalchemy import delete, select

from idp import clock
from idp.analyzer.findings import FindingType
from idp.analyzer.validation import validate_policy
from idp.authz.guardrails import AWS_MANAGED_GUARDRAILS, GUARDRAIL_KINDS, RCP, SCP, AwsManagedGuardrail
from idp.authz.guardrails import organization_policy_arn
from idp.errors import AccessDenied, ConstraintViolation, DuplicateOrganizationPolicy, DuplicatePolicyAttachment
from idp.errors import MalformedOrganizationPolicy, OrganizationsEntityNotFound, OrganizationsError
from idp.errors import OrganizationsInvalidInput, PolicyInUse, PolicyNotAttached, PolicyTypeAlreadyEnabled
from idp.errors import PolicyTypeNotEnabled
from idp.organizations.organization import entity_arn, invalidate, random_id, root_of
from idp.policy import MalformedPolicyDocument, parse_policy
from models import db
from models.organization import Organization, OrganizationAccount, OrganizationPolicy, OrganizationUnit
from models.organization import PolicyAttachment

POLICY_TYPES = (SCP, RCP)
MAX_CONTENT = 5_120  # characters, whitespace included (Organizations quotas: "Maximum size of a policy document")
MAX_PER_TARGET = 5  # SCPs or RCPs directly attached to one root, OU or account
POLICY_NAME = re.compile(r"[\s\S]{1,128}")
AnyPolicy = OrganizationPolicy | AwsManagedGuardrail


@dataclass(frozen=True)
class Target:
    """A root, OU or account a policy can be attached to, as PolicyTargetSummary describes it."""

    id: str
    arn: str
    name: str
    type: str  # ROOT, ORGANIZATIONAL_UNIT, ACCOUNT


def checked_type(policy_type: str | None) -> str:
    """A policy type this product supports, or InvalidInputException."""
    if policy_type not in POLICY_TYPES:
        raise OrganizationsInvalidInput(f"You specified an invalid value for PolicyType: must be one of "
                                        f"{', '.join(POLICY_TYPES)}.")
    return policy_type


def enabled_types(organization: Organization) -> list[str]:
    """The policy types enabled on the root."""
    return list(root_of(organization).policy_types or [])


def enable_type(organization: Organization, root_id: str, policy_type: str) -> OrganizationUnit:
    """Enable a policy type on the root; AWS's full-access policy of that type goes on every target."""
    root = _the_root(organization, root_id)
    if organization.feature_set != "ALL":
        raise OrganizationsError("This policy type is not available in this organization's feature set.",
                                 code="PolicyTypeNotAvailableForOrganizationException")
    if checked_type(policy_type) in (root.policy_types or []):
        raise PolicyTypeAlreadyEnabled("The specified policy type is already enabled.")
    root.policy_types = [*(root.policy_types or []), policy_type]
    for target_id in _all_target_ids(organization):
        _attach(organization, _full_access(policy_type).id, target_id)
    invalidate(organization)
    return root


def disable_type(organization: Organization, root_id: str, policy_type: str) -> OrganizationUnit:
    """Disable a policy type: every policy of that type is detached from every target."""
    root = _the_root(organization, root_id)
    if checked_type(policy_type) not in (root.policy_types or []):
        raise PolicyTypeNotEnabled("This operation can be performed only for enabled policy types.")
    root.policy_types = [t for t in root.policy_types if t != policy_type]
    ids = [_full_access(policy_type).id, *db.session.scalars(select(OrganizationPolicy.id).where(
        OrganizationPolicy.organization_id == organization.id, OrganizationPolicy.type == policy_type))]
    db.session.execute(delete(PolicyAttachment).where(PolicyAttachment.organization_id == organization.id,
                                                      PolicyAttachment.policy_id.in_(ids)))
    invalidate(organization)
    return root


def attach_defaults(organization: Organization, target_id: str) -> None:
    """A new OU or account gets AWS's full-access policy of every enabled type, as at AWS."""
    for policy_type in enabled_types(organization):
        _attach(organization, _full_access(policy_type).id, target_id)


def create(organization: Organization, name: str, description: str, content: str, policy_type: str
           ) -> OrganizationPolicy:
    """A new customer-managed SCP or RCP (attached nowhere yet)."""
    checked_type(policy_type)
    _check_name(organization, name)
    policy = OrganizationPolicy(id=f"p-{random_id(8)}", organization_id=organization.id, type=policy_type,
                                name=name, description=description or "", content=checked_content(content,
                                                                                                  policy_type),
                                created_at=clock.now())
    db.session.add(policy)
    db.session.flush()
    return policy


def update(organization: Organization, policy_id: str, name: str | None, description: str | None,
           content: str | None) -> OrganizationPolicy:
    """Change a customer-managed policy's name, description or document; where it is attached, at once."""
    policy = get(organization, policy_id)
    if isinstance(policy, AwsManagedGuardrail):
        raise AccessDenied("You can't modify an AWS managed policy.")
    if name is not None and name != policy.name:
        _check_name(organization, name)
        policy.name = name
    if description is not None:
        policy.description = description
    if content is not None:
        policy.content = checked_content(content, policy.type)
    db.session.flush()
    invalidate(organization)
    return policy


def delete_policy(organization: Organization, policy_id: str) -> None:
    """Delete a customer-managed policy that is attached nowhere."""
    policy = get(organization, policy_id)
    if isinstance(policy, AwsManagedGuardrail):
        raise AccessDenied("You can't delete an AWS managed policy.")
    if db.session.scalar(select(PolicyAttachment.id).where(PolicyAttachment.policy_id == policy.id).limit(1)):
        raise PolicyInUse("The policy is attached to one or more entities. You must detach it from all roots, OUs, "
                          "and accounts before performing this operation.")
    db.session.delete(policy)
    db.session.flush()


def get(organization: Organization, policy_id: str) -> AnyPolicy:
    """A policy of this organization, or one of AWS's, by id (PolicyNotFoundException otherwise)."""
    if policy_id in AWS_MANAGED_GUARDRAILS:
        return AWS_MANAGED_GUARDRAILS[policy_id]
    policy = db.session.get(OrganizationPolicy, policy_id or "")
    if policy is None or policy.organization_id != organization.id:
        raise OrganizationsEntityNotFound("We can't find a policy with the PolicyId that you specified.",
                                          code="PolicyNotFoundException")
    return policy


def arn(organization: Organization, policy: AnyPolicy) -> str:
    """The policy's ARN (`...:policy/o-.../service_control_policy/p-...`)."""
    return organization_policy_arn(organization, policy.id, policy.type)


def listed(organization: Organization, policy_type: str) -> list[AnyPolicy]:
    """AWS's policy of that type, then the organization's, by name."""
    checked_type(policy_type)
    own = db.session.scalars(select(OrganizationPolicy).where(
        OrganizationPolicy.organization_id == organization.id, OrganizationPolicy.type == policy_type)
        .order_by(OrganizationPolicy.name))
    return [_full_access(policy_type), *own]


def attach(organization: Organization, policy_id: str, target_id: str) -> None:
    """Attach a policy to a root, OU or account; its type must be enabled."""
    policy = get(organization, policy_id)
    target(organization, target_id)
    if policy.type not in enabled_types(organization):
        raise PolicyTypeNotEnabled("This operation can be performed only for enabled policy types.")
    if _attached_ids(target_id).count(policy.id):
        raise DuplicatePolicyAttachment("The selected policy is already attached to the specified target.")
    if sum(1 for p in for_target(organization, target_id, policy.type)) >= MAX_PER_TARGET:
        raise ConstraintViolation("You attempted to exceed the number of policies of a certain type that can be "
                                  "attached to an entity at one time.", reason="POLICY_NUMBER_LIMIT_EXCEEDED")
    _attach(organization, policy.id, target_id)
    invalidate(organization)


def detach(organization: Organization, policy_id: str, target_id: str) -> None:
    """Detach a policy; the last SCP of a target stays, and RCPFullAWSAccess always does (AWS's
    MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED)."""
    policy = get(organization, policy_id)
    target(organization, target_id)
    if policy.id not in _attached_ids(target_id):
        raise PolicyNotAttached("The policy isn't attached to the specified target in the specified root.")
    if policy.id == _full_access(RCP).id:
        raise ConstraintViolation("You can't detach the RCPFullAWSAccess policy: it stays attached to every root, "
                                  "OU and account while resource control policies are enabled.",
                                  reason="MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")
    if policy.type == SCP and len(for_target(organization, target_id, SCP)) == 1:
        raise ConstraintViolation("You attempted to detach a policy from an entity that would cause the entity to "
                                  "have fewer than the minimum number of policies of a certain type required.",
                                  reason="MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")
    db.session.execute(delete(PolicyAttachment).where(PolicyAttachment.policy_id == policy.id,
                                                      PolicyAttachment.target_id == target_id))
    invalidate(organization)


def for_target(organization: Organization, target_id: str, policy_type: str) -> list[AnyPolicy]:
    """The policies of that type attached directly to a root, OU or account."""
    checked_type(policy_type)
    target(organization, target_id)
    found = [get(organization, policy_id) for policy_id in _attached_ids(target_id)]
    return [policy for policy in found if policy.type == policy_type]


def targets_for(organization: Organization, policy_id: str) -> list[Target]:
    """The roots, OUs and accounts a policy is attached to."""
    policy = get(organization, policy_id)
    ids = db.session.scalars(select(PolicyAttachment.target_id).where(
        PolicyAttachment.organization_id == organization.id, PolicyAttachment.policy_id == policy.id)
        .order_by(PolicyAttachment.id))
    return [target(organization, target_id) for target_id in ids]


def target(organization: Organization, target_id: str) -> Target:
    """The root, OU or account of that id in this organization (TargetNotFoundException otherwise)."""
    unit = db.session.get(OrganizationUnit, target_id or "")
    if unit is not None and unit.organization_id == organization.id:
        kind, type_ = ("root", "ROOT") if unit.parent_id is None else ("ou", "ORGANIZATIONAL_UNIT")
        return Target(unit.id, entity_arn(organization, kind, unit.id), unit.name, type_)
    account = db.session.get(OrganizationAccount, target_id or "")
    if account is not None and account.organization_id == organization.id:
        return Target(account.account_id, entity_arn(organization, "account", account.account_id), account.name,
                      "ACCOUNT")
    raise OrganizationsEntityNotFound("We can't find a root, OU, or account with the TargetId that you specified.",
                                      code="TargetNotFoundException")


def checked_content(content: str, policy_type: str) -> str:
    """The document, within AWS's quota and valid for its type (MalformedPolicyDocumentException otherwise)."""
    if not content:
        raise OrganizationsInvalidInput("You must specify a value for Content.")
    if len(content) > MAX_CONTENT:
        raise ConstraintViolation("You have exceeded the maximum size of a policy document (5,120 characters).",
                                  reason="POLICY_CONTENT_LIMIT_EXCEEDED")
    errors = [f for f in validate_policy(content, policy_type) if f.finding_type is FindingType.ERROR]
    if errors:
        raise MalformedOrganizationPolicy(f"The provided policy document does not meet the requirements of the "
                                          f"specified policy type: {errors[0].issue_code}: {errors[0].details}")
    try:
        parse_policy(content, GUARDRAIL_KINDS[policy_type])
    except MalformedPolicyDocument as error:
        raise MalformedOrganizationPolicy(f"The provided policy document does not meet the requirements of the "
                                          f"specified policy type: {error.message}") from None
    if policy_type == RCP:
        _check_rcp(json.loads(content))
    return content


def _check_rcp(document: dict) -> None:
    """RCP syntax: only Deny (Allow is for RCPFullAWSAccess alone), Principal "*", no NotAction or NotPrincipal."""
    statements = document.get("Statement")
    for statement in statements if isinstance(statements, list) else [statements]:
        problem = ("Allow is supported only in RCPFullAWSAccess" if statement.get("Effect") != "Deny"
                   else "Principal must be \"*\"" if statement.get("Principal") != "*"
                   else "NotAction is not supported" if "NotAction" in statement
                   else "NotPrincipal is not supported" if "NotPrincipal" in statement else None)
        if problem:
            raise MalformedOrganizationPolicy(f"The provided policy document does not meet the requirements of "
                                              f"the specified policy type: {problem}.")


def _check_name(organization: Organization, name: str) -> None:
    if not POLICY_NAME.fullmatch(name or ""):
        raise OrganizationsInvalidInput("You provided a value that does not match the required pattern: Name.")
    if db.session.scalar(select(OrganizationPolicy.id).where(OrganizationPolicy.organization_id == organization.id,
                                                             OrganizationPolicy.name == name)):
        raise DuplicateOrganizationPolicy("A policy with the same name already exists.")


def _full_access(policy_type: str) -> AwsManagedGuardrail:
    return next(p for p in AWS_MANAGED_GUARDRAILS.values() if p.type == policy_type)


def _the_root(organization: Organization, root_id: str) -> OrganizationUnit:
    root = root_of(organization)
    if root.id != root_id:
        raise OrganizationsEntityNotFound("We can't find a root with the RootId that you specified.",
                                          code="RootNotFoundException")
    return root


def _all_target_ids(organization: Organization) -> list[str]:
    units = db.session.scalars(select(OrganizationUnit.id).where(OrganizationUnit.organization_id == organization.id))
    members = db.session.scalars(select(OrganizationAccount.account_id).where(
        OrganizationAccount.organization_id == organization.id))
    return [*units, *members]


def _attached_ids(target_id: str) -> list[str]:
    return list(db.session.scalars(select(PolicyAttachment.policy_id).where(PolicyAttachment.target_id == target_id)
                                   .order_by(PolicyAttachment.id)))


def _attach(organization: Organization, policy_id: str, target_id: str) -> None:
    db.session.add(PolicyAttachment(organization_id=organization.id, policy_id=policy_id, target_id=target_id,
                                    created_at=clock.now()))
    db.session.flush()
