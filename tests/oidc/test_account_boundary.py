"""Accounts are a boundary: a client signs in its own account's principals unless registered multi-account.

Every surface where a principal meets a client is tried with a principal of
another account: the authorization endpoint (and the consent answer), code
and refresh redemption after the operator narrows the client, the device
verification page, token exchange, and the account page.
"""
from __future__ import annotations

import json
import pytest
import requests

from models.audit import AuditEvent
from models.oauth_grant import AuthorizationCode, Consent, DeviceAuthorization, RefreshTokenFamily
from models.user import User
from tests.oidc.flow import REDIRECT_URI, Browser, callback_params, pkce_pair
from tests.support.aws_clients import client_for
from tests.support.signin import create_user_with_password, csrf_token, stored

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
TE = "urn:ietf:params:oauth:grant-type:token-exchange"
AT = "urn:ietf:params:oauth:token-type:access_token"


@pytest.fixture
def new_account(app, live_server):
    """`idp create-account --json`, with a signed-in-able user of the given name made through its root's IAM."""
    runner = app.test_cli_runner()

    def make(username: str) -> tuple[dict, Browser]:
        result = runner.invoke(args=["idp", "create-account", "--json"])
        assert result.exit_code == 0, result.output
        account = json.loads(result.output)
        iam = client_for(live_server, "iam", account["access_key_id"], account["secret_access_key"])
        user = create_user_with_password(iam, username)
        return {**account, "iam": iam, "user": user}, Browser(live_server.url, account["account_id"], username)

    return make


@pytest.fixture
def bob(new_account):
    """bob, a user of another account (B), and his browser."""
    return new_account("bob")


def refusals(app, surface: str) -> list[AuditEvent]:
    events = stored(app, AuditEvent, AuditEvent.action == "oauth:AccountNotAdmitted")
    return [e for e in events if e.detail["surface"] == surface]


def rows_of(app, model, user_pk_column, user_id: str) -> list:
    [user] = stored(app, User, User.user_id == user_id)
    return stored(app, model, user_pk_column == user.id)


def test_a_client_refuses_another_accounts_user_at_the_redirect_uri(app, root, bob, web_client):
    account, browser = bob
    _, challenge = pkce_pair()
    params = callback_params(browser.authorize(web_client["client_id"], challenge=challenge))
    assert params["error"] == "access_denied" and "code" not in params
    assert account["account_id"] in params["error_description"] and params["state"].startswith("st-")
    [event] = refusals(app, "authorize")
    assert event.decision == "Deny" and event.account_id == account["account_id"]
    assert event.resource == web_client["client_id"] and event.detail["client_account"] == root.account_id
    assert rows_of(app, Consent, Consent.user_id, account["user"]["UserId"]) == []
    assert rows_of(app, AuthorizationCode, AuthorizationCode.user_id, account["user"]["UserId"]) == []


def test_a_forged_consent_answer_is_refused_too(app, live_server, bob, web_client):
    account, browser = bob
    browser.sign_in()
    _, challenge = pkce_pair()
    form = {"response_type": "code", "client_id": web_client["client_id"], "redirect_uri": REDIRECT_URI,
            "scope": "openid profile", "state": "st-forged", "code_challenge": challenge,
            "code_challenge_method": "S256", "decision": "allow",
            "csrf_token": csrf_token(browser.get("/device").text)}
    answer = browser.http.post(f"{live_server.url}/consent", data=form, allow_redirects=False, timeout=30)
    params = callback_params(answer)
    assert params["error"] == "access_denied" and params["state"] == "st-forged"
    assert rows_of(app, Consent, Consent.user_id, account["user"]["UserId"]) == []
    assert len(refusals(app, "authorize")) == 1


