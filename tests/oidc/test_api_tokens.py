"""A bearer access token is a bounded session (issue 13, class 1), end to end through the real flows.

APIs are registered with the CLI; clients ask for them with `resource=` (RFC 8707); the shared authorizer
accepts a token only for a named audience in its `aud`, only while its grant and jti are live, and only within
the policies of its granted scopes, on every path: `POST /authorize`, in-process, and the decorator.
"""
from __future__ import annotations

import json

import pytest
import requests
from flask import Blueprint, g, jsonify
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.authz.decorator import require
from idp.authz.resource_server import authorize_request
from idp.errors import AuthenticationError
from models.audit import AuditEvent
from models.oauth_grant import AuthorizationCode, DeviceAuthorization
from tests.oidc.flow import REDIRECT_URI, callback_params, pkce_pair
from tests.support.signin import csrf_token, stored

NOTES = "https://notes.example/api"
REPORTS = "https://reports.example/api"
READ = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["notes:GetNote", "notes:ListNotes"], "Resource": "*"}]}
WRITE = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "notes:PutNote", "Resource": "*"}]}
ALICE_NOTE = "arn:aws:notes:::notebook/alice/note/n1"
BOB_NOTE = "arn:aws:notes:::notebook/bob/note/n1"
TE = "urn:ietf:params:oauth:grant-type:token-exchange"
AT = "urn:ietf:params:oauth:token-type:access_token"

views = Blueprint("api_token_notes", __name__)


@views.get("/notes-api/<notebook>/<note>")
@require("notes:GetNote", resource=lambda **kw: f"arn:aws:notes:::notebook/{kw['notebook']}/note/{kw['note']}",
         audience=NOTES)
def read_note(notebook: str, note: str):
    return jsonify(caller=g.authorization.principal["arn"])


@pytest.fixture(autouse=True)
def guarded_app(app):
    app.register_blueprint(views)
    return app


@pytest.fixture
def other_account(app, root):
    """A second account, made with the CLI."""
    result = app.test_cli_runner().invoke(args=["idp", "create-account", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["account_id"]


@pytest.fixture
def registered(make_api):
    """The notes API (read, write) and a reports API."""
    make_api(NOTES, {"notes.read": READ, "notes.write": WRITE}, name="Notes")
    make_api(REPORTS, {"reports.read": READ}, name="Reports")


@pytest.fixture
def alice_notes(iam, alice):
    """alice may read and write the notes of her own notebook, and no other."""
    iam.put_user_policy(UserName="alice", PolicyName="own-notebook", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["notes:GetNote", "notes:PutNote"],
                                                "Resource": "arn:aws:notes:::notebook/alice/*"}]}))
    return alice


@pytest.fixture
def notes_app(make_client, registered):
    """A third-party web app registered for the notes scopes."""
    return make_client("--name", "Notes app", "--redirect-uri", REDIRECT_URI, "--scope", "openid",
                       "--scope", "notes.read", "--scope", "notes.write")


def tokens_for(client: dict, code_for, redeem, scope: str, **extra) -> dict:
    code, verifier = code_for(client, scope=scope, **extra)
    answer = redeem(client, code, verifier)
    assert answer.status_code == 200, answer.text
    return answer.json()


def ask(live_server, token: str, action: str = "notes:GetNote", resource: str = ALICE_NOTE,
        audience: str | None = NOTES) -> requests.Response:
    body = {"action": action, "resource": resource, "token": token}
    if audience is not None:
        body["audience"] = audience
    return requests.post(f"{live_server.url}/authorize", json=body, timeout=30)


def decision(live_server, token: str, action: str = "notes:GetNote", resource: str = ALICE_NOTE) -> dict:
    answer = ask(live_server, token, action, resource)
    assert answer.status_code == 200, answer.text
    return answer.json()


def claims_of(live_server, token: str) -> dict:
    keys = KeySet.import_key_set(requests.get(f"{live_server.url}/.well-known/jwks.json", timeout=30).json())
    return jwt.decode(token, keys).claims


def test_a_token_consented_only_openid_has_no_authority_over_the_api(live_server, notes_app, alice_notes,
                                                                     code_for, redeem):
    token = tokens_for(notes_app, code_for, redeem, "openid", resource=NOTES)["access_token"]
    assert NOTES in claims_of(live_server, token)["aud"]
    denied = decision(live_server, token)
    assert denied["decision"] == "Deny" and denied["principal"]["arn"] == alice_notes["Arn"]
    assert denied["reason"].endswith("because no session policy allows the notes:GetNote action")


