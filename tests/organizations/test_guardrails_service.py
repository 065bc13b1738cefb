"""The organization's guardrails as the shared authorizer applies them (service level): who SCPs and RCPs bind and
who they spare, that every change reaches evaluation through the authz version, and every refusal of the
Organizations service, each changing nothing."""
from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from idp.authz import guardrails, policy_store
from idp.authz.authorizer import decide
from idp.authz.principals import Caller, root_principal, user_principal
from idp.errors import (
    AccessDenied,
    AlreadyInOrganization,
    ConstraintViolation,
    DuplicateOrganizationalUnit,
    DuplicateOrganizationPolicy,
    DuplicatePolicyAttachment,
    MalformedOrganizationPolicy,
    OrganizationsEntityNotFound,
    PolicyInUse,
    PolicyNotAttached,
    PolicyTypeNotEnabled,
)
from idp.iam import attachments, policies, roles, users
from idp.organizations import control_policies, organization, tree
from idp.policy import PolicyKind, PolicySet, PrincipalType, RequestPrincipal, parse_policy
from models.organization import OrganizationPolicy, PolicyAttachment

SCP, RCP = "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
DENY_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]})
RCP_DENY_ALL = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]})


class Org:
    """An organization managed by the default account, SCPs and RCPs enabled, one OU holding one member account."""

    def __init__(self, db, management_id: str):
        self.db = db
        self.org = organization.create(management_id)
        self.root = organization.root_of(self.org)
        control_policies.enable_type(self.org, self.root.id, SCP)
        control_policies.enable_type(self.org, self.root.id, RCP)
        self.unit = tree.create_unit(self.org, self.root.id, "Prod")
        self.member_id = tree.create_account(self.org, "prod", "prod@example.com").account_id
        tree.move(self.org, self.member_id, self.root.id, self.unit.id)
        self.management_id = management_id
        db.session.commit()

    def admin(self, account_id: str, name: str) -> Caller:
        user = users.create(account_id, name, "/", ())
        attachments.attach(attachments.USER, user, policies.get_attachable(account_id, ADMIN))
        self.db.session.commit()
        return Caller(user_principal(user), user_pk=user.id)

    def policy(self, content: str, policy_type: str = SCP, name: str = "Guardrail") -> OrganizationPolicy:
        return control_policies.create(self.org, name, "", content, policy_type)

    def counts(self) -> tuple[int, int]:
        session = self.db.session
        return (session.scalar(select(func.count()).select_from(OrganizationPolicy)),
                session.scalar(select(func.count()).select_from(PolicyAttachment)))


@pytest.fixture
def org(db, root) -> Org:
    return Org(db, root.account_id)


def service_linked_session(account_id: str) -> Caller:
    role = (f"arn:aws:iam::{account_id}:role/aws-service-role/elasticbeanstalk.amazonaws.com/"
            "AWSServiceRoleForElasticBeanstalk")
    principal = RequestPrincipal.of(f"arn:aws:sts::{account_id}:assumed-role/AWSServiceRoleForElasticBeanstalk/s",
                                    account_id, PrincipalType.ASSUMED_ROLE, role_arn=role)
    allow = parse_policy('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
                         PolicyKind.MANAGED, "service")
    return Caller(principal, policies=PolicySet(identity=[allow]))


def test_scps_bind_member_principals_and_spare_the_management_account_and_service_linked_roles(org):
    member_admin, management_admin = org.admin(org.member_id, "ops"), org.admin(org.management_id, "ops")
    control_policies.attach(org.org, org.policy(DENY_ALL).id, org.root.id)
    org.db.session.commit()

    refused = decide(member_admin, "iam:ListUsers", "*")
    assert refused.reason == (f"User: arn:aws:iam::{org.member_id}:user/ops is not authorized to perform: "
                              "iam:ListUsers on resource: * with an explicit deny in a service control policy")
    assert not decide(Caller(root_principal(org.member_id)), "iam:ListUsers", "*").allowed
    assert decide(management_admin, "iam:ListUsers", "*").allowed
    assert decide(Caller(root_principal(org.management_id)), "iam:ListUsers", "*").allowed
    assert decide(service_linked_session(org.member_id), "iam:ListUsers", "*").allowed
    # The member's principals carry their organization's id, as aws:PrincipalOrgID.
    assert guardrails.membership(org.member_id).organization_id == org.org.id


def test_rcps_bind_whoever_calls_on_member_resources_for_the_services_they_support(org):
    management_admin, member_admin = org.admin(org.management_id, "ops"), org.admin(org.member_id, "ops")
    control_policies.attach(org.org, org.policy(RCP_DENY_ALL, RCP).id, org.unit.id)
    org.db.session.commit()
    member_role = f"arn:aws:iam::{org.member_id}:role/OrganizationAccountAccessRole"

    refused = decide(management_admin, "sts:AssumeRole", member_role)
    assert refused.reason.endswith("with an explicit deny in a resource control policy")
    # The management account's resources, IAM (which RCPs do not cover) and service-linked roles are spared.
    management_role = roles.create(org.management_id, "Local", "/", json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                "Action": "sts:AssumeRole"}]})).arn
    assert decide(management_admin, "sts:AssumeRole", management_role).allowed
    assert decide(member_admin, "iam:GetRole", member_role).allowed
    assert decide(service_linked_session(org.member_id), "sts:AssumeRole", member_role).allowed


