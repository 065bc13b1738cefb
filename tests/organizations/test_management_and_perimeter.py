"""Who may manage the organization (a member account is refused before any id is looked up), RCPFullAWSAccess
staying attached, CreateAccount's RoleName and one account per email address, RCPs on ARNs without an account
(S3 objects), SCPs on bearer-token callers, and the simulator seeing what a real request sees. Service level and
the Organizations adapter called in-process; POST /authorize through the Flask test client."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from idp.authz.authorizer import decide
from idp.authz.principals import Caller, user_principal
from idp.aws import organizations as api
from idp.aws.json_protocol import JsonCall
from idp.errors import AccessDenied, ConstraintViolation, OrganizationsError, OrganizationsInvalidInput
from idp.iam import roles, simulation, users
from idp.organizations import control_policies
from idp.sts.assume import AssumeRoleRequest, assume_role
from models.account import Account
from models.organization import OrganizationAccount, OrganizationUnit
from models.user import User
from tests.authz.test_resource_server import NOTES_API, READ_NOTES, mint
from tests.organizations.test_guardrails_service import DENY_ALL, RCP, Org

NOTE = "arn:aws:notes:::notebook/team/note/n1"
# AWS's data-perimeter example (AWS Organizations User Guide, "Example RCPs"): no access over plain HTTP.
ENFORCE_SECURE_TRANSPORT = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Sid": "EnforceSecureTransport", "Effect": "Deny", "Principal": "*",
    "Action": ["sts:*", "s3:*", "sqs:*", "secretsmanager:*", "kms:*"], "Resource": "*",
    "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}},
}]})


@pytest.fixture
def org(db, root) -> Org:
    return Org(db, root.account_id)


def call(caller, operation: str, **body) -> dict:
    """The Organizations adapter's operation, as the JSON protocol runs it for `caller`."""
    function = {"CreateOrganizationalUnit": api.create_organizational_unit, "AttachPolicy": api.attach_policy,
                "CreatePolicy": api.create_policy, "MoveAccount": api.move_account,
                "CreateAccount": api.create_account}[operation]
    return function(JsonCall("organizations", operation, caller, body))


def counts(org: Org) -> tuple[int, int, int, int]:
    session = org.db.session
    units = session.scalar(select(func.count()).select_from(OrganizationUnit))
    return (*org.counts(), units, session.scalar(select(func.count()).select_from(Account)))


def test_rcp_full_aws_access_cannot_be_detached(org):
    management_admin = org.admin(org.management_id, "ops")
    before = counts(org)
    for target in (org.member_id, org.unit.id, org.root.id):
        with pytest.raises(ConstraintViolation, match="You can't detach the RCPFullAWSAccess policy") as raised:
            api.detach_policy(JsonCall("organizations", "DetachPolicy", management_admin,
                                       {"PolicyId": "p-RCPFullAWSAccess", "TargetId": target}))
        assert raised.value.reason == "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"
        assert counts(org) == before
    # So the management account still reaches the member account through its access role.
    role = f"arn:aws:iam::{org.member_id}:role/OrganizationAccountAccessRole"
    assumed = assume_role(management_admin, AssumeRoleRequest(role_arn=role, session_name="check"))
    assert assumed.arn == f"arn:aws:sts::{org.member_id}:assumed-role/OrganizationAccountAccessRole/check"


MEMBER_CALLS = [
    ("CreateOrganizationalUnit", lambda org, policy: {"ParentId": org.root.id, "Name": "Rogue"}),
    ("AttachPolicy", lambda org, policy: {"PolicyId": policy, "TargetId": org.member_id}),
    ("AttachPolicy", lambda org, policy: {"PolicyId": "p-00000000", "TargetId": "ou-none-00000000"}),
    ("CreatePolicy", lambda org, policy: {"Name": "Rogue", "Type": RCP, "Content": ENFORCE_SECURE_TRANSPORT}),
    ("MoveAccount", lambda org, policy: {"AccountId": org.member_id, "SourceParentId": org.unit.id,
                                         "DestinationParentId": org.root.id}),
    ("CreateAccount", lambda org, policy: {"Email": "rogue@example.com", "AccountName": "rogue"}),
]


@pytest.mark.parametrize("operation, body", MEMBER_CALLS, ids=[f"{c[0]}-{n}" for n, c in enumerate(MEMBER_CALLS)])
def test_a_member_account_is_refused_before_any_id_is_looked_up(org, operation, body):
    """AWS's AccessDeniedException, the same for an existing and an unknown id and whatever the caller's IAM
    policies say (an administrator, a user with none): nothing of the organization is named, nothing changes."""
    guard = org.policy(DENY_ALL).id
    org.db.session.commit()
    member_admin = org.admin(org.member_id, "ops")
    nobody = Caller(user_principal(users.create(org.member_id, "nobody", "/", ())))  # no policy at all
    org.db.session.commit()
    before = counts(org)
    for caller in (member_admin, nobody):
        with pytest.raises(AccessDenied) as raised:
            call(caller, operation, **body(org, guard))
        assert raised.value.message == "You don't have permissions to access this resource."
        org.db.session.rollback()
        assert counts(org) == before
    assert org.db.session.get(OrganizationAccount, org.member_id).parent_id == org.unit.id