def test_a_tokens_authority_is_the_users_policies_within_its_scopes(live_server, notes_app, alice_notes, code_for,
                                                                     redeem):
    tokens = tokens_for(notes_app, code_for, redeem, "openid notes.read", resource=NOTES)
    token = tokens["access_token"]
    claims = claims_of(live_server, token)
    assert claims["aud"] == [live_server.url, NOTES] and claims["scope"] == "openid notes.read"
    assert decision(live_server, token)["decision"] == "Allow"                       # user and scope allow
    assert decision(live_server, token, "notes:PutNote")["decision"] == "Deny"       # the user may, the scope not
    assert decision(live_server, token, resource=BOB_NOTE)["decision"] == "Deny"     # the scope may, the user not
    # The issuer stays an audience: userinfo keeps working for the same token.
    userinfo = requests.get(f"{live_server.url}/oauth2/userinfo", headers={"Authorization": f"Bearer {token}"},
                            timeout=30)
    assert userinfo.status_code == 200 and userinfo.json()["sub"] == alice_notes["UserId"]
    # A token asked for without `resource` is for no API: it does not authenticate at one.
    plain = tokens_for(notes_app, code_for, redeem, "openid notes.read")["access_token"]
    assert claims_of(live_server, plain)["aud"] == live_server.url
    assert ask(live_server, plain).status_code == 401


def test_a_trusted_client_skips_consent_not_the_bound(live_server, make_client, registered, alice_notes, code_for,
                                                      redeem):
    trusted = make_client("--name", "First party", "--trusted", "--redirect-uri", REDIRECT_URI, "--scope", "openid",
                          "--scope", "notes.read")
    token = tokens_for(trusted, code_for, redeem, "openid", resource=NOTES)["access_token"]
    assert decision(live_server, token)["decision"] == "Deny"
    read = tokens_for(trusted, code_for, redeem, "openid notes.read", resource=NOTES)["access_token"]
    assert decision(live_server, read)["decision"] == "Allow"
    assert decision(live_server, read, "notes:PutNote")["decision"] == "Deny"


def test_a_client_credentials_token_stands_for_the_client_with_its_scopes_policies(live_server, make_client,
                                                                                   registered, token_request, root):
    worker = make_client("--name", "worker", "--grant-type", "client_credentials", "--scope", "notes.read")
    answer = token_request(worker, grant_type="client_credentials", scope="notes.read", resource=NOTES)
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    allowed = decision(live_server, token, resource=BOB_NOTE)
    assert allowed["decision"] == "Allow" and allowed["principal"] == {
        "arn": f"arn:aws:iam::{root.account_id}:oidc-client/{worker['client_id']}", "account": root.account_id,
        "type": "User", "user_id": worker["client_id"]}
    assert decision(live_server, token, "notes:PutNote")["decision"] == "Deny"
    assert ask(live_server, token, audience=REPORTS).status_code == 401  # not an audience of this token
    unknown = token_request(worker, grant_type="client_credentials", scope="notes.read",
                            resource="https://unknown.example/api")
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_target"


