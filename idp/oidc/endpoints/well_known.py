"""Discovery and JWKS answered from bytes in front of Flask (WSGI middleware), for the request rates RPs put on them.

Only a plain `GET` of the three well-known paths is answered here; anything
else (other methods, a query string, a keystore that has no keys yet because
the server has not bootstrapped) falls through to the Flask routes in
`discovery.py`, which produce the same documents. The JWKS bytes are
re-serialized only when the keystore's key set object changes (on reload).
"""
from __future__ import annotations

import json
import threading

from flask import Flask

from idp.keys import keystore
from idp.oidc.endpoints.discovery import (
    DISCOVERY_MAX_AGE,
    JWKS_MAX_AGE,
    provider_metadata,
)

DISCOVERY_PATHS = frozenset({"/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"})
JWKS_PATH = "/.well-known/jwks.json"


class WellKnown:
    """The middleware: `app.wsgi_app = WellKnown(app, app.wsgi_app)`."""

    def __init__(self, app: Flask, wrapped):
        self.app, self.wrapped = app, wrapped
        settings = app.config["IDP_SETTINGS"]
        self.discovery = json.dumps(provider_metadata(settings.issuer, settings.dynamic_registration),
                                    separators=(",", ":")).encode()
        self._jwks: tuple[object, bytes] | None = None
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET" and not environ.get("QUERY_STRING"):
            path = environ.get("PATH_INFO")
            if path in DISCOVERY_PATHS:
                return _send(start_response, self.discovery, DISCOVERY_MAX_AGE)
            if path == JWKS_PATH:
                body = self._jwks_bytes()
                if body is not None:
                    return _send(start_response, body, JWKS_MAX_AGE)
        return self.wrapped(environ, start_response)

    def _jwks_bytes(self) -> bytes | None:
        with self.app.app_context():
            document = keystore().jwks()
        if not document.get("keys"):
            return None
        cached = self._jwks
        if cached is None or cached[0] is not document:
            with self._lock:
                cached = self._jwks = (document, json.dumps(document, separators=(",", ":")).encode())
        return cached[1]


def _send(start_response, body: bytes, max_age: int):
    start_response("200 OK", [
        ("Content-Type", "application/json"), ("Content-Length", str(len(body))),
        ("Cache-Control", f"public, max-age={max_age}"), ("X-Content-Type-Options", "nosniff"),
        # Public documents: browser-based relying parties read them cross-origin.
        ("Access-Control-Allow-Origin", "*"),
    ])
    return [body]
