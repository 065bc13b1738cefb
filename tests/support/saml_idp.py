"""A test SAML identity provider: metadata and signed (or forged) responses.

Built from string templates and signed by Debian's `xmlsec1` (libxmlsec1),
not by the product's signxml/lxml, so a response the product accepts was
produced by an independent XML-DSig implementation. Every option that a
forged or mutated response needs is a keyword of `response()`.
"""
from __future__ import annotations

import base64
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

XMLSEC1 = "/usr/bin/xmlsec1"
AWS_AUDIENCE = "https://signin.aws.amazon.com/saml"
ROLE_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/Role"
SESSION_NAME_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
ALGORITHMS = {
    "sha256": ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "http://www.w3.org/2001/04/xmlenc#sha256"),
    "sha1": ("http://www.w3.org/2000/09/xmldsig#rsa-sha1", "http://www.w3.org/2000/09/xmldsig#sha1"),
}


def _key_and_certificate(common_name: str) -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
                   .not_valid_after(now + timedelta(days=3650)).sign(key, hashes.SHA256()))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return pem, base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class SamlIdp:
    """One IdP: an entity id, a key pair, metadata, and responses signed with xmlsec1."""

    entity_id: str = "https://idp.test.example/saml"
    sso_url: str = "https://idp.test.example/sso"
    key_pem: bytes = b""
    certificate: str = ""
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="saml-idp-")))

    def __post_init__(self):
        if not self.key_pem:
            self.key_pem, self.certificate = _key_and_certificate(self.entity_id)
        (self.workdir / "key.pem").write_bytes(self.key_pem)

    def metadata(self, *, valid_until: str | None = None, padding: int = 0) -> str:
        """The IdP's metadata document (padding adds an Extensions comment-free filler to reach a size)."""
        until = f" validUntil={quoteattr(valid_until)}" if valid_until else ""
        filler = (f"<md:Extensions><x:Filler xmlns:x=\"urn:test\">{'x' * padding}</x:Filler></md:Extensions>"
                  if padding else "")
        return (
            f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
            f'entityID={quoteattr(self.entity_id)}{until}>{filler}'
            '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
            f'<ds:X509Data><ds:X509Certificate>{self.certificate}</ds:X509Certificate></ds:X509Data>'
            '</ds:KeyInfo></md:KeyDescriptor>'
            '<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>'
            '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
            f'Location={quoteattr(self.sso_url)}/>'
            '</md:IDPSSODescriptor></md:EntityDescriptor>'
        )

    def response(
        self,
        *,
        audience: str = AWS_AUDIENCE,
        recipient: str = "https://signin.aws.amazon.com/saml",
        destination: str | None = None,
        in_response_to: str | None = None,
        name_id: str = "alice@corp.example",
        name_id_format: str | None = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        attributes: dict[str, list[str]] | None = None,
        now: datetime | None = None,
        not_before: datetime | None = None,
        lifetime: timedelta = timedelta(minutes=5),
        sign: str = "assertion",
        algorithm: str = "sha256",
        issuer: str | None = None,
        assertion_id: str | None = None,
        signer: SamlIdp | None = None,
        authn_statement: bool = True,
        session_not_on_or_after: datetime | None = None,
    ) -> str:
        """A base64 samlp:Response; `sign` is "assertion", "response", "both" or "none"; `name_id_format=None`
        leaves the NameID without Format."""
        now = now or datetime.now(UTC)
        issuer = issuer or self.entity_id
        assertion_id = assertion_id or f"_a{uuid.uuid4().hex}"
        response_id = f"_r{uuid.uuid4().hex}"
        until = _stamp(now + lifetime)
        reply = f" InResponseTo={quoteattr(in_response_to)}" if in_response_to else ""
        statements = "".join(
            f'<saml:Attribute Name={quoteattr(name)}>'
            + "".join(f"<saml:AttributeValue>{escape(value)}</saml:AttributeValue>" for value in values)
            + "</saml:Attribute>"
            for name, values in (attributes or {}).items())
        assertion = (
            f'<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{assertion_id}" '
            f'Version="2.0" IssueInstant="{_stamp(now)}"><saml:Issuer>{escape(issuer)}</saml:Issuer>'
            "{assertion_signature}"
            f'<saml:Subject><saml:NameID{_format(name_id_format)}>{escape(name_id)}</saml:NameID>'
            f'<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
            f'<saml:SubjectConfirmationData NotOnOrAfter="{until}" Recipient={quoteattr(recipient)}{reply}/>'
            f'</saml:SubjectConfirmation></saml:Subject>'
            f'<saml:Conditions NotBefore="{_stamp(not_before or now - timedelta(seconds=5))}" '
            f'NotOnOrAfter="{until}"><saml:AudienceRestriction><saml:Audience>{escape(audience)}</saml:Audience>'
            f'</saml:AudienceRestriction></saml:Conditions>'
            f'{_authn_statement(now, session_not_on_or_after) if authn_statement else ""}'
            f'<saml:AttributeStatement>{statements}</saml:AttributeStatement></saml:Assertion>'
        )
        target = f" Destination={quoteattr(destination)}" if destination else ""
        response = (
            f'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
            f'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{response_id}" Version="2.0" '
            f'IssueInstant="{_stamp(now)}"{target}{reply}><saml:Issuer>{escape(issuer)}</saml:Issuer>'
            "{response_signature}"
            '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
            f"{assertion}</samlp:Response>"
        )
        key = signer or self
        text = response.replace("{response_signature}", "").replace(
            "{assertion_signature}", key.template(assertion_id, algorithm) if sign in ("assertion", "both") else "")
        if sign in ("assertion", "both"):
            text = key.sign(text)
        if sign in ("response", "both"):
            marker = f"<saml:Issuer>{escape(issuer)}</saml:Issuer>"
            text = text.replace(marker, marker + key.template(response_id, algorithm), 1)
            text = key.sign(text)
        return base64.b64encode(text.encode()).decode()

    def template(self, reference_id: str, algorithm: str = "sha256") -> str:
        """An empty enveloped ds:Signature over `#reference_id`, for xmlsec1 to fill in."""
        method, digest = ALGORITHMS[algorithm]
        return (
            '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>'
            '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
            f'<ds:SignatureMethod Algorithm="{method}"/><ds:Reference URI="#{reference_id}"><ds:Transforms>'
            '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
            '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>'
            f'<ds:DigestMethod Algorithm="{digest}"/><ds:DigestValue></ds:DigestValue></ds:Reference>'
            '</ds:SignedInfo><ds:SignatureValue></ds:SignatureValue><ds:KeyInfo><ds:X509Data>'
            f'<ds:X509Certificate>{self.certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>'
            '</ds:Signature>'
        )

    def sign(self, text: str) -> str:
        """Fill in the first empty signature template of `text` with xmlsec1."""
        source = self.workdir / f"{uuid.uuid4().hex}.xml"
        source.write_text(text)
        try:
            signed = subprocess.run(
                [XMLSEC1, "--sign", "--privkey-pem", str(self.workdir / "key.pem"),
                 "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
                 "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response", "--output", "-", str(source)],
                capture_output=True, check=True, timeout=20)
        finally:
            source.unlink()
        return signed.stdout.decode()


