"""The one verification of a SAML 2.0 response, used by STS `AssumeRoleWithSAML` and the SAML upstream sign-in.

`verify(response_b64, expect)` returns the `Assertion` it verified, or raises
`SamlRejected`. Every check, in order:

1. the XML parses safely (`xml.parse`: no DTD, no entities, no comments);
2. the document is one `samlp:Response` with a success status and exactly one
   `saml:Assertion` anywhere in it and no `EncryptedAssertion` (signature
   wrapping moves a signed assertion and adds a forged one: two is refused);
3. a signature directly on the Response or directly on the Assertion verifies
   against one of the IdP's certificates (signxml), with exclusive
   canonicalisation, one reference, to the ID of the element it sits on, and
   no SHA-1 unless `allow_sha1`; what is consumed is the element signxml
   returns as signed (never a node found again in the original tree);
4. the assertion's Issuer is the IdP's entity id; the Response's Destination
   (when present) is ours; a bearer SubjectConfirmation whose Recipient is
   ours, whose NotOnOrAfter is ahead and whose InResponseTo is the request
   we made (none for an unsolicited response); Conditions' NotBefore /
   NotOnOrAfter with `SKEW` and an AudienceRestriction naming us; an
   AuthnStatement (Web Browser SSO profile) whose SessionNotOnOrAfter, when
   present, is ahead;
5. the assertion id has not been seen from that IdP (the replay cache keeps it
   until its NotOnOrAfter).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from lxml import etree
from signxml import (
    DigestAlgorithm,
    SignatureConfiguration,
    SignatureMethod,
    XMLVerifier,
)
from signxml.exceptions import InvalidInput, InvalidSignature, SignXMLException
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from idp import clock
from idp.errors import ClientError
from idp.saml import metadata, xml
from models import db
from models.jti import UsedJti

SKEW = timedelta(seconds=120)
MAX_RESPONSE_CHARS = 512 * 1024
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
EXC_C14N = ("http://www.w3.org/2001/10/xml-exc-c14n#",)
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
RESPONSE_SIGNATURE = "./"  # signxml's location of the ds:Signature: a child of the root
ASSERTION_SIGNATURE = f"./{{{xml.NS['saml']}}}Assertion/"
ANY_REQUEST = object()  # STS: an InResponseTo, if any, is not ours to match


class SamlRejected(ClientError):
    """The SAML response failed a check; `reason` names which (for audit and tests)."""

    code = "InvalidIdentityToken"

    def __init__(self, message: str, *, reason: str):
        super().__init__(message)
        self.reason = reason


class ReplayCache(Protocol):
    def remember(self, issuer: str, assertion_id: str, expires_at: datetime) -> bool:
        """Record the id; False when it was already there (a replay)."""


@dataclass(frozen=True)
class Expectation:
    """Who must have signed, and what the response must be addressed to."""

    idp_entity_id: str
    certificates: tuple[str, ...]
    audiences: tuple[str, ...]
    recipients: tuple[str, ...]
    in_response_to: object = None  # the request id we made, None for unsolicited, ANY_REQUEST for STS
    allow_sha1: bool = False
    replay_cache: ReplayCache | None = None
    require_authn_statement: bool = True  # the Web Browser SSO profile's; STS, like AWS, does not ask for it


@dataclass(frozen=True)
class Assertion:
    """A verified assertion: what STS and the sign-in use."""

    issuer: str
    assertion_id: str
    name_id: str
    name_id_format: str | None
    name_qualifier: str | None
    sp_name_qualifier: str | None
    audience: str
    recipient: str
    attributes: dict[str, list[str]] = field(default_factory=dict)
    session_index: str | None = None
    not_on_or_after: datetime | None = None
    session_not_on_or_after: datetime | None = None  # the AuthnStatement's: when the IdP ends the session
    document: bytes = b""

    def claims(self) -> dict[str, object]:
        """The attributes as upstream claims for the mapping language: single values unwrapped, `sub` = NameID."""
        claims: dict[str, object] = {name: values[0] if len(values) == 1 else list(values)
                                     for name, values in self.attributes.items()}
        claims["sub"] = self.name_id
        claims["iss"] = self.issuer
        return claims


def verify(response_b64: str, expect: Expectation) -> Assertion:
    """The verified assertion of a base64 SAML response, or SamlRejected."""
    document = _decoded(response_b64)
    root = _parsed(document)
    signed = _signed_assertion(root, expect)
    now = clock.now()
    assertion = _checked(root, signed, expect, now)
    if expect.replay_cache is not None:
        expires = assertion.not_on_or_after or now + SKEW
        if not expect.replay_cache.remember(assertion.issuer, assertion.assertion_id, expires + SKEW):
            raise SamlRejected("The SAML assertion was already used.", reason="replayed")
    return assertion


def _decoded(response_b64: str) -> bytes:
    if not isinstance(response_b64, str) or not response_b64 or len(response_b64) > MAX_RESPONSE_CHARS:
        raise SamlRejected("The SAML response is missing or too large.", reason="malformed")
    try:
        return base64.b64decode("".join(response_b64.split()), validate=True)
    except (binascii.Error, ValueError):
        raise SamlRejected("The SAML response is not base64.", reason="malformed") from None


def _parsed(document: bytes) -> etree._Element:
    try:
        root = xml.parse(document, "The SAML response")
    except xml.UnsafeXml as error:
        raise SamlRejected(error.message, reason="unsafe-xml") from None
    if root.tag != xml.qname("samlp", "Response"):
        raise SamlRejected("The SAML document is not a samlp:Response.", reason="malformed")
    status = root.find("samlp:Status/samlp:StatusCode", xml.NS)
    if status is None or status.get("Value") != SUCCESS:
        raise SamlRejected("The SAML response does not carry a success status.", reason="status")
    if root.find(".//saml:EncryptedAssertion", xml.NS) is not None:
        raise SamlRejected("Encrypted assertions are not supported.", reason="encrypted")
    if len(root.findall(".//saml:Assertion", xml.NS)) != 1:
        raise SamlRejected("The SAML response must hold exactly one assertion.", reason="assertion-count")
    return root


def _signed_assertion(root: etree._Element, expect: Expectation) -> etree._Element:
    """The Assertion element as signxml verified it (the signed node itself, never a lookup in `root`)."""
    assertion = root.find("saml:Assertion", xml.NS)
    if assertion is None:
        raise SamlRejected("The assertion must be a child of the response.", reason="assertion-count")
    if root.find("ds:Signature", xml.NS) is not None:
        signed = _verified(root, root, RESPONSE_SIGNATURE, expect)
        consumed = signed.findall("saml:Assertion", xml.NS)
        if len(consumed) != 1:
            raise SamlRejected("The signed response must hold exactly one assertion.", reason="assertion-count")
        if assertion.find("ds:Signature", xml.NS) is not None:
            _verified(root, assertion, ASSERTION_SIGNATURE, expect)
        return consumed[0]
    if assertion.find("ds:Signature", xml.NS) is not None:
        return _verified(root, assertion, ASSERTION_SIGNATURE, expect)
    raise SamlRejected("Neither the SAML response nor its assertion is signed.", reason="unsigned")


def _verified(root: etree._Element, element: etree._Element, location: str, expect: Expectation) -> etree._Element:
    """`element` as signed by its own enveloped signature (found at `location` in the whole document, so it is
    canonicalised in its real namespace context), verified against the IdP's certificates."""
    signature = element.find("ds:Signature", xml.NS)
    _check_signature_shape(signature, element.get("ID"), expect.allow_sha1)
    data = etree.tostring(root)
    config = _config(expect.allow_sha1, location)
    for encoded in expect.certificates:
        try:
            result = XMLVerifier().verify(data, x509_cert=metadata.load_certificate(encoded), id_attribute="ID",
                                          expect_config=config, parser=_strict_parser())
        except (InvalidSignature, InvalidInput):
            continue  # another of the IdP's certificates may verify it
        except (SignXMLException, etree.DocumentInvalid, ValueError, TypeError):
            # signxml's schema check (a missing SignatureValue or DigestValue, a stranger in SignedInfo) and
            # its decoding (an empty SignatureValue): the same refusal whichever certificate is tried.
            raise SamlRejected("The SAML signature is malformed.", reason="signature") from None
        signed = result.signed_xml
        if signed is None or signed.tag != element.tag or signed.get("ID") != element.get("ID"):
            raise SamlRejected("The SAML signature does not cover the element it sits on.", reason="wrapping")
        return signed
    raise SamlRejected("The SAML signature does not verify with the identity provider's certificate.",
                       reason="signature")


