"""The device authorization grant (RFC 8628): requests, the user's decision, polling and token issue.

Only hashes of device and user codes are stored. User codes are 8 letters
from a 20-consonant alphabet (RFC 8628 6.1: ~34.5 bits, no vowels so no
words), typed case- and dash-insensitively; guessing is throttled at the
verification page (`idp.oidc.endpoints.device_pages`). Each poll is kept even though
it is refused, so `slow_down` (interval + 5 s, 3.5) holds across instances.
A device code is redeemed by one `UPDATE ... WHERE status = 'approved'`, so
one of concurrent polls wins; presenting it again revokes the grant it made.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from authlib.oauth2.rfc6749 import AccessDeniedError, InvalidGrantError
from authlib.oauth2.rfc8628 import (
    AuthorizationPendingError,
    ExpiredTokenError,
    SlowDownError,
)
from sqlalchemy import select, update

from idp import audit, clock
from idp.errors import ClientError
from idp.oidc import issuance, tokens
from idp.oidc.clients import ClientSnapshot
from idp.oidc.errors import GrantRevoked
from idp.oidc.subjects import Subject
from idp.signin import throttle
from models import db
from models.oauth_client import OAuthClient
from models.oauth_grant import DeviceAuthorization, RefreshTokenFamily
from models.session import BrowserSession

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"


class PollRecorded(AuthorizationPendingError):
    """RFC 8628 3.5 `authorization_pending`; the poll's time is kept (`keeps_work`) to pace the next one."""

    keeps_work = True


class SlowDown(SlowDownError):
    """RFC 8628 3.5 `slow_down`; the poll's time and the longer interval are kept (`keeps_work`)."""

    keeps_work = True


LIFETIME = timedelta(minutes=10)
INTERVAL = 5
SLOW_DOWN_STEP = 5
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8


def verification_uri() -> str:
    """Where the user types the code."""
    return f"{tokens.issuer()}/device"


def normalize_user_code(typed: str) -> str | None:
    """What the user typed as the canonical code (upper case, no dashes or spaces); None when it cannot be one."""
    value = "".join(c for c in (typed or "")[:32].upper() if c not in "- ")
    if len(value) != USER_CODE_LENGTH or any(c not in USER_CODE_ALPHABET for c in value):
        return None
    return value


def start(client: ClientSnapshot, scope: str, resources: list[str] | None = None) -> dict:
    """A new pending request (for the APIs in `resources`, RFC 8707); the RFC 8628 3.2 response body."""
    device_code = tokens.new_secret_value()
    user_code = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))
    display = f"{user_code[:4]}-{user_code[4:]}"
    now = clock.now()
    db.session.add(DeviceAuthorization(
        device_code_hash=tokens.token_hash(device_code), user_code_hash=_user_code_hash(user_code),
        client_id=client.id, scope=scope, resources=list(resources or []), status="pending", interval=INTERVAL,
        expires_at=now + LIFETIME, amr=[]))
    db.session.flush()
    return {"device_code": device_code, "user_code": display, "verification_uri": verification_uri(),
            "verification_uri_complete": f"{verification_uri()}?user_code={display}",
            "expires_in": int(LIFETIME.total_seconds()), "interval": INTERVAL}


def pending(typed: str) -> DeviceAuthorization | None:
    """The live pending request with this user code, or None (unknown, expired or already decided)."""
    code = normalize_user_code(typed)
    if code is None:
        return None
    row = db.session.scalar(select(DeviceAuthorization).where(
        DeviceAuthorization.user_code_hash == _user_code_hash(code)))
    if row is None or row.status != "pending" or clock.as_utc(row.expires_at) <= clock.now():
        return None
    return row


class UnknownUserCode(ClientError):
    """A user code that names no pending request; the counted guess is kept (`keeps_work`)."""

    keeps_work = True


# Wrong user codes back off like sign-ins, per browser session and per source address.
GUESS_RULE = throttle.Rule(free_failures=5, cap=throttle.USER_RULE.cap)


def pending_for_browser(typed: str, session: BrowserSession, address: str | None) -> DeviceAuthorization:
    """The pending request a signed-in browser typed the user code of. Wrong codes count against the session
    and the source address with the sign-in throttle's back-off, so 34 bits of user code cannot be searched;
    UnknownUserCode keeps the counted guess."""
    keys = [f"device-ip:{address or 'unknown'}", f"device-session:{session.id_hash[:32]}"]
    throttle.check(keys)
    row = pending(typed)
    if row is None:
        for key in keys:
            throttle.failed(key, GUESS_RULE)
        raise UnknownUserCode("That code is not valid. Check the code shown on your device and try again.")
    return row


