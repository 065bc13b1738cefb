"""`POST /authorize`: a resource server forwards a SigV4-signed request or a bearer JWT and gets the decision."""
import base64
import json
from datetime import datetime, timezone
from urllib.parse import urlsplit

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from sqlalchemy import select

from idp.clock import FixedClock
from models.audit import AuditEvent
from tests.support.aws_clients import client_for

NOTES = "http://notes.example:5001"
NOTE = "arn:aws:notes:::notebook/team/note/n1"
READ_TEAM = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["notes:GetNote", "notes:ListNotes"], "Resource": "arn:aws:notes:::notebook/team/*"},
    {"Effect": "Deny", "Action": "notes:GetNote", "Resource": "arn:aws:notes:::notebook/team/note/secret"},
]})


@pytest.fixture
def app_config(app_config):
    """A clock the tests can move; it starts at the real time so botocore's signatures are current."""
    return {**app_config, "IDP_CLOCK": FixedClock(datetime.now(timezone.utc))}


def sign(key: str, secret: str, *, token: str | None = None, method: str = "GET", path: str = "/notebooks/team/notes/n1",
         body: bytes = b"", service: str = "notes", headers: dict | None = None) -> dict:
    """A request to the notes server as botocore signs it, in the `request` shape of POST /authorize."""
    url = NOTES + path
    request = AWSRequest(method=method, url=url, data=body, headers={"Host": urlsplit(url).netloc, **(headers or {})})
    SigV4Auth(Credentials(key, secret, token), service, "us-east-1").add_auth(request)
    return {"method": method, "url": url, "headers": dict(request.headers.items()),
            "body": base64.b64encode(body).decode()}


def ask(live_server, **question) -> requests.Response:
    return requests.post(f"{live_server.url}/authorize", json=question, timeout=10)


@pytest.fixture
def reader(iam):
    """A user allowed to read the team notebook, with an access key."""
    iam.create_user(UserName="reader", Tags=[{"Key": "team", "Value": "blue"}])
    iam.put_user_policy(UserName="reader", PolicyName="read", PolicyDocument=READ_TEAM)
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    user = iam.get_user(UserName="reader")["User"]
    return key["AccessKeyId"], key["SecretAccessKey"], user


def test_an_allowed_request_answers_allow_with_the_principal(live_server, reader, root):
    key, secret, user = reader
    answer = ask(live_server, action="notes:GetNote", resource=NOTE, request=sign(key, secret))
    assert answer.status_code == 200
    body = answer.json()
    assert body["decision"] == "Allow"
    assert body["principal"] == {"arn": user["Arn"], "account": root.account_id, "type": "User",
                                 "user_id": user["UserId"]}
    assert body["reason"].startswith(f"Allowed {user['Arn']} to perform: notes:GetNote on resource: {NOTE}")


def test_a_denial_is_200_with_the_aws_reason_and_is_audited(live_server, reader, db):
    key, secret, user = reader
    answer = ask(live_server, action="notes:DeleteNote", resource=NOTE, request=sign(key, secret, method="DELETE"))
    assert answer.status_code == 200
    assert answer.json()["decision"] == "Deny"
    assert answer.json()["reason"] == (
        f"User: {user['Arn']} is not authorized to perform: notes:DeleteNote on resource: {NOTE} "
        "because no identity-based policy allows the notes:DeleteNote action")
    secret_note = "arn:aws:notes:::notebook/team/note/secret"
    explicit = ask(live_server, action="notes:GetNote", resource=secret_note, request=sign(key, secret)).json()
    assert explicit["decision"] == "Deny"
    assert explicit["reason"].endswith("with an explicit deny in an identity-based policy")
    db.session.expire_all()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.actor == user["Arn"])).all()
    assert {(e.action, e.resource, e.decision) for e in events} >= {
        ("notes:DeleteNote", NOTE, "ImplicitDeny"), ("notes:GetNote", secret_note, "ExplicitDeny")}


def test_the_root_user_is_allowed_in_its_account(live_server, root):
    answer = ask(live_server, action="notes:DeleteNote", resource=NOTE,
                 request=sign(root.access_key_id, root.secret_access_key, method="DELETE"))
    assert answer.json()["decision"] == "Allow"
    assert answer.json()["principal"]["type"] == "Account"


