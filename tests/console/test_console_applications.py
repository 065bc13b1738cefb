"""The console's applications page over HTTP: register (the secret shown once, never again), edit redirect URIs
with the API's rules, rotate the secret, APIs and their scopes, refusals and CSRF."""
from __future__ import annotations

import json
import re

from idp.oidc.clients import hash_secret
from models.api_resource import ApiResource
from models.audit import AuditEvent
from models.oauth_client import OAuthClient
from tests.console.conftest import make_user, post_form, sign_in
from tests.support.signin import stored

SECRET = re.compile(r'id="new-client-secret">([^<]+)<')
SCOPE_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "orders:GetOrder", "Resource": "*"}]}


def _register(client, **extra):
    form = {"name": "shop", "redirect_uris": "https://shop.example/callback", "client_type": "confidential",
            "grant_types": ["authorization_code", "refresh_token"], "scopes": "openid email", **extra}
    return post_form(client, "/console/applications", "/console/applications", **form)


def test_a_registered_application_shows_its_secret_once_and_rotates_it(as_root, root, app):
    answer = _register(as_root, trusted="on")

    html = answer.get_data(as_text=True)
    secret = SECRET.search(html).group(1)
    [client] = stored(app, OAuthClient)
    assert answer.status_code == 200 and client.secret_hash == hash_secret(secret) and client.is_trusted
    page = f"/console/applications/{client.client_id}"
    for again in (page, "/console/applications"):
        shown = as_root.get(again).get_data(as_text=True)
        assert secret not in shown and "new-client-secret" not in shown
    rotated = post_form(as_root, page, page + "/secret")
    new_secret = SECRET.search(rotated.get_data(as_text=True)).group(1)
    assert new_secret != secret and stored(app, OAuthClient)[0].secret_hash == hash_secret(new_secret)
    assert new_secret not in as_root.get(page).get_data(as_text=True)
    [created] = stored(app, AuditEvent, AuditEvent.action == "oauth:CreateClient")
    [updated] = stored(app, AuditEvent, AuditEvent.action == "oauth:UpdateClient")
    assert created.resource == client.client_id and updated.detail["rotated_secret"] is True
    assert stored(app, AuditEvent, AuditEvent.action == "oidc:CreateClient", AuditEvent.decision == "Allow")


def test_redirect_uris_follow_the_api_rules_and_a_refused_one_changes_nothing(as_root, root, app):
    _register(as_root)
    [client] = stored(app, OAuthClient)
    page = f"/console/applications/{client.client_id}"
    form = {"name": "shop", "scopes": "openid", "token_exchange_policy": ""}

    refused = post_form(as_root, page, page, redirect_uris="http://shop.example/callback", **form)

    assert refused.status_code == 400 and "plain http is only allowed for loopback" in refused.get_data(as_text=True)
    assert stored(app, OAuthClient)[0].redirect_uris == ["https://shop.example/callback"]
    assert stored(app, AuditEvent, AuditEvent.action == "oauth:RefuseRedirectUri")
    changed = post_form(as_root, page, page, redirect_uris="https://shop.example/a\nhttp://127.0.0.1:8080/cb",
                        grant_types=["authorization_code"], **{**form, "name": "shop2"})
    assert changed.status_code == 303
    [client] = stored(app, OAuthClient)
    assert client.redirect_uris == ["https://shop.example/a", "http://127.0.0.1:8080/cb"]
    assert client.name == "shop2" and client.grant_types == ["authorization_code"] and not client.is_trusted
    assert post_form(as_root, page, page + "/delete").status_code == 303 and stored(app, OAuthClient) == []
    assert stored(app, AuditEvent, AuditEvent.action == "oauth:DeleteClient")


def test_apis_are_registered_with_scopes_and_removed(as_root, root, app):
    scopes = json.dumps({"orders.read": SCOPE_POLICY})
    answer = post_form(as_root, "/console/applications", "/console/applications/apis",
                       identifier="https://orders.example", name="Orders", scopes=scopes)
    assert answer.status_code == 303, answer.get_data(as_text=True)[-1500:]
    html = as_root.get("/console/applications").get_data(as_text=True)
    assert "https://orders.example" in html and "orders.read" in html

    bad = post_form(as_root, "/console/applications", "/console/applications/apis",
                    identifier="https://other.example", name="Other", scopes=json.dumps({"openid": SCOPE_POLICY}))
    assert bad.status_code == 400 and "is an OpenID Connect scope" in bad.get_data(as_text=True)
    removed = post_form(as_root, "/console/applications", "/console/applications/apis/remove",
                        identifier="https://orders.example")
    assert removed.status_code == 303 and stored(app, ApiResource) == []
    assert [e.action for e in stored(app, AuditEvent, AuditEvent.action.in_(["oidc:CreateApi", "oidc:DeleteApi"]),
                                     AuditEvent.decision == "Allow", AuditEvent.actor.is_(None))] == [
        "oidc:CreateApi", "oidc:DeleteApi"]


def test_a_delegated_admin_without_oidc_actions_is_refused_with_aws_reason(client, root, app):
    account = root.account_id
    make_user(app, account, "appdev", policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "oidc:ListClients", "Resource": "*"}]}))
    sign_in(client, account, "appdev")

    answer = _register(client)

    html = answer.get_data(as_text=True)
    assert answer.status_code == 403 and stored(app, OAuthClient) == [] and 'id="register-application"' in html
    assert (f"User: arn:aws:iam::{account}:user/appdev is not authorized to perform: oidc:CreateClient on resource: "
            f"arn:aws:oidc::{account}:client/* because no identity-based policy allows the oidc:CreateClient "
            "action") in html
    listed = client.get("/console/applications").get_data(as_text=True)
    assert "oidc:ListApis</strong> was refused" in listed


def test_every_application_form_refuses_a_post_without_a_valid_csrf_token(as_root, root, app):
    _register(as_root)
    [client] = stored(app, OAuthClient)
    page = f"/console/applications/{client.client_id}"
    before = len(stored(app, AuditEvent))
    forms = [("/console/applications", {"name": "x", "redirect_uris": "https://x.example/cb"}),
             (page, {"name": "y"}), (page + "/secret", {}), (page + "/delete", {}),
             ("/console/applications/apis", {"identifier": "https://api.example", "name": "a", "scopes": "{}"}),
             ("/console/applications/apis/remove", {"identifier": "https://api.example"})]
    for url, form in forms:
        for token in ({}, {"csrf_token": "IjAwMDAi.AAAAAA.forged"}):
            answer = as_root.post(url, data={"back": page, **token, **form})
            assert answer.status_code == 400 and "The form was not sent from this site" in answer.get_data(
                as_text=True), url
    assert len(stored(app, AuditEvent)) == before and stored(app, OAuthClient)[0].name == "shop"