MALFORMED = [
    ('{"Version":"2012-10-17","Statement":[{"Effect":"Denied","Action":"*","Resource":"*"}]}', SCP,
     MalformedOrganizationPolicy, "INVALID_EFFECT"),
    ('{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}', SCP,
     MalformedOrganizationPolicy, "SCP_SYNTAX_ERROR_PRINCIPAL"),
    ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}', RCP,
     MalformedOrganizationPolicy, "Allow is supported only in RCPFullAWSAccess"),
    ('{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"123456789012"},"Action":"s3:*",'
     '"Resource":"*"}]}', RCP, MalformedOrganizationPolicy, 'Principal must be "*"'),
    ("{not json", SCP, MalformedOrganizationPolicy, "JSON_SYNTAX_ERROR"),
    # AWS counts every character, whitespace included, against the 5,120-character quota.
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:GetObject",
                                                         "Resource": "*"}]}, indent=2000), SCP,
     ConstraintViolation, "maximum size"),
]


def test_a_malformed_or_oversized_document_is_refused_and_nothing_is_written(org):
    before = org.counts()
    for content, policy_type, error, detail in MALFORMED:
        with pytest.raises(error, match=detail.replace("(", r"\(")):
            org.policy(content, policy_type)
        assert org.counts() == before
    guard = org.policy(DENY_ALL)
    with pytest.raises(MalformedOrganizationPolicy):
        control_policies.update(org.org, guard.id, None, None, MALFORMED[0][0])
    assert control_policies.get(org.org, guard.id).content == DENY_ALL


def test_refusals_change_nothing(org):
    deny = org.policy(DENY_ALL)
    control_policies.attach(org.org, deny.id, org.member_id)
    before = org.counts()
    refusals = [
        (DuplicatePolicyAttachment, lambda: control_policies.attach(org.org, deny.id, org.member_id)),
        (PolicyNotAttached, lambda: control_policies.detach(org.org, deny.id, org.unit.id)),
        (OrganizationsEntityNotFound, lambda: control_policies.attach(org.org, deny.id, "ou-none-00000000")),
        (OrganizationsEntityNotFound, lambda: control_policies.attach(org.org, "p-00000000", org.unit.id)),
        (PolicyInUse, lambda: control_policies.delete_policy(org.org, deny.id)),
        (DuplicateOrganizationPolicy, lambda: org.policy(DENY_ALL)),
        (DuplicateOrganizationalUnit, lambda: tree.create_unit(org.org, org.root.id, "Prod")),
        (AccessDenied, lambda: control_policies.update(org.org, "p-FullAWSAccess", "Mine", None, None)),
    ]
    for error, refusal in refusals:
        with pytest.raises(error):
            refusal()
        assert org.counts() == before, error.__name__
    # Detaching FullAWSAccess leaves the deny; detaching the last SCP of a target would leave it none.
    control_policies.detach(org.org, "p-FullAWSAccess", org.member_id)
    with pytest.raises(ConstraintViolation) as raised:
        control_policies.detach(org.org, deny.id, org.member_id)
    assert raised.value.reason == "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"
    assert [p.id for p in control_policies.for_target(org.org, org.member_id, SCP)] == [deny.id]
    # Only the management account manages the organization; an account joins one organization only.
    with pytest.raises(AccessDenied, match="You don't have permissions to access this resource."):
        organization.managed_by(org.member_id)
    with pytest.raises(AlreadyInOrganization):
        organization.create(org.member_id)
    # Disabling a policy type detaches its policies; none of that type can be attached until it is enabled again.
    guard = org.policy(RCP_DENY_ALL, RCP, name="Perimeter")
    control_policies.disable_type(org.org, org.root.id, RCP)
    assert control_policies.for_target(org.org, org.unit.id, RCP) == []
    before = org.counts()
    with pytest.raises(PolicyTypeNotEnabled):
        control_policies.attach(org.org, guard.id, org.unit.id)
    assert org.counts() == before


def test_a_deny_scp_reaches_another_instance_within_the_refresh_delay(org, app, app_config):
    """Another instance (its own app and caches, the same database) that read the member's policies sees a new
    deny SCP once its view of the authz version is older than IDP_AUTHZ_REFRESH_SECONDS (1 s by default)."""
    from idp import create_app

    member_admin = org.admin(org.member_id, "ops")
    other = create_app(app_config)
    refresh = other.config["IDP_AUTHZ_REFRESH_SECONDS"]
    before = {a: policy_store.authz_version(a) for a in (org.member_id, org.management_id)}

    def decided_on_the_other_instance() -> bool:
        with other.app_context():
            version = policy_store.fresh_authz_version(org.member_id)  # as a request with temporary credentials
            return decide(replace(member_admin, authz_version=version), "iam:ListUsers", "*").allowed

    def decided_here() -> bool:
        # As the live path decides: the caller carries the authz version its request read (temporary
        # credentials: this instance's remembered one), so a cache that missed the change would still allow.
        version = policy_store.fresh_authz_version(org.member_id)
        return decide(replace(member_admin, authz_version=version), "iam:ListUsers", "*").allowed

    assert decided_on_the_other_instance() and decided_here()  # both instances' caches hold the old guardrails
    control_policies.attach(org.org, org.policy(DENY_ALL).id, org.unit.id)
    org.db.session.commit()
    # Every account of the organization moved on (on this instance the change binds at once).
    assert all(policy_store.authz_version(a) > before[a] for a in before)
    assert not decided_here()
    time.sleep(float(refresh))
    assert not decided_on_the_other_instance()
