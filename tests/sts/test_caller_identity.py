"""GetCallerIdentity: always allowed, and shaped as AWS shows root, users and role sessions."""
from __future__ import annotations

from tests.sts import Keys, client, deny, make_role, make_user, root_keys, sts, trust

__all__ = ["make_role", "make_user", "sts"]  # fixtures


def identity(live_server, keys: Keys) -> dict:
    found = client(live_server, "sts", keys).get_caller_identity()
    return {key: found[key] for key in ("UserId", "Account", "Arn")}


def test_root_user_and_role_session(live_server, iam, root, make_user, make_role):
    account = root.account_id
    assert identity(live_server, root_keys(root)) == {
        "UserId": account, "Account": account, "Arn": f"arn:aws:iam::{account}:root"}

    # An explicit deny does not stop it: GetCallerIdentity needs no permission.
    iam.create_user(UserName="dave", Path="/ops/")
    iam.put_user_policy(UserName="dave", PolicyName="p", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sts:GetCallerIdentity","Resource":"*"},'
        '{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}'))
    key = iam.create_access_key(UserName="dave")["AccessKey"]
    dave = Keys(key["AccessKeyId"], key["SecretAccessKey"])
    user_id = iam.get_user(UserName="dave")["User"]["UserId"]
    assert identity(live_server, dave) == {
        "UserId": user_id, "Account": account, "Arn": f"arn:aws:iam::{account}:user/ops/dave"}

    role_arn = make_role("auditor", [trust(f"arn:aws:iam::{account}:user/ops/dave")], deny("*"), Path="/audit/")
    session = client(live_server, "sts", dave).assume_role(RoleArn=role_arn, RoleSessionName="dave-audit")
    role_id = iam.get_role(RoleName="auditor")["Role"]["RoleId"]
    assert identity(live_server, Keys.of(session["Credentials"])) == {
        "UserId": f"{role_id}:dave-audit", "Account": account,
        "Arn": f"arn:aws:sts::{account}:assumed-role/auditor/dave-audit"}
