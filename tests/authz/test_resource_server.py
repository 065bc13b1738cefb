"""The authorizer in-process: `authorize_request`, bearer JWTs of this IdP, and the `require` decorator."""
import base64
import json
import secrets
import time
from urllib.parse import urlsplit

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from flask import Blueprint, g, jsonify
from sqlalchemy import event
from joserfc import jwt as jose_jwt
from joserfc.jwk import ECKey

from idp.authz.decorator import require
from idp.authz.resource_server import authorize_request
from idp.authz.sigv4 import SignedRequest
from idp.errors import AuthenticationError, ValidationError
from idp.keys import sign_token
from models import db
from tests.support.aws_clients import client_for

NOTE = "arn:aws:notes:::notebook/team/note/n1"
NOTES_API = "https://notes.example/api"
READ_NOTES = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["notes:GetNote", "notes:ListNotes"], "Resource": "arn:aws:notes:::notebook/*"},
]})
READ_OWN_TEAM = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "notes:GetNote", "Resource": "arn:aws:notes:::notebook/${aws:PrincipalTag/team}/*"},
]})

views = Blueprint("guarded_notes", __name__)


@views.get("/guarded/<notebook>/<note>")
@require("notes:GetNote", resource=lambda **kw: f"arn:aws:notes:::notebook/{kw['notebook']}/note/{kw['note']}",
         audience=NOTES_API)
def guarded(notebook: str, note: str):
    return jsonify(note=note, caller=g.authorization.principal["arn"])


@pytest.fixture
def app_config(app_config):
    """Account versions re-read at most once a minute, so a warm decision provably reads nothing."""
    return {**app_config, "IDP_AUTHZ_REFRESH_SECONDS": "60"}


@pytest.fixture(autouse=True)
def guarded_app(app):
    """The IdP app with a resource server's view registered in it (before it serves anything)."""
    app.register_blueprint(views)
    return app


