"""Issue 13 class 8: only redirect URIs RFC 8252 and OAuth 2.1 allow, wherever one enters.

The one rule is `idp.oidc.redirects.checked_redirect_uri`; these tests drive it
through each door: `idp clients create|update` (CLI), `POST /oauth2/register`
and `PUT /oauth2/register/<id>` (RFC 7591/7592), for `redirect_uris` and
`post_logout_redirect_uris`. A refusal writes no client and no change, and
leaves one `oauth:RefuseRedirectUri` audit event.
"""
from __future__ import annotations

import json

import pytest

from idp.errors import InvalidRedirectUri
from idp.oidc.redirects import checked_redirect_uri, redirect_uri_matches
from models.audit import AuditEvent
from models.oauth_client import OAuthClient
from tests.support.signin import stored

REFUSED = [
    "javascript:alert(1)",
    "JavaScript://app.example/%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD4=",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "about:blank",
    "blob:https://app.example/6c1b",
    "ftp://app.example/cb",
    "mailto:a@app.example",
    "ws://127.0.0.1/cb",
    "http://app.example/cb",                       # plain http off loopback
    "http://localhost:8765/cb",                    # RFC 8252 8.3: loopback by name is NOT RECOMMENDED
    "http://127.0.0.1.evil.example/cb",
    "https://app.example/cb#fragment",
    "https://user:pass@app.example/cb",            # userinfo
    "https://evil.example@app.example/cb",
    "https://app.example\\@evil.example/cb",      # backslash: WHATWG parsers read it as a slash
    "https://app.example/c b",                     # whitespace
    "https://app.example/cb\t",
    "https://app.example/cb\x00",                  # control characters
    "https://app.example/\u2028cb",
    "https://app.éxample/cb",                      # non-ASCII (an IRI, not a URI)
    "https://app.example/\"onload=\"x",             # quotes and angle brackets never belong in a URI
    "https://app.example/<cb>",
    "https:///cb",                                 # no host
    "https:app.example/cb",
    "https://app.example:99999/cb",                # port out of range
    "//app.example/cb",                            # relative
    "/cb",
    "",
    "https://app.example/" + "a" * 2100,
]
ALLOWED_FOR_ALL = ["https://app.example/cb", "https://app.example:8443/cb?x=1", "http://127.0.0.1/cb",
                   "http://127.0.0.1:8765/callback", "http://[::1]:8765/callback"]
PRIVATE_USE = ["com.example.app:/oauth2redirect", "com.example.app://callback", "io.github.some-app:/cb"]


@pytest.mark.parametrize("uri", REFUSED)
@pytest.mark.parametrize("public", [False, True])
def test_the_rule_refuses_every_other_uri(uri, public):
    with pytest.raises(InvalidRedirectUri) as refused:
        checked_redirect_uri(uri, public=public, field="post_logout_redirect_uris")
    assert refused.value.field == "post_logout_redirect_uris" and refused.value.oauth_error == "invalid_redirect_uri"
    assert "\n" not in refused.value.message and refused.value.message.isascii()


@pytest.mark.parametrize("uri", ALLOWED_FOR_ALL)
def test_https_anywhere_and_http_on_loopback_ip_literals(uri):
    assert checked_redirect_uri(uri, public=False) == uri
    assert checked_redirect_uri(uri, public=True) == uri


@pytest.mark.parametrize("uri", PRIVATE_USE)
def test_private_use_schemes_only_for_public_clients(uri):
    assert checked_redirect_uri(uri, public=True) == uri
    with pytest.raises(InvalidRedirectUri, match="public"):
        checked_redirect_uri(uri, public=False)


@pytest.mark.parametrize("uri", ["app:/cb", "com.:/cb", ".com.example:/cb", "com..example:/cb"])
def test_a_private_use_scheme_is_a_reverse_domain_name(uri):
    with pytest.raises(InvalidRedirectUri):
        checked_redirect_uri(uri, public=True)


def test_a_presented_loopback_port_out_of_range_never_matches():
    assert redirect_uri_matches("http://127.0.0.1:8765/cb", ["http://127.0.0.1/cb"])
    assert not redirect_uri_matches("http://127.0.0.1:99999/cb", ["http://127.0.0.1/cb"])


def _cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["idp", "clients", *args])


def _refusals(app) -> list[AuditEvent]:
    return stored(app, AuditEvent, AuditEvent.action == "oauth:RefuseRedirectUri")


@pytest.mark.parametrize("option", ["--redirect-uri", "--post-logout-redirect-uri"])
@pytest.mark.parametrize("uri", ["javascript:alert(1)", "data:text/html,x", "vbscript:x", "file:///etc/passwd",
                                 "about:blank", "blob:https://app.example/1", "https://a.example\\@b.example/",
                                 "com.example.app:/cb"])
