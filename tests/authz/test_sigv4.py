"""SigV4 verification against requests signed by real botocore (`SigV4Auth`, `SigV4QueryAuth`).

Each request is signed at the real time, converted to what a server would
receive (raw path, raw query, headers as sent including Host, body bytes) and
verified with `now` taken from the request's own X-Amz-Date.
"""
from __future__ import annotations

import dataclasses
import hashlib
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idp.authz.sigv4 import ServiceScopeMismatch, SignedRequest, VerifiedSignature, verify
from idp.authz.sigv4_canonical import SigningKeyCache, canonical_uri, remove_dot_segments
from idp.errors import AuthenticationError

KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEXAMPLE//token+with/slashes="
ENDPOINT = "http://localhost:5000/"
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
LIST_USERS = b"Action=ListUsers&Version=2010-05-08"
EXPIRED_PREFIX = "Signature expired: "


def secret_for(access_key_id: str) -> str | None:
    return SECRET if access_key_id == KEY else None


def sign(
    method: str = "POST",
    url: str = ENDPOINT,
    body: bytes | None = LIST_USERS,
    headers: dict | list | None = None,
    params: dict | None = None,
    *,
    service: str = "iam",
    secret: str = SECRET,
    token: str | None = None,
    presign_for: int | None = None,
):
    """Sign with botocore and return the prepared request (what goes on the wire)."""
    request = AWSRequest(method=method, url=url, data=body, params=params or {})
    for name, value in (headers.items() if isinstance(headers, dict) else headers or ()):
        request.headers[name] = value  # HTTPHeaders appends: repeated names stay repeated
    credentials = Credentials(KEY, secret, token)
    if presign_for is None:
        SigV4Auth(credentials, service, "us-east-1").add_auth(request)
    else:
        SigV4QueryAuth(credentials, service, "us-east-1", expires=presign_for).add_auth(request)
    prepared = request.prepare()
    # The prepared request keeps one value per header name; what goes on the wire is every value.
    prepared.sent_headers = [*request.headers.items()] + [
        (name, value) for name, value in prepared.headers.items() if name not in request.headers
    ]
    return prepared


def received(prepared) -> SignedRequest:
    """The request as the server sees it: Host added by the HTTP client, URL split raw."""
    parts = urlsplit(prepared.url)
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    headers = [("Host", parts.netloc.lower()), *prepared.sent_headers]
    return SignedRequest.from_parts(prepared.method, parts.path, parts.query, headers, body or b"")


def signed_at(request: SignedRequest) -> datetime:
    """The X-Amz-Date of a request (header or presigned query)."""
    stamp = dict(request.headers).get("x-amz-date") or dict(parse_qsl(request.query_string))["X-Amz-Date"]
    return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)


def check(request: SignedRequest, now: datetime | None = None, *, service: str = "iam", **options) -> VerifiedSignature:
    """Verify as the server does for a request addressed to `service`."""
    return verify(request, now or signed_at(request), secret_for, service, **options)


def refused(request: SignedRequest, code: str, now: datetime | None = None, **options) -> AuthenticationError:
    with pytest.raises(AuthenticationError) as caught:
        check(request, now, **options)
    assert caught.value.code == code, caught.value.message
    return caught.value


def with_header(request: SignedRequest, name: str, value: str) -> SignedRequest:
    headers = tuple((n, value if n == name else v) for n, v in request.headers)
    return dataclasses.replace(request, headers=headers)


def without_header(request: SignedRequest, name: str) -> SignedRequest:
    return dataclasses.replace(request, headers=tuple((n, v) for n, v in request.headers if n != name))


def flip(text: str, index: int) -> str:
    """`text` with one character changed."""
    return text[:index] + ("B" if text[index] != "B" else "C") + text[index + 1 :]


# --- accepted shapes -------------------------------------------------------------------------


def test_post_form_body_is_accepted():
    result = check(received(sign(headers=FORM)))
    assert (result.access_key_id, result.region, result.service) == (KEY, "us-east-1", "iam")
    assert result.signed_headers == ("content-type", "host", "x-amz-date")
    assert result.presigned is False and result.expires is None and result.session_token is None
    assert result.payload_hash == hashlib.sha256(LIST_USERS).hexdigest()


