"""Accounts are a boundary for upstream sign-ins too: an upstream bound to account B signs its users into B,
and a client of account A that does not admit B refuses them at the authorization endpoint."""
from __future__ import annotations

import json

from models.audit import AuditEvent
from models.oauth_grant import AuthorizationCode
from tests.federation import flows
from tests.oidc.flow import REDIRECT_URI, Browser, callback_params, pkce_pair
from tests.support.signin import stored


def test_an_upstream_of_another_account_cannot_sign_in_at_a_single_account_client(
        app, live_server, root, upstream_op, token_endpoint, add_upstream):
    runner = app.test_cli_runner()
    other = json.loads(runner.invoke(args=["idp", "create-account", "--json"]).output)["account_id"]
    add_upstream(flows.scripted_upstream(upstream_op, token_endpoint, account=other))
    made = runner.invoke(args=["idp", "clients", "create", "--json", "--name", "Notes app",
                               "--redirect-uri", REDIRECT_URI])
    client = json.loads(made.output)
    browser = Browser(live_server.url, other, "unused")
    signed_in = flows.sign_in(browser.http, live_server.url, upstream_op, token_endpoint, sub="u-77")
    assert signed_in.status_code == 302
    _, challenge = pkce_pair()
    params = callback_params(browser.authorize(client["client_id"], challenge=challenge))
    assert params["error"] == "access_denied" and "code" not in params
    [event] = stored(app, AuditEvent, AuditEvent.action == "oauth:AccountNotAdmitted")
    assert event.account_id == other and event.detail == {"surface": "authorize", "client_account": root.account_id}
    assert stored(app, AuthorizationCode, AuthorizationCode.account_id == other) == []
    # The same upstream sign-in is welcome at a client that admits the account.
    portal = json.loads(runner.invoke(args=["idp", "clients", "create", "--json", "--name", "Portal", "--trusted",
                                            "--redirect-uri", REDIRECT_URI, "--multi-account", other]).output)
    assert "code" in callback_params(browser.authorize(portal["client_id"], challenge=challenge))