def test_cli_create_refuses_with_one_error_line_and_writes_nothing(app, root, option, uri):
    extra = [] if option == "--redirect-uri" else ["--redirect-uri", "https://app.example/cb"]
    result = _cli(app, "create", "--json", "--name", "Refused app", *extra, option, uri)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: redirect URI")
    assert stored(app, OAuthClient, OAuthClient.name == "Refused app") == []
    field = "redirect_uris" if option == "--redirect-uri" else "post_logout_redirect_uris"
    [event] = _refusals(app)
    assert event.decision == "Deny" and event.detail["field"] == field and event.account_id == root.account_id


def test_cli_create_allows_a_private_use_scheme_for_a_public_client(app, root):
    result = _cli(app, "create", "--json", "--name", "Native", "--public", "--redirect-uri",
                  "com.example.app:/oauth2redirect", "--post-logout-redirect-uri", "com.example.app:/bye")
    assert result.exit_code == 0, result.output
    [row] = stored(app, OAuthClient, OAuthClient.name == "Native")
    assert row.redirect_uris == ["com.example.app:/oauth2redirect"]
    assert row.post_logout_redirect_uris == ["com.example.app:/bye"]


@pytest.mark.parametrize("option", ["--redirect-uri", "--post-logout-redirect-uri"])
def test_cli_update_refuses_and_keeps_the_client_as_it_was(app, root, option):
    made = json.loads(_cli(app, "create", "--json", "--name", "Web", "--redirect-uri", "https://app.example/cb",
                           "--post-logout-redirect-uri", "https://app.example/bye").output)
    result = _cli(app, "update", made["client_id"], "--name", "Renamed", option, "javascript:alert(document.domain)")
    assert result.exit_code == 1 and result.output.startswith("Error: redirect URI")
    [row] = stored(app, OAuthClient, OAuthClient.client_id == made["client_id"])
    assert row.name == "Web" and row.redirect_uris == ["https://app.example/cb"]
    assert row.post_logout_redirect_uris == ["https://app.example/bye"]
    [event] = _refusals(app)
    assert event.resource == made["client_id"]


@pytest.fixture
def app_config(app_config):
    return {**app_config, "IDP_DYNAMIC_REGISTRATION": "on"}


@pytest.fixture
def initial_token(app, root) -> str:
    result = app.test_cli_runner().invoke(args=["idp", "clients", "initial-access-token", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["initial_access_token"]


REGISTERED = {"client_name": "Registered app", "redirect_uris": ["https://app.example/cb"],
              "post_logout_redirect_uris": ["https://app.example/bye"]}


@pytest.mark.parametrize("field", ["redirect_uris", "post_logout_redirect_uris"])
@pytest.mark.parametrize("uri", ["javascript:alert(1)", "data:text/html,x", "vbscript:x", "file:///etc/passwd",
                                 "about:blank", "blob:https://app.example/1", "http://app.example/cb",
                                 "https://app.example/cb#x", "https://u@app.example/cb", "com.example.app:/cb"])
def test_registration_refuses_with_invalid_redirect_uri_and_writes_nothing(app, client, initial_token, field, uri):
    answer = client.post("/oauth2/register", json={**REGISTERED, field: [uri]},
                         headers={"Authorization": f"Bearer {initial_token}"})
    assert answer.status_code == 400 and answer.json["error"] == "invalid_redirect_uri"
    assert stored(app, OAuthClient, OAuthClient.name == "Registered app") == []
    [event] = _refusals(app)
    assert event.detail["field"] == field


def test_registration_allows_a_private_use_scheme_for_a_public_client(app, client, initial_token):
    answer = client.post("/oauth2/register", headers={"Authorization": f"Bearer {initial_token}"},
                         json={**REGISTERED, "token_endpoint_auth_method": "none",
                               "redirect_uris": ["com.example.app:/cb"]})
    assert answer.status_code == 201, answer.json
    assert answer.json["redirect_uris"] == ["com.example.app:/cb"]


@pytest.mark.parametrize("field", ["redirect_uris", "post_logout_redirect_uris"])
def test_registration_update_refuses_and_keeps_the_registration(app, client, initial_token, field):
    made = client.post("/oauth2/register", json=REGISTERED, headers={"Authorization": f"Bearer {initial_token}"})
    assert made.status_code == 201, made.json
    body = made.json
    manage = {"Authorization": f"Bearer {body['registration_access_token']}"}
    answer = client.put(f"/oauth2/register/{body['client_id']}", headers=manage,
                        json={**REGISTERED, "client_id": body["client_id"], "client_name": "Renamed",
                              field: ["data:text/html,<script>alert(1)</script>"]})
    assert answer.status_code == 400 and answer.json["error"] == "invalid_redirect_uri"
    [row] = stored(app, OAuthClient, OAuthClient.client_id == body["client_id"])
    assert row.name == "Registered app" and row.redirect_uris == ["https://app.example/cb"]
    assert row.post_logout_redirect_uris == ["https://app.example/bye"]
    [event] = _refusals(app)
    assert event.resource == body["client_id"] and event.detail["field"] == field
