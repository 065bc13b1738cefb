"""The authorization endpoint (RFC 6749 4.1.1, OIDC Core 3.1.2) as a pipeline of small checks.

Authlib validates client, redirect URI, response type, scope and PKCE; then
`checked_request` reads the OIDC parameters, `authenticated_subject` decides
whether the browser session will do (prompt, max_age, id_token_hint),
consent is asked for or remembered, and a code is issued. Until the redirect
URI is known to be registered, errors are an HTML page, never a redirect;
afterwards they go back to the client with `state` and, always, `iss`
(RFC 9207), by query or by form post.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from urllib.parse import urlencode

from authlib.oauth2.rfc6749 import (
    AccessDeniedError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
)
from authlib.oidc.core.errors import ConsentRequiredError, LoginRequiredError
from flask import Response, current_app, redirect, render_template, request
from flask import session as cookie_state

from idp import audit, clock
from idp.clock import as_utc
from idp.errors import ClientError
from idp.keys import jwt, keystore
from idp.oidc import admission, apis, consent
from idp.oidc.subjects import Subject, subject_of
from idp.oidc.tokens import issuer
from idp.signin import sessions
from idp.web.errors import render_error as render_page

PROMPTS = frozenset({"none", "login", "consent", "select_account"})
RESPONSE_MODES = ("query", "form_post")
# Fields of our own forms, not of the authorization request.
FORM_ONLY = frozenset({"csrf_token", "decision"})
REAUTH_KEY = "oidc.reauth"
HINT_LEEWAY = 86_400 * 30
MAX_NONCE = 512  # the column's size
MAX_STATE = 2048


@dataclass(frozen=True)
class CheckedRequest:
    """A validated authorization request."""

    grant: object
    redirect_uri: str
    state: str | None
    response_mode: str
    scopes: list[str]
    prompt: frozenset[str]
    max_age: int | None
    hint_subject: str | None
    acr_values: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()  # RFC 8707: the APIs the token is for

    @property
    def client(self):
        return self.grant.request.client.model


def handle(decision: str | None) -> Response:
    """Answer an authorization request; `decision` is the consent form's allow/deny, None elsewhere."""
    server = current_app.extensions["idp.oauth2"]
    mode = request.values.get("response_mode") if request.values.get("response_mode") in RESPONSE_MODES else "query"
    try:
        grant = server.get_consent_grant(end_user=None)
        checked = checked_request(grant)
        subject_or_login = authenticated_subject(checked)
        if isinstance(subject_or_login, Response):
            return subject_or_login
        subject = subject_or_login
        admitted(checked, subject)
        if decision is None and needs_consent(checked, subject):
            if "none" in checked.prompt:
                raise ConsentRequiredError(redirect_uri=checked.redirect_uri)
            return consent_page(checked)
        if decision == "deny":
            raise AccessDeniedError("The user denied the request.", redirect_uri=checked.redirect_uri)
        if decision == "allow":
            consent.remember(subject, checked.client, checked.scopes)
        code = grant.generate_authorization_code()
        grant.request.user = subject
        grant.request.resources = list(checked.resources)
        grant.save_authorization_code(code, grant.request)
        audit.record("oauth:Authorize", actor=subject.principal_arn, resource=checked.client.client_id,
                     decision="Allow", account_id=subject.account_id, detail={"scope": " ".join(checked.scopes)})
        return respond(checked.redirect_uri, {"code": code, "state": checked.state}, checked.response_mode)
    except OAuth2Error as error:
        # Answered, not raised, so the unit of work commits: no refusal here follows a write but its audit entries.
        if not error.redirect_uri:
            return render_page(ClientError(error.get_error_description() or error.error))
        state = request.values.get("state")
        params = {"error": error.error, "error_description": error.get_error_description() or None, "state": state}
        return respond(error.redirect_uri, params, mode)


def checked_request(grant) -> CheckedRequest:
    """The OIDC parameters, each refused with a redirect to the (now validated) redirect URI."""
    redirect_uri = grant.redirect_uri
    values = request.values

    def refuse(message: str, error=InvalidRequestError):
        raise error(message, redirect_uri=redirect_uri)

    for name in ("request", "request_uri"):
        if name in values:
            raise OAuth2Error(f"The {name} parameter is not supported.", redirect_uri=redirect_uri,
                              error=f"{name}_not_supported")
    mode = values.get("response_mode", "query")
    if mode not in RESPONSE_MODES:
        refuse("response_mode must be query or form_post.")
    requested = (values.get("scope") or "").split()
    allowed = grant.request.client.model.scopes
    if any(scope not in allowed for scope in requested):
        refuse("The client is not registered for a requested scope.", InvalidScopeError)
    prompt = frozenset((values.get("prompt") or "").split())
    if prompt - PROMPTS or ("none" in prompt and len(prompt) > 1):
        refuse("prompt must be none alone, or any of login, consent, select_account.")
    if len(values.get("nonce") or "") > MAX_NONCE or len(values.get("state") or "") > MAX_STATE:
        refuse(f"nonce may be at most {MAX_NONCE} and state at most {MAX_STATE} characters.")
    max_age = values.get("max_age")
    if max_age is not None and not (max_age.isdigit() and len(max_age) <= 9):
        refuse("max_age must be a non-negative integer.")
    hint = values.get("id_token_hint")
    client = grant.request.client.model
    resources = apis.requested_resources(values.getlist("resource"), client.account_id, redirect_uri=redirect_uri,
                                         client_id=client.client_id)
    return CheckedRequest(grant, redirect_uri, values.get("state"), mode, requested or list(allowed), prompt,
                          int(max_age) if max_age is not None else None,
                          _hint_subject(hint, grant.request.client.model.client_id, refuse) if hint else None,
                          tuple((values.get("acr_values") or "").split()[:8]), tuple(resources))