def decide(row: DeviceAuthorization, session: BrowserSession, subject: Subject, *, approve: bool) -> None:
    """Record the signed-in user's answer (once: a decided request cannot be decided again)."""
    now = clock.now()
    changed = db.session.execute(
        update(DeviceAuthorization).where(DeviceAuthorization.id == row.id, DeviceAuthorization.status == "pending")
        .values(status="approved" if approve else "denied", decided_at=now, account_id=subject.account_id,
                user_id=subject.user_pk, principal_arn=subject.principal_arn, browser_session_id=session.id_hash,
                auth_time=subject.auth_time, amr=list(subject.amr), acr=subject.acr)
    ).rowcount
    if changed != 1:
        raise ClientError("This code has already been used.")
    audit.record("oauth:DeviceDecision", actor=subject.principal_arn, resource=row.client.client_id,
                 decision="Allow" if approve else "Deny", account_id=subject.account_id,
                 detail={"request": row.id, "scope": row.scope})


def redeem(client: ClientSnapshot, device_code: str) -> dict:
    """RFC 8628 3.4/3.5: tokens once approved; pending, slow_down, denied, expired or replayed otherwise."""
    row = db.session.scalar(select(DeviceAuthorization).where(
        DeviceAuthorization.device_code_hash == tokens.token_hash(device_code or "")))
    if row is None or row.client_id != client.id:
        raise InvalidGrantError("The device_code is not valid for this client.")
    now = clock.now()
    if row.status == "consumed":
        _replayed(row)
    if clock.as_utc(row.expires_at) <= now:
        raise ExpiredTokenError()
    if row.status == "denied":
        raise AccessDeniedError("The user denied the request.")
    if row.status == "pending":
        _polled(row, now)
    won = db.session.execute(
        update(DeviceAuthorization).where(DeviceAuthorization.id == row.id, DeviceAuthorization.status == "approved")
        .values(status="consumed", consumed_at=now)
    ).rowcount == 1
    if not won:
        raise InvalidGrantError("The device_code has already been used.")
    return _issue(row)


def _polled(row: DeviceAuthorization, now) -> None:
    # The token endpoint undoes what a refused request did, but not for these two errors: the pace is remembered.
    last = clock.as_utc(row.last_polled_at)
    too_fast = last is not None and (now - last).total_seconds() < row.interval
    values = {"last_polled_at": now, **({"interval": row.interval + SLOW_DOWN_STEP} if too_fast else {})}
    db.session.execute(update(DeviceAuthorization).where(DeviceAuthorization.id == row.id).values(**values))
    raise SlowDown() if too_fast else PollRecorded()


def _replayed(row: DeviceAuthorization) -> None:
    if row.family_id is not None:
        issuance.revoke_family(row.family_id, "device_code_replay")
    audit.record("oauth:DeviceCodeReplay", resource=row.client.client_id, decision="Deny", account_id=row.account_id,
                 detail={"request": row.id, "grant": row.family_id})
    raise GrantRevoked("The device_code has already been used; the tokens issued for it are revoked.")


def _issue(row: DeviceAuthorization) -> dict:
    client: OAuthClient = row.client
    subject = Subject(row.account_id, row.user_id, row.principal_arn, clock.as_utc(row.auth_time),
                      tuple(row.amr or ()), row.acr, row.browser_session_id)
    family = RefreshTokenFamily(
        client_id=client.id, subject=subject.sub, account_id=row.account_id, user_id=row.user_id, scope=row.scope,
        resources=list(row.resources or []), browser_session_id=row.browser_session_id, auth_time=row.auth_time,
        amr=list(row.amr or []), acr=row.acr,
        absolute_expires_at=clock.now() + issuance.FAMILY_ABSOLUTE_LIFETIME)
    db.session.add(family)
    db.session.flush()
    row.family_id = family.id
    value = None
    if "refresh_token" in client.grant_types:
        value = tokens.new_secret_value()
        issuance.add_refresh_token(family, value)
    audit.record("oauth:IssueTokens", actor=client.client_id, resource=subject.sub, account_id=row.account_id,
                 detail={"grant": family.id, "scope": row.scope, "refresh_token": value is not None,
                         "grant_type": GRANT_TYPE})
    return issuance.token_response(client, subject, row.scope, family=family, refresh_token=value)


def _user_code_hash(code: str) -> str:
    return hashlib.sha256(f"user-code:{code}".encode()).hexdigest()