def _check_signature_shape(signature: etree._Element, element_id: str | None, allow_sha1: bool) -> None:
    references = signature.findall("ds:SignedInfo/ds:Reference", xml.NS)
    if not element_id or len(references) != 1 or references[0].get("URI") != f"#{element_id}":
        raise SamlRejected("The SAML signature must reference the element it sits on, and only it.",
                           reason="wrapping")
    c14n = signature.find("ds:SignedInfo/ds:CanonicalizationMethod", xml.NS)
    transforms = [t.get("Algorithm") for t in references[0].findall("ds:Transforms/ds:Transform", xml.NS)]
    if c14n is None or c14n.get("Algorithm") not in EXC_C14N or any(
            t not in (ENVELOPED, *EXC_C14N) for t in transforms):
        raise SamlRejected("The SAML signature must use exclusive canonicalisation.", reason="c14n")
    method = signature.find("ds:SignedInfo/ds:SignatureMethod", xml.NS)
    digest = references[0].find("ds:DigestMethod", xml.NS)
    uses_sha1 = any(node is not None and (node.get("Algorithm") or "").endswith("sha1") for node in (method, digest))
    if uses_sha1 and not allow_sha1:
        raise SamlRejected("SHA-1 signatures are refused for this identity provider.", reason="sha1")


