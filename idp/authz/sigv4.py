"""AWS Signature Version 4 verification, for the Authorization header and presigned URLs.

Pure: no Flask, no database, no clock of its own. The adapter builds a
`SignedRequest` from what arrived, passes the app clock's `now` and a
`secret_for(access_key_id)` lookup, and gets a `VerifiedSignature` back or an
`AuthenticationError` carrying AWS's error code and message.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Callable, Iterable, Mapping, NamedTuple

from idp.authz.sigv4_canonical import (
    ALGORITHM,
    TERMINATOR,
    UNSIGNED_PAYLOAD,
    SigningKeyCache,
    canonical_query,
    canonical_request,
    canonical_uri,
    query_pairs,
    signature,
    string_to_sign,
)
from idp.errors import AuthenticationError

SKEW = timedelta(minutes=5)
MAX_EXPIRES = 604800  # seven days, the lifetime of a signing key
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_AMZ_DATE = re.compile(r"\d{8}T\d{6}Z", re.ASCII)
AWS_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}", re.ASCII)
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")

SIGNATURE_DOES_NOT_MATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

_signing_keys = SigningKeyCache(1024)

SecretLookup = Callable[[str], "str | None"]
HeaderInput = Mapping[str, str] | Iterable[tuple[str, str]]


@dataclass(frozen=True)
class SignedRequest:
    """An HTTP request exactly as it arrived: raw (percent-encoded) path and query, every header."""

    method: str
    path: str
    query_string: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None

    @classmethod
    def from_parts(
        cls, method: str, path: str, query_string: str | bytes, headers: HeaderInput, body: bytes | None
    ) -> "SignedRequest":
        """Build from the server's view; `headers` is a (multi-)mapping or (name, value) pairs."""
        pairs = headers.items() if hasattr(headers, "items") else headers
        if isinstance(query_string, bytes):
            query_string = query_string.decode("latin-1")
        return cls(
            method=method,
            path=path,
            query_string=query_string,
            headers=tuple((str(name).lower(), str(value)) for name, value in pairs),
            body=body,
        )

    def header_values(self) -> dict[str, list[str]]:
        """Lowercase header name -> every value, in arrival order."""
        values: dict[str, list[str]] = {}
        for name, value in self.headers:
            values.setdefault(name, []).append(value)
        return values


class VerifiedSignature(NamedTuple):
    """What a valid signature proves: who signed, for which scope, and when."""

    access_key_id: str
    region: str
    service: str
    signed_date: datetime
    signed_headers: tuple[str, ...]
    session_token: str | None
    presigned: bool
    expires: datetime | None  # presigned only: X-Amz-Date + X-Amz-Expires
    payload_hash: str  # when the body was not supplied, the caller must check it matches


# NamedTuples rather than frozen dataclasses: built on every request, and a frozen
# dataclass pays one object.__setattr__ per field.
class _Credentials(NamedTuple):
    """The authentication parameters, from the Authorization header or the query string."""

    credential: str
    signed_headers: str
    signature: str
    amz_date: str
    session_token: str | None
    expires: int | None
    presigned: bool


class ServiceScopeMismatch(AuthenticationError):
    """The credential scope names another service than the one the request addresses."""

    code = "SignatureDoesNotMatch"

    def __init__(self, access_key_id: str, scoped: str, addressed: str):
        super().__init__(f"Credential should be scoped to correct service: '{addressed}'. ")
        self.access_key_id, self.scoped, self.addressed = access_key_id, scoped, addressed


def _incomplete(message: str) -> AuthenticationError:
    return AuthenticationError(message, code="IncompleteSignature", status=400)


def _mismatch(message: str) -> AuthenticationError:
    return AuthenticationError(message, code="SignatureDoesNotMatch", status=403)


def _header_credentials(
    authorization: str, headers: dict[str, list[str]], params: dict[str, str]
) -> _Credentials:
    scheme, _, rest = authorization.strip().partition(" ")
    if scheme != ALGORITHM:
        raise _incomplete(f"Unsupported AWS 'algorithm': '{scheme}'. Authorization={authorization}")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, sep, value = part.strip().partition("=")
        if sep and name not in fields:
            fields[name] = value.strip()
    amz_dates = headers.get("x-amz-date")
    amz_date = amz_dates[0] if amz_dates else None
    if amz_date is None and "date" in headers:
        amz_date = _rfc1123_as_amz_date(headers["date"][0])
    if amz_date is None or not (
        fields.get("Credential") and fields.get("Signature") and fields.get("SignedHeaders")
    ):  # the messages are built only when something is missing
        _refuse_incomplete_header(authorization, fields, amz_date)
    token = headers.get("x-amz-security-token", [None])[0] or params.get("X-Amz-Security-Token")
    return _Credentials(
        fields["Credential"], fields["SignedHeaders"], fields["Signature"],
        amz_date, token, None, False,
    )


