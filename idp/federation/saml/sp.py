"""The product as a SAML service provider: our entity id and URLs, signed SP metadata, the AuthnRequest, the ACS.

Our signing key is the keystore's current RS256 token key (rotated with the
other keys); the XML and the bindings are written by `idp.saml.messages`.

SP-initiated sign-in (`begin`) sends a signed HTTP-Redirect AuthnRequest and
keeps its ID, the RelayState and where to go next in the browser's signed
session; `finish` (the ACS, HTTP-POST binding) verifies the response with the
one verifier (`verify.verify`) expecting that ID in InResponseTo, so a
response this browser did not ask for is refused (the ACS cannot carry our
CSRF token: this binding is its protection). IdP-initiated responses (no
InResponseTo) are accepted only when the upstream sets `idp_initiated`.
"""
from __future__ import annotations

import secrets
import uuid

from flask import current_app
from flask import session as flask_session

from idp import clock
from idp.errors import ClientError
from idp.federation.relying_party import Pending, UpstreamIdentity
from idp.keys import keystore
from idp.saml import messages, verify
from models.federation import UpstreamProvider

PENDING = "idp.saml"
MAX_AGE_SECONDS = 600


class SamlSignInRefused(ClientError):
    """The SAML sign-in cannot finish (not started here, too old, or the response failed verification)."""

    status = 400
    code = "SamlSignInRefused"
    oauth_error = "access_denied"


def base_url(upstream: UpstreamProvider) -> str:
    return f"{current_app.config['IDP_SETTINGS'].issuer}/login/upstream/{upstream.name}/saml"


def entity_id(upstream: UpstreamProvider) -> str:
    """Our entity id for this upstream: configured, else the SP metadata URL."""
    return (upstream.settings or {}).get("sp_entity_id") or f"{base_url(upstream)}/metadata"


def acs_url(upstream: UpstreamProvider) -> str:
    return f"{base_url(upstream)}/acs"


def signing_material() -> tuple[object, str]:
    """(private key, base64 DER certificate) of the keystore's current RS256 key."""
    loaded = keystore().signing_key("RS256")
    return loaded.key.private_key, messages.certificate(loaded.kid, loaded.key.private_key)


def metadata_xml(upstream: UpstreamProvider) -> bytes:
    """Our SP metadata for this upstream, signed with our current key."""
    key, certificate = signing_material()
    return messages.sp_metadata(f"_sp{upstream.id}", entity_id(upstream), acs_url(upstream),
                                (upstream.settings or {}).get("name_id_format") or "", key, certificate)


def begin(upstream: UpstreamProvider, *, next_url: str, intent: str = "signin",
          link_user_id: int | None = None) -> str:
    """The IdP's SSO URL with a signed HTTP-Redirect AuthnRequest; its ID (and the intent: sign in or link)
    is kept in the browser's session."""
    settings = upstream.settings or {}
    request_id = f"_{uuid.uuid4().hex}"
    relay_state = secrets.token_urlsafe(24)
    key, _ = signing_material()
    url = messages.authn_request_url(settings["sso_url"], request_id, clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
                                     entity_id(upstream), acs_url(upstream), settings.get("name_id_format"),
                                     relay_state, key)
    flask_session[PENDING] = {"upstream": upstream.name, "request_id": request_id, "relay": relay_state,
                              "next": next_url, "intent": intent, "link_user_id": link_user_id,
                              "started": int(clock.now().timestamp())}
    return url


def has_pending(upstream: UpstreamProvider) -> bool:
    """Whether this browser's session carries a request we made to this upstream."""
    started = flask_session.get(PENDING)
    return isinstance(started, dict) and started.get("upstream") == upstream.name


def finish(upstream: UpstreamProvider, saml_response: str, relay_state: str | None
           ) -> tuple[UpstreamIdentity, Pending]:
    """Verify the IdP's response at the ACS; SamlSignInRefused unless it answers this browser's request."""
    settings = upstream.settings or {}
    started = flask_session.pop(PENDING, None)
    if isinstance(started, dict) and started.get("upstream") == upstream.name:
        if clock.now().timestamp() - started.get("started", 0) > MAX_AGE_SECONDS:
            raise SamlSignInRefused("The sign-in took too long; start again.")
        if relay_state != started.get("relay"):
            raise SamlSignInRefused("The SAML response's RelayState does not match the request; start again.")
        in_response_to = started["request_id"]
        pending = Pending(started.get("next") or "/account", started.get("intent", "signin"),
                          started.get("link_user_id"))
    elif settings.get("idp_initiated"):
        in_response_to, pending = None, Pending("/account", "signin", None)
    else:
        raise SamlSignInRefused("This sign-in was not started here (unsolicited SAML responses are off); "
                                "start again from the sign-in page.")
    expect = verify.Expectation(
        idp_entity_id=settings["idp_entity_id"], certificates=tuple(settings["idp_certificates"]),
        audiences=(entity_id(upstream),), recipients=(acs_url(upstream),), in_response_to=in_response_to,
        allow_sha1=bool(settings.get("allow_sha1")), replay_cache=verify.LedgerReplayCache(),
    )
    try:
        assertion = verify.verify(saml_response, expect)
    except verify.SamlRejected as error:
        raise SamlSignInRefused(f"The SAML response was refused: {error.message}") from None
    return UpstreamIdentity(upstream.name, assertion.name_id, assertion.claims()), pending