def _config(allow_sha1: bool, location: str) -> SignatureConfiguration:
    methods = {SignatureMethod.RSA_SHA256, SignatureMethod.RSA_SHA384, SignatureMethod.RSA_SHA512,
               SignatureMethod.ECDSA_SHA256, SignatureMethod.ECDSA_SHA384, SignatureMethod.ECDSA_SHA512}
    digests = {DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512}
    if allow_sha1:
        methods.add(SignatureMethod.RSA_SHA1)
        digests.add(DigestAlgorithm.SHA1)
    return SignatureConfiguration(signature_methods=frozenset(methods), digest_algorithms=frozenset(digests),
                                  location=location, expect_references=1)


def _strict_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True,
                           remove_pis=True)


def _checked(root: etree._Element, assertion: etree._Element, expect: Expectation, now: datetime) -> Assertion:
    issuer = xml.text(assertion.find("saml:Issuer", xml.NS))
    if issuer != expect.idp_entity_id:
        raise SamlRejected("The assertion's issuer is not the identity provider's entity id.", reason="issuer")
    response_issuer = xml.text(root.find("saml:Issuer", xml.NS))
    if response_issuer is not None and response_issuer != expect.idp_entity_id:
        raise SamlRejected("The response's issuer is not the identity provider's entity id.", reason="issuer")
    destination = root.get("Destination")
    if destination is not None and destination not in expect.recipients:
        raise SamlRejected("The SAML response's Destination is not this service.", reason="destination")
    _check_in_response_to(root.get("InResponseTo"), expect)
    until, recipient = _bearer_confirmation(assertion, expect, now)
    audience = _audience(assertion, expect, now)
    name_id = assertion.find("saml:Subject/saml:NameID", xml.NS)
    if xml.text(name_id) is None:
        raise SamlRejected("The assertion has no NameID.", reason="subject")
    statement = assertion.find("saml:AuthnStatement", xml.NS)
    if statement is None and expect.require_authn_statement:
        raise SamlRejected("The assertion has no AuthnStatement.", reason="authn-statement")
    session_until = _time(statement.get("SessionNotOnOrAfter")) if statement is not None else None
    if session_until is not None and now - SKEW >= session_until:
        raise SamlRejected("The identity provider's session (SessionNotOnOrAfter) has ended.", reason="expired")
    return Assertion(
        issuer=issuer, assertion_id=assertion.get("ID") or "", name_id=xml.text(name_id),
        name_id_format=name_id.get("Format"), name_qualifier=name_id.get("NameQualifier"),
        sp_name_qualifier=name_id.get("SPNameQualifier"), audience=audience, recipient=recipient,
        attributes=_attributes(assertion), session_index=statement.get("SessionIndex") if statement is not None
        else None, not_on_or_after=until, session_not_on_or_after=session_until, document=etree.tostring(root),
    )


