"""GetAccountAuthorizationDetails: one call that shows who holds which policies."""
import json

READ = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}]})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}]})


def test_everything_the_account_holds(iam, root):
    iam.create_user(UserName="ana")
    iam.put_user_policy(UserName="ana", PolicyName="read", PolicyDocument=READ)
    iam.create_group(GroupName="ops")
    iam.add_user_to_group(UserName="ana", GroupName="ops")
    arn = iam.create_policy(PolicyName="local-read", PolicyDocument=READ)["Policy"]["Arn"]
    iam.attach_group_policy(GroupName="ops", PolicyArn=arn)
    iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(RoleName="deployer", PolicyName="inline", PolicyDocument=READ)

    details = iam.get_account_authorization_details()
    [user] = details["UserDetailList"]
    assert user["UserName"] == "ana" and user["GroupList"] == ["ops"]
    assert user["UserPolicyList"][0]["PolicyDocument"]["Statement"][0]["Action"] == "iam:Get*"
    [group] = details["GroupDetailList"]
    assert group["AttachedManagedPolicies"] == [{"PolicyName": "local-read", "PolicyArn": arn}]
    [role] = details["RoleDetailList"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"] == "arn:aws:iam::111122223333:root"
    assert role["RolePolicyList"][0]["PolicyName"] == "inline"
    local = [p for p in details["Policies"] if p["Arn"] == arn]
    assert local and local[0]["AttachmentCount"] == 1
    assert local[0]["PolicyVersionList"][0]["Document"]["Statement"][0]["Effect"] == "Allow"
    assert any(p["Arn"] == "arn:aws:iam::aws:policy/AdministratorAccess" for p in details["Policies"])


def test_filters_and_pagination(iam):
    for i in range(5):
        iam.create_user(UserName=f"u{i}")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    users_only = iam.get_account_authorization_details(Filter=["User"])
    assert len(users_only["UserDetailList"]) == 5 and "RoleDetailList" not in users_only or not users_only.get("RoleDetailList")
    first = iam.get_account_authorization_details(Filter=["User", "Role"], MaxItems=4)
    assert first["IsTruncated"] and len(first["UserDetailList"]) == 4
    rest = iam.get_account_authorization_details(Filter=["User", "Role"], Marker=first["Marker"])
    assert [u["UserName"] for u in rest["UserDetailList"]] == ["u4"] and rest["RoleDetailList"][0]["RoleName"] == "r"
