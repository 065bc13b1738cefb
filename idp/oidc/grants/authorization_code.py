"""The authorization code grant (RFC 6749 4.1) with S256-only PKCE (RFC 7636) and OpenID Connect.

Overrides of Authlib's defaults, each pinned by a test in tests/oidc:
codes are stored hashed and consumed (an atomic UPDATE ... WHERE consumed_at IS
NULL, so exactly one of concurrent redemptions wins), never deleted, so that a
second presentation is recognised and revokes every grant made from the code;
codes live at most 10 minutes; PKCE is required for every client and `plain`
is refused; the ID token is minted by `idp.oidc.tokens`, not by Authlib. The
code keeps the APIs asked for with `resource=` (RFC 8707); the token request
may name some of them, never another.
"""
from __future__ import annotations

from datetime import timedelta

from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc7636 import CodeChallenge
from sqlalchemy import select, update

from idp import audit, clock
from idp.clock import as_utc
from idp.oidc import apis, issuance
from idp.oidc.errors import GrantRevoked
from idp.oidc.subjects import Subject, subject_exists
from idp.oidc.tokens import new_secret_value, token_hash
from models import db
from models.oauth_grant import AuthorizationCode

CODE_LIFETIME = timedelta(minutes=10)
CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]


class S256CodeChallenge(CodeChallenge):
    """PKCE with S256 only, required on every authorization request (public or confidential)."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    CODE_CHALLENGE_METHODS = {"S256": CodeChallenge.CODE_CHALLENGE_METHODS["S256"]}

    def validate_code_challenge(self, grant, redirect_uri) -> None:
        """Refuse a request without a challenge or with any method but S256."""
        payload = grant.request.payload.data
        if not payload.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge with code_challenge_method=S256.")
        if payload.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only code_challenge_method=S256 is supported.")
        super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(AuthorizationCodeGrant):
    """Codes bound to client, redirect URI, PKCE challenge, nonce and the browser session."""

    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def save_authorization_code(self, code: str, request) -> None:
        """Store the code's hash with everything the token endpoint will need."""
        subject: Subject = request.user
        payload = request.payload.data
        now = clock.now()
        db.session.add(AuthorizationCode(
            code_hash=token_hash(code), client_id=request.client.model.id, subject=subject.sub,
            account_id=subject.account_id, user_id=subject.user_pk, redirect_uri=request.payload.redirect_uri,
            scope=request.scope or "", nonce=payload.get("nonce"), code_challenge=payload.get("code_challenge"),
            code_challenge_method=payload.get("code_challenge_method"), auth_time=subject.auth_time or now,
            amr=list(subject.amr), acr=subject.acr, browser_session_id=subject.session_id,
            resources=list(getattr(request, "resources", None) or []), expires_at=now + CODE_LIFETIME,
        ))

    def generate_authorization_code(self) -> str:
        """256 random bits."""
        return new_secret_value()

    def query_authorization_code(self, code: str, client):
        """Consume the code atomically; a code already consumed revokes what it produced."""
        row = db.session.scalar(select(AuthorizationCode).where(AuthorizationCode.code_hash == token_hash(code)))
        if row is None or row.client_id != client.model.id:
            return None
        consumed = db.session.execute(
            update(AuthorizationCode).where(AuthorizationCode.id == row.id, AuthorizationCode.consumed_at.is_(None))
            .values(consumed_at=clock.now())
        ).rowcount
        if consumed != 1:
            revoked = issuance.revoke_grants_of_code(row.id, reason="code_replay")
            audit.record("oauth:CodeReplay", actor=client.client_id, resource=f"authorization_code:{row.id}",
                         decision="Deny", account_id=row.account_id, detail={"revoked_grants": revoked})
            raise GrantRevoked("The authorization code was already used; tokens issued from it are revoked.")
        if as_utc(row.expires_at) <= clock.now():
            return None
        return CodeRecord(row)

    def delete_authorization_code(self, authorization_code) -> None:
        """Nothing: the code stays, consumed, to recognise a replay."""

    def authenticate_user(self, authorization_code) -> Subject | None:
        """The subject the code was issued for, if that user still exists."""
        row = authorization_code.row
        if not subject_exists(row.account_id, row.user_id):
            return None
        return Subject(row.account_id, row.user_id, "", row.auth_time, tuple(row.amr or ()), row.acr,
                       row.browser_session_id)

    def create_token_response(self):
        """Access token, refresh token (when the client may refresh) and, for `openid`, the ID token."""
        client = self.request.client
        record = self.request.authorization_code
        subject = self.authenticate_user(record)
        if subject is None:
            raise InvalidGrantError("There is no user for this code.")
        self.request.user = subject
        # RFC 8707 2.2: `resource` here may only narrow the code's APIs.
        resources = apis.requested_resources(self.request.payload.data.getlist("resource"), record.row.account_id,
                                             within=record.row.resources or [], client_id=client.client_id)
        token = issuance.issue_for_code(client.model, subject, record.row, resources)
        self.execute_hook("after_create_token_response", token)
        return 200, token, self.TOKEN_RESPONSE_HEADER


class CodeRecord:
    """A stored code as Authlib reads it."""

    def __init__(self, row: AuthorizationCode):
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        """The redirect URI the code was issued to; the token request must repeat it exactly."""
        return self.row.redirect_uri

    def get_scope(self) -> str:
        """The granted scope."""
        return self.row.scope
