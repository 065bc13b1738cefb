"""Fixtures for the OpenID Connect provider: clients made through the CLI, as an operator makes them."""
from __future__ import annotations

import json

import pytest


@pytest.fixture
def make_client(app, root):
    """`flask --app app idp clients create --json ...` -> its JSON output."""
    runner = app.test_cli_runner()

    def make(*args: str) -> dict:
        result = runner.invoke(args=["idp", "clients", "create", "--json", *args])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    return make


@pytest.fixture
def service_client(make_client):
    """A confidential client_credentials client with one API scope."""
    return make_client("--name", "worker", "--grant-type", "client_credentials", "--scope", "reports.read",
                       "--scope", "reports.write")


@pytest.fixture
def test_clock():
    """The app's clock, moved by tests (grace windows, lifetimes)."""
    from datetime import UTC, datetime

    from idp.clock import FixedClock

    return FixedClock(datetime.now(UTC))


@pytest.fixture
def app_config(app_config, test_clock):
    return {**app_config, "IDP_CLOCK": test_clock}


@pytest.fixture
def alice(iam):
    """An IAM user with a console password."""
    from tests.support.signin import create_user_with_password

    return create_user_with_password(iam, "alice")


@pytest.fixture
def web_client(make_client):
    """A confidential third-party web app (client_secret_basic)."""
    from tests.oidc.flow import REDIRECT_URI

    return make_client("--name", "Notes app", "--redirect-uri", REDIRECT_URI)


@pytest.fixture
def alice_http(live_server, root, alice):
    """alice's alice_http (not signed in yet)."""
    from tests.oidc.flow import Browser

    return Browser(live_server.url, root.account_id, "alice")


@pytest.fixture
def code_for(alice_http):
    """Run the alice_http flow for a client and return (code, verifier)."""
    from tests.oidc.flow import callback_params, pkce_pair

    def run(client: dict, **extra) -> tuple[str, str]:
        verifier, challenge = pkce_pair()
        params = callback_params(alice_http.authorize(client["client_id"], challenge=challenge, **extra))
        return params["code"], verifier

    return run


@pytest.fixture
def token_request(live_server):
    """POST /oauth2/token with a client's secret (basic), or as a public client."""
    import requests

    def post(client: dict, **form) -> "requests.Response":
        auth = (client["client_id"], client["client_secret"]) if "client_secret" in client else None
        if auth is None:
            form.setdefault("client_id", client["client_id"])
        return requests.post(f"{live_server.url}/oauth2/token", data=form, auth=auth, timeout=30)

    return post


@pytest.fixture
def redeem(token_request):
    """Exchange a code (with its verifier) at the token endpoint."""
    from tests.oidc.flow import REDIRECT_URI

    def run(client: dict, code: str, verifier: str, redirect_uri: str = REDIRECT_URI):
        return token_request(client, grant_type="authorization_code", code=code, redirect_uri=redirect_uri,
                             code_verifier=verifier)

    return run


@pytest.fixture
def make_api(app, root, tmp_path):
    """`flask --app app idp apis create --json --identifier URI --name NAME --scope NAME=POLICY.json ...`."""
    runner = app.test_cli_runner()

    def make(identifier: str, scopes: dict[str, dict], name: str = "API") -> dict:
        args = ["idp", "apis", "create", "--json", "--identifier", identifier, "--name", name]
        for index, (scope, policy) in enumerate(scopes.items()):
            path = tmp_path / f"api-{len(identifier)}-{index}-{scope}.json"
            path.write_text(json.dumps(policy))
            args += ["--scope", f"{scope}={path}"]
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    return make
