"""The shared authorizer for resource servers, in-process: a signed request or bearer token -> a decision.

`authorize_request` runs inside an app context of `idp.create_app(...)` (or of
an app bound to the same database). The SigV4 credential scope's service must
be the action's service prefix: a resource server signs as itself (`notes`).
A bearer token is accepted only with `audience=` (the registered API the
resource server is), and then decided within its scopes (`idp.authz.tokens`);
a refused token is audited (`authz:RefuseBearerToken`).
"""
from __future__ import annotations

import json
import re
from typing import Mapping

from idp import audit, json_input
from idp.authz import credentials
from idp.authz.authorizer import decide
from idp.authz.policy_store import parsed, refusing_malformed
from idp.authz.principals import Caller
from idp.authz.sigv4 import SignedRequest
from idp.authz.tokens import (
    AUDIENCE_KEY,
    CLIENT_ID_KEY,
    SCOPE_KEY,
    TokenIdentity,
    identity_for_token,
)
from idp.errors import AuthenticationError, ValidationError
from idp.policy import Decision, Policy, PolicyKind

_ACTION = re.compile(r"([a-z0-9-]{1,64}):([A-Za-z0-9-]{1,128})", re.ASCII)
# Keys the authorizer derives from the caller and the clock; a resource server may not supply them.
_DERIVED_PREFIXES = (
    "aws:principal", "aws:userid", "aws:username", "aws:tokenissuetime", "aws:multifactorauth",
    "aws:sourceidentity", "aws:federatedprovider", "aws:currenttime", "aws:epochtime", "aws:viamethod",
    "aws:calledvia", "sts:", CLIENT_ID_KEY.lower(), SCOPE_KEY.lower(), AUDIENCE_KEY.lower(),
)
MAX_CONTEXT_KEYS = 100
MAX_RESOURCE_CHARS = 2048
RESOURCE_POLICY_ID = "resource-policy"


class AuthorizationResult:
    """Allow or Deny, who asked, and AWS's sentence saying why (formatted only when read)."""

    __slots__ = ("decision", "principal", "_reason", "encoded_message")

    def __init__(self, decision: str, principal: dict[str, str], reason: str | Decision,
                 encoded_message: str | None = None):
        self.decision = decision  # "Allow" | "Deny"
        self.principal = principal  # arn, account, type, user_id
        self._reason = reason
        self.encoded_message = encoded_message

    @property
    def allowed(self) -> bool:
        """True only for Allow."""
        return self.decision == "Allow"

    @property
    def reason(self) -> str:
        """The engine's AWS-style sentence."""
        if isinstance(self._reason, Decision):
            self._reason = self._reason.reason
        return self._reason

    def as_json(self) -> dict:
        """The `POST /authorize` answer."""
        body = {"decision": self.decision, "principal": self.principal, "reason": self.reason}
        if self.encoded_message is not None:
            body["encoded_message"] = self.encoded_message
        return body

    def __repr__(self) -> str:
        return f"AuthorizationResult({self.decision}, {self.principal.get('arn')!r})"


def authorize_request(
    action: str,
    resource: str,
    *,
    signed: SignedRequest | None = None,
    token: str | None = None,
    context: Mapping[str, object] | None = None,
    resource_policy: str | Mapping | None = None,
    audience: str | None = None,
) -> AuthorizationResult:
    """Authenticate the request (SigV4, or a bearer JWT for the API `audience`) and decide `action` on `resource`.

    Raises `AuthenticationError` when the credentials do not authenticate (a
    bearer token without `audience`, or whose `aud` lacks it, or revoked) and
    `ValidationError`/`MalformedPolicyDocument` for a malformed question.

    The decision and any refusal are noted for the audit log (`audit.note`):
    call it inside a unit of work (`idp.work.unit_of_work()`; the views of
    `create_app` and the `require` decorators already are one), or they are
    never written.
    """
    service = _service_of(action)
    if not isinstance(resource, str) or not resource or len(resource) > MAX_RESOURCE_CHARS:
        raise ValidationError(f"resource must be a non-empty string of at most {MAX_RESOURCE_CHARS} characters")
    keys = _checked_context(context)
    policies = (resource_policy_of(resource_policy),) if resource_policy is not None else ()
    if (signed is None) == (token is None):
        raise ValidationError("exactly one of a signed request or a bearer token is required")
    if signed is not None:
        caller = credentials.authenticate(signed, service, action=action, unsigned_payload=True)
        decision = decide(caller, action, resource, context=keys, resource_policies=policies)
        return _result(caller, decision)
    identity = bearer_identity(token, audience, action, resource)
    keys.update(identity.context)
    decision = decide(identity.caller, action, resource, context=keys, resource_policies=policies,
                      bound=identity.bound)
    return _result(identity.caller, decision)