@pytest.fixture(autouse=True)
def notes_api(app, root, tmp_path):
    """The notes API registered through the CLI, its scope `notes.read` reaching GetNote/ListNotes on any notebook."""
    policy = tmp_path / "notes-read.json"
    policy.write_text(READ_NOTES)
    result = app.test_cli_runner().invoke(args=["idp", "apis", "create", "--json", "--identifier", NOTES_API,
                                                "--name", "Notes", "--scope", f"notes.read={policy}"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture(autouse=True)
def notes_apps(app, root, notes_api):
    """The two apps the tokens below name, registered through the CLI with the notes scope; the bearer path
    reads the token's client at every decision. Their random ids are set to the stable ids the policies name."""
    from models.oauth_client import OAuthClient

    runner = app.test_cli_runner()
    for name in ("notes-app", "other-app"):
        made = runner.invoke(args=["idp", "clients", "create", "--json", "--name", name, "--redirect-uri",
                                   "https://notes.example/cb", "--scope", "openid", "--scope", "notes.read"])
        assert made.exit_code == 0, made.output
        with app.app_context():
            row = db.session.query(OAuthClient).filter_by(client_id=json.loads(made.output)["client_id"]).one()
            row.client_id = name
            db.session.commit()


@pytest.fixture
def member(iam):
    """An IAM user tagged team=blue who may read notes of its own team's notebook."""
    iam.create_user(UserName="member", Tags=[{"Key": "team", "Value": "blue"}])
    iam.put_user_policy(UserName="member", PolicyName="read", PolicyDocument=READ_OWN_TEAM)
    key = iam.create_access_key(UserName="member")["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"], iam.get_user(UserName="member")["User"]


def signed_headers(key: str, secret: str, url: str, token: str | None = None) -> dict:
    request = AWSRequest(method="GET", url=url, headers={"Host": urlsplit(url).netloc})
    SigV4Auth(Credentials(key, secret, token), "notes", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def mint(app, **claims) -> str:
    """An access token as the token endpoint mints one for the notes API (scope notes.read), unless overridden."""
    issuer = app.config["IDP_SETTINGS"].issuer
    with app.app_context():
        return sign_token({"iss": issuer, "iat": int(time.time()), "exp": int(time.time()) + 300,
                           "aud": [issuer, NOTES_API], "client_id": "notes-app", "scope": "openid notes.read",
                           "jti": secrets.token_urlsafe(8), **claims}, typ="at+jwt")


def decide_in_process(app, action="notes:GetNote", resource=NOTE, **kwargs):
    if "token" in kwargs:
        kwargs.setdefault("audience", NOTES_API)
    with app.test_request_context("/"):
        return authorize_request(action, resource, **kwargs)


def test_a_signed_request_is_decided_in_process(app, member):
    key, secret, user = member
    url = "http://notes.example/notebooks/blue/note/n1"
    signed = SignedRequest.from_parts("GET", "/notebooks/blue/note/n1", "", signed_headers(key, secret, url), b"")
    allowed = decide_in_process(app, resource="arn:aws:notes:::notebook/blue/note/n1", signed=signed)
    assert allowed.allowed and allowed.principal["arn"] == user["Arn"] and allowed.principal["type"] == "User"
    denied = decide_in_process(app, resource="arn:aws:notes:::notebook/red/note/n1", signed=signed)
    assert denied.decision == "Deny" and denied.as_json()["reason"] == (
        f"User: {user['Arn']} is not authorized to perform: notes:GetNote on resource: "
        "arn:aws:notes:::notebook/red/note/n1 because no identity-based policy allows the notes:GetNote action")
    with pytest.raises(ValidationError):
        decide_in_process(app, signed=signed, token="also")


def test_a_token_for_an_iam_user_carries_its_policies_and_tags(app, member, root):
    _, _, user = member
    token = mint(app, sub=user["UserId"], account=root.account_id)
    allowed = decide_in_process(app, resource="arn:aws:notes:::notebook/blue/note/n1", token=token)
    assert allowed.allowed and allowed.principal == {
        "arn": user["Arn"], "account": root.account_id, "type": "User", "user_id": user["UserId"]}
    assert not decide_in_process(app, resource="arn:aws:notes:::notebook/red/note/n1", token=token).allowed


def test_a_token_for_a_deleted_user_does_not_authenticate(app, iam, member, root):
    _, _, user = member
    token = mint(app, sub=user["UserId"], account=root.account_id)
    iam.delete_user_policy(UserName="member", PolicyName="read")
    iam.delete_access_key(UserName="member", AccessKeyId=member[0])
    iam.delete_user(UserName="member")
    with pytest.raises(AuthenticationError, match="no longer exists"):
        decide_in_process(app, token=token)


def test_other_subjects_are_web_identities_that_only_resource_policies_let_in(app, root, live_server):
    url = live_server.url.split("://", 1)[1]
    provider = f"arn:aws:iam::{root.account_id}:oidc-provider/{url}"
    token = mint(app, sub="alice@example.com", amr=["pwd", "mfa"], email="alice@example.com")
    denied = decide_in_process(app, token=token)
    assert denied.principal == {"arn": provider, "account": root.account_id, "type": "WebIdentityUser",
                                "user_id": f"{url}:alice@example.com"}
    assert denied.reason.endswith("because no resource-based policy allows the notes:GetNote action")
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider}, "Action": "notes:GetNote", "Resource": "*",
        "Condition": {"StringEquals": {f"{url}:sub": "alice@example.com", f"{url}:client_id": "notes-app"},
                      "ForAnyValue:StringEquals": {f"{url}:amr": "mfa"}}}]}
    assert decide_in_process(app, token=token, resource_policy=policy).allowed
    other = mint(app, sub="bob@example.com", amr=["pwd", "mfa"])
    assert not decide_in_process(app, token=other, resource_policy=policy).allowed
    no_mfa = mint(app, sub="alice@example.com", amr=["pwd"])
    assert not decide_in_process(app, token=no_mfa, resource_policy=policy).allowed


