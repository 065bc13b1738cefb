"""Driving the relying-party flow over HTTP with a scripted token endpoint (no browser needed)."""
from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

CLIENT_ID = "scripted-client"


def scripted_upstream(upstream_op, token_endpoint, name: str = "scripted", **extra) -> dict:
    """An upstream file whose keys and discovery are the upstream provider's and whose token endpoint is scripted."""
    return {
        "name": name, "issuer": upstream_op.issuer, "client_id": CLIENT_ID, "client_secret": "s3cret-value",
        "scopes": ["openid", "email", "profile"], "token_endpoint": token_endpoint.url,
        "authorization_endpoint": f"{upstream_op.issuer}/oauth2/authorize",
        "discovery_url": f"{upstream_op.issuer}/.well-known/openid-configuration", **extra,
    }


def start(session: requests.Session, base_url: str, name: str, **params) -> dict:
    """GET /login/upstream/<name>: the authorization request's parameters, from the redirect."""
    response = session.get(f"{base_url}/login/upstream/{name}", params=params or None, allow_redirects=False,
                           timeout=30)
    assert response.status_code == 302, response.text[:500]
    return {key: values[0] for key, values in parse_qs(urlsplit(response.headers["Location"]).query).items()}


def id_token(upstream_op, nonce: str, **claims) -> str:
    """An ID token for the scripted client from the upstream provider's key."""
    return upstream_op.mint({"aud": CLIENT_ID, "sub": "u-1", "nonce": nonce, **claims})


def callback(session: requests.Session, base_url: str, name: str, **params) -> requests.Response:
    """GET the callback as the upstream would redirect the browser to it."""
    return session.get(f"{base_url}/login/upstream/{name}/callback?{urlencode(params)}", allow_redirects=False,
                       timeout=30)


def sign_in(session, base_url, upstream_op, token_endpoint, name: str = "scripted", **claims) -> requests.Response:
    """A whole federated sign-in with an ID token carrying `claims`."""
    request = start(session, base_url, name)
    token_endpoint.reply = (200, {"access_token": "at", "token_type": "Bearer", "expires_in": 300,
                                  "id_token": id_token(upstream_op, request["nonce"], **claims)})
    return callback(session, base_url, name, code="the-code", state=request["state"], iss=upstream_op.issuer)


def expired_claims() -> dict:
    now = int(time.time())
    return {"iat": now - 7200, "exp": now - 3600}
