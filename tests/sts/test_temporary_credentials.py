"""Requests signed with temporary credentials: self-contained tokens, zero reads when warm, revocation, rotation."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from sqlalchemy import event

from tests.sts import Keys, allow, client, deny, document, error_of, make_role, make_user, sts, trust

__all__ = ["make_role", "make_user", "sts"]  # fixtures


@pytest.fixture
def session(live_server, root, make_user, make_role):
    """`(*role statements, **AssumeRole kwargs) -> Keys` for a session of role `worker` assumed by `alice`."""
    alice = make_user("alice", allow(["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]))
    make_role("worker", [trust(f"arn:aws:iam::{root.account_id}:user/alice",
                               ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"])],
              allow(["iam:List*", "iam:Get*"]))
    alice_sts = client(live_server, "sts", alice)

    def assume(**kwargs) -> Keys:
        result = alice_sts.assume_role(RoleArn=f"arn:aws:iam::{root.account_id}:role/worker",
                                       RoleSessionName=kwargs.pop("RoleSessionName", "job"), **kwargs)
        return Keys.of(result["Credentials"])

    return assume


def signed(url: str, keys: Keys, body: str = "Action=ListUsers&Version=2010-05-08"):
    """A botocore-signed IAM request as the server would receive it."""
    from idp.authz.sigv4 import SignedRequest

    request = AWSRequest("POST", url + "/", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(keys.access_key_id, keys.secret_access_key, keys.session_token), "iam",
              "us-east-1").add_auth(request)
    headers = dict(request.headers.items())
    headers["Host"] = url.split("//", 1)[1]
    return SignedRequest.from_parts("POST", "/", "", headers, body.encode())


def test_a_warm_request_reads_nothing_from_the_database(app, live_server, session):
    from idp.authz import credentials
    from idp.authz.authorizer import decide
    from models import db

    keys = session()
    with app.test_request_context("/"):
        request = signed(live_server.url, keys)
        caller = credentials.authenticate(request, "iam", unsigned_payload=False)
        assert decide(caller, "iam:ListUsers", "*").allowed  # cold: the role's policies are loaded
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            for _ in range(3):
                caller = credentials.authenticate(signed(live_server.url, keys), "iam",
                                                  unsigned_payload=False)
                assert decide(caller, "iam:ListUsers", "*").allowed
                assert not decide(caller, "iam:CreateUser", "*").allowed
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert statements == []
        assert caller.principal.type.value == "AssumedRole"
        assert caller.session_keys["aws:MultiFactorAuthPresent"] is False


def test_revoking_older_sessions_by_token_issue_time(live_server, iam, session):
    old = client(live_server, "iam", session())
    assert old.list_roles()["Roles"]
    time.sleep(1.1)
    cutoff = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    iam.put_role_policy(RoleName="worker", PolicyName="revoke", PolicyDocument=document(
        deny("*", Condition={"DateLessThan": {"aws:TokenIssueTime": cutoff}})))
    with pytest.raises(ClientError) as refused:  # at once, within the refresh interval
        old.list_roles()
    assert error_of(refused)[0] == "AccessDenied"
    assert "with an explicit deny in an identity-based policy" in error_of(refused)[1]
    assert client(live_server, "iam", session()).list_roles()["Roles"]


def test_tampered_expired_and_mismatched_tokens_are_refused(app, live_server, root, session):
    from idp.authz.session_tokens import SessionToken, open_token, seal

    keys = session()
    tampered = keys.session_token[:40] + ("A" if keys.session_token[40] != "A" else "B") + keys.session_token[41:]
    for token in (tampered, keys.session_token[:-4], "not-a-token", ""):
        with pytest.raises(ClientError) as refused:
            client(live_server, "sts", Keys(keys.access_key_id, keys.secret_access_key, token)).get_caller_identity()
        assert error_of(refused) == ("InvalidClientTokenId", "The security token included in the request is invalid.")

    other = session(RoleSessionName="other")
    with pytest.raises(ClientError) as refused:  # a valid token, but not the one this key id belongs to
        client(live_server, "sts", Keys(keys.access_key_id, keys.secret_access_key,
                                        other.session_token)).get_caller_identity()
    assert error_of(refused)[0] == "InvalidClientTokenId"
    with pytest.raises(ClientError) as refused:  # a long-term key id with a session token
        client(live_server, "sts", Keys(root.access_key_id, root.secret_access_key,
                                        keys.session_token)).get_caller_identity()
    assert error_of(refused)[0] == "InvalidClientTokenId"

    with app.app_context():
        opened = open_token(keys.session_token)
        now = int(time.time())
        expired = seal(SessionToken(**{**opened.__dict__, "issued_at": now - 1000, "expires_at": now - 1}))
    with pytest.raises(ClientError) as refused:
        client(live_server, "sts", Keys(keys.access_key_id, keys.secret_access_key, expired)).get_caller_identity()
    assert error_of(refused) == ("ExpiredToken", "The security token included in the request is expired")
    assert client(live_server, "sts", keys).get_caller_identity()["UserId"].endswith(":job")


def test_presigned_url_carries_the_token(live_server, session):
    keys = session()
    url = client(live_server, "sts", keys).generate_presigned_url("get_caller_identity", ExpiresIn=60)
    assert "X-Amz-Security-Token=" in url
    response = requests.post(url, timeout=10)  # botocore presigns Query actions for POST
    assert response.status_code == 200 and ":assumed-role/worker/job<" in response.text


def test_session_key_rotation_keeps_old_tokens_until_they_expire(app, live_server, session):
    from idp.keys import keystore
    from models import db
    from models.keys import SigningKey

    before = session()
    with app.app_context():
        keystore().rotate("session", force=True)
    after = session(RoleSessionName="after")
    assert before.session_token[:30] != after.session_token[:30]  # the header names another kid
    for keys in (before, after):
        assert client(live_server, "iam", keys).list_roles()["Roles"]
    with app.app_context():  # the retired key reaches its expiry: its tokens stop opening
        retired = db.session.query(SigningKey).filter_by(purpose="session", status="retired").one()
        retired.expires_at = datetime(2000, 1, 1, tzinfo=timezone.utc)
        db.session.commit()
        keystore().invalidate()
    with pytest.raises(ClientError) as refused:
        client(live_server, "sts", before).get_caller_identity()
    assert error_of(refused)[0] == "InvalidClientTokenId"
    assert client(live_server, "iam", after).list_roles()["Roles"]


def test_session_condition_keys(live_server, iam, root, make_user, session):
    iam.put_role_policy(RoleName="worker", PolicyName="keys", PolicyDocument=document(
        allow("iam:ListGroups", Condition={
            "StringEquals": {"aws:SourceIdentity": "alice", "aws:PrincipalTag/team": "red",
                             "aws:PrincipalType": "AssumedRole"},
            "Bool": {"aws:MultiFactorAuthPresent": "false"},
            "Null": {"aws:TokenIssueTime": "false", "aws:MultiFactorAuthAge": "true"},
            "ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{root.account_id}:role/worker"}})))
    iam.put_role_policy(RoleName="worker", PolicyName="no-list", PolicyDocument=document(
        deny("iam:ListGroups", Condition={"StringNotEquals": {"aws:SourceIdentity": "alice"}})))
    tagged = session(SourceIdentity="alice", Tags=[{"Key": "team", "Value": "red"}])
    assert client(live_server, "iam", tagged).list_groups()["Groups"] == []
    with pytest.raises(ClientError):
        client(live_server, "iam", session()).list_groups()
    # Long-term keys carry no aws:MultiFactorAuthPresent at all, as at AWS.
    bob = make_user("bob", allow("iam:ListGroups", Condition={"Null": {"aws:MultiFactorAuthPresent": "true"}}))
    assert client(live_server, "iam", bob).list_groups()["Groups"] == []
