"""Liveness and readiness probes: JSON, no secrets."""
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
    """The database answers and the signing keys are loaded."""
    checks = {"database": "ok", "keys": "ok"}
    if not work.database_answers():
        checks["database"] = "unreachable"
    else:
        try:
            keystore().signing_key()
        except (ConfigError, SQLAlchemyError):
            checks["keys"] = "missing"
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503