def _refuse_incomplete_header(authorization: str, fields: dict[str, str], amz_date: str | None) -> None:
    problems = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not fields.get(name)
    ]
    if amz_date is None:
        problems.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    raise _incomplete(" ".join(problems) + f" Authorization={authorization}")


def _rfc1123_as_amz_date(value: str) -> str:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        raise _incomplete(f"Date must be in RFC 1123 format. Got '{value}'.") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime(AMZ_DATE_FORMAT)


def _query_credentials(params: dict[str, str]) -> _Credentials:
    missing = [
        name
        for name in ("X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires")
        if not params.get(name)
    ]
    if missing:
        raise _incomplete(
            f"AWS query-string parameters must include '{missing[0]}'. Re-examine the query-string parameters."
        )
    if params["X-Amz-Algorithm"] != ALGORITHM:
        raise _incomplete(
            f"X-Amz-Algorithm only supports \"{ALGORITHM}\", not '{params['X-Amz-Algorithm']}'."
        )
    raw_expires = params["X-Amz-Expires"]
    if not (raw_expires.isascii() and raw_expires.isdigit()) or int(raw_expires) < 1:
        raise _incomplete("X-Amz-Expires must be a positive integer number of seconds.")
    if int(raw_expires) > MAX_EXPIRES:
        raise _incomplete(f"X-Amz-Expires must be less than a week (in seconds) that is {MAX_EXPIRES}")
    return _Credentials(
        params["X-Amz-Credential"], params["X-Amz-SignedHeaders"], params["X-Amz-Signature"],
        params["X-Amz-Date"], params.get("X-Amz-Security-Token"), int(raw_expires), True,
    )


def _credentials(headers: dict[str, list[str]], pairs: list[tuple[bytes, bytes]]) -> _Credentials:
    authorizations = headers.get("authorization", [])
    params = {name.decode("utf-8", "replace"): value.decode("utf-8", "replace")
              for name, value in reversed(pairs)} if pairs else {}
    presigned = "X-Amz-Algorithm" in params
    if authorizations and presigned:
        raise _incomplete(
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter "
            "or the Authorization header should be specified."
        )
    if presigned:
        return _query_credentials(params)
    if len(authorizations) > 1:
        raise _incomplete("Only one Authorization header is allowed.")
    if not authorizations or not authorizations[0].strip():
        raise AuthenticationError(
            "Request is missing Authentication Token", code="MissingAuthenticationToken", status=403
        )
    return _header_credentials(authorizations[0], headers, params)


def _parse_amz_date(value: str) -> datetime:
    if not _AMZ_DATE.fullmatch(value):
        raise _incomplete(f"X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\", got '{value}'.")
    try:  # by hand: strptime would be a third of the cost of a verification
        return datetime(
            int(value[0:4]), int(value[4:6]), int(value[6:8]),
            int(value[9:11]), int(value[11:13]), int(value[13:15]), tzinfo=timezone.utc,
        )
    except ValueError:
        raise _incomplete(f"X-Amz-Date is not a valid date: '{value}'.") from None


def _check_time(creds: _Credentials, signed_at: datetime, now: datetime) -> datetime | None:
    """Refuse a request outside its validity window; return a presigned URL's expiry."""
    earliest, latest = now - SKEW, now + SKEW
    # The stamps are formatted only for an error message: strftime costs as much as a check.
    if signed_at > latest:
        raise _mismatch(
            f"Signature not yet current: {creds.amz_date} is still later than "
            f"{latest.strftime(AMZ_DATE_FORMAT)} ({now:%Y%m%dT%H%M%SZ} + 5 min.)"
        )
    if not creds.presigned:
        if signed_at < earliest:
            raise _mismatch(
                f"Signature expired: {creds.amz_date} is now earlier than "
                f"{earliest.strftime(AMZ_DATE_FORMAT)} ({now:%Y%m%dT%H%M%SZ} - 5 min.)"
            )
        return None
    expires = signed_at + timedelta(seconds=creds.expires)
    if now > expires:
        stamp = f"{now:%Y%m%dT%H%M%SZ}"
        # AWS documents X-Amz-Expires but not the Query-protocol error for a URL
        # used too late; we answer like the EC2-style Query APIs, `RequestExpired`.
        raise AuthenticationError(
            f"Request has expired. X-Amz-Date: {creds.amz_date}, X-Amz-Expires: {creds.expires}, "
            f"now: {stamp}.",
            code="RequestExpired",
            status=400,
        )
    return expires


def aws_region(region: str | None) -> str | None:
    """`region` when it has the shape of an AWS region (`us-east-1`, `us-gov-west-1`), else None.

    Any region signs a request, but only one of AWS's shape is recorded as a credential's last-used region: that
    value is shown verbatim to administrators (credential report CSV, GetAccessKeyLastUsed, RoleLastUsed).
    """
    return region if region is not None and AWS_REGION.fullmatch(region) else None


