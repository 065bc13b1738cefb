"""`flask --app app idp clients create|list|show|update|delete`."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from models.oauth_client import OAuthClient


def run(app, *args):
    return app.test_cli_runner().invoke(args=["idp", "clients", *args])


def test_create_prints_the_secret_once_and_stores_only_its_hash(app, db, root):
    result = run(app, "create", "--json", "--name", "Web", "--redirect-uri", "https://app.example/cb")
    assert result.exit_code == 0, result.output
    made = json.loads(result.output)
    assert set(made) == {"client_id", "client_secret"} and len(made["client_secret"]) >= 43
    row = db.session.scalar(select(OAuthClient).where(OAuthClient.client_id == made["client_id"]))
    assert row.secret_hash and made["client_secret"] not in row.secret_hash
    shown = json.loads(run(app, "show", made["client_id"], "--json").output)
    assert "client_secret" not in shown and "secret_hash" not in json.dumps(shown)
    assert shown["redirect_uris"] == ["https://app.example/cb"]
    assert shown["token_endpoint_auth_method"] == "client_secret_basic"


def test_public_client_has_no_secret(app, root):
    made = json.loads(run(app, "create", "--json", "--name", "SPA", "--public", "--redirect-uri",
                          "http://127.0.0.1:3000/cb").output)
    assert set(made) == {"client_id"}
    shown = json.loads(run(app, "show", made["client_id"], "--json").output)
    assert shown["public"] is True and shown["token_endpoint_auth_method"] == "none"


@pytest.mark.parametrize("args, message", [
    (["--name", "x"], "redirect-uri"),
    (["--name", "x", "--redirect-uri", "http://app.example/cb"], "loopback"),
    (["--name", "x", "--redirect-uri", "https://app.example/cb#f"], "fragment"),
    (["--name", "x", "--public", "--grant-type", "client_credentials"], "public"),
    (["--name", "x", "--auth-method", "private_key_jwt", "--grant-type", "client_credentials"], "jwks"),
    (["--name", "x", "--public", "--auth-method", "client_secret_basic", "--redirect-uri", "https://a.example/cb"],
     "public"),
])
def test_invalid_clients_are_refused(app, db, root, args, message):
    result = run(app, "create", "--json", *args)
    assert result.exit_code == 1 and message in result.output
    assert db.session.scalar(select(OAuthClient)) is None


def test_update_list_and_delete(app, root):
    made = json.loads(run(app, "create", "--json", "--name", "Web", "--redirect-uri", "https://app.example/cb").output)
    updated = run(app, "update", made["client_id"], "--json", "--trusted", "--id-token-alg", "RS256",
                  "--rotate-secret")
    assert updated.exit_code == 0, updated.output
    assert json.loads(updated.output)["client_secret"] != made["client_secret"]
    shown = json.loads(run(app, "show", made["client_id"], "--json").output)
    assert shown["trusted"] is True and shown["id_token_signed_response_alg"] == "RS256"
    listed = json.loads(run(app, "list", "--json").output)["clients"]
    assert [c["client_id"] for c in listed] == [made["client_id"]]
    assert run(app, "delete", made["client_id"]).exit_code == 0
    missing = run(app, "show", made["client_id"])
    assert missing.exit_code == 1 and "no client" in missing.output


def test_rs256_id_tokens_per_client(app, make_client, code_for, redeem):
    from idp.keys.jwt import unverified_header
    from tests.oidc.flow import REDIRECT_URI

    made = make_client("--name", "RSA app", "--redirect-uri", REDIRECT_URI, "--id-token-alg", "RS256", "--trusted")
    code, verifier = code_for(made)
    tokens = redeem(made, code, verifier).json()
    assert unverified_header(tokens["id_token"])["alg"] == "RS256"


def test_eddsa_id_tokens_per_client_verify_against_the_jwks(live_server, make_client, code_for, redeem):
    import base64
    import hashlib

    import requests
    from joserfc import jwt as jose_jwt
    from joserfc.jwk import KeySet

    from idp.keys.jwt import unverified_header
    from tests.oidc.flow import REDIRECT_URI

    made = make_client("--name", "Ed app", "--redirect-uri", REDIRECT_URI, "--id-token-alg", "EdDSA", "--trusted")
    code, verifier = code_for(made)
    tokens = redeem(made, code, verifier).json()
    assert unverified_header(tokens["id_token"])["alg"] == "EdDSA"
    keys = KeySet.import_key_set(requests.get(f"{live_server.url}/.well-known/jwks.json", timeout=30).json())
    claims = jose_jwt.decode(tokens["id_token"], keys, algorithms=["EdDSA"]).claims
    assert claims["aud"] == made["client_id"]
    # OIDC Core 3.1.3.6 with Ed25519: the left half of SHA-512 of the access token.
    digest = hashlib.sha512(tokens["access_token"].encode()).digest()
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest[:32]).rstrip(b"=").decode()
