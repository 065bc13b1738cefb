"""Issue 13 class 11: no input makes the server fail, and a refused request writes nothing.

Hypothesis drives each endpoint an outsider can reach with parameters of every
shape (the known values, crafted redirect URIs with `\\@` or NUL, unicode,
huge values, duplicates, wrong content types, garbage `Authorization`
headers) through Flask's test client. Each answer must be below 500; each
refusal (4xx) must leave every table as it was except the audit log (refusals
are audited) and the sign-in throttle counters (refusals are counted).
"""
from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.oidc.flow import REDIRECT_URI
from tests.support.signin import client_login

FUZZ = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
# Tables a refusal may write: the audit log and the throttle counters.
MAY_CHANGE = {"audit_events", "signin_throttles"}
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
VERIFIER = "v" * 43
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()

TRICKY = [
    "", " ", "\x00", "a\x00b", "%00", "%", "%zz", "\\", "\\@", "\r\nX-Injected: 1", "\u2028", "😀", "é",
    "\ufeff", "\x7f", "'\"<>&", "../..", "null", "[]", "{}", "-1", "0", "99999999999999999999", "1e309", "NaN",
    "A" * 5000,
    REDIRECT_URI, REDIRECT_URI + "\\@evil.example", "http://127.0.0.1:8765\\@evil.example/callback",
    "http://127.0.0.1:8765/call\x00back", "http://127.0.0.1:99999/callback", "http://[::1", "http://[zz]/",
    "http://127.0.0.1:8765/callback#x", "javascript:alert(1)", "com.example.app:/cb", "https://", "//evil.example",
    "http://evil.example@127.0.0.1:8765/callback", "http://127.0.0.1:8765/%2e%2e/callback",
]
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)


def header_safe(value: str) -> bool:
    """What an HTTP client can send as a header value at all (the test client refuses the rest)."""
    return value.isascii() and value.isprintable()


def values(*known: str) -> st.SearchStrategy[str]:
    """A parameter's value: one it knows, one of the crafted ones, or any text."""
    return st.one_of(st.sampled_from(known) if known else st.nothing(), st.sampled_from(TRICKY), TEXT)


