"""The IAM credential report (GenerateCredentialReport / GetCredentialReport): one CSV line per user, root first.

Columns, order and values follow AWS's documented format ("Getting credential reports", IAM User Guide):
times in ISO 8601 with `+00:00`, `true`/`false`, `N/A` where a credential does not exist or was never used,
`no_information` for a password never used, `not_supported` for the root user's password columns. A report is
reused for 4 hours: GenerateCredentialReport within that time answers COMPLETE and keeps it; after it, the old
report has expired (GetCredentialReport: ReportExpired) and a new one is started. Generation finishes within
the request, so the INPROGRESS state of AWS's asynchronous generation never shows.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from idp import clock
from idp.errors import CredentialReportExpired, CredentialReportNotPresent
from idp.iam import access_keys, account_settings, signing_certificates
from models import db
from models.account import Account
from models.mfa import MfaDevice
from models.report import CredentialReport
from models.user import User

COLUMNS = (
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
    "password_next_rotation", "mfa_active",
    *(f"access_key_{n}_{column}" for n in (1, 2)
      for column in ("active", "last_rotated", "last_used_date", "last_used_region", "last_used_service")),
    *(f"cert_{n}_{column}" for n in (1, 2) for column in ("active", "last_rotated")),
)
ROOT_USER = "<root_account>"
REUSE = timedelta(hours=4)
NA, NO_INFORMATION, NOT_SUPPORTED = "N/A", "no_information", "not_supported"
STARTED_DESCRIPTION = "No report exists. Starting a new report generation task"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class GenerationState:
    """GenerateCredentialReport's answer: STARTED (a new report) or COMPLETE (the last one is still fresh)."""

    state: str
    description: str | None = None


def timestamp(moment: datetime | None) -> str:
    """AWS's report time: `2015-05-05T16:40:16+00:00`; N/A for none."""
    return NA if moment is None else clock.as_utc(moment).replace(microsecond=0).isoformat()


def _inert(cell: str) -> str:
    """The cell as a spreadsheet shows it as text: one starting like a formula gets a leading `'` (OWASP).

    No value of AWS's formats starts so (times, flags, N/A, ARNs, AWS-shaped regions, service names); only a user
    name may (`-ops`, `@team`), and a spreadsheet opening the report must not evaluate it.
    """
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _credential_columns(account_id: str, user: User | None) -> list[str]:
    """The two access keys' and two signing certificates' columns, oldest first (AWS's key 1 and key 2)."""
    row: list[str] = []
    keys = access_keys.owned(account_id, user)[:2]
    for key in [*keys, *[None] * (2 - len(keys))]:
        if key is None:
            row += ["false", NA, NA, NA, NA]
            continue
        used = key.last_used_at is not None
        row += [_flag(key.status == "Active"), timestamp(key.created_at), timestamp(key.last_used_at),
                (key.last_used_region or NA) if used else NA, (key.last_used_service or NA) if used else NA]
    certificates = signing_certificates.owned(account_id, user)[:2]
    for certificate in [*certificates, *[None] * (2 - len(certificates))]:
        row += ["false", NA] if certificate is None else [_flag(certificate.status == "Active"),
                                                          timestamp(certificate.created_at)]
    return row


def _has_mfa(account_id: str, user: User | None) -> bool:
    owner = MfaDevice.user_id.is_(None) if user is None else MfaDevice.user_id == user.id
    return db.session.scalar(select(MfaDevice.id).where(
        MfaDevice.account_id == account_id, owner, MfaDevice.enabled_at.is_not(None)).limit(1)) is not None


def _password_last_used(has_password: bool, last_used: datetime | None) -> str:
    if not has_password:
        return NA
    return timestamp(last_used) if last_used is not None else NO_INFORMATION


def _root_row(account: Account) -> list[str]:
    last_used = _password_last_used(account.root_password_hash is not None, account.root_password_last_used)
    return [ROOT_USER, account.root_arn, timestamp(account.created_at), NOT_SUPPORTED, last_used, NOT_SUPPORTED,
            NOT_SUPPORTED, _flag(_has_mfa(account.id, None)), *_credential_columns(account.id, None)]


def _user_row(user: User, max_password_age: int | None) -> list[str]:
    profile = user.login_profile
    if profile is None:
        password = ["false", NA, NA, NA]
    else:
        changed = clock.as_utc(profile.password_changed_at or profile.created_at)
        rotation = timestamp(changed + timedelta(days=max_password_age)) if max_password_age else NA
        password = ["true", _password_last_used(True, user.password_last_used), timestamp(changed), rotation]
    return [user.name, user.arn, timestamp(user.created_at), *password, _flag(_has_mfa(user.account_id, user)),
            *_credential_columns(user.account_id, user)]


def render(account_id: str) -> str:
    """The report's CSV as of now: the header, the root user, then every IAM user by name (no final newline)."""
    account = db.session.get(Account, account_id)
    max_age = (account_settings.password_policy(account_id) or {}).get("MaxPasswordAge")
    rows = [list(COLUMNS), _root_row(account)]
    users = db.session.scalars(select(User).where(User.account_id == account_id).order_by(User.name_lower, User.id))
    rows += [_user_row(user, max_age) for user in users]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([[_inert(cell) for cell in row] for row in rows])
    return out.getvalue().removesuffix("\n")


def generate(account_id: str) -> GenerationState:
    """GenerateCredentialReport: a new report unless the last one is under 4 hours old."""
    now = clock.now()
    stored = db.session.get(CredentialReport, account_id)
    if stored is not None and now - clock.as_utc(stored.generated_at) < REUSE:
        return GenerationState("COMPLETE")
    content = render(account_id)
    if stored is None:
        db.session.add(CredentialReport(account_id=account_id, generated_at=now, content=content))
    else:
        stored.generated_at, stored.content = now, content
    return GenerationState("STARTED", STARTED_DESCRIPTION)


def latest(account_id: str) -> CredentialReport:
    """GetCredentialReport: the stored report; ReportNotPresent before the first, ReportExpired after 4 hours."""
    stored = db.session.get(CredentialReport, account_id)
    if stored is None:
        raise CredentialReportNotPresent(
            "Credential report not present. To generate a credential report, use GenerateCredentialReport.")
    if clock.now() - clock.as_utc(stored.generated_at) >= REUSE:
        raise CredentialReportExpired(
            "The most recent credential report has expired. To generate a new credential report, use "
            "GenerateCredentialReport.")
    return stored
