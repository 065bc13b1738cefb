"""grant_type=urn:ietf:params:oauth:grant-type:token-exchange (RFC 8693 2.1), decided by the client's policy."""
from __future__ import annotations

from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import (
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    UnauthorizedClientError,
)
from authlib.oauth2.rfc6749.grants import BaseGrant, TokenEndpointMixin
from sqlalchemy import select

from idp import audit
from idp.oidc import admission, apis, exchange, exchange_policy, tokens
from idp.oidc.errors import InvalidTargetError, described
from models import db
from models.oauth_client import OAuthClient

CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]
MAX_TARGETS = 10


class TokenExchangeGrant(BaseGrant, TokenEndpointMixin):
    """Confidential clients only: an exchange acts for someone else, so the client must prove who it is."""

    GRANT_TYPE = exchange.GRANT_TYPE
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def validate_token_request(self) -> None:
        """Authenticate, verify the subject (and actor) token, narrow the scope, authorize every target."""
        client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(self.GRANT_TYPE):
            raise UnauthorizedClientError("The client is not allowed to use token exchange.")
        row = db.session.get(OAuthClient, client.model.id)
        if row is None or not row.token_exchange_policy:
            raise UnauthorizedClientError("The client has no token exchange policy attached.")
        try:
            self.request.exchange = self._checked(row)
        except OAuth2Error as refused:
            audit.note("oauth:TokenExchangeRefused", actor=row.client_id, decision="Deny", account_id=row.account_id,
                       detail={"error": refused.error, "reason": (refused.description or "")[:300]})
            raise
        self.request.client = client

    def _checked(self, row: OAuthClient) -> tuple:
        """What will be issued, once every check passed: the first refusal raises."""
        data = self.request.payload.data
        requested = data.get("requested_token_type") or exchange.ACCESS_TOKEN
        if requested not in exchange.ISSUABLE:
            raise InvalidRequestError(f"requested_token_type must be one of {', '.join(exchange.ISSUABLE)}.")
        targets = _targets(data.getlist("audience"), data.getlist("resource"))
        _own_targets(row, targets, data.getlist("resource"))
        if requested == exchange.ID_TOKEN and len(targets) != 1:
            raise InvalidTargetError("An ID token is issued for exactly one audience.")
        subject = exchange.presented(data.get("subject_token"), data.get("subject_token_type"), row.account_id,
                                     "subject")
        actor = None
        if data.get("actor_token") or data.get("actor_token_type"):
            actor = exchange.presented(data.get("actor_token"), data.get("actor_token_type"), row.account_id,
                                       "actor")
        for presented in (subject, actor):
            _admitted(row, presented)
        scope = _narrowed(data.get("scope"), list(row.scopes or []), subject.scopes)
        context = _context(subject, actor, requested, scope, data.get("subject_token_type"))
        for target in targets:
            decision = exchange_policy.decide_target(row.account_id, row.client_id, row.token_exchange_policy,
                                                     target, context)
            if not decision.allowed:
                raise InvalidTargetError(decision.reason)
        return row, subject, actor, targets, scope, requested

    def create_token_response(self):
        """The issued token (2.2.1), audited."""
        row, subject, actor, targets, scope, requested = self.request.exchange
        body = exchange.mint(client_id=row.client_id, account_id=row.account_id, subject=subject, actor=actor,
                             audiences=targets, scope=scope, requested=requested)
        audit.record("oauth:TokenExchange", actor=row.client_id, resource=subject.local_subject, decision="Allow",
                     account_id=row.account_id,
                     detail={"subject_issuer": subject.issuer, "audiences": targets, "scope": scope,
                             "requested_token_type": requested, "actor": actor.local_subject if actor else None})
        return 200, body, self.TOKEN_RESPONSE_HEADER


def _admitted(row: OAuthClient, presented: exchange.PresentedToken | None) -> None:
    """Accounts are a boundary here too: our tokens' subjects (and actors) must be of an account the client
    admits (external tokens are verified against the client's own account's IAM providers)."""
    if presented is None or presented.account is None:
        return
    try:
        admission.require(row, presented.account, actor=presented.local_subject, surface="token_exchange")
    except admission.AccountNotAdmitted as refused:
        raise InvalidGrantError(refused.message) from None


def _own_targets(row: OAuthClient, targets: list[str], resources: list[str]) -> None:
    """Accounts are a boundary for targets too: a `resource` must be a registered API of the client's account
    (as at the authorization and token endpoints), and an `audience` naming one of this product's APIs or
    clients must be of the client's account; other audiences are names this product never accepts as its own."""
    apis.requested_resources(resources, row.account_id, client_id=row.client_id)
    for target in targets:
        api = apis.find(target)
        owner = api.account_id if api is not None else db.session.scalar(
            select(OAuthClient.account_id).where(OAuthClient.client_id == target))
        if owner is not None and owner != row.account_id:
            raise InvalidTargetError(f"The audience {described(target)} belongs to another account.")


def _targets(audiences: list[str], resources: list[str]) -> list[str]:
    for resource in resources:
        parts = urlsplit(resource)
        if not parts.scheme or not parts.netloc or parts.fragment:
            raise InvalidTargetError("resource must be an absolute URI without a fragment (RFC 8707).")
    targets = list(dict.fromkeys([*audiences, *resources]))
    if any(not t or len(t) > 2048 for t in targets) or len(targets) > MAX_TARGETS:
        raise InvalidTargetError(f"At most {MAX_TARGETS} non-empty audience and resource values.")
    return targets or [tokens.issuer()]


def _narrowed(requested: str | None, registered: list[str], subject_scopes: list[str] | None) -> str:
    """RFC 8693 2.1 `scope`: within the client's registration and the subject's scope (`PresentedToken.scopes`).

    Asking for more is `invalid_scope` (RFC 6749 5.2: "exceeds the scope granted by the resource owner"), not a
    silently narrower token: RFC 8693 2.2.2 defers to 5.2 for the error, and a client that asked for
    `profile` must not be left guessing why its token cannot read it. Asking for nothing gets all of what
    both allow."""
    allowed = [s for s in registered if subject_scopes is None or s in subject_scopes]
    wanted = list(dict.fromkeys(requested.split())) if requested else allowed
    if any(s not in allowed for s in wanted):
        raise InvalidScopeError("The requested scope exceeds what the client and the subject token allow.")
    return " ".join(wanted)


def _context(subject: exchange.PresentedToken, actor: exchange.PresentedToken | None, requested: str, scope: str,
             presented_type: str) -> dict:
    context: dict[str, object] = {
        **subject.provider_keys, "oidc:SubjectIssuer": subject.issuer, "oidc:SubjectTokenType": presented_type,
        "oidc:RequestedTokenType": requested, "oidc:Scope": scope.split(),
    }
    if subject.client:
        context["oidc:SubjectClient"] = subject.client
    if subject.account:
        context["oidc:SubjectAccount"] = subject.account
    if actor is not None:
        context["oidc:ActorIssuer"] = actor.issuer
        context["oidc:ActorSubject"] = actor.local_subject
    return context
