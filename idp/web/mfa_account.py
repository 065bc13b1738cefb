"""/account/mfa: list my MFA devices and passkeys, enrol TOTP, register a passkey, recovery codes, remove a device.

The rules are `idp.signin.own_factors`; the page keeps which device this browser is enrolling in Flask's
session, bound to its owner, so another principal signing in on the same browser never sees that seed.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from flask import flash, g, redirect, render_template, request, session, url_for

from idp.errors import ClientError, Conflict, TooManyRequests, ValidationError
from idp.iam import recovery_codes
from idp.signin import own_factors, passkeys
from idp.signin.factors import Owner, devices, owner_of
from idp.web.mfa import blueprint
from idp.web.recent_auth import recent_auth_required
from idp.web.signed_in import signed_in_required, this_page

if TYPE_CHECKING:
    from models.mfa import MfaDevice

ENROLMENT_KEY = "totp_enrolment"


def _owner() -> Owner:
    """The MFA owner of the signed-in session (AccessDenied for a federated identity)."""
    return owner_of(g.browser_session)


def _pending_device(owner: Owner) -> MfaDevice | None:
    enrolment = session.get(ENROLMENT_KEY) or {}
    if enrolment.get("owner") != owner.arn:
        return None
    return own_factors.enrolling(owner, enrolment.get("serial"))


def _page(owner: Owner, *, status: int = 200, message: str | None = None, codes: list[str] | None = None):
    device = _pending_device(owner)
    html = render_template(
        "mfa_manage.html", owner=owner, devices=devices(owner),
        enrolment=own_factors.enrolment_view(owner, device) if device is not None else None,
        recovery_left=recovery_codes.remaining(owner.account_id, owner.user_id), message=message, codes=codes,
    )
    return html, status


@blueprint.get("/account/mfa")
@signed_in_required(back=this_page)
def manage():
    """The MFA page of the signed-in principal."""
    owner = _owner()
    return _page(owner)


@blueprint.post("/account/mfa/totp")
@signed_in_required(back=this_page)
@recent_auth_required(back="mfa.manage")
def totp_start():
    """Create an unassigned virtual device and show its QR code and secret."""
    owner = _owner()
    _discard_pending(owner)
    try:
        device = own_factors.start_totp(owner, request.form.get("name"))
    except (Conflict, ValidationError) as refused:
        return _page(owner, status=400, message=refused.message)  # the abandoned enrolment stays discarded
    session[ENROLMENT_KEY] = {"serial": device.serial_number, "owner": owner.arn}
    return redirect(url_for("mfa.manage") + "#enrol")


def _discard_pending(owner: Owner) -> None:
    own_factors.discard(_pending_device(owner))
    session.pop(ENROLMENT_KEY, None)


@blueprint.post("/account/mfa/totp/cancel")
@signed_in_required(back=this_page)
def totp_cancel():
    """Abandon a pending TOTP enrolment."""
    owner = _owner()
    _discard_pending(owner)
    return redirect(url_for("mfa.manage"))


@blueprint.post("/account/mfa/totp/confirm")
@signed_in_required(back=this_page)
@recent_auth_required(back="mfa.manage")
def totp_confirm():
    """Enable the pending device on two consecutive codes (EnableMFADevice)."""
    owner = _owner()
    device = _pending_device(owner)
    if device is None:
        return _page(owner, status=400, message="There is no authenticator app waiting to be confirmed.")
    try:
        own_factors.confirm_totp(owner, device, request.form.get("code1", "").strip(),
                                 request.form.get("code2", "").strip(), address=request.remote_addr)
    except TooManyRequests:
        raise  # counted and audited: the error keeps the request's work
    except ClientError as refused:
        return _page(owner, status=400, message=refused.message)
    session.pop(ENROLMENT_KEY, None)
    flash("Authenticator app added.")
    return redirect(url_for("mfa.manage"))


@blueprint.post("/account/mfa/remove")
@signed_in_required(back=this_page)
@recent_auth_required(back="mfa.manage")
def remove():
    """Remove one of my devices (a recent sign-in, or a password or code in `reauth_*`, is checked first)."""
    owner = _owner()
    if not own_factors.remove(owner, request.form.get("serial", "")):
        return _page(owner, status=404, message="No such device.")
    flash("Device removed.")
    return redirect(url_for("mfa.manage"))


@blueprint.post("/account/mfa/recovery-codes")
@signed_in_required(back=this_page)
@recent_auth_required(back="mfa.manage")
def recovery_codes_generate():
    """Generate ten recovery codes, shown this once; any earlier set stops working."""
    owner = _owner()
    return _page(owner, codes=own_factors.new_recovery_codes(owner))


@blueprint.post("/account/mfa/passkey/options")
@signed_in_required(refuse="Sign in first.")
@recent_auth_required(back="mfa.manage")
def passkey_register_options():
    """JSON options for navigator.credentials.create()."""
    owner = _owner()
    return passkeys.registration_options(owner.account_id, owner.user, f"{owner.label}@{owner.account_id}")


@blueprint.post("/account/mfa/passkey/verify")
@signed_in_required(refuse="Sign in first.")
@recent_auth_required(back="mfa.manage")
def passkey_register_verify():
    """Verify the browser's attestation and store the passkey."""
    owner = _owner()
    body = request.get_json(silent=True) or {}
    # A refusal keeps the request's work: the challenge stays spent, the refusal audited.
    device = own_factors.register_passkey(owner, body.get("credential"), body.get("name"))
    flash("Passkey added.")
    return {"ok": True, "serial": device.serial_number, "redirect": url_for("mfa.manage")}
