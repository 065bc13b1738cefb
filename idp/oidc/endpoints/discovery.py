"""Discovery (OpenID Connect Discovery 1.0, RFC 8414) and the JWKS, served as cached bytes."""
from __future__ import annotations

import json

from flask import Blueprint, Response, current_app

from idp.errors import IdpError
from idp.keys import keystore
from idp.keys.jwt import ASYMMETRIC_ALGS
from idp.oidc.clients import SIGNING_ALGS
from idp.oidc.endpoints.errors import render_error
from idp.oidc.subjects import SCOPE_CLAIMS
from idp.signin.sessions import ACR_MFA, ACR_PASSWORD

blueprint = Blueprint("discovery", __name__)
blueprint.register_error_handler(IdpError, render_error)

JWKS_MAX_AGE = 60
DISCOVERY_MAX_AGE = 3600


def provider_metadata(issuer: str, dynamic_registration: bool = False) -> dict:
    """What this provider truthfully offers (OIDC Discovery 3, RFC 8414 2)."""
    client_auth = ["client_secret_basic", "client_secret_post", "private_key_jwt"]
    registration = {"registration_endpoint": f"{issuer}/oauth2/register"} if dynamic_registration else {}
    return {
        **registration,
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth2/authorize",
        "token_endpoint": f"{issuer}/oauth2/token",
        "userinfo_endpoint": f"{issuer}/oauth2/userinfo",
        "introspection_endpoint": f"{issuer}/oauth2/introspect",
        "revocation_endpoint": f"{issuer}/oauth2/revoke",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "scopes_supported": ["openid", "profile", "email", "phone", "offline_access"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials",
                                  "urn:ietf:params:oauth:grant-type:device_code",
                                  "urn:ietf:params:oauth:grant-type:token-exchange"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": list(SIGNING_ALGS),
        "userinfo_signing_alg_values_supported": [],
        "token_endpoint_auth_methods_supported": [*client_auth, "none"],
        "token_endpoint_auth_signing_alg_values_supported": sorted(ASYMMETRIC_ALGS),
        "introspection_endpoint_auth_methods_supported": client_auth,
        "revocation_endpoint_auth_methods_supported": [*client_auth, "none"],
        "code_challenge_methods_supported": ["S256"],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid",
                             "at_hash", "account", *[claim for claims in SCOPE_CLAIMS.values() for claim in claims],
                             "groups", "roles"],
        "acr_values_supported": [ACR_PASSWORD, ACR_MFA],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,
        "end_session_endpoint": f"{issuer}/oauth2/logout",
        "device_authorization_endpoint": f"{issuer}/oauth2/device_authorization",
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": False,
    }


@blueprint.get("/.well-known/openid-configuration")
@blueprint.get("/.well-known/oauth-authorization-server")
def openid_configuration() -> Response:
    """The discovery document."""
    cached = current_app.extensions.get("idp.discovery")
    if cached is None:
        settings = current_app.config["IDP_SETTINGS"]
        cached = current_app.extensions["idp.discovery"] = json.dumps(
            provider_metadata(settings.issuer, settings.dynamic_registration)).encode()
    response = Response(cached, mimetype="application/json")
    response.headers["Cache-Control"] = f"public, max-age={DISCOVERY_MAX_AGE}"
    return response


@blueprint.get("/.well-known/jwks.json")
def jwks() -> Response:
    """Every public key that may have signed a live token (serialized again only when the key set changes)."""
    document = keystore().jwks()
    cached = current_app.extensions.get("idp.jwks_bytes")
    if cached is None or cached[0] is not document:
        # The keystore hands out a new dict on every reload; the same dict means the same keys.
        cached = current_app.extensions["idp.jwks_bytes"] = (document, json.dumps(document, separators=(",", ":")))
    response = Response(cached[1], mimetype="application/json")
    response.headers["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE}"
    return response
