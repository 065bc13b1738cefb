"""`/account`: the signed-in person's own page: who I am, password, access keys, sessions, sign-in history.

The history lists sign-ins and every credential added or replaced (a new
access key, passkey, authenticator app, recovery codes, password), so a
credential added from one session is visible from all of them. Creating an
access key needs a recent sign-in (`idp.web.recent_auth`).

Access keys are AWS credentials, so managing them is authorized by the shared
authorizer exactly as the IAM API would (`iam:CreateAccessKey` ... on the
user's own ARN); the root user may always manage its own.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Response, g, redirect, render_template, request, url_for

from idp import audit
from idp.authz.authorizer import authorize
from idp.authz.policy_store import bump_authz_version
from idp.errors import AccessDenied, ValidationError
from idp.iam import access_keys
from idp.iam.accounts import root_arn
from idp.iam.login_profiles import PasswordPolicyViolation
from idp.signin import history, passwords, sessions
from idp.signin.callers import caller_for
from idp.web.recent_auth import recent_auth_required
from idp.web.signed_in import signed_in_required
from idp.web.views import MISMATCH, blueprint

if TYPE_CHECKING:
    from models.session import BrowserSession

WRONG_CURRENT = "The current password is incorrect."


def _principal(session: BrowserSession) -> passwords.Principal:
    return passwords.principal_of(session)


def _own_credentials(session: BrowserSession) -> passwords.Principal:
    """The principal whose password and keys this session may manage: an IAM user or the root user.

    A federated session not linked to a user has no user row; it must never
    be mistaken for the root user (both have `user_id` None).
    """
    principal = _principal(session)
    if principal.user is None and principal.arn != root_arn(principal.account_id):
        raise AccessDenied("This identity signs in through its upstream provider, which manages its credentials.")
    return principal


def _page(session: BrowserSession, *, status: int = 200, message: str | None = None,
          new_key: access_keys.IssuedKey | None = None) -> Response:
    principal = _principal(session)
    own_keys = principal.user is not None or principal.arn == root_arn(principal.account_id)
    html = render_template(
        "account.html", session=session, principal=principal, message=message, new_key=new_key,
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


@blueprint.post("/account/password")
@signed_in_required
def change_password() -> Response:
    """Change my password (current one required); my other sessions are revoked."""
    session = g.browser_session
    principal = _own_credentials(session)
    new, confirm = request.form.get("new_password", ""), request.form.get("confirm_password", "")
    if not passwords.confirm_current(principal, request.form.get("current_password", ""),
                                     refused="password_change_failed"):
        return _page(session, status=400, message=WRONG_CURRENT)  # the counted failure is committed with the page
    if new != confirm:
        return _page(session, status=400, message=MISMATCH)
    try:
        passwords.change_password(principal, new)
    except PasswordPolicyViolation as violation:  # refused before anything was written
        return _page(session, status=400, message=violation.message)
    audit.record("password_changed", actor=principal.arn, resource=principal.arn, decision="Allow",
                 account_id=principal.account_id, detail={"forced": False})
    sessions.revoke_all(principal.account_id, principal.user.id if principal.user else None,
                        except_id_hash=session.id_hash, reason="password_changed")
    session = sessions.renew(session, "password_changed")
    return _page(session, message="Password changed. Your other sessions were signed out.")


class KeyOperationDenied(AccessDenied):
    """The authorizer refused one of my key operations. It keeps the request's work: the page's own `Deny` entry
    goes in before the authorizer's decision, and a step-up the same request made (`reauth_*`) stays."""

    keeps_work = True


def _authorize_keys(session: BrowserSession, principal: passwords.Principal, action: str) -> None:
    if principal.user is None:
        return  # the root user manages its own keys, as at AWS
    try:
        authorize(caller_for(session), f"iam:{action}", principal.user.arn)
    except AccessDenied as denied:
        audit.record(f"iam:{action}", actor=principal.arn, resource=principal.user.arn, decision="Deny",
                     account_id=principal.account_id, detail={"via": "account page"})
        raise KeyOperationDenied(denied.message) from None


@blueprint.post("/account/keys")
@signed_in_required
@recent_auth_required(back="web.account")
def create_key() -> Response:
    """Create an access key; its secret is shown on this one page and never again."""
    session = g.browser_session
    principal = _own_credentials(session)
    _authorize_keys(session, principal, "CreateAccessKey")
    issued = access_keys.create(principal.account_id, principal.user)
    bump_authz_version(principal.account_id)
    _audit_key("access_key_created", principal, issued.key.access_key_id)
    return _page(session, message="Access key created. Copy the secret now: it is not shown again.", new_key=issued)


@blueprint.post("/account/keys/<key_id>/status")
@signed_in_required
@recent_auth_required(back="web.account", when=lambda: request.form.get("status") != "Inactive")
def set_key_status(key_id: str) -> Response:
    """Activate or deactivate one of my access keys."""
    session = g.browser_session
    principal = _own_credentials(session)
    status = request.form.get("status", "")
    if status not in access_keys.STATUSES:
        raise ValidationError("Status must be Active or Inactive.")
    _authorize_keys(session, principal, "UpdateAccessKey")
    access_keys.set_status(access_keys.get_owned(principal.account_id, principal.user, key_id), status)
    bump_authz_version(principal.account_id)
    _audit_key("access_key_updated", principal, key_id, status=status)
    return redirect(url_for("web.account"), code=303)


@blueprint.post("/account/keys/<key_id>/delete")
@signed_in_required
def delete_key(key_id: str) -> Response:
    """Delete one of my access keys."""
    session = g.browser_session
    principal = _own_credentials(session)
    _authorize_keys(session, principal, "DeleteAccessKey")
    access_keys.delete(access_keys.get_owned(principal.account_id, principal.user, key_id))
    bump_authz_version(principal.account_id)
    _audit_key("access_key_deleted", principal, key_id)
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


def _audit_key(action: str, principal: passwords.Principal, key_id: str, **detail) -> None:
    audit.record(action, actor=principal.arn, resource=key_id, decision="Allow", account_id=principal.account_id,
                 detail=detail or None)
