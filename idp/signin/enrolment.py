"""Enabling (EnableMFADevice, the account page) and resyncing a virtual MFA device: two consecutive codes, proved
through the shared factor check, so they are throttled per device and principal like every other code."""
from __future__ import annotations

from idp.iam import mfa_devices
from idp.signin import factor_checks
from models.mfa import MfaDevice
from models.user import User


def enable(device: MfaDevice, user: User | None, code1: str, code2: str, *, surface: str = "iam:EnableMFADevice",
           actor: str | None = None, address: str | None = None) -> None:
    """Assign an unassigned virtual device to `user` (None: root) once it proves two consecutive codes.

    InvalidAuthenticationCode when they are not; TooManyRequests while the
    device's or the principal's factor checks back off (codes not checked then).
    """
    mfa_devices.check_assignable(device, user)
    _prove(device, user, code1, code2, surface=surface, actor=actor, address=address)
    mfa_devices.assign(device, user)


def resync(device: MfaDevice, code1: str, code2: str, *, actor: str | None = None,
           address: str | None = None) -> None:
    """Re-anchor an enabled device on two consecutive codes (the last used step moves forward), throttled."""
    _prove(device, device.user, code1, code2, surface="iam:ResyncMFADevice", actor=actor, address=address)


def _prove(device: MfaDevice, user: User | None, code1: str, code2: str, *, surface: str, actor: str | None,
           address: str | None) -> None:
    # Through the shared factor check: throttled per device and per principal, once per time step.
    who = factor_checks.Attempt(account_id=device.account_id, user_id=user.id if user is not None else None,
                                actor=actor, surface=surface, address=address)
    refusal = lambda: mfa_devices.InvalidAuthenticationCode("Authentication code for device is not valid.")  # noqa: E731
    if device.kind != "virtual":
        factor_checks.refuse(device.account_id, actor, surface, refusal())
    factor_checks.consecutive_codes(who, device, code1, code2, refusal=refusal)
