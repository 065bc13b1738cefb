"""Virtual MFA devices: create (seed + QR code), assign to a user, deactivate, delete, list.

Enabling and resyncing prove two codes through the shared factor check: `idp.signin.enrolment`.

A device with `user` None and `enabled_at` set is the account root user's;
with `enabled_at` None it is unassigned (as after CreateVirtualMFADevice or
DeactivateMFADevice). The seed is sealed at rest and shown only once, in the
CreateVirtualMFADevice answer.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from sqlalchemy import func, select

from idp import clock
from idp.errors import ClientError, Conflict, DeleteConflict, LimitExceeded, NotFound
from idp.iam import tags as tagging
from idp.iam import totp
from idp.iam.tags import Tag
from models import db
from models.account import Account
from models.mfa import MfaDevice
from models.user import User

MAX_DEVICES_PER_USER = 8  # MFADevicesPerUser, AWS's quota since 2022
ASSIGNMENT_STATUSES = ("Assigned", "Unassigned", "Any")


class InvalidAuthenticationCode(ClientError):
    """Two codes that are not consecutive valid codes of the device (counted by the factor check, which the
    refusal keeps: `keeps_work`)."""

    status = 403
    code = "InvalidAuthenticationCode"
    keeps_work = True


@dataclass(frozen=True)
class NewDevice:
    """A device just created, with what its owner needs to provision an app: shown only this once."""

    device: MfaDevice
    seed: str
    qr_png: bytes


def serial_number(account_id: str, path: str, name: str) -> str:
    """`arn:aws:iam::<account>:mfa<path><name>`, the serial number of a virtual device."""
    return f"arn:aws:iam::{account_id}:mfa{path}{name}"


def find(account_id: str, serial: str) -> MfaDevice | None:
    """The device of the account with that serial number (case-insensitive, like IAM names), or None."""
    return db.session.scalar(
        select(MfaDevice).where(
            MfaDevice.account_id == account_id, func.lower(MfaDevice.serial_number) == serial.lower()
        )
    )


def get(account_id: str, serial: str) -> MfaDevice:
    """The device with that serial number, or NoSuchEntity."""
    device = find(account_id, serial)
    if device is None:
        raise NotFound(f"VirtualMFADevice with serial number {serial} does not exist.")
    return device


def create(account_id: str, name: str, path: str, tags: Sequence[Tag]) -> NewDevice:
    """A new unassigned virtual device with a fresh seed; EntityAlreadyExists if the serial is taken."""
    serial = serial_number(account_id, path, name)
    if find(account_id, serial) is not None:
        raise Conflict("MFADevice entity at the same path and name already exists.")
    seed = totp.new_seed()
    device = MfaDevice(
        account_id=account_id, user_id=None, serial_number=serial, name=name, path=path, kind="virtual",
        secret_encrypted=totp.seal_seed(serial, seed), tags=tagging.as_stored(tags), created_at=clock.now(),
    )
    db.session.add(device)
    db.session.flush()
    account = db.session.get(Account, account_id)
    uri = totp.provisioning_uri(seed, account.alias or account_id, name)
    return NewDevice(device, seed, totp.qr_png(uri))


def owned(account_id: str, user: User | None) -> list[MfaDevice]:
    """The devices enabled for `user` (None: the account root user), by serial number."""
    owner = MfaDevice.user_id.is_(None) if user is None else MfaDevice.user_id == user.id
    query = select(MfaDevice).where(MfaDevice.account_id == account_id, owner, MfaDevice.enabled_at.is_not(None))
    return _by_serial(db.session.scalars(query))


def virtual(account_id: str, status: str = "Any") -> list[MfaDevice]:
    """The account's virtual devices by assignment status, by serial number."""
    query = select(MfaDevice).where(MfaDevice.account_id == account_id, MfaDevice.kind == "virtual")
    if status == "Assigned":
        query = query.where(MfaDevice.enabled_at.is_not(None))
    elif status == "Unassigned":
        query = query.where(MfaDevice.enabled_at.is_(None))
    return _by_serial(db.session.scalars(query))


def _by_serial(devices) -> list[MfaDevice]:
    # Sorted here, not by the database: the pagination marker compares in Python, whatever the DB collation.
    return sorted(devices, key=lambda device: device.serial_number)


def check_assignable(device: MfaDevice, user: User | None) -> None:
    """EntityAlreadyExists when the device is in use; LimitExceeded when `user` (None: root) has the most devices."""
    if device.is_enabled:
        raise Conflict("MFA Device is already in use.")
    if len(owned(device.account_id, user)) >= MAX_DEVICES_PER_USER:
        raise LimitExceeded(f"Cannot exceed quota for MFADevicesPerUser: {MAX_DEVICES_PER_USER}.")


def assign(device: MfaDevice, user: User | None) -> None:
    """Enable the device for `user` (None: root); its codes were proved by the caller (`idp.signin.enrolment`)."""
    device.user = user
    device.enabled_at = clock.now()


def assigned(account_id: str, serial: str, user: User | None) -> MfaDevice:
    """The device `serial` as enabled for `user` (None: root); NoSuchEntity otherwise."""
    device = get(account_id, serial)
    owner_matches = device.user_id is None if user is None else device.user_id == user.id
    if not (device.is_enabled and owner_matches):
        raise NotFound("MFA Device invalid for user.")
    return device


def deactivate(device: MfaDevice) -> None:
    """Unassign a device; a virtual one stays, unassigned (its last used step too, so no code replays)."""
    if device.kind != "virtual":
        db.session.delete(device)  # a security key has nothing to keep once removed
        return
    device.user = None
    device.enabled_at = None


def delete(device: MfaDevice) -> None:
    """Delete an unassigned virtual device."""
    if device.kind != "virtual":
        raise NotFound(f"VirtualMFADevice with serial number {device.serial_number} does not exist.")
    if device.is_enabled:
        raise DeleteConflict("MFA device is already in use.")
    db.session.delete(device)
