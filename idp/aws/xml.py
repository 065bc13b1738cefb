"""AWS Query protocol XML: the one place that builds response and error bodies."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any
from xml.sax.saxutils import escape

from flask import Response

from idp.errors import IdpError, TooManyRequests

XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'
# Characters XML 1.0 (2.2 Char) cannot hold, escaped or not: most C0 controls, surrogates, U+FFFE/FFFF.
NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _escape(text: str) -> str:
    """`text` as XML element content: `&<>` escaped, characters XML 1.0 cannot carry at all replaced by U+FFFD."""
    # Most values (names, ids, ARNs) need no escaping; checking first is cheaper than three replaces.
    if not text.isprintable():  # rare: a control character (or tab, newline) echoed from a request
        text = NOT_XML.sub("\ufffd", text)
    if "&" in text or "<" in text or ">" in text:
        return escape(text)
    return text


def _render(name: str, value: Any, out: list[str]) -> None:
    """Append one value: dicts become nested elements, lists become `<member>`s."""
    if value is None:
        return
    if isinstance(value, dict):
        out.append(f"<{name}>")
        for key, item in value.items():
            _render(key, item, out)
        out.append(f"</{name}>")
        return
    if isinstance(value, (list, tuple)):
        out.append(f"<{name}>")
        for item in value:
            _render("member", item, out)
        out.append(f"</{name}>")
        return
    if type(value) is str:
        body = _escape(value)
    elif isinstance(value, bool):
        body = "true" if value else "false"
    elif isinstance(value, datetime):
        body = value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    else:
        body = _escape(str(value))
    out.append(f"<{name}>{body}</{name}>")


def _element(name: str, value: Any) -> str:
    """Render one value as XML text (empty for None)."""
    out: list[str] = []
    _render(name, value, out)
    return "".join(out)


def render_result(action: str, namespace: str, result: dict | None, request_id: str) -> Response:
    """`<ActionResponse><ActionResult>...</ActionResult><ResponseMetadata/>` as AWS sends it."""
    result_xml = _element(f"{action}Result", result or {}) if result is not None else ""
    body = (
        f'{XML_HEADER}<{action}Response xmlns="{namespace}">{result_xml}'
        f"<ResponseMetadata><RequestId>{escape(request_id)}</RequestId></ResponseMetadata>"
        f"</{action}Response>"
    )
    return Response(body, status=200, mimetype="text/xml")


def render_error(error: IdpError, namespace: str, request_id: str) -> Response:
    """AWS's `ErrorResponse` with Type (Sender/Receiver), Code and Message."""
    fault = "Sender" if error.sender_fault else "Receiver"
    status, message = error.status, error.message
    if isinstance(error, TooManyRequests):
        status, message = 400, "Rate exceeded"  # what IAM and STS answer when throttled (Query protocol)
    body = (
        f'{XML_HEADER}<ErrorResponse xmlns="{namespace}">'
        f"<Error><Type>{fault}</Type><Code>{_escape(error.code)}</Code>"
        f"<Message>{_escape(message)}</Message></Error>"
        f"<RequestId>{escape(request_id)}</RequestId></ErrorResponse>"
    )
    response = Response(body, status=status, mimetype="text/xml")
    if isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = str(error.retry_after)
    return response
