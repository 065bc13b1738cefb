"""Registering into an account that does not exist, or with no default account yet, is one error line and
writes nothing: clients, APIs and initial access tokens share `idp.iam.accounts.existing`."""
from __future__ import annotations

import pytest

from models.api_resource import ApiResource
from models.oauth_client import OAuthClient
from tests.support.signin import stored

REDIRECT_URI = "https://app.example/cb"
COMMANDS = {
    "client": ["idp", "clients", "create", "--name", "x", "--redirect-uri", REDIRECT_URI],
    "api": ["idp", "apis", "create", "--identifier", "https://api.example/notes", "--name", "Notes"],
    "initial access token": ["idp", "clients", "initial-access-token"],
}


@pytest.mark.parametrize("what", COMMANDS)
def test_an_unknown_account_is_refused_and_nothing_is_written(app, root, what):
    refused = app.test_cli_runner().invoke(args=[*COMMANDS[what], "--account", "999999999999"])
    assert refused.exit_code == 1
    assert "no account 999999999999" in refused.output and len(refused.output.strip().splitlines()) == 1
    assert stored(app, OAuthClient) == [] and stored(app, ApiResource) == []


@pytest.mark.parametrize("what", COMMANDS)
def test_before_bootstrap_there_is_no_default_account(app, what):
    refused = app.test_cli_runner().invoke(args=COMMANDS[what])
    assert refused.exit_code == 1
    assert "no default account; run `flask --app app idp bootstrap` first" in refused.output
    assert stored(app, OAuthClient) == [] and stored(app, ApiResource) == []