def test_resources_outside_the_registered_apis_or_the_grant_are_invalid_target(app, live_server, notes_app,
                                                                              alice_notes, alice_http, code_for,
                                                                              redeem, token_request, make_client,
                                                                              other_account):
    # At the authorization endpoint: back to the client with invalid_target, no code stored.
    _, challenge = pkce_pair()
    refused = callback_params(alice_http.authorize(notes_app["client_id"], challenge=challenge, scope="openid",
                                                   resource="https://unknown.example/api"))
    assert refused["error"] == "invalid_target" and "code" not in refused
    assert stored(app, AuthorizationCode) == []
    # At the token endpoint: only the code's APIs (or some of them).
    code, verifier = code_for(notes_app, scope="openid notes.read", resource=NOTES)
    answer = token_request(notes_app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI,
                           code_verifier=verifier, resource=REPORTS)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_target"
    tokens = tokens_for(notes_app, code_for, redeem, "openid notes.read", resource=NOTES)
    refreshed = token_request(notes_app, grant_type="refresh_token", refresh_token=tokens["refresh_token"],
                              resource=REPORTS)
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_target"
    refreshed = token_request(notes_app, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refreshed.status_code == 200 and NOTES in claims_of(live_server, refreshed.json()["access_token"])["aud"]
    # At the device authorization endpoint.
    device = make_client("--name", "TV", "--public", "--grant-type", "urn:ietf:params:oauth:grant-type:device_code",
                         "--scope", "openid", "--scope", "notes.read")
    answer = requests.post(f"{live_server.url}/oauth2/device_authorization", timeout=30, data={
        "client_id": device["client_id"], "scope": "openid notes.read", "resource": "https://unknown.example/api"})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_target"
    assert stored(app, DeviceAuthorization) == []
    # An API of another account is not this client's to ask for.
    other = make_client("--name", "Elsewhere", "--redirect-uri", REDIRECT_URI, "--scope", "openid",
                        "--account", other_account)
    _, challenge = pkce_pair()
    refused = callback_params(alice_http.authorize(other["client_id"], challenge=challenge, scope="openid",
                                                   resource=NOTES))
    assert refused["error"] == "invalid_target"
    # Every refusal is audited, with the client that asked.
    audited = [e for e in stored(app, AuditEvent) if e.action == "oauth:InvalidTarget"]
    assert len(audited) == 5 and all(e.decision == "Deny" for e in audited)
    assert {e.actor for e in audited} == {notes_app["client_id"], device["client_id"], other["client_id"]}


def test_a_token_exchanged_for_another_audience_is_not_accepted_for_this_api(live_server, root, make_client,
                                                                              notes_app, alice_notes, code_for,
                                                                              redeem, token_request):
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "oidc:TokenExchange",
        "Resource": f"arn:aws:oidc::{root.account_id}:audience/{REPORTS}"}]})
    gateway = make_client("--name", "Gateway", "--grant-type", TE, "--scope", "openid", "--scope", "notes.read",
                          "--token-exchange-policy", policy)
    token = tokens_for(notes_app, code_for, redeem, "openid notes.read", resource=NOTES)["access_token"]
    exchanged = token_request(gateway, grant_type=TE, subject_token=token, subject_token_type=AT, audience=REPORTS)
    assert exchanged.status_code == 200, exchanged.text
    other = exchanged.json()["access_token"]
    assert NOTES not in claims_of(live_server, other)["aud"]
    answer = ask(live_server, other)
    assert answer.status_code == 401 and "does not include" in answer.json()["message"]


def revoke_by_rfc7009(live_server, alice_http, client: dict, tokens: dict) -> None:
    answer = requests.post(f"{live_server.url}/oauth2/revoke", data={"token": tokens["access_token"]},
                           auth=(client["client_id"], client["client_secret"]), timeout=30)
    assert answer.status_code == 200


def revoke_by_signing_out(live_server, alice_http, client: dict, tokens: dict) -> None:
    page = alice_http.get("/account")
    answer = alice_http.http.post(f"{live_server.url}/logout", data={"csrf_token": csrf_token(page.text)},
                                  allow_redirects=False, timeout=30)
    assert answer.status_code == 302


def revoke_on_account_apps(live_server, alice_http, client: dict, tokens: dict) -> None:
    page = alice_http.get("/account/apps")
    answer = alice_http.http.post(f"{live_server.url}/account/apps/revoke", allow_redirects=False, timeout=30,
                                  data={"csrf_token": csrf_token(page.text), "client_id": client["client_id"]})
    assert answer.status_code == 303


