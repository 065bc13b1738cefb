"""Our models seen through Authlib's mixins (the models themselves import nothing from Authlib)."""
from __future__ import annotations

from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc6749.util import scope_to_list

from idp.oidc.clients import ClientSnapshot, secret_matches
from idp.oidc.redirects import redirect_uri_matches


class RegisteredClient(ClientMixin):
    """An enabled client's registration as Authlib asks about it."""

    def __init__(self, model: ClientSnapshot):
        self.model = model
        self.client_id = model.client_id

    def get_client_id(self) -> str:
        """The public client identifier."""
        return self.model.client_id

    def get_default_redirect_uri(self) -> None:
        """None: `redirect_uri` is required on every authorization request."""
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        """The requested scopes the client is registered for, in request order (default: all of them)."""
        if not scope:
            return " ".join(self.model.scopes)
        allowed = set(self.model.scopes)
        return " ".join(s for s in dict.fromkeys(scope_to_list(scope)) if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Exact match against a registered value (a loopback port may vary)."""
        return redirect_uri_matches(redirect_uri, self.model.redirect_uris)

    def check_client_secret(self, client_secret: str) -> bool:
        """Constant-time check against the stored hash."""
        return secret_matches(self.model, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        """Only the registered method, at every endpoint."""
        return method == self.model.token_endpoint_auth_method

    def check_response_type(self, response_type: str) -> bool:
        """Only `code`, and only for clients allowed the code grant."""
        return response_type == "code" and "code" in (self.model.response_types or [])

    def check_grant_type(self, grant_type: str) -> bool:
        """Registered grant types only."""
        return grant_type in self.model.grant_types
