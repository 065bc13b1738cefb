"""Service-linked roles through boto3 and the aws CLI: names, paths and trust set by the service, duplicates,
deletion tasks, and the protection AWS gives them (even from the root user)."""
import json
import re

import pytest
from botocore.exceptions import ClientError

from tests.iam.test_aws_cli import aws  # noqa: F401  (the aws CLI fixture)

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response["Error"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def role_names(iam):
    return [r["RoleName"] for r in iam.list_roles()["Roles"]]


def test_create_names_and_trust(iam, root):
    account = root.account_id
    role = iam.create_service_linked_role(AWSServiceName="elasticbeanstalk.amazonaws.com",
                                          Description="for Beanstalk")["Role"]
    assert role["RoleName"] == "AWSServiceRoleForElasticBeanstalk"
    assert role["Path"] == "/aws-service-role/elasticbeanstalk.amazonaws.com/"
    assert role["Arn"] == (f"arn:aws:iam::{account}:role/aws-service-role/elasticbeanstalk.amazonaws.com/"
                           "AWSServiceRoleForElasticBeanstalk")
    assert role["RoleId"].startswith("AROA") and role["Description"] == "for Beanstalk"
    assert role["AssumeRolePolicyDocument"] == {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "elasticbeanstalk.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    assert iam.get_role(RoleName="AWSServiceRoleForElasticBeanstalk")["Role"]["Arn"] == role["Arn"]

    named = {
        ("autoscaling.amazonaws.com", "web"): "AWSServiceRoleForAutoScaling_web",
        ("ecs.amazonaws.com", None): "AWSServiceRoleForECS",
        ("example-thing.amazonaws.com", None): "AWSServiceRoleForExampleThing",
        ("ecs.application-autoscaling.amazonaws.com", None): "AWSServiceRoleForApplicationAutoscaling_Ecs",
    }
    for (service, suffix), name in named.items():
        extra = {"CustomSuffix": suffix} if suffix else {}
        assert iam.create_service_linked_role(AWSServiceName=service, **extra)["Role"]["RoleName"] == name

    before = role_names(iam)
    refusals = [
        ({"AWSServiceName": "ecs.amazonaws.com"},
         "Service role name AWSServiceRoleForECS has been taken in this account, please try a different suffix."),
        ({"AWSServiceName": "es.amazonaws.com", "CustomSuffix": "two"}, "Custom suffix is not allowed for es.amazonaws.com"),
        ({"AWSServiceName": "example.com"}, "Invalid service name example.com"),
        ({"AWSServiceName": "autoscaling.amazonaws.com", "CustomSuffix": "s" * 64}, "is longer than 64 characters"),
    ]
    for kwargs, message in refusals:
        error, status = error_of(iam.create_service_linked_role, **kwargs)
        assert (error["Code"], status) == ("InvalidInput", 400) and message in error["Message"]
    # Only CreateServiceLinkedRole may use the reserved path.
    error, _ = error_of(iam.create_role, RoleName="impostor", Path="/aws-service-role/ecs.amazonaws.com/",
                        AssumeRolePolicyDocument=json.dumps(TRUST))
    assert (error["Code"], error["Message"]) == (
        "InvalidInput", "Path prefix '/aws-service-role/' can only be used for AWS Service linked Roles")
    assert role_names(iam) == before


def test_protected_from_everyone_but_description_and_tags(iam, root):
    iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")
    name = "AWSServiceRoleForECS"
    refusal = f"Cannot perform the operation on the protected role '{name}' - this role is only modifiable by AWS"
    iam.create_instance_profile(InstanceProfileName="hosts")
    readonly = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    document = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    # As the root user: the role's own changes (the policy engine's protected deny, answered as IAM answers it),
    # actions on the instance profile, and a session-length change (the service's refusal).
    protected = [
        (iam.delete_role, {"RoleName": name}),
        (iam.update_assume_role_policy, {"RoleName": name, "PolicyDocument": json.dumps(TRUST)}),
        (iam.attach_role_policy, {"RoleName": name, "PolicyArn": readonly}),
        (iam.put_role_policy, {"RoleName": name, "PolicyName": "extra", "PolicyDocument": document}),
        (iam.put_role_permissions_boundary, {"RoleName": name, "PermissionsBoundary": readonly}),
        (iam.add_role_to_instance_profile, {"InstanceProfileName": "hosts", "RoleName": name}),
        (iam.remove_role_from_instance_profile, {"InstanceProfileName": "hosts", "RoleName": name}),
        (iam.update_role, {"RoleName": name, "Description": "x", "MaxSessionDuration": 7200}),
    ]
    for call, kwargs in protected:
        error, status = error_of(call, **kwargs)
        assert (error["Code"], status, error["Message"]) == ("UnmodifiableEntity", 400, refusal)
    assert iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"] == []
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == []
    role = iam.get_role(RoleName=name)["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "ecs.amazonaws.com"}
    assert (role["MaxSessionDuration"], "Description" in role) == (3600, False)
    assert iam.get_instance_profile(InstanceProfileName="hosts")["InstanceProfile"]["Roles"] == []

    # AWS lets the account edit the description of a service-linked role.
    iam.update_role_description(RoleName=name, Description="edited")
    assert iam.get_role(RoleName=name)["Role"]["Description"] == "edited"
    iam.update_role(RoleName=name, Description="edited again")
    assert iam.get_role(RoleName=name)["Role"]["Description"] == "edited again"
    iam.tag_role(RoleName=name, Tags=[{"Key": "team", "Value": "ops"}])
    assert iam.list_role_tags(RoleName=name)["Tags"] == [{"Key": "team", "Value": "ops"}]


def test_delete_and_deletion_status(iam, root):
    created = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix="a")["Role"]
    task = iam.delete_service_linked_role(RoleName="AWSServiceRoleForAutoScaling_a")["DeletionTaskId"]
    assert re.fullmatch(r"task/aws-service-role/autoscaling\.amazonaws\.com/AWSServiceRoleForAutoScaling_a/"
                        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", task)
    assert iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"
    assert error_of(iam.get_role, RoleName=created["RoleName"])[0]["Code"] == "NoSuchEntity"

    unknown = task[:-12] + "000000000000"
    error, status = error_of(iam.get_service_linked_role_deletion_status, DeletionTaskId=unknown)
    assert (error["Code"], status) == ("NoSuchEntity", 404)
    error, status = error_of(iam.get_service_linked_role_deletion_status, DeletionTaskId="not-a-task")
    assert (error["Code"], status) == ("InvalidInput", 400)

    iam.create_role(RoleName="plain", AssumeRolePolicyDocument=json.dumps(TRUST))
    for name in ("plain", "ghost"):
        error, status = error_of(iam.delete_service_linked_role, RoleName=name)
        assert (error["Code"], status) == ("NoSuchEntity", 404)
    assert role_names(iam) == ["plain"]


def test_authorization_by_service_name(iam, root, user_client):
    account = root.account_id
    client = user_client("operator", policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:CreateServiceLinkedRole", "Resource": "*",
         "Condition": {"StringEquals": {"iam:AWSServiceName": "ecs.amazonaws.com"}}},
        {"Effect": "Allow", "Action": "iam:GetServiceLinkedRoleDeletionStatus",
         "Resource": f"arn:aws:iam::{account}:role/aws-service-role/ecs.amazonaws.com/*"},
    ]}))
    error, status = error_of(client.create_service_linked_role, AWSServiceName="rds.amazonaws.com")
    assert (error["Code"], status) == ("AccessDenied", 403)
    assert error["Message"] == (
        f"User: arn:aws:iam::{account}:user/operator is not authorized to perform: iam:CreateServiceLinkedRole on "
        f"resource: arn:aws:iam::{account}:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS because no "
        "identity-based policy allows the iam:CreateServiceLinkedRole action")
    assert "AWSServiceRoleForRDS" not in role_names(iam)
    client.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")
    error, _ = error_of(client.delete_service_linked_role, RoleName="AWSServiceRoleForECS")
    assert error["Code"] == "AccessDenied" and "iam:DeleteServiceLinkedRole" in error["Message"]
    task = iam.delete_service_linked_role(RoleName="AWSServiceRoleForECS")["DeletionTaskId"]
    assert client.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"


def test_aws_cli(aws):  # noqa: F811  (the imported fixture)
    created = aws("iam", "create-service-linked-role", "--aws-service-name", "elasticbeanstalk.amazonaws.com")
    assert created["Role"]["RoleName"] == "AWSServiceRoleForElasticBeanstalk"
    aws("iam", "create-instance-profile", "--instance-profile-name", "beans")
    refused = aws("iam", "add-role-to-instance-profile", "--instance-profile-name", "beans",
                  "--role-name", "AWSServiceRoleForElasticBeanstalk", check=False)
    assert refused.returncode != 0 and "UnmodifiableEntity" in refused.stderr
    task = aws("iam", "delete-service-linked-role", "--role-name", "AWSServiceRoleForElasticBeanstalk")
    status = aws("iam", "get-service-linked-role-deletion-status", "--deletion-task-id", task["DeletionTaskId"])
    assert status["Status"] == "SUCCEEDED"
