"""The end-session endpoint (`/oauth2/logout`) and its confirmation form (`POST /logout/confirm`).

The endpoint is under `/oauth2/` (no CSRF token: RPs send browsers to it), so
it ends a session at once only when a verified `id_token_hint` names that
session or its user; otherwise it asks, with a CSRF-protected form outside
`/oauth2/`. Refusals are HTML pages, never redirects.
"""
from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request

from idp.errors import IdpError
from idp.oidc import logout
from idp.signin import sessions
from idp.web.errors import render_error

blueprint = Blueprint("oidc_logout", __name__)
blueprint.register_error_handler(IdpError, render_error)


@blueprint.route("/oauth2/logout", methods=["GET", "POST"])
def end_session() -> Response:
    """RP-Initiated Logout 1.0 section 2."""
    checked = logout.check(request.values)
    session = sessions.current()
    if session is None:
        return _finish(checked)
    if checked.matches(session):
        logout.end_session(session)
        return _finish(checked)
    html = render_template("logout_confirm.html", client=checked.client, redirect_uri=checked.redirect_uri,
                           state=checked.state)
    return Response(html, mimetype="text/html")


@blueprint.post("/logout/confirm")
def confirm() -> Response:
    """The confirmation form's answer: sign out (ending the session everywhere) or stay signed in."""
    checked = logout.check(request.form)
    if request.form.get("decision") != "logout":
        return redirect("/account", code=303)
    session = sessions.current()
    if session is not None:
        logout.end_session(session)
    return _finish(checked)


def _finish(checked: logout.LogoutRequest) -> Response:
    target = checked.redirect_target()
    if target is not None:
        return redirect(target, code=303 if request.method == "POST" else 302)
    return Response(render_template("logout_done.html", client=checked.client), mimetype="text/html")
