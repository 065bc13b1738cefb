"""Token kinds (issue 13, class 2): every kind of token the product issues, presented to every surface that verifies
a token, over its real interface. Exactly the diagonal is accepted: no token of one kind is accepted as another.

The tokens are minted through the product: a code flow (ID token, and an access token for a registered API with
`resource=`, so its `aud` names the API and the issuer), RP-initiated logout (the logout token the back channel
delivers), the initial-access-token CLI, and a private_key_jwt client's own assertion. The IAM provider lists
every `aud` our tokens carry, so at STS only the kind tells them apart.
"""
from __future__ import annotations

import json
from urllib.parse import urlencode

import boto3
import pytest
import requests
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from sqlalchemy import func, select

from models import db
from models.audit import AuditEvent
from models.oauth_client import OAuthClient
from tests.oidc.flow import REDIRECT_URI, Browser, callback_params, pkce_pair
from tests.oidc.rp_server import start_relying_party
from tests.oidc.test_private_key_jwt import assertion, client_key, grant, jwt_client  # noqa: F401
from tests.support.signin import stored

NOTES = "https://notes.example/api"
READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "notes:GetNote", "Resource": "*"}]}
TE = "urn:ietf:params:oauth:grant-type:token-exchange"
AT = "urn:ietf:params:oauth:token-type:access_token"
IDT = "urn:ietf:params:oauth:token-type:id_token"

ID, ACCESS, LOGOUT, INITIAL, ASSERTION = "ID token", "access token", "logout token", "initial access token", \
    "client assertion"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "IDP_DYNAMIC_REGISTRATION": "on"}


@pytest.fixture
def rp():
    party, server = start_relying_party()
    yield party
    server.shutdown()


@pytest.fixture
def app_client(make_client, make_api, rp, root, live_server):
    """A web app that gets ID and access tokens (for the notes API too), receives logout tokens and may exchange
    its tokens."""
    make_api(NOTES, {"notes.read": READ}, name="Notes")
    exchange_policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "oidc:TokenExchange",
        "Resource": f"arn:aws:oidc::{root.account_id}:audience/{live_server.url}",
        "Condition": {"StringEquals": {"oidc:SubjectIssuer": live_server.url}}}]})
    return make_client("--name", "Kinds app", "--redirect-uri", REDIRECT_URI, "--backchannel-logout-uri",
                       f"{rp.url}/bc", "--grant-type", "authorization_code", "--grant-type", "refresh_token",
                       "--grant-type", TE, "--scope", "openid", "--scope", "profile", "--scope", "email",
                       "--scope", "notes.read", "--token-exchange-policy", exchange_policy)


def _signed_in_tokens(browser: Browser, client: dict, redeem) -> dict:
    verifier, challenge = pkce_pair()
    code = callback_params(browser.authorize(client["client_id"], challenge=challenge, resource=NOTES,
                                             scope="openid profile email notes.read"))["code"]
    answer = redeem(client, code, verifier)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture
def issued(app, live_server, root, alice, alice_http, app_client, redeem, rp, jwt_client, client_key):  # noqa: F811
    """One token of each kind, as the product issues it."""
    tokens = _signed_in_tokens(alice_http, app_client, redeem)
    # A second browser of alice's signs out with its own ID token: the back channel delivers a logout token.
    other = Browser(live_server.url, root.account_id, "alice")
    other_tokens = _signed_in_tokens(other, app_client, redeem)
    signed_out = other.get("/oauth2/logout?" + urlencode({"id_token_hint": other_tokens["id_token"]}))
    assert signed_out.status_code == 200, signed_out.text[:300]
    [delivered] = rp.posts("/bc")
    made = app.test_cli_runner().invoke(args=["idp", "clients", "initial-access-token", "--json"])
    assert made.exit_code == 0, made.output
    return {
        ID: tokens["id_token"],
        ACCESS: tokens["access_token"],
        LOGOUT: delivered.form["logout_token"],
        INITIAL: json.loads(made.output)["initial_access_token"],
        ASSERTION: assertion(jwt_client["client_id"], live_server.url, client_key),
    }


