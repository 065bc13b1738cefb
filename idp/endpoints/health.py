"""Liveness and readiness probes: JSON, no secrets.

`/readyz` answers 503 naming the failing check, so a load balancer takes the
instance out of rotation: `database` when it does not answer, `keys` when
there is no current signing or session key (`missing`: bootstrap has not run)
or the stored keys do not decrypt under this instance's master key
(`undecryptable`: IDP_MASTER_KEY differs from the one that wrote them).
"""
from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy.exc import SQLAlchemyError

from idp import work
from idp.errors import ConfigError
from idp.keys import keystore

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz():
    """The process is up."""
    return jsonify(status="ok")


@blueprint.get("/readyz")
def readyz():
    """The database answers and the signing and session keys are loaded."""
    checks = {"database": "ok", "keys": "ok"}
    if not work.database_answers():
        checks["database"] = "unreachable"
        checks["keys"] = "unknown"
    else:
        checks["keys"] = _keys_check()
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503


def _keys_check() -> str:
    store = keystore()
    try:
        store.signing_key()
        store.session_key()
    except (ConfigError, SQLAlchemyError):
        try:
            stored = bool(store.listed())
        except SQLAlchemyError:
            return "missing"
        # Rows that exist but yield no usable key: they were sealed under another master key.
        return "undecryptable" if stored else "missing"
    return "ok"
