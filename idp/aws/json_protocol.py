"""The AWS JSON 1.1 protocol at `POST /`: `X-Amz-Target: <service prefix>.<Operation>`, a JSON body in and out.

The Query endpoint (`idp.aws.api`) hands a request carrying `X-Amz-Target`
here. The target names the service (CloudTrail's
`com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101`, ...) and so the
service the SigV4 scope must name; the request is authenticated by the shared
verifier before anything says whether the operation exists, as AWS does, and
every operation must ask the shared authorizer. Errors are rendered once,
here, as `{"__type": "...", "message": "..."}`, which botocore reads.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from flask import Response, g, request

from idp import json_input, metrics
from idp.authz import credentials
from idp.authz.authorizer import authorize
from idp.authz.principals import Caller
from idp.authz.sigv4 import SignedRequest
from idp.errors import ClientError, IdpError, TooManyRequests

TARGET_HEADER = "X-Amz-Target"
CONTENT_TYPES = ("application/x-amz-json-1.1", "application/x-amz-json-1.0")
# The Query protocol's codes -> the words JSON services use for the same errors.
JSON_CODES = {
    "AccessDenied": "AccessDeniedException",
    "ValidationError": "ValidationException",
    "MissingParameter": "ValidationException",
    "Throttling": "ThrottlingException",
    "InvalidAction": "UnknownOperationException",
}


@dataclass
class JsonCall:
    """One JSON 1.1 request: its caller, its body, and whether it asked the authorizer."""

    service: str
    operation: str
    caller: Caller
    body: dict[str, Any]
    authorized: bool = False

    @property
    def account_id(self) -> str:
        """The caller's account: the one its operations read and write."""
        return self.caller.account_id

    def authorize(self, resource: str = "*", *, action: str | None = None) -> None:
        """Ask the shared authorizer for `<service>:<Operation>`; AccessDenied with AWS's reason."""
        authorize(self.caller, action or f"{self.service}:{self.operation}", resource)
        self.authorized = True

    def member(self, name: str, kind: type | tuple[type, ...], *, default: Any = None) -> Any:
        """A top-level member of the body, of the JSON type the service model gives it."""
        value = self.body.get(name)
        if value is None:
            return default
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise invalid_member(name)
        return value

    def timestamp(self, name: str) -> datetime | None:
        """A timestamp member: epoch seconds, as botocore sends them (ISO 8601 taken too)."""
        value = self.body.get(name)
        if value is None:
            return None
        try:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return datetime.fromtimestamp(value, timezone.utc)
            if isinstance(value, str):
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
                return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
        except (ValueError, OverflowError, OSError):
            pass
        raise invalid_member(name)


def invalid_member(name: str) -> ClientError:
    """The error a member of the wrong JSON type gets (botocore validates most before sending)."""
    return ClientError(f"1 validation error detected: Value at '{name}' has the wrong type", code="ValidationException")


Operation = Callable[[JsonCall], "dict | None"]


@dataclass
class JsonService:
    """One service on the JSON protocol: its target prefix, its SigV4 signing name, its operations."""

    target_prefix: str
    signing_name: str
    operations: dict[str, Operation] = field(default_factory=dict)


SERVICES: dict[str, JsonService] = {}


def json_operation(target_prefix: str, signing_name: str, name: str):
    """Register `function(call) -> result dict` as `X-Amz-Target: <target_prefix>.<name>`."""
    service = SERVICES.setdefault(target_prefix, JsonService(target_prefix, signing_name))

    def register(function: Operation) -> Operation:
        service.operations[name] = function
        return function

    return register


def is_json_request() -> bool:
    """Whether the request at `POST /` speaks the JSON protocol."""
    return TARGET_HEADER in request.headers


def dispatch(signed: SignedRequest) -> Response:
    """Authenticate for the target's service, run its operation (the unit of work commits), answer JSON."""
    prefix, _, name = request.headers[TARGET_HEADER].rpartition(".")
    service = SERVICES.get(prefix)
    if service is None:
        raise ClientError(f"Unknown target {request.headers[TARGET_HEADER][:256]!r}", code="UnknownOperationException")
    operation = service.operations.get(name)
    metrics.name_operation(f"{service.signing_name}:{name}" if operation is not None else "")
    caller = credentials.authenticate(signed, service.signing_name, unsigned_payload=False,
                                      action=f"{service.signing_name}:{name}" if operation else None)
    if operation is None:
        raise ClientError(f"Unknown operation {name[:128]!r}", code="UnknownOperationException")
    call = JsonCall(service.signing_name, name, caller, _body())
    result = operation(call)
    if not call.authorized:
        raise AssertionError(f"{service.signing_name}:{name} returned without asking the authorizer")
    return Response(json.dumps(_wire(result or {}), separators=(",", ":")), mimetype=CONTENT_TYPES[0])


def _body() -> dict[str, Any]:
    if request.mimetype not in CONTENT_TYPES:
        raise ClientError(f"Content-Type must be {CONTENT_TYPES[0]}", code="SerializationException")
    raw = request.get_data(cache=True)
    try:
        body = json_input.loads(raw) if raw.strip() else {}
    except ValueError:
        raise ClientError("The request body is not valid JSON", code="SerializationException") from None
    if not isinstance(body, dict):
        raise ClientError("The request body must be a JSON object", code="SerializationException")
    return body


def _wire(value: Any) -> Any:
    """Timestamps as epoch seconds (the JSON protocol's default); None members left out."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_wire(v) for v in value]
    return value


def render_error(error: IdpError) -> Response:
    """`{"__type", "message"}` with the error's status, as JSON services answer."""
    if error.sender_fault:
        code, message = JSON_CODES.get(error.code, error.code), error.message
    else:
        code, message = "InternalFailure", "The request processing has failed because of an unknown error."
    response = Response(json.dumps({"__type": code, "message": message}), status=error.status,
                        mimetype=CONTENT_TYPES[0])
    response.headers["x-amzn-RequestId"] = g.get("request_id", "")
    if isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


from idp.aws import cloudtrail  # noqa: E402,F401  (registers the CloudTrail operations)
from idp.aws import organizations  # noqa: E402,F401  (registers the Organizations operations)