def test_create_account_names_the_access_role_and_gives_an_email_address_one_account(org):
    management_admin = org.admin(org.management_id, "ops")
    status = call(management_admin, "CreateAccount", Email="ops@example.com", AccountName="ops",
                  RoleName="OrgAdmin")["CreateAccountStatus"]
    assert status["State"] == "SUCCEEDED"
    assert roles.find(status["AccountId"], "OrgAdmin") is not None
    assert roles.find(status["AccountId"], "OrganizationAccountAccessRole") is None
    org.db.session.commit()
    before = counts(org)
    # The unique constraint on the address decides, and the account made for the request is undone with it.
    with pytest.raises(OrganizationsError, match="EMAIL_ALREADY_EXISTS") as raised:
        call(management_admin, "CreateAccount", Email="ops@example.com", AccountName="again")
    assert raised.value.code == "DuplicateAccountException"
    assert counts(org) == before
    with pytest.raises(OrganizationsInvalidInput, match="RoleName"):
        call(management_admin, "CreateAccount", Email="other@example.com", AccountName="x", RoleName="no/slash")
    assert counts(org) == before


def test_an_rcp_binds_s3_objects_whose_arn_names_no_account(org):
    """An S3 ARN names no account: the engine's owner rule makes the caller's account the owner, so a member
    account's bucket is bound by its RCPs (here AWS's secure-transport data-perimeter example)."""
    member_admin = org.admin(org.member_id, "ops")
    control_policies.attach(org.org, org.policy(ENFORCE_SECURE_TRANSPORT, RCP, name="Perimeter").id, org.unit.id)
    org.db.session.commit()
    obj = "arn:aws:s3:::member-bucket/report.csv"
    refused = decide(member_admin, "s3:GetObject", obj, context={"aws:SecureTransport": False})
    assert refused.reason == (f"User: arn:aws:iam::{org.member_id}:user/ops is not authorized to perform: "
                              f"s3:GetObject on resource: {obj} with an explicit deny in a resource control policy")
    assert decide(member_admin, "s3:GetObject", obj, context={"aws:SecureTransport": True}).allowed


def test_scps_bind_a_bearer_token_caller_at_post_authorize(org, app, client, tmp_path):
    """A member account's user holding an access token for a resource server's API is bound by its SCPs."""
    user = org.db.session.get(User, org.admin(org.member_id, "reader").user_pk)
    runner = app.test_cli_runner()
    scope = tmp_path / "notes-read.json"
    scope.write_text(READ_NOTES)
    made = runner.invoke(args=["idp", "apis", "create", "--json", "--identifier", NOTES_API, "--name", "Notes",
                               "--scope", f"notes.read={scope}"])
    assert made.exit_code == 0, made.output
    made = runner.invoke(args=["idp", "clients", "create", "--json", "--name", "notes-app", "--account",
                               org.member_id, "--redirect-uri", "https://notes.example/cb", "--scope", "openid",
                               "--scope", "notes.read"])
    assert made.exit_code == 0, made.output
    token = mint(app, sub=user.user_id, account=org.member_id, client_id=json.loads(made.output)["client_id"])

    def ask() -> dict:
        answer = client.post("/authorize", json={"action": "notes:GetNote", "resource": NOTE, "token": token,
                                                 "audience": NOTES_API})
        assert answer.status_code == 200, answer.json
        return answer.json

    assert ask()["decision"] == "Allow"
    control_policies.attach(org.org, org.policy(DENY_ALL).id, org.unit.id)
    org.db.session.commit()
    denied = ask()
    assert denied["decision"] == "Deny"
    assert denied["reason"].endswith(f"notes:GetNote on resource: {NOTE} with an explicit deny in a service "
                                     "control policy")


def test_the_simulator_sees_the_principal_org_id_and_reports_the_scps_alone(org):
    """A real request carries aws:PrincipalOrgID, so a simulated one does; AllowedByOrganizations says whether
    the SCPs allow, whatever else (a resource AWS keeps for itself) refuses the request."""
    member_admin = org.admin(org.member_id, "ops")
    outside_only = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Action": "iam:*", "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": org.org.id}}}]})
    control_policies.attach(org.org, org.policy(outside_only).id, org.unit.id)
    org.db.session.commit()
    assert decide(member_admin, "iam:ListUsers", "*").allowed

    subject = simulation.subject_of(org.member_id, f"arn:aws:iam::{org.member_id}:user/ops")
    managed = "arn:aws:iam::aws:policy/AdministratorAccess"
    listed, reserved = simulation.simulate(subject, ["iam:ListUsers"], ["*"], {}) + \
        simulation.simulate(subject, ["iam:DeletePolicy"], [managed], {})
    assert (listed["EvalDecision"], listed["OrganizationsDecisionDetail"]) == (
        "allowed", {"AllowedByOrganizations": True})
    assert not decide(member_admin, "iam:DeletePolicy", managed).allowed  # AWS keeps its managed policies
    assert (reserved["EvalDecision"], reserved["OrganizationsDecisionDetail"]) == (
        "implicitDeny", {"AllowedByOrganizations": True})
