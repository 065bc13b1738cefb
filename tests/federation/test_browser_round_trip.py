"""The whole federated round trip in Chromium: our login page -> the upstream's login -> back, provisioned with the
mapped groups and tags -> an app gets an ID token whose `groups`, `roles` and `amr` follow -> STS accepts it."""
from __future__ import annotations

import json
import uuid
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from flask import Flask
from joserfc import jwk, jwt

from models.federation import FederatedIdentity
from models.user import User
from tests.support.browser import screenshot
from tests.support.servers import ThreadedServer
from tests.support.signin import DEFAULT_PASSWORD, create_user_with_password, stored



def trust(provider_arn: str, conditions: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": conditions}]})


@pytest.fixture
def corp(live_server, upstream_op, add_upstream, iam):
    """Upstream `corp`: a user `alice-<suffix>` in upstream groups eng-backend-<suffix> and staff-<suffix>; our group
    `engineering` (prefix rule `eng-`)."""
    upstream_iam = upstream_op.client("iam")
    # The upstream lives for the whole session: each test has its own user and groups there.
    suffix = uuid.uuid4().hex[:6]
    username = f"alice-{suffix}"
    create_user_with_password(upstream_iam, username)
    for group in (f"eng-backend-{suffix}", f"staff-{suffix}"):
        upstream_iam.create_group(GroupName=group)
        upstream_iam.add_user_to_group(GroupName=group, UserName=username)
    iam.create_group(GroupName="engineering")
    client = upstream_op.cli("clients", "create", "--name", "IdP under test", "--trusted",
                             "--redirect-uri", f"{live_server.url}/login/upstream/corp/callback")
    added = add_upstream({
        "name": "corp", "issuer": upstream_op.issuer, "client_id": client["client_id"],
        "client_secret": client["client_secret"], "scopes": ["openid", "profile", "email"], "display_name": "Corp",
        "userinfo": True, "claims": ["account", "not-sent"],
        "groups": [{"claim": "groups", "match": "prefix", "value": "eng-", "group": "engineering"},
                   {"claim": "groups", "match": "exact", "value": "admins", "group": "ops"}],
        "tags": [{"claim": "preferred_username", "tag": "upstream_user"}],
        "allow": [{"claim": "preferred_username", "regex": "alice-.*"}],
    })
    return {**added, "username": username, "suffix": suffix}


def _sign_in_through_corp(page, live_server, upstream_op, username: str, *, picture: bool = False) -> None:
    page.goto(f"{live_server.url}/login")
    if picture:
        screenshot(page, "login-with-upstream")
    page.click('[data-upstream="corp"]')
    page.wait_for_url(f"{upstream_op.issuer}/login**")
    page.fill("#account", upstream_op.account_id)
    page.fill("#username", username)
    page.fill("#password", DEFAULT_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/account")


def test_round_trip_provisions_maps_and_the_token_assumes_the_mapped_role(
        app, live_server, root, iam, upstream_op, corp, page, make_app_client):
    _sign_in_through_corp(page, live_server, upstream_op, corp["username"], picture=True)
    facts = page.inner_text("dl.facts")
    assert "engineering" in facts and "fed" in facts
    assert f"/federated/corp/{corp['username']}" in page.inner_text("#principal-arn")
    screenshot(page, "federation-account")
    [user] = stored(app, User, User.path == "/federated/corp/")
    assert user.name == corp["username"] and {"Key": "upstream_user", "Value": corp["username"]} in user.tags
    [link] = stored(app, FederatedIdentity)
    assert link.user_id == user.id and link.last_claims["iss"] == upstream_op.issuer

    # Roles follow from the mapped group, exactly as for a local user.
    url = live_server.url.split("://", 1)[1]
    provider = f"arn:aws:iam::{root.account_id}:oidc-provider/{url}"
    app_client = make_app_client()
    engineers = iam.create_role(RoleName="engineers", AssumeRolePolicyDocument=trust(provider, {
        "StringEquals": {f"{url}:aud": app_client["client_id"]},
        "ForAnyValue:StringEquals": {f"{url}:groups": ["engineering"], f"{url}:amr": ["fed"]}}))["Role"]["Arn"]
    operators = iam.create_role(RoleName="operators", AssumeRolePolicyDocument=trust(provider, {
        "ForAnyValue:StringEquals": {f"{url}:groups": ["ops"]}}))["Role"]["Arn"]

    claims, id_token = _app_sign_in(page, live_server, app_client)
    assert claims["sub"] == user.user_id and "fed" in claims["amr"]
    assert claims["groups"] == ["engineering"]
    assert claims["roles"] == [engineers]
    assert claims["upstream"] == {"name": "corp", "sub": link.subject, "amr": ["pwd"],
                                  "claims": {"account": upstream_op.account_id}}
    sts = boto3.client("sts", endpoint_url=live_server.url, region_name="us-east-1",
                       config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))
    assumed = sts.assume_role_with_web_identity(RoleArn=engineers, RoleSessionName="alice", WebIdentityToken=id_token)
    assert assumed["AssumedRoleUser"]["Arn"].endswith(":assumed-role/engineers/alice")
    with pytest.raises(ClientError) as refused:
        sts.assume_role_with_web_identity(RoleArn=operators, RoleSessionName="alice", WebIdentityToken=id_token)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"


def test_groups_removed_upstream_are_removed_here_at_the_next_sign_in(
        app, live_server, iam, upstream_op, corp, browser):
    iam.create_group(GroupName="handmade")
    context = browser.new_context()
    page = context.new_page()
    _sign_in_through_corp(page, live_server, upstream_op, corp["username"])
    context.close()
    iam.add_user_to_group(GroupName="handmade", UserName=corp["username"])  # an administrator's own membership
    upstream_op.client("iam").remove_user_from_group(GroupName=f"eng-backend-{corp['suffix']}",
                                                     UserName=corp["username"])
    context = browser.new_context()
    page = context.new_page()
    _sign_in_through_corp(page, live_server, upstream_op, corp["username"])
    assert "handmade" in page.inner_text("dl.facts") and "engineering" not in page.inner_text("dl.facts")
    context.close()
    groups = iam.list_groups_for_user(UserName=corp["username"])["Groups"]
    assert [group["GroupName"] for group in groups] == ["handmade"]


def _app_sign_in(page, live_server, app_client) -> tuple[dict, str]:
    """An app's authorization code flow in the signed-in browser, with Authlib's client; the ID token's claims."""
    APP_REDIRECT = app_client["redirect_uri"]
    rp = OAuth2Session(app_client["client_id"], app_client["client_secret"], scope="openid profile",
                       redirect_uri=APP_REDIRECT, code_challenge_method="S256")
    verifier = "v" * 64
    url, state = rp.create_authorization_url(f"{live_server.url}/oauth2/authorize", code_verifier=verifier,
                                             nonce="app-nonce")
    page.goto(url)
    page.wait_for_url(lambda target: target.startswith(APP_REDIRECT))
    params = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
    assert params["state"] == state
    token = rp.fetch_token(f"{live_server.url}/oauth2/token", code=params["code"], code_verifier=verifier,
                           grant_type="authorization_code")
    keys = jwk.KeySet.import_key_set(requests.get(f"{live_server.url}/.well-known/jwks.json", timeout=10).json())
    claims = jwt.decode(token["id_token"], keys, algorithms=["ES256", "RS256"]).claims
    assert claims["nonce"] == "app-nonce" and claims["aud"] == app_client["client_id"]
    return claims, token["id_token"]


@pytest.fixture
def app_callback():
    """The app's redirect URI: a real listener, so the browser lands somewhere after the authorization response."""
    site = Flask("app-callback")
    site.add_url_rule("/callback", "callback", lambda: "signed in")
    server = ThreadedServer(site)
    server.start()
    yield f"{server.url}/callback"
    server.stop()


@pytest.fixture
def make_app_client(app, app_callback):
    def make() -> dict:
        result = app.test_cli_runner().invoke(args=["idp", "clients", "create", "--json", "--name", "App", "--trusted",
                                                    "--redirect-uri", app_callback])
        assert result.exit_code == 0, result.output
        return {**json.loads(result.output), "redirect_uri": app_callback}

    return make
