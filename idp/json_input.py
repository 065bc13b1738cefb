"""JSON from outside: nesting too deep for Python to decode is malformed JSON like any other.

`json.loads` raises RecursionError (not ValueError) for about a thousand nested
arrays, which a 2 KB body carries; every parser of untrusted JSON goes through
`loads` here (and Flask's `request.get_json` through `JsonProvider`), so such a
body is refused as malformed instead of answering 500.
"""
from __future__ import annotations

import json
from typing import Any

from flask.json.provider import DefaultJSONProvider


def loads(text: str | bytes, **kwargs: Any) -> Any:
    """`json.loads`, with nesting too deep to decode raised as ValueError."""
    try:
        return json.loads(text, **kwargs)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


class JsonProvider(DefaultJSONProvider):
    """Flask's JSON provider whose `loads` is `idp.json_input.loads`: `get_json(silent=True)` answers None."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s, **kwargs)
