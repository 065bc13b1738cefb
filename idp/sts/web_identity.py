"""Web identity tokens for AssumeRoleWithWebIdentity: which provider, which key, which claims.

A token is accepted as AWS accepts it: its `iss` names an IAM OIDC provider
of the role's account, its signature verifies (through `idp.keys.jwt.verify`,
the one verifier) with a key of that issuer's JWKS -- our own keystore when the
issuer is this IdP -- its `exp`/`nbf`/`iat` hold, and its audience (`azp` when
the token has one, otherwise `aud`) is in the provider's client-id list. The
claims become the trust policy's condition keys (`<provider-url>:<claim>`); from this IdP's own tokens only
the claims it asserts itself (`idp.authz.tokens.trusted_claims`), never a profile a user wrote about
themselves. The derived `roles` claim (`idp.oidc.roles`) goes through here too, so it cannot disagree.

The verifier is told the one kind of token accepted (`token_kind`): from this
IdP only its ID tokens, never its access, logout or initial access tokens;
from an external issuer an untyped or `typ: JWT` token without `events` (ID
tokens, CI and service-account tokens), never a typed `at+jwt` or
`logout+jwt` one. AWS does not look at `typ`; we are stricter on purpose: an
access token's audience names an API, not the client holding it, so accepting
it would let any client holding a user's access token take that user's roles.
"""
from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, has_request_context
from sqlalchemy import select

from idp import audit, clock, json_input
from idp.authz.liveness import grant_is_live
from idp.authz.tokens import trusted_claims
from idp.errors import ClientError
from idp.iam.oidc_providers import LOOPBACK_HOSTS
from idp.keys import jwt, keystore
from idp.policy import PrincipalType, RequestPrincipal
from idp.sts.jwks_cache import JwksUnavailable, VerificationKey, jwks_cache
from idp.sts.session_tags import MAX_SESSION_TAGS, checked_tags, request_keys
from models import db
from models.oauth_client import OAuthClient, admits
from models.oidc_provider import OidcProvider

TAGS_CLAIM = "https://aws.amazon.com/tags"
SOURCE_IDENTITY_CLAIM = "https://aws.amazon.com/source_identity"
MAX_SUBJECT = 255
# Not a leeway on purpose: a signature check that ignores the clock, run only to tell "expired" from "forged".
IGNORE_TIME = 10**12
NO_KEY = ("Couldn't retrieve verification key from your identity provider, "
          "please reference AssumeRoleWithWebIdentity documentation for requirements")


class InvalidIdentityToken(ClientError):
    """The token could not be validated (AWS `InvalidIdentityToken`)."""

    code = "InvalidIdentityToken"


class ExpiredTokenException(ClientError):
    """The token's `exp` has passed (AWS `ExpiredTokenException`)."""

    code = "ExpiredTokenException"


class IDPCommunicationError(ClientError):
    """The issuer's discovery document or JWKS could not be had (AWS `IDPCommunicationError`)."""

    code = "IDPCommunicationError"


class IDPRejectedClaim(ClientError):
    """The identity provider's claims are refused (AWS `IDPRejectedClaim`)."""

    status = 403
    code = "IDPRejectedClaim"


@dataclass(frozen=True)
class WebIdentity:
    """A verified web identity token and what it means for STS."""

    provider_arn: str
    provider_url: str
    issuer: str
    subject: str
    audience: str
    claims: Mapping[str, object]
    amr: tuple[str, ...]
    principal_tags: Mapping[str, str]
    transitive_tag_keys: tuple[str, ...]
    source_identity: str | None
    # Condition keys of the AssumeRoleWithWebIdentity request (trust policy evaluation).
    trust_context: Mapping[str, object]
    # What the session keeps for its later requests: provider, `<url>:sub|aud|oaud|amr`.
    session_context: Mapping[str, object]

    def principal(self, account_id: str) -> RequestPrincipal:
        """The caller as the trust policy sees it: a web identity user of the provider."""
        return RequestPrincipal(
            self.provider_arn, account_id, PrincipalType.WEB_IDENTITY_USER, provider=self.provider_arn
        )


