"""SECURITY.md's OAuth refusals at the token endpoint: code replay and binding, PKCE verifiers."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from models.oauth_grant import RefreshTokenFamily
from tests.oidc.flow import REDIRECT_URI


def grants(app) -> int:
    from models import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(RefreshTokenFamily))


def test_code_replay_fails_and_revokes_every_token_from_it(app, live_server, web_client, code_for, redeem,
                                                          token_request):
    code, verifier = code_for(web_client)
    first = redeem(web_client, code, verifier)
    assert first.status_code == 200
    tokens = first.json()
    replay = redeem(web_client, code, verifier)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    refreshed = token_request(web_client, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    userinfo = requests.get(f"{live_server.url}/oauth2/userinfo",
                            headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=30)
    assert userinfo.status_code == 401 and "invalid_token" in userinfo.headers["WWW-Authenticate"]
    introspected = requests.post(f"{live_server.url}/oauth2/introspect", data={"token": tokens["access_token"]},
                                 auth=(web_client["client_id"], web_client["client_secret"]), timeout=30)
    assert introspected.json() == {"active": False}


def test_concurrent_redemptions_exactly_one_wins(app, web_client, code_for, redeem):
    code, verifier = code_for(web_client)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: redeem(web_client, code, verifier), range(8)))
    statuses = sorted(r.status_code for r in results)
    assert statuses.count(200) == 1 and statuses.count(400) == 7, statuses
    assert grants(app) == 1


def test_code_is_bound_to_its_client(app, web_client, make_client, code_for, redeem):
    other = make_client("--name", "Other", "--redirect-uri", REDIRECT_URI)
    code, verifier = code_for(web_client)
    response = redeem(other, code, verifier)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert grants(app) == 0
    # Not consumed by the other client's attempt: the rightful client still redeems it.
    assert redeem(web_client, code, verifier).status_code == 200


def test_code_is_bound_to_its_redirect_uri(app, make_client, code_for, redeem):
    two = make_client("--name", "Two", "--redirect-uri", REDIRECT_URI, "--redirect-uri", "http://127.0.0.1:8765/b")
    code, verifier = code_for(two)
    response = redeem(two, code, verifier, redirect_uri="http://127.0.0.1:8765/b")
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert grants(app) == 0


def test_code_expires_after_ten_minutes(app, web_client, code_for, redeem, test_clock):
    code, verifier = code_for(web_client)
    test_clock.advance(601)
    response = redeem(web_client, code, verifier)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert grants(app) == 0


@pytest.mark.parametrize("verifier, error", [
    (None, "invalid_request"),                    # challenge sent, verifier missing
    ("short", "invalid_request"),                 # under 43 characters
    ("a" * 129, "invalid_request"),               # over 128
    ("!" * 50, "invalid_request"),                # not unreserved characters
    ("b" * 60, "invalid_grant"),                  # well-formed, wrong
])
def test_bad_code_verifier(app, web_client, code_for, token_request, verifier, error):
    code, _ = code_for(web_client)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    if verifier is not None:
        form["code_verifier"] = verifier
    response = token_request(web_client, **form)
    assert response.status_code == 400 and response.json()["error"] == error
    assert grants(app) == 0


def test_a_refused_redemption_leaves_the_code_unspent(app, web_client, code_for, token_request, redeem):
    """A refusal undoes the grant's work: the code consumed before the verifier was checked is not kept."""
    code, verifier = code_for(web_client)
    wrong = token_request(web_client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI,
                          code_verifier="b" * 60)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    assert redeem(web_client, code, verifier).status_code == 200
    assert grants(app) == 1


def test_public_client_code_flow_with_pkce(app, make_client, code_for, redeem):
    public = make_client("--name", "SPA", "--public", "--redirect-uri", REDIRECT_URI)
    code, verifier = code_for(public)
    response = redeem(public, code, verifier)
    assert response.status_code == 200, response.text
    assert {"access_token", "id_token", "refresh_token"} <= response.json().keys()


def test_public_client_cannot_claim_a_confidential_clients_code(app, web_client, make_client, code_for, redeem,
                                                                token_request):
    code, verifier = code_for(web_client)
    # No secret: the confidential client cannot authenticate with 'none'.
    response = token_request({"client_id": web_client["client_id"]}, grant_type="authorization_code", code=code,
                             redirect_uri=REDIRECT_URI, code_verifier=verifier)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    assert "WWW-Authenticate" in response.headers
    assert grants(app) == 0