def test_expired_forged_and_unsigned_tokens_do_not_authenticate(app, root):
    issuer = app.config["IDP_SETTINGS"].issuer
    now = int(time.time())
    expired = mint(app, sub="alice", iat=now - 900, exp=now - 600)
    stranger = ECKey.generate_key("P-256", parameters={"kid": "stranger"})
    forged = jose_jwt.encode({"alg": "ES256", "kid": "stranger"}, {"iss": issuer, "sub": "alice", "exp": now + 300},
                             stranger, algorithms=["ES256"])
    real_kid = json.loads(base64.urlsafe_b64decode(mint(app, sub="a").split(".")[0] + "=="))["kid"]
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "kid": real_kid}).encode()).decode()
    claims = base64.urlsafe_b64encode(json.dumps({"iss": issuer, "sub": "alice", "exp": now + 300})
                                                    .encode()).decode()
    unsigned = f"{header.rstrip('=')}.{claims.rstrip('=')}."
    foreign_issuer = mint(app, sub="alice", iss="https://elsewhere.example")
    for token, reason in ((expired, "expired"), (forged, "unknown key"), (unsigned, "algorithm .none. is not allowed"),
                          (foreign_issuer, "issuer")):
        with pytest.raises(AuthenticationError, match=reason):
            decide_in_process(app, token=token)


def test_an_id_token_is_not_a_bearer_credential(app, root):
    """RFC 9068: a JWT of this issuer without `typ: at+jwt` (an ID token, a logout token) is refused."""
    issuer = app.config["IDP_SETTINGS"].issuer
    now = int(time.time())
    with app.app_context():
        id_token = sign_token({"iss": issuer, "sub": "alice", "aud": [issuer, NOTES_API], "iat": now, "exp": now + 300})
    with pytest.raises(AuthenticationError, match="not an access token"):
        decide_in_process(app, token=id_token)


