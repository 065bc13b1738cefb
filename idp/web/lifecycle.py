"""The `lifecycle` blueprint: pages of the mailed links and of self-service (`idp.lifecycle` holds the rules).

- `/login/forgot` (fields `account`, `username` = user name or email, `csrf_token`): always the same answer;
- `/login/reset?token=...`: a new password through a recovery link (nobody is signed in by it);
- `/account/verify-email?token=...`: marks the address the link was sent to as verified;
- `/invitation?token=...`: an invited user sets their first password;
- `/signup?account=ID`: self-registration, when the account turned it on;
- `/account/delete`: a signed-in user deletes their own account, when the account allows it (recent
  sign-in, confirmation, CSRF).
"""
from __future__ import annotations

from flask import Blueprint, Response, g, render_template, request, url_for

from idp.errors import IdpError, ValidationError
from idp.iam.login_profiles import PasswordPolicyViolation
from idp.lifecycle import deletion, invitations, recovery, registration, verification
from idp.web.errors import render_error
from idp.web.recent_auth import recent_auth_required
from idp.web.signed_in import signed_in_required
from idp.web.views import MISMATCH

blueprint = Blueprint("lifecycle", __name__)
FORGOT_SENT = ("If the account and user name or email match a user with a verified email address, a link to set "
               "a new password is on its way there. It can be used once, within 15 minutes.")
RESET_DONE = "Your password was changed and every session was signed out. Sign in with the new password."
INVITATION_DONE = ("Your password is set. Sign in with it; you can then add an authenticator app or a passkey on "
                   "your account page.")
VERIFIED = "Your email address is verified."
SIGNED_UP = "Almost done: follow the link we sent to your email address to confirm it, then sign in."
DELETED = "Your account was deleted."
CONFIRM_NAME = "Type your user name to confirm."


@blueprint.errorhandler(IdpError)
def _render(error: IdpError) -> Response:
    return render_error(error)


def _page(template: str, *, status: int = 200, **context: object) -> Response:
    return Response(render_template(f"lifecycle/{template}.html", **context), status=status, mimetype="text/html")


def _done(title: str, message: str, *, sign_in: bool = True) -> Response:
    return _page("done", title=title, message=message, sign_in=sign_in)


@blueprint.get("/login/forgot")
def forgot() -> Response:
    """Ask for the account and the user name or email."""
    return _page("forgot", account=request.args.get("account", "")[:63])


@blueprint.post("/login/forgot")
def forgot_submit() -> Response:
    """Mail a recovery link if one may be sent; the same page whatever the outcome."""
    recovery.request_link(request.form.get("account", ""), request.form.get("username", ""),
                          address=request.remote_addr)
    return _done("Check your email", FORGOT_SENT)


def _new_password() -> str:
    new, confirm = request.form.get("new_password", ""), request.form.get("confirm_password", "")
    if new != confirm:
        raise PasswordPolicyViolation(MISMATCH)
    return new


@blueprint.route("/login/reset", methods=["GET", "POST"])
def reset() -> Response:
    """Set a new password through a recovery link."""
    token = request.values.get("token", "")
    user = recovery.check_link(token)
    if request.method == "GET":
        return _page("set_password", token=token, user_name=user.name, action=url_for("lifecycle.reset"),
                     title="Set a new password")
    try:
        recovery.reset_password(token, _new_password())
    except PasswordPolicyViolation as violation:  # refused before anything was written
        return _page("set_password", status=400, token=token, user_name=user.name, message=violation.message,
                     action=url_for("lifecycle.reset"), title="Set a new password")
    return _done("Password changed", RESET_DONE)


@blueprint.get("/account/verify-email")
def verify_email() -> Response:
    """Spend a verification link."""
    verification.verify(request.args.get("token", ""))
    return _done("Email verified", VERIFIED)


@blueprint.route("/invitation", methods=["GET", "POST"])
def invitation() -> Response:
    """An invited user sets their first password."""
    token = request.values.get("token", "")
    user = invitations.check_link(token)
    if request.method == "GET":
        return _page("set_password", token=token, user_name=user.name, action=url_for("lifecycle.invitation"),
                     title="Welcome: choose your password")
    try:
        invitations.accept(token, _new_password())
    except PasswordPolicyViolation as violation:
        return _page("set_password", status=400, token=token, user_name=user.name, message=violation.message,
                     action=url_for("lifecycle.invitation"), title="Welcome: choose your password")
    return _done("Password set", INVITATION_DONE)


@blueprint.route("/signup", methods=["GET", "POST"])
def signup() -> Response:
    """Self-registration for an account that allows it (404 otherwise)."""
    account = request.values.get("account", "")[:63]
    registration.signup_account(account)
    if request.method == "GET":
        return _page("signup", account=account)
    form = request.form
    try:
        registration.register(account, form.get("username", ""), form.get("email", ""), _new_password(),
                              address=request.remote_addr)
    except (ValidationError, PasswordPolicyViolation) as refused:
        return _page("signup", status=400, account=account, message=refused.message,
                     username=form.get("username", "")[:64], email=form.get("email", "")[:320])
    return _done("Check your email", SIGNED_UP, sign_in=False)


@blueprint.get("/account/delete")
@signed_in_required
def delete_account() -> Response:
    """The confirmation page (only when the account allows self-deletion)."""
    user = deletion.deletable(g.browser_session)
    return _page("delete", user_name=user.name)


@blueprint.post("/account/delete")
@signed_in_required
@recent_auth_required(back="lifecycle.delete_account")
def delete_account_submit() -> Response:
    """Delete my account after a recent sign-in and the typed confirmation."""
    session = g.browser_session
    user = deletion.deletable(session)
    if request.form.get("confirm", "").strip() != user.name:
        return _page("delete", status=400, user_name=user.name, message=CONFIRM_NAME)
    deletion.delete_self(session)
    return _done("Account deleted", DELETED, sign_in=False)
