"""MFA recovery codes: ten single-use codes per principal, shown once, stored as SHA-256 digests.

Each code carries 80 random bits, so a plain SHA-256 (salted with the
owner, so one digest never matches another principal's row) is as good as a
slow hash here: there is nothing to brute-force offline. A code is spent by
one conditional UPDATE, so two requests racing with the same code (on any
instance) cannot both succeed.
"""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import delete, func, select, update

from idp import clock
from models import db
from models.mfa import RecoveryCode

COUNT = 10
GROUPS = 4
GROUP_LENGTH = 4
# No 0/o, 1/l/i: codes are read off paper and typed by hand.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _owner(user_id: int | None):
    return RecoveryCode.user_id.is_(None) if user_id is None else RecoveryCode.user_id == user_id


def normalize(code: str) -> str:
    """The code as stored: lower case, without the spaces and dashes people type."""
    return "".join(ch for ch in code.lower() if ch not in " -\t")


def digest(account_id: str, user_id: int | None, code: str) -> str:
    """The stored SHA-256 of a code, bound to its owner."""
    owner = "root" if user_id is None else str(user_id)
    return hashlib.sha256(f"{account_id}:{owner}:{normalize(code)}".encode()).hexdigest()


def _new_code() -> str:
    groups = ("".join(secrets.choice(ALPHABET) for _ in range(GROUP_LENGTH)) for _ in range(GROUPS))
    return "-".join(groups)


def generate(account_id: str, user_id: int | None) -> list[str]:
    """A fresh set of codes for the principal (None: the account root user), replacing any earlier set."""
    db.session.execute(
        delete(RecoveryCode).where(RecoveryCode.account_id == account_id, _owner(user_id))
        .execution_options(synchronize_session=False)
    )
    codes = [_new_code() for _ in range(COUNT)]
    now = clock.now()
    db.session.add_all(
        RecoveryCode(account_id=account_id, user_id=user_id, code_hash=digest(account_id, user_id, code), created_at=now)
        for code in codes
    )
    db.session.flush()
    return codes


def consume(account_id: str, user_id: int | None, code: str) -> bool:
    """Spend one unused code of the principal; False when it is unknown, malformed or already used."""
    if not code or len(normalize(code)) != GROUPS * GROUP_LENGTH:
        return False
    result = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.account_id == account_id, _owner(user_id),
            RecoveryCode.code_hash == digest(account_id, user_id, code), RecoveryCode.used_at.is_(None),
        )
        .values(used_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def remaining(account_id: str, user_id: int | None) -> int:
    """How many unused codes the principal has left."""
    return db.session.scalar(
        select(func.count()).select_from(RecoveryCode)
        .where(RecoveryCode.account_id == account_id, _owner(user_id), RecoveryCode.used_at.is_(None))
    ) or 0