def test_multi_account_clients_admit_the_accounts_they_name(app, make_client, new_account, code_for, redeem):
    (b, bob_browser), (_c, carol_browser) = new_account("bob"), new_account("carol")
    named = make_client("--name", "Partner portal", "--redirect-uri", REDIRECT_URI, "--multi-account",
                        b["account_id"])
    everyone = make_client("--name", "Public portal", "--redirect-uri", REDIRECT_URI, "--multi-account")
    shown = json.loads(app.test_cli_runner().invoke(args=["idp", "clients", "show", "--json",
                                                          named["client_id"]]).output)
    assert shown["admitted_accounts"] == [b["account_id"]]

    def sign_in_at(browser: Browser, client: dict) -> dict:
        verifier, challenge = pkce_pair()
        return callback_params(browser.authorize(client["client_id"], challenge=challenge)) | {"verifier": verifier}

    bob_at_named = sign_in_at(bob_browser, named)
    tokens = redeem(named, bob_at_named["code"], bob_at_named["verifier"]).json()
    claims = json.loads(_b64(tokens["id_token"].split(".")[1]))
    assert claims["account"] == b["account_id"] and claims["sub"] == b["user"]["UserId"]
    assert sign_in_at(carol_browser, named)["error"] == "access_denied"
    assert "code" in sign_in_at(carol_browser, everyone)
    # The client's own account is always admitted.
    code, verifier = code_for(named)
    assert redeem(named, code, verifier).status_code == 200


def test_narrowing_a_client_refuses_the_grants_it_made(app, live_server, make_client, bob, token_request):
    account, browser = bob
    portal = make_client("--name", "Partner portal", "--redirect-uri", REDIRECT_URI, "--multi-account",
                         account["account_id"])
    verifier, challenge = pkce_pair()
    code = callback_params(browser.authorize(portal["client_id"], challenge=challenge))["code"]
    tokens = token_request(portal, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI,
                           code_verifier=verifier).json()
    narrowed = app.test_cli_runner().invoke(args=["idp", "clients", "update", portal["client_id"],
                                                  "--single-account", "--json"])
    assert narrowed.exit_code == 0, narrowed.output
    refreshed = token_request(portal, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    assert "refresh_token" not in refreshed.json()
    [event] = refusals(app, "token")
    assert event.account_id == account["account_id"] and event.resource == portal["client_id"]
    # Nothing was spent: the refresh token is still the grant's only one, unused.
    [family] = rows_of(app, RefreshTokenFamily, RefreshTokenFamily.user_id, account["user"]["UserId"])
    assert family.revoked_at is None


def test_the_device_page_refuses_another_accounts_user(app, live_server, make_client, bob):
    account, browser = bob
    tv = make_client("--name", "Living room TV", "--public", "--grant-type", DEVICE_GRANT, "--scope", "openid")
    started = requests.post(f"{live_server.url}/oauth2/device_authorization",
                            data={"client_id": tv["client_id"]}, timeout=30).json()
    browser.sign_in()
    entry = browser.get("/device", user_code=started["user_code"])
    confirm = browser.http.post(f"{live_server.url}/device", data={
        "csrf_token": csrf_token(entry.text), "user_code": started["user_code"]}, allow_redirects=False, timeout=30)
    assert confirm.status_code == 403 and "does not sign in principals of account" in confirm.text
    decided = browser.http.post(f"{live_server.url}/device/decision", data={
        "csrf_token": csrf_token(entry.text), "user_code": started["user_code"], "decision": "allow"},
        allow_redirects=False, timeout=30)
    assert decided.status_code == 403
    assert len(refusals(app, "device")) == 2
    [row] = stored(app, DeviceAuthorization, DeviceAuthorization.client_id.isnot(None))
    assert row.status == "pending" and row.user_id is None
    polled = requests.post(f"{live_server.url}/oauth2/token", data={
        "grant_type": DEVICE_GRANT, "device_code": started["device_code"], "client_id": tv["client_id"]}, timeout=30)
    assert polled.json()["error"] == "authorization_pending"


def test_token_exchange_refuses_a_subject_of_an_account_the_client_does_not_admit(app, live_server, root,
                                                                                  make_client, bob, token_request):
    account, browser = bob
    portal = make_client("--name", "Partner portal", "--redirect-uri", REDIRECT_URI, "--multi-account",
                         account["account_id"])
    verifier, challenge = pkce_pair()
    code = callback_params(browser.authorize(portal["client_id"], challenge=challenge))["code"]
    access = token_request(portal, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI,
                           code_verifier=verifier).json()["access_token"]
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "oidc:TokenExchange", "Resource": "*"}]})
    gateway = make_client("--name", "Gateway", "--grant-type", TE, "--scope", "openid",
                          "--token-exchange-policy", policy)
    refused = token_request(gateway, grant_type=TE, subject_token=access, subject_token_type=AT)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    assert stored(app, AuditEvent, AuditEvent.action == "oauth:TokenExchange") == []
    [event] = refusals(app, "token_exchange")
    assert event.account_id == account["account_id"] and event.resource == gateway["client_id"]
    # A multi-account exchanger's policy can name the subject's account (`oidc:SubjectAccount`).
    partner_policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "oidc:TokenExchange", "Resource": "*",
        "Condition": {"StringEquals": {"oidc:SubjectAccount": account["account_id"]}}}]})
    partner_gateway = make_client("--name", "Partner gateway", "--grant-type", TE, "--scope", "openid",
                                  "--token-exchange-policy", partner_policy, "--multi-account", account["account_id"])
    allowed = token_request(partner_gateway, grant_type=TE, subject_token=access, subject_token_type=AT)
    assert allowed.status_code == 200, allowed.text
    # The issued token names its subject's account, so userinfo finds bob in it.
    userinfo = requests.get(f"{live_server.url}/oauth2/userinfo",
                            headers={"Authorization": f"Bearer {allowed.json()['access_token']}"}, timeout=30)
    assert userinfo.status_code == 200 and userinfo.json()["sub"] == account["user"]["UserId"]


