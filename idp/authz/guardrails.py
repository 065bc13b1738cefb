"""An organization's guardrails as evaluation needs them: the SCP levels binding a principal, the RCP levels of a
resource's account, and the `aws:PrincipalOrgID` a principal carries.

Loaded once per authz version of the account, in the policy store's per-app cache (`policy_store.cached`): every
change of an organization bumps the authz version of every account in it. AWS's own `FullAWSAccess` and
`RCPFullAWSAccess` are constants here, not rows.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from idp.authz.policy_store import cached, fresh_authz_version, parsed
from idp.policy import Policy, PolicyKind, PolicySet, PrincipalType, RequestContext, RequestPrincipal
from idp.policy.context import ACCOUNT_PRINCIPALS
from models import db
from models.organization import Organization, OrganizationAccount, OrganizationPolicy, OrganizationUnit
from models.organization import PolicyAttachment

SCP, RCP = "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"
GUARDRAIL_KINDS = {SCP: PolicyKind.GUARDRAIL, RCP: PolicyKind.RESOURCE_GUARDRAIL}
# The services whose resources RCPs govern (AWS Organizations User Guide, "List of AWS services that support
# RCPs"; IAM is not one of them).
RCP_SERVICES = frozenset({"s3", "sts", "sqs", "secretsmanager", "kms", "cognito-identity", "ecr", "aoss", "logs",
                          "dynamodb"})
PRINCIPAL_ORG_ID = "aws:PrincipalOrgID"


@dataclass(frozen=True)
class AwsManagedGuardrail:
    """An AWS managed organization policy, attached to every root, OU and account when its type is enabled."""

    id: str
    type: str
    name: str
    description: str
    content: str

    @property
    def arn(self) -> str:
        return f"arn:aws:organizations::aws:policy/{self.type.lower()}/{self.id}"


AWS_MANAGED_GUARDRAILS = {
    policy.id: policy for policy in (
        AwsManagedGuardrail("p-FullAWSAccess", SCP, "FullAWSAccess", "Allows access to every operation",
                            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'),
        AwsManagedGuardrail("p-RCPFullAWSAccess", RCP, "RCPFullAWSAccess", "Allows access to every operation",
                            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*",'
                            '"Resource":"*"}]}'),
    )
}


def organization_policy_arn(organization: Organization, policy_id: str, policy_type: str) -> str:
    """`arn:aws:organizations::<management>:policy/o-.../service_control_policy/p-...` (AWS's own: `::aws:`)."""
    managed = AWS_MANAGED_GUARDRAILS.get(policy_id)
    if managed is not None:
        return managed.arn
    return f"arn:aws:organizations::{organization.management_account_id}:policy/{organization.id}/" \
           f"{policy_type.lower()}/{policy_id}"


def is_service_linked(principal: RequestPrincipal) -> bool:
    """A session of a service-linked role: neither SCPs nor RCPs restrict it."""
    return ":role/aws-service-role/" in (principal.role_arn or "")


@dataclass(frozen=True)
class Membership:
    """An account's place in an organization as evaluation needs it: the organization's id (aws:PrincipalOrgID)
    and the guardrails binding the account (None for the management account, which none binds)."""

    organization_id: str
    guardrails: PolicySet | None


def organization_keys(principal: RequestPrincipal, version: int | None) -> dict[str, object]:
    """The keys the principal's organization adds to its requests: `aws:PrincipalOrgID` for a principal of an
    account in one. The one place real and simulated requests get it."""
    if principal.type not in ACCOUNT_PRINCIPALS:
        return {}
    joined = membership(principal.account, version)
    return {PRINCIPAL_ORG_ID: joined.organization_id} if joined is not None else {}


def guardrails_for(request: RequestContext, version: int | None) -> PolicySet | None:
    """The SCP levels binding the request's principal and the RCP levels of the resource's account (the engine's
    `request.resource_account`: the ARN's account, else the caller's, as for S3 buckets); None when neither binds.

    SCPs bind every principal of a member account (its root user too), never the management account's, never
    a service-linked role. RCPs bind whoever calls on a resource of a member account, for the services that
    support them, except service-linked roles and AWS services. `version` is the caller's account's.
    """
    principal = request.principal
    if is_service_linked(principal) or principal.type is PrincipalType.SERVICE:
        return None
    scps = ()
    if principal.type in ACCOUNT_PRINCIPALS:
        scps = _levels(membership(principal.account, version), "guardrails")
    rcps = ()
    owner = request.resource_account
    if owner and request.service in RCP_SERVICES:
        rcps = _levels(membership(owner, version if owner == principal.account else None), "resource_guardrails")
    if not scps and not rcps:
        return None
    return PolicySet().with_guardrails(scps, rcps)


def _levels(joined: Membership | None, slot: str) -> tuple:
    return getattr(joined.guardrails, slot) if joined is not None and joined.guardrails is not None else ()


def membership(account_id: str, version: int | None = None) -> Membership | None:
    """The account's organization and guardrails, cached per authz version; None outside an organization."""
    version = fresh_authz_version(account_id) if version is None else version
    return cached((account_id, "organization"), version, lambda: _load_membership(account_id))


def _load_membership(account_id: str) -> Membership | None:
    member = db.session.get(OrganizationAccount, account_id)
    if member is None:
        return None
    organization = db.session.get(Organization, member.organization_id)
    if organization.management_account_id == account_id:
        return Membership(organization.id, None)
    path, root = _path(member)
    attached: dict[str, list[AwsManagedGuardrail | OrganizationPolicy]] = {}
    for target_id, policy_id in db.session.execute(
        select(PolicyAttachment.target_id, PolicyAttachment.policy_id).where(PolicyAttachment.target_id.in_(path))
        .order_by(PolicyAttachment.id)
    ):
        policy = AWS_MANAGED_GUARDRAILS.get(policy_id) or db.session.get(OrganizationPolicy, policy_id)
        attached.setdefault(target_id, []).append(policy)
    enabled = set(root.policy_types or []) if root is not None else set()
    levels = {
        policy_type: [[_guardrail(organization, p) for p in attached.get(target, []) if p.type == policy_type]
                      for target in path] if policy_type in enabled else []
        for policy_type in GUARDRAIL_KINDS
    }
    return Membership(organization.id, PolicySet(guardrails=levels[SCP], resource_guardrails=levels[RCP]))


def _path(member: OrganizationAccount) -> tuple[list[str], OrganizationUnit | None]:
    """The target ids from the root down to the account, and the root."""
    path = [member.account_id]
    parent_id: str | None = member.parent_id
    root = None
    while parent_id is not None:
        root = db.session.get(OrganizationUnit, parent_id)
        path.insert(0, root.id)
        parent_id = root.parent_id
    return path, root


def _guardrail(organization: Organization, policy: OrganizationPolicy | AwsManagedGuardrail) -> Policy:
    arn = organization_policy_arn(organization, policy.id, policy.type)
    return parsed(policy.content, GUARDRAIL_KINDS[policy.type], arn)
