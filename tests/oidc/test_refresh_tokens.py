"""Refresh tokens: rotation, reuse revoking the family, the two-tab grace window, absolute lifetime, scope."""
from __future__ import annotations

import pytest


@pytest.fixture
def first_tokens(web_client, code_for, redeem):
    code, verifier = code_for(web_client)
    response = redeem(web_client, code, verifier)
    assert response.status_code == 200, response.text
    return response.json()


def refresh(token_request, client, value, **extra):
    return token_request(client, grant_type="refresh_token", refresh_token=value, **extra)


def test_rotation_gives_a_new_refresh_token_and_id_token(web_client, first_tokens, token_request):
    response = refresh(token_request, web_client, first_tokens["refresh_token"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["refresh_token"] != first_tokens["refresh_token"]
    assert body["id_token"] and body["access_token"] != first_tokens["access_token"]
    assert response.headers["Cache-Control"] == "no-store"


def test_reuse_after_grace_revokes_the_family(web_client, first_tokens, token_request, test_clock):
    successor = refresh(token_request, web_client, first_tokens["refresh_token"]).json()["refresh_token"]
    test_clock.advance(11)
    replay = refresh(token_request, web_client, first_tokens["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    # The legitimate successor is revoked too: the whole family is gone.
    after = refresh(token_request, web_client, successor)
    assert after.status_code == 400 and after.json()["error"] == "invalid_grant"


def test_two_tabs_inside_the_grace_window_get_the_same_successor(web_client, first_tokens, token_request,
                                                                test_clock):
    one = refresh(token_request, web_client, first_tokens["refresh_token"])
    test_clock.advance(3)
    two = refresh(token_request, web_client, first_tokens["refresh_token"])
    assert one.status_code == two.status_code == 200, two.text
    assert one.json()["refresh_token"] == two.json()["refresh_token"]
    # And the successor works (the family was not revoked).
    assert refresh(token_request, web_client, one.json()["refresh_token"]).status_code == 200


def test_absolute_lifetime(web_client, first_tokens, token_request, test_clock):
    value = first_tokens["refresh_token"]
    for _ in range(3):  # keep rotating within each token's own lifetime
        test_clock.advance(10 * 86400)
        response = refresh(token_request, web_client, value)
        if response.status_code != 200:
            break
        value = response.json()["refresh_token"]
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_scope_may_narrow_not_widen(web_client, first_tokens, token_request, make_client):
    narrowed = refresh(token_request, web_client, first_tokens["refresh_token"], scope="openid")
    assert narrowed.status_code == 200 and narrowed.json()["scope"] == "openid"
    wider = refresh(token_request, web_client, narrowed.json()["refresh_token"], scope="openid admin")
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"


def test_another_clients_refresh_token_is_refused(first_tokens, token_request, make_client):
    from tests.oidc.flow import REDIRECT_URI

    other = make_client("--name", "Other", "--redirect-uri", REDIRECT_URI)
    response = refresh(token_request, other, first_tokens["refresh_token"])
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_concurrent_refreshes_all_get_the_same_successor(web_client, first_tokens, token_request):
    """The refresh TOCTOU (CVE-2026-1035): parallel use of one token neither forks the family nor revokes it."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: refresh(token_request, web_client, first_tokens["refresh_token"]), range(6)))
    assert [a.status_code for a in answers] == [200] * 6, [a.text for a in answers]
    successors = {a.json()["refresh_token"] for a in answers}
    assert len(successors) == 1
    assert refresh(token_request, web_client, successors.pop()).status_code == 200
