"""Dynamic client registration (RFC 7591) and its management protocol (RFC 7592), off unless configured.

Registration needs an initial access token: a JWT this issuer signs
(`typ: initial-access+jwt`, `aud` = the registration endpoint, bound to one
account, expiring) made by `idp clients initial-access-token`. Each
registered client gets a registration access token (256-bit random, stored as
SHA-256) for reading, replacing and deleting its own registration. Metadata
goes through the same `clients.create`/`update` rules as the CLI, so the same
redirect URI, auth method, JWKS and algorithm checks apply; dynamically
registered clients are never trusted (they always ask for consent).
"""
from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from idp import audit, clock, fetch
from idp.errors import InvalidRedirectUri, NotFound, OAuthError, ValidationError
from idp.iam import accounts
from idp.keys import jwt, sign_token, verify_own_token
from idp.oidc import clients, tokens
from idp.oidc.errors import InvalidClientMetadata
from models import db
from models.oauth_client import OAuthClient

INITIAL_TOKEN_TYP = jwt.INITIAL_ACCESS_TOKEN.signed_typ
DEFAULT_INITIAL_LIFETIME = 3600
MAX_INITIAL_LIFETIME = 86_400 * 30
LIST_FIELDS = ("redirect_uris", "post_logout_redirect_uris", "grant_types", "response_types")


def endpoint() -> str:
    """The registration endpoint (RFC 7591 3)."""
    return f"{tokens.issuer()}/oauth2/register"


def initial_access_token(account_id: str, lifetime: int = DEFAULT_INITIAL_LIFETIME) -> tuple[str, int]:
    """A signed initial access token for `account_id` and when it expires (epoch seconds)."""
    accounts.existing(account_id)
    if not 0 < lifetime <= MAX_INITIAL_LIFETIME:
        raise ValidationError(f"--expires-in must be 1..{MAX_INITIAL_LIFETIME} seconds")
    now = int(clock.now().timestamp())
    claims = {"iss": tokens.issuer(), "aud": endpoint(), "sub": account_id, "account": account_id, "iat": now,
              "exp": now + lifetime, "jti": secrets.token_urlsafe(16)}
    return sign_token(claims, typ=INITIAL_TOKEN_TYP), now + lifetime


def account_of_initial_token(value: str | None) -> str:
    """The account an initial access token registers into; 401 invalid_token otherwise."""
    try:
        if not value:
            raise jwt.InvalidToken("no initial access token")
        claims = verify_own_token(value, kind=jwt.INITIAL_ACCESS_TOKEN, audience=endpoint())
    except jwt.InvalidToken as error:
        audit.note("oauth:RefuseToken", resource="initial_access_token", decision="Deny",
                   detail={"accepts": jwt.INITIAL_ACCESS_TOKEN.name, "reason": error.message})
        raise OAuthError("invalid_token", "A valid initial access token is required to register a client.",
                         status=401) from None
    return str(claims["account"])


def register(account_id: str, metadata: dict) -> dict:
    """RFC 7591 3.2.1: create the client; the response carries its secret and registration access token once."""
    client, secret = _checked(lambda: clients.create(_spec(metadata), account_id))
    registration_token = _new_registration_token(client, metadata)
    return {**describe(client), **({"client_secret": secret, "client_secret_expires_at": 0} if secret else {}),
            "registration_access_token": registration_token}


def managed(client_id: str, registration_token: str | None) -> OAuthClient:
    """The dynamically registered client whose registration access token this is; 401 otherwise (RFC 7592 3)."""
    row = db.session.query(OAuthClient).filter_by(client_id=client_id).one_or_none()
    presented = tokens.token_hash(registration_token) if registration_token else ""
    if row is None or not row.registration_token_hash or not hmac.compare_digest(row.registration_token_hash,
                                                                                   presented):
        raise OAuthError("invalid_token", "The registration access token is not valid for this client.", status=401)
    return row


def replace(row: OAuthClient, metadata: dict) -> dict:
    """RFC 7592 2.2: the body is the client's whole metadata.

    Fields left out fall back to their defaults (name, URI lists, grant types,
    auth method); `scope`, `jwks`, `jwks_uri`, `backchannel_logout_uri` and the
    ID token algorithm are kept when left out (a deviation: they cannot be cleared over HTTP).
    """
    if metadata.get("client_id") != row.client_id:
        raise OAuthError("invalid_client_metadata", "client_id must be the client's own.")
    if "client_secret" in metadata:
        if not row.secret_hash or not clients.secret_matches(row, str(metadata["client_secret"])):
            raise OAuthError("invalid_client_metadata", "client_secret does not match.")
    client, secret = _checked(lambda: clients.update(row.client_id, _spec(metadata)))
    _apply_extra(client, metadata)
    return {**describe(client), **({"client_secret": secret, "client_secret_expires_at": 0} if secret else {})}


def remove(row: OAuthClient) -> None:
    """RFC 7592 2.3."""
    clients.delete(row.client_id)


