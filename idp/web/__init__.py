"""Browser-facing pages: login, MFA, consent, account self-service."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Security headers, cookie flags and CSRF for every page, and the sign-in/account blueprint."""
    from idp.web import account, security, views  # noqa: F401 - account adds its routes to views.blueprint

    security.init_app(app)
    app.register_blueprint(views.blueprint)
