"""GetFederationToken through boto3 and the aws CLI: the answer, what the session may do (the user's policies
AND the session policy; a resource policy naming the federated user), where it reaches, and refused input."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from sqlalchemy import select

from models.audit import AuditEvent
from tests.sts import Keys, allow, client, document, error_of, make_user, raw_client, root_keys, validation
from tests.sts.test_sts_cli import run

__all__ = ["make_user"]  # fixtures

NOTE = "arn:aws:notes:::notebook/team/note/n1"


def federated_arn(account: str, name: str) -> str:
    return f"arn:aws:sts::{account}:federated-user/{name}"


def decide(live_server, keys: Keys, action: str, **question) -> dict:
    """`POST /authorize` for a request to a notes server signed with `keys`."""
    url = "http://notes.example:5001/notes/n1"
    signed = AWSRequest(method="GET", url=url, headers={"Host": urlsplit(url).netloc})
    SigV4Auth(Credentials(keys.access_key_id, keys.secret_access_key, keys.session_token), "notes",
              "us-east-1").add_auth(signed)
    request = {"method": "GET", "url": url, "headers": dict(signed.headers.items()), "body": base64.b64encode(b"").decode()}
    answer = requests.post(f"{live_server.url}/authorize", timeout=10,
                           json={"action": action, "resource": NOTE, "request": request, **question})
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture
def proxy(make_user, iam):
    """A user that may federate names starting with `app-`, and read and list notes itself."""
    keys = make_user("proxy", allow(["sts:GetFederationToken", "sts:TagSession"], "arn:aws:sts::*:federated-user/app-*"),
                     allow(["notes:GetNote", "notes:ListNotes"]))
    iam.tag_user(UserName="proxy", Tags=[{"Key": "team", "Value": "red"}])
    return keys


def test_answer_caller_identity_and_reach(live_server, root, proxy):
    account = root.account_id
    policy = document(allow("notes:GetNote"))
    before = datetime.now(timezone.utc)
    result = client(live_server, "sts", proxy).get_federation_token(Name="app-bob", Policy=policy)
    credentials = result["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA") and len(credentials["SecretAccessKey"]) == 40
    assert timedelta(hours=11, minutes=59) < credentials["Expiration"] - before <= timedelta(hours=12, seconds=5)
    assert result["FederatedUser"] == {"FederatedUserId": f"{account}:app-bob", "Arn": federated_arn(account, "app-bob")}
    assert result["PackedPolicySize"] == -(-sum(not c.isspace() for c in policy) * 100 // 2048)

    keys = Keys.of(credentials)
    assert {k: v for k, v in client(live_server, "sts", keys).get_caller_identity().items()
            if k != "ResponseMetadata"} == {"UserId": f"{account}:app-bob", "Account": account,
                                            "Arn": federated_arn(account, "app-bob")}
    # No IAM at all, and no STS action but GetCallerIdentity, whatever the policies say.
    with pytest.raises(ClientError) as refused:
        client(live_server, "iam", keys).list_users()
    assert error_of(refused)[0] == "InvalidClientTokenId"
    for call, name in ((lambda sts: sts.get_federation_token(Name="app-eve"), "GetFederationToken"),
                       (lambda sts: sts.get_session_token(), "GetSessionToken")):
        with pytest.raises(ClientError) as refused:
            call(client(live_server, "sts", keys))
        assert error_of(refused) == ("AccessDenied", f"Cannot call {name} with session credentials")


def test_permissions_are_the_users_and_the_session_policys(live_server, root, proxy):
    account = root.account_id
    sts = client(live_server, "sts", proxy)
    condition = {"StringEquals": {"aws:PrincipalType": "FederatedUser", "aws:userid": f"{account}:app-ann",
                                  "aws:PrincipalTag/team": "blue"}, "Null": {"aws:username": "true"}}
    ann = Keys.of(sts.get_federation_token(Name="app-ann", Tags=[{"Key": "Team", "Value": "blue"}], Policy=document(
        allow("notes:GetNote", Condition=condition), allow("notes:DeleteNote")))["Credentials"])
    allowed = decide(live_server, ann, "notes:GetNote")
    assert allowed["decision"] == "Allow"
    assert allowed["principal"] == {"arn": federated_arn(account, "app-ann"), "account": account,
                                    "type": "FederatedUser", "user_id": f"{account}:app-ann"}
    assert decide(live_server, ann, "notes:ListNotes")["reason"].endswith(
        "because no session policy allows the notes:ListNotes action")
    assert decide(live_server, ann, "notes:DeleteNote")["reason"].endswith(
        "because no identity-based policy allows the notes:DeleteNote action")

    # Without a session policy the session may do nothing the user's policies allow ...
    bare = Keys.of(sts.get_federation_token(Name="app-bare")["Credentials"])
    assert decide(live_server, bare, "notes:GetNote")["reason"] == (
        f"User: {federated_arn(account, 'app-bare')} is not authorized to perform: notes:GetNote on resource: "
        f"{NOTE} because no session policy allows the notes:GetNote action")

    # ... but a resource policy naming the federated user lets it in on its own; one naming the IAM user stands
    # in for the user's identity policy, still within the session policy.
    def shared(principal: str) -> dict:
        return {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "notes:*", "Resource": "*"}]}
    user_arn = f"arn:aws:iam::{account}:user/proxy"
    assert decide(live_server, bare, "notes:GetNote",
                  resource_policy=shared(federated_arn(account, "app-bare")))["decision"] == "Allow"
    assert decide(live_server, bare, "notes:GetNote", resource_policy=shared(user_arn))["decision"] == "Deny"
    assert decide(live_server, ann, "notes:DeleteNote", resource_policy=shared(user_arn))["decision"] == "Allow"
    assert decide(live_server, ann, "notes:ListNotes", resource_policy=shared(user_arn))["decision"] == "Deny"


def test_authorized_on_the_federated_users_arn_with_tag_keys(live_server, iam, root, make_user):
    account = root.account_id
    tagged = {"StringEquals": {"aws:RequestTag/team": "blue"}, "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}
    sts = client(live_server, "sts", make_user("minter", allow("sts:GetFederationToken"),
                                               allow("sts:TagSession", Condition=tagged)))
    with pytest.raises(ClientError) as refused:
        client(live_server, "sts", make_user("nobody", allow("notes:*"))).get_federation_token(Name="app-x")
    assert error_of(refused) == ("AccessDenied", f"User: arn:aws:iam::{account}:user/nobody is not authorized to "
                                 f"perform: sts:GetFederationToken on resource: {federated_arn(account, 'app-x')} "
                                 "because no identity-based policy allows the sts:GetFederationToken action")
    iam.put_user_policy(UserName="nobody", PolicyName="p", PolicyDocument=document(
        allow("sts:GetFederationToken", f"arn:aws:sts::{account}:federated-user/app-*")))
    with pytest.raises(ClientError) as refused:
        client(live_server, "sts", Keys(*_key(iam, "nobody"))).get_federation_token(Name="ops-x")
    assert error_of(refused)[0] == "AccessDenied"

    for tags in ([{"Key": "team", "Value": "red"}], [{"Key": "team", "Value": "blue"}, {"Key": "cost", "Value": "1"}]):
        with pytest.raises(ClientError) as refused:
            sts.get_federation_token(Name="app-t", Tags=tags)
        assert "sts:TagSession" in error_of(refused)[1]
    assert sts.get_federation_token(Name="app-t", Tags=[{"Key": "team", "Value": "blue"}])["PackedPolicySize"] == 1


def _key(iam, user: str) -> tuple[str, str]:
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def test_root_sessions_last_an_hour_and_act_within_their_policy(live_server, root):
    result = raw_client(live_server, "sts", root_keys(root)).get_federation_token(
        Name="ops", DurationSeconds=7200, Policy=document(allow("notes:GetNote")))
    lifetime = result["Credentials"]["Expiration"] - datetime.now(timezone.utc)
    assert timedelta(minutes=59) < lifetime <= timedelta(hours=1)
    keys = Keys.of(result["Credentials"])
    assert decide(live_server, keys, "notes:GetNote")["decision"] == "Allow"
    assert decide(live_server, keys, "notes:DeleteNote")["decision"] == "Deny"


def test_session_credentials_cannot_federate(live_server, proxy):
    session = Keys.of(client(live_server, "sts", proxy).get_session_token()["Credentials"])
    with pytest.raises(ClientError) as refused:
        client(live_server, "sts", session).get_federation_token(Name="app-x")
    assert error_of(refused) == ("AccessDenied", "Cannot call GetFederationToken with session credentials")


BAD_INPUT = [
    ({"Name": "a"}, "ValidationError", validation("a", "name", "Member must have length greater than or equal to 2")),
    ({"Name": "x" * 33}, "ValidationError",
     validation("x" * 33, "name", "Member must have length less than or equal to 32")),
    ({"Name": "app bob"}, "ValidationError",
     validation("app bob", "name", r"Member must satisfy regular expression pattern: [\w+=,.@-]*")),
    ({"DurationSeconds": 899}, "ValidationError",
     validation(899, "durationSeconds", "Member must have value greater than or equal to 900")),
    ({"DurationSeconds": 129601}, "ValidationError",
     validation(129601, "durationSeconds", "Member must have value less than or equal to 129600")),
    ({"Policy": '{"Version": "2012-10-17", "Statement": []'}, "MalformedPolicyDocument", None),
    ({"PolicyArns": [{"arn": "arn:aws:iam::123456789012:policy/missing"}]}, "InvalidParameterValue",
     "Policy arn:aws:iam::123456789012:policy/missing does not exist or is not attachable."),
    ({"Tags": [{"Key": f"{i:02d}" + "k" * 126, "Value": "v" * 256} for i in range(10)]}, "PackedPolicyTooLarge",
     "Packed policy consumes 188% of allotted space, please use smaller policy."),
]


@pytest.mark.parametrize("change, code, message", BAD_INPUT)
def test_bad_input_is_refused_and_mints_nothing(live_server, db, root, make_user, change, code, message):
    keys = make_user("minter", allow(["sts:GetFederationToken", "sts:TagSession"]))
    with pytest.raises(ClientError) as refused:
        raw_client(live_server, "sts", keys).get_federation_token(**{"Name": "app-x", **change})
    assert error_of(refused)[0] == code
    if message is not None:
        assert error_of(refused)[1] == message
    if code != "InvalidParameterValue":  # refused before it was authorized (an unattachable ARN: after)
        db.session.expire_all()
        assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sts:GetFederationToken")).all() == []


def test_aws_cli(live_server, tmp_path, root, proxy):
    long_term = {"AWS_ACCESS_KEY_ID": proxy.access_key_id, "AWS_SECRET_ACCESS_KEY": proxy.secret_access_key}
    minted = run(live_server, tmp_path, long_term, "sts", "get-federation-token", "--name", "app-cli",
                 "--duration-seconds", "900", "--policy", document(allow("notes:GetNote")))
    assert minted.returncode == 0, minted.stderr
    credentials = json.loads(minted.stdout)["Credentials"]
    session = {"AWS_ACCESS_KEY_ID": credentials["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
               "AWS_SESSION_TOKEN": credentials["SessionToken"]}
    me = run(live_server, tmp_path, session, "sts", "get-caller-identity")
    assert me.returncode == 0, me.stderr
    assert json.loads(me.stdout)["Arn"] == federated_arn(root.account_id, "app-cli")
    refused = run(live_server, tmp_path, long_term, "sts", "get-federation-token", "--name", "ops-cli")
    assert refused.returncode != 0 and "AccessDenied" in refused.stderr
