"""/login/mfa (the second factor of a pending sign-in) and passwordless passkey sign-in.

The pending sign-in (`idp.web.pending`) holds a principal whose password
passed. It finishes with amr "otp" for a TOTP code, "hwk"/"swk" for a
passkey, or only "mfa" for a recovery code (a recovery code is not a
one-time password from a device; the audit detail says a code was spent).
Every wrong code is audited, answered with one generic message and counted
by the sign-in throttle.
"""
from __future__ import annotations

import json

from flask import Response, redirect, render_template, request, url_for

from idp import audit, clock
from idp.errors import AccessDenied, TooManyRequests
from idp.iam import recovery_codes, totp
from idp.web import passkeys, pending, sessions, throttle
from idp.web.mfa import Owner, blueprint, devices, factors, owner_by_id
from idp.web.urls import safe_next
from models import db

GENERIC_FAILURE = "That code is not valid. Try again."


def _record(action: str, owner: Owner, decision: str, **detail) -> None:
    audit.record(action, actor=owner.arn, decision=decision, account_id=owner.account_id, detail=detail or None)


def _throttle_keys(owner: Owner) -> list[str]:
    principal = owner.user_id if owner.user_id is not None else "root"
    return [f"mfa:{owner.account_id}:{principal}", throttle.address_key(request.remote_addr)]


def _throttle_check(owner: Owner) -> None:
    """TooManyRequests (429, Retry-After) while the owner's or this address's MFA attempts back off."""
    throttle.check(_throttle_keys(owner))


def _throttle_fail(owner: Owner) -> None:
    user_key, address_key = _throttle_keys(owner)
    throttle.failed(user_key, throttle.USER_RULE)
    throttle.failed(address_key, throttle.ADDRESS_RULE)


def _throttle_success(owner: Owner) -> None:
    throttle.succeeded(_throttle_keys(owner)[0])


def _challenge_page(owner: Owner, *, status: int = 200, message: str | None = None):
    html = render_template("mfa_challenge.html", owner=owner, factors=factors(owner.account_id, owner.user_id),
                           message=message)
    return html, status


def _pending_owner() -> Owner | None:
    state = pending.get()
    return owner_by_id(state["account_id"], state.get("user_id")) if state else None


@blueprint.get("/login/mfa")
def challenge():
    """Ask the pending sign-in for its second factor."""
    owner = _pending_owner()
    if owner is None:
        return redirect(url_for("web.login"))
    return _challenge_page(owner)


def _verify_totp(owner: Owner, code: str) -> bool:
    now = clock.now()
    return any(totp.verify_code(device, code, now) for device in devices(owner, "virtual"))


@blueprint.post("/login/mfa")
def challenge_answer():
    """Check a TOTP or recovery code; finish the sign-in or show the page again."""
    owner = _pending_owner()
    if owner is None:
        return redirect(url_for("web.login"))
    try:
        _throttle_check(owner)
    except TooManyRequests:
        _record("mfa_failed", owner, "Deny", reason="throttled")
        db.session.commit()
        raise
    method = request.form.get("method", "totp")
    code = request.form.get("code", "").strip()
    if method == "recovery":
        ok, extra_amr = recovery_codes.consume(owner.account_id, owner.user_id, code), []
    else:
        ok, extra_amr = _verify_totp(owner, code), ["otp"]
    if not ok:
        _record("mfa_failed", owner, "Deny", method=method)
        _throttle_fail(owner)
        db.session.commit()
        return _challenge_page(owner, status=401, message=GENERIC_FAILURE)
    detail = {"method": method}
    if method == "recovery":
        detail["recovery_codes_left"] = recovery_codes.remaining(owner.account_id, owner.user_id)
        _record("recovery_code_used", owner, "Allow", **detail)
    _record("mfa_verified", owner, "Allow", **detail)
    _throttle_success(owner)
    db.session.commit()
    return pending.finish(extra_amr=extra_amr, acr=sessions.ACR_MFA)


def _as_json_redirect(response: Response) -> Response:
    """The same response (its cookies kept) as `{"redirect": <Location>}` for fetch()."""
    location = response.headers.pop("Location", "/account")
    response.status_code = 200
    response.set_data(json.dumps({"redirect": location}))
    response.mimetype = "application/json"
    return response


@blueprint.post("/login/mfa/passkey/options")
def mfa_passkey_options():
    """Assertion options for the pending principal's own passkeys."""
    owner = _pending_owner()
    if owner is None:
        raise AccessDenied("The sign-in expired; start again.")
    return passkeys.authentication_options(account_id=owner.account_id, user_id=owner.user_id)


@blueprint.post("/login/mfa/passkey/verify")
def mfa_passkey_verify():
    """Check a passkey as the second factor and finish the sign-in."""
    owner = _pending_owner()
    if owner is None:
        raise AccessDenied("The sign-in expired; start again.")
    _throttle_check(owner)
    try:
        assertion = passkeys.authenticate((request.get_json(silent=True) or {}).get("credential"), passwordless=False)
    except AccessDenied:
        _record("mfa_failed", owner, "Deny", method="webauthn")
        _throttle_fail(owner)
        db.session.commit()
        raise
    _record("mfa_verified", owner, "Allow", method="webauthn", serial=assertion.device.serial_number)
    _throttle_success(owner)
    db.session.commit()
    return _as_json_redirect(pending.finish(extra_amr=[assertion.amr], acr=sessions.ACR_MFA))


@blueprint.post("/login/passkey/options")
def passkey_login_options():
    """Assertion options for passwordless sign-in with any discoverable passkey."""
    return passkeys.authentication_options()


@blueprint.post("/login/passkey/verify")
def passkey_login_verify():
    """Sign in with a passkey alone (user verification required) and start a session."""
    body = request.get_json(silent=True) or {}
    try:
        assertion = passkeys.authenticate(body.get("credential"), passwordless=True)
        owner = owner_by_id(assertion.device.account_id, assertion.device.user_id)
        if owner.user is not None and owner.user.login_profile is None:
            raise AccessDenied("The passkey could not be verified.")  # console access was removed
    except AccessDenied:
        audit.record("signin_failed", decision="Deny", detail={"method": "passkey", "reason": "passkey_refused"})
        db.session.commit()
        raise
    _record("mfa_verified", owner, "Allow", method="passkey-passwordless", serial=assertion.device.serial_number)
    sessions.start(account_id=owner.account_id, user=owner.user, principal_arn=owner.arn,
                   amr=[assertion.amr], acr=sessions.ACR_MFA)  # commits
    return {"redirect": safe_next(body.get("next") if isinstance(body.get("next"), str) else None) or "/account"}
