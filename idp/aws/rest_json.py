"""Access Analyzer's rest-json protocol: `POST /policy/validation`, the policy checks, analyzers and findings.

Paths, members and error shapes follow botocore's `accessanalyzer` service
model (2019-11-01), so `boto3.client("accessanalyzer", endpoint_url=...)`
works unchanged. Every request is SigV4-signed for the service
`access-analyzer`, authenticated by the shared verifier and authorized by the
shared authorizer (`access-analyzer:ValidatePolicy`, ...). Errors are rendered
once, here, as `{"message": ...}` with the `x-amzn-ErrorType` header.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from flask import Blueprint, Response, current_app, jsonify, request

from idp.analyzer import catalog as analyzer_catalog
from idp.analyzer import checks, validation
from idp.authz import credentials
from idp.authz.authorizer import authorize
from idp.authz.credentials import signed_request
from idp.authz.principals import Caller
from idp.errors import (
    AccessDenied,
    AuthenticationError,
    ClientError,
    Conflict,
    IdpError,
    MalformedPolicyDocument,
    NotFound,
    TooManyRequests,
    Unprocessable,
    ValidationError,
)

blueprint = Blueprint("access_analyzer", __name__)
SIGNING_SERVICE = "access-analyzer"
MAX_DOCUMENT_CHARS = 200_000


@dataclass
class RestCall:
    """One rest-json request: its caller, JSON body, query string, and whether it asked the authorizer."""

    caller: Caller
    body: dict[str, Any]
    query: dict[str, str]
    authorized: bool = False

    def authorize(self, action: str, resource: str = "*") -> None:
        """Ask the shared authorizer for `access-analyzer:<action>`; AccessDenied with AWS's reason."""
        authorize(self.caller, f"{SIGNING_SERVICE}:{action}", resource)
        self.authorized = True

    def string(self, name: str, *, required: bool = True, choices: tuple[str, ...] | None = None) -> str | None:
        """A string member, validated as the service model says."""
        value = self.body.get(name, self.query.get(name))
        if value is None:
            if required:
                raise ValidationError(f"1 validation error detected: Value null at '{name}' failed to satisfy "
                                      "constraint: Member must not be null")
            return None
        if not isinstance(value, str):
            raise ValidationError(f"1 validation error detected: Value at '{name}' must be a string")
        if choices is not None and value not in choices:
            raise ValidationError(f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy "
                                  f"constraint: Member must satisfy enum value set: [{', '.join(choices)}]")
        return value

    def document(self, name: str) -> str:
        """A policy document member (a JSON string), bounded in size."""
        text = self.string(name)
        if len(text) > MAX_DOCUMENT_CHARS:
            raise ValidationError(f"1 validation error detected: Value at '{name}' failed to satisfy constraint: "
                                  f"Member must have length less than or equal to {MAX_DOCUMENT_CHARS}")
        return text


Handler = Callable[..., "dict | None"]
# IdpError class -> (x-amzn-ErrorType, status)
ERROR_SHAPES: tuple[tuple[type[IdpError], str, int], ...] = (
    (AccessDenied, "AccessDeniedException", 403),
    (NotFound, "ResourceNotFoundException", 404),
    (Conflict, "ConflictException", 409),
    (TooManyRequests, "ThrottlingException", 429),
    (MalformedPolicyDocument, "InvalidParameterException", 400),
    (Unprocessable, "UnprocessableEntityException", 422),
    (ClientError, "ValidationException", 400),
)


