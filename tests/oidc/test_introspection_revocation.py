"""Introspection (RFC 7662) and revocation (RFC 7009): client-authenticated, own tokens only."""
from __future__ import annotations

import pytest
import requests


@pytest.fixture
def issued(web_client, code_for, redeem):
    code, verifier = code_for(web_client)
    return redeem(web_client, code, verifier).json()


def post(live_server, path, client, **form):
    return requests.post(f"{live_server.url}{path}", data=form, auth=(client["client_id"], client["client_secret"]),
                         timeout=30)


def test_introspect_access_and_refresh_tokens(live_server, web_client, issued, alice):
    access = post(live_server, "/oauth2/introspect", web_client, token=issued["access_token"]).json()
    assert access["active"] is True and access["client_id"] == web_client["client_id"]
    assert access["sub"] == alice["UserId"] and access["scope"] == "openid profile email"
    refresh = post(live_server, "/oauth2/introspect", web_client, token=issued["refresh_token"],
                   token_type_hint="refresh_token").json()
    assert refresh["active"] is True and refresh["token_type"] == "refresh_token"
    junk = post(live_server, "/oauth2/introspect", web_client, token="not-a-token").json()
    assert junk == {"active": False}


def test_introspection_needs_client_authentication(live_server, web_client, issued):
    response = requests.post(f"{live_server.url}/oauth2/introspect", data={"token": issued["access_token"]},
                             timeout=30)
    assert response.status_code == 401 and "WWW-Authenticate" in response.headers


def test_another_client_learns_nothing(live_server, issued, make_client):
    from tests.oidc.flow import REDIRECT_URI

    other = make_client("--name", "Other", "--redirect-uri", REDIRECT_URI)
    assert post(live_server, "/oauth2/introspect", other, token=issued["access_token"]).json() == {"active": False}
    # Revocation by another client is not an error, and revokes nothing.
    assert post(live_server, "/oauth2/revoke", other, token=issued["refresh_token"]).status_code == 200
    assert post(live_server, "/oauth2/introspect", other, token=issued["refresh_token"]).json() == {"active": False}


def test_revoking_the_refresh_token_revokes_the_grant(live_server, web_client, issued, token_request):
    assert post(live_server, "/oauth2/revoke", web_client, token=issued["refresh_token"]).status_code == 200
    refreshed = token_request(web_client, grant_type="refresh_token", refresh_token=issued["refresh_token"])
    assert refreshed.status_code == 400
    assert post(live_server, "/oauth2/introspect", web_client, token=issued["access_token"]).json() == {"active": False}


def test_revoking_a_client_credentials_access_token(live_server, service_client):
    token = requests.post(f"{live_server.url}/oauth2/token", data={"grant_type": "client_credentials"},
                          auth=(service_client["client_id"], service_client["client_secret"]),
                          timeout=30).json()["access_token"]
    assert post(live_server, "/oauth2/introspect", service_client, token=token).json()["active"] is True
    assert post(live_server, "/oauth2/revoke", service_client, token=token,
                token_type_hint="access_token").status_code == 200
    assert post(live_server, "/oauth2/introspect", service_client, token=token).json() == {"active": False}
    # Revoking twice is fine.
    assert post(live_server, "/oauth2/revoke", service_client, token=token).status_code == 200