def test_a_policy_change_applies_to_the_next_question(live_server, iam, reader):
    key, secret, _ = reader
    assert ask(live_server, action="notes:GetNote", resource=NOTE, request=sign(key, secret)).json()["decision"] == "Allow"
    iam.delete_user_policy(UserName="reader", PolicyName="read")
    assert ask(live_server, action="notes:GetNote", resource=NOTE, request=sign(key, secret)).json()["decision"] == "Deny"


def test_the_resource_servers_policy_can_allow_and_deny(live_server, iam, root, reader):
    iam.create_user(UserName="guest")
    key = iam.create_access_key(UserName="guest")["AccessKey"]
    guest = (key["AccessKeyId"], key["SecretAccessKey"])
    guest_arn = f"arn:aws:iam::{root.account_id}:user/guest"
    share = {"Version": "2012-10-17", "Id": "team-notebook", "Statement": [
        {"Sid": "Guest", "Effect": "Allow", "Principal": {"AWS": guest_arn}, "Action": "notes:GetNote",
         "Resource": "arn:aws:notes:::notebook/team/*"},
        {"Sid": "NoBlue", "Effect": "Deny", "Principal": "*", "Action": "notes:GetNote", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}},
    ]}
    without = ask(live_server, action="notes:GetNote", resource=NOTE, request=sign(*guest)).json()
    assert without["decision"] == "Deny"
    allowed = ask(live_server, action="notes:GetNote", resource=NOTE, request=sign(*guest), resource_policy=share).json()
    assert allowed["decision"] == "Allow" and "resource-based policy team-notebook (Guest)" in allowed["reason"]
    as_text = ask(live_server, action="notes:GetNote", resource=NOTE, request=sign(*guest),
                  resource_policy=json.dumps(share)).json()
    assert as_text["decision"] == "Allow"
    blue = ask(live_server, action="notes:GetNote", resource=NOTE, request=sign(*reader[:2]), resource_policy=share).json()
    assert blue["decision"] == "Deny" and blue["reason"].endswith("with an explicit deny in a resource-based policy")


def test_context_keys_from_the_resource_server_reach_conditions(live_server, iam):
    iam.create_user(UserName="office")
    iam.put_user_policy(UserName="office", PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "notes:GetNote", "Resource": "*",
         "Condition": {"IpAddress": {"aws:SourceIp": "10.1.0.0/16"}, "StringEquals": {"notes:Color": "green"}}}]}))
    key = iam.create_access_key(UserName="office")["AccessKey"]
    creds = (key["AccessKeyId"], key["SecretAccessKey"])
    inside = {"aws:SourceIp": "10.1.2.3", "notes:Color": "green"}
    assert ask(live_server, action="notes:GetNote", resource=NOTE, request=sign(*creds),
               context=inside).json()["decision"] == "Allow"
    for context in ({**inside, "aws:SourceIp": "192.0.2.1"}, {**inside, "notes:Color": "red"}, {}):
        assert ask(live_server, action="notes:GetNote", resource=NOTE, request=sign(*creds),
                   context=context).json()["decision"] == "Deny"


EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def without_body(forwarded: dict) -> dict:
    return {name: value for name, value in forwarded.items() if name != "body"}


def test_an_omitted_body_is_the_empty_body(live_server, reader):
    key, secret, _ = reader
    allowed = [
        sign(key, secret),  # a GET: botocore signs the empty body's hash, the resource server has nothing to send
        sign(key, secret, headers={"X-Amz-Content-SHA256": EMPTY_SHA256}),
        sign(key, secret, method="PUT", body=b"hello", headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}),
    ]
    for forwarded in allowed:
        answer = ask(live_server, action="notes:GetNote", resource=NOTE, request=without_body(forwarded))
        assert (answer.status_code, answer.json()["decision"]) == (200, "Allow"), forwarded["headers"]
    # A signed body left out is not "trust me": the empty body is checked against what was signed.
    hello_hash = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    refused = [
        (sign(key, secret, method="PUT", body=b"hello"), "SignatureDoesNotMatch"),
        (sign(key, secret, method="PUT", body=b"hello", headers={"X-Amz-Content-SHA256": hello_hash}),
         "XAmzContentSHA256Mismatch"),
    ]
    for forwarded, code in refused:
        answer = ask(live_server, action="notes:GetNote", resource=NOTE, request=without_body(forwarded))
        assert (answer.status_code, answer.json()["error"]) == (401, code)


