"""/account/mfa: list my MFA devices and passkeys, enrol TOTP, register a passkey, recovery codes, remove a device.

TOTP enrolment reuses IAM's virtual-device service, so the device is the
row `aws iam list-mfa-devices` and STS GetSessionToken see: the page creates
an unassigned device (CreateVirtualMFADevice), shows its QR code and secret,
and enables it on two consecutive codes (EnableMFADevice, as AWS's console
asks). The pending enrolment's serial number is kept in Flask's session.
"""
from __future__ import annotations

import base64
import re

from flask import flash, redirect, render_template, request, session, url_for

from idp import audit
from idp.errors import AccessDenied, ClientError, Conflict, TooManyRequests, ValidationError
from idp.iam import mfa_devices, names, recovery_codes, totp
from idp.signin import enrolment as device_enrolment
from idp.signin import passkeys
from idp.signin import sessions
from idp.web.mfa import Owner, blueprint, devices, owner_of
from idp.web.recent_auth import recent_auth_required
from models import db
from models.account import Account
from models.mfa import MfaDevice

ENROLMENT_KEY = "totp_enrolment"
ROOT_DEVICE_NAME = "root-account-mfa-device"  # the name AWS's console gives the root user's device


def _signed_in():
    """(browser session, owner), or (None, redirect to the login page)."""
    current = sessions.current()
    if current is None:
        return None, sessions.login_redirect(request.full_path.rstrip("?"))
    return current, owner_of(current)


def _record(action: str, owner: Owner, resource: str | None = None, *, decision: str = "Allow", **detail) -> None:
    audit.record(action, actor=owner.arn, resource=resource, decision=decision,
                 account_id=owner.account_id, detail=detail or None)


def _device_name(raw: str | None, owner: Owner) -> str:
    name = (raw or "").strip() or (owner.user.name if owner.user else ROOT_DEVICE_NAME)
    if not (1 <= len(name) <= 64 and re.fullmatch(names.NAME_PATTERN, name)):
        raise ValidationError("A device name is 1 to 64 letters, digits or + = , . @ _ - characters.")
    return name


def _pending_device(owner: Owner) -> MfaDevice | None:
    # Bound to its owner: another principal signing in on the same browser never sees this seed.
    enrolment = session.get(ENROLMENT_KEY) or {}
    if enrolment.get("owner") != owner.arn:
        return None
    device = mfa_devices.find(owner.account_id, enrolment["serial"])
    if device is None or device.is_enabled or device.kind != "virtual":
        return None
    return device


def _enrolment_view(owner: Owner) -> dict | None:
    device = _pending_device(owner)
    if device is None:
        return None
    seed = totp.open_seed(device)
    account = db.session.get(Account, owner.account_id)
    uri = totp.provisioning_uri(seed, account.alias or owner.account_id, device.name)
    qr = "data:image/png;base64," + base64.b64encode(totp.qr_png(uri)).decode("ascii")
    return {"serial": device.serial_number, "name": device.name, "secret": seed, "qr": qr}


def _page(owner: Owner, *, status: int = 200, message: str | None = None, codes: list[str] | None = None):
    html = render_template(
        "mfa_manage.html", owner=owner, devices=devices(owner), enrolment=_enrolment_view(owner),
        recovery_left=recovery_codes.remaining(owner.account_id, owner.user_id), message=message, codes=codes,
    )
    return html, status


@blueprint.get("/account/mfa")
def manage():
    """The MFA page of the signed-in principal."""
    current, owner = _signed_in()
    if current is None:
        return owner
    return _page(owner)


@blueprint.post("/account/mfa/totp")
@recent_auth_required(back="mfa.manage")
def totp_start():
    """Create an unassigned virtual device and show its QR code and secret."""
    current, owner = _signed_in()
    if current is None:
        return owner
    _discard_pending(owner)
    try:
        created = mfa_devices.create(owner.account_id, _device_name(request.form.get("name"), owner), "/", [])
    except (Conflict, ValidationError) as refused:
        db.session.commit()  # the abandoned enrolment stays discarded
        return _page(owner, status=400, message=refused.message)
    session[ENROLMENT_KEY] = {"serial": created.device.serial_number, "owner": owner.arn}
    _record("mfa_device_created", owner, created.device.serial_number)
    db.session.commit()
    return redirect(url_for("mfa.manage") + "#enrol")