def test_get_with_awkward_query_values_is_accepted():
    params = {
        "Action": "ListUsers",
        "Space": "a b  c",
        "Unicode": "é€𝄞",
        "Tilde": "~home",
        "Reserved": "!*'();:@&=+$,/?#[]%",
        "Empty": "",
    }
    request = received(sign("GET", body=None, params=params))
    assert "+" in request.query_string  # botocore sends spaces as '+', signs them as %20
    assert check(request).service == "iam"


def test_plus_in_the_query_is_a_space_as_the_application_reads_it():
    request = received(sign("GET", body=None, params={"Name": "a+b"}))
    assert "Name=a%2Bb" in request.query_string
    # Were '+' taken literally, "a+b" (read by the app as "a b") would pass as the signed "a+b".
    plus = dataclasses.replace(request, query_string=request.query_string.replace("a%2Bb", "a+b"))
    refused(plus, "SignatureDoesNotMatch", signed_at(request))


def test_malformed_x_amz_date_header_is_incomplete():
    request = received(sign(headers=FORM))
    error = refused(with_header(request, "x-amz-date", "20261399T000000Z"), "IncompleteSignature", signed_at(request))
    assert "not a valid date" in error.message


def test_path_with_double_slashes_dot_segments_and_escapes_is_accepted():
    request = received(sign("GET", "http://localhost:5000//a/./b/../c%20d/%E2%82%AC/%7Euser/", body=None))
    assert check(request).access_key_id == KEY


def test_session_token_header_is_signed_and_returned():
    request = received(sign(token=TOKEN, headers=FORM))
    result = check(request)
    assert result.session_token == TOKEN
    assert "x-amz-security-token" in result.signed_headers


def test_payload_hash_header_is_used():
    digest = hashlib.sha256(LIST_USERS).hexdigest()
    request = received(sign(headers={"X-Amz-Content-SHA256": digest}))
    assert check(request).payload_hash == digest
    # With the declared hash the body may be withheld; the caller then owns the check.
    assert check(dataclasses.replace(request, body=None)).payload_hash == digest


def test_unsigned_payload_is_accepted_only_when_allowed():
    request = received(sign(headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}))
    assert check(request).payload_hash == "UNSIGNED-PAYLOAD"
    refused(request, "IncompleteSignature", allow_unsigned_payload=False)


def test_repeated_headers_are_joined_in_order():
    request = received(sign(headers=[("X-Amz-Meta-Tag", "one"), ("X-Amz-Meta-Tag", "  two   words ")]))
    assert [v for n, v in request.headers if n == "x-amz-meta-tag"] == ["one", "  two   words "]
    assert "x-amz-meta-tag" in check(request).signed_headers
    swapped = [(n, v) for n, v in request.headers if n != "x-amz-meta-tag"]
    swapped += [("x-amz-meta-tag", "  two   words "), ("x-amz-meta-tag", "one")]
    refused(dataclasses.replace(request, headers=tuple(swapped)), "SignatureDoesNotMatch")


def test_rfc1123_date_header_instead_of_x_amz_date():
    request = received(sign(headers={"Date": "placeholder, botocore rewrites it"}))
    assert "x-amz-date" not in dict(request.headers)
    stamp = parsedate_to_datetime(dict(request.headers)["date"]).replace(tzinfo=timezone.utc)
    assert check(request, stamp).signed_headers == ("date", "host")
    moved = with_header(request, "date", format_datetime(stamp + timedelta(seconds=1), usegmt=True))
    refused(moved, "SignatureDoesNotMatch", stamp)


def test_header_case_and_mapping_input_do_not_matter():
    request = received(sign(headers=FORM))
    as_mapping = SignedRequest.from_parts(
        request.method, request.path, request.query_string, {n.upper(): v for n, v in request.headers}, request.body
    )
    assert check(as_mapping).access_key_id == KEY


# --- tampering -------------------------------------------------------------------------------


def test_every_single_byte_change_is_refused():
    request = received(sign("POST", "http://localhost:5000/iam/?Marker=abc", headers=FORM))
    date = dict(request.headers)["x-amz-date"]
    later = date[:-2] + ("9" if date[-2] != "9" else "8") + "Z"
    tampered = {
        "method": dataclasses.replace(request, method="PUT"),
        "path": dataclasses.replace(request, path="/iaM/"),
        "query": dataclasses.replace(request, query_string="Marker=abd"),
        "signed header": with_header(request, "content-type", flip(dict(request.headers)["content-type"], 0)),
        "body": dataclasses.replace(request, body=LIST_USERS[:-1] + b"9"),
        "date": with_header(request, "x-amz-date", later),
        "signature": with_header(
            request, "authorization", dict(request.headers)["authorization"][:-1] + "x"
        ),
    }
    for what, altered in tampered.items():
        error = refused(altered, "SignatureDoesNotMatch", signed_at(request))
        assert error.status == 403, what


