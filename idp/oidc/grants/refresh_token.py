"""The refresh token grant (RFC 6749 6) with rotation, reuse detection and a grace window (RFC 9700 4.14).

Each refresh returns a new refresh token and spends the presented one
(atomically, `used_at` set where it is NULL). Presenting a spent token again
within `GRACE` returns the same successor (two tabs refreshing at once);
later, it is treated as theft and the whole family is revoked. The family's
absolute lifetime bounds every token in it. The scope and the APIs
(`resource`, RFC 8707) may only narrow.
"""
from __future__ import annotations

from datetime import timedelta

from authlib.oauth2.rfc6749 import (
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    UnauthorizedClientError,
)
from authlib.oauth2.rfc6749.grants import RefreshTokenGrant
from sqlalchemy import select, update

from idp import audit, clock
from idp.clock import as_utc
from idp.oidc import apis, issuance, tokens
from idp.oidc.errors import GrantRevoked
from idp.oidc.grants.authorization_code import CLIENT_AUTH_METHODS
from idp.oidc.subjects import Subject, subject_exists
from models import db
from models.oauth_grant import RefreshToken, RefreshTokenFamily

GRACE = timedelta(seconds=10)


class RotatingRefreshGrant(RefreshTokenGrant):
    """Rotation on every use; the family is the unit of revocation."""

    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def validate_token_request(self) -> None:
        """Authenticate the client, find the live token of its family, check the scope only narrows."""
        client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(self.GRANT_TYPE):
            raise UnauthorizedClientError("The client is not allowed to use grant_type=refresh_token.")
        value = self.request.form.get("refresh_token")
        if not value:
            raise InvalidRequestError("Missing 'refresh_token' in request.")
        row = db.session.scalar(select(RefreshToken).where(RefreshToken.token_hash == tokens.token_hash(value)))
        family = db.session.get(RefreshTokenFamily, row.family_id) if row else None
        now = clock.now()
        if row is None or family is None or family.client_id != client.model.id:
            raise InvalidGrantError("The refresh token is invalid.")
        if family.revoked_at is not None or as_utc(family.absolute_expires_at) <= now or as_utc(row.expires_at) <= now:
            raise InvalidGrantError("The refresh token has expired or was revoked.")
        requested = self.request.payload.scope
        if requested and not set(requested.split()) <= set(family.scope.split()):
            raise InvalidScopeError("The requested scope exceeds the scope originally granted.")
        # RFC 8707 2.2: the APIs of the grant, or some of them.
        self.request.resources = apis.requested_resources(self.request.payload.data.getlist("resource"),
                                                          family.account_id, within=family.resources or [],
                                                          client_id=client.client_id)
        self.request.client = client
        self.request.refresh_token = (row, family, value)

    def create_token_response(self):
        """Spend the token and return its successor (the same one again inside the grace window)."""
        row, family, value = self.request.refresh_token
        client = self.request.client.model
        now = clock.now()
        spent = db.session.execute(
            update(RefreshToken).where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None)).values(used_at=now)
        ).rowcount == 1
        successor = tokens.successor_value(value)
        if spent:
            issuance.add_refresh_token(family, successor)
        else:
            db.session.refresh(row)
            if row.used_at is None or now - as_utc(row.used_at) > GRACE:
                issuance.revoke_family(family.id, "refresh_token_reuse")
                audit.record("oauth:RefreshTokenReuse", actor=client.client_id, resource=family.subject,
                             decision="Deny", account_id=family.account_id, detail={"grant": family.id})
                raise GrantRevoked("The refresh token was already used; the grant is revoked.")
        if not subject_exists(family.account_id, family.user_id):
            raise InvalidGrantError("There is no user for this refresh token.")
        subject = Subject(family.account_id, family.user_id, "", family.auth_time, tuple(family.amr or ()),
                          family.acr, family.browser_session_id)
        self.request.user = subject
        # The client's registration today bounds what a grant made earlier still yields (an operator may narrow it).
        held = set(client.scopes or ())
        scope = " ".join(s for s in (self.request.payload.scope or family.scope).split() if s in held)
        body = issuance.token_response(client, subject, scope, family=family, refresh_token=successor,
                                       resources=self.request.resources)
        return 200, body, self.TOKEN_RESPONSE_HEADER
