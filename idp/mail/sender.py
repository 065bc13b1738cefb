"""Delivering the outbox: claim a due row, send it, mark it sent; back off exponentially after a failure.

Delivery is its own sequence of short transactions on purpose (like the keystore's key rows): the claim
(`UPDATE ... WHERE sent_at IS NULL AND claim lapsed`) is committed before the server is contacted, so of two
senders (two instances, the scheduler and a kick) only one sends a row, and the `sent_at` mark is committed
right after the server accepted it, only while the row still carries this sender's claim. The whole SMTP
conversation has a deadline well under `CLAIM` (`smtp.DEADLINE_SECONDS`), so a claim does not lapse while its
sender is still talking; a mark that finds another sender's claim is logged (a duplicate is on its way). A
sender that dies between the two leaves a claim that lapses after `CLAIM`; only then is the row tried again
(at-least-once in that one case, never twice otherwise).

A row that can never be sent (a message the mail library refuses to build, say) fails like any other: it
counts an attempt and backs off, and never holds up the rows behind it. Once a row is sent or given up, its
bodies (which hold single-use links) are blanked; `purge` deletes such rows later.

It runs from the housekeeping scheduler (`idp.housekeeping.jobs`) and, for promptness, from a background
thread kicked after the commit that queued a message (`Kicker`).
"""
from __future__ import annotations

import logging
import smtplib
import threading
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import and_, delete, or_, select, update

from idp import clock
from idp.config import Settings
from idp.mail import smtp
from models import db
from models.mail import OutboundMail

CLAIM = timedelta(seconds=120)
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=2)
MAX_ATTEMPTS = 12  # about a day of retries before a message is given up
KEEP_DONE = timedelta(days=7)  # sent or given-up rows (bodies blanked) stay this long, then `purge` drops them
BATCH = 100
log = logging.getLogger(__name__)


def deliver_due(settings: Settings) -> dict[str, int]:
    """Send every due message once; how many were sent and how many failed (to be retried later)."""
    report = {"sent": 0, "failed": 0}
    if settings.smtp_url is None:
        return report
    target = smtp.server(settings.smtp_url)
    for mail_id in _due_ids(clock.now()):
        claimed = _claim(mail_id)
        if claimed is None:
            continue  # another sender has it, or it was sent meanwhile
        mail, claim = claimed
        try:
            smtp.send(target, smtp.message(mail, settings.mail_from, settings.mail_sender_name))
        except Exception as error:  # noqa: BLE001  (whatever it is, this row fails alone and backs off)
            _record_failure(mail, claim, error)
            report["failed"] += 1
            if isinstance(error, (OSError, smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)):
                break  # the server is unreachable: the others wait for the next pass
            continue
        _record_success(mail, claim)
        report["sent"] += 1
    return report


def _due_ids(now: datetime) -> list[int]:
    query = (select(OutboundMail.id)
             .where(OutboundMail.sent_at.is_(None), OutboundMail.next_attempt_at <= now,
                    OutboundMail.attempts < MAX_ATTEMPTS,
                    or_(OutboundMail.claimed_until.is_(None), OutboundMail.claimed_until < now))
             .order_by(OutboundMail.next_attempt_at, OutboundMail.id).limit(BATCH))
    ids = list(db.session.scalars(query))
    db.session.commit()  # end the read transaction: each claim is a transaction of its own
    return ids


def _claim(mail_id: int) -> tuple[OutboundMail, datetime] | None:
    """The row and the claim on it (until when), committed, or None when it is not free any more."""
    now = clock.now()
    claim = now + CLAIM
    claimed = db.session.execute(
        update(OutboundMail)
        .where(OutboundMail.id == mail_id, OutboundMail.sent_at.is_(None),
               or_(OutboundMail.claimed_until.is_(None), OutboundMail.claimed_until < now))
        .values(claimed_until=claim)
    ).rowcount
    db.session.commit()
    if claimed != 1:
        return None
    return db.session.get(OutboundMail, mail_id, populate_existing=True), claim


def _record_success(mail: OutboundMail, claim: datetime) -> None:
    _settle(mail, claim, "sent", sent_at=clock.now(), last_error=None, text_body="", html_body=None)


def _record_failure(mail: OutboundMail, claim: datetime, error: Exception) -> None:
    attempts = mail.attempts + 1
    error_text = f"{type(error).__name__}: {error}"[:1024]
    spent = {"text_body": "", "html_body": None} if attempts >= MAX_ATTEMPTS else {}  # given up: no link kept
    _settle(mail, claim, "failure", next_attempt_at=clock.now() + retry_delay(attempts), last_error=error_text,
            **spent)
    log.warning("mail %s to the SMTP server failed (attempt %s): %s", mail.id, attempts, error_text)


def _settle(mail: OutboundMail, claim: datetime, outcome: str, **values: object) -> None:
    """Record an attempt's outcome, only while the row still carries our claim (committed); log it otherwise."""
    settled = db.session.execute(
        update(OutboundMail).where(OutboundMail.id == mail.id, OutboundMail.claimed_until == claim)
        .values(attempts=OutboundMail.attempts + 1, claimed_until=None, **values)
    ).rowcount
    db.session.commit()
    if settled != 1:
        log.warning("mail %s: our claim lapsed before the %s was recorded; another sender has the row",
                    mail.id, outcome)


def purge(now: datetime) -> int:
    """Delete rows sent or given up more than KEEP_DONE before `now` (not committed); how many."""
    stale = now - KEEP_DONE
    return db.session.execute(delete(OutboundMail).where(or_(
        OutboundMail.sent_at < stale,
        and_(OutboundMail.sent_at.is_(None), OutboundMail.attempts >= MAX_ATTEMPTS,
             OutboundMail.next_attempt_at < stale)))).rowcount


def retry_delay(attempts: int) -> timedelta:
    """The wait after `attempts` failures: 30 s, 1 min, 2 min, ... capped at two hours."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), MAX_RETRY)


class Kicker:
    """One background delivery at a time per app; a kick while one runs makes it go round once more."""

    def __init__(self, app: Flask):
        self.app = app
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._again = False

    def kick(self) -> None:
        """Deliver what is due now, in a daemon thread (never in the request that queued the mail)."""
        with self._lock:
            if self._thread is not None:
                self._again = True
                return
            self._thread = threading.Thread(target=self._run, name="idp-mail", daemon=True)
            self._thread.start()

    def wait(self, timeout: float = 10) -> None:
        """Until the background delivery, if any, is done (tests, shutdown)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            try:
                with self.app.app_context():
                    deliver_due(self.app.config["IDP_SETTINGS"])
            except Exception:
                log.exception("background mail delivery failed")
            with self._lock:
                if not self._again:
                    self._thread = None
                    return
                self._again = False


def kicker(app: Flask) -> Kicker:
    """The app's one Kicker."""
    return app.extensions.setdefault("idp.mail", Kicker(app))
