"""Review (issue 13 class 11): a JWT whose header `alg` is not a string answers 500.

idp.keys.jwt.verify tests `alg not in set(algorithms)`: a list or object `alg` raises TypeError
(unhashable) before any refusal. Reached unauthenticated by GET /oauth2/logout?id_token_hint= and by
POST /authorize with a bearer token, and by POST /oauth2/register with the initial access token.
"""
from __future__ import annotations

import base64
import json

import pytest
import requests


def _segment(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _token(alg) -> str:
    return f"{_segment({'alg': alg, 'kid': 'k'})}.{_segment({'iss': 'x'})}.AAAA"


ALGS = [["RS256"], {"a": 1}]


@pytest.mark.parametrize("alg", ALGS)
def test_logout_refuses_an_id_token_hint_whose_alg_is_not_a_string(live_server, alg):
    answer = requests.get(f"{live_server.url}/oauth2/logout", params={"id_token_hint": _token(alg)},
                          allow_redirects=False, timeout=30)
    assert 400 <= answer.status_code < 500, answer.status_code


@pytest.mark.parametrize("alg", ALGS)
def test_post_authorize_refuses_a_bearer_token_whose_alg_is_not_a_string(live_server, alg):
    answer = requests.post(f"{live_server.url}/authorize", json={
        "token": _token(alg), "audience": "https://api.example", "action": "iam:GetUser", "resource": "*"}, timeout=30)
    assert 400 <= answer.status_code < 500, answer.status_code


@pytest.fixture
def app_config(app_config):
    return {**app_config, "IDP_DYNAMIC_REGISTRATION": "on"}


@pytest.mark.parametrize("alg", ALGS)
def test_registration_refuses_an_initial_access_token_whose_alg_is_not_a_string(live_server, alg):
    answer = requests.post(f"{live_server.url}/oauth2/register", json={"client_name": "x"},
                           headers={"Authorization": f"Bearer {_token(alg)}"}, timeout=30)
    assert 400 <= answer.status_code < 500, answer.status_code
