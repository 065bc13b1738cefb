"""The `web` blueprint: sign-in (`/login`), the forced password change, sign-out (`/logout`).

The login form posts `account` (id or alias), `username` (`root` for the
account root user), `password` and `csrf_token`; `next` (query or hidden
field) is honoured only when it is a local path.
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

from flask import Blueprint, Response, redirect, render_template, request, url_for
from werkzeug.routing import BuildError

from idp.errors import IdpError
from idp.federation.ldap import signin as ldap_signin
from idp.iam import users
from idp.iam.login_profiles import PasswordPolicyViolation
from idp.signin import passwords, pending, sessions
from idp.signin.factors import factors
from idp.signin.urls import safe_next
from idp.web.errors import render_error

blueprint = Blueprint("web", __name__)
FAILURE = "Incorrect account, user name or password."
MISMATCH = "The two new passwords do not match."


@blueprint.errorhandler(IdpError)
def _render(error: IdpError) -> Response:
    return render_error(error)


def _login_page(*, status: int = 200, message: str | None = None, account: str = "", username: str = "") -> Response:
    next_url = safe_next(request.values.get("next")) or ""
    html = render_template("login.html", message=message, account=account, username=username,
                           next_url=next_url, upstreams=_upstreams(next_url))
    return Response(html, status=status, mimetype="text/html")


def _upstreams(next_url: str) -> list[dict]:
    """The enabled OIDC and SAML upstreams for the login page, each with the URL that starts it (LDAP users
    sign in with the form)."""
    from idp.federation import registry

    query = f"?{urlencode({'next': next_url})}" if next_url else ""
    return [{"name": u.name, "title": u.display_name, "url": f"/login/upstream/{u.name}{query}"}
            for u in registry.offered()]


@blueprint.get("/login")
def login() -> Response:
    """The sign-in page, pre-filled from the OIDC `login_hint` of the authorization request it signs in for."""
    account, username = _login_hint(safe_next(request.args.get("next")) or "")
    return _login_page(account=account, username=username)


def _login_hint(next_url: str) -> tuple[str, str]:
    """`login_hint` as `<account id or alias>/<user name>` or `<user name>`; only a hint, never trusted."""
    parts = urlsplit(next_url)
    if parts.path != "/oauth2/authorize":
        return "", ""
    account, _, username = (parse_qs(parts.query).get("login_hint") or [""])[0].rpartition("/")
    return account[:64], username[:64]


@blueprint.post("/login")
def login_submit() -> Response:
    """Check the password (throttled), then force a password change, ask for MFA, or start the session."""
    account = request.form.get("account", "")
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    next_url = safe_next(request.form.get("next") or request.args.get("next")) or "/account"
    principal = passwords.sign_in(account, username, password, address=request.remote_addr,
                                  directory=ldap_signin.authenticate)
    if principal is None:
        return _login_page(status=401, message=FAILURE, account=account, username=username)
    return continue_signin(principal, next_url)


def continue_signin(principal: passwords.Principal, next_url: str) -> Response:
    """After the password: MFA when the principal has factors, then a forced password change when due, then the session.

    MFA comes before the forced change, so a leaked temporary password alone
    cannot be used to take the account over by choosing a new one.
    """
    user_id = principal.user.id if principal.user else None
    must_change = passwords.password_change_required(principal)
    # The password's last use is committed with the request, whether a second factor, a new password or the
    # session comes next.
    if factors(principal.account_id, user_id):
        pending.begin(account_id=principal.account_id, user_id=user_id, principal_arn=principal.arn,
                      amr=["pwd"], next_url=next_url, password_change=must_change)
        return redirect(_mfa_challenge_url())
    if must_change:
        pending.begin_password_change(account_id=principal.account_id, user_id=user_id, principal_arn=principal.arn,
                                      amr=["pwd"], acr=sessions.ACR_PASSWORD, next_url=next_url)
        return redirect(url_for("web.password_change"))
    sessions.start(account_id=principal.account_id, user=principal.user, principal_arn=principal.arn,
                   amr=["pwd"], acr=sessions.ACR_PASSWORD)
    return redirect(next_url)


def _mfa_challenge_url() -> str:
    try:
        return url_for("mfa.challenge")
    except BuildError:  # the MFA blueprint is optional; its path is fixed by contract
        return "/login/mfa"


def _change_page(state: dict, *, status: int = 200, message: str | None = None) -> Response:
    html = render_template("password_change.html", message=message, principal_arn=state["principal_arn"])
    return Response(html, status=status, mimetype="text/html")


@blueprint.get("/login/password")
def password_change() -> Response:
    """The forced password change after a correct password with reset required or an expired password."""
    state = pending.password_change()
    if state is None:
        return sessions.login_redirect("/account")
    return _change_page(state)


@blueprint.post("/login/password")
def password_change_submit() -> Response:
    """Set the new password, sign the user out elsewhere, then continue the sign-in."""
    state = pending.password_change()
    if state is None:
        return sessions.login_redirect("/account")
    new, confirm = request.form.get("new_password", ""), request.form.get("confirm_password", "")
    principal = _pending_principal(state)
    if principal is None:
        pending.clear_password_change()
        return sessions.login_redirect(state["next_url"])
    if new != confirm:
        return _change_page(state, status=400, message=MISMATCH)
    try:
        passwords.set_new_password(principal, new, forced=True)
    except PasswordPolicyViolation as violation:  # refused before anything was written
        return _change_page(state, status=400, message=violation.message)
    pending.clear_password_change()
    return pending.start_from(state, state["amr"], state.get("acr"))


def _pending_principal(state: dict) -> passwords.Principal | None:
    user = users.by_key(state["user_id"])
    if user is None or user.login_profile is None:
        return None
    return passwords.user_principal(user)


@blueprint.post("/logout")
def logout() -> Response:
    """End this browser's session and go back to the sign-in page."""
    pending.clear()
    pending.clear_password_change()
    current = sessions.current()
    if current is not None:
        # The same ending as RP-initiated logout: the session's grants too, and back-channel notices.
        from idp.oidc.logout import end_session

        end_session(current, "logout")
    return redirect(url_for("web.login"))
