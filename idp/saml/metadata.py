"""An identity provider's SAML metadata: entity id, signing certificates, endpoints, validUntil.

Used by IAM `CreateSAMLProvider` (the metadata document AWS takes) and by the
`"type": "saml"` upstream document (inline `metadata_xml` or `metadata_url`).
"""
from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from lxml import etree

from idp.errors import ValidationError
from idp.saml import xml

REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


@dataclass(frozen=True)
class IdpMetadata:
    """What the product uses of an IdP's metadata."""

    entity_id: str
    certificates: tuple[str, ...]  # base64 DER, as in <ds:X509Certificate>
    sso_redirect_url: str | None
    slo_redirect_url: str | None
    valid_until: datetime | None
    want_authn_requests_signed: bool

    def settings(self) -> dict:
        """The JSON-able form stored with an upstream."""
        return {
            "idp_entity_id": self.entity_id, "idp_certificates": list(self.certificates),
            "sso_url": self.sso_redirect_url, "slo_url": self.slo_redirect_url,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
        }


def parse(document: str | bytes, *, what: str = "The SAML metadata document") -> IdpMetadata:
    """The IdP descriptor of a metadata document; ValidationError when it has none or no signing certificate."""
    root = xml.parse(document, what)
    if root.tag == xml.qname("md", "EntitiesDescriptor"):
        entities = root.findall("md:EntityDescriptor", xml.NS)
        idps = [entity for entity in entities if entity.find("md:IDPSSODescriptor", xml.NS) is not None]
        if len(idps) != 1:
            raise ValidationError(f"{what} must describe exactly one identity provider.")
        root = idps[0]
    if root.tag != xml.qname("md", "EntityDescriptor"):
        raise ValidationError(f"{what} is not SAML 2.0 metadata (no md:EntityDescriptor).")
    entity_id = root.get("entityID")
    if not entity_id or len(entity_id) > 1024:
        raise ValidationError(f"{what} has no entityID.")
    descriptor = root.find("md:IDPSSODescriptor", xml.NS)
    if descriptor is None:
        raise ValidationError(f"{what} has no IDPSSODescriptor.")
    if "urn:oasis:names:tc:SAML:2.0:protocol" not in (descriptor.get("protocolSupportEnumeration") or ""):
        raise ValidationError(f"{what}: the IDPSSODescriptor does not support SAML 2.0.")
    certificates = _signing_certificates(descriptor, what)
    return IdpMetadata(
        entity_id=entity_id, certificates=certificates,
        sso_redirect_url=_location(descriptor, "SingleSignOnService"),
        slo_redirect_url=_location(descriptor, "SingleLogoutService"),
        valid_until=_valid_until(root.get("validUntil") or descriptor.get("validUntil"), what),
        want_authn_requests_signed=descriptor.get("WantAuthnRequestsSigned") in ("true", "1"),
    )


def load_certificate(encoded: str) -> x509.Certificate:
    """A certificate from its base64 DER (whitespace allowed)."""
    return x509.load_der_x509_certificate(base64.b64decode("".join(encoded.split())))


def _signing_certificates(descriptor: etree._Element, what: str) -> tuple[str, ...]:
    found = []
    for key in descriptor.findall("md:KeyDescriptor", xml.NS):
        if key.get("use") not in (None, "signing"):
            continue
        for element in key.findall(".//ds:X509Certificate", xml.NS):
            encoded = "".join((xml.text(element) or "").split())
            try:
                load_certificate(encoded)
            except ValueError:
                raise ValidationError(f"{what} has a signing certificate that is not valid X.509.") from None
            found.append(encoded)
    if not found:
        raise ValidationError(f"{what} has no signing certificate in its IDPSSODescriptor.")
    return tuple(dict.fromkeys(found))


def _location(descriptor: etree._Element, service: str) -> str | None:
    for element in descriptor.findall(f"md:{service}", xml.NS):
        if element.get("Binding") == REDIRECT and element.get("Location"):
            return element.get("Location")
    return None


def _valid_until(value: str | None, what: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(f"{what} has a validUntil that is not a dateTime.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
