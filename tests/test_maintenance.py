"""`idp purge-expired`: only rows already past use go, each kind after its margin."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from idp.clock import FixedClock
from models.jti import UsedJti
from models.session import BrowserSession
from tests.support.signin import client_login, stored


@pytest.fixture
def clock():
    return FixedClock(datetime.now(UTC))


@pytest.fixture
def app_config(app_config, clock):
    return {**app_config, "IDP_CLOCK": clock}


def _purge(app) -> dict:
    result = app.test_cli_runner().invoke(args=["idp", "purge-expired", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_purge_keeps_what_is_live_and_removes_what_expired(app, root, clock):
    signed_in = app.test_client()
    assert client_login(signed_in, root.account_id, "root", root.root_password).status_code == 302
    made = app.test_cli_runner().invoke(args=["idp", "clients", "create", "--json", "--name", "worker",
                                              "--grant-type", "client_credentials", "--scope", "jobs"])
    worker = json.loads(made.output)
    auth = (worker["client_id"], worker["client_secret"])
    anonymous = app.test_client()
    token = anonymous.post("/oauth2/token", data={"grant_type": "client_credentials", "scope": "jobs"},
                           auth=auth).get_json()["access_token"]
    assert anonymous.post("/oauth2/revoke", data={"token": token}, auth=auth).status_code == 200
    assert len(stored(app, UsedJti)) == 1 and len(stored(app, BrowserSession)) == 1

    assert set(_purge(app).values()) == {0}  # nothing has expired yet
    clock.advance(2 * 3600)  # past the revoked token's expiry: its replay-cache entry can go
    assert _purge(app)["used_jtis"] == 1 and stored(app, UsedJti) == []
    assert len(stored(app, BrowserSession)) == 1  # ended by its idle timeout, still listed for a while
    clock.advance(31 * 86400)
    assert _purge(app)["browser_sessions"] == 1 and stored(app, BrowserSession) == []
