"""The one place a second factor is checked: TOTP codes, recovery codes and passkey assertions, on every surface.

Every surface that checks a factor (the /login/mfa page, the re-authentication
asked before adding a credential, /account/mfa removal, STS GetSessionToken and
AssumeRole with `SerialNumber`/`TokenCode`, IAM EnableMFADevice and
ResyncMFADevice) calls `attempt` through one of the functions below, so that:

- one counter per principal (`mfa:<account>:<user pk|root>`, the key the
  sign-in page has always used) and one per device (`mfa-device:<serial>`)
  is shared by all of them, with the sign-in throttle's exponential back-off
  (`idp.signin.throttle`); the source address counts too, as on the sign-in page;
- while any of those keys backs off, the factor is not even checked
  (`TooManyRequests`, which the AWS renderer words as `Throttling`);
- a TOTP code is accepted once per time step on every surface: the device's
  `last_used_step` moves by compare-and-set (`idp.iam.totp`);
- every refusal is audited as `mfa_failed` naming the surface.

Nothing here commits: a refusal is counted and audited in the request's unit of
work, which must outlive the refusal (a refused request must still count). So
the refusals raised here keep that work (`FactorRefused` and `TooManyRequests`
are `keeps_work`, and so must a caller's own `refusal`), or the caller answers
with a page instead of raising. Devices are counted only when the code was
actually checked against them, so naming someone else's serial number cannot
throttle their device.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence, TypeVar

from idp import audit, clock, metrics
from idp.errors import AccessDenied, IdpError, TooManyRequests
from idp.iam import recovery_codes, totp
from idp.signin import throttle
from models.mfa import MfaDevice

T = TypeVar("T")

RULE = throttle.USER_RULE
# What STS answers for a wrong, replayed or foreign code (AWS's words, trailing space included).
STS_WRONG_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code. "
MAX_KEY = 255


class FactorRefused(AccessDenied):
    """A factor that did not verify (wrong, replayed, unknown); already counted and audited."""

    keeps_work = True


@dataclass(frozen=True)
class Attempt:
    """Who is proving a factor, where, and against which devices."""

    account_id: str
    user_id: int | None  # None: the account root user
    actor: str | None  # the ARN audited as the actor
    surface: str  # "login", "reauth", "sts:GetSessionToken", "iam:EnableMFADevice", ...
    address: str | None = None  # the source address, counted like the sign-in page counts it
    devices: Sequence[MfaDevice] = field(default_factory=tuple)
    # False where anyone may answer for the principal without a password first (passwordless passkeys): its
    # back-off is honoured but a failure is counted only on the address, so strangers cannot lock it.
    counts_principal: bool = True

    def principal_key(self) -> str:
        """`mfa:<account>:<user pk|root>`: every factor of one principal shares it."""
        return principal_key(self.account_id, self.user_id)

    def keys(self) -> list[str]:
        """Every counter this attempt must pass: principal, each device, the source address."""
        found = [self.principal_key(), *(device_key(d.serial_number) for d in self.devices)]
        if self.address is not None:
            found.append(throttle.address_key(self.address))
        return list(dict.fromkeys(found))


def principal_key(account_id: str, user_id: int | None) -> str:
    """The throttle key of one principal's factors."""
    return f"mfa:{account_id}:{'root' if user_id is None else user_id}"


def device_key(serial: str) -> str:
    """The throttle key of one device (serial numbers longer than the key column are hashed)."""
    key = f"mfa-device:{serial.lower()}"
    return key if len(key) <= MAX_KEY else f"mfa-device:sha256:{hashlib.sha256(serial.lower().encode()).hexdigest()}"


def attempt(who: Attempt, verify: Callable[[], T | None], *, method: str,
            refusal: Callable[[], IdpError] | None = None) -> T:
    """Check a factor through the shared throttle: TooManyRequests while backing off, `refusal()` when it fails.

    `verify` returns the proof (truthy) or None/False; it is not called while
    any key of `who` backs off. Failures count on every key; a success clears
    the principal's and the devices' keys (the address key only decays).
    """
    try:
        throttle.hold(who.keys())
        throttle.check(who.keys())
    except TooManyRequests:
        _audit(who, method, reason="throttled")
        raise
    proof = verify()
    if not proof:
        for key in who.keys() if who.counts_principal else [k for k in who.keys() if k.startswith("ip:")]:
            throttle.failed(key, throttle.ADDRESS_RULE if key.startswith("ip:") else RULE)
        _audit(who, method, reason="invalid")
        raise refusal() if refusal is not None else FactorRefused("That code is not valid.")
    for key in who.keys():
        if not key.startswith("ip:"):
            throttle.succeeded(key)
    return proof


def totp_code(who: Attempt, code: str, **kwargs) -> MfaDevice:
    """The device among `who.devices` (virtual, enabled) whose code for a step near now is `code`, once per step."""
    now = clock.now()

    def verify() -> MfaDevice | None:
        return next((d for d in who.devices if d.kind == "virtual" and totp.verify_code(d, code, now)), None)

    return attempt(who, verify, method="totp", **kwargs)


def consecutive_codes(who: Attempt, device: MfaDevice, first: str, second: str, **kwargs) -> MfaDevice:
    """Two consecutive codes of `device` (EnableMFADevice, ResyncMFADevice, TOTP enrolment), once per step."""
    now = clock.now()

    def verify() -> MfaDevice | None:
        return device if totp.verify_consecutive(device, first, second, now) else None

    return attempt(replace(who, devices=(device,)), verify, method="totp-consecutive", **kwargs)


def recovery_code(who: Attempt, code: str, **kwargs) -> bool:
    """Spend one of the principal's recovery codes."""
    return attempt(who, lambda: recovery_codes.consume(who.account_id, who.user_id, code), method="recovery", **kwargs)


def passkey(who: Attempt, verify: Callable[[], T], **kwargs) -> T:
    """A passkey assertion, `verify` raising AccessDenied when it does not verify (the web ceremony owns the check)."""

    def checked() -> T | None:
        try:
            return verify()
        except AccessDenied:
            return None

    return attempt(who, checked, method="webauthn", **kwargs)


def refuse(account_id: str, actor: str | None, surface: str, error: IdpError) -> None:
    """Refuse a factor that cannot be checked at all (nothing to guess at): audited, not counted."""
    audit.record("mfa_failed", actor=actor, decision="Deny", account_id=account_id,
                 detail={"surface": surface, "reason": "no_device"})
    metrics.record_mfa_failure(surface, "no_device")
    raise error


def _audit(who: Attempt, method: str, *, reason: str) -> None:
    detail = {"surface": who.surface, "method": method, "reason": reason}
    if who.devices:
        detail["serials"] = [d.serial_number for d in who.devices][:8]
    audit.record("mfa_failed", actor=who.actor, decision="Deny", account_id=who.account_id, detail=detail)
    metrics.record_mfa_failure(who.surface, reason)
