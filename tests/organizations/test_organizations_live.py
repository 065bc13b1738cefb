"""AWS Organizations with boto3 against the live server: the organization, an OU, CreateAccount, a deny SCP that
refuses a member account's IAM call in AWS's words, the management account unaffected, and
`OrganizationAccountAccessRole` assumed from the management account with boto3 STS."""
from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from tests.authz.test_authorize_endpoint import ask, sign
from tests.support.aws_clients import client_for
from tests.test_readme import readme_blocks, run_python

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
DENY_CREATE_USER = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "NoNewUsers", "Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"}]})


def refused(call) -> dict:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]


def refused_within(seconds: float, call) -> dict:
    """The error `call(attempt)` raises within `seconds` (each attempt numbered, so names never collide)."""
    deadline = time.monotonic() + seconds
    for attempt in range(1000):
        try:
            call(attempt)
        except ClientError as error:
            return error.response["Error"]
        assert time.monotonic() < deadline, "still allowed after the refresh delay"
        time.sleep(0.1)
    raise AssertionError("never refused")


def keys_of(iam, name: str) -> tuple[str, str]:
    iam.create_user(UserName=name)
    iam.attach_user_policy(UserName=name, PolicyArn=ADMIN)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def test_a_deny_scp_on_an_ou_refuses_a_member_account_and_spares_the_management_account(live_server, root, iam):
    org = client_for(live_server, "organizations", root.access_key_id, root.secret_access_key)
    created = org.create_organization(FeatureSet="ALL")["Organization"]
    assert created["Id"].startswith("o-") and len(created["Id"]) == 12
    assert created["Arn"] == f"arn:aws:organizations::{root.account_id}:organization/{created['Id']}"
    assert created["MasterAccountId"] == root.account_id
    root_id = org.list_roots()["Roots"][0]["Id"]
    enabled = org.enable_policy_type(RootId=root_id, PolicyType="SERVICE_CONTROL_POLICY")["Root"]
    assert enabled["PolicyTypes"] == [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]
    unit = org.create_organizational_unit(ParentId=root_id, Name="Workloads")["OrganizationalUnit"]
    assert unit["Arn"] == f"arn:aws:organizations::{root.account_id}:ou/{created['Id']}/{unit['Id']}"

    status = org.create_account(Email="workloads@example.com", AccountName="workloads")["CreateAccountStatus"]
    assert status["State"] == "SUCCEEDED"
    member_id = status["AccountId"]
    assert org.describe_create_account_status(CreateAccountRequestId=status["Id"])["CreateAccountStatus"] == status
    org.move_account(AccountId=member_id, SourceParentId=root_id, DestinationParentId=unit["Id"])
    assert [a["Id"] for a in org.list_accounts_for_parent(ParentId=unit["Id"])["Accounts"]] == [member_id]
    assert org.list_parents(ChildId=member_id)["Parents"] == [{"Id": unit["Id"], "Type": "ORGANIZATIONAL_UNIT"}]
    assert {a["Id"] for a in org.list_accounts()["Accounts"]} == {root.account_id, member_id}
    # Every new target got FullAWSAccess, as at AWS.
    assert [p["Name"] for p in org.list_policies_for_target(
        TargetId=member_id, Filter="SERVICE_CONTROL_POLICY")["Policies"]] == ["FullAWSAccess"]

    # An administrator of the management account reaches the member account through OrganizationAccountAccessRole.
    admin_keys = keys_of(iam, "org-admin")
    sts = client_for(live_server, "sts", *admin_keys)
    session = sts.assume_role(RoleArn=f"arn:aws:iam::{member_id}:role/OrganizationAccountAccessRole",
                              RoleSessionName="setup")["Credentials"]
    member_iam = client_for(live_server, "iam", session["AccessKeyId"], session["SecretAccessKey"],
                            session["SessionToken"])
    member_iam.create_user(UserName="worker")
    member_iam.put_user_policy(UserName="worker", PolicyName="all", PolicyDocument=ALLOW_ALL)
    key = member_iam.create_access_key(UserName="worker")["AccessKey"]
    worker = client_for(live_server, "iam", key["AccessKeyId"], key["SecretAccessKey"])

    policy = org.create_policy(Content=DENY_CREATE_USER, Description="no new users", Name="NoNewUsers",
                               Type="SERVICE_CONTROL_POLICY")["Policy"]["PolicySummary"]
    assert policy["Arn"] == (f"arn:aws:organizations::{root.account_id}:policy/{created['Id']}"
                             f"/service_control_policy/{policy['Id']}")
    org.attach_policy(PolicyId=policy["Id"], TargetId=unit["Id"])
    org.attach_policy(PolicyId=policy["Id"], TargetId=root_id)  # the management account stays unaffected

    error = refused(lambda: worker.create_user(UserName="intruder"))
    assert error["Code"] == "AccessDenied"
    assert error["Message"] == (f"User: arn:aws:iam::{member_id}:user/worker is not authorized to perform: "
                                f"iam:CreateUser on resource: arn:aws:iam::{member_id}:user/intruder "
                                "with an explicit deny in a service control policy")
    assert [u["UserName"] for u in worker.list_users()["Users"]] == ["worker"]  # FullAWSAccess still allows
    # A resource server asking POST /authorize hears the same answer.
    answer = ask(live_server, action="iam:CreateUser", resource="*",
                 request=sign(key["AccessKeyId"], key["SecretAccessKey"], service="iam")).json()
    assert answer["decision"] == "Deny"
    assert answer["reason"].endswith("on resource: * with an explicit deny in a service control policy")
    # Temporary credentials re-read the authz version at most every IDP_AUTHZ_REFRESH_SECONDS (1 s): the role
    # session of the member account is refused within that delay too.
    assert refused_within(1.5, lambda n: member_iam.create_user(UserName=f"via-role-{n}"))["Code"] == "AccessDenied"
    results = member_iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{member_id}:user/worker", ActionNames=["iam:CreateUser", "iam:ListUsers"],
    )["EvaluationResults"]
    assert [(r["EvalDecision"], r["OrganizationsDecisionDetail"]) for r in results] == [
        ("explicitDeny", {"AllowedByOrganizations": False}), ("allowed", {"AllowedByOrganizations": True})]
    iam.create_user(UserName="still-allowed")  # management account root: no SCP applies
    client_for(live_server, "iam", *admin_keys).create_user(UserName="also-allowed")
    assert {t["TargetId"] for t in org.list_targets_for_policy(PolicyId=policy["Id"])["Targets"]} == \
        {unit["Id"], root_id}

    # Detaching lifts the deny.
    org.detach_policy(PolicyId=policy["Id"], TargetId=unit["Id"])
    org.detach_policy(PolicyId=policy["Id"], TargetId=root_id)
    worker.create_user(UserName="now-allowed")
    # A member account cannot manage the organization.
    member_org = client_for(live_server, "organizations", session["AccessKeyId"], session["SecretAccessKey"],
                            session["SessionToken"])
    assert member_org.describe_organization()["Organization"]["Id"] == created["Id"]
    assert refused(lambda: member_org.list_accounts())["Code"] == "AccessDeniedException"