@blueprint.errorhandler(IdpError)
def _render(error: IdpError) -> Response:
    if isinstance(error, AuthenticationError):
        shape, status = error.code, error.status
    else:
        shape, status = next(((name, code) for kind, name, code in ERROR_SHAPES if isinstance(error, kind)),
                             ("InternalServerException", 500))
    body: dict[str, Any] = {"message": error.message if error.sender_fault else "Internal server error"}
    if shape == "ValidationException":
        body["reason"] = "fieldValidationFailed"
    if shape in ("ResourceNotFoundException", "ConflictException"):
        body.update(resourceId=getattr(error, "resource_id", ""), resourceType=getattr(error, "resource_type", ""))
    response = jsonify(body)
    response.status_code = status
    response.headers["x-amzn-ErrorType"] = shape
    if isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def rest_action(method: str, rule: str, name: str):
    """Serve `handler(call, **path_params) -> dict` as the Access Analyzer operation `name`."""

    def register(handler: Handler) -> Handler:
        def view(**path_params: str) -> Response:
            signed = signed_request()
            caller = credentials.authenticate(signed, SIGNING_SERVICE, action=f"{SIGNING_SERVICE}:{name}",
                                             unsigned_payload=False)
            body = request.get_json(silent=True) if request.get_data(cache=True) else {}
            if not isinstance(body, dict):
                raise ValidationError("The request body must be a JSON object")
            call = RestCall(caller, body, request.args.to_dict())
            result = handler(call, **path_params)  # committed by the request's unit of work (`idp.work`)
            if not call.authorized:
                raise AssertionError(f"{name} returned without asking the authorizer")
            return jsonify(_wire(result or {}))

        view.__name__ = name
        blueprint.add_url_rule(rule, endpoint=name, view_func=view, methods=[method])
        return handler

    return register


def _wire(value: Any) -> Any:
    """Timestamps as ISO 8601 (the model's timestampFormat); everything else as is."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_wire(v) for v in value]
    return value


def _catalog():
    return analyzer_catalog.for_app(current_app)


@rest_action("POST", "/policy/validation", "ValidatePolicy")
def validate_policy(call: RestCall) -> dict:
    """ValidatePolicy: findings for one document."""
    call.authorize("ValidatePolicy")
    text = call.document("policyDocument")
    policy_type = call.string("policyType", choices=validation.POLICY_TYPES)
    resource_type = call.string("validatePolicyResourceType", required=False, choices=validation.RESOURCE_TYPES)
    findings = [finding.as_json() for finding in validation.validate_policy(text, policy_type, resource_type,
                                                                           _catalog())]
    try:
        start, size = int(call.query.get("nextToken") or 0), int(call.query.get("maxResults") or len(findings) or 1)
    except ValueError:
        raise ValidationError("nextToken and maxResults must be numbers") from None
    page = findings[start:start + max(size, 1)]
    more = start + len(page) < len(findings)
    return {"findings": page, "nextToken": str(start + len(page)) if more else None}


@rest_action("POST", "/policy/check-no-new-access", "CheckNoNewAccess")
def check_no_new_access(call: RestCall) -> dict:
    """CheckNoNewAccess: does the new document grant anything the existing one does not."""
    call.authorize("CheckNoNewAccess")
    policy_type = call.string("policyType", choices=checks.POLICY_TYPES)
    result = checks.check_no_new_access(call.document("existingPolicyDocument"), call.document("newPolicyDocument"),
                                        policy_type, _catalog())
    return result.as_json()


@rest_action("POST", "/policy/check-access-not-granted", "CheckAccessNotGranted")
def check_access_not_granted(call: RestCall) -> dict:
    """CheckAccessNotGranted: does the document grant any of these actions / resources."""
    call.authorize("CheckAccessNotGranted")
    policy_type = call.string("policyType", choices=checks.POLICY_TYPES)
    access = call.body.get("access")
    if not isinstance(access, list) or len(access) != 1 or not isinstance(access[0], dict):
        raise ValidationError("1 validation error detected: Value at 'access' failed to satisfy constraint: "
                              "Member must have length 1")
    actions, resources = access[0].get("actions") or [], access[0].get("resources") or []
    if not all(isinstance(item, str) for item in (*actions, *resources)) or not (actions or resources):
        raise ValidationError("access must name actions and/or resources as strings")
    result = checks.check_access_not_granted(call.document("policyDocument"), actions, resources, policy_type,
                                             _catalog())
    return result.as_json()


@rest_action("POST", "/policy/check-no-public-access", "CheckNoPublicAccess")
def check_no_public_access(call: RestCall) -> dict:
    """CheckNoPublicAccess: does the resource policy let anyone in."""
    call.authorize("CheckNoPublicAccess")
    resource_type = call.string("resourceType")
    result = checks.check_no_public_access(call.document("policyDocument"), resource_type, _catalog())
    return result.as_json()


from idp.aws import rest_json_analyzers  # noqa: E402,F401  (registers the analyzer and finding operations)
