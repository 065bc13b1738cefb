"""Untrusted XML in, one lxml tree out: no DTD, no entities, no comments, no network, bounded size.

defusedxml refuses any DTD, entity declaration or external reference first;
lxml then parses the same bytes with entity resolution and network off and
comments and processing instructions dropped (a comment inside a NameID would
otherwise split its text after the signature was checked over the text
without it).
"""
from __future__ import annotations

import defusedxml.ElementTree
from lxml import etree

from idp.errors import ValidationError

MAX_BYTES = 10_000_000

NS = {
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "xenc": "http://www.w3.org/2001/04/xmlenc#",
}


class UnsafeXml(ValidationError):
    """The XML is malformed, too large, or carries a DTD or entity declaration."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           remove_comments=True, remove_pis=True, huge_tree=False)


def parse(data: bytes | str, what: str) -> etree._Element:
    """The root element of `data`, or UnsafeXml naming `what` (e.g. "the SAML response")."""
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_BYTES:
        raise UnsafeXml(f"{what} is larger than {MAX_BYTES} bytes.")
    try:
        defusedxml.ElementTree.fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException:
        raise UnsafeXml(f"{what} carries a DTD or entity declaration, which is refused.") from None
    except Exception:  # noqa: BLE001 - any parse error of untrusted input is the same refusal
        raise UnsafeXml(f"{what} is not well-formed XML.") from None
    try:
        root = etree.fromstring(raw, parser=_parser())
    except etree.XMLSyntaxError:
        raise UnsafeXml(f"{what} is not well-formed XML.") from None
    if root is None:
        raise UnsafeXml(f"{what} is empty.")
    return root


def text(element: etree._Element | None) -> str | None:
    """The stripped text of an element (comments were dropped at parse), or None."""
    if element is None:
        return None
    return "".join(element.itertext()).strip() or None


def qname(namespace: str, local: str) -> str:
    return f"{{{NS[namespace]}}}{local}"
