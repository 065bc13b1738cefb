"""The SAML messages this product writes as a service provider: its signed SP metadata and the signed
HTTP-Redirect AuthnRequest (the XML and the bindings live here, below the services that decide their content).

The signing key is an RSA key of the keystore; its certificate is self-signed and deterministic (same key, same
certificate), because SAML metadata carries X.509, not JWK.
"""
from __future__ import annotations

import base64
import hashlib
import zlib
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import urlencode
from xml.sax.saxutils import escape, quoteattr

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import DigestAlgorithm, SignatureMethod, XMLSigner
from signxml.algorithms import CanonicalizationMethod

RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


@lru_cache(maxsize=8)
def certificate(kid: str, key) -> str:
    """The base64 DER self-signed certificate of `key` (named and numbered after its `kid`)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"idp SAML SP {kid[:16]}")])
    made = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(int(hashlib.sha256(kid.encode()).hexdigest()[:30], 16))
        .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2120, 1, 1, tzinfo=UTC)).sign(key, hashes.SHA256())
    )
    return base64.b64encode(made.public_bytes(serialization.Encoding.DER)).decode()


def sp_metadata(document_id: str, entity_id: str, acs_url: str, name_id_format: str, key, cert: str) -> bytes:
    """SP metadata, signed (enveloped, RSA-SHA256, exclusive c14n) with `key` and its certificate `cert`."""
    document = (
        f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" ID="{document_id}" '
        f'entityID={quoteattr(entity_id)}>'
        '<md:SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="true" '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>'
        f'<ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>'
        f'<md:NameIDFormat>{escape(name_id_format)}</md:NameIDFormat>'
        f'<md:AssertionConsumerService Binding="{POST}" Location={quoteattr(acs_url)} index="0" '
        'isDefault="true"/></md:SPSSODescriptor></md:EntityDescriptor>'
    )
    signer = XMLSigner(signature_algorithm=SignatureMethod.RSA_SHA256, digest_algorithm=DigestAlgorithm.SHA256,
                       c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    cert_pem = x509.load_der_x509_certificate(base64.b64decode(cert)).public_bytes(serialization.Encoding.PEM)
    signed = signer.sign(etree.fromstring(document.encode()), key=pem, cert=cert_pem.decode(),
                         reference_uri=document_id)
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def authn_request_url(sso_url: str, request_id: str, issued: str, entity_id: str, acs_url: str,
                      name_id_format: str | None, relay_state: str, key) -> str:
    """The IdP's SSO URL carrying an AuthnRequest in the HTTP-Redirect binding (deflated, base64, RelayState,
    RSA-SHA256 signature over the query as the binding specifies)."""
    request = (
        f'<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        f'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{request_id}" Version="2.0" '
        f'IssueInstant="{issued}" Destination={quoteattr(sso_url)} ProtocolBinding="{POST}" '
        f'AssertionConsumerServiceURL={quoteattr(acs_url)}>'
        f'<saml:Issuer>{escape(entity_id)}</saml:Issuer>'
        f'<samlp:NameIDPolicy Format={quoteattr(name_id_format)} AllowCreate="true"/></samlp:AuthnRequest>'
    )
    compressor = zlib.compressobj(wbits=-15)
    deflated = compressor.compress(request.encode()) + compressor.flush()
    query = urlencode({"SAMLRequest": base64.b64encode(deflated).decode(), "RelayState": relay_state,
                       "SigAlg": RSA_SHA256})
    signature = key.sign(query.encode(), padding.PKCS1v15(), hashes.SHA256())
    separator = "&" if "?" in sso_url else "?"
    return f"{sso_url}{separator}{query}&{urlencode({'Signature': base64.b64encode(signature).decode()})}"