def _format(name_id_format: str | None) -> str:
    return f" Format={quoteattr(name_id_format)}" if name_id_format else ""


def _authn_statement(now: datetime, session_not_on_or_after: datetime | None) -> str:
    session_until = f' SessionNotOnOrAfter="{_stamp(session_not_on_or_after)}"' if session_not_on_or_after else ""
    return (
        f'<saml:AuthnStatement AuthnInstant="{_stamp(now)}" SessionIndex="_s{uuid.uuid4().hex}"{session_until}>'
        '<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:'
        'PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>'
    )


def decoded(response_b64: str) -> str:
    return base64.b64decode(response_b64).decode()


def encoded(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class SamlIdpServer:
    """The IdP's single sign-on endpoint on a loopback port: it checks the SP's signed HTTP-Redirect
    AuthnRequest (against the certificate in the SP's metadata, when given), then answers with a page that
    auto-posts a signed response to the request's AssertionConsumerServiceURL (HTTP-POST binding)."""

    def __init__(self, idp: SamlIdp, *, name_id: str, attributes: dict[str, list[str]]):
        import zlib
        from urllib.parse import unquote

        from flask import Flask, request

        from tests.support.servers import ThreadedServer, free_port

        self.idp, self.name_id, self.attributes = idp, name_id, attributes
        self.sp_certificate: str | None = None
        self.requests: list[dict] = []
        site = Flask("saml-idp")

        @site.get("/sso")
        def sso():
            raw_query = request.query_string.decode()
            if self.sp_certificate is not None:
                self._check_signature(raw_query, unquote)
            request_xml = zlib.decompress(base64.b64decode(request.args["SAMLRequest"]), -15).decode()
            fields = {name: _attribute(request_xml, name) for name in ("ID", "AssertionConsumerServiceURL")}
            fields["Issuer"] = request_xml.split("<saml:Issuer>", 1)[1].split("</saml:Issuer>", 1)[0]
            self.requests.append(fields)
            response = self.idp.response(
                audience=fields["Issuer"], recipient=fields["AssertionConsumerServiceURL"],
                destination=fields["AssertionConsumerServiceURL"], in_response_to=fields["ID"],
                name_id=self.name_id, attributes=self.attributes)
            return (
                "<!doctype html><html><body onload=\"document.forms[0].submit()\">"
                f"<form method=\"post\" action={quoteattr(fields['AssertionConsumerServiceURL'])}>"
                f"<input type=\"hidden\" name=\"SAMLResponse\" value=\"{response}\">"
                f"<input type=\"hidden\" name=\"RelayState\" value={quoteattr(request.args.get('RelayState', ''))}>"
                "<button type=\"submit\">Continue</button></form></body></html>"
            )

        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        idp.sso_url = f"{self.url}/sso"
        self.server = ThreadedServer(site, port=port)

    def _check_signature(self, raw_query: str, unquote) -> None:
        from cryptography.hazmat.primitives.asymmetric import padding

        signed, _, signature = raw_query.rpartition("&Signature=")
        certificate = x509.load_der_x509_certificate(base64.b64decode(self.sp_certificate))
        certificate.public_key().verify(base64.b64decode(unquote(signature)), signed.encode(), padding.PKCS1v15(),
                                        hashes.SHA256())

    def __enter__(self) -> SamlIdpServer:
        self.server.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.stop()


def _attribute(text: str, name: str) -> str:
    import re

    return re.search(rf'\b{name}="([^"]*)"', text).group(1)
