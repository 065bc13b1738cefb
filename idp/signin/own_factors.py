"""Self-service factors: the signed-in principal enrols an authenticator app or a passkey, removes a device,
generates recovery codes (`/account/mfa`). Each change is audited.

TOTP enrolment reuses IAM's virtual-device service, so the device is the row `aws iam list-mfa-devices` and
STS GetSessionToken see: an unassigned device is created (CreateVirtualMFADevice), its seed shown once, and it
is enabled on two consecutive codes (EnableMFADevice, through `idp.signin.enrolment`'s shared factor check).
Which device a browser is enrolling is the page's state; these functions are given it.
"""
from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING

from idp import audit
from idp.errors import ClientError, TooManyRequests, ValidationError
from idp.iam import accounts, mfa_devices, names, recovery_codes, totp
from idp.signin import enrolment, passkeys
from idp.signin.factors import Owner, devices

if TYPE_CHECKING:
    from models.mfa import MfaDevice

ROOT_DEVICE_NAME = "root-account-mfa-device"  # the name AWS's console gives the root user's device
NOT_CONSECUTIVE = "Those codes are not two consecutive codes of the new device."


def device_name(raw: str | None, owner: Owner) -> str:
    """The name typed, or the owner's (root: AWS console's) default; ValidationError when it is not a name."""
    name = (raw or "").strip() or (owner.user.name if owner.user else ROOT_DEVICE_NAME)
    if not (1 <= len(name) <= 64 and re.fullmatch(names.NAME_PATTERN, name)):
        raise ValidationError("A device name is 1 to 64 letters, digits or + = , . @ _ - characters.")
    return name


def enrolling(owner: Owner, serial: str | None) -> MfaDevice | None:
    """The unassigned virtual device `serial` names, while it is still waiting to be enabled; else None."""
    device = mfa_devices.find(owner.account_id, serial) if serial else None
    if device is None or device.is_enabled or device.kind != "virtual":
        return None
    return device


def enrolment_view(owner: Owner, device: MfaDevice) -> dict:
    """What the page shows of a device being enrolled: its secret and the QR code of its otpauth URI."""
    seed = totp.open_seed(device)
    account = accounts.find(owner.account_id)
    uri = totp.provisioning_uri(seed, account.alias or owner.account_id, device.name)
    qr = "data:image/png;base64," + base64.b64encode(totp.qr_png(uri)).decode("ascii")
    return {"serial": device.serial_number, "name": device.name, "secret": seed, "qr": qr}


def discard(device: MfaDevice | None) -> None:
    """An abandoned enrolment leaves an unassigned device with a seed that was shown: delete it."""
    if device is not None:
        mfa_devices.delete(device)


def start_totp(owner: Owner, raw_name: str | None) -> MfaDevice:
    """A new unassigned virtual device for the owner (Conflict, ValidationError on a bad or taken name)."""
    created = mfa_devices.create(owner.account_id, device_name(raw_name, owner), "/", [])
    _record("mfa_device_created", owner, created.device.serial_number)
    return created.device


def confirm_totp(owner: Owner, device: MfaDevice, code1: str, code2: str, *, address: str | None) -> None:
    """Enable the device on two consecutive codes. TooManyRequests (counted, audited) while the checks back off;
    ClientError, audited, for codes that do not prove it (its message says what to show)."""
    try:
        enrolment.enable(device, owner.user, code1, code2, surface="web:totp-enrolment", actor=owner.arn,
                         address=address)
    except TooManyRequests:
        raise
    except ClientError as refused:
        _record("mfa_enabled", owner, device.serial_number, decision="Deny", reason=refused.code)
        message = refused.message if refused.code == "LimitExceeded" else NOT_CONSECUTIVE
        raise ClientError(message, code=refused.code) from None
    _record("mfa_enabled", owner, device.serial_number, kind="virtual")


def remove(owner: Owner, serial: str) -> bool:
    """Remove one of the owner's devices (a virtual one is deleted too); False when it has none of that serial."""
    device = next((d for d in devices(owner) if d.serial_number == serial), None)
    if device is None:
        return False
    kind = device.kind
    mfa_devices.deactivate(device)
    if kind == "virtual":
        mfa_devices.delete(device)
    _record("mfa_removed", owner, serial, kind=kind)
    return True


def new_recovery_codes(owner: Owner) -> list[str]:
    """Ten recovery codes, shown this once; any earlier set stops working."""
    codes = recovery_codes.generate(owner.account_id, owner.user_id)
    _record("recovery_codes_generated", owner, count=len(codes))
    return codes


def register_passkey(owner: Owner, credential, raw_name: str | None) -> MfaDevice:
    """Verify the browser's attestation and store the passkey. PasskeyRefused, audited, keeps the request's
    work: the challenge stays spent."""
    name = device_name(raw_name or "passkey", owner)
    try:
        device = passkeys.register(owner.account_id, owner.user, credential, name)
    except passkeys.PasskeyRefused as refused:
        _record("passkey_registered", owner, decision="Deny", reason=refused.message)
        raise
    _record("passkey_registered", owner, device.serial_number, kind="webauthn")
    return device


def _record(action: str, owner: Owner, resource: str | None = None, *, decision: str = "Allow", **detail) -> None:
    audit.record(action, actor=owner.arn, resource=resource, decision=decision,
                 account_id=owner.account_id, detail=detail or None)
