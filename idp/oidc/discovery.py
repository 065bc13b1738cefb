"""Discovery (OpenID Connect Discovery 1.0, RFC 8414) and the JWKS, served as cached bytes."""
from __future__ import annotations

import json

from flask import Blueprint, Response, current_app

from idp.errors import IdpError
from idp.keys import keystore
from idp.oidc.errors import render_error

blueprint = Blueprint("discovery", __name__)
blueprint.register_error_handler(IdpError, render_error)

JWKS_MAX_AGE = 60


def provider_metadata(issuer: str) -> dict:
    """What this provider truthfully offers so far."""
    return {
        "issuer": issuer,
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "id_token_signing_alg_values_supported": ["ES256", "RS256"],
        "subject_types_supported": ["public"],
        "response_types_supported": ["code"],
    }


def _json(document: dict, max_age: int) -> Response:
    response = Response(json.dumps(document, separators=(",", ":")), mimetype="application/json")
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    return response


@blueprint.get("/.well-known/openid-configuration")
@blueprint.get("/.well-known/oauth-authorization-server")
def openid_configuration() -> Response:
    """The discovery document."""
    cached = current_app.extensions.get("idp.discovery")
    if cached is None:
        issuer = current_app.config["IDP_SETTINGS"].issuer
        cached = current_app.extensions["idp.discovery"] = json.dumps(provider_metadata(issuer)).encode()
    response = Response(cached, mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@blueprint.get("/.well-known/jwks.json")
def jwks() -> Response:
    """Every public key that may have signed a live token."""
    return _json(keystore().jwks(), JWKS_MAX_AGE)