@pytest.fixture
def web_identity_role(app, iam, root, app_client, live_server) -> str:
    """A role trusting this IdP's own provider, whose audiences include every `aud` our tokens carry: only the
    kind tells them apart."""
    issuer = app.config["IDP_SETTINGS"].issuer
    provider = f"arn:aws:iam::{root.account_id}:oidc-provider/{issuer.split('://', 1)[1]}"
    for audience in (app_client["client_id"], issuer, f"{issuer}/oauth2/register"):
        iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=provider, ClientID=audience)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": provider},
                                                     "Action": "sts:AssumeRoleWithWebIdentity"}]}
    return iam.create_role(RoleName="kinds", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _refusals(app, surface: str) -> int:
    return len(stored(app, AuditEvent, AuditEvent.action == "oauth:RefuseToken", AuditEvent.resource == surface))


@pytest.fixture
def surfaces(app, live_server, alice_http, app_client, web_identity_role, token_request):
    """Each verifying surface: present a token, return whether it was accepted; a refusal is checked to have
    written nothing and, where the surface audits, to be audited."""
    url = live_server.url
    sts = boto3.client("sts", endpoint_url=url, region_name="us-east-1",
                       config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))

    def assume_role_with_web_identity(token: str) -> bool:
        denials = len(stored(app, AuditEvent, AuditEvent.action == "sts:AssumeRoleWithWebIdentity",
                             AuditEvent.decision == "Deny"))
        try:
            answer = sts.assume_role_with_web_identity(RoleArn=web_identity_role, RoleSessionName="kinds",
                                                       WebIdentityToken=token)
        except ClientError as error:
            assert error.response["Error"]["Code"] == "InvalidIdentityToken", error.response
            assert len(stored(app, AuditEvent, AuditEvent.action == "sts:AssumeRoleWithWebIdentity",
                              AuditEvent.decision == "Deny")) == denials + 1
            return False
        return answer["Credentials"]["AccessKeyId"].startswith("ASIA")

    def userinfo(token: str) -> bool:
        answer = requests.get(f"{url}/oauth2/userinfo", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert answer.status_code in (200, 401), answer.text
        return answer.status_code == 200

    def introspect(token: str) -> bool:
        answer = requests.post(f"{url}/oauth2/introspect", data={"token": token},
                               auth=(app_client["client_id"], app_client["client_secret"]), timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()["active"]

    def bearer_at_authorize(token: str) -> bool:
        answer = requests.post(f"{url}/authorize", json={"token": token, "audience": NOTES, "action": "notes:GetNote",
                                                         "resource": "arn:aws:notes:::notebook/n1"}, timeout=30)
        if answer.status_code == 200:
            return answer.json()["decision"] in ("Allow", "Deny")  # authenticated; the policies decide
        assert answer.status_code == 401 and answer.json()["error"], answer.text
        return False

    def logout_hint(token: str) -> bool:
        before = _refusals(app, "id_token_hint")
        answer = requests.get(f"{url}/oauth2/logout", params={"id_token_hint": token}, allow_redirects=False,
                              timeout=30)  # a browser without a session: nothing to end either way
        if answer.status_code == 200:
            return True
        assert answer.status_code == 400 and _refusals(app, "id_token_hint") == before + 1
        return False

    def authorize_hint(token: str) -> bool:
        _, challenge = pkce_pair()
        answer = alice_http.get("/oauth2/authorize?" + urlencode({
            "response_type": "code", "client_id": app_client["client_id"], "redirect_uri": REDIRECT_URI,
            "scope": "openid", "state": "s", "prompt": "none", "id_token_hint": token,
            "code_challenge": challenge, "code_challenge_method": "S256"}))
        params = callback_params(answer)
        if "code" in params:
            return True
        assert params["error"] == "invalid_request" and "id_token_hint" in params["error_description"]
        return False

    def register(token: str) -> bool:
        before, refusals = _count(app, OAuthClient), _refusals(app, "initial_access_token")
        answer = requests.post(f"{url}/oauth2/register", json={"client_name": "Registered by kind",
                                                               "redirect_uris": [REDIRECT_URI]},
                               headers={"Authorization": f"Bearer {token}"}, timeout=30)
        if answer.status_code == 201:
            return True
        assert answer.status_code == 401 and answer.json()["error"] == "invalid_token"
        assert _count(app, OAuthClient) == before and _refusals(app, "initial_access_token") == refusals + 1
        return False

    def exchange_as(token_type: str):
        def exchange(token: str) -> bool:
            answer = token_request(app_client, grant_type=TE, subject_token=token, subject_token_type=token_type,
                                   audience=url, scope="openid")
            if answer.status_code == 200:
                return bool(answer.json()["access_token"])
            assert answer.status_code == 400 and "access_token" not in answer.json(), answer.text
            return False
        return exchange

    def client_assertion(token: str) -> bool:
        answer = grant(live_server, token)
        if answer.status_code == 200:
            return bool(answer.json()["access_token"])
        assert answer.status_code == 401 and "access_token" not in answer.json(), answer.text
        return False

    return {
        "AssumeRoleWithWebIdentity": assume_role_with_web_identity,
        "POST /authorize token": bearer_at_authorize,
        "/oauth2/userinfo": userinfo,
        "/oauth2/introspect": introspect,
        "/oauth2/logout id_token_hint": logout_hint,
        "/oauth2/authorize id_token_hint": authorize_hint,
        "/oauth2/register bearer": register,
        "token exchange (access_token)": exchange_as(AT),
        "token exchange (id_token)": exchange_as(IDT),
        "/oauth2/token client_assertion": client_assertion,
    }


# What each surface accepts; every other cell of the table is a refusal.
DIAGONAL = {
    "AssumeRoleWithWebIdentity": {ID},
    "/oauth2/userinfo": {ACCESS},
    "/oauth2/introspect": {ACCESS},
    "POST /authorize token": {ACCESS},
    "/oauth2/logout id_token_hint": {ID},
    "/oauth2/authorize id_token_hint": {ID},
    "/oauth2/register bearer": {INITIAL},
    "token exchange (access_token)": {ACCESS},
    "token exchange (id_token)": {ID},
    "/oauth2/token client_assertion": {ASSERTION},
}


def test_every_kind_against_every_surface_is_exactly_the_diagonal(issued, surfaces):
    table = {surface: {kind for kind, token in issued.items() if present(token)}
             for surface, present in surfaces.items()}
    assert table == DIAGONAL


def test_every_kind_is_signed_with_its_typ(issued):
    from idp.keys import jwt

    assert {kind: jwt.unverified_header(token).get("typ") for kind, token in issued.items() if kind != ASSERTION} \
        == {ID: jwt.ID_TOKEN.signed_typ, ACCESS: jwt.ACCESS_TOKEN.signed_typ, LOGOUT: jwt.LOGOUT_TOKEN.signed_typ,
            INITIAL: jwt.INITIAL_ACCESS_TOKEN.signed_typ}
