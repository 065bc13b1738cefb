"""TOTP (RFC 6238) for virtual MFA devices: seeds sealed at rest, single-use codes, provisioning QR codes.

30-second steps, 6 digits, HMAC-SHA-1 (what every authenticator app and
AWS's virtual MFA speak). A code is accepted one step either side of now
(RFC 6238 section 5.2 allows a small window for clock drift) and at most
once: the device remembers the last step it accepted, and only a later
step is ever accepted again, so an observed code cannot be replayed.
"""
from __future__ import annotations

import base64
import hmac
import io
import secrets
from datetime import datetime

import pyotp
import segno
from sqlalchemy import or_, update
from sqlalchemy.orm.attributes import set_committed_value

from idp.keys import master_key
from models import db
from models.mfa import MfaDevice

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # steps either side of now
SEED_BYTES = 40  # 64 base32 characters, as AWS's Base32StringSeed


def new_seed() -> str:
    """A fresh random seed as base32 text (no padding)."""
    return base64.b32encode(secrets.token_bytes(SEED_BYTES)).decode("ascii")


def _purpose(serial_number: str) -> str:
    return f"mfa-seed:{serial_number}"


def seal_seed(serial_number: str, seed: str) -> bytes:
    """The seed encrypted under the master key, bound to its device's serial number."""
    return master_key().seal(seed.encode("ascii"), _purpose(serial_number))


def open_seed(device: MfaDevice) -> str:
    """The base32 seed of a virtual device."""
    return master_key().open(device.secret_encrypted, _purpose(device.serial_number)).decode("ascii")


def step_at(now: datetime) -> int:
    """The RFC 6238 time step `now` falls in."""
    return int(now.timestamp()) // STEP_SECONDS


def code_at_step(seed: str, step: int) -> str:
    """The 6-digit code of `seed` for time step `step`."""
    return pyotp.HOTP(seed, digits=DIGITS).at(step)


def current_code(seed: str, now: datetime) -> str:
    """The code an authenticator app shows at `now` (for tests and tooling)."""
    return code_at_step(seed, step_at(now))


def _well_formed(code: str | None) -> bool:
    return code is not None and len(code) == DIGITS and code.isascii() and code.isdigit()


def _matches(seed: str, step: int, code: str) -> bool:
    return hmac.compare_digest(code_at_step(seed, step), code)


def verify_code(device: MfaDevice, code: str, now: datetime) -> bool:
    """Accept `code` once if it is the enabled device's code for a step within ±1 of now, after the last one used."""
    if not device.is_enabled or device.secret_encrypted is None or not _well_formed(code):
        return False
    seed = open_seed(device)
    current = step_at(now)
    floor = device.last_used_step if device.last_used_step is not None else -1
    matched = [s for s in range(current - WINDOW, current + WINDOW + 1) if s > floor and _matches(seed, s, code)]
    return bool(matched) and _consume(device, matched[-1], now)


def verify_consecutive(device: MfaDevice, first: str, second: str, now: datetime) -> bool:
    """Accept two codes of consecutive steps (EnableMFADevice, ResyncMFADevice), the later within ±1 of now."""
    if device.secret_encrypted is None or not (_well_formed(first) and _well_formed(second)):
        return False
    seed = open_seed(device)
    current = step_at(now)
    floor = device.last_used_step if device.last_used_step is not None else -1
    for later in range(current - WINDOW, current + WINDOW + 1):
        if later - 1 > floor and _matches(seed, later - 1, first) and _matches(seed, later, second):
            return _consume(device, later, now)
    return False


def _consume(device: MfaDevice, step: int, now: datetime) -> bool:
    # A conditional UPDATE, not read-modify-write: two requests racing with the
    # same code (on any instance) cannot both see the step as unused.
    result = db.session.execute(
        update(MfaDevice)
        .where(
            MfaDevice.id == device.id,
            or_(MfaDevice.last_used_step.is_(None), MfaDevice.last_used_step < step),
        )
        .values(last_used_step=step, last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    set_committed_value(device, "last_used_step", step)
    set_committed_value(device, "last_used_at", now)
    return True


def provisioning_uri(seed: str, account_label: str, device_name: str) -> str:
    """`otpauth://totp/<account>:<device>?secret=...&issuer=<account>` (Google's Key URI Format)."""
    return pyotp.TOTP(seed, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=device_name, issuer_name=account_label
    )


def qr_png(uri: str) -> bytes:
    """A PNG QR code of `uri`."""
    buffer = io.BytesIO()
    segno.make(uri, error="m", micro=False).save(buffer, kind="png", scale=4, border=4)
    return buffer.getvalue()
