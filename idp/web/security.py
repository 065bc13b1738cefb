"""Browser hardening shared by every page: cookie flags, security headers, CSRF.

Cookies: `__Host-` prefixed and `Secure` whenever the issuer is not plain
http on a loopback host (browsers refuse a `__Host-` cookie without
`Secure`, and a development server on 127.0.0.1 has no TLS).
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, g, request
from flask_wtf.csrf import CSRFError, CSRFProtect

from idp.errors import ClientError
from idp.signin.cookies import cookie_policy
from idp.web.errors import render_error

# Not browser forms: the AWS Query API and the authorizer are SigV4/JSON, and
# the OAuth endpoints under /oauth2/ authenticate clients themselves.
CSRF_EXEMPT_PREFIXES = ("/oauth2/",)
HSTS = "max-age=31536000; includeSubDomains"
# No inline script or style anywhere: passkey JavaScript is a static file.
# No form-action: the consent form's answer redirects to a client's redirect_uri.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; frame-ancestors 'none'"
)
CSRF_MESSAGE = "The form was not sent from this site or has expired. Reload the page and try again."

csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    """Cookie flags for Flask's own session, CSRF on browser forms, headers on HTML responses."""
    issuer = app.config["IDP_SETTINGS"].issuer
    policy = cookie_policy(issuer)
    app.extensions["idp.cookie_policy"] = policy
    app.config.update(
        SESSION_COOKIE_NAME=policy.name("idp_state"), SESSION_COOKIE_SECURE=policy.secure,
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_PATH="/",
        SESSION_COOKIE_DOMAIN=None,
        # CSRFProtect's default hook is replaced by `_protect` below (path exemptions).
        WTF_CSRF_CHECK_DEFAULT=False,
        # Flask-WTF's https check needs a Referer, which Referrer-Policy: no-referrer withholds;
        # `_same_origin` checks the Origin header instead.
        WTF_CSRF_SSL_STRICT=False,
    )
    csrf.init_app(app)
    # Signed API requests (SigV4 or bearer), not browser forms.
    for name in ("aws", "authorize", "access_analyzer"):
        if name in app.blueprints:
            csrf.exempt(app.blueprints[name])
    origin = _origin(issuer)

    @app.before_request
    def _protect() -> None:
        if request.method not in app.config["WTF_CSRF_METHODS"] or request.path.startswith(CSRF_EXEMPT_PREFIXES):
            return
        csrf.protect(apply_exemptions=True)
        if g.get("csrf_valid"):
            _same_origin(origin)

    @app.errorhandler(CSRFError)
    def _csrf_failed(_error: CSRFError) -> Response:
        return render_error(ClientError(CSRF_MESSAGE))

    @app.after_request
    def _headers(response: Response) -> Response:
        if response.mimetype == "text/html":
            add_security_headers(response, https=issuer.startswith("https://"))
        return response


def add_security_headers(response: Response, *, https: bool) -> None:
    """CSP, framing, sniffing, referrer and (over https) HSTS headers; pages are never cached."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    if https:
        response.headers["Strict-Transport-Security"] = HSTS


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _same_origin(origin: str) -> None:
    # Browsers send `Origin: null` on form posts from a no-referrer page; a named foreign origin is refused.
    sent = request.headers.get("Origin")
    if sent and sent != "null" and sent.rstrip("/") != origin:
        raise CSRFError("The origin does not match the issuer.")
