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
from typing import TYPE_CHECKING

from flask import flash, g, redirect, render_template, request, session, url_for

from idp import audit
from idp.errors import ClientError, Conflict, TooManyRequests, ValidationError
from idp.iam import accounts, mfa_devices, names, recovery_codes, totp
from idp.signin import enrolment, passkeys
from idp.signin.factors import Owner, devices, owner_of
from idp.web.mfa import blueprint
from idp.web.recent_auth import recent_auth_required
from idp.web.signed_in import signed_in_required, this_page

if TYPE_CHECKING:
    from models.mfa import MfaDevice

ENROLMENT_KEY = "totp_enrolment"
ROOT_DEVICE_NAME = "root-account-mfa-device"  # the name AWS's console gives the root user's device


def _owner() -> Owner:
    """The MFA owner of the signed-in session (AccessDenied for a federated identity)."""
    return owner_of(g.browser_session)


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
    account = accounts.find(owner.account_id)
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
        created = mfa_devices.create(owner.account_id, _device_name(request.form.get("name"), owner), "/", [])
    except (Conflict, ValidationError) as refused:
        return _page(owner, status=400, message=refused.message)  # the abandoned enrolment stays discarded
    session[ENROLMENT_KEY] = {"serial": created.device.serial_number, "owner": owner.arn}
    _record("mfa_device_created", owner, created.device.serial_number)
    return redirect(url_for("mfa.manage") + "#enrol")


def _discard_pending(owner: Owner) -> None:
    # An abandoned enrolment leaves an unassigned device with a seed that was shown: delete it.
    device = _pending_device(owner)
    if device is not None:
        mfa_devices.delete(device)
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
        enrolment.enable(device, owner.user, request.form.get("code1", "").strip(),
                         request.form.get("code2", "").strip(), surface="web:totp-enrolment", actor=owner.arn,
                         address=request.remote_addr)
    except TooManyRequests:
        raise  # counted and audited: the error keeps the request's work
    except ClientError as refused:
        _record("mfa_enabled", owner, device.serial_number, decision="Deny", reason=refused.code)
        wrong_codes = "Those codes are not two consecutive codes of the new device."
        return _page(owner, status=400, message=refused.message if refused.code == "LimitExceeded" else wrong_codes)
    session.pop(ENROLMENT_KEY, None)
    _record("mfa_enabled", owner, device.serial_number, kind="virtual")
    flash("Authenticator app added.")
    return redirect(url_for("mfa.manage"))


@blueprint.post("/account/mfa/remove")
@signed_in_required(back=this_page)
@recent_auth_required(back="mfa.manage")
def remove():
    """Remove one of my devices (a recent sign-in, or a password or code in `reauth_*`, is checked first)."""
    owner = _owner()
    serial = request.form.get("serial", "")
    device = next((d for d in devices(owner) if d.serial_number == serial), None)
    if device is None:
        return _page(owner, status=404, message="No such device.")
    kind = device.kind
    mfa_devices.deactivate(device)
    if kind == "virtual":
        mfa_devices.delete(device)
    _record("mfa_removed", owner, serial, kind=kind)
    flash("Device removed.")
    return redirect(url_for("mfa.manage"))


@blueprint.post("/account/mfa/recovery-codes")
@signed_in_required(back=this_page)
@recent_auth_required(back="mfa.manage")
def recovery_codes_generate():
    """Generate ten recovery codes, shown this once; any earlier set stops working."""
    owner = _owner()
    codes = recovery_codes.generate(owner.account_id, owner.user_id)
    _record("recovery_codes_generated", owner, count=len(codes))
    return _page(owner, codes=codes)


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
    name = _device_name(body.get("name") or "passkey", owner)
    try:
        device = passkeys.register(owner.account_id, owner.user, body.get("credential"), name)
    except passkeys.PasskeyRefused as refused:
        _record("passkey_registered", owner, decision="Deny", reason=refused.message)
        raise  # it keeps the request's work: the challenge stays spent, the refusal audited
    _record("passkey_registered", owner, device.serial_number, kind="webauthn")
    flash("Passkey added.")
    return {"ok": True, "serial": device.serial_number, "redirect": url_for("mfa.manage")}
