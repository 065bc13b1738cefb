"""/login/mfa (the second factor of a pending sign-in) and passwordless passkey sign-in.

The pending sign-in (`idp.signin.pending`) holds a principal whose password
passed. It finishes with amr "otp" for a TOTP code, "hwk"/"swk" for a
passkey, or only "mfa" for a recovery code (a recovery code is not a
one-time password from a device; the audit detail says a code was spent).
Every code and passkey goes through the shared factor check
(`idp.signin.second_factor`, `idp.signin.factor_checks`): throttled per
principal, device and address with STS and IAM, once per TOTP step, every
refusal audited as `mfa_failed`.
"""
from __future__ import annotations

import json

from flask import Response, redirect, render_template, request, url_for

from idp.errors import AccessDenied
from idp.signin import factor_checks, passkeys, pending, second_factor, sessions
from idp.signin.factors import Owner, factors, owner_by_id
from idp.signin.urls import safe_next
from idp.web.mfa import blueprint

GENERIC_FAILURE = "That code is not valid. Try again."


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


@blueprint.post("/login/mfa")
def challenge_answer():
    """Check a TOTP or recovery code; finish the sign-in or show the page again."""
    owner = _pending_owner()
    if owner is None:
        return redirect(url_for("web.login"))
    method = request.form.get("method", "totp")
    try:  # a throttled attempt raises TooManyRequests, which keeps the count and the audit of the refusal
        extra_amr = second_factor.prove_code(owner, method, request.form.get("code", "").strip(),
                                             address=request.remote_addr)
    except factor_checks.FactorRefused:
        return _challenge_page(owner, status=401, message=GENERIC_FAILURE)  # counted and audited
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
    credential = (request.get_json(silent=True) or {}).get("credential")
    amr = second_factor.prove_passkey(owner, credential, address=request.remote_addr)
    return _as_json_redirect(pending.finish(extra_amr=[amr], acr=sessions.ACR_MFA))


@blueprint.post("/login/passkey/options")
def passkey_login_options():
    """Assertion options for passwordless sign-in with any discoverable passkey."""
    return passkeys.authentication_options()


@blueprint.post("/login/passkey/verify")
def passkey_login_verify():
    """Sign in with a passkey alone (user verification required) and start a session."""
    body = request.get_json(silent=True) or {}
    credential = body.get("credential") if isinstance(body, dict) else None
    owner, amr = second_factor.passwordless(credential, address=request.remote_addr)
    sessions.start(account_id=owner.account_id, user=owner.user, principal_arn=owner.arn,
                   amr=[amr], acr=sessions.ACR_MFA)
    return {"redirect": safe_next(body.get("next") if isinstance(body.get("next"), str) else None) or "/account"}
