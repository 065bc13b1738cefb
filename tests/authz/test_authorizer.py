"""The shared authorizer end to end: every IAM call is decided by the policy engine, and audited."""
import json

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import select

from idp.authz.authorizer import decide
from idp.authz.principals import Caller, root_principal
from models.audit import AuditEvent

READ_SELF = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["iam:GetUser", "iam:ListUserTags"], "Resource": "arn:aws:iam::*:user/${aws:username}"},
    {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"},
]})


def denial(call, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_a_narrow_policy_allows_exactly_what_it_says(iam, user_client, root):
    iam.create_user(UserName="bob")
    erin = user_client("erin", policy=READ_SELF)
    assert erin.get_user(UserName="erin")["User"]["UserName"] == "erin"
    assert {u["UserName"] for u in erin.list_users()["Users"]} == {"bob", "erin"}

    error, status = denial(erin.get_user, UserName="bob")
    assert (error["Code"], status) == ("AccessDenied", 403)
    assert error["Message"] == (
        f"User: arn:aws:iam::{root.account_id}:user/erin is not authorized to perform: iam:GetUser "
        f"on resource: arn:aws:iam::{root.account_id}:user/bob because no identity-based policy allows "
        "the iam:GetUser action"
    )
    error, _ = denial(erin.create_user, UserName="mallory")
    assert error["Code"] == "AccessDenied" and "iam:CreateUser" in error["Message"]
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["bob", "erin"], "a denied call changes nothing"


def test_an_explicit_deny_wins_and_says_so(iam, user_client, root):
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:DeleteUser", "Resource": "*"},
    ]})
    frank = user_client("frank", policy=policy)
    frank.create_user(UserName="temp")
    error, _ = denial(frank.delete_user, UserName="temp")
    assert error["Message"].endswith("with an explicit deny in an identity-based policy")
    assert iam.get_user(UserName="temp")["User"]["UserName"] == "temp"


def test_a_policy_change_takes_effect_on_the_next_request(iam, user_client):
    gina = user_client("gina", policy=READ_SELF)
    assert gina.get_user(UserName="gina")
    iam.put_user_policy(UserName="gina", PolicyName="inline", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}))
    error, _ = denial(gina.get_user, UserName="gina")
    assert error["Code"] == "AccessDenied"


def test_decisions_are_audited_even_when_denied(iam, user_client, db, root):
    hank = user_client("hank", policy=READ_SELF)
    with pytest.raises(ClientError):
        hank.create_user(UserName="x")
    db.session.expire_all()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "iam:CreateUser")).all()
    denied = [e for e in events if e.actor.endswith(":user/hank")]
    assert len(denied) == 1 and denied[0].decision == "ImplicitDeny" and denied[0].request_id
    assert denied[0].resource == f"arn:aws:iam::{root.account_id}:user/x"


def test_root_is_allowed_in_its_account_and_nothing_in_others(app, root):
    with app.test_request_context("/"):
        own = decide(Caller(root_principal(root.account_id)), "iam:DeleteUser",
                     f"arn:aws:iam::{root.account_id}:user/x")
        other = decide(Caller(root_principal(root.account_id)), "iam:DeleteUser", "arn:aws:iam::999999999999:user/x")
    assert own.allowed and not other.allowed
    assert "because no resource-based policy allows the iam:DeleteUser action" in other.reason
