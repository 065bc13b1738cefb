"""The `"type": "saml"` upstream document: validated into the JSON-able settings stored with the upstream.

`parse(document)` reads the SAML keys (the registry owns the shared ones,
`registry.SHARED_KEYS`: `name`, `account`, the mappings, `display_name`,
`enabled`, `claims`; any other key is refused):

- `metadata_xml` (inline) or `metadata_url` (fetched once, now, through
  `idp.fetch` with its timeout and size bound; an operator's URL, so trusted);
- `sp_entity_id`: our entity id (default, decided at request time:
  `<issuer>/login/upstream/<name>/saml/metadata`);
- `name_id_format` (default unspecified), `allow_sha1` (default false),
  `idp_initiated` (default false), `want_assertions_encrypted` (only false:
  encrypted assertions are not built, see docs/saml.md).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from idp import fetch
from idp.errors import ValidationError
from idp.federation import registry
from idp.saml import metadata

SAML_KEYS = frozenset({
    "type", "metadata_xml", "metadata_url", "sp_entity_id", "name_id_format", "allow_sha1", "idp_initiated",
    "want_assertions_encrypted",
})
NAME_ID_FORMATS = (
    "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
    "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
)
METADATA_MAX_BYTES = 1024 * 1024
METADATA_TIMEOUT = 5.0


def parse(document: dict) -> dict[str, Any]:
    """The settings to store for a SAML upstream document, or ValidationError."""
    if not isinstance(document, dict):
        raise ValidationError("The upstream file must hold a JSON object.")
    unknown = sorted(set(document) - SAML_KEYS - registry.SHARED_KEYS)
    if unknown:
        raise ValidationError(f"Unknown keys in the SAML upstream file: {', '.join(unknown)}.")
    inline, url = document.get("metadata_xml"), document.get("metadata_url")
    if (inline is None) == (url is None):
        raise ValidationError("A SAML upstream needs exactly one of metadata_xml and metadata_url.")
    if inline is not None:
        if not isinstance(inline, str) or not inline.strip():
            raise ValidationError("metadata_xml must be the IdP's metadata XML as a string.")
        source = inline
    else:
        source = _fetched(_url(url, "metadata_url"))
    idp = metadata.parse(source, what="The SAML upstream's metadata")
    if idp.sso_redirect_url is None:
        raise ValidationError("The SAML upstream's metadata has no SingleSignOnService with the HTTP-Redirect binding.")
    if _flag(document, "want_assertions_encrypted", False):
        raise ValidationError("want_assertions_encrypted: encrypted assertions are not supported (see docs/saml.md).")
    name_id_format = document.get("name_id_format", NAME_ID_FORMATS[0])
    if name_id_format not in NAME_ID_FORMATS:
        raise ValidationError(f"name_id_format must be one of {', '.join(NAME_ID_FORMATS)}.")
    sp_entity_id = document.get("sp_entity_id")
    if sp_entity_id is not None and (not isinstance(sp_entity_id, str) or not 0 < len(sp_entity_id) <= 1024):
        raise ValidationError("sp_entity_id must be a URI of 1 to 1024 characters.")
    return {
        **idp.settings(), "issuer": idp.entity_id,
        "metadata_xml": source if inline is not None else None, "metadata_url": url,
        "sp_entity_id": sp_entity_id, "name_id_format": name_id_format,
        "allow_sha1": _flag(document, "allow_sha1", False), "idp_initiated": _flag(document, "idp_initiated", False),
        "want_assertions_encrypted": False,
    }


def _fetched(url: str) -> str:
    answer = fetch.fetch(url, purpose="SAML metadata", trusted=True, max_bytes=METADATA_MAX_BYTES,
                         timeout=METADATA_TIMEOUT)
    if answer.status != 200:
        raise ValidationError(f"metadata_url answered HTTP {answer.status}.")
    return answer.body.decode("utf-8", errors="replace")


def _url(value: object, field: str) -> str:
    if not isinstance(value, str) or len(value) > 2048:
        raise ValidationError(f"{field} must be a URL.")
    parts = urlsplit(value)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.username:
        raise ValidationError(f"{field} must be an https URL without credentials.")
    if parts.scheme == "http" and not loopback:
        raise ValidationError(f"{field} must use https (plain http only on a loopback address).")
    return value


def _flag(document: dict, key: str, default: bool) -> bool:
    value = document.get(key, default)
    if not isinstance(value, bool):
        raise ValidationError(f"{key} must be true or false.")
    return value