def verify_web_identity(token: str, role_account_id: str) -> WebIdentity:
    """Verify `token` against the role account's OIDC providers; raise AWS's errors otherwise."""
    kid, unverified = _unverified(token)
    issuer = unverified.get("iss")
    provider = _provider(role_account_id, issuer)
    claims = _verified_claims(token, kid, issuer)
    audience, other_audience = _audience(claims, provider.client_ids)
    if issuer == current_app.config["IDP_SETTINGS"].issuer and not web_identity_admitted(
            role_account_id, claims.get("account"), audience, provider_arn=provider.arn):
        raise IDPRejectedClaim(f"Tokens of principals of account {claims.get('account')} are not accepted by "
                               f"account {role_account_id}'s providers through client {audience}.")
    if issuer == current_app.config["IDP_SETTINGS"].issuer and "gid" in claims and not grant_is_live(
            claims["gid"], max_age=0):
        # Our ID tokens name the grant they were issued in (and exchanged tokens the subject's): it dies with it.
        raise InvalidIdentityToken("The web identity token's grant has been revoked.")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not 0 < len(subject) <= MAX_SUBJECT:
        raise InvalidIdentityToken(f"The token's sub claim must be a string of 1 to {MAX_SUBJECT} characters.")
    tags, transitive = _session_tags(claims.get(TAGS_CLAIM))
    source_identity = _source_identity(claims.get(SOURCE_IDENTITY_CLAIM))
    amr = _strings(claims.get("amr"))
    session = {"provider": provider.arn, f"{provider.url}:sub": subject, f"{provider.url}:aud": audience}
    if other_audience is not None:
        session[f"{provider.url}:oaud"] = other_audience
    if amr:
        session[f"{provider.url}:amr"] = list(amr)
    keyed = trusted_claims(claims) if issuer == current_app.config["IDP_SETTINGS"].issuer else claims
    trust = {**_claim_keys(provider.url, keyed), **session, "aws:FederatedProvider": provider.arn}
    del trust["provider"]
    trust.update(request_keys(tags, transitive, source_identity))
    return WebIdentity(
        provider.arn, provider.url, issuer, subject, audience, claims, amr, tags, transitive,
        source_identity, trust, session,
    )


def _unverified(token: str) -> tuple[str | None, dict]:
    """The header's kid and the payload, read before anything is trusted, to find the provider."""
    try:
        header = jwt.unverified_header(token)
        payload = token.split(".")[1]
        claims = json_input.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (jwt.InvalidToken, ValueError, UnicodeDecodeError):
        raise InvalidIdentityToken("The web identity token is not a valid JWT.") from None
    if not isinstance(claims, dict) or not isinstance(claims.get("iss"), str) or not claims["iss"]:
        raise InvalidIdentityToken("The web identity token is not a valid JWT with an iss claim.")
    kid = header.get("kid")
    return (kid if isinstance(kid, str) else None), claims


def _provider(account_id: str, issuer: str) -> OidcProvider:
    """The account's IAM OIDC provider whose URL is the issuer without its scheme."""
    scheme, _, url = issuer.partition("://")
    provider = None
    if scheme in ("https", "http") and url:
        provider = db.session.scalar(
            select(OidcProvider).where(OidcProvider.account_id == account_id, OidcProvider.url == url)
        )
    # Plain http is only ever registered for loopback issuers; refuse an http `iss` for an https provider.
    if provider is None or (scheme == "http" and urlsplit(issuer).hostname not in LOOPBACK_HOSTS):
        raise InvalidIdentityToken(f"No OpenIDConnect provider found in your account for {issuer}")
    return provider


def _verified_claims(token: str, kid: str | None, issuer: str) -> dict:
    """Signature and times checked by the one verifier; AWS's error for each way it can fail."""
    found: dict[str, VerificationKey | None] = {}

    def lookup(wanted: str) -> VerificationKey | None:
        if wanted not in found:
            found[wanted] = _issuer_key(issuer, wanted)
        return found[wanted]

    kind = token_kind(issuer)
    try:
        return jwt.verify(token, lookup, kind=kind, issuer=issuer, audience=None)
    except jwt.WrongTokenKind as error:
        raise InvalidIdentityToken(f"The web identity token could not be validated: {error.message}.") from None
    except jwt.InvalidToken as error:
        if kid is not None and kid in found and found[kid] is None:
            raise InvalidIdentityToken(NO_KEY) from None
        reason = error.message
    try:
        claims = jwt.verify(token, lookup, kind=kind, issuer=issuer, audience=None, leeway=IGNORE_TIME)
    except jwt.InvalidToken as error:
        raise InvalidIdentityToken(f"The web identity token could not be validated: {error.message}.") from None
    now = int(clock.now().timestamp())
    if claims["exp"] + jwt.LEEWAY_SECONDS <= now:
        raise ExpiredTokenException(
            f"Token expired: current date/time {now} must be before the expiration date/time {int(claims['exp'])}"
        )
    raise InvalidIdentityToken(f"The web identity token could not be validated: {reason}.")


