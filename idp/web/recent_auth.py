"""Recent authentication before a credential is added or replaced: one decorator, like flaskr's `login_required`.

A stolen session cookie must not become a permanent way in. So every route that
adds or replaces a credential (passkey registration, TOTP enrolment, recovery
codes, access keys, removing a device) is wrapped in `recent_auth_required`:
the session's sign-in must be at most `RECENT_AUTH_SECONDS` old (`idp.signin.reauthentication`), or the same
request carries the current password (`reauth_password`, the password
form's throttle key) or a current authenticator code (`reauth_code`, the
shared factor check of `idp.signin.factor_checks`). Otherwise nothing is
written: the refusal is audited (`recent_auth_required`) and answered with
a page asking to confirm (401), or a 401 JSON error naming that page for the
passkey ceremony endpoints. Confirming at `/account/reauthenticate` steps the
session up (a new session id, `auth_time` now) and goes back.

Adding a credential does not end the principal's other sessions (as at
Keycloak and AWS): the session that adds one has just proven a factor, and
ending the others would not undo what a thief added. Instead every addition is
audited and listed in the sign-in history of `/account`, which every session of
the principal shows.
"""
from __future__ import annotations

from functools import wraps
from typing import TYPE_CHECKING, Callable

from flask import g, redirect, render_template, request, url_for

from idp import audit
from idp.errors import ClientError
from idp.signin import reauthentication, sessions
from idp.signin.urls import safe_next
from idp.web.errors import render_json_error
from idp.web.mfa import wants_json
from idp.web.signed_in import signed_in_required, this_page
from idp.web.views import blueprint

if TYPE_CHECKING:
    from models.session import BrowserSession

WRONG_PROOF = "That password or code is not correct."
ASK = "Confirm it is you: enter your password or a current code from your authenticator app."


class RecentAuthRequired(ClientError):
    """The request adds or replaces a credential, and the session's sign-in is not recent enough."""

    status = 401
    code = "RecentAuthRequired"
    oauth_error = "login_required"


def reauthenticate(session: BrowserSession) -> BrowserSession | None:
    """Check `reauth_password` / `reauth_code` of this request; the stepped-up session, or None (audited)."""
    return reauthentication.reauthenticate(session, request.form.get("reauth_password", ""),
                                           request.form.get("reauth_code", "").strip(), address=request.remote_addr)


def _refused(session: BrowserSession, back: str, *, wrong: bool):
    audit.record("recent_auth_required", actor=session.principal_arn, resource=request.path, decision="Deny",
                 account_id=session.account_id, detail={"endpoint": request.endpoint, "wrong_proof": wrong})
    confirm = url_for("web.reauthenticate", next=back)
    message = WRONG_PROOF if wrong else ASK
    if wants_json():  # the passkey ceremony's JSON endpoints
        return render_json_error(RecentAuthRequired(message), reauthenticate=confirm)
    return _page(session, back, message=message, status=401)


def _page(session: BrowserSession, back: str, *, message: str | None, status: int = 200):
    has_password, has_totp = reauthentication.can_prove(session)
    html = render_template("account_reauth.html", message=message, next=back, has_totp=has_totp,
                           has_password=has_password)
    return html, status


def recent_auth_required(back: str, *, when: Callable[[], bool] | None = None) -> Callable:
    """Run the view only after a recent sign-in or a proof in the same request; `back` is the page to return to.

    `when` narrows the guard to the requests that add or restore a credential (re-activating a key does;
    deactivating one, which only takes a way in away, does not). Stacked below `signed_in_required`, it puts
    the stepped-up session in `g.browser_session` for the view."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            session = sessions.current()
            if session is None or reauthentication.is_recent(session) or (when is not None and not when()):
                return view(*args, **kwargs)  # no session: the view sends the browser to sign in
            wrong = False
            if request.form.get("reauth_password") or request.form.get("reauth_code"):
                stepped_up = reauthenticate(session)
                if stepped_up is not None:
                    g.browser_session = stepped_up
                    return view(*args, **kwargs)
                wrong = True
            return _refused(session, url_for(back), wrong=wrong)

        return wrapped

    return decorate


@blueprint.route("/account/reauthenticate", methods=["GET", "POST"], endpoint="reauthenticate")
@signed_in_required(back=this_page)
def reauthenticate_page():
    """Confirm the password or a current code; the session counts as just signed in, then back to `next`."""
    session = g.browser_session
    back = safe_next(request.values.get("next")) or url_for("web.account")
    if request.method == "GET":
        return _page(session, back, message=None)
    if reauthenticate(session) is None:
        return _page(session, back, message=WRONG_PROOF, status=401)
    return redirect(back, code=303)

