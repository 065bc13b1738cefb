"""Issue 13 class 10 at the OIDC surfaces: a client's `jwks_uri` and `backchannel_logout_uri` reach only global
addresses when the operator allows no private network (the production default), whatever the notation.

With loopback allowed (the suite's default config) the same fetches work:
tests/oidc/test_private_key_jwt.py::test_keys_from_the_clients_jwks_uri and
tests/oidc/test_backchannel_logout.py."""
from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
import requests
from joserfc import jwk

from models.audit import AuditEvent
from models.jti import UsedJti
from tests.oidc.flow import REDIRECT_URI
from tests.oidc.rp_server import start_relying_party
from tests.oidc.test_private_key_jwt import assertion, grant
from tests.support.signin import stored


@pytest.fixture
def app_config(app_config):
    """The production default: server-side fetches for clients reach global addresses only."""
    return {**app_config, "IDP_FETCH_ALLOWED_NETWORKS": ""}


@pytest.fixture
def rp():
    party, server = start_relying_party()
    yield party
    server.shutdown()


def refusals(app) -> list[AuditEvent]:
    return stored(app, AuditEvent, AuditEvent.action == "fetch:DestinationRefused")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "2130706433", "0x7f.1", "127.1"])
def test_a_loopback_jwks_uri_is_not_fetched_and_the_client_does_not_authenticate(app, live_server, make_client,
                                                                                 rp, host):
    key = jwk.ECKey.generate_key("P-256", private=True, parameters={"kid": "client-key-1", "alg": "ES256"})
    port = rp.url.rsplit(":", 1)[1]
    client = make_client("--name", f"signer {host}", "--auth-method", "private_key_jwt", "--grant-type",
                         "client_credentials", "--scope", "jobs", "--jwks-uri", f"http://{host}:{port}/jwks")
    response = grant(live_server, assertion(client["client_id"], f"{live_server.url}/oauth2/token", key))
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    assert "access_token" not in response.json()
    assert rp.received == []  # nothing reached the address
    assert stored(app, UsedJti) == []
    [event] = refusals(app)
    assert event.decision == "Deny" and event.resource == f"http://{host}:{port}/jwks"
    assert event.detail["purpose"] == "jwks_uri" and event.detail["addresses"] == ["127.0.0.1"]


def _logout(alice_http, id_token: str) -> requests.Response:
    return alice_http.get("/oauth2/logout?" + urlencode({"id_token_hint": id_token}))


@pytest.mark.parametrize("scheme, host", [("http", "127.0.0.1"), ("http", "localhost"), ("https", "0177.0.0.1"),
                                          ("https", "0x7f.1")])
def test_a_loopback_backchannel_logout_uri_gets_nothing(app, make_client, rp, code_for, redeem, alice_http,
                                                         scheme, host):
    port = rp.url.rsplit(":", 1)[1]
    client = make_client("--name", "Notes app", "--redirect-uri", REDIRECT_URI, "--backchannel-logout-uri",
                         f"{scheme}://{host}:{port}/bc")
    code, verifier = code_for(client)
    tokens = redeem(client, code, verifier).json()
    answer = _logout(alice_http, tokens["id_token"])
    assert answer.status_code == 200  # the user is signed out all the same
    assert rp.received == []
    [event] = stored(app, AuditEvent, AuditEvent.action == "oauth:BackchannelLogout")
    assert event.decision == "Refused" and event.detail["attempts"] == 1  # never retried
    assert event.detail["status"] is None and "refused" in event.detail["error"]


@pytest.mark.parametrize("uri", ["https://2130706433/jwks", "https://0177.0.0.1/jwks", "https://0x7f.1/jwks",
                                 "https://127.1/jwks", "https://[::ffff:127.0.0.1]/jwks", "https://0xa9fea9fe/latest",
                                 "https://[fd00:ec2::254]/latest", "https://10.1/jwks"])
def test_registration_refuses_literal_addresses_in_any_notation(app_config, root, uri):
    from idp import create_app
    from models.oauth_client import OAuthClient

    app = create_app({**app_config, "IDP_ISSUER": "https://idp.example", "IDP_DYNAMIC_REGISTRATION": "on"})
    result = app.test_cli_runner().invoke(args=["idp", "clients", "initial-access-token", "--json"])
    token = json.loads(result.output)["initial_access_token"]
    before = len(stored(app, OAuthClient))
    for name in ("jwks_uri", "backchannel_logout_uri"):
        answer = app.test_client().post(
            "/oauth2/register", headers={"Authorization": f"Bearer {token}"}, base_url="https://idp.example",
            json={"client_name": "SSRF", "redirect_uris": ["https://app.example/cb"], name: uri})
        assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_client_metadata", (name, uri)
    assert len(stored(app, OAuthClient)) == before