def bearer_identity(token: str, audience: str | None, action: str, resource: str) -> TokenIdentity:
    """The bounded session a bearer token stands for; a token that does not authenticate is audited, then raised."""
    try:
        return identity_for_token(token, audience)
    except AuthenticationError as error:
        # Verified claims (wrong audience, revoked) name the client and subject; a forged token names no one.
        claims = getattr(error, "claims", None) or {}
        account = claims.get("account") if isinstance(claims.get("account"), str) else None
        entry = {"actor": str(claims["client_id"]) if "client_id" in claims else None,
                 "action": "authz:RefuseBearerToken", "resource": resource, "decision": "Deny",
                 "account_id": account, "detail": {"reason": error.message, "audience": audience,
                                                   "requested_action": action, "sub": claims.get("sub"),
                                                   "jti": claims.get("jti")}}
        audit.note(entry.pop("action"), **entry)
        raise


def _service_of(action: object) -> str:
    match = _ACTION.fullmatch(action) if isinstance(action, str) else None
    if match is None:
        raise ValidationError(f"action must look like 'service:Verb', got {action!r}")
    return match.group(1)


def _checked_context(context: Mapping[str, object] | None) -> dict[str, object]:
    if context is None:
        return {}
    if not isinstance(context, Mapping) or len(context) > MAX_CONTEXT_KEYS:
        raise ValidationError(f"context must be an object of at most {MAX_CONTEXT_KEYS} keys")
    for key, value in context.items():
        if not isinstance(key, str) or not key or ":" not in key:
            raise ValidationError(f"context key {key!r} must look like 'prefix:name'")
        if key.lower().startswith(_DERIVED_PREFIXES):
            raise ValidationError(f"context key {key} is derived from the caller and cannot be supplied")
        scalars = value if isinstance(value, list) else [value]
        if not all(isinstance(item, (str, int, float, bool)) for item in scalars):
            raise ValidationError(f"context key {key} must be a string, number, boolean or a list of them")
    return dict(context)


def resource_policy_of(document: str | Mapping) -> Policy:
    """A resource server's policy for the resource, parsed (and cached) as a resource-based policy."""
    text = document if isinstance(document, str) else json.dumps(document, sort_keys=True)
    try:
        loaded = json_input.loads(text)
    except ValueError:
        loaded = None
    policy_id = loaded.get("Id") if isinstance(loaded, dict) else None
    with refusing_malformed():
        return parsed(text, PolicyKind.RESOURCE, policy_id if isinstance(policy_id, str) else RESOURCE_POLICY_ID)


def _result(caller: Caller, decision: Decision) -> AuthorizationResult:
    principal = caller.principal
    summary = {"arn": principal.arn, "account": principal.account, "type": principal.type.value,
               "user_id": principal.user_id}
    if decision.allowed:
        return AuthorizationResult("Allow", summary, decision)
    return AuthorizationResult("Deny", summary, decision, _encoded(caller, decision))


def _encoded(caller: Caller, decision: Decision) -> str | None:
    try:  # DecodeAuthorizationMessage arrives with the STS work; until then there is nothing to encode.
        from idp.authz.authorization_messages import encode
    except ImportError:
        return None
    return encode(decision)