@pytest.mark.parametrize("revoke", [revoke_by_rfc7009, revoke_by_signing_out, revoke_on_account_apps])
def test_a_revoked_token_is_refused_on_every_path_within_the_refresh_interval(
        app, live_server, notes_app, alice_notes, alice_http, code_for, redeem, test_clock, revoke):
    tokens = tokens_for(notes_app, code_for, redeem, "openid notes.read", resource=NOTES)
    token = tokens["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}

    def in_process():
        with app.test_request_context("/"):
            return authorize_request("notes:GetNote", ALICE_NOTE, token=token, audience=NOTES)

    # Live: every path allows (and remembers so for up to IDP_AUTHZ_REFRESH_SECONDS).
    assert decision(live_server, token)["decision"] == "Allow"
    assert in_process().allowed
    assert app.test_client().get("/notes-api/alice/n1", headers=bearer).status_code == 200
    revoke(live_server, alice_http, notes_app, tokens)
    test_clock.advance(app.config["IDP_SETTINGS"].authz_refresh_seconds + 1)
    answer = ask(live_server, token)
    assert answer.status_code == 401 and answer.json()["message"] == "the access token has been revoked"
    with pytest.raises(AuthenticationError, match="revoked"):
        in_process()
    assert app.test_client().get("/notes-api/alice/n1", headers=bearer).status_code == 401


def test_the_device_grant_carries_the_resource_and_the_scope_bound(live_server, make_client, registered,
                                                                    alice_notes, alice_http):
    from tests.oidc.test_device_flow import DEVICE_GRANT, decide

    tv = make_client("--name", "Notes TV", "--public", "--grant-type", DEVICE_GRANT, "--scope", "openid",
                     "--scope", "notes.read")
    started = requests.post(f"{live_server.url}/oauth2/device_authorization", timeout=30, data={
        "client_id": tv["client_id"], "scope": "openid notes.read", "resource": NOTES}).json()
    assert decide(alice_http, started["user_code"]).status_code == 200
    answer = requests.post(f"{live_server.url}/oauth2/token", timeout=30, data={
        "grant_type": DEVICE_GRANT, "device_code": started["device_code"], "client_id": tv["client_id"]})
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    assert NOTES in claims_of(live_server, token)["aud"]
    assert decision(live_server, token)["decision"] == "Allow"
    assert decision(live_server, token, "notes:PutNote")["decision"] == "Deny"


def change_password_elsewhere(live_server, root, iam, alice_http) -> None:
    """alice changes her password on /account in a second browser: her first browser's session ends."""
    from tests.oidc.flow import Browser

    other = Browser(live_server.url, root.account_id, "alice")
    other.sign_in()
    page = other.get("/account")
    answer = other.http.post(f"{live_server.url}/account/password", timeout=30, allow_redirects=False, data={
        "csrf_token": csrf_token(page.text), "current_password": other.password,
        "new_password": "Amber-Lantern-Harbor-77", "confirm_password": "Amber-Lantern-Harbor-77"})
    assert answer.status_code == 200 and "other sessions were signed out" in answer.text


def reset_password_as_administrator(live_server, root, iam, alice_http) -> None:
    iam.update_login_profile(UserName="alice", Password="Amber-Lantern-Harbor-77")


def end_the_session_from_another(live_server, root, iam, alice_http) -> None:
    """alice signs out her first browser from the session list of a second one."""
    import re

    from tests.oidc.flow import Browser

    other = Browser(live_server.url, root.account_id, "alice")
    other.sign_in()
    page = other.get("/account")
    mine = set(re.findall(r'name="session" value="([0-9a-f]{16})"', page.text))
    current = re.search(r'class="current".*?name="session" value="([0-9a-f]{16})"', page.text, re.S).group(1)
    (first,) = mine - {current}
    answer = other.http.post(f"{live_server.url}/account/sessions/revoke", timeout=30, allow_redirects=False,
                             data={"csrf_token": csrf_token(page.text), "session": first})
    assert answer.status_code == 303


@pytest.mark.parametrize("end", [change_password_elsewhere, reset_password_as_administrator,
                                 end_the_session_from_another])
def test_a_grant_dies_with_the_session_it_was_made_in(app, live_server, root, iam, make_client, registered,
                                                      alice_notes, alice_http, code_for, redeem, test_clock, end):
    notes_app = make_client("--name", "Notes app", "--redirect-uri", REDIRECT_URI, "--scope", "openid",
                            "--scope", "notes.read", "--scope", "offline_access")
    tokens = tokens_for(notes_app, code_for, redeem, "openid notes.read offline_access", resource=NOTES)
    assert decision(live_server, tokens["access_token"])["decision"] == "Allow"

    end(live_server, root, iam, alice_http)
    test_clock.advance(app.config["IDP_SETTINGS"].authz_refresh_seconds + 1)

    answer = ask(live_server, tokens["access_token"])
    assert answer.status_code == 401 and answer.json()["message"] == "the access token has been revoked"
    refreshed = requests.post(f"{live_server.url}/oauth2/token", timeout=30, data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(notes_app["client_id"], notes_app["client_secret"]))
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