def test_the_account_page_shows_and_revokes_only_the_signed_in_principals_consents(
        app, live_server, alice, bob, web_client, code_for):
    code_for(web_client)  # alice (the client's own account) consents
    _, browser = bob
    browser.sign_in()
    page = browser.get("/account/apps")
    assert page.status_code == 200 and web_client["client_id"] not in page.text
    answer = browser.http.post(f"{live_server.url}/account/apps/revoke", allow_redirects=False, timeout=30,
                               data={"csrf_token": csrf_token(browser.get("/device").text),
                                     "client_id": web_client["client_id"]})
    assert answer.status_code == 400
    [consent] = stored(app, Consent, Consent.revoked_at.is_(None))
    assert consent.subject == alice["UserId"]


def test_clients_cli_multi_account_values(app, root, make_client):
    runner = app.test_cli_runner()
    made = make_client("--name", "Two partners", "--redirect-uri", REDIRECT_URI, "--multi-account", "111111111111",
                       "--multi-account", "222222222222", "--multi-account", root.account_id)
    shown = json.loads(runner.invoke(args=["idp", "clients", "show", "--json", made["client_id"]]).output)
    assert shown["admitted_accounts"] == ["111111111111", "222222222222"]  # its own account goes without saying
    wide = make_client("--name", "Everyone", "--redirect-uri", REDIRECT_URI, "--multi-account", "*")
    listed = json.loads(runner.invoke(args=["idp", "clients", "list", "--json"]).output)["clients"]
    assert {c["client_id"]: c["admitted_accounts"] for c in listed}[wide["client_id"]] == ["*"]
    bad = runner.invoke(args=["idp", "clients", "create", "--name", "x", "--redirect-uri", REDIRECT_URI,
                              "--multi-account", "not-an-account"])
    assert bad.exit_code == 1 and "12-digit account id" in bad.output
    single = make_client("--name", "Single", "--redirect-uri", REDIRECT_URI)
    shown = json.loads(runner.invoke(args=["idp", "clients", "show", "--json", single["client_id"]]).output)
    assert shown["admitted_accounts"] is None


def _b64(segment: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
