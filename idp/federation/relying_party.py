"""The relying-party side of a federated sign-in, with Authlib's OAuth2Session.

The authorization request carries `state`, `nonce` and a PKCE S256 challenge
(RFC 9700 2.1.1), all kept in Flask's signed session and popped at the
callback, so a response is accepted once and only by the browser that asked.
The callback checks, in order: a flow was started here for this upstream (at
most 10 minutes ago), `state`, the `iss` parameter (RFC 9207: when present it
must equal the issuer, and it is required when the upstream's metadata says it
sends it), an `error` from upstream, then redeems the code and validates the ID
token with the one verifier as an ID token (`idp.keys.jwt.verify`, kind
`ID_TOKEN`: signature with a key of the upstream's JWKS, algorithm allow-list,
`typ` JWT or none, `iss`, `aud`, `exp`, `nbf`, `iat`, no `events`, and the
`nonce` we sent) plus `azp` and `sub` (OpenID Connect Core 3.1.3.7).
"""
from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass

import requests
from authlib.integrations.base_client.errors import OAuthError as AuthlibOAuthError
from authlib.integrations.requests_client import OAuth2Session
from flask import current_app
from flask import session as flask_session

from idp.errors import UpstreamRefused, UpstreamUnavailable
from idp.federation import metadata, registry
from idp.keys import jwt
from idp.sts.jwks_cache import JwksUnavailable, jwks_cache
from models.federation import UpstreamProvider

PENDING = "idp.federation"
MAX_AGE_SECONDS = 600
MAX_SUBJECT = 255
NOT_STARTED = ("This sign-in response does not belong to a sign-in started in this browser "
               "(or it has already been used).")


@dataclass(frozen=True)
class UpstreamIdentity:
    """A validated upstream sign-in: who, and every claim the upstream released."""

    upstream: str
    subject: str
    claims: dict


@dataclass(frozen=True)
class Pending:
    """What the callback needs from the request that started the flow."""

    next_url: str
    intent: str
    link_user_id: int | None


def redirect_uri(upstream: UpstreamProvider) -> str:
    """`<issuer>/login/upstream/<name>/callback`, the URI to register at the upstream."""
    return f"{current_app.config['IDP_SETTINGS'].issuer}/login/upstream/{upstream.name}/callback"


def _session(upstream: UpstreamProvider) -> OAuth2Session:
    return OAuth2Session(
        client_id=upstream.client_id, client_secret=registry.client_secret(upstream),
        token_endpoint_auth_method=upstream.token_endpoint_auth_method, scope=" ".join(upstream.scopes),
        redirect_uri=redirect_uri(upstream), code_challenge_method="S256", default_timeout=metadata.TIMEOUT_SECONDS,
    )


def begin(upstream: UpstreamProvider, *, next_url: str, intent: str = "signin", link_user_id: int | None = None) -> str:
    """The upstream authorization URL to send the browser to; the flow's secrets go into the signed session."""
    where = metadata.endpoints(upstream)
    state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    url, _ = _session(upstream).create_authorization_url(
        where.authorization_endpoint, state=state, nonce=nonce, code_verifier=verifier)
    flask_session[PENDING] = {
        "upstream": upstream.name, "state": state, "nonce": nonce, "verifier": verifier, "next": next_url,
        "intent": intent, "link_user_id": link_user_id, "started": int(time.time()),
    }
    return url


