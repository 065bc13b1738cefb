"""RFC 8628 on Authlib: the device authorization endpoint (3.1) and the device_code token grant (3.4)."""
from __future__ import annotations

from authlib.oauth2.rfc6749 import (
    InvalidRequestError,
    InvalidScopeError,
    UnauthorizedClientError,
)
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc8628 import DeviceAuthorizationEndpoint, DeviceCodeGrant

from idp.oidc import apis, device

# Registered methods only (RegisteredClient.check_endpoint_auth_method); public devices use `none`.
CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]


class DeviceAuthorization(DeviceAuthorizationEndpoint):
    """POST /oauth2/device_authorization: a device code and user code for a client allowed the grant."""

    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def create_endpoint_response(self, request):
        """RFC 8628 3.2: the requested scopes must be registered for the client (default: all of them)."""
        client = self.authenticate_client(request)
        if not client.check_grant_type(device.GRANT_TYPE):
            raise UnauthorizedClientError("The client is not allowed to use the device authorization grant.")
        requested = scope_to_list(request.payload.data.get("scope")) or list(client.model.scopes)
        if any(s not in client.model.scopes for s in requested):
            raise InvalidScopeError("The client is not registered for the requested scope.")
        resources = apis.requested_resources(request.payload.data.getlist("resource"), client.model.account_id,
                                             client_id=client.client_id)
        body = device.start(client.model, " ".join(dict.fromkeys(requested)), resources)
        return 200, body, [("Content-Type", "application/json"), ("Cache-Control", "no-store")]


class DeviceGrant(DeviceCodeGrant):
    """grant_type=urn:ietf:params:oauth:grant-type:device_code, decided by `idp.oidc.device.redeem`."""

    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def validate_token_request(self) -> None:
        """Authenticate the client and check it may use this grant; the code itself is checked on redemption."""
        if not self.request.payload.data.get("device_code"):
            raise InvalidRequestError("Missing device_code.")
        client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(self.GRANT_TYPE):
            raise UnauthorizedClientError("The client is not allowed to use the device authorization grant.")
        self.request.client = client

    def create_token_response(self):
        """Tokens for an approved request, or the RFC 8628 3.5 error that says why not yet or never."""
        body = device.redeem(self.request.client.model, self.request.payload.data["device_code"])
        return 200, body, self.TOKEN_RESPONSE_HEADER
