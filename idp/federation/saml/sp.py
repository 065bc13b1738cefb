"""The product as a SAML service provider: our entity id and URLs, signed SP metadata, the AuthnRequest, the ACS.

Our signing key is the keystore's current RS256 token key (rotated with the
other keys); its certificate is self-signed and deterministic (same key, same
certificate), made here because SAML metadata carries X.509, not JWK.

SP-initiated sign-in (`begin`) sends a signed HTTP-Redirect AuthnRequest and
keeps its ID, the RelayState and where to go next in the browser's signed
session; `finish` (the ACS, HTTP-POST binding) verifies the response with the
one verifier (`verify.verify`) expecting that ID in InResponseTo, so a
response this browser did not ask for is refused (the ACS cannot carry our
CSRF token: this binding is its protection). IdP-initiated responses (no
InResponseTo) are accepted only when the upstream sets `idp_initiated`.
"""
from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
import zlib
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import urlencode
from xml.sax.saxutils import escape, quoteattr

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509.oid import NameOID
from flask import current_app
from flask import session as flask_session
from lxml import etree
from signxml import DigestAlgorithm, SignatureMethod, XMLSigner
from signxml.algorithms import CanonicalizationMethod

from idp import clock
from idp.errors import ClientError
from idp.federation.relying_party import Pending, UpstreamIdentity
from idp.keys import keystore
from idp.saml import verify
from models.federation import UpstreamProvider

PENDING = "idp.saml"
MAX_AGE_SECONDS = 600
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


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
    return loaded.key.private_key, _certificate(loaded.kid, loaded.key.private_key)


@lru_cache(maxsize=8)
def _certificate(kid: str, key) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"idp SAML SP {kid[:16]}")])
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(int(hashlib.sha256(kid.encode()).hexdigest()[:30], 16))
        .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2120, 1, 1, tzinfo=UTC)).sign(key, hashes.SHA256())
    )
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


def metadata_xml(upstream: UpstreamProvider) -> bytes:
    """Our SP metadata for this upstream, signed (enveloped, RSA-SHA256, exclusive c14n)."""
    key, certificate = signing_material()
    settings = upstream.settings or {}
    document = (
        f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" ID="_sp{upstream.id}" '
        f'entityID={quoteattr(entity_id(upstream))}>'
        '<md:SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="true" '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>'
        f'<ds:X509Certificate>{certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>'
        f'<md:NameIDFormat>{escape(settings.get("name_id_format") or "")}</md:NameIDFormat>'
        f'<md:AssertionConsumerService Binding="{POST}" Location={quoteattr(acs_url(upstream))} index="0" '
        'isDefault="true"/></md:SPSSODescriptor></md:EntityDescriptor>'
    )
    signer = XMLSigner(signature_algorithm=SignatureMethod.RSA_SHA256, digest_algorithm=DigestAlgorithm.SHA256,
                       c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    cert_pem = x509.load_der_x509_certificate(base64.b64decode(certificate)).public_bytes(serialization.Encoding.PEM)
    signed = signer.sign(etree.fromstring(document.encode()), key=pem, cert=cert_pem.decode(),
                         reference_uri=f"_sp{upstream.id}")
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def begin(upstream: UpstreamProvider, *, next_url: str, intent: str = "signin",
          link_user_id: int | None = None) -> str:
    """The IdP's SSO URL with a signed HTTP-Redirect AuthnRequest; its ID (and the intent: sign in or link)
    is kept in the browser's session."""
    settings = upstream.settings or {}
    request_id = f"_{uuid.uuid4().hex}"
    relay_state = secrets.token_urlsafe(24)
    issued = clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    name_id = settings.get("name_id_format")
    request = (
        f'<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        f'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{request_id}" Version="2.0" '
        f'IssueInstant="{issued}" Destination={quoteattr(settings["sso_url"])} ProtocolBinding="{POST}" '
        f'AssertionConsumerServiceURL={quoteattr(acs_url(upstream))}>'
        f'<saml:Issuer>{escape(entity_id(upstream))}</saml:Issuer>'
        f'<samlp:NameIDPolicy Format={quoteattr(name_id)} AllowCreate="true"/></samlp:AuthnRequest>'
    )
    compressor = zlib.compressobj(wbits=-15)
    deflated = compressor.compress(request.encode()) + compressor.flush()
    query = urlencode({"SAMLRequest": base64.b64encode(deflated).decode(), "RelayState": relay_state,
                       "SigAlg": RSA_SHA256})
    key, _ = signing_material()
    signature = key.sign(query.encode(), padding.PKCS1v15(), hashes.SHA256())
    flask_session[PENDING] = {"upstream": upstream.name, "request_id": request_id, "relay": relay_state,
                              "next": next_url, "intent": intent, "link_user_id": link_user_id,
                              "started": int(clock.now().timestamp())}
    separator = "&" if "?" in settings["sso_url"] else "?"
    return f"{settings['sso_url']}{separator}{query}&{urlencode({'Signature': base64.b64encode(signature).decode()})}"


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

