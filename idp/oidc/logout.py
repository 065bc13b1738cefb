"""OpenID Connect RP-Initiated Logout 1.0: checking a logout request and ending the browser session.

`id_token_hint` must be an ID token this provider signed (verified against
our keystore, so also one that has expired: RPs log out long after the token
ran out); `post_logout_redirect_uri` must be registered, exactly, for the client
named by `client_id` or the hint's `aud`, otherwise there is no redirect at all
(CVE-2019-3877). Ending a session revokes it, revokes every grant made in it
and tells the clients that took part over the back channel.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from sqlalchemy import select

from idp import audit
from idp.errors import InvalidLogoutRequest
from idp.keys import jwt, keystore
from idp.oidc import backchannel
from idp.oidc.subjects import subject_of
from idp.oidc.tokens import issuer, public_sid
from idp.signin import sessions
from models import db
from models.oauth_client import OAuthClient
from models.session import BrowserSession

# Genuine hints are accepted long after `exp` (an RP logs out whenever the user asks); a forged one never is.
HINT_LEEWAY = 86_400 * 365
MAX_PARAMETER = 2048


@dataclass(frozen=True)
class LogoutRequest:
    """A checked end-session request."""

    client: OAuthClient | None
    redirect_uri: str | None
    state: str | None
    hint: dict | None

    def matches(self, session: BrowserSession) -> bool:
        """True when the hint names this session (its `sid`) or its user (`sub`): no confirmation needed."""
        if self.hint is None:
            return False
        if self.hint.get("sid") == public_sid(session.id_hash):
            return True
        subject = subject_of(session)
        return subject is not None and self.hint.get("sub") == subject.sub

    def redirect_target(self) -> str | None:
        """The registered URI with `state`, or None for our own signed-out page."""
        if self.redirect_uri is None:
            return None
        if not self.state:
            return self.redirect_uri
        parts = urlsplit(self.redirect_uri)
        query = f"{parts.query}&" if parts.query else ""
        return urlunsplit(parts._replace(query=query + urlencode({"state": self.state})))


def check(values) -> LogoutRequest:
    """Validate `id_token_hint`, `client_id`, `post_logout_redirect_uri`, `state` (RP-Initiated Logout 2)."""
    hint_value, client_id = _param(values, "id_token_hint"), _param(values, "client_id")
    redirect_uri, state = _param(values, "post_logout_redirect_uri"), _param(values, "state")
    hint = verify_hint(hint_value) if hint_value else None
    if hint is not None:
        audiences = hint["aud"] if isinstance(hint.get("aud"), list) else [hint.get("aud")]
        if client_id is None and len(audiences) == 1:
            client_id = audiences[0]
        if client_id not in audiences:
            raise InvalidLogoutRequest("The id_token_hint was not issued to this client_id.")
    client = _client(client_id) if client_id else None
    if redirect_uri is not None:
        if client is None:
            raise InvalidLogoutRequest("A post_logout_redirect_uri needs an id_token_hint or a client_id.")
        if redirect_uri not in (client.post_logout_redirect_uris or []):
            raise InvalidLogoutRequest("The post_logout_redirect_uri is not registered for this client.")
    return LogoutRequest(client, redirect_uri, state, hint)


def verify_hint(value: str) -> dict:
    """The claims of an ID token we issued (signature, issuer; expiry with a long leeway); refused otherwise."""
    def lookup(kid: str):
        loaded = keystore().verification_key(kid)
        return (loaded.key, loaded.alg) if loaded else None

    try:
        # Access and logout tokens are not hints: the verifier accepts ID tokens only.
        return jwt.verify(value, lookup, kind=jwt.ID_TOKEN, issuer=issuer(), audience=None, leeway=HINT_LEEWAY)
    except jwt.InvalidToken as error:
        audit.note("oauth:RefuseToken", resource="id_token_hint", decision="Deny",
                   detail={"accepts": jwt.ID_TOKEN.name, "reason": error.message})
        raise InvalidLogoutRequest("The id_token_hint is not an ID token issued by this provider.") from None


def end_session(session: BrowserSession, reason: str = "rp_logout") -> None:
    """Revoke the session and the grants made in it; participating clients are told over the back channel once
    that is committed."""
    subject = subject_of(session)
    id_hash, principal_arn, account_id = session.id_hash, session.principal_arn, session.account_id
    revoked = sessions.revoke(session, reason)  # the grants made in the session end with it
    audit.record("oauth:EndSession", actor=principal_arn, resource=principal_arn, decision="Allow",
                 account_id=account_id, detail={"reason": reason, "grants_revoked": revoked, "sid": public_sid(id_hash)})
    backchannel.notify(id_hash, subject.sub if subject else None)


def _client(client_id: str) -> OAuthClient:
    client = db.session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))
    if client is None or not client.enabled:
        raise InvalidLogoutRequest("Unknown client_id.")
    return client


def _param(values, name: str) -> str | None:
    found = values.getlist(name)
    if len(found) > 1:
        raise InvalidLogoutRequest(f"{name} is repeated.")
    value = found[0] if found else None
    if value is not None and len(value) > (jwt.MAX_TOKEN_BYTES if name == "id_token_hint" else MAX_PARAMETER):
        raise InvalidLogoutRequest(f"{name} is too long.")
    return value or None
