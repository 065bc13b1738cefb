"""Browser MFA: the `mfa` blueprint and how its errors are rendered.

Routes live beside this module: `mfa_account.py` (/account/mfa: TOTP
enrolment, passkey registration, recovery codes, removal, each behind
`recent_auth.recent_auth_required`) and `mfa_login.py`
(/login/mfa second factor, passwordless passkey sign-in); the factors
themselves are the sign-in service's (`idp.signin.factors`,
`idp.signin.factor_checks`). Pages render errors with the HTML renderer;
the JSON ceremony endpoints with the JSON one (`{"error", "error_description"}`).
"""
from __future__ import annotations

from flask import Blueprint, Response, request

from idp.errors import IdpError
from idp.web.errors import render_error, render_json_error

blueprint = Blueprint("mfa", __name__)


def wants_json() -> bool:
    """True for the JSON ceremony endpoints (`.../options`, `.../verify`)."""
    return request.path.rsplit("/", 1)[-1] in ("options", "verify")


@blueprint.errorhandler(IdpError)
def _render(error: IdpError) -> Response:
    return render_json_error(error) if wants_json() else render_error(error)


from idp.web import mfa_account, mfa_login  # noqa: F401  (routes register on `blueprint`)
