"""Review (issue 13 class 11): a validly signed client assertion with odd claim values answers 500.

Whoever holds a private_key_jwt client (one dynamic registration with its own `jwks` is enough) signs
whatever claims it likes; the token endpoint then fails on an `aud` that holds an array or an object and on
an `exp` of NaN (Python's json reads `NaN`) instead of answering invalid_client.
"""
from __future__ import annotations

import time

import pytest
from joserfc import jwt as jose_jwt

from tests.oidc.test_private_key_jwt import client_key, grant, jwt_client  # noqa: F401


def _signed(client_id: str, key, **claims) -> str:
    now = int(time.time())
    body = {"iss": client_id, "sub": client_id, "iat": now, "exp": now + 60, "jti": f"j{time.monotonic_ns()}", **claims}
    return jose_jwt.encode({"alg": "ES256", "kid": "client-key-1"}, body, key, algorithms=["ES256"])


@pytest.mark.parametrize("claims", ["nested_aud", "object_in_aud", "nan_exp"])
def test_a_signed_assertion_with_odd_claim_values_is_invalid_client(live_server, jwt_client, client_key, claims):  # noqa: F811 (fixtures imported from their module)
    endpoint = f"{live_server.url}/oauth2/token"
    odd = {"nested_aud": {"aud": [[endpoint]]}, "object_in_aud": {"aud": [endpoint, {"a": 1}]},
           "nan_exp": {"aud": endpoint, "exp": float("nan")}}[claims]
    answer = grant(live_server, _signed(jwt_client["client_id"], client_key, **odd))
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client", answer.status_code
