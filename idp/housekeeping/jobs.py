"""The scheduled jobs: key rotation per purpose; purging what has expired, audit retention included; the
mail outbox.

Each job runs in its own unit of work (`idp.housekeeping.run_once`), is audited
by the service it calls (`keys:RotateKeys` by the keystore,
`maintenance:PurgeExpired` by the maintenance service, `trail:PurgeAuditEvents`
by the audit trail) and returns a small JSON-able report.
"""
from __future__ import annotations

from datetime import timedelta

from idp import clock
from idp.config import Settings
from idp.federation.ldap import sync as ldap_sync
from idp.keys import keystore
from idp.mail import sender
from idp.maintenance import purge_expired

KEY_PURPOSES = ("token", "session")


def rotate_keys(settings: Settings, actor: str) -> dict[str, list[str]]:
    """Rotate each purpose whose current key has signed for IDP_KEY_ROTATION_DAYS; the next keys published."""
    now, days, store = clock.now(), settings.key_rotation_days, keystore()
    published = {}
    for purpose in KEY_PURPOSES:
        # The cheap read first; `rotate` checks the age again under its row locks.
        if store.due(purpose, now, days):
            published[purpose] = store.rotate(purpose, older_than=timedelta(days=days), actor=actor)
    return published


def purge(settings: Settings, actor: str) -> dict[str, int]:
    """Delete expired replay-cache entries, codes and sessions, and audit events past retention (`idp.maintenance`)."""
    return purge_expired(clock.now())


def deliver_mail(settings: Settings, actor: str) -> dict[str, int]:
    """Send the outbox's due messages, retrying earlier failures (`idp.mail.sender`)."""
    return sender.deliver_due(settings)


def sync_directories(settings: Settings, actor: str) -> dict[str, int]:
    """Remove the memberships LDAP directories removed since their users' last sign-in (`idp.federation.ldap`)."""
    return ldap_sync.sync_all(actor)


JOBS = (("rotated", rotate_keys), ("purged", purge), ("mailed", deliver_mail),
        ("directories_synced", sync_directories))
