"""The raw XML of IAM answers: which members each action carries, as AWS answers it and botocore's model declares."""
import json
import xml.etree.ElementTree as ET

DOCUMENT = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
TAGS = [{"Key": "team", "Value": "blue"}]


def raw(iam, operation: str, call) -> ET.Element:
    """Run `call` and return the `<OperationResult>` element of its raw answer."""
    seen: dict[str, str] = {}

    def keep(http_response, **_):
        seen["xml"] = http_response.text

    event = f"after-call.iam.{operation}"
    iam.meta.events.register(event, keep)
    try:
        call()
    finally:
        iam.meta.events.unregister(event, keep)
    root = ET.fromstring(seen["xml"])
    result = next(child for child in root if child.tag.endswith(f"{operation}Result"))
    for element in result.iter():
        element.tag = element.tag.split("}", 1)[-1]
    return result


def undeclared(element: ET.Element, shape, path: str = "") -> list[str]:
    """Elements botocore's output shape does not declare (it would silently drop them)."""
    found = []
    if shape.type_name == "structure":
        members = {member.serialization.get("name", name): member for name, member in shape.members.items()}
        for child in element:
            if child.tag not in members:
                found.append(f"{path}/{child.tag}")
            else:
                found += undeclared(child, members[child.tag], f"{path}/{child.tag}")
    elif shape.type_name == "list":
        for child in element:
            found += undeclared(child, shape.member, f"{path}/{child.tag}")
    return found


def test_each_action_answers_the_members_aws_does(iam, root):
    policy_arn = f"arn:aws:iam::{root.account_id}:policy/plain"
    iam.create_policy(PolicyName="boundary", PolicyDocument=DOCUMENT)
    boundary_arn = f"arn:aws:iam::{root.account_id}:policy/boundary"
    iam.create_role(RoleName="worker", AssumeRolePolicyDocument=TRUST)
    # (operation, call, {element path: present?})
    cases = [
        ("CreatePolicy", lambda: iam.create_policy(PolicyName="plain", PolicyDocument=DOCUMENT, Description="d"),
         {"Policy/Description": False, "Policy/Tags": False, "Policy/PolicyName": True}),
        ("CreatePolicy", lambda: iam.create_policy(PolicyName="tagged", PolicyDocument=DOCUMENT, Tags=TAGS),
         {"Policy/Tags/member/Key": True, "Policy/Description": False}),
        ("GetPolicy", lambda: iam.get_policy(PolicyArn=policy_arn),
         {"Policy/Description": True, "Policy/Tags": True, "Policy/Tags/member": False}),
        ("ListPolicies", lambda: iam.list_policies(Scope="Local"),
         {"Policies/member/PolicyName": True, "Policies/member/Description": False, "Policies/member/Tags": False}),
        ("CreateUser", lambda: iam.create_user(UserName="plain"),
         {"User/UserName": True, "User/Tags": False, "User/PermissionsBoundary": False}),
        ("CreateUser", lambda: iam.create_user(UserName="full", Tags=TAGS, PermissionsBoundary=boundary_arn),
         {"User/Tags/member/Key": True, "User/PermissionsBoundary/PermissionsBoundaryArn": True}),
        ("GetUser", lambda: iam.get_user(UserName="full"),
         {"User/Tags/member/Key": True, "User/PermissionsBoundary/PermissionsBoundaryArn": True}),
        ("ListUsers", lambda: iam.list_users(),
         {"Users/member/UserName": True, "Users/member/Tags": False, "Users/member/PermissionsBoundary": False}),
        ("GetRole", lambda: iam.get_role(RoleName="worker"),
         {"Role/RoleLastUsed": True, "Role/MaxSessionDuration": True, "Role/Tags": False}),
        ("ListRoles", lambda: iam.list_roles(),
         {"Roles/member/RoleName": True, "Roles/member/RoleLastUsed": False, "Roles/member/PermissionsBoundary": False}),
        ("GetAccountAuthorizationDetails", lambda: iam.get_account_authorization_details(Filter=["Role"]),
         {"RoleDetailList/member/RoleName": True, "RoleDetailList/member/Description": False,
          "RoleDetailList/member/MaxSessionDuration": False}),
    ]
    model = iam.meta.service_model
    for operation, call, expected in cases:
        result = raw(iam, operation, call)
        assert undeclared(result, model.operation_model(operation).output_shape) == [], operation
        present = {path: result.find(path) is not None for path in expected}
        assert present == expected, operation
