"""`/account`: the signed-in person's own page: who I am, my profile, password, access keys, sessions, sign-in history.

An IAM user edits their own profile here (`idp.iam.profiles`, the OIDC standard claims apps receive) where
the shared authorizer allows `iam:UpdateUserProfile` on their ARN (`idp.lifecycle.profile_updates.update_own`);
changing the email makes it unverified and needs a recent sign-in, like adding a credential (the address
is where password-recovery links go).

The history lists sign-ins and every credential added or replaced (a new
access key, passkey, authenticator app, recovery codes, password), so a
credential added from one session is visible from all of them. Creating an
access key needs a recent sign-in (`idp.web.recent_auth`).

The rules (who owns which credentials, the shared authorizer on key
operations exactly as the IAM API asks it) are `idp.signin.own_credentials`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Response, g, redirect, render_template, request, url_for

from idp.errors import InvalidProfileAttribute, ValidationError
from idp.iam import access_keys, profiles
from idp.iam.login_profiles import PasswordPolicyViolation
from idp.lifecycle import profile_updates
from idp.signin import history, own_credentials, passwords, sessions
from idp.web.recent_auth import recent_auth_required
from idp.web.signed_in import signed_in_required
from idp.web.views import MISMATCH, blueprint

if TYPE_CHECKING:
    from models.session import BrowserSession

WRONG_CURRENT = "The current password is incorrect."


def _page(session: BrowserSession, *, status: int = 200, message: str | None = None,
          new_key: access_keys.IssuedKey | None = None, profile_form: dict | None = None) -> Response:
    principal = passwords.principal_of(session)
    own_keys = own_credentials.may_hold_own(principal)
    profile = profiles.get_profile(principal.user) if principal.user else None
    html = render_template(
        "account.html", session=session, principal=principal, message=message, new_key=new_key,
        profile=profile, profile_form=profile_form if profile_form is not None else profile,
        groups=sorted(group.name for group in principal.user.groups) if principal.user else [],
        keys=access_keys.owned(session.account_id, principal.user) if own_keys else [],
        sessions=sessions.active_for(session),
        events=history.recent(session.principal_arn), credential_events=history.CREDENTIAL_EVENTS,
        # Root always has one; a user provisioned by federation has none until an administrator gives it one.
        has_password=principal.user is None or principal.user.login_profile is not None,
    )
    return Response(html, status=status, mimetype="text/html")


@blueprint.get("/account")
@signed_in_required
def account() -> Response:
    """The self-service page (sign-in required)."""
    return _page(g.browser_session)


def _submitted_profile() -> dict[str, str]:
    """The profile form's fields, by claim name."""
    return {claim: request.form[claim] for claim in profiles.ATTRIBUTES if claim in request.form}


def _changes_email() -> bool:
    """Whether the profile form asks for another email address than the signed-in user's."""
    user = passwords.principal_of(g.browser_session).user
    wanted = request.form.get("email")
    return user is not None and wanted is not None and wanted.strip() != (user.email or "")


@blueprint.post("/account/profile")
@signed_in_required
@recent_auth_required(back="web.account", when=_changes_email)
def update_profile() -> Response:
    """Save my profile (an IAM user's; the root user and unlinked federated sign-ins have none)."""
    session = g.browser_session
    submitted = _submitted_profile()
    try:
        change = profile_updates.update_own(session, submitted)
    except InvalidProfileAttribute as refused:  # checked before anything was written
        return _page(session, status=400, message=refused.message, profile_form=submitted)
    said = "Profile saved."
    if change.email_changed and change.profile.get("email"):
        said += " Your new email address is not verified yet: follow the link sent to it."
    return _page(session, message=said)


@blueprint.post("/account/password")
@signed_in_required
def change_password() -> Response:
    """Change my password (current one required); my other sessions are revoked."""
    session = g.browser_session
    principal = own_credentials.owner(session)
    new, confirm = request.form.get("new_password", ""), request.form.get("confirm_password", "")
    if not passwords.confirm_current(principal, request.form.get("current_password", ""),
                                     refused="password_change_failed"):
        return _page(session, status=400, message=WRONG_CURRENT)  # the counted failure is committed with the page
    if new != confirm:
        return _page(session, status=400, message=MISMATCH)
    try:
        passwords.set_new_password(principal, new, forced=False, except_id_hash=session.id_hash)
    except PasswordPolicyViolation as violation:  # refused before anything was written
        return _page(session, status=400, message=violation.message)
    session = sessions.renew(session, "password_changed")
    return _page(session, message="Password changed. Your other sessions were signed out.")


@blueprint.post("/account/keys")
@signed_in_required
@recent_auth_required(back="web.account")
def create_key() -> Response:
    """Create an access key; its secret is shown on this one page and never again."""
    session = g.browser_session
    issued = own_credentials.create_key(session)
    return _page(session, message="Access key created. Copy the secret now: it is not shown again.", new_key=issued)


@blueprint.post("/account/keys/<key_id>/status")
@signed_in_required
@recent_auth_required(back="web.account", when=lambda: request.form.get("status") != "Inactive")
def set_key_status(key_id: str) -> Response:
    """Activate or deactivate one of my access keys."""
    own_credentials.set_key_status(g.browser_session, key_id, request.form.get("status", ""))
    return redirect(url_for("web.account"), code=303)


@blueprint.post("/account/keys/<key_id>/delete")
@signed_in_required
def delete_key(key_id: str) -> Response:
    """Delete one of my access keys."""
    own_credentials.delete_key(g.browser_session, key_id)
    return redirect(url_for("web.account"), code=303)


@blueprint.post("/account/sessions/revoke")
@signed_in_required
def revoke_session() -> Response:
    """Sign out one of my sessions, named by a prefix of its stored hash (the cookie value never reaches a page)."""
    session = g.browser_session
    mine = sessions.active_for(session)
    token = request.form.get("session", "")
    target = next((row for row in mine if row.id_hash[:16] == token), None)
    if target is None:
        raise ValidationError("That session is no longer active.")
    sessions.revoke(target, "revoked_by_user")
    return redirect(url_for("web.login") if target is session else url_for("web.account"), code=303)