def _check_in_response_to(value: str | None, expect: Expectation) -> None:
    if expect.in_response_to is ANY_REQUEST or value is None and expect.in_response_to is None:
        return
    if value != expect.in_response_to:
        raise SamlRejected("The SAML response answers a request this browser did not make.",
                           reason="in-response-to")


def _bearer_confirmation(assertion: etree._Element, expect: Expectation, now: datetime) -> tuple[datetime, str]:
    """(NotOnOrAfter, Recipient) of a bearer confirmation addressed to us, or SamlRejected."""
    reasons = []
    for confirmation in assertion.findall("saml:Subject/saml:SubjectConfirmation", xml.NS):
        data = confirmation.find("saml:SubjectConfirmationData", xml.NS)
        if confirmation.get("Method") != BEARER or data is None:
            continue
        if data.get("Recipient") not in expect.recipients:
            reasons.append("recipient")
            continue
        until = _time(data.get("NotOnOrAfter"))
        if until is None or now - SKEW >= until:
            reasons.append("expired")
            continue
        if expect.in_response_to is not ANY_REQUEST and data.get("InResponseTo") != expect.in_response_to:
            reasons.append("in-response-to")
            continue
        return until, data.get("Recipient")
    reason = reasons[0] if reasons else "subject"
    raise SamlRejected(f"The assertion has no usable bearer confirmation ({reason}).", reason=reason)


def _audience(assertion: etree._Element, expect: Expectation, now: datetime) -> str:
    conditions = assertion.find("saml:Conditions", xml.NS)
    if conditions is None:
        raise SamlRejected("The assertion has no Conditions.", reason="audience")
    not_before, not_after = _time(conditions.get("NotBefore")), _time(conditions.get("NotOnOrAfter"))
    if not_before is not None and now + SKEW < not_before:
        raise SamlRejected("The assertion is not valid yet.", reason="not-yet-valid")
    if not_after is not None and now - SKEW >= not_after:
        raise SamlRejected("The assertion has expired.", reason="expired")
    restrictions = conditions.findall("saml:AudienceRestriction", xml.NS)
    if not restrictions:
        raise SamlRejected("The assertion has no AudienceRestriction.", reason="audience")
    found = None
    for restriction in restrictions:  # every restriction must admit us (SAML core 2.5.1.4)
        names = [xml.text(audience) for audience in restriction.findall("saml:Audience", xml.NS)]
        matched = [name for name in names if name in expect.audiences]
        if not matched:
            raise SamlRejected("The assertion is not addressed to this service (audience).", reason="audience")
        found = found or matched[0]
    return found


def _attributes(assertion: etree._Element) -> dict[str, list[str]]:
    attributes: dict[str, list[str]] = {}
    for attribute in assertion.findall("saml:AttributeStatement/saml:Attribute", xml.NS):
        name = attribute.get("Name")
        if not name:
            continue
        values = [xml.text(value) or "" for value in attribute.findall("saml:AttributeValue", xml.NS)]
        attributes.setdefault(name, []).extend(values)
    return attributes


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SamlRejected(f"{value!r} is not a SAML dateTime.", reason="malformed") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def replay_key(issuer: str, assertion_id: str) -> tuple[str, str]:
    """The (issuer, id) pair the replay cache stores, hashed to fit its columns."""
    return ("saml:" + hashlib.sha256(issuer.encode()).hexdigest()[:48],
            hashlib.sha256(assertion_id.encode()).hexdigest())


class LedgerReplayCache:
    """The shared replay table (`used_jtis`, as for client assertions), written as a ledger entry.

    Like `idp.oidc.client_auth`'s spent `jti`, the spent assertion id is
    recorded outside the request's unit of work, so a refusal later in the
    request does not make the assertion usable again; rows expire at the
    assertion's NotOnOrAfter (plus skew) and housekeeping purges them.
    """

    def remember(self, issuer: str, assertion_id: str, expires_at: datetime) -> bool:
        hashed_issuer, hashed_id = replay_key(issuer, assertion_id)
        try:
            with db.engine.begin() as ledger:
                ledger.execute(insert(UsedJti), {"issuer": hashed_issuer, "jti": hashed_id, "expires_at": expires_at})
        except IntegrityError:
            return False
        return True
