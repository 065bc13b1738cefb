"""The console's framework: who is signed in, what they may do, and how a page renders.

Every page of `idp.web.console` is built from these names:

- `console_principal()`: the browser session's principal (not signed in: a redirect to `/login?next=...`);
- `check(action, resource)`: the shared authorizer's answer for that principal (None = allowed, else AWS's
  AccessDenied text), audited like the API's decision;
- `require(action, resource)`: the same, raising `Refused` (rendered in place by `_in_place`, 403);
- `render(template, **context)`: a page in the console layout (nav, principal, root banner, refusal);
- `arn_for(kind, name, path)`: an IAM ARN of this account.

A POST form (see `templates/console/_macros.html`, `form`) carries `back`, the page it was on. When the action
fails (refused, or invalid input), the unit of work rolls it back (keeping the authorizer's audited decision) and
`_in_place` renders that page again with the reason beside the control that was used, at the error's status.
A success answers 303 back to that page (`done`). CSRF is the app-wide Flask-WTF protection
(`idp.web.security`): every console POST needs its `csrf_token`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Response, abort, current_app, g, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from idp import audit
from idp.authz.authorizer import authorize
from idp.authz.policy_store import bump_authz_version
from idp.aws.api import READ_PREFIXES
from idp.errors import AccessDenied, IdpError, UnmodifiableEntity
from idp.iam import names
from idp.iam.accounts import root_arn
from idp.signin import passwords, reauthentication, sessions
from idp.signin.callers import caller_for
from idp.signin.urls import safe_next
from idp.web.console import blueprint
from idp.web.errors import TITLES, render_error
from idp.web.recent_auth import ASK, RecentAuthRequired, reauthenticate
from idp.web.signed_in import this_page

if TYPE_CHECKING:
    from idp.authz.principals import Caller
    from models.session import BrowserSession

# The console's sections, in nav order: (label, path). Pages of sections not built yet answer 404.
NAV = (
    ("Dashboard", "/console/"),
    ("Users", "/console/users"),
    ("Groups", "/console/groups"),
    ("Roles", "/console/roles"),
    ("Policies", "/console/policies"),
    ("Applications", "/console/applications"),
    ("Identity providers", "/console/identity-providers"),
    ("Activity", "/console/activity"),
    ("Access analyzer", "/console/access-analyzer"),
)
# Cached per request in the WSGI environ (as `idp.signin.sessions` does): `g` outlives a request in tests.
_CACHE = "idp.console_principal"


class Refused(AccessDenied):
    """The shared authorizer refused a console action; the page is rendered again with `message` beside it."""

    def __init__(self, message: str, *, action: str):
        super().__init__(message)
        self.action = action


@dataclass(frozen=True)
class ConsolePrincipal:
    """The signed-in principal: its browser session, its identity, and the authorizer's caller for it.

    `caller` is None for a federated sign-in not linked to an IAM user: it has no IAM identity, so every
    action is refused with `no_identity`.
    """

    session: BrowserSession
    identity: passwords.Principal
    caller: Caller | None
    no_identity: str | None = None

    @property
    def account_id(self) -> str:
        return self.identity.account_id

    @property
    def arn(self) -> str:
        return self.identity.arn

    @property
    def is_root(self) -> bool:
        return self.identity.arn == root_arn(self.identity.account_id)


@dataclass(frozen=True)
class Refusal:
    """What the last action of this request failed with: shown at the top and beside the form `form_url`."""

    action: str | None
    message: str
    form_url: str | None
    code: str = "AccessDenied"


def console_principal() -> ConsolePrincipal:
    """The browser session's principal; a browser that is not signed in is sent to `/login?next=<this page>`."""
    if _CACHE in request.environ:
        return request.environ[_CACHE]
    session = sessions.current()
    if session is None:
        abort(sessions.login_redirect(this_page()))
    try:
        caller, no_identity = caller_for(session), None
    except AccessDenied as refused:
        caller, no_identity = None, refused.message
    principal = ConsolePrincipal(session, passwords.principal_of(session), caller, no_identity)
    request.environ[_CACHE] = principal
    return principal