TAMPERINGS = [
    (lambda r: {**r, "body": base64.b64encode(b"changed").decode()}, "SignatureDoesNotMatch"),
    (lambda r: {**r, "url": r["url"] + "?extra=1"}, "SignatureDoesNotMatch"),
    (lambda r: {**r, "method": "DELETE"}, "SignatureDoesNotMatch"),
    (lambda r: {**r, "headers": {k: v for k, v in r["headers"].items() if k != "Authorization"}},
     "MissingAuthenticationToken"),
]


def test_a_tampered_request_is_401(live_server, reader):
    key, secret, _ = reader
    for tamper, code in TAMPERINGS:
        answer = ask(live_server, action="notes:GetNote", resource=NOTE, request=tamper(sign(key, secret, body=b"x")))
        assert (answer.status_code, answer.json()["error"]) == (401, code)


def test_unknown_deactivated_and_wrongly_scoped_keys_are_401(live_server, iam, reader):
    key, secret, _ = reader
    unknown = ask(live_server, action="notes:GetNote", resource=NOTE, request=sign("AKIAEXAMPLEEXAMPLE00", secret))
    assert (unknown.status_code, unknown.json()) == (401, {
        "error": "InvalidClientTokenId", "message": "The security token included in the request is invalid."})
    scoped = ask(live_server, action="notes:GetNote", resource=NOTE, request=sign(key, secret, service="iam"))
    assert scoped.status_code == 401 and scoped.json() == {
        "error": "SignatureDoesNotMatch", "message": "Credential should be scoped to correct service: 'notes'. "}
    iam.update_access_key(UserName="reader", AccessKeyId=key, Status="Inactive")
    inactive = ask(live_server, action="notes:GetNote", resource=NOTE, request=sign(key, secret))
    assert inactive.status_code == 401 and inactive.json()["error"] == "InvalidClientTokenId"


def test_an_old_signature_is_401(live_server, app, reader):
    key, secret, _ = reader
    forwarded = sign(key, secret)
    app.extensions["idp.clock"].advance(6 * 60)
    answer = ask(live_server, action="notes:GetNote", resource=NOTE, request=forwarded)
    assert answer.status_code == 401 and answer.json()["message"].startswith("Signature expired:")


MALFORMED = [
    ({"action": "GetNote"}, "action must look like 'service:Verb'"),
    ({"resource": ""}, "resource must be a non-empty string"),
    ({"token": "x"}, "exactly one of 'request' and 'token' is required"),
    ({"request": None}, "exactly one of 'request' and 'token' is required"),
    ({"request": {"method": "GET", "url": NOTES, "headers": "x"}}, "'request.headers' must be"),
    ({"request": {"method": "GET", "url": NOTES, "headers": {}, "body": "***"}}, "'request.body' is not valid base64"),
    ({"context": {"aws:PrincipalArn": "arn:aws:iam::123456789012:root"}}, "derived from the caller"),
    ({"context": {"aws:SourceIp": {"nested": 1}}}, "must be a string, number, boolean"),
    ({"resource_policy": {"Statement": [{"Effect": "Allow", "Action": "notes:*", "Resource": "*"}]}}, None),
    ({"resource_policy": 7}, "'resource_policy' must be a JSON policy"),
]


def test_a_malformed_question_is_400_and_decides_nothing(live_server, reader, db):
    key, secret, _ = reader
    for question, message in MALFORMED:
        body = {"action": "notes:GetNote", "resource": NOTE, "request": sign(key, secret), **question}
        answer = ask(live_server, **{k: v for k, v in body.items() if v is not None})
        assert answer.status_code == 400, question
        if message is None:
            assert answer.json()["error"] == "MalformedPolicyDocument"
        else:
            assert answer.json()["error"] == "ValidationError" and message in answer.json()["message"]
    db.session.expire_all()
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("notes:%"))).all() == []