def test_refusals_answer_in_organizations_words_and_change_nothing(live_server, root, runner, app_config, iam):
    org = client_for(live_server, "organizations", root.access_key_id, root.secret_access_key)
    assert refused(lambda: org.describe_organization())["Code"] == "AWSOrganizationsNotInUseException"
    org_id = org.create_organization()["Organization"]["Id"]
    assert refused(lambda: org.create_organization())["Code"] == "AlreadyInOrganizationException"
    root_id = org.list_roots()["Roots"][0]["Id"]
    deny = org.create_policy(Content=DENY_CREATE_USER, Description="", Name="Deny",
                             Type="SERVICE_CONTROL_POLICY")["Policy"]["PolicySummary"]["Id"]
    assert refused(lambda: org.attach_policy(PolicyId=deny, TargetId=root_id))["Code"] == \
        "PolicyTypeNotEnabledException"
    org.enable_policy_type(RootId=root_id, PolicyType="SERVICE_CONTROL_POLICY")
    malformed = DENY_CREATE_USER.replace('"Deny"', '"Denied"')
    error = refused(lambda: org.create_policy(Content=malformed, Description="", Name="Bad",
                                              Type="SERVICE_CONTROL_POLICY"))
    assert error["Code"] == "MalformedPolicyDocumentException" and "INVALID_EFFECT" in error["Message"]
    assert refused(lambda: org.attach_policy(PolicyId="p-FullAWSAccess", TargetId=root_id))["Code"] == \
        "DuplicatePolicyAttachmentException"
    assert refused(lambda: org.detach_policy(PolicyId="p-FullAWSAccess", TargetId=root_id))["Code"] == \
        "ConstraintViolationException"
    assert refused(lambda: org.attach_policy(PolicyId=deny, TargetId="ou-none-00000000"))["Code"] == \
        "TargetNotFoundException"
    # A principal of the management account still needs organizations:<Operation> on the resource.
    iam.create_user(UserName="auditor")
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    auditor = client_for(live_server, "organizations", key["AccessKeyId"], key["SecretAccessKey"])
    error = refused(lambda: auditor.attach_policy(PolicyId=deny, TargetId=root_id))
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"] == (f"User: arn:aws:iam::{root.account_id}:user/auditor is not authorized to perform: "
                                f"organizations:AttachPolicy on resource: arn:aws:organizations::{root.account_id}:"
                                f"policy/{org_id}/service_control_policy/{deny} because no identity-based policy "
                                "allows the organizations:AttachPolicy action")
    assert [p["Name"] for p in org.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]] == \
        ["FullAWSAccess", "Deny"]
    assert [p["Id"] for p in org.list_policies_for_target(TargetId=root_id, Filter="SERVICE_CONTROL_POLICY")[
        "Policies"]] == ["p-FullAWSAccess"]
    # An account outside the organization is told it is not in one, and sees nothing of it.
    other = json.loads(runner.invoke(args=["idp", "create-account", "--json"]).output)
    outsider = client_for(live_server, "organizations", other["access_key_id"], other["secret_access_key"])
    assert refused(lambda: outsider.list_accounts())["Code"] == "AWSOrganizationsNotInUseException"
    assert refused(lambda: outsider.describe_policy(PolicyId=deny))["Code"] == "AWSOrganizationsNotInUseException"
    outer = org.create_organizational_unit(ParentId=root_id, Name="Outer")["OrganizationalUnit"]["Id"]
    inner = org.create_organizational_unit(ParentId=outer, Name="Inner")["OrganizationalUnit"]
    assert org.describe_organizational_unit(OrganizationalUnitId=inner["Id"])["OrganizationalUnit"] == inner
    assert refused(lambda: org.describe_organizational_unit(OrganizationalUnitId=root_id))["Code"] == \
        "OrganizationalUnitNotFoundException"
    org.delete_policy(PolicyId=deny)
    org.delete_organization()  # its OUs go with it
    assert refused(lambda: org.describe_organization())["Code"] == "AWSOrganizationsNotInUseException"
    assert org_id.startswith("o-")
    # The README's example, run as written, in the account now out of any organization again.
    [example] = readme_blocks("python", "organizations")
    account, names = run_python(example, live_server, app_config)[0].split(" ", 1)
    assert names == "['FullAWSAccess', 'NoIamUsers']"
    assert [a["Id"] for a in org.list_accounts_for_parent(ParentId=org.list_roots()["Roots"][0]["Id"])[
        "Accounts"]] == [root.account_id]
    assert account in {a["Id"] for a in org.list_accounts()["Accounts"]}
