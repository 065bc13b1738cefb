"""Dynamic client registration (RFC 7591) and management (RFC 7592) behind an initial access token."""
from __future__ import annotations

import base64
import json
import subprocess
from urllib.parse import urlencode

import pytest
import requests
from joserfc import jwk

from models.oauth_client import OAuthClient
from tests.oidc.flow import REDIRECT_URI, callback_params, pkce_pair
from tests.oidc.rp_server import start_relying_party
from tests.oidc.test_openid_client import node_rp  # noqa: F401
from tests.oidc.test_private_key_jwt import assertion, grant
from tests.support.signin import stored


@pytest.fixture
def app_config(app_config, request):
    if "registration_off" in request.fixturenames:
        return app_config
    return {**app_config, "IDP_DYNAMIC_REGISTRATION": "on"}


@pytest.fixture
def registration_off():
    """Leaves IDP_DYNAMIC_REGISTRATION at its default (off)."""
    return True


@pytest.fixture
def initial_token(app, root):
    def make(*args: str) -> str:
        result = app.test_cli_runner().invoke(args=["idp", "clients", "initial-access-token", "--json", *args])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)["initial_access_token"]

    return make


@pytest.fixture
def register(live_server):
    def post(metadata: dict, token: str | None) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.post(f"{live_server.url}/oauth2/register", json=metadata, headers=headers, timeout=30)

    return post


METADATA = {"client_name": "Registered app", "redirect_uris": [REDIRECT_URI], "scope": "openid profile",
            "post_logout_redirect_uris": ["https://app.example/bye"],
            "backchannel_logout_uri": "https://app.example/bc", "id_token_signed_response_alg": "RS256"}


def _clients(app) -> list[OAuthClient]:
    return stored(app, OAuthClient, OAuthClient.name.like("Registered%"))


def test_register_read_update_delete(app, live_server, register, initial_token, alice_http, token_request):
    metadata = requests.get(f"{live_server.url}/.well-known/openid-configuration", timeout=30).json()
    assert metadata["registration_endpoint"] == f"{live_server.url}/oauth2/register"
    created = register(METADATA, initial_token())
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["Cache-Control"] == "no-store"
    assert body["client_secret"] and body["registration_access_token"]
    assert body["token_endpoint_auth_method"] == "client_secret_basic" and body["redirect_uris"] == [REDIRECT_URI]
    assert body["registration_client_uri"] == f"{live_server.url}/oauth2/register/{body['client_id']}"
    manage = {"Authorization": f"Bearer {body['registration_access_token']}"}

    # The registered metadata is honoured: the code flow works, with the requested ID token algorithm.
    client = {"client_id": body["client_id"], "client_secret": body["client_secret"]}
    verifier, challenge = pkce_pair()
    code = callback_params(alice_http.authorize(body["client_id"], challenge=challenge, scope="openid"))["code"]
    tokens = token_request(client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI,
                           code_verifier=verifier)
    assert tokens.status_code == 200, tokens.text
    header = json.loads(base64.urlsafe_b64decode(tokens.json()["id_token"].split(".")[0] + "=="))
    assert header["alg"] == "RS256"

    read = requests.get(body["registration_client_uri"], headers=manage, timeout=30)
    assert read.status_code == 200 and read.json()["client_name"] == "Registered app"
    assert "client_secret" not in read.json() and read.json()["backchannel_logout_uri"] == "https://app.example/bc"

    replaced = requests.put(body["registration_client_uri"], headers=manage, timeout=30, json={
        "client_id": body["client_id"], "client_name": "Registered app v2",
        "redirect_uris": [REDIRECT_URI, "https://app.example/cb"], "scope": "openid"})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["client_name"] == "Registered app v2" and replaced.json()["scope"] == "openid"
    assert replaced.json()["redirect_uris"] == [REDIRECT_URI, "https://app.example/cb"]
    # Left out of the replacement: reset to the default (lists) or, for URIs and keys, kept (see registration.py).
    assert replaced.json()["post_logout_redirect_uris"] == []
    assert replaced.json()["backchannel_logout_uri"] == "https://app.example/bc"

    deleted = requests.delete(body["registration_client_uri"], headers=manage, timeout=30)
    assert deleted.status_code == 204
    assert requests.get(body["registration_client_uri"], headers=manage, timeout=30).status_code == 401
    assert not _clients(app)


def test_public_client_with_none(register, initial_token):
    created = register({**METADATA, "token_endpoint_auth_method": "none"}, initial_token())
    assert created.status_code == 201 and "client_secret" not in created.json()


