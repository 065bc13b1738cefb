"""The device flow's verification page (RFC 8628 3.3): `GET|POST /device`, `POST /device/decision`.

The user signs in, types (or brings in `verification_uri_complete`) the user
code, sees which application on which scopes asks, and allows or denies.
Both forms carry a CSRF token (they are outside `/oauth2/`). Wrong codes count
against the browser session and the source address with the sign-in
throttle's exponential back-off, so 34 bits of user code cannot be searched.
"""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from idp.errors import ClientError, IdpError
from idp.oidc import admission, device
from idp.oidc.subjects import subject_of
from idp.signin import sessions
from idp.web.errors import render_error

blueprint = Blueprint("oidc_device", __name__)
blueprint.register_error_handler(IdpError, render_error)

@blueprint.get("/device")
def verification() -> Response:
    """The code entry form, pre-filled from `verification_uri_complete`."""
    session = sessions.current()
    if session is None:
        return sessions.login_redirect(request.full_path.rstrip("?"))
    return _page("device.html", user_code=request.args.get("user_code", "")[:32])


@blueprint.post("/device")
def enter_code() -> Response:
    """Look the code up (throttled) and show what the device asks for."""
    session = sessions.current()
    if session is None:
        return sessions.login_redirect("/device")
    row = device.pending_for_browser(request.form.get("user_code", ""), session, request.remote_addr)
    subject = subject_of(session)
    if subject is not None:
        _admitted(row, subject)
    return _page("device_confirm.html", client=row.client, scopes=row.scope.split(),
                 user_code=request.form.get("user_code", ""))


@blueprint.post("/device/decision")
def decision() -> Response:
    """Allow or deny the device; the device's next poll gets tokens or access_denied."""
    session = sessions.current()
    if session is None:
        return sessions.login_redirect("/device")
    answer = request.form.get("decision")
    if answer not in ("allow", "deny"):
        raise ClientError("The form must answer allow or deny.")
    subject = subject_of(session)
    if subject is None:
        raise ClientError("Finish linking your account before authorizing a device.")
    row = device.pending_for_browser(request.form.get("user_code", ""), session, request.remote_addr)
    _admitted(row, subject)
    device.decide(row, session, subject, approve=answer == "allow")
    return _page("device_done.html", client=row.client, approved=answer == "allow")


def _admitted(row, subject) -> None:
    """Accounts are a boundary: a principal of an account the device's client does not admit can neither see
    nor answer its request (audited; the request stays pending for someone who may)."""
    admission.require(row.client, subject.account_id, actor=subject.principal_arn, surface="device")


def _page(template: str, **context) -> Response:
    return Response(render_template(template, **context), mimetype="text/html")
