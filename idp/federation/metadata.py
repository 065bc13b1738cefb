"""An upstream's endpoints: its discovery document (OpenID Connect Discovery 1.0), overridden by explicit ones.

Fetched through `idp.fetch` with a short timeout, no redirects and a size cap;
kept for five minutes per instance. An upstream is configured by the operator,
so its URLs may name private addresses (`trusted=True`). The ID token's signing keys come from
`idp.sts.jwks_cache` (the same cache STS uses for external issuers).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from idp import fetch, json_input
from idp.cache import Cache, app_cache
from idp.errors import UpstreamUnavailable
from idp.keys.jwt import ASYMMETRIC_ALGS
from models.federation import UpstreamProvider

TIMEOUT_SECONDS = 5.0
TTL_SECONDS = 300
MAX_DOCUMENT_BYTES = 256 * 1024
MAX_CACHED_DOCUMENTS = 1_000  # upstreams are configured by the operator: a handful


@dataclass(frozen=True)
class Endpoints:
    """Where to send the browser and the back-channel requests, and what the upstream promises."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str | None
    id_token_algs: frozenset[str]
    # RFC 9207: when the upstream says it sends `iss`, a response without it is refused.
    issuer_parameter: bool


def endpoints(upstream: UpstreamProvider) -> Endpoints:
    """The upstream's endpoints, from its discovery document unless all are configured."""
    explicit = upstream.authorization_endpoint and upstream.token_endpoint
    document = {} if explicit and not upstream.discovery_url else _discovery(upstream)
    authorization = upstream.authorization_endpoint or document.get("authorization_endpoint")
    token = upstream.token_endpoint or document.get("token_endpoint")
    if not isinstance(authorization, str) or not isinstance(token, str):
        raise UpstreamUnavailable(f"The sign-in provider {upstream.name} publishes no authorization or token endpoint.")
    algs = document.get("id_token_signing_alg_values_supported") or ["RS256", "ES256"]
    userinfo = upstream.userinfo_endpoint or document.get("userinfo_endpoint")
    return Endpoints(
        issuer=upstream.issuer, authorization_endpoint=authorization, token_endpoint=token,
        userinfo_endpoint=userinfo if isinstance(userinfo, str) else None,
        id_token_algs=frozenset(a for a in algs if a in ASYMMETRIC_ALGS) if isinstance(algs, list) else frozenset(),
        issuer_parameter=document.get("authorization_response_iss_parameter_supported") is True,
    )


def forget(upstream_name: str) -> None:
    """Drop the cached discovery document of an upstream."""
    _cache().pop(upstream_name)


def _cache() -> Cache[tuple[float, dict]]:
    """Per upstream name: (when fetched, the document), versioned by the URL it was fetched from."""
    return app_cache("idp.federation.discovery", MAX_CACHED_DOCUMENTS)


def _discovery(upstream: UpstreamProvider) -> dict:
    url = upstream.discovery_url or upstream.issuer + "/.well-known/openid-configuration"
    cached = _cache().get(upstream.name, version=url)
    if cached is not None and time.monotonic() - cached[0] < TTL_SECONDS:
        return cached[1]
    document = fetch_json(url, upstream.name)
    if document.get("issuer") != upstream.issuer:
        raise UpstreamUnavailable(f"The discovery document of {upstream.name} names another issuer.")
    _cache().put(upstream.name, (time.monotonic(), document), version=url)
    return document


def fetch_json(url: str, name: str, *, headers: dict[str, str] | None = None) -> dict:
    """GET a JSON object from the upstream `name` within the timeout and size cap."""
    try:
        answer = fetch.fetch(url, purpose=f"sign-in provider {name}", trusted=True, max_bytes=MAX_DOCUMENT_BYTES,
                             timeout=TIMEOUT_SECONDS, headers={"Accept": "application/json", **(headers or {})})
    except fetch.FetchFailed as error:
        raise UpstreamUnavailable(f"The sign-in provider {name} could not be reached ({type(error).__name__}).") from None
    if answer.status != 200:
        raise UpstreamUnavailable(f"The sign-in provider {name} answered {answer.status} at {url}.")
    try:
        document = json_input.loads(answer.body)
    except ValueError:
        raise UpstreamUnavailable(f"The sign-in provider {name} answered something that is not JSON.") from None
    if not isinstance(document, dict):
        raise UpstreamUnavailable(f"The sign-in provider {name} answered something that is not a JSON object.")
    return document