def parameters(fields: dict[str, st.SearchStrategy[str]]) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Some of `fields` (sometimes twice), plus now and then an unknown one."""
    pair = st.one_of(*(st.tuples(st.just(name), strategy) for name, strategy in fields.items()),
                     st.tuples(TEXT, TEXT))
    return st.lists(pair, max_size=len(fields) + 2)


def json_values() -> st.SearchStrategy:
    leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT,
                       st.sampled_from(TRICKY))
    return st.recursive(leaves, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(TEXT, inner, max_size=4)), max_leaves=12)


def authorization_headers(client: dict | None = None) -> st.SearchStrategy[dict[str, str]]:
    """No header, garbage, Basic of random bytes, Basic of the real client (right or wrong secret), Bearer junk."""
    basic = st.binary(max_size=40).map(lambda raw: "Basic " + base64.b64encode(raw).decode())
    choices = [st.just({}), st.builds(lambda v: {"Authorization": v}, st.one_of(
        TEXT.filter(header_safe), basic,
        st.sampled_from(["Basic", "Basic ", "Basic !!!!", "Basic Og==", "Bearer", "Bearer x.y.z",
                         ("AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/iam/aws4_request, "
                          "SignedHeaders=host, Signature=00")])))]
    if client is not None:
        for secret in (client.get("client_secret") or "", "wrong"):
            raw = f"{client['client_id']}:{secret}".encode()
            choices.append(st.just({"Authorization": "Basic " + base64.b64encode(raw).decode()}))
    return st.one_of(*choices)


def fingerprint(app) -> dict[str, list]:
    """Every row of every table a refusal must not touch."""
    from models import db

    with app.app_context():
        rows = {name: sorted(repr(tuple(row)) for row in db.session.execute(select(table)))
                for name, table in db.metadata.tables.items() if name not in MAY_CHANGE}
        db.session.remove()
        return rows


def check(app, before: dict, response, *, wrote_on_success: bool = True) -> dict:
    """No server error; a refusal changed nothing. The fingerprint to compare the next request with."""
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    after = fingerprint(app)
    if response.status_code >= 400 or not wrote_on_success:
        changed = [name for name in after if after[name] != before[name]]
        assert not changed, f"a {response.status_code} wrote to {changed}"
    return after


@pytest.fixture
def app_config(app_config):
    return {**app_config, "IDP_DYNAMIC_REGISTRATION": "on"}


@pytest.fixture
def world(app, root):
    """Clients made through the CLI as an operator would, and an initial access token for registration."""
    runner = app.test_cli_runner()

    def cli(*args: str) -> dict:
        result = runner.invoke(args=["idp", "clients", *args])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    return {
        "web": cli("create", "--json", "--name", "Web", "--redirect-uri", REDIRECT_URI, "--post-logout-redirect-uri",
                   "https://app.example/bye", "--grant-type", "authorization_code", "--grant-type", "refresh_token",
                   "--grant-type", DEVICE_GRANT, "--grant-type", EXCHANGE_GRANT),
        "native": cli("create", "--json", "--name", "Native", "--public", "--redirect-uri", "com.example.app:/cb",
                      "--redirect-uri", "http://127.0.0.1/cb"),
        "service": cli("create", "--json", "--name", "Service", "--grant-type", "client_credentials"),
        "initial_token": cli("initial-access-token", "--json")["initial_access_token"],
        "root": root,
    }


def client_ids(world) -> list[str]:
    return [world["web"]["client_id"], world["native"]["client_id"], world["service"]["client_id"]]


AUTHORIZE_FIELDS = {
    "response_type": values("code", "token", "id_token", "code id_token", "none"),
    "redirect_uri": values(REDIRECT_URI, "com.example.app:/cb", "http://127.0.0.1:5173/cb"),
    "scope": values("openid", "openid profile email", "offline_access"),
    "state": values("xyz"), "nonce": values("n"),
    "code_challenge": values(CHALLENGE), "code_challenge_method": values("S256", "plain"),
    "response_mode": values("query", "form_post", "fragment"), "prompt": values("none", "login", "consent"),
    "max_age": values("0", "60"), "id_token_hint": values("a.b.c"), "login_hint": values("alice"),
    "acr_values": values("urn:idp:acr:mfa"), "resource": values("https://api.example"),
    "request": values("x"), "request_uri": values("urn:x"), "ui_locales": values("en"), "claims": values("{}"),
}


@pytest.mark.parametrize("signed_in", [False, True])
def test_authorize(app, world, signed_in):
    browser = app.test_client()
    if signed_in:
        client_login(browser, world["root"].account_id, "root", world["root"].root_password)
    before = fingerprint(app)

    @FUZZ
    @given(client_id=values(*client_ids(world)), params=parameters(AUTHORIZE_FIELDS), method=st.sampled_from(
        ["GET", "POST"]))
    def run(client_id, params, method):
        nonlocal before
        query = urlencode([("client_id", client_id), *params])
        if method == "GET":
            response = browser.get(f"/oauth2/authorize?{query}")
        else:
            response = browser.post("/oauth2/authorize", data=query, content_type="application/x-www-form-urlencoded")
        issued = response.status_code == 302 and "code=" in response.headers.get("Location", "")
        before = check(app, before, response, wrote_on_success=issued)

    run()


TOKEN_FIELDS = {
    "grant_type": values("authorization_code", "refresh_token", "client_credentials", DEVICE_GRANT, EXCHANGE_GRANT,
                         "password", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
    "code": values("x" * 43), "redirect_uri": values(REDIRECT_URI), "code_verifier": values(VERIFIER),
    "refresh_token": values("x" * 43), "device_code": values("x" * 43), "scope": values("openid", "reports.read"),
    "client_id": values(), "client_secret": values(),
    "client_assertion_type": values("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
    "client_assertion": values("a.b.c", "eyJhbGciOiJub25lIn0.e30."),
    "subject_token": values("a.b.c"), "subject_token_type": values("urn:ietf:params:oauth:token-type:access_token",
                                                                   "urn:ietf:params:oauth:token-type:id_token"),
    "requested_token_type": values("urn:ietf:params:oauth:token-type:access_token"),
    "actor_token": values("a.b.c"), "audience": values("https://api.example"),
    "resource": values("https://api.example"),
}


def _form_endpoint(app, world, path: str, fields: dict) -> None:
    http = app.test_client()
    before = fingerprint(app)

    @FUZZ
    @given(client_id=values(*client_ids(world)), params=parameters(fields),
           headers=authorization_headers(world["web"]), content_type=st.sampled_from(
               ["application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=latin-1",
                "application/json", "text/plain", "multipart/form-data"]), with_client_id=st.booleans())
    def run(client_id, params, headers, content_type, with_client_id):
        nonlocal before
        body = urlencode(([("client_id", client_id)] if with_client_id else []) + params)
        response = http.post(path, data=body, headers=headers, content_type=content_type)
        before = check(app, before, response)

    run()


def test_token(app, world):
    _form_endpoint(app, world, "/oauth2/token", TOKEN_FIELDS)


def test_device_authorization(app, world):
    _form_endpoint(app, world, "/oauth2/device_authorization",
                   {"scope": values("openid", "openid profile"), "resource": values("https://api.example")})


@pytest.mark.parametrize("path", ["/oauth2/introspect", "/oauth2/revoke"])
def test_introspection_and_revocation(app, world, path):
    _form_endpoint(app, world, path, {"token": values("x" * 43, "a.b.c"),
                                      "token_type_hint": values("access_token", "refresh_token")})


def test_userinfo(app, world):
    http = app.test_client()
    before = fingerprint(app)

    @FUZZ
    @given(headers=authorization_headers(), method=st.sampled_from(["GET", "POST"]), params=parameters(
        {"access_token": values("a.b.c")}))
    def run(headers, method, params):
        nonlocal before
        response = http.open("/oauth2/userinfo", method=method, headers=headers, data=urlencode(params),
                             content_type="application/x-www-form-urlencoded")
        before = check(app, before, response)

    run()


REGISTRATION_FIELDS = {
    "client_name": json_values(), "redirect_uris": json_values(), "post_logout_redirect_uris": json_values(),
    "grant_types": json_values(), "response_types": json_values(), "scope": json_values(),
    "token_endpoint_auth_method": json_values(), "jwks": json_values(), "jwks_uri": json_values(),
    "id_token_signed_response_alg": json_values(), "backchannel_logout_uri": json_values(),
    "backchannel_logout_session_required": json_values(), "client_id": json_values(), "client_secret": json_values(),
}
REGISTRATION_BODY = st.one_of(
    st.fixed_dictionaries({}, optional=REGISTRATION_FIELDS),
    st.fixed_dictionaries({"redirect_uris": st.lists(st.sampled_from(TRICKY), min_size=1, max_size=3)},
                          optional={"token_endpoint_auth_method": st.sampled_from(["none", "client_secret_basic"])}),
    json_values())


def test_registration(app, world):
    http = app.test_client()
    before = fingerprint(app)

    @FUZZ
    @given(body=REGISTRATION_BODY, token=st.one_of(st.just(world["initial_token"]), TEXT),
           raw=st.one_of(st.none(), st.binary(max_size=60)), content_type=st.sampled_from(
               ["application/json", "application/json; charset=utf-16", "text/plain"]))
    def run(body, token, raw, content_type):
        nonlocal before
        headers = {"Authorization": f"Bearer {token}"} if header_safe(token) else {}
        data = raw if raw is not None else json.dumps(body)
        response = http.post("/oauth2/register", data=data, headers=headers, content_type=content_type)
        before = check(app, before, response)

    run()


def test_registration_management(app, world):
    http = app.test_client()
    made = http.post("/oauth2/register", json={"client_name": "Managed", "redirect_uris": [REDIRECT_URI]},
                     headers={"Authorization": f"Bearer {world['initial_token']}"})
    assert made.status_code == 201, made.json
    managed = made.json
    before = fingerprint(app)

    @FUZZ
    @given(client_id=values(managed["client_id"]), token=values(managed["registration_access_token"]),
           method=st.sampled_from(["GET", "PUT", "DELETE"]), body=st.one_of(
               REGISTRATION_BODY, st.fixed_dictionaries({"client_id": st.just(managed["client_id"])}, optional={
                   name: strategy for name, strategy in REGISTRATION_FIELDS.items() if name != "client_id"})))
    def run(client_id, token, method, body):
        nonlocal before
        headers = {"Authorization": f"Bearer {token}"} if header_safe(token) else {}
        path = "/oauth2/register/" + client_id.replace("/", "%2F").replace("?", "%3F").replace("#", "%23")
        response = http.open(path, method=method, headers=headers, json=body)
        before = check(app, before, response)

    run()


LOGOUT_FIELDS = {
    "id_token_hint": values("a.b.c", "eyJhbGciOiJub25lIn0.e30."), "post_logout_redirect_uri": values(
        "https://app.example/bye", "https://evil.example/"), "state": values("s"), "client_id": values(),
    "ui_locales": values("en"), "logout_hint": values("alice"),
}


@pytest.mark.parametrize("signed_in", [False, True])
def test_logout(app, world, signed_in):
    browser = app.test_client()
    if signed_in:
        client_login(browser, world["root"].account_id, "root", world["root"].root_password)
    before = fingerprint(app)

    @FUZZ
    @given(client_id=values(*client_ids(world)), params=parameters(LOGOUT_FIELDS), method=st.sampled_from(
        ["GET", "POST"]))
    def run(client_id, params, method):
        nonlocal before
        query = urlencode([("client_id", client_id), *params])
        if method == "GET":
            response = browser.get(f"/oauth2/logout?{query}")
        else:
            response = browser.post("/oauth2/logout", data=query, content_type="application/x-www-form-urlencoded")
        # Only the confirmation page is shown: the session ends on the confirmed POST, never on this request.
        before = check(app, before, response, wrote_on_success=False)

    run()


def test_resource_server_authorize(app, world):
    http = app.test_client()
    before = fingerprint(app)
    forwarded = st.fixed_dictionaries({}, optional={
        "method": values("GET", "POST"), "url": values("https://api.example/x", "/x"),
        "headers": st.one_of(json_values(), st.dictionaries(TEXT, TEXT, max_size=4), st.lists(
            st.tuples(TEXT, TEXT), max_size=4)), "body": st.one_of(json_values(), TEXT)})
    body = st.one_of(json_values(), st.fixed_dictionaries({}, optional={
        "request": st.one_of(forwarded, json_values()), "token": st.one_of(values("a.b.c"), json_values()),
        "audience": st.one_of(values("https://api.example"), json_values()), "action": json_values(),
        "resource": json_values(), "context": json_values(), "resource_policy": json_values()}))

    @FUZZ
    @given(body=body)
    def run(body):
        nonlocal before
        response = http.post("/authorize", data=json.dumps(body), content_type="application/json")
        before = check(app, before, response)

    run()


QUERY_FIELDS = {
    "Action": values("ListUsers", "CreateUser", "AssumeRole", "GetCallerIdentity", "CreateAccessKey",
                     "AssumeRoleWithWebIdentity", "GetSessionToken", "PutUserPolicy", "DeleteUser"),
    "Version": values("2010-05-08", "2011-06-15"), "UserName": values("alice"), "RoleArn": values(
        "arn:aws:iam::123456789012:role/x"), "RoleSessionName": values("s"), "WebIdentityToken": values("a.b.c"),
    "PolicyDocument": values("{}", '{"Version": "2012-10-17", "Statement": []}'), "PolicyName": values("p"),
    "Tags.member.1.Key": values("k"), "Tags.member.1.Value": values("v"), "DurationSeconds": values("900", "-1"),
    "X-Amz-Algorithm": values("AWS4-HMAC-SHA256"),
    "X-Amz-Credential": values("AKIA/20260101/us-east-1/iam/aws4_request"),
    "X-Amz-Date": values("20260101T000000Z"), "X-Amz-Signature": values("00"), "X-Amz-SignedHeaders": values("host"),
}


def test_query_api(app, world):
    http = app.test_client()
    before = fingerprint(app)

    @FUZZ
    @given(params=parameters(QUERY_FIELDS), headers=authorization_headers(), method=st.sampled_from(["GET", "POST"]),
           target=st.one_of(st.none(), values("AWSCloudTrail_20131101.LookupEvents",
                                              "AWSOrganizationsV20161128.DescribeOrganization")),
           amz_date=st.one_of(st.none(), values("20260101T000000Z")))
    def run(params, headers, method, target, amz_date):
        nonlocal before
        headers = dict(headers)
        for name, value in (("X-Amz-Target", target), ("X-Amz-Date", amz_date)):
            if value is not None and header_safe(value):
                headers[name] = value
        if method == "GET":
            response = http.get(f"/?{urlencode(params)}", headers=headers)
        else:
            response = http.post("/", data=urlencode(params), headers=headers,
                                 content_type="application/x-www-form-urlencoded")
        before = check(app, before, response)

    run()


SIGNED_FIELDS = [
    "AccessKeyId", "AccountAlias", "ActionNames.member.1", "AssumeRolePolicyDocument", "AuthenticationCode1",
    "AuthenticationCode2", "CallerArn", "ClientID", "ClientIDList.member.1", "Description", "DurationSeconds",
    "EncodedMessage", "EntityFilter", "ExternalId", "GroupName", "Marker", "MaxItems", "MaxSessionDuration",
    "NewGroupName", "NewPath", "NewUserName", "OnlyAttached", "OpenIDConnectProviderArn", "Password", "OldPassword",
    "NewPassword", "PasswordResetRequired", "Path", "PathPrefix", "PermissionsBoundary", "PolicyArn",
    "PolicyArns.member.1.arn", "PolicyDocument", "PolicyInputList.member.1", "PolicyName", "PolicySourceArn",
    "ResourceArns.member.1", "ResourcePolicy", "RoleArn", "RoleName", "RoleSessionName", "Scope", "SerialNumber",
    "SetAsDefault", "SourceIdentity", "Status", "TagKeys.member.1", "Tags.member.1.Key", "Tags.member.1.Value",
    "Tags.member.2.Key", "ThumbprintList.member.1", "TokenCode", "TransitiveTagKeys.member.1", "Url", "UserName",
    "VersionId", "VirtualMFADeviceName", "WebIdentityToken", "MinimumPasswordLength", "MaxPasswordAge",
    "PasswordReusePrevention", "RequireNumbers", "ContextEntries.member.1.ContextKeyName",
    "ContextEntries.member.1.ContextKeyValues.member.1", "ContextEntries.member.1.ContextKeyType",
    "InstanceProfileName", "AWSServiceName", "CustomSuffix", "DeletionTaskId", "CertificateBody", "CertificateId",
    "ServerCertificateName", "NewServerCertificateName", "PrivateKey", "SSHPublicKeyBody", "SSHPublicKeyId",
    "Encoding", "Name", "Policy",
]
POLICY_TEXT = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",
                                                                  "Resource": "*"}]})


def test_signed_query_api(app, world):
    """Every registered Query action, signed by the root user, with parameters of every shape."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from idp.aws.api import SERVICES

    root = world["root"]
    credentials = Credentials(root.access_key_id, root.secret_access_key)
    actions = [(service.name, service.version, name) for service in SERVICES.values() for name in service.actions]
    account = root.account_id
    field_value = values("alice", "admin", "/", "/team/", "true", "false", "1", "3600", "Active", "Inactive",
                         f"arn:aws:iam::{account}:role/admin", f"arn:aws:iam::{account}:user/alice",
                         f"arn:aws:iam::{account}:policy/p", "arn:aws:iam::aws:policy/ReadOnlyAccess",
                         POLICY_TEXT, "https://idp.example", "a" * 40, "v1", "String", "aws:username")
    http = app.test_client()
    before = fingerprint(app)

    @FUZZ
    @given(action=st.sampled_from(actions), params=st.lists(st.tuples(st.sampled_from(SIGNED_FIELDS), field_value),
                                                              max_size=6))
    def run(action, params):
        nonlocal before
        service, version, name = action
        body = urlencode([("Action", name), ("Version", version), *params])
        signed = AWSRequest(method="POST", url="http://localhost/", data=body,
                            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        SigV4Auth(credentials, service, "us-east-1").add_auth(signed)
        response = http.post("/", data=body, headers=dict(signed.headers.items()))
        before = check(app, before, response)

    run()