def _check_scope(creds: _Credentials, addressed: str) -> tuple[str, str, str, str]:
    parts = creds.credential.split("/")
    if len(parts) != 5:
        raise _incomplete(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
            f"got '{creds.credential}'"
        )
    access_key_id, date, region, service, terminator = parts
    if terminator != TERMINATOR:
        raise _mismatch(f"Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{terminator}'.")
    if service != addressed:
        # A signature is valid only for the service its scope names: one service's credentials
        # (or a signature meant for it) never reach another through a shared endpoint.
        raise ServiceScopeMismatch(access_key_id, service, addressed)
    if not region:
        raise _mismatch(f"Credential should be scoped to a valid region, not '{region}'. ")
    if date != creds.amz_date[:8]:
        raise _mismatch(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{date}' != '{creds.amz_date[:8]}', from '{creds.amz_date}'."
        )
    if not access_key_id:
        raise _incomplete(f"Credential must name an access key id, got '{creds.credential}'")
    return access_key_id, date, region, service


@functools.lru_cache(maxsize=1024)
def _header_names(signed_headers: str) -> tuple[str, ...]:
    # Clients send the same few SignedHeaders lists over and over: normalise each once.
    return tuple(sorted({name.strip().lower() for name in signed_headers.split(";") if name.strip()}))


def _signed_header_names(creds: _Credentials, headers: dict[str, list[str]]) -> tuple[str, ...]:
    names = _header_names(creds.signed_headers)
    if "host" not in names:
        raise _mismatch("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
    if not creds.presigned and "x-amz-security-token" in headers and "x-amz-security-token" not in names:
        # An unsigned token could be swapped in transit; botocore always signs it.
        raise _mismatch("'X-Amz-Security-Token' must be a 'SignedHeader' in the AWS Authorization.")
    return names


def _payload_hash(request: SignedRequest, headers: dict[str, list[str]], allow_unsigned: bool) -> str:
    declared = headers.get("x-amz-content-sha256", [None])[0]
    if declared is None:
        if request.body is None:
            raise _incomplete("The request body is not available: the x-amz-content-sha256 header is required.")
        return hashlib.sha256(request.body).hexdigest()
    if declared == UNSIGNED_PAYLOAD:
        if not allow_unsigned:
            raise _incomplete("UNSIGNED-PAYLOAD is not accepted by this service; sign the payload.")
        return declared
    if not _SHA256_HEX.fullmatch(declared):
        raise _incomplete("x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a lowercase hex SHA-256 value.")
    # The declared hash is signed, but the body is not bound to it until we check.
    if request.body is not None and not hmac.compare_digest(hashlib.sha256(request.body).hexdigest(), declared):
        raise AuthenticationError(
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
            code="XAmzContentSHA256Mismatch",
            status=400,
        )
    return declared


def verify(
    request: SignedRequest,
    now: datetime,
    secret_for: SecretLookup,
    service: str,
    *,
    allow_unsigned_payload: bool = True,
) -> VerifiedSignature:
    """Verify a SigV4-signed request addressed to `service` as AWS does, or raise `AuthenticationError`.

    The credential scope must name `service`, the service the request addresses
    (decided by the adapter from what it serves, never from the signature).
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    elif now.tzinfo is not timezone.utc:
        now = now.astimezone(timezone.utc)
    headers = request.header_values()
    pairs = query_pairs(request.query_string)
    creds = _credentials(headers, pairs)
    signed_at = _parse_amz_date(creds.amz_date)
    access_key_id, date, region, _ = _check_scope(creds, service)
    expires = _check_time(creds, signed_at, now)
    signed_names = _signed_header_names(creds, headers)
    payload_hash = _payload_hash(request, headers, allow_unsigned_payload)

    secret = secret_for(access_key_id)
    if secret is None:
        raise AuthenticationError(
            "The security token included in the request is invalid.", code="InvalidClientTokenId", status=403
        )
    canonical = canonical_request(
        request.method,
        canonical_uri(request.path),
        canonical_query(pairs, exclude=b"X-Amz-Signature" if creds.presigned else None),
        headers,
        signed_names,
        payload_hash,
    )
    to_sign = string_to_sign(creds.amz_date, f"{date}/{region}/{service}/{TERMINATOR}", canonical)
    key = _signing_keys.signing_key(access_key_id, secret, date, region, service)
    expected = signature(key, to_sign)
    if not hmac.compare_digest(expected.encode(), creds.signature.encode("utf-8", "replace")):
        raise _mismatch(
            f"{SIGNATURE_DOES_NOT_MATCH}\n\nThe Canonical String for this request should have been\n"
            f"'{canonical}'\n\nThe String-to-Sign should have been\n'{to_sign}'\n"
        )
    return VerifiedSignature(
        access_key_id=access_key_id,
        region=region,
        service=service,
        signed_date=signed_at,
        signed_headers=signed_names,
        session_token=creds.session_token,
        presigned=creds.presigned,
        expires=expires,
        payload_hash=payload_hash,
    )


def clear_signing_key_cache() -> None:
    """Forget every cached signing key (tests, key rotation drills)."""
    _signing_keys.clear()
