"""SigV4 building blocks: the canonical request, the string to sign and the signing key.

Each function mirrors one step of "Create a canonical request" / "Create a
string to sign" / "Calculate the signature" in the AWS Signature Version 4
specification (IAM User Guide, "Elements of an AWS API request signature"),
and, where the specification is loose, botocore's `SigV4Auth` for non-S3
services, which is what real clients sign with.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import threading
from collections import OrderedDict
from urllib.parse import quote, unquote_to_bytes

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

# RFC 3986 unreserved characters, less the alphanumerics `quote` never encodes.
_UNRESERVED = "-_.~"


def remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, plus the collapse of empty segments (`//`) AWS requires."""
    segments: list[str] = []
    for segment in path.split("/"):
        if not segment or segment == ".":
            continue
        if segment == "..":
            if segments:
                segments.pop()
        else:
            segments.append(segment)
    first = "/" if path.startswith("/") else ""
    last = "/" if path.endswith("/") and segments else ""
    return first + "/".join(segments) + last


# A pure function of the path, and resource servers see the same few paths over and over.
@functools.lru_cache(maxsize=4096)
def canonical_uri(raw_path: str) -> str:
    """The CanonicalURI for a non-S3 service: normalised, then encoded once more.

    `raw_path` is the path as it arrived, already percent-encoded by the client;
    encoding it again (so `%20` becomes `%2520`) is the "encode each segment
    twice" rule, exactly as botocore's `SigV4Auth._normalize_url_path` does.
    """
    normalised = remove_dot_segments(raw_path) if raw_path else "/"
    return quote(normalised or "/", safe="/~")


def _decode_query_component(component: str) -> bytes:
    # `+` means space in a form-encoded query, which is how the application will
    # read it; treating it the same way here keeps signed and acted-upon values equal.
    return unquote_to_bytes(component.replace("+", " "))


def query_pairs(raw_query: str) -> list[tuple[bytes, bytes]]:
    """The raw query string as decoded (name, value) byte pairs, in arrival order."""
    pairs = []
    for piece in raw_query.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        pairs.append((_decode_query_component(name), _decode_query_component(value)))
    return pairs


def canonical_query(pairs: list[tuple[bytes, bytes]], *, exclude: bytes | None = None) -> str:
    """CanonicalQueryString: each name and value URI-encoded, sorted by name then value."""
    encoded = sorted(
        (quote(name, safe=_UNRESERVED), quote(value, safe=_UNRESERVED))
        for name, value in pairs
        if name != exclude
    )
    return "&".join(f"{name}={value}" for name, value in encoded)


def trim_header_value(value: str) -> str:
    """Trimall: strip the value and collapse inner runs of white space to one space."""
    return " ".join(value.split())


def canonical_headers(headers: dict[str, list[str]], signed: tuple[str, ...]) -> str:
    """CanonicalHeaders: `name:value` lines for the signed headers, sorted, values joined by `,`."""
    lines = []
    for name in signed:
        value = ",".join(trim_header_value(v) for v in headers.get(name, ()))
        lines.append(f"{name}:{value}\n")
    return "".join(lines)


def canonical_request(
    method: str,
    uri: str,
    query: str,
    headers: dict[str, list[str]],
    signed: tuple[str, ...],
    payload_hash: str,
) -> str:
    """The six-line CanonicalRequest."""
    return "\n".join(
        (method.upper(), uri, query, canonical_headers(headers, signed), ";".join(signed), payload_hash)
    )


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    """StringToSign: algorithm, request time, credential scope, hash of the canonical request."""
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.digest(key, message.encode("utf-8"), "sha256")


def derive_signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")."""
    key = _hmac(f"AWS4{secret}".encode("utf-8"), date)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, TERMINATOR)


class SigningKeyCache:
    """A bounded LRU of derived signing keys.

    Keyed by a fingerprint of the secret rather than the secret itself, so a
    rotated secret never reuses a stale key and no plaintext secret is held.
    """

    def __init__(self, max_size: int = 1024):
        self.max_size = max_size
        self._keys: OrderedDict[tuple, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def signing_key(self, access_key_id: str, secret: str, date: str, region: str, service: str) -> bytes:
        """The signing key for this scope, derived once and then reused."""
        fingerprint = hashlib.sha256(secret.encode("utf-8")).digest()
        cache_key = (access_key_id, fingerprint, date, region, service)
        with self._lock:
            key = self._keys.get(cache_key)
            if key is not None:
                self._keys.move_to_end(cache_key)
                return key
        key = derive_signing_key(secret, date, region, service)
        with self._lock:
            self._keys[cache_key] = key
            while len(self._keys) > self.max_size:
                self._keys.popitem(last=False)
        return key

    def clear(self) -> None:
        """Forget every derived key."""
        with self._lock:
            self._keys.clear()

    def __len__(self) -> int:
        return len(self._keys)


def signature(signing_key: bytes, to_sign: str) -> str:
    """The hex HMAC-SHA256 of the string to sign."""
    return hmac.digest(signing_key, to_sign.encode("utf-8"), "sha256").hex()
