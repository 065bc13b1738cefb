"""The second step of a sign-in: a TOTP or recovery code or a passkey for a pending sign-in, and passwordless
sign-in with a passkey alone.

Every code and passkey goes through the shared factor check (`idp.signin.factor_checks`): throttled per
principal, device and address with STS and IAM, once per TOTP step, every refusal audited as `mfa_failed`
and kept in the request's work. A success is audited `mfa_verified` (and `recovery_code_used`).
"""
from __future__ import annotations

from dataclasses import replace

from idp import audit
from idp.errors import AccessDenied, TooManyRequests
from idp.iam import recovery_codes
from idp.signin import factor_checks, passkeys
from idp.signin.factors import Owner, devices, factor_attempt, owner_by_id

PASSKEY_REFUSED = "The passkey could not be verified."


def prove_code(owner: Owner, method: str, code: str, *, address: str | None) -> list[str]:
    """Check a TOTP code (`method` "totp") or a recovery code ("recovery") for a pending sign-in; the amr it
    adds ("otp", or none for a recovery code: it is not a one-time password from a device).
    FactorRefused or TooManyRequests otherwise."""
    if method == "recovery":
        factor_checks.recovery_code(factor_attempt(owner, "login", address=address), code)
        extra_amr = []
    else:
        factor_checks.totp_code(factor_attempt(owner, "login", address=address,
                                               devices_checked=devices(owner, "virtual")), code)
        extra_amr = ["otp"]
    detail = {"method": method}
    if method == "recovery":
        detail["recovery_codes_left"] = recovery_codes.remaining(owner.account_id, owner.user_id)
        _verified("recovery_code_used", owner, detail)
    _verified("mfa_verified", owner, detail)
    return extra_amr


def prove_passkey(owner: Owner, credential, *, address: str | None) -> str:
    """Check one of the pending principal's passkeys as the second factor; the amr it adds ("hwk"/"swk").
    A refusal (PasskeyRefused, TooManyRequests) keeps the request's work: counted, audited, challenge spent."""
    assertion = factor_checks.passkey(factor_attempt(owner, "login", address=address),
                                      lambda: passkeys.authenticate(credential, passwordless=False),
                                      refusal=lambda: passkeys.PasskeyRefused(PASSKEY_REFUSED))
    _verified("mfa_verified", owner, {"method": "webauthn", "serial": assertion.device.serial_number})
    return assertion.amr


def passwordless(credential, *, address: str | None) -> tuple[Owner, str]:
    """Sign in with a passkey alone (user verification required): its owner and amr.

    The passkey names its owner, whose factor checks share one throttle on every surface; a user whose console
    access was removed is refused. Every refusal is noted `signin_failed` (written whether the error keeps the
    request's work or not).
    """
    refused = passkeys.PasskeyRefused(PASSKEY_REFUSED)
    try:
        device = passkeys.claimed_device(credential)
        if device is None:
            raise refused
        owner = owner_by_id(device.account_id, device.user_id)
        who = replace(factor_attempt(owner, "passwordless", address=address, devices_checked=[device]),
                      counts_principal=False)
        assertion = factor_checks.passkey(who, lambda: passkeys.authenticate(credential, passwordless=True),
                                          refusal=lambda: refused)
        if owner.user is not None and owner.user.login_profile is None:
            raise refused  # console access was removed
    except (AccessDenied, TooManyRequests):
        audit.note("signin_failed", decision="Deny", detail={"method": "passkey", "reason": "passkey_refused"})
        raise
    _verified("mfa_verified", owner, {"method": "passkey-passwordless", "serial": assertion.device.serial_number})
    return owner, assertion.amr


def _verified(action: str, owner: Owner, detail: dict) -> None:
    audit.record(action, actor=owner.arn, decision="Allow", account_id=owner.account_id, detail=detail)