def test_registration_without_initial_access_token_is_refused(app, register):
    answer = register(METADATA, None)
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_token"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert not _clients(app)


def test_registration_with_a_wrong_initial_access_token_is_refused(app, register, initial_token, live_server,
                                                                   alice_tokens_for_registration):
    genuine = initial_token()
    header, payload, signature = genuine.split(".")
    for wrong in ("not-a-token", f"{header}.{payload}.{signature[::-1]}", alice_tokens_for_registration):
        answer = register(METADATA, wrong)
        assert answer.status_code == 401 and answer.json()["error"] == "invalid_token"
    assert not _clients(app)


@pytest.fixture
def alice_tokens_for_registration(service_client, token_request):
    """An access token of this issuer: genuine, but not an initial access token."""
    return token_request(service_client, grant_type="client_credentials").json()["access_token"]


def test_expired_initial_access_token_is_refused(app, register, initial_token, test_clock):
    token = initial_token("--expires-in", "60")
    test_clock.advance(200)
    assert register(METADATA, token).status_code == 401
    assert not _clients(app)


def test_bad_metadata_is_refused(app, register, initial_token):
    token = initial_token()
    bad_uri = register({**METADATA, "redirect_uris": ["http://evil.example/cb"]}, token)
    assert bad_uri.status_code == 400 and bad_uri.json()["error"] == "invalid_redirect_uri"
    bad_method = register({**METADATA, "token_endpoint_auth_method": "tls_client_auth"}, token)
    assert bad_method.status_code == 400 and bad_method.json()["error"] == "invalid_client_metadata"
    bad_types = register({**METADATA, "response_types": ["token"]}, token)
    assert bad_types.json()["error"] == "invalid_client_metadata"
    no_keys = register({**METADATA, "token_endpoint_auth_method": "private_key_jwt"}, token)
    assert no_keys.json()["error"] == "invalid_client_metadata"
    assert not _clients(app)


def test_refusals_name_the_metadata_not_the_cli_flags(app, register, initial_token):
    """An HTTP client reads RFC 7591 names in error_description; the CLI says the same with its own flags."""
    no_keys = register({**METADATA, "token_endpoint_auth_method": "private_key_jwt"}, initial_token())
    assert no_keys.json() == {"error": "invalid_client_metadata",
                              "error_description": "private_key_jwt clients need jwks or jwks_uri"}
    no_uris = register({"client_name": "No callback"}, initial_token())
    assert no_uris.json() == {"error": "invalid_client_metadata",
                              "error_description": "an authorization_code client needs at least one redirect_uris"}
    cli = app.test_cli_runner().invoke(args=["idp", "clients", "create", "--name", "x", "--auth-method",
                                             "private_key_jwt", "--grant-type", "client_credentials"])
    assert cli.exit_code == 1 and cli.output == "Error: private_key_jwt clients need --jwks or --jwks-uri\n"
    assert not _clients(app)


def test_management_needs_the_clients_own_registration_token(register, initial_token, live_server):
    token = initial_token()
    first = register(METADATA, token).json()
    second = register({**METADATA, "client_name": "Registered other"}, token).json()
    other = {"Authorization": f"Bearer {second['registration_access_token']}"}
    assert requests.get(first["registration_client_uri"], headers=other, timeout=30).status_code == 401
    assert requests.delete(first["registration_client_uri"], headers=other, timeout=30).status_code == 401
    assert requests.get(first["registration_client_uri"], timeout=30).status_code == 401
    mine = {"Authorization": f"Bearer {first['registration_access_token']}"}
    assert requests.get(first["registration_client_uri"], headers=mine, timeout=30).status_code == 200


def test_cli_clients_cannot_be_managed_over_http(make_client, live_server, initial_token):
    made = make_client("--name", "Operator app", "--redirect-uri", REDIRECT_URI)
    answer = requests.get(f"{live_server.url}/oauth2/register/{made['client_id']}",
                          headers={"Authorization": f"Bearer {initial_token()}"}, timeout=30)
    assert answer.status_code == 401


def test_registration_is_off_by_default(registration_off, app, live_server, root):
    metadata = requests.get(f"{live_server.url}/.well-known/openid-configuration", timeout=30).json()
    assert "registration_endpoint" not in metadata
    answer = requests.post(f"{live_server.url}/oauth2/register", json=METADATA, timeout=30)
    assert answer.status_code == 404
    assert not _clients(app)