def check(action: str, resource: str, context: dict[str, object] | None = None) -> str | None:
    """None when the shared authorizer allows `action` on `resource` for the console principal, else AWS's
    AccessDenied message (the reason the API would give). The decision is audited like the API's.

    `context` adds condition keys (`aws:ResourceTag/*`, `aws:RequestTag/*`, ...), as the Query adapters do.
    """
    who = console_principal()
    if who.caller is None:
        return who.no_identity
    try:
        authorize(who.caller, action, resource, context=context)
    except (AccessDenied, UnmodifiableEntity) as refused:
        return refused.message
    return None


def require(action: str, resource: str, context: dict[str, object] | None = None) -> None:
    """`check`, raising `Refused` when not allowed. Call it right before doing `action`: an allowed IAM action
    that changes something bumps the account's authorization version, as the Query API does for its actions."""
    reason = check(action, resource, context)
    if reason is not None:
        raise Refused(reason, action=action)
    service, _, name = action.partition(":")
    if service == "iam" and not name.startswith(READ_PREFIXES):
        bump_authz_version(console_principal().account_id)


def require_recent_auth() -> None:
    """Before adding a credential (an access key, a password): the session's sign-in must be recent, or this
    request proves the password or a current code (`reauth_password` / `reauth_code`, as on `/account`);
    otherwise `RecentAuthRequired` (401, audited) with a link to confirm at `/account/reauthenticate`."""
    who = console_principal()
    if reauthentication.is_recent(who.session):
        return
    if (request.form.get("reauth_password") or request.form.get("reauth_code")) and reauthenticate(who.session):
        return
    audit.note("recent_auth_required", actor=who.arn, resource=request.path, decision="Deny",
               account_id=who.account_id, detail={"endpoint": request.endpoint})
    raise RecentAuthRequired(ASK)


def arn_for(kind: str, name: str, path: str = "/") -> str:
    """The ARN of this account's `kind` (`user`, `group`, `role`, `policy`) named `name` under `path`."""
    return names.arn(console_principal().account_id, kind, path, name)


def render(template: str, **context) -> str:
    """`template` rendered in the console layout: `who` (the principal), `nav`, `refusal`; root gets its banner."""
    return render_template(template, who=console_principal(), nav=NAV, refusal=g.get("console_refusal"),
                           **context)


def done(endpoint: str | None = None, **values) -> Response:
    """303 to the page a form came from (its `back` field), or to `endpoint` with `values`."""
    back = _console_path(request.form.get("back"))
    return redirect(url_for(endpoint, **values) if endpoint else back or url_for("console.dashboard"), code=303)


def _console_path(candidate: str | None) -> str | None:
    path = safe_next(candidate)
    return path if path is not None and path.startswith("/console/") else None


def _page_view(back: str | None):
    """The console page view `back` names, with its arguments, or None; None too for a view that also takes POST
    (it would read the failed POST's form as its own)."""
    path = _console_path(back)
    if path is None:
        return None
    try:
        rule, args = current_app.create_url_adapter(request).match(path.split("?", 1)[0], method="GET",
                                                                   return_rule=True)
    except HTTPException:
        return None
    if not rule.endpoint.startswith(f"{blueprint.name}.") or "POST" in (rule.methods or ()):
        return None
    return current_app.view_functions[rule.endpoint], args


@blueprint.errorhandler(IdpError)
def _in_place(error: IdpError) -> Response:
    """A failed console request: the page it came from again, with the reason beside the control, at the error's
    status (the work was rolled back by the unit of work; the decisions stay in the audit log)."""
    if not error.sender_fault:
        return render_error(error)
    form_url = request.path if request.method == "POST" else None
    g.console_refusal = Refusal(getattr(error, "action", None), error.message, form_url, error.code)
    page = _page_view(request.form.get("back")) if request.method == "POST" else None
    response = None
    if page is not None:
        view, args = page
        try:
            response = current_app.make_response(view(**args))
        except IdpError:
            response = None  # the page itself is gone (a deleted user): the reason alone
    if response is None:
        response = current_app.make_response(
            render("console/base.html", title=TITLES.get(error.status, "Refused")))
    response.status_code = error.status
    return response
