"""OpenID Connect Back-Channel Logout 1.0: logout tokens POSTed to the clients that took part in a session.

A client took part when a code or a grant (refresh-token family) of it names
the browser session (`browser_session_id`). Tokens are signed in the request
thread by the one signer; the HTTP deliveries wait until the logout is
committed (`idp.work.after_commit`: no transaction is held open across them)
and run in worker threads, in parallel and with bounded retries, so a slow or
dead relying party delays a logout by at most `ATTEMPTS` x `TIMEOUT_SECONDS`
plus the back-off. Every delivery, delivered or not, is recorded in the audit
log, in a unit of work of its own.
"""
from __future__ import annotations

import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import select, union

from idp import audit, clock, fetch, work
from idp.keys import jwt, keystore
from idp.oidc.tokens import DEFAULT_ALG, issuer, public_sid
from models import db
from models.oauth_client import OAuthClient
from models.oauth_grant import AuthorizationCode, RefreshTokenFamily

# The logout token's kind (typ, required and forbidden claims) is the verifier's: idp.keys.jwt.LOGOUT_TOKEN.
LOGOUT_TOKEN_TYP = jwt.LOGOUT_TOKEN.signed_typ
LOGOUT_EVENT = jwt.LOGOUT_EVENT
LOGOUT_TOKEN_LIFETIME = 120
ATTEMPTS = 3
TIMEOUT_SECONDS = 3
BACKOFF_SECONDS = (0.25, 1.0)
MAX_PARALLEL = 8
MAX_ANSWER_BYTES = 16_384  # the answer is not read; a relying party cannot make us hold more
DESTINATION_REFUSED = "destination refused: not a global address"


@dataclass(frozen=True)
class Delivery:
    """One client's logout token and where it goes."""

    client_id: str
    account_id: str
    uri: str
    token: str


@dataclass(frozen=True)
class Outcome:
    """What happened to one delivery."""

    delivery: Delivery
    delivered: bool
    attempts: int
    status: int | None
    error: str | None


def participants(session_id_hash: str) -> list[OAuthClient]:
    """The enabled clients that got a code or a grant in this browser session."""
    from_codes = select(AuthorizationCode.client_id).where(AuthorizationCode.browser_session_id == session_id_hash)
    from_grants = select(RefreshTokenFamily.client_id).where(
        RefreshTokenFamily.browser_session_id == session_id_hash)
    ids = set(db.session.scalars(union(from_codes, from_grants)))
    if not ids:
        return []
    rows = db.session.scalars(select(OAuthClient).where(OAuthClient.id.in_(ids), OAuthClient.enabled.is_(True))
                              .order_by(OAuthClient.id))
    return list(rows)


def logout_token(client: OAuthClient, *, sub: str | None, session_id_hash: str) -> str:
    """Back-Channel Logout 2.4: iss, aud, iat, exp, jti, events, sid and sub; never a nonce."""
    now = int(clock.now().timestamp())
    claims = {"iss": issuer(), "aud": client.client_id, "iat": now, "exp": now + LOGOUT_TOKEN_LIFETIME,
              "jti": secrets.token_urlsafe(16), "events": {LOGOUT_EVENT: {}}, "sid": public_sid(session_id_hash)}
    if sub is not None:
        claims["sub"] = sub
    alg = client.id_token_signed_response_alg or DEFAULT_ALG
    signing = keystore().signing_key(alg)
    return jwt.sign(claims, signing.key, alg, typ=LOGOUT_TOKEN_TYP)


def notify(session_id_hash: str, sub: str | None) -> None:
    """Once this unit of work commits, send a logout token to every participating client with a
    `backchannel_logout_uri`, and audit each delivery."""
    deliveries = [Delivery(client.client_id, client.account_id, client.backchannel_logout_uri,
                           logout_token(client, sub=sub, session_id_hash=session_id_hash))
                  for client in participants(session_id_hash) if client.backchannel_logout_uri]
    if deliveries:
        networks = fetch.configured_networks()  # read here: the workers run outside the app context
        work.after_commit(lambda: deliver_all(deliveries, networks, session_id_hash))


def deliver_all(deliveries: list[Delivery], allowed_networks: tuple, session_id_hash: str) -> list[Outcome]:
    """POST every logout token in parallel, then record each outcome (its own unit of work: the logout is
    already committed)."""
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(deliveries))) as pool:
        outcomes = list(pool.map(lambda delivery: deliver(delivery, allowed_networks), deliveries))
    with work.unit_of_work():
        for outcome in outcomes:
            audit.record("oauth:BackchannelLogout", actor=issuer(), resource=outcome.delivery.client_id,
                         decision=_decision(outcome),
                         account_id=outcome.delivery.account_id,
                         detail={"uri": outcome.delivery.uri, "attempts": outcome.attempts,
                                 "status": outcome.status, "error": outcome.error, "sid": public_sid(session_id_hash)})
    return outcomes


def _decision(outcome: Outcome) -> str:
    if outcome.delivered:
        return "Delivered"
    return "Refused" if outcome.error == DESTINATION_REFUSED else "Failed"


def deliver(delivery: Delivery, allowed_networks: tuple = ()) -> Outcome:
    """POST `logout_token` (2.5); retry on network errors and 5xx, never on a 4xx (the RP refused the token).

    Through `idp.fetch`: a client chose the URI, so it reaches only global
    addresses (or `allowed_networks`), pinned, without redirects, bounded.
    """
    status = error = None
    for attempt in range(1, ATTEMPTS + 1):
        try:
            response = fetch.fetch(delivery.uri, purpose="backchannel_logout_uri", method="POST",
                                   form={"logout_token": delivery.token}, headers={"Cache-Control": "no-cache"},
                                   max_bytes=MAX_ANSWER_BYTES, timeout=TIMEOUT_SECONDS,
                                   allowed_networks=allowed_networks)
            status, error = response.status, None
            if response.status in (200, 204):
                return Outcome(delivery, True, attempt, status, None)
            if response.status < 500:
                return Outcome(delivery, False, attempt, status, "refused by the relying party")
        except fetch.DestinationRefused:
            return Outcome(delivery, False, attempt, None, DESTINATION_REFUSED)  # never retried
        except fetch.FetchFailed as failure:
            status, error = None, failure.message[:200]
        if attempt < ATTEMPTS:
            time.sleep(BACKOFF_SECONDS[min(attempt - 1, len(BACKOFF_SECONDS) - 1)])
    return Outcome(delivery, False, ATTEMPTS, status, error or "server error")
