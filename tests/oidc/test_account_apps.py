"""The account page's Applications: consents listed, withdrawn with the grants they made."""
from __future__ import annotations

import re

import requests

from tests.oidc.flow import pkce_pair
from tests.support.signin import csrf_token


def test_consents_are_listed_and_revocable(live_server, alice_http, web_client, code_for, redeem, token_request):
    code, verifier = code_for(web_client)
    tokens = redeem(web_client, code, verifier).json()
    page = alice_http.get("/account/apps")
    assert page.status_code == 200 and "Notes app" in page.text
    assert f'data-client-id="{web_client["client_id"]}"' in page.text
    assert page.headers["X-Frame-Options"] == "DENY"
    answer = alice_http.http.post(f"{live_server.url}/account/apps/revoke", allow_redirects=False, timeout=30,
                               data={"csrf_token": csrf_token(page.text), "client_id": web_client["client_id"]})
    assert answer.status_code == 303
    assert "Notes app" not in alice_http.get("/account/apps").text
    refreshed = token_request(web_client, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    userinfo = requests.get(f"{live_server.url}/oauth2/userinfo",
                            headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=30)
    assert userinfo.status_code == 401
    # Consent is asked for again.
    _, challenge = pkce_pair()
    again = alice_http.authorize(web_client["client_id"], challenge=challenge, consent=None)
    assert 'id="consent-title"' in again.text


def test_revoke_needs_csrf_and_a_session(live_server, alice_http, web_client, code_for):
    code_for(web_client)
    forged = alice_http.http.post(f"{live_server.url}/account/apps/revoke", allow_redirects=False, timeout=30,
                               data={"client_id": web_client["client_id"]})
    assert forged.status_code == 400
    assert "Notes app" in alice_http.get("/account/apps").text
    anonymous = requests.get(f"{live_server.url}/account/apps", allow_redirects=False, timeout=30)
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login")
    assert re.search(r"next=%2Faccount%2Fapps|next=/account/apps", anonymous.headers["Location"])