def finish(upstream: UpstreamProvider, args: dict) -> tuple[UpstreamIdentity, Pending]:
    """Check the authorization response, redeem the code, validate the ID token; UpstreamRefused otherwise."""
    started = flask_session.pop(PENDING, None)
    if not isinstance(started, dict) or started.get("upstream") != upstream.name:
        raise UpstreamRefused(NOT_STARTED)
    if time.time() - started.get("started", 0) > MAX_AGE_SECONDS:
        raise UpstreamRefused("The sign-in took too long; start again.")
    if not hmac.compare_digest(str(args.get("state", "")), started["state"]):
        raise UpstreamRefused("The sign-in response's state does not match the request; start again.")
    where = metadata.endpoints(upstream)
    if "iss" in args and args["iss"] != upstream.issuer:
        raise UpstreamRefused(f"The sign-in response names another issuer than {upstream.name}'s.")
    if where.issuer_parameter and "iss" not in args:
        raise UpstreamRefused(f"The sign-in response of {upstream.name} lacks its iss parameter (RFC 9207).")
    if "error" in args:
        raise UpstreamRefused(f"{upstream.display_name or upstream.name} did not sign you in: "
                              f"{_printable(args['error'])}{_description(args.get('error_description'))}")
    if not args.get("code"):
        raise UpstreamRefused("The sign-in response carries no authorization code.")
    token = _redeem(upstream, where, args["code"], started["verifier"])
    claims = _id_token_claims(upstream, where, token.get("id_token"), started["nonce"])
    if upstream.mappings.get("userinfo") and where.userinfo_endpoint:
        claims = {**_userinfo(upstream, where, token, claims["sub"]), **claims}
    pending = Pending(started.get("next") or "/account", started.get("intent", "signin"), started.get("link_user_id"))
    return UpstreamIdentity(upstream.name, claims["sub"], claims), pending


def _redeem(upstream: UpstreamProvider, where: metadata.Endpoints, code: str, verifier: str) -> dict:
    try:
        return dict(_session(upstream).fetch_token(where.token_endpoint, code=code, code_verifier=verifier,
                                                   grant_type="authorization_code"))
    except AuthlibOAuthError as error:
        raise UpstreamRefused(f"{upstream.name} refused to redeem the sign-in: {_printable(error.error)}") from None
    except (requests.RequestException, ValueError) as error:
        raise UpstreamUnavailable(
            f"The sign-in provider {upstream.name} could not be reached ({type(error).__name__}).") from None


def _id_token_claims(upstream: UpstreamProvider, where: metadata.Endpoints, token: object, nonce: str) -> dict:
    if not isinstance(token, str):
        raise UpstreamRefused(f"{upstream.name} returned no ID token.")

    def lookup(kid: str):
        try:
            return jwks_cache().key(upstream.issuer, kid, trusted=True)  # an operator-configured upstream
        except JwksUnavailable:
            raise UpstreamUnavailable(f"The signing keys of {upstream.name} could not be fetched.") from None

    try:
        claims = jwt.verify(token, lookup, kind=jwt.ID_TOKEN, issuer=upstream.issuer, audience=upstream.client_id,
                            algorithms=where.id_token_algs, nonce=nonce)
    except jwt.InvalidToken as error:
        raise UpstreamRefused(f"The ID token from {upstream.name} is not valid: {error.message}.") from None
    audiences = claims["aud"] if isinstance(claims.get("aud"), list) else [claims.get("aud")]
    if len(audiences) > 1 and claims.get("azp") != upstream.client_id:
        raise UpstreamRefused(f"The ID token from {upstream.name} is not valid: azp is not this client.")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not 0 < len(subject) <= MAX_SUBJECT:
        raise UpstreamRefused(f"The ID token from {upstream.name} is not valid: sub must be 1 to 255 characters.")
    return claims


def _userinfo(upstream: UpstreamProvider, where: metadata.Endpoints, token: dict, subject: str) -> dict:
    access_token = token.get("access_token")
    if not isinstance(access_token, str):
        return {}
    answer = metadata.fetch_json(where.userinfo_endpoint, upstream.name,
                                 headers={"Authorization": f"Bearer {access_token}"})
    # OpenID Connect Core 5.3.2: a userinfo answer about someone else is discarded.
    if answer.get("sub") != subject:
        raise UpstreamRefused(f"The userinfo answer of {upstream.name} is about another subject.")
    return answer


def _printable(value: object, limit: int = 64) -> str:
    text = str(value)[:limit]
    return "".join(c for c in text if c.isalnum() or c in "_-. ")


def _description(value: object) -> str:
    return f" ({_printable(value, 200)})" if value else ""
