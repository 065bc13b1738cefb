"""SigV4 over the wire: what botocore signs is accepted; any one-byte change is refused."""
import datetime as dt
from urllib.parse import urlencode

import botocore.auth
import pytest
import requests
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def signed(root, url, body="Action=ListUsers&Version=2010-05-08", method="POST", headers=FORM):
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
    SigV4Auth(Credentials(root.access_key_id, root.secret_access_key), "iam", "us-east-1").add_auth(request)
    return request


@pytest.fixture
def signer_clock(monkeypatch):
    """Set the time botocore's signer believes it is (the server keeps the real time)."""

    def at(moment: dt.datetime) -> None:
        monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: moment.replace(tzinfo=None))

    return at


def send(request, **changes):
    method = changes.pop("method", request.method)
    url = changes.pop("url", request.url)
    body = changes.pop("body", request.body)
    headers = {**dict(request.headers.items()), **changes.pop("headers", {})}
    return requests.request(method, url, data=body, headers=headers, timeout=10)


def code(response) -> str:
    return response.text.split("<Code>")[1].split("</Code>")[0] if "<Code>" in response.text else ""


def test_botocore_signed_request_is_accepted(live_server, root):
    response = send(signed(root, live_server.url + "/"))
    assert response.status_code == 200 and "<ListUsersResult>" in response.text


@pytest.mark.parametrize(
    "change",
    [
        {"method": "PUT"},
        {"url_suffix": "x"},
        {"query": "?a=b"},
        {"headers": {"X-Amz-Date": "20200101T000000Z"}},
        {"body": "Action=ListUsers&Version=2010-05-09"},
        {"body": "Action=ListUsers&Version=2010-05-08 "},
        {"signed_header": "content-type"},
    ],
)
def test_each_one_byte_change_is_refused(live_server, root, iam, change):
    request = signed(root, live_server.url + "/")
    kwargs = {}
    if "url_suffix" in change:
        kwargs["url"] = request.url + change["url_suffix"]
    elif "query" in change:
        kwargs["url"] = request.url + change["query"]
    elif "signed_header" in change:
        kwargs["headers"] = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-9"}
    else:
        kwargs = dict(change)
    response = send(request, **kwargs)
    # A changed method or path may not reach the Query endpoint at all (405/404); the
    # canonical path itself is covered with botocore in tests/authz/test_sigv4.py.
    assert response.status_code in (400, 403, 404, 405)
    if response.status_code in (400, 403):
        assert code(response) == "SignatureDoesNotMatch"
    assert iam.list_users()["Users"] == []


def test_the_body_cannot_be_swapped_for_another_action(live_server, root, iam):
    request = signed(root, live_server.url + "/")
    response = send(request, body="Action=CreateUser&Version=2010-05-08&UserName=mallory")
    assert response.status_code == 403 and code(response) == "SignatureDoesNotMatch"
    assert "The Canonical String for this request should have been" in response.text
    assert iam.list_users()["Users"] == []


def test_a_request_signed_six_minutes_ago_is_refused(live_server, root, signer_clock):
    signer_clock(dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=6))
    response = send(signed(root, live_server.url + "/"))
    assert response.status_code == 403 and code(response) == "SignatureDoesNotMatch"
    assert "Signature expired" in response.text


def test_unsigned_and_unknown_key_requests_are_refused(live_server, root):
    bare = requests.post(live_server.url + "/", data={"Action": "ListUsers", "Version": "2010-05-08"}, timeout=10)
    assert bare.status_code == 403 and code(bare) == "MissingAuthenticationToken"
    other = signed(type(root)(root.account_id, "AKIAAAAAAAAAAAAAAAAA", root.secret_access_key), live_server.url + "/")
    assert code(send(other)) == "InvalidClientTokenId"


def test_presigned_url_works_until_it_expires(live_server, root, signer_clock):
    query = urlencode({"Action": "ListUsers", "Version": "2010-05-08"})
    request = AWSRequest(method="GET", url=f"{live_server.url}/?{query}")
    SigV4QueryAuth(Credentials(root.access_key_id, root.secret_access_key), "iam", "us-east-1", expires=60).add_auth(request)
    assert requests.get(request.url, timeout=10).status_code == 200

    signer_clock(dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=120))
    stale = AWSRequest(method="GET", url=f"{live_server.url}/?{query}")
    SigV4QueryAuth(Credentials(root.access_key_id, root.secret_access_key), "iam", "us-east-1", expires=60).add_auth(stale)
    expired = requests.get(stale.url, timeout=10)
    assert expired.status_code in (400, 403) and code(expired) == "RequestExpired"


def test_temporary_credentials_are_refused_until_sts_exists(live_server, root):
    request = AWSRequest(method="POST", url=live_server.url + "/", data="Action=ListUsers&Version=2010-05-08", headers=dict(FORM))
    SigV4Auth(Credentials(root.access_key_id, root.secret_access_key, "FAKETOKEN"), "iam", "us-east-1").add_auth(request)
    response = send(request)
    assert response.status_code == 403 and code(response) == "InvalidClientTokenId"


def test_unknown_actions_are_named_only_to_authenticated_callers(live_server, root):
    response = send(signed(root, live_server.url + "/", body="Action=Nope&Version=2010-05-08"))
    assert response.status_code == 400 and code(response) == "InvalidAction"
    assert "Could not find operation Nope for version 2010-05-08" in response.text


# --- class 5: credentials are used only where they are valid ----------------------------------