def test_registered_jwks_and_auth_method_are_honoured(register, initial_token, live_server):
    key = jwk.ECKey.generate_key("P-256", private=True, parameters={"kid": "client-key-1", "alg": "ES256"})
    public = {**key.as_dict(private=False), "kid": "client-key-1", "alg": "ES256", "use": "sig"}
    created = register({"client_name": "Registered worker", "token_endpoint_auth_method": "private_key_jwt",
                        "jwks": {"keys": [public]}, "grant_types": ["client_credentials"], "scope": "jobs"},
                       initial_token())
    assert created.status_code == 201, created.text
    body = created.json()
    assert "client_secret" not in body and body["jwks"]["keys"][0]["kid"] == "client-key-1"
    answer = grant(live_server, assertion(body["client_id"], f"{live_server.url}/oauth2/token", key))
    assert answer.status_code == 200 and answer.json()["scope"] == "jobs"
    with_secret = requests.post(f"{live_server.url}/oauth2/token", auth=(body["client_id"], "guess"),
                                data={"grant_type": "client_credentials"}, timeout=30)
    assert with_secret.status_code == 401


def test_registered_backchannel_logout_uri_is_honoured(register, initial_token, alice_http, token_request):
    party, server = start_relying_party()
    try:
        created = register({**METADATA, "backchannel_logout_uri": f"{party.url}/bc"}, initial_token()).json()
        client = {"client_id": created["client_id"], "client_secret": created["client_secret"]}
        verifier, challenge = pkce_pair()
        code = callback_params(alice_http.authorize(created["client_id"], challenge=challenge, scope="openid"))[
            "code"]
        tokens = token_request(client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI,
                               code_verifier=verifier).json()
        alice_http.get("/oauth2/logout?" + urlencode({"id_token_hint": tokens["id_token"]}))
        [delivered] = party.posts("/bc")
        assert delivered.form["logout_token"].count(".") == 2
    finally:
        server.shutdown()


def test_the_setting_is_on_or_off():
    from idp.config import load_settings
    from idp.errors import ConfigError

    assert load_settings({}, environ={}).dynamic_registration is False
    assert load_settings({"IDP_DYNAMIC_REGISTRATION": "on"}, environ={}).dynamic_registration is True
    with pytest.raises(ConfigError, match="IDP_DYNAMIC_REGISTRATION must be on or off"):
        load_settings({"IDP_DYNAMIC_REGISTRATION": "yes"}, environ={})


@pytest.fixture
def public_issuer(app_config):
    """An https issuer, as in production (served through the Flask test client)."""
    return {**app_config, "IDP_ISSUER": "https://idp.example"}


def test_server_side_uris_cannot_point_into_the_deployment(public_issuer, root):
    from idp import create_app

    app = create_app(public_issuer)
    result = app.test_cli_runner().invoke(args=["idp", "clients", "initial-access-token", "--json"])
    token = json.loads(result.output)["initial_access_token"]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    base = {"client_name": "Registered SSRF", "redirect_uris": ["https://app.example/cb"]}
    for name, uri in [("backchannel_logout_uri", "http://127.0.0.1:8080/admin"),
                      ("backchannel_logout_uri", "https://169.254.169.254/latest"),
                      ("backchannel_logout_uri", "https://10.0.0.7/bc"),
                      ("jwks_uri", "https://localhost/jwks")]:
        answer = client.post("/oauth2/register", json={**base, name: uri}, headers=headers,
                             base_url="https://idp.example")
        assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_client_metadata", uri
    fine = client.post("/oauth2/register", json={**base, "backchannel_logout_uri": "https://app.example/bc"},
                       headers=headers, base_url="https://idp.example")
    assert fine.status_code == 201, fine.get_json()


def test_openid_client_registers_and_uses_the_registration(node_rp, live_server, initial_token):  # noqa: F811
    document = {"issuer": live_server.url, "initial_access_token": initial_token(), "scope": "reports.read",
                "metadata": {"client_name": "Registered by openid-client", "grant_types": ["client_credentials"],
                             "token_endpoint_auth_method": "client_secret_post", "scope": "reports.read"}}
    done = subprocess.run(["node", str(node_rp), "register", json.dumps(document)], capture_output=True, text=True,
                          timeout=60)
    output = json.loads(done.stdout or "{}")
    assert output.get("ok"), (output, done.stderr[-1000:])
    assert output["metadata"]["client_name"] == "Registered by openid-client"
    assert output["metadata"]["registration_access_token"] and output["scope"] == "reports.read"
