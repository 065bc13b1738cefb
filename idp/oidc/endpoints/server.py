"""Authlib's authorization server, configured once: grants, client authentication, endpoints, errors.

Where we override Authlib's defaults (each pinned by a test under tests/oidc):
S256-only PKCE required for every client (`grants.authorization_code`), codes
consumed not deleted, rotating refresh tokens with reuse detection
(`grants.refresh_token`), `redirect_uri` required and matched exactly
(`adapters`), client authentication only by the client's registered method,
`private_key_jwt` verified by our one JWT verifier (`client_auth`), tokens
minted by `tokens` (our signer and algorithm allow-list, not Authlib's JWT
generator), and every error rendered by `idp.oidc.endpoints.errors` (no-store,
401 with `WWW-Authenticate` for client authentication failures). The device
grant keeps Authlib's endpoint and grant classes but decides in
`idp.oidc.device` (polls kept, single winning redemption, replay revokes);
token exchange is our own grant (`grants.token_exchange`) decided by the
shared authorizer.

Authlib answers a refusal itself; ours raises it instead (`Refused`), so the
request's unit of work (`idp.work`) rolls the request back like any other
refused one, unless the refusal keeps the work (a replay's revocation, a
device poll: `keeps_work` on the Authlib error).
"""
from __future__ import annotations

import base64
import binascii
from functools import cached_property
from typing import NoReturn

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2.requests import (
    FlaskOAuth2Payload,
    FlaskOAuth2Request,
)
from authlib.oauth2.base import invalid_error_characters
from authlib.oauth2.rfc6749 import (
    InvalidClientError,
    InvalidRequestError,
    OAuth2Error,
    OAuth2Request,
)
from flask import Flask, Response
from flask import request as flask_request

from idp import audit
from idp.errors import OAuthError
from idp.oidc import clients
from idp.oidc.adapters import RegisteredClient
from idp.oidc.client_auth import authenticate_private_key_jwt
from idp.oidc.endpoints.errors import render_error
from idp.oidc.endpoints.well_known import WellKnown
from idp.oidc.grants.authorization_code import CodeGrant, S256CodeChallenge
from idp.oidc.grants.client_credentials import ClientGrant
from idp.oidc.grants.device_code import DeviceAuthorization, DeviceGrant
from idp.oidc.grants.refresh_token import RotatingRefreshGrant
from idp.oidc.grants.token_exchange import TokenExchangeGrant
from idp.oidc.token_info import Introspection, Revocation
from idp.oidc.tokens import issuer

# Authorization request parameters that Authlib puts into an error description.
QUOTED_PARAMETERS = ("response_type", "redirect_uri")


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

    def get_authorization_grant(self, request):
        """The grant for an authorization request, refused first when a parameter Authlib quotes in its errors
        (`response_type`, `redirect_uri`) holds characters an `error_description` cannot (RFC 6749 4.1.2.1):
        neither may hold them by RFC 6749 appendix A, and Authlib would fail building the error instead."""
        for name in QUOTED_PARAMETERS:
            value = request.payload.data.get(name)
            if value and invalid_error_characters(value):
                _refused("oauth:Authorize", reason=f"unquotable_{name}")
                raise InvalidRequestError(f"The {name} parameter holds characters it may not (RFC 6749 appendix A).")
        return super().get_authorization_grant(request)

    def authenticate_client(self, request, methods, endpoint="token"):
        """Authlib's client authentication, after refusing HTTP Basic credentials it cannot read (RFC 6749
        2.3.1: base64 of UTF-8 `client_id:client_secret`); Authlib would fail on them instead of refusing."""
        if not basic_credentials_readable(request.headers.get("Authorization")):
            _refused("oauth:AuthenticateClient", reason="unreadable_basic_credentials")
            raise InvalidClientError(status_code=401, description="The Basic credentials are not base64 of "
                                                                  "client_id:client_secret (RFC 6749 2.3.1).")
        return super().authenticate_client(request, methods, endpoint)

    def handle_error_response(self, request, error: OAuth2Error) -> NoReturn:
        """Raise a token, device authorization, introspection or revocation refusal out of the view as `Refused`."""
        raise Refused(error)


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


class Refused(OAuthError):
    """Authlib's refusal as ours (client authentication failures are always 401, RFC 6749 5.2), keeping the
    request's work when the Authlib error says so (`keeps_work`)."""

    def __init__(self, error: OAuth2Error):
        status = 401 if error.error == "invalid_client" else (error.status_code or 400)
        super().__init__(error.error, error.get_error_description() or "", status=status)
        self.keeps_work = bool(getattr(error, "keeps_work", False))


def render_refusal(refused: Refused) -> Response:
    """RFC 6749 5.2: a client that failed to authenticate is challenged with the scheme clients use (Basic)."""
    return render_error(refused, scheme="Basic")


def _refused(action: str, *, reason: str) -> None:
    """Audit a refusal (written whatever becomes of the request's work)."""
    audit.note(action, decision="Deny", detail={"reason": reason})


def basic_credentials_readable(header: str | None) -> bool:
    """False for an `Authorization: Basic` header with no credentials or credentials that decode to no UTF-8 text.

    (Credentials that are not base64 at all Authlib already reads as none: the client is then not authenticated.)
    """
    parts = (header or "").split(None, 1)
    if not parts or parts[0].lower() != "basic":
        return True
    if len(parts) < 2:
        return False
    try:
        base64.b64decode(parts[1]).decode("utf-8")
    except binascii.Error:
        return True
    except UnicodeDecodeError:
        return False
    return True


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