def scope_events(db, action):
    from sqlalchemy import select

    from models.audit import AuditEvent

    db.session.expire_all()
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def signed_for(keys, url, service, body, headers=FORM):
    """`body` POSTed to the Query endpoint, signed by botocore with the credential scope of `service`."""
    request = AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
    SigV4Auth(Credentials(keys.access_key_id, keys.secret_access_key, getattr(keys, "session_token", None)),
              service, "us-east-1").add_auth(request)
    return send(request)


def test_an_iam_request_signed_for_sts_is_refused_and_changes_nothing(live_server, root, iam, db):
    body = "Action=CreateUser&Version=2010-05-08&UserName=mallory"
    response = signed_for(root, live_server.url + "/", "sts", body)
    assert response.status_code == 403 and code(response) == "SignatureDoesNotMatch"
    assert "<Message>Credential should be scoped to correct service: 'iam'. </Message>" in response.text
    assert iam.list_users()["Users"] == []
    [event] = scope_events(db, "sigv4:ServiceScopeMismatch")
    assert (event.decision, event.actor, event.resource) == ("Deny", root.access_key_id, "iam")
    assert event.detail == {"scoped": "sts", "addressed": "iam"}


def test_an_sts_request_signed_for_iam_is_refused_and_mints_nothing(live_server, root):
    response = signed_for(root, live_server.url + "/", "iam", "Action=GetSessionToken&Version=2011-06-15")
    assert response.status_code == 403 and code(response) == "SignatureDoesNotMatch"
    assert "Credential should be scoped to correct service: 'sts'. " in response.text
    assert "<Credentials>" not in response.text


def test_each_service_accepts_its_own_scope(live_server, root):
    assert "<ListUsersResult>" in signed_for(root, live_server.url + "/", "iam",
                                             "Action=ListUsers&Version=2010-05-08").text
    assert "<GetCallerIdentityResult>" in signed_for(root, live_server.url + "/", "sts",
                                                     "Action=GetCallerIdentity&Version=2011-06-15").text


@pytest.fixture
def session_keys(live_server, iam):
    """GetSessionToken credentials (no MFA) of a user allowed everything, and the user's long-term keys."""
    from tests.sts import Keys, client, document

    iam.create_user(UserName="bob")
    iam.put_user_policy(UserName="bob", PolicyName="all", PolicyDocument=document(
        {"Effect": "Allow", "Action": "*", "Resource": "*"}))
    key = iam.create_access_key(UserName="bob")["AccessKey"]
    bob = Keys(key["AccessKeyId"], key["SecretAccessKey"])
    return Keys.of(client(live_server, "sts", bob).get_session_token()["Credentials"]), bob


@pytest.mark.parametrize("scope", ["iam", "sts"])
def test_session_token_credentials_without_mfa_never_reach_iam(live_server, iam, db, session_keys, scope):
    keys, _ = session_keys
    response = signed_for(keys, live_server.url + "/", scope, "Action=CreateUser&Version=2010-05-08&UserName=m")
    assert response.status_code == 403
    # Signed for STS, the scope rule answers first; signed for IAM, the origin rule does (as AWS).
    assert code(response) == ("InvalidClientTokenId" if scope == "iam" else "SignatureDoesNotMatch")
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["bob"]
    if scope == "iam":
        [event] = scope_events(db, "sts:SessionCredentialsOutOfReach")
        assert (event.decision, event.resource) == ("Deny", "iam")
        assert event.actor.endswith(":user/bob") and event.detail["mfa"] is False


def test_session_token_credentials_call_only_assume_role_and_get_caller_identity_on_sts(
        live_server, iam, root, db, session_keys):
    from botocore.exceptions import ClientError

    from tests.sts import client, document, error_of

    keys, _ = session_keys
    sts = client(live_server, "sts", keys)
    assert sts.get_caller_identity()["Arn"].endswith(":user/bob")
    arn = iam.create_role(RoleName="r", AssumeRolePolicyDocument=document({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{root.account_id}:user/bob"},
        "Action": "sts:AssumeRole"}))["Role"]["Arn"]
    assert sts.assume_role(RoleArn=arn, RoleSessionName="session")["Credentials"]["AccessKeyId"].startswith("ASIA")
    for call, name in ((lambda: sts.get_access_key_info(AccessKeyId=root.access_key_id), "GetAccessKeyInfo"),
                       (lambda: sts.decode_authorization_message(EncodedMessage="x"), "DecodeAuthorizationMessage"),
                       (lambda: sts.get_session_token(), "GetSessionToken")):
        with pytest.raises(ClientError) as refused:
            call()
        assert error_of(refused) == ("AccessDenied", f"Cannot call {name} with session credentials")
    denied = scope_events(db, "sts:SessionCredentialsOutOfReach")
    assert sorted(e.resource for e in denied) == [
        "sts:DecodeAuthorizationMessage", "sts:GetAccessKeyInfo", "sts:GetSessionToken"]


def test_role_session_credentials_are_limited_by_policy_alone(live_server, iam, root, session_keys):
    from tests.sts import client, document

    _, bob = session_keys
    arn = iam.create_role(RoleName="admin", AssumeRolePolicyDocument=document({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{root.account_id}:user/bob"},
        "Action": "sts:AssumeRole"}))["Role"]["Arn"]
    iam.put_role_policy(RoleName="admin", PolicyName="all", PolicyDocument=document(
        {"Effect": "Allow", "Action": "*", "Resource": "*"}))
    from tests.sts import Keys

    role = Keys.of(client(live_server, "sts", bob).assume_role(RoleArn=arn, RoleSessionName="session")["Credentials"])
    assert [u["UserName"] for u in client(live_server, "iam", role).list_users()["Users"]] == ["bob"]
    refused = signed_for(role, live_server.url + "/", "sts", "Action=ListUsers&Version=2010-05-08")
    assert code(refused) == "SignatureDoesNotMatch"
