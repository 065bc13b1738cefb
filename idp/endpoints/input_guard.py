"""One rule at the edge for every protocol: no request value carries the NUL character.

No identifier, name, URI or document of this product may hold U+0000, and
PostgreSQL cannot even store or compare it (a lookup by such a value fails
inside the database, a server error). So the path, the query, form fields and
every string and key of a JSON body are checked before any view runs; a NUL
is a `ValidationError`, rendered by the protocol's own renderer; only its
audit row is written (committed by a unit of work of its own: the hook runs
before the view's).
"""
from __future__ import annotations

from flask import request

from idp import audit, work
from idp.errors import ValidationError

NUL = "\x00"
MESSAGE = "Request values may not contain the NUL character."


def refuse_nul() -> None:
    """`before_request` hook: ValidationError when the request carries a NUL anywhere a view would read it."""
    if request.blueprint is None:
        return  # no view matched (404/405 follow): nothing reads the values, and no protocol renders errors here
    if NUL in request.path or any(NUL in key or NUL in value for key, value in request.args.items(multi=True)):
        _refuse("query")
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        request.get_data(cache=True)  # the raw body stays readable: SigV4 hashes exactly what arrived
        if any(NUL in key or NUL in value for key, value in request.form.items(multi=True)):
            _refuse("form")
    if request.is_json and _holds_nul(request.get_json(silent=True, cache=True)):
        _refuse("json")


def _refuse(where: str) -> None:
    # A before_request hook runs before the view's unit of work opens: the refusal is a unit of its own, which
    # writes the noted row and commits it (nothing else is pending yet), then lets the error reach the renderer.
    with work.unit_of_work():
        audit.note("request:RefuseInput", decision="Deny", resource=request.path.replace(NUL, "\\0")[:512],
                   detail={"reason": "nul_character", "in": where})
        raise ValidationError(MESSAGE)


def _holds_nul(value: object) -> bool:
    pending = [value]
    while pending:  # iterative: a JSON body may nest as deep as the parser allows
        item = pending.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, dict):
            if any(isinstance(key, str) and NUL in key for key in item):
                return True
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False