def _hint_subject(hint: str, client_id: str, refuse) -> str:
    """The `sub` of an ID token we issued to this client (it may have expired)."""
    def lookup(kid: str):
        loaded = keystore().verification_key(kid)
        return (loaded.key, loaded.alg) if loaded else None

    try:
        claims = jwt.verify(hint, lookup, kind=jwt.ID_TOKEN, issuer=issuer(), audience=client_id, leeway=HINT_LEEWAY)
    except jwt.InvalidToken:
        refuse("id_token_hint is not an ID token this provider issued to the client.")
    return str(claims.get("sub"))


def authenticated_subject(checked: CheckedRequest) -> Subject | Response:
    """The browser session's subject, or a redirect to sign in (prompt, max_age, id_token_hint permitting)."""
    session = sessions.current()
    now = clock.now()
    request_key = _request_key()
    marker = cookie_state.get(REAUTH_KEY) or {}
    fresh = session is not None and marker.get("request") == request_key and (
        as_utc(session.auth_time).timestamp() >= marker.get("after", float("inf")))
    subject = subject_of(session) if session is not None else None
    stale = checked.max_age is not None and session is not None and (
        (now - as_utc(session.auth_time)).total_seconds() > checked.max_age)
    wants_login = bool({"login", "select_account"} & checked.prompt) or stale or (
        session is not None and _wants_mfa(checked, session))
    other_user = subject is not None and checked.hint_subject is not None and checked.hint_subject != subject.sub
    if subject is not None and (fresh or not (wants_login or other_user)):
        if other_user:
            raise LoginRequiredError("The signed-in user is not the one id_token_hint names.",
                                     redirect_uri=checked.redirect_uri)
        return subject
    if "none" in checked.prompt:
        raise LoginRequiredError(redirect_uri=checked.redirect_uri)
    cookie_state[REAUTH_KEY] = {"request": request_key, "after": int(now.timestamp())}
    return sessions.login_redirect(authorization_path())


def _wants_mfa(checked: CheckedRequest, session) -> bool:
    """`acr_values` asks for MFA, the session has only a password, and the principal has a second factor now.

    acr_values are voluntary (OIDC Core 3.1.2.1): a principal without any
    second factor signs in with what it has and the `acr` claim says so.
    """
    if sessions.ACR_MFA not in checked.acr_values or session.acr == sessions.ACR_MFA:
        return False
    from idp.signin.factors import factors

    return bool(factors(session.account_id, session.user_id))


def admitted(checked: CheckedRequest, subject: Subject) -> None:
    """Accounts are a boundary: a principal of an account the client does not admit gets access_denied
    (audited; no consent or code written), before consent is asked or remembered."""
    try:
        admission.require(checked.client, subject.account_id, actor=subject.principal_arn, surface="authorize")
    except admission.AccountNotAdmitted as refused:
        raise AccessDeniedError(refused.message, redirect_uri=checked.redirect_uri) from None


def needs_consent(checked: CheckedRequest, subject: Subject) -> bool:
    """Third-party clients ask once per set of scopes (and again on prompt=consent); trusted ones never."""
    if checked.client.is_trusted and "consent" not in checked.prompt:
        return False
    return "consent" in checked.prompt or not consent.covers(subject, checked.client, checked.scopes)


def consent_page(checked: CheckedRequest) -> Response:
    """The consent form; it posts the authorization request back with the user's decision."""
    fields = [(k, v) for k in request.values for v in request.values.getlist(k) if k not in FORM_ONLY]
    html = render_template("consent.html", client=checked.client, scopes=checked.scopes, fields=fields)
    return Response(html, mimetype="text/html")


def respond(redirect_uri: str, params: dict, mode: str) -> Response:
    """Send the authorization response with `iss`, by redirect or by an auto-submitting form."""
    params = {**{k: v for k, v in params.items() if v is not None}, "iss": issuer()}
    if mode == "form_post":
        html = render_template("oidc_form_post.html", action=redirect_uri, params=params)
        return Response(html, mimetype="text/html")
    separator = "&" if "?" in redirect_uri else "?"
    return redirect(f"{redirect_uri}{separator}{urlencode(params)}", code=302)


def authorization_path() -> str:
    """This request as a GET URL of the authorization endpoint (where sign-in returns to)."""
    pairs = [(k, v) for k in request.values for v in request.values.getlist(k) if k not in FORM_ONLY]
    return f"/oauth2/authorize?{urlencode(pairs)}"


def _request_key() -> str:
    pairs = sorted((k, v) for k in request.values for v in request.values.getlist(k) if k not in FORM_ONLY)
    return hashlib.sha256(json.dumps(pairs).encode()).hexdigest()[:32]
