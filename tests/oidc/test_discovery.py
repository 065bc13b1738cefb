"""Discovery names every endpoint and capability, and each named endpoint answers."""
from __future__ import annotations

import requests


def test_metadata_is_truthful(live_server):
    metadata = requests.get(f"{live_server.url}/.well-known/openid-configuration", timeout=30).json()
    assert metadata["issuer"] == live_server.url
    assert metadata == requests.get(f"{live_server.url}/.well-known/oauth-authorization-server", timeout=30).json()
    assert metadata["response_types_supported"] == ["code"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert "none" not in metadata["id_token_signing_alg_values_supported"]
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert metadata["request_uri_parameter_supported"] is False
    for name in ("token_endpoint", "introspection_endpoint", "revocation_endpoint"):
        answer = requests.post(metadata[name], data={}, timeout=30)
        assert answer.status_code in (400, 401), (name, answer.status_code)
        assert answer.headers["Cache-Control"] == "no-store"
    assert requests.get(metadata["userinfo_endpoint"], timeout=30).status_code == 401
    assert requests.get(metadata["authorization_endpoint"], timeout=30, allow_redirects=False).status_code == 400
    keys = requests.get(metadata["jwks_uri"], timeout=30).json()["keys"]
    assert {k["alg"] for k in keys} >= {"ES256", "RS256"} and all("d" not in k for k in keys)


def test_jwks_follows_a_rotation_at_once_on_this_instance(app, client, root):
    before = {k["kid"] for k in client.get("/.well-known/jwks.json").get_json()["keys"]}
    result = app.test_cli_runner().invoke(args=["idp", "keys", "rotate", "--force"])
    assert result.exit_code == 0, result.output
    after = client.get("/.well-known/jwks.json")
    assert after.headers["Cache-Control"] == "public, max-age=60"
    assert after.headers["Access-Control-Allow-Origin"] == "*"
    kids = {k["kid"] for k in after.get_json()["keys"]}
    assert before < kids and len(kids) == len(before) + 3  # a new next key per algorithm (ES256, RS256, EdDSA), the old ones kept


def test_other_requests_reach_flask(client, root):
    assert client.head("/.well-known/openid-configuration").status_code == 200
    with_query = client.get("/.well-known/openid-configuration?x=1")
    assert with_query.status_code == 200 and with_query.get_json()["issuer"]
    assert client.post("/.well-known/jwks.json").status_code == 405
