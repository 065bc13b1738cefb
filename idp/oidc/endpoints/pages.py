"""Browser-facing OIDC pages: the authorization endpoint, the consent form, the account's Applications page."""
from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request

from idp.errors import ClientError, IdpError
from idp.oidc import consent
from idp.oidc.endpoints import authorize
from idp.oidc.subjects import subject_of
from idp.signin import sessions
from idp.web.errors import render_error

blueprint = Blueprint("oidc_pages", __name__)
blueprint.register_error_handler(IdpError, render_error)


@blueprint.route("/oauth2/authorize", methods=["GET", "POST"])
def authorization() -> Response:
    """OIDC Core 3.1.2.1: GET or form POST."""
    return authorize.handle(None)


@blueprint.post("/consent")
def consent_answer() -> Response:
    """The consent form's answer (CSRF-protected: it is not under /oauth2/)."""
    decision = request.form.get("decision")
    if decision not in ("allow", "deny"):
        raise ClientError("The consent form must answer allow or deny.")
    return authorize.handle(decision)


@blueprint.get("/account/apps")
def applications() -> Response:
    """The applications the signed-in user has consented to, each revocable."""
    session = sessions.current()
    subject = subject_of(session) if session is not None else None
    if subject is None:
        return sessions.login_redirect("/account/apps")
    html = render_template("account_apps.html", consents=consent.of_subject(subject),
                           revoked=request.args.get("revoked"))
    return Response(html, mimetype="text/html")


@blueprint.post("/account/apps/revoke")
def revoke_application() -> Response:
    """Withdraw consent to one client and revoke the grants made to it."""
    session = sessions.current()
    subject = subject_of(session) if session is not None else None
    if subject is None:
        return sessions.login_redirect("/account/apps")
    client_id = request.form.get("client_id", "")
    if not consent.withdraw(subject, client_id):
        raise ClientError("There is no consent to that application to revoke.")
    return redirect("/account/apps?revoked=1", code=303)