def test_a_body_that_is_not_json_is_400(live_server):
    answer = requests.post(f"{live_server.url}/authorize", data="nope", timeout=10)
    assert answer.status_code == 400 and answer.json()["error"] == "ValidationError"


@pytest.fixture
def session(live_server, iam, root, reader):
    """A role session of `reader` in role notes-reader (temporary credentials from AssumeRole)."""
    key, secret, user = reader
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": user["Arn"]}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="notes-reader", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="notes-reader", PolicyName="read", PolicyDocument=READ_TEAM)
    iam.put_user_policy(UserName="reader", PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))

    def assume(**kwargs):
        sts = client_for(live_server, "sts", key, secret)
        answer = sts.assume_role(RoleArn=f"arn:aws:iam::{root.account_id}:role/notes-reader",
                                 RoleSessionName="reading", **kwargs)
        c = answer["Credentials"]
        return (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]), answer["AssumedRoleUser"]

    return assume


def test_temporary_credentials_are_decided_with_the_roles_policies(live_server, iam, root, session):
    (key, secret, token), assumed = session()
    allowed = ask(live_server, action="notes:GetNote", resource=NOTE, request=sign(key, secret, token=token)).json()
    assert allowed["decision"] == "Allow"
    assert allowed["principal"] == {"arn": assumed["Arn"], "account": root.account_id, "type": "AssumedRole",
                                    "user_id": assumed["AssumedRoleId"]}
    denied = ask(live_server, action="notes:PutNote", resource=NOTE,
                 request=sign(key, secret, token=token, method="PUT")).json()
    assert denied["decision"] == "Deny" and denied["reason"] == (
        f"User: {assumed['Arn']} is not authorized to perform: notes:PutNote on resource: {NOTE} "
        "because no identity-based policy allows the notes:PutNote action")
    decoded = json.loads(iam_sts(live_server, root).decode_authorization_message(
        EncodedMessage=denied["encoded_message"])["DecodedMessage"])
    assert decoded["allowed"] is False and decoded["context"]["action"] == "notes:PutNote"
    assert decoded["context"]["principal"]["arn"] == assumed["Arn"]


def iam_sts(live_server, root):
    return client_for(live_server, "sts", root.access_key_id, root.secret_access_key)


def test_a_session_policy_narrows_the_session(live_server, session):
    only_list = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "notes:ListNotes", "Resource": "*"}]})
    (key, secret, token), assumed = session(Policy=only_list)
    denied = ask(live_server, action="notes:GetNote", resource=NOTE, request=sign(key, secret, token=token)).json()
    assert denied["decision"] == "Deny" and denied["reason"].endswith(
        "because no session policy allows the notes:GetNote action")
    listed = ask(live_server, action="notes:ListNotes", resource="arn:aws:notes:::notebook/team/x",
                 request=sign(key, secret, token=token)).json()
    assert listed["decision"] == "Allow"


def test_tampered_expired_and_revoked_sessions(live_server, app, iam, root, session):
    (key, secret, token), _ = session(DurationSeconds=900)
    tampered = token[:-8] + ("A" if token[-8] != "A" else "B") + token[-7:]
    answer = ask(live_server, action="notes:GetNote", resource=NOTE, request=sign(key, secret, token=tampered))
    assert answer.status_code == 401 and answer.json()["error"] == "InvalidClientTokenId"
    other_secret = ask(live_server, action="notes:GetNote", resource=NOTE,
                       request=sign(key, secret[::-1], token=token))
    assert other_secret.status_code == 401 and other_secret.json()["error"] == "SignatureDoesNotMatch"

    iam.put_role_policy(RoleName="notes-reader", PolicyName="revoke", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {
            "DateLessThan": {"aws:TokenIssueTime": "2100-01-01T00:00:00Z"}}}]}))
    revoked = ask(live_server, action="notes:GetNote", resource=NOTE, request=sign(key, secret, token=token)).json()
    assert revoked["decision"] == "Deny" and revoked["reason"].endswith("with an explicit deny in an identity-based policy")

    app.extensions["idp.clock"].advance(901)
    expired = ask(live_server, action="notes:GetNote", resource=NOTE, request=sign(key, secret, token=token))
    assert expired.status_code == 401 and expired.json()["error"] == "ExpiredToken"