def test_wrong_secret_is_refused_with_botocores_canonical_request_in_the_message():
    prepared = sign(headers=FORM, secret="not-the-secret")
    error = refused(received(prepared), "SignatureDoesNotMatch")
    assert error.message.startswith("The request signature we calculated does not match the signature you provided.")
    assert "\n\nThe Canonical String for this request should have been\n'POST\n/\n\n" in error.message
    assert "\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n" in error.message


def test_unknown_access_key_is_an_invalid_client_token():
    request = received(sign(headers=FORM))
    with pytest.raises(AuthenticationError) as caught:
        verify(request, signed_at(request), lambda key: None, "iam")
    assert caught.value.code == "InvalidClientTokenId" and caught.value.status == 403
    assert caught.value.message == "The security token included in the request is invalid."


def test_rotated_secret_does_not_reuse_the_cached_signing_key():
    request = received(sign(headers=FORM))
    check(request)
    with pytest.raises(AuthenticationError):
        verify(request, signed_at(request), lambda key: "rotated", "iam")


def test_payload_hash_header_must_match_the_body():
    request = received(sign(headers={"X-Amz-Content-SHA256": hashlib.sha256(LIST_USERS).hexdigest()}))
    error = refused(dataclasses.replace(request, body=b"Action=DeleteUser"), "XAmzContentSHA256Mismatch")
    assert error.status == 400
    refused(with_header(request, "x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"), "IncompleteSignature")


def test_body_is_required_without_a_payload_hash_header():
    error = refused(dataclasses.replace(received(sign()), body=None), "IncompleteSignature")
    assert "x-amz-content-sha256" in error.message


def test_unsigned_session_token_header_is_refused():
    request = received(sign(headers=FORM))
    smuggled = dataclasses.replace(request, headers=request.headers + (("x-amz-security-token", TOKEN),))
    refused(smuggled, "SignatureDoesNotMatch")


# --- time ------------------------------------------------------------------------------------


def test_signature_older_than_five_minutes_is_expired():
    request = received(sign(headers=FORM))
    signed = signed_at(request)
    check(request, signed + timedelta(minutes=5))
    now = signed + timedelta(minutes=6)
    error = refused(request, "SignatureDoesNotMatch", now)
    stamp = signed.strftime("%Y%m%dT%H%M%SZ")
    limit = (now - timedelta(minutes=5)).strftime("%Y%m%dT%H%M%SZ")
    assert error.message == (
        f"Signature expired: {stamp} is now earlier than {limit} ({now.strftime('%Y%m%dT%H%M%SZ')} - 5 min.)"
    )


def test_signature_from_more_than_five_minutes_ahead_is_not_yet_current():
    request = received(sign(headers=FORM))
    signed = signed_at(request)
    check(request, signed - timedelta(minutes=5))
    now = signed - timedelta(minutes=6)
    error = refused(request, "SignatureDoesNotMatch", now)
    limit = (now + timedelta(minutes=5)).strftime("%Y%m%dT%H%M%SZ")
    assert error.message == (
        f"Signature not yet current: {signed.strftime('%Y%m%dT%H%M%SZ')} is still later than {limit} "
        f"({now.strftime('%Y%m%dT%H%M%SZ')} + 5 min.)"
    )


def test_naive_now_is_taken_as_utc():
    request = received(sign(headers=FORM))
    assert check(request, signed_at(request).replace(tzinfo=None)).access_key_id == KEY


# --- credential scope ------------------------------------------------------------------------


def test_scope_date_must_match_the_request_date():
    request = received(sign(headers=FORM))
    authorization = dict(request.headers)["authorization"]
    date = dict(request.headers)["x-amz-date"][:8]
    error = refused(with_header(request, "authorization", authorization.replace(date, "20000101")), "SignatureDoesNotMatch")
    assert error.message == (
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
        f"'20000101' != '{date}', from '{dict(request.headers)['x-amz-date']}'."
    )


