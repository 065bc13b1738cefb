"""Encoded authorization messages: why a request was denied, readable only through DecodeAuthorizationMessage.

The message is the JSON AWS decodes to (allowed, explicitDeny,
matchedStatements, failures, context), compressed and sealed with the master
key so only this deployment can open it, then base64url-encoded.
"""
from __future__ import annotations

import base64
import binascii
import json
import zlib
from typing import Mapping

from idp.errors import ClientError, ConfigError
from idp.keys import master_key
from idp.policy import Decision, DecisionEffect

PURPOSE = "authorization-message"
MAX_ENCODED_CHARS = 10_240


def invalid_message() -> ClientError:
    """AWS's answer to a message that was not produced here (or was altered)."""
    return ClientError("The message is invalid or was not issued by this service.",
                       code="InvalidAuthorizationMessageException", status=400)


def message(decision: Decision, context: Mapping[str, object] | None = None) -> dict:
    """The decoded form AWS documents for `decision` (its request supplies principal, action, resource, keys)."""
    request = decision.request
    keys = dict(request.keys.items()) if request is not None else {}
    keys.update(context or {})
    statements = [
        {"statementId": ref.sid or f"Statement[{ref.index}]", "effect": ref.effect.value.upper(),
         "policy": ref.policy_id, "policyType": ref.policy_type.value}
        for ref in decision.statements
    ]
    principal = request.principal if request is not None else None
    return {
        "allowed": decision.allowed,
        "explicitDeny": decision.effect is DecisionEffect.EXPLICIT_DENY,
        "matchedStatements": {"items": statements},
        "failures": {"items": []},
        "context": {
            "principal": {"id": principal.user_id, "arn": principal.arn} if principal else {},
            "action": request.action if request is not None else "",
            "resource": request.resource if request is not None else "",
            "conditions": {"items": [
                {"key": key, "values": {"items": [{"value": item} for item in
                                                  (value if isinstance(value, (list, tuple)) else [value])]}}
                for key, value in sorted(keys.items())
            ]},
        },
        "account": principal.account if principal else "",
    }


def encode(decision: Decision, context: Mapping[str, object] | None = None) -> str:
    """`decision` as an opaque encoded message, sealed with the master key."""
    body = zlib.compress(json.dumps(message(decision, context), separators=(",", ":")).encode(), 9)
    return base64.urlsafe_b64encode(master_key().seal(body, PURPOSE)).rstrip(b"=").decode("ascii")


def decode(encoded: str, account_id: str | None = None) -> dict:
    """The message sealed in `encoded`; only a principal of the message's account may read it."""
    if not encoded or len(encoded) > MAX_ENCODED_CHARS:
        raise invalid_message()
    try:
        sealed = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        loaded = json.loads(zlib.decompress(master_key().open(sealed, PURPOSE)))
    except (binascii.Error, ValueError, ConfigError, zlib.error):
        raise invalid_message() from None
    if account_id is not None and loaded.pop("account", None) != account_id:
        raise invalid_message()
    loaded.pop("account", None)
    return loaded