def token_kind(issuer: str) -> jwt.TokenKind:
    """The one kind of token accepted from `issuer`: our own ID tokens only (never our access, logout or
    registration tokens); from an external issuer what AWS accepts, an untyped or `typ: JWT` token without
    `events` (ID tokens and service-account tokens), never a typed `at+jwt` or `logout+jwt` token."""
    if issuer == current_app.config["IDP_SETTINGS"].issuer:
        return jwt.ID_TOKEN
    return jwt.WEB_IDENTITY_TOKEN


def _issuer_key(issuer: str, kid: str) -> VerificationKey | None:
    """Our own keystore for our own issuer (no HTTP to ourselves); the JWKS cache for everyone else."""
    if issuer == current_app.config["IDP_SETTINGS"].issuer:
        loaded = keystore().verification_key(kid)
        return (loaded.key, loaded.alg) if loaded else None
    try:
        return jwks_cache().key(issuer, kid)
    except JwksUnavailable:
        raise IDPCommunicationError(NO_KEY) from None


def _audience(claims: dict, client_ids: list[str]) -> tuple[str, object | None]:
    """The audience AWS matches against the client-id list: `azp` if present, else the `aud` in the list."""
    azp = claims.get("azp")
    auds = _strings(claims.get("aud"))
    if isinstance(azp, str):
        if azp in client_ids:
            return azp, claims.get("aud")
    else:
        for aud in auds:
            if aud in client_ids:
                return aud, None
    raise InvalidIdentityToken("Incorrect token audience")


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    return ()


def _claim_keys(url: str, claims: Mapping[str, object]) -> dict[str, object]:
    """Every scalar or string-list claim as `<url>:<claim>`."""
    keys: dict[str, object] = {}
    for name, value in claims.items():
        if isinstance(value, (str, int, float, bool)) or (
            isinstance(value, list) and all(isinstance(item, str) for item in value)
        ):
            keys[f"{url}:{name}"] = value
    return keys


def _session_tags(claim: object) -> tuple[dict[str, str], tuple[str, ...]]:
    """`{"principal_tags": {"Key": ["value"]}, "transitive_tag_keys": ["Key"]}` as AWS documents it."""
    if claim is None:
        return {}, ()
    principal_tags = claim.get("principal_tags", {}) if isinstance(claim, dict) else None
    if not isinstance(principal_tags, dict) or len(principal_tags) > MAX_SESSION_TAGS:
        raise InvalidIdentityToken(f"The {TAGS_CLAIM} claim must carry at most {MAX_SESSION_TAGS} principal_tags.")
    tags = checked_tags(((key, values[0] if isinstance(values, list) and len(values) == 1 else values)
                         for key, values in principal_tags.items()), f"the {TAGS_CLAIM} claim")
    transitive = claim.get("transitive_tag_keys", [])
    if not isinstance(transitive, list) or not all(isinstance(key, str) and key in tags for key in transitive):
        raise InvalidIdentityToken("The transitive_tag_keys must name principal_tags of the same claim.")
    return tags, tuple(dict.fromkeys(transitive))


def _source_identity(claim: object) -> str | None:
    if claim is None:
        return None
    if not isinstance(claim, str) or not re.fullmatch(r"[\w+=,.@-]{2,64}", claim, re.ASCII):
        raise InvalidIdentityToken(f"The {SOURCE_IDENTITY_CLAIM} claim must be a string of 2 to 64 characters.")
    return claim


def web_identity_admitted(role_account_id: str, token_account: object, audience: str, *, provider_arn: str) -> bool:
    """Whether an IAM OIDC provider of `role_account_id` accepts one of our tokens.

    Always for a token of a principal of that account; for another account's
    principal only when the token's audience is a client of the role's account
    that admits the principal's account (adding a client id to a provider never
    hands an account another account's principals; a trust policy narrows
    further with `<provider-url>:account`). A refusal is noted for the audit
    log the AWS adapter writes, refused or not.
    """
    if token_account == role_account_id:
        return True
    client = db.session.scalar(select(OAuthClient).where(OAuthClient.client_id == audience))
    if client is not None and client.account_id == role_account_id and admits(client, token_account):
        return True
    if has_request_context():
        audit.note("oauth:AccountNotAdmitted", actor=provider_arn, resource=audience, decision="Deny",
                   account_id=role_account_id,
                   detail={"surface": "web_identity", "token_account": str(token_account)[:32]})
    return False