def test_scope_must_name_the_addressed_service():
    for signed_for in ("s3", "sts", "IAM", "iam "):
        error = refused(received(sign(service=signed_for)), "SignatureDoesNotMatch")
        assert isinstance(error, ServiceScopeMismatch)
        assert error.message == "Credential should be scoped to correct service: 'iam'. "
        assert (error.scoped, error.addressed, error.access_key_id) == (signed_for, "iam", KEY)
    request = received(sign(service="iam"))
    with pytest.raises(ServiceScopeMismatch, match=r"correct service: 'sts'\. $"):
        check(request, service="sts")
    assert check(request).service == "iam"


@pytest.mark.parametrize(
    "credential, message",
    [
        ("{key}/{date}/us-east-1/iam/aws5_request", "valid terminator: 'aws4_request', not 'aws5_request'."),
        ("{key}/{date}//iam/aws4_request", "Credential should be scoped to a valid region, not ''. "),
    ],
)
def test_malformed_scope_is_refused(credential, message):
    request = received(sign(headers=FORM))
    authorization = dict(request.headers)["authorization"]
    scope = authorization.split("Credential=")[1].split(",")[0]
    bad = credential.format(key=KEY, date=dict(request.headers)["x-amz-date"][:8])
    error = refused(with_header(request, "authorization", authorization.replace(scope, bad)), "SignatureDoesNotMatch")
    assert message in error.message


def test_host_must_be_signed():
    request = received(sign(headers=FORM))
    authorization = dict(request.headers)["authorization"].replace("content-type;host;x-amz-date", "x-amz-date")
    error = refused(with_header(request, "authorization", authorization), "SignatureDoesNotMatch")
    assert error.message == "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."


# --- incomplete and missing authentication ---------------------------------------------------


def test_no_authentication_at_all():
    request = SignedRequest.from_parts("POST", "/", "", [("Host", "localhost:5000")], LIST_USERS)
    error = refused(request, "MissingAuthenticationToken", datetime(2026, 11, 29, tzinfo=timezone.utc))
    assert (error.status, error.message) == (403, "Request is missing Authentication Token")


@pytest.mark.parametrize(
    "authorization, missing",
    [
        ("AWS4-HMAC-SHA256 Credential={scope}", ["Signature", "SignedHeaders"]),
        ("AWS4-HMAC-SHA256 Credential={scope},SignedHeaders=host;x-amz-date", ["Signature"]),
        ("AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc", ["Credential"]),
        ("AWS4-HMAC-SHA256", ["Credential", "Signature", "SignedHeaders"]),
    ],
)
def test_authorization_header_parts_are_required(authorization, missing):
    request = received(sign(headers=FORM))
    scope = dict(request.headers)["authorization"].split("Credential=")[1].split(",")[0]
    value = authorization.format(scope=scope)
    error = refused(with_header(request, "authorization", value), "IncompleteSignature")
    assert error.status == 400
    expected = " ".join(f"Authorization header requires '{name}' parameter." for name in missing)
    assert error.message == f"{expected} Authorization={value}"


def test_a_date_header_is_required():
    request = without_header(received(sign(headers=FORM)), "x-amz-date")
    error = refused(request, "IncompleteSignature", datetime.now(timezone.utc))
    assert "requires existence of either a 'X-Amz-Date' or a 'Date' header." in error.message


def test_tolerant_of_spacing_in_the_authorization_header():
    request = received(sign(headers=FORM))
    compact = dict(request.headers)["authorization"].replace(", ", ",").replace(",", " ,  ")
    assert check(with_header(request, "authorization", compact)).access_key_id == KEY


def test_unsupported_algorithm_is_incomplete():
    request = received(sign(headers=FORM))
    authorization = dict(request.headers)["authorization"].replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512")
    error = refused(with_header(request, "authorization", authorization), "IncompleteSignature")
    assert "'AWS4-HMAC-SHA512'" in error.message


def test_malformed_credential_is_incomplete():
    request = received(sign(headers=FORM))
    authorization = dict(request.headers)["authorization"].replace("/us-east-1/iam", "")
    error = refused(with_header(request, "authorization", authorization), "IncompleteSignature")
    assert error.message.startswith("Credential must have exactly 5 slash-delimited elements")


# --- presigned URLs --------------------------------------------------------------------------


def presigned(**options) -> SignedRequest:
    params = {"Action": "GetCallerIdentity", "Version": "2011-06-15"}
    return received(sign("GET", body=None, params=params, service="sts", presign_for=60, **options))