def describe(client: OAuthClient) -> dict:
    """The client's registered metadata in RFC 7591 names."""
    body = {
        "client_id": client.client_id, "client_id_issued_at": int(clock.as_utc(client.created_at).timestamp()),
        "registration_client_uri": f"{endpoint()}/{client.client_id}", "client_name": client.name,
        "redirect_uris": client.redirect_uris, "post_logout_redirect_uris": client.post_logout_redirect_uris,
        "grant_types": client.grant_types, "response_types": client.response_types,
        "scope": " ".join(client.scopes), "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "id_token_signed_response_alg": client.id_token_signed_response_alg or tokens.DEFAULT_ALG,
        "backchannel_logout_session_required": client.backchannel_logout_session_required,
    }
    for name in ("jwks", "jwks_uri", "backchannel_logout_uri"):
        if getattr(client, name):
            body[name] = getattr(client, name)
    return body


def _spec(metadata: dict) -> clients.ClientSpec:
    if not isinstance(metadata, dict):
        raise OAuthError("invalid_client_metadata", "The body must be a JSON object.")
    for name in LIST_FIELDS:
        value = metadata.get(name)
        if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
            raise OAuthError("invalid_client_metadata", f"{name} must be an array of strings.")
    grants = metadata.get("grant_types") or ["authorization_code"]
    expected = ["code"] if "authorization_code" in grants else []
    if metadata.get("response_types") is not None and sorted(set(metadata["response_types"])) != expected:
        raise OAuthError("invalid_client_metadata", f"response_types must be {expected} for these grant_types.")
    method = metadata.get("token_endpoint_auth_method") or "client_secret_basic"
    scope = metadata.get("scope")
    if scope is not None and not isinstance(scope, str):
        raise OAuthError("invalid_client_metadata", "scope must be a space-separated string.")
    text = {name: metadata.get(name) for name in ("client_name", "jwks_uri", "id_token_signed_response_alg",
                                                  "backchannel_logout_uri", "token_endpoint_auth_method")}
    if any(v is not None and not isinstance(v, str) for v in text.values()):
        raise OAuthError("invalid_client_metadata", "String metadata must be strings.")
    for name in ("jwks_uri", "backchannel_logout_uri"):
        if metadata.get(name) is not None and not _server_side_uri_allowed(metadata[name]):
            raise OAuthError("invalid_client_metadata",
                             f"{name} must be an https URL of a public host (this server calls it).")
    return clients.ClientSpec(
        name=metadata.get("client_name") or "Dynamically registered client",
        redirect_uris=list(metadata.get("redirect_uris") or []),
        post_logout_redirect_uris=list(metadata.get("post_logout_redirect_uris") or []),
        public=method == "none", auth_method=method, jwks_uri=metadata.get("jwks_uri"), jwks=metadata.get("jwks"),
        grant_types=list(grants), scopes=scope.split() if scope else None, trusted=False,
        id_token_alg=metadata.get("id_token_signed_response_alg"),
        backchannel_logout_uri=metadata.get("backchannel_logout_uri"),
    )


def _server_side_uri_allowed(uri: str) -> bool:
    """URIs this server fetches or POSTs to, registered by anyone holding an initial access token: on an https
    issuer only https to a host that is not loopback, link-local or private (no SSRF into the deployment).
    A loopback http issuer (development, tests) allows what the CLI allows."""
    if urlsplit(tokens.issuer()).scheme != "https":
        return True
    parts = urlsplit(uri)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host or host == "localhost" or host.endswith(".localhost"):
        return False
    # A quick syntactic check of literal addresses in any notation (127.1, 0x7f.1, 2130706433, ::ffff:...);
    # the real check is idp.fetch's, on the addresses the host resolves to when it is fetched.
    return not fetch.literal_host_refused(host, fetch.configured_networks())


def _checked(action):
    """`clients` refusals as RFC 7591 3.2.2 errors, by their type: `invalid_redirect_uri` for a redirect URI,
    `invalid_client_metadata` for any other field (each message names the metadata it refuses)."""
    try:
        return action()
    except (InvalidRedirectUri, InvalidClientMetadata) as error:
        raise OAuthError(error.oauth_error, error.message) from None
    except ValidationError as error:
        raise OAuthError("invalid_client_metadata", error.message) from None
    except NotFound as error:
        raise OAuthError("invalid_client_metadata", error.message) from None


def _apply_extra(client: OAuthClient, metadata: dict) -> None:
    required = metadata.get("backchannel_logout_session_required")
    if required is not None:
        if not isinstance(required, bool):
            raise OAuthError("invalid_client_metadata", "backchannel_logout_session_required must be a boolean.")
        client.backchannel_logout_session_required = required


def _new_registration_token(client: OAuthClient, metadata: dict) -> str:
    value = secrets.token_urlsafe(32)
    client.registration_token_hash = tokens.token_hash(value)
    _apply_extra(client, metadata)
    return value
