"""Authlib's authorization server, configured once: grants, client authentication, endpoints, errors.

Where we override Authlib's defaults (each pinned by a test under tests/oidc):
S256-only PKCE required for every client (`grants.authorization_code`), codes
consumed not deleted, rotating refresh tokens with reuse detection
(`grants.refresh_token`), `redirect_uri` required and matched exactly
(`adapters`), client authentication only by the client's registered method,
`private_key_jwt` verified by our one JWT verifier (`client_auth`), tokens
minted by `tokens` (our signer and algorithm allow-list, not Authlib's JWT
generator), and every error rendered by `idp.oidc.errors` (no-store, 401 with
`WWW-Authenticate` for client authentication failures). The device grant keeps
Authlib's endpoint and grant classes but decides in `idp.oidc.device` (polls
committed, single winning redemption, replay revokes); token exchange is our
own grant (`grants.token_exchange`) decided by the shared authorizer.
"""
from __future__ import annotations

from functools import cached_property

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Payload, FlaskOAuth2Request
from authlib.oauth2.rfc6749 import OAuth2Error, OAuth2Request
from flask import Flask, Response
from flask import request as flask_request

from idp.errors import OAuthError
from idp.oidc import clients
from idp.oidc.adapters import RegisteredClient
from idp.oidc.client_auth import authenticate_private_key_jwt
from idp.oidc.errors import render_error
from idp.oidc.grants.authorization_code import CodeGrant, S256CodeChallenge
from idp.oidc.grants.client_credentials import ClientGrant
from idp.oidc.grants.device_code import DeviceAuthorization, DeviceGrant
from idp.oidc.grants.token_exchange import TokenExchangeGrant
from idp.oidc.grants.refresh_token import RotatingRefreshGrant
from idp.oidc.token_info import Introspection, Revocation
from idp.oidc.tokens import issuer
from idp.oidc.well_known import WellKnown


class Provider(AuthorizationServer):
    """The one authorization server of the app."""

    def query_client(self, client_id: str) -> RegisteredClient | None:
        """An enabled registered client."""
        model = clients.find(client_id)
        return RegisteredClient(model) if model is not None else None

    def save_token(self, token: dict, request) -> None:
        """Nothing: the grants store what they issue (only hashes of refresh tokens)."""

    def create_oauth2_request(self, request) -> OAuth2Request:
        """The request as Authlib reads it, its URL on our issuer (the public https URL behind a proxy)."""
        return IssuerRequest(flask_request)

    def handle_error_response(self, request, error: OAuth2Error) -> Response:
        """Token, introspection and revocation errors as OAuth JSON from our one renderer.

        RFC 6749 5.2: a client that failed to authenticate is challenged with the scheme clients use (Basic).
        """
        converted = as_idp_error(error)
        return render_error(converted, scheme="Basic" if converted.status == 401 else "Bearer")


class CachedPayload(FlaskOAuth2Payload):
    """Authlib reads `request.values` several times per request; werkzeug rebuilds it on every read."""

    @cached_property
    def data(self):
        return self._request.values


class IssuerRequest(FlaskOAuth2Request):
    """Authlib's Flask request, with `uri` = issuer + path (no Host-header or proxy guessing, no IRI parsing)."""

    def __init__(self, request):
        OAuth2Request.__init__(self, method=request.method, uri=issuer() + request.full_path.rstrip("?"),
                               headers=request.headers)
        self._request = request
        self.payload = CachedPayload(request)


def as_idp_error(error: OAuth2Error) -> OAuthError:
    """Authlib's error as ours; client authentication failures are always 401 (RFC 6749 5.2)."""
    status = 401 if error.error == "invalid_client" else (error.status_code or 400)
    return OAuthError(error.error, error.get_error_description() or "", status=status)


def init_provider(app: Flask) -> Provider:
    """Build the server for `app` and keep it in `app.extensions["idp.oauth2"]`."""
    server = Provider()
    server.init_app(app)
    server.register_client_auth_method("private_key_jwt", authenticate_private_key_jwt)
    server.register_grant(CodeGrant, [S256CodeChallenge(required=True)])
    server.register_grant(RotatingRefreshGrant)
    server.register_grant(ClientGrant)
    server.register_grant(DeviceGrant)
    server.register_grant(TokenExchangeGrant)
    server.register_endpoint(DeviceAuthorization)
    server.register_endpoint(Introspection)
    server.register_endpoint(Revocation)
    app.extensions["idp.oauth2"] = server
    app.wsgi_app = WellKnown(app, app.wsgi_app)
    return server