def _discard_pending(owner: Owner) -> None:
    # An abandoned enrolment leaves an unassigned device with a seed that was shown: delete it.
    device = _pending_device(owner)
    if device is not None:
        mfa_devices.delete(device)
    session.pop(ENROLMENT_KEY, None)


@blueprint.post("/account/mfa/totp/cancel")
def totp_cancel():
    """Abandon a pending TOTP enrolment."""
    current, owner = _signed_in()
    if current is None:
        return owner
    _discard_pending(owner)
    db.session.commit()
    return redirect(url_for("mfa.manage"))


@blueprint.post("/account/mfa/totp/confirm")
@recent_auth_required(back="mfa.manage")
def totp_confirm():
    """Enable the pending device on two consecutive codes (EnableMFADevice)."""
    current, owner = _signed_in()
    if current is None:
        return owner
    device = _pending_device(owner)
    if device is None:
        return _page(owner, status=400, message="There is no authenticator app waiting to be confirmed.")
    try:
        device_enrolment.enable(device, owner.user, request.form.get("code1", "").strip(),
                           request.form.get("code2", "").strip(), surface="web:totp-enrolment", actor=owner.arn,
                           address=request.remote_addr)
    except TooManyRequests:
        db.session.commit()  # the refusal is audited
        raise
    except ClientError as refused:
        _record("mfa_enabled", owner, device.serial_number, decision="Deny", reason=refused.code)
        db.session.commit()
        wrong_codes = "Those codes are not two consecutive codes of the new device."
        return _page(owner, status=400, message=refused.message if refused.code == "LimitExceeded" else wrong_codes)
    session.pop(ENROLMENT_KEY, None)
    _record("mfa_enabled", owner, device.serial_number, kind="virtual")
    db.session.commit()
    flash("Authenticator app added.")
    return redirect(url_for("mfa.manage"))


@blueprint.post("/account/mfa/remove")
@recent_auth_required(back="mfa.manage")
def remove():
    """Remove one of my devices (a recent sign-in, or a password or code in `reauth_*`, is checked first)."""
    current, owner = _signed_in()
    if current is None:
        return owner
    serial = request.form.get("serial", "")
    device = next((d for d in devices(owner) if d.serial_number == serial), None)
    if device is None:
        return _page(owner, status=404, message="No such device.")
    kind = device.kind
    mfa_devices.deactivate(device)
    if kind == "virtual":
        mfa_devices.delete(device)
    _record("mfa_removed", owner, serial, kind=kind)
    db.session.commit()
    flash("Device removed.")
    return redirect(url_for("mfa.manage"))


@blueprint.post("/account/mfa/recovery-codes")
@recent_auth_required(back="mfa.manage")
def recovery_codes_generate():
    """Generate ten recovery codes, shown this once; any earlier set stops working."""
    current, owner = _signed_in()
    if current is None:
        return owner
    codes = recovery_codes.generate(owner.account_id, owner.user_id)
    _record("recovery_codes_generated", owner, count=len(codes))
    db.session.commit()
    return _page(owner, codes=codes)


@blueprint.post("/account/mfa/passkey/options")
@recent_auth_required(back="mfa.manage")
def passkey_register_options():
    """JSON options for navigator.credentials.create()."""
    current, owner = _signed_in()
    if current is None:
        raise AccessDenied("Sign in first.")
    return passkeys.registration_options(owner.account_id, owner.user, f"{owner.label}@{owner.account_id}")


@blueprint.post("/account/mfa/passkey/verify")
@recent_auth_required(back="mfa.manage")
def passkey_register_verify():
    """Verify the browser's attestation and store the passkey."""
    current, owner = _signed_in()
    if current is None:
        raise AccessDenied("Sign in first.")
    body = request.get_json(silent=True) or {}
    name = _device_name(body.get("name") or "passkey", owner)
    try:
        device = passkeys.register(owner.account_id, owner.user, body.get("credential"), name)
    except AccessDenied as refused:
        _record("passkey_registered", owner, decision="Deny", reason=refused.message)
        db.session.commit()
        raise
    _record("passkey_registered", owner, device.serial_number, kind="webauthn")
    db.session.commit()
    flash("Passkey added.")
    return {"ok": True, "serial": device.serial_number, "redirect": url_for("mfa.manage")}
