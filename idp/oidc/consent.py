"""Consents: which scopes a subject granted a client, remembered until revoked from the account page."""
from __future__ import annotations

from sqlalchemy import select

from idp import audit, clock
from idp.oidc import issuance
from idp.oidc.subjects import Subject
from models import db
from models.oauth_client import OAuthClient
from models.oauth_grant import Consent


def covers(subject: Subject, client: OAuthClient, scopes: list[str]) -> bool:
    """True when a live consent of the subject to the client includes every requested scope."""
    row = _row(subject.sub, client.id)
    return row is not None and row.revoked_at is None and set(scopes) <= set(row.scopes or [])


def remember(subject: Subject, client: OAuthClient, scopes: list[str]) -> None:
    """Record (or widen) the subject's consent to these scopes."""
    row = _row(subject.sub, client.id)
    if row is None:
        row = Consent(subject=subject.sub, user_id=subject.user_pk, client_id=client.id, scopes=[])
        db.session.add(row)
    previous = [] if row.revoked_at is not None else list(row.scopes or [])
    row.scopes = list(dict.fromkeys([*previous, *scopes]))
    row.revoked_at = None
    row.granted_at = clock.now()
    audit.record("oauth:Consent", actor=subject.principal_arn or subject.sub, resource=client.client_id,
                 decision="Allow", account_id=subject.account_id, detail={"scopes": row.scopes})


def of_subject(subject: Subject) -> list[Consent]:
    """The subject's live consents, newest first."""
    return list(db.session.scalars(select(Consent).where(Consent.subject == subject.sub, Consent.revoked_at.is_(None))
                                   .order_by(Consent.granted_at.desc())))


def withdraw(subject: Subject, client_id: str) -> bool:
    """Revoke the consent to `client_id` and every grant the subject made to it; False when there was none."""
    client = db.session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))
    row = _row(subject.sub, client.id) if client is not None else None
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = clock.now()
    revoked = issuance.revoke_grants_of(subject.user_pk, subject.account_id, client.id, "consent_withdrawn")
    audit.record("oauth:RevokeConsent", actor=subject.principal_arn or subject.sub, resource=client.client_id,
                 decision="Allow", account_id=subject.account_id, detail={"revoked_grants": revoked})
    return True


def _row(sub: str, client_pk: int) -> Consent | None:
    return db.session.scalar(select(Consent).where(Consent.subject == sub, Consent.client_id == client_pk))
