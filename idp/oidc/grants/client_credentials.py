"""The client credentials grant (RFC 6749 4.4): an access token for the client itself, no refresh, no ID token.

`resource` (RFC 8707) names the API(s), registered in the client's account,
the token is for; the client then acts with exactly the policies of the
granted scopes that those APIs define (`idp.authz.tokens`).
"""
from __future__ import annotations

from authlib.oauth2.rfc6749 import InvalidScopeError, UnauthorizedClientError
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant

from idp.oidc import apis, issuance

# Only confidential clients: a public client has no credentials.
CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]
# User-facing scopes mean nothing without a user.
USER_SCOPES = frozenset({"openid", "profile", "email", "phone", "offline_access"})


class ClientGrant(ClientCredentialsGrant):
    """Scopes are the requested subset of the client's registered non-user scopes."""

    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def validate_token_request(self) -> None:
        """Authenticate the client and check it may use this grant and these scopes."""
        client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(self.GRANT_TYPE):
            raise UnauthorizedClientError("The client is not allowed to use grant_type=client_credentials.")
        allowed = [s for s in client.model.scopes if s not in USER_SCOPES]
        requested = (self.request.payload.scope or "").split()
        if any(s not in allowed for s in requested):
            raise InvalidScopeError("The client is not registered for the requested scope.")
        self.request.resources = apis.requested_resources(self.request.payload.data.getlist("resource"),
                                                          client.model.account_id, client_id=client.client_id)
        if client.model.self_registered:
            # A self-registered client named its own scopes: an API's authority is granted by an operator only.
            api_scopes = apis.scopes_of(self.request.resources)
            if any(s in api_scopes for s in requested):
                raise InvalidScopeError("A dynamically registered client holds no API scope of its own.")
            allowed = [s for s in allowed if s not in api_scopes]
        self.request.client = client
        self.request.scope = " ".join(dict.fromkeys(requested)) if requested else " ".join(allowed)

    def create_token_response(self):
        """One signed access token."""
        body = issuance.token_response(self.request.client.model, None, self.request.scope, family=None,
                                       refresh_token=None, resources=self.request.resources)
        return 200, body, self.TOKEN_RESPONSE_HEADER