def test_presigned_url_is_valid_until_it_expires():
    request = presigned()
    signed = signed_at(request)
    result = check(request, signed, service="sts")
    assert result.presigned and result.service == "sts" and result.expires == signed + timedelta(seconds=60)
    assert check(request, signed + timedelta(seconds=60), service="sts").presigned
    error = refused(request, "RequestExpired", signed + timedelta(seconds=61), service="sts")
    assert error.status == 400 and error.message.startswith("Request has expired.")
    refused(request, "SignatureDoesNotMatch", signed - timedelta(minutes=6), service="sts")


def test_presigned_url_carries_its_session_token():
    assert check(presigned(token=TOKEN), service="sts").session_token == TOKEN


def test_presigned_url_parameters_are_signed():
    request = presigned()
    for old, new in [("GetCallerIdentity", "GetSessionToken"), ("X-Amz-Expires=60", "X-Amz-Expires=600")]:
        refused(dataclasses.replace(request, query_string=request.query_string.replace(old, new)),
                "SignatureDoesNotMatch", signed_at(request), service="sts")


@pytest.mark.parametrize(
    "old, new, fragment",
    [
        ("X-Amz-Expires=60", "X-Amz-Expires=604801", "less than a week"),
        ("X-Amz-Expires=60", "X-Amz-Expires=0", "positive integer"),
        ("X-Amz-Expires=60", "X-Amz-Expires=%C2%B2", "positive integer"),
        ("X-Amz-Date=", "X-Amz-Date=2026-11-29T10", "ISO8601 Long Format"),
        ("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA1", "only supports"),
        ("&X-Amz-Signature=", "&X-Amz-Other=", "must include 'X-Amz-Signature'"),
    ],
)
def test_presigned_parameters_are_validated(old, new, fragment):
    request = presigned()
    broken = dataclasses.replace(request, query_string=request.query_string.replace(old, new))
    error = refused(broken, "IncompleteSignature", signed_at(request), service="sts")
    assert fragment in error.message


def test_header_and_query_authentication_together_are_refused():
    request = presigned()
    both = dataclasses.replace(request, headers=request.headers + (("authorization", "AWS4-HMAC-SHA256 x"),))
    refused(both, "IncompleteSignature", signed_at(request), service="sts")


# --- building blocks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, canonical",
    [
        ("", "/"),
        ("/", "/"),
        ("//a//b/", "/a/b/"),
        ("/a/./b/../c", "/a/c"),
        ("/../..", "/"),
        ("/a%20b/%E2%82%AC", "/a%2520b/%25E2%2582%25AC"),
        ("/~user", "/~user"),
    ],
)
def test_canonical_uri(raw, canonical):
    assert canonical_uri(raw) == canonical


def test_remove_dot_segments_keeps_a_trailing_slash():
    assert remove_dot_segments("/a/b/") == "/a/b/"


def test_signing_key_cache_is_bounded_and_least_recently_used():
    cache = SigningKeyCache(2)
    first = cache.signing_key("A", "s", "20261129", "us-east-1", "iam")
    cache.signing_key("B", "s", "20261129", "us-east-1", "iam")
    assert cache.signing_key("A", "s", "20261129", "us-east-1", "iam") is first
    cache.signing_key("C", "s", "20261129", "us-east-1", "iam")
    assert len(cache) == 2
    assert cache.signing_key("A", "s", "20261129", "us-east-1", "iam") is first


# --- properties ------------------------------------------------------------------------------

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_segments = st.lists(st.one_of(_text, st.sampled_from([".", "..", ""])), max_size=5)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    segments=_segments,
    params=st.dictionaries(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8), _text, max_size=4),
    body=st.binary(min_size=1, max_size=200),
    index=st.integers(min_value=0),
    replacement=st.integers(min_value=0, max_value=255),
)
def test_botocore_signed_requests_verify_and_any_body_byte_change_is_refused(segments, params, body, index, replacement):
    url = "http://localhost:5000/" + "/".join(quote(segment, safe="") for segment in segments)
    request = received(sign("POST", url, body=body, params=params))
    assert check(request).access_key_id == KEY
    position = index % len(body)
    if body[position] == replacement:
        replacement = (replacement + 1) % 256
    mutated = body[:position] + bytes([replacement]) + body[position + 1 :]
    refused(dataclasses.replace(request, body=mutated), "SignatureDoesNotMatch", signed_at(request))
