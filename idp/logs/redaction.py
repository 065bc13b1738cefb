"""The processor that keeps secrets out of every log line, by key name and by the shape of the value.

It runs last before rendering, on structlog events and on records of the
standard library's `logging` alike, so a secret logged by any library (a
request line with a presigned URL, an exception message quoting a token) is
caught as well as one logged by key.
"""
from __future__ import annotations

import functools
import re
from typing import Any

REDACTED = "[REDACTED]"

# Normalised key names (lower case, letters and digits only) that always hold a secret.
SENSITIVE_KEYS = frozenset({
    "code", "password", "newpassword", "oldpassword", "secret", "clientsecret", "secretaccesskey",
    "sessiontoken", "securitytoken", "token", "accesstoken", "refreshtoken", "idtoken", "subjecttoken",
    "actortoken", "logouttoken", "devicecode", "codeverifier", "assertion", "clientassertion", "samlresponse",
    "authorization", "cookie", "setcookie", "signature", "privatekey", "masterkey", "otp", "totp",
    "authenticationcode1", "authenticationcode2", "recoverycode", "csrftoken",
})
# Any key that contains one of these words is treated as sensitive too (`x-amz-security-token`, `bind_password`).
SENSITIVE_WORDS = ("password", "passwd", "secret", "token", "cookie", "authorization", "privatekey", "credential")

# A JWT (ID, access, logout tokens, client assertions): three base64url segments, the first a JSON header.
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
# An access key id next to its secret (`AKIA... / wJalr...`): keep the id, hide the secret.
KEY_PAIR = re.compile(r"\b((?:AKIA|ASIA)[A-Z0-9]{16})([\s:=,;/|\"']+)([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])")
# A bare secret access key: 40 characters of base64 with upper, lower case and a digit.
SECRET_ACCESS_KEY = re.compile(r"(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]*[0-9])(?=[A-Za-z0-9/+]*[a-z])"
                               r"(?=[A-Za-z0-9/+]*[A-Z])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
# Our opaque tokens (refresh tokens, codes, client secrets, session ids: 43 characters of base64url) and
# session tokens (longer): any run of 40 or more base64url characters. Request ids (36) stay readable.
OPAQUE_TOKEN = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{40,}(?![A-Za-z0-9_-])")
# `password=...`, `"client_secret": "..."` written inside a message.
ASSIGNMENT = re.compile(
    r"(?i)((?:password|passwd|secret|token|authorization|cookie|verifier|(?<![a-z0-9_])code)[\"']?\s*[:=]\s*[\"']?)"
    r"(?:Bearer\s+|Basic\s+|AWS4-HMAC-SHA256\s+)?[^\s\"',;&]+"
)

# One cheap scan first: most values (ARNs, actions, paths, ids) can hold none of the shapes above.
SUSPECT = re.compile(r"(?i)eyJ|[A-Za-z0-9_/+-]{40}|password|passwd|secret|token|authorization|cookie|verifier|code")


@functools.lru_cache(maxsize=1024)
def is_sensitive_key(key: object) -> bool:
    """Whether a field of this name holds a secret whatever its value looks like."""
    normalised = re.sub(r"[^a-z0-9]", "", str(key).lower())
    return normalised in SENSITIVE_KEYS or any(word in normalised for word in SENSITIVE_WORDS)


def redact_text(text: str) -> str:
    """`text` with every value shaped like one of our secrets replaced."""
    if not SUSPECT.search(text):
        return text
    text = JWT.sub(REDACTED, text)
    text = KEY_PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = ASSIGNMENT.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    text = SECRET_ACCESS_KEY.sub(REDACTED, text)
    return OPAQUE_TOKEN.sub(REDACTED, text)


def redact_value(value: Any) -> Any:
    """A value with secrets removed, recursing into mappings and sequences."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: REDACTED if is_sensitive_key(k) else redact_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [redact_value(item) for item in value]
    if isinstance(value, (bytes, bytearray)):
        return REDACTED
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return redact_text(str(value))  # rendered as text anyway; an object's repr may quote a secret


def redact_secrets(_logger: object, _method: str, event_dict: dict) -> dict:
    """structlog processor: drop sensitive keys' values and secret-shaped text from the event."""
    return {key: REDACTED if is_sensitive_key(key) and key != "event" else redact_value(value)
            for key, value in event_dict.items()}
