"""The `federation` blueprint: `/login/upstream/<name>` (+ `/callback`) and `/account/links`.

Every failure (denied consent, wrong state, bad token, upstream down, a rule
that excludes the person) is an HTML page from `idp.web.errors`, after the
unit of work rolled the request back, so nothing half-made stays; it is
audited as `federation_failed`.
"""
from __future__ import annotations

from functools import wraps
from typing import TYPE_CHECKING, Callable

from flask import Blueprint, Response, g, redirect, render_template, request

from idp import audit
from idp.errors import AccessDenied, IdpError, NotFound
from idp.federation import identities, registry, relying_party
from idp.federation.saml import sp as saml_sp
from idp.iam import users
from idp.signin import passwords, sessions
from idp.signin.urls import safe_next
from idp.web.errors import render_error
from idp.web.signed_in import signed_in_required

if TYPE_CHECKING:
    from models.user import User

blueprint = Blueprint("federation", __name__)
AMR = ["fed"]
WRONG_PASSWORD = "The current password is incorrect."


@blueprint.errorhandler(IdpError)
def _render(error: IdpError) -> Response:
    return render_error(error)


def failures_audited(view: Callable) -> Callable:
    """`view` of the upstream `name`, whose errors are noted as `federation_failed` (written even as the request's
    work rolls back)."""

    @wraps(view)
    def audited(name: str, **kwargs):
        try:
            return view(name, **kwargs)
        except IdpError as error:
            if not isinstance(error, identities.SignInRefused):  # a refusal audited itself
                audit.note("federation_failed", resource=name, decision="Deny",
                           detail={"upstream": name[:64], "error": error.code, "reason": error.message[:300]})
            raise

    return audited


def _enabled(name: str):
    upstream = registry.find(name)
    if upstream is None or not upstream.enabled or upstream.type == "ldap":  # LDAP users sign in with the form
        raise NotFound(f"There is no sign-in provider named {name}.")
    return upstream


@blueprint.get("/login/upstream/<name>")
@failures_audited
def start(name: str) -> Response:
    """Send the browser to the upstream's authorization endpoint (a SAML upstream's: a signed AuthnRequest)."""
    upstream = _enabled(name)
    next_url = safe_next(request.args.get("next")) or "/account"
    if upstream.type == "saml":
        return redirect(saml_sp.begin(upstream, next_url=next_url))
    return redirect(relying_party.begin(upstream, next_url=next_url))


@blueprint.get("/login/upstream/<name>/callback")
@failures_audited
def callback(name: str) -> Response:
    """Finish the upstream sign-in: sign in (provisioning on first use) or link to the signed-in user."""
    upstream = _enabled(name)
    if upstream.type != "oidc":  # a SAML upstream answers at its own ACS, never here
        raise NotFound(f"There is no sign-in provider named {name}.")
    identity, pending = relying_party.finish(upstream, request.args.to_dict())
    return finish_sign_in(upstream, identity, pending)


def finish_sign_in(upstream, identity: relying_party.UpstreamIdentity, pending: relying_party.Pending) -> Response:
    """Sign in (provisioning on first use) or link to the signed-in user who asked; the redirect that follows.

    Shared by the OIDC callback and the SAML assertion consumer (`idp.web.saml`)."""
    if pending.intent == "link":
        session = sessions.current()
        if session is None or session.user_id is None or session.user_id != pending.link_user_id:
            raise AccessDenied("Sign in again as the user who asked for the link, then link from your account page.")
        identities.link(upstream, identity, users.by_key(session.user_id))
        return redirect("/account/links?linked=" + upstream.name)
    user = identities.sign_in_once(upstream, identity)
    sessions.start(account_id=user.account_id, user=user, principal_arn=user.arn, amr=AMR, acr=None)
    return redirect(pending.next_url)


def _signed_in_user() -> User:
    """The IAM user of the signed-in session (the root user links nothing)."""
    session = g.browser_session
    if session.user_id is None:
        raise AccessDenied("The root user cannot link upstream identities; sign in as an IAM user.")
    return users.by_key(session.user_id)


def _page(user: User, *, status: int = 200, message: str | None = None) -> Response:
    linked = identities.links_of(user)
    taken = {row.upstream_id for row in linked}
    available = [u for u in registry.offered() if u.account_id == user.account_id and u.id not in taken]
    html = render_template("federation_links.html", user=user, links=linked, available=available, message=message)
    return Response(html, status=status, mimetype="text/html")


@blueprint.get("/account/links")
@signed_in_required
def links() -> Response:
    """My linked upstream identities, and the upstreams I can link."""
    linked = request.args.get("linked")
    return _page(_signed_in_user(), message=f"Your {linked} identity is now linked." if linked else None)


@blueprint.post("/account/links/<name>")
@signed_in_required
@failures_audited
def link_start(name: str) -> Response:
    """Re-enter the password, then go to the upstream to prove the identity to link."""
    user = _signed_in_user()
    upstream = _enabled(name)
    if not passwords.confirm_current(passwords.user_principal(user), request.form.get("current_password", ""),
                                     refused="federation_link_failed", detail={"upstream": name}):
        return _page(user, status=400, message=WRONG_PASSWORD)  # the counted failure is committed with the page
    begin = saml_sp.begin if upstream.type == "saml" else relying_party.begin
    return redirect(begin(upstream, next_url="/account/links", intent="link", link_user_id=user.id))


@blueprint.post("/account/links/remove/<int:link_id>")
@signed_in_required
def unlink(link_id: int) -> Response:
    """Remove one of my links (and the group memberships its mapping granted)."""
    user = _signed_in_user()
    identities.unlink(identities.own_link(user, link_id))
    return _page(user, message="The linked identity was removed.")