def test_the_decorator_allows_denies_and_refuses(app, member, root, live_server):
    key, secret, user = member
    client = app.test_client()
    allowed_url = "http://localhost/guarded/blue/n1"
    response = client.get("/guarded/blue/n1", headers=signed_headers(key, secret, allowed_url))
    assert response.status_code == 200 and response.json == {"note": "n1", "caller": user["Arn"]}
    response = client.get("/guarded/red/n1", headers=signed_headers(key, secret, "http://localhost/guarded/red/n1"))
    assert response.status_code == 403 and response.json["error"] == "AccessDenied"
    assert response.json["message"] == (
        f"User: {user['Arn']} is not authorized to perform: notes:GetNote on resource: "
        "arn:aws:notes:::notebook/red/note/n1 because no identity-based policy allows the notes:GetNote action")
    assert client.get("/guarded/blue/n1").status_code == 401
    token = mint(app, sub=user["UserId"], account=root.account_id)
    assert client.get("/guarded/blue/n1", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    response = client.get("/guarded/blue/n1", headers={"Authorization": "Bearer not.a.token"})
    assert response.status_code == 401 and "Bearer" in response.headers["WWW-Authenticate"]


def test_bearer_tokens_over_http(live_server, app, member, root):
    _, _, user = member
    token = mint(app, sub=user["UserId"], account=root.account_id)
    answer = requests.post(f"{live_server.url}/authorize", timeout=10, json={
        "action": "notes:GetNote", "resource": "arn:aws:notes:::notebook/blue/note/n1", "token": token,
        "audience": NOTES_API})
    assert answer.status_code == 200 and answer.json()["decision"] == "Allow"
    expired = mint(app, sub=user["UserId"], account=root.account_id, iat=int(time.time()) - 900,
                   exp=int(time.time()) - 600)
    answer = requests.post(f"{live_server.url}/authorize", timeout=10, json={
        "action": "notes:GetNote", "resource": "arn:aws:notes:::notebook/blue/note/n1", "token": expired,
        "audience": NOTES_API})
    assert answer.status_code == 401 and answer.json() == {"error": "InvalidClientTokenId",
                                                           "message": "token has expired"}


@pytest.fixture
def role_session(live_server, iam, root, member):
    """Temporary credentials of `member` in a role that may read the blue notebook."""
    key, secret, user = member
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": user["Arn"]}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="blue-reader", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="blue-reader", PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "notes:GetNote", "Resource": "arn:aws:notes:::notebook/blue/*"}]}))
    iam.put_user_policy(UserName="member", PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    answer = client_for(live_server, "sts", key, secret).assume_role(
        RoleArn=f"arn:aws:iam::{root.account_id}:role/blue-reader", RoleSessionName="s1")
    c = answer["Credentials"]
    return c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"], answer["AssumedRoleUser"]


def test_a_warm_decision_with_temporary_credentials_reads_nothing(app, role_session):
    key, secret, token, assumed = role_session
    url = "http://notes.example/notebooks/blue/note/n1"
    signed = SignedRequest.from_parts("GET", "/notebooks/blue/note/n1", "", signed_headers(key, secret, url, token), b"")
    statements: list[str] = []
    with app.test_request_context("/"):
        first = authorize_request("notes:GetNote", "arn:aws:notes:::notebook/blue/note/n1", signed=signed)
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            again = authorize_request("notes:GetNote", "arn:aws:notes:::notebook/blue/note/n1", signed=signed)
            other = authorize_request("notes:GetNote", "arn:aws:notes:::notebook/red/note/n1", signed=signed)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    assert first.allowed and again.allowed and not other.allowed
    assert again.principal == {"arn": assumed["Arn"], "account": assumed["Arn"].split(":")[4],
                               "type": "AssumedRole", "user_id": assumed["AssumedRoleId"]}
    assert statements == []


def test_the_decorator_accepts_temporary_credentials(app, role_session):
    key, secret, token, assumed = role_session
    client = app.test_client()
    url = "http://localhost/guarded/blue/n1"
    response = client.get("/guarded/blue/n1", headers=signed_headers(key, secret, url, token))
    assert response.status_code == 200 and response.json["caller"] == assumed["Arn"]
    tampered = signed_headers(key, secret, url, token[:-4] + "AAAA")
    response = client.get("/guarded/blue/n1", headers=tampered)
    assert response.status_code == 401 and response.json["error"] == "InvalidClientTokenId"


# A bearer access token is a bounded session: audience, liveness, scopes (issue 13, class 1).

def refusals(app) -> list[dict]:
    from models.audit import AuditEvent

    with app.app_context():
        return [{"resource": e.resource, "detail": e.detail, "actor": e.actor} for e in
                db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "authz:RefuseBearerToken"))]


def test_a_token_without_an_audience_or_for_another_does_not_authenticate(app, member, root, live_server):
    _, _, user = member
    token = mint(app, sub=user["UserId"], account=root.account_id)
    for audience, reason in ((None, "named audience"), ("https://other.example/api", "does not include")):
        with pytest.raises(AuthenticationError, match=reason):
            decide_in_process(app, token=token, audience=audience)
    # aud names an API that is not (or no longer) registered: not a resource server's token.
    stray = mint(app, sub=user["UserId"], account=root.account_id, aud=["https://gone.example/api"])
    with pytest.raises(AuthenticationError, match="not a registered API"):
        decide_in_process(app, token=stray, audience="https://gone.example/api")
    # Over HTTP: 401, and the refusals are audited.
    answer = requests.post(f"{live_server.url}/authorize", timeout=10, json={
        "action": "notes:GetNote", "resource": "arn:aws:notes:::notebook/blue/note/n1", "token": token})
    assert answer.status_code == 401 and "named audience" in answer.json()["message"]
    other = mint(app, sub=user["UserId"], account=root.account_id, aud="https://reports.example/api")
    answer = requests.post(f"{live_server.url}/authorize", timeout=10, json={
        "action": "notes:GetNote", "resource": "arn:aws:notes:::notebook/blue/note/n1", "token": other,
        "audience": NOTES_API})
    assert answer.status_code == 401 and "does not include" in answer.json()["message"]
    audited = refusals(app)
    assert len(audited) >= 2 and all(e["resource"] == "arn:aws:notes:::notebook/blue/note/n1" for e in audited)
    assert {e["actor"] for e in audited} == {"notes-app"} and audited[-1]["detail"]["sub"] == user["UserId"]
    # The decorator too.
    response = app.test_client().get("/guarded/blue/n1", headers={"Authorization": f"Bearer {other}"})
    assert response.status_code == 401
    # An API deleted with the CLI no longer accepts the tokens issued for it.
    assert decide_in_process(app, resource="arn:aws:notes:::notebook/blue/note/n1", token=token).allowed
    assert app.test_cli_runner().invoke(args=["idp", "apis", "delete", NOTES_API]).exit_code == 0
    with pytest.raises(AuthenticationError, match="not a registered API"):
        decide_in_process(app, token=token)


def test_a_token_without_a_scope_of_the_api_has_no_authority_over_it(app, member, root):
    _, _, user = member
    only_openid = mint(app, sub=user["UserId"], account=root.account_id, scope="openid profile")
    denied = decide_in_process(app, resource="arn:aws:notes:::notebook/blue/note/n1", token=only_openid)
    assert denied.decision == "Deny" and denied.reason.endswith(
        "because no session policy allows the notes:GetNote action")
    read = mint(app, sub=user["UserId"], account=root.account_id, scope="notes.read")
    assert decide_in_process(app, resource="arn:aws:notes:::notebook/blue/note/n1", token=read).allowed
    # The scope reaches PutNote nowhere; the user's policy does not reach the red notebook.
    assert not decide_in_process(app, "notes:PutNote", "arn:aws:notes:::notebook/blue/note/n1", token=read).allowed
    assert not decide_in_process(app, resource="arn:aws:notes:::notebook/red/note/n1", token=read).allowed


def test_a_resource_policy_naming_the_user_does_not_lift_the_scope_bound(app, member, root):
    """AWS lets a resource policy naming a session's ARN bypass its session policy; a token never exceeds its scopes."""
    _, _, user = member
    everything = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": user["Arn"]}, "Action": "notes:*", "Resource": "*"}]}
    signed_in_only = mint(app, sub=user["UserId"], account=root.account_id, scope="openid")
    denied = decide_in_process(app, "notes:DeleteNote", resource_policy=everything, token=signed_in_only)
    assert denied.decision == "Deny" and "no session policy allows" in denied.reason
    read = mint(app, sub=user["UserId"], account=root.account_id)
    assert decide_in_process(app, "notes:GetNote", resource_policy=everything, token=read).allowed
    assert not decide_in_process(app, "notes:DeleteNote", resource_policy=everything, token=read).allowed


def test_oidc_condition_keys_let_a_resource_policy_name_the_app(app, member, root):
    _, _, user = member
    only_this_app = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "notes:*", "Resource": "*",
         "Condition": {"StringNotEquals": {"oidc:ClientId": "notes-app"}}},
        {"Effect": "Allow", "Principal": "*", "Action": "notes:GetNote", "Resource": "*",
         "Condition": {"StringEquals": {"oidc:Audience": NOTES_API},
                       "ForAnyValue:StringEquals": {"oidc:Scope": "notes.read"}}}]}
    mine = mint(app, sub=user["UserId"], account=root.account_id)
    assert decide_in_process(app, resource_policy=only_this_app, token=mine).allowed
    other_app = mint(app, sub=user["UserId"], account=root.account_id, client_id="other-app")
    denied = decide_in_process(app, resource_policy=only_this_app, token=other_app)
    assert denied.decision == "Deny" and "explicit deny in a resource-based policy" in denied.reason
    # A resource server cannot supply these keys itself.
    with pytest.raises(ValidationError, match="derived"):
        decide_in_process(app, token=other_app, context={"oidc:ClientId": "notes-app"})


def test_a_revoked_token_is_refused_after_at_most_the_refresh_interval(app, member, root, live_server):
    """RFC 7009 revocation by jti; answers are remembered for IDP_AUTHZ_REFRESH_SECONDS (60 here) on the app's clock."""
    from datetime import UTC, datetime, timedelta

    from idp.authz.liveness import REVOKED_NAMESPACE
    from idp.clock import FixedClock
    from models.jti import UsedJti

    _, _, user = member
    moved = app.extensions["idp.clock"] = FixedClock(datetime.now(UTC))
    token = mint(app, sub=user["UserId"], account=root.account_id, jti="revoke-me")
    resource = "arn:aws:notes:::notebook/blue/note/n1"
    assert decide_in_process(app, resource=resource, token=token).allowed
    with app.app_context():
        db.session.add(UsedJti(issuer=REVOKED_NAMESPACE, jti="revoke-me", expires_at=moved.now() + timedelta(hours=1)))
        db.session.commit()
    moved.advance(61)
    with pytest.raises(AuthenticationError, match="revoked"):
        decide_in_process(app, resource=resource, token=token)
    response = app.test_client().get("/guarded/blue/n1", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    answer = requests.post(f"{live_server.url}/authorize", timeout=10, json={
        "action": "notes:GetNote", "resource": resource, "token": token, "audience": NOTES_API})
    assert answer.status_code == 401 and "revoked" in answer.json()["message"]
    assert any(e["detail"]["reason"] == "the access token has been revoked" for e in refusals(app))
