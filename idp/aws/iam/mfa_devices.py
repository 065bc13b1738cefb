"""CreateVirtualMFADevice, EnableMFADevice, ResyncMFADevice, DeactivateMFADevice, DeleteVirtualMFADevice,
ListMFADevices, ListVirtualMFADevices."""
from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from flask import request

from idp.aws import params
from idp.aws.api import Call, query_action
from idp.aws.iam import names
from idp.aws.iam.shapes import page, user_shape
from idp.aws.iam.subjects import authorized_subject
from idp.iam import accounts, mfa_devices
from idp.iam import tags as tagging
from idp.signin import enrolment

if TYPE_CHECKING:
    from models.mfa import MfaDevice

SERIAL_PATTERN = r"[\w+=/:,.@-]+"
CODE_PATTERN = r"[\d]+"


def _serial(call: Call) -> str:
    return params.string(call.params, "SerialNumber", required=True, min_len=9, max_len=256, pattern=SERIAL_PATTERN)


def _code(call: Call, key: str) -> str:
    return params.string(call.params, key, required=True, min_len=6, max_len=6, pattern=CODE_PATTERN)


def _codes(call: Call) -> tuple[str, str]:
    return _code(call, "AuthenticationCode1"), _code(call, "AuthenticationCode2")


def _user_name(call: Call, *, required: bool) -> str | None:
    return names.name(call.params, "UserName", max_len=128, required=required)


def _device_arn(call: Call, serial: str) -> str:
    # Virtual devices' serial numbers are their ARNs; anything else is named in this account.
    return serial if serial.startswith("arn:") else f"arn:aws:iam::{call.account_id}:mfa/{serial}"


def _root_shape(account_id: str) -> dict:
    account = accounts.find(account_id)
    return {"UserId": account_id, "Arn": account.root_arn, "CreateDate": account.created_at}


def _owner_shape(device: MfaDevice) -> dict | None:
    if not device.is_enabled:
        return None
    return user_shape(device.user, full=False) if device.user else _root_shape(device.account_id)


@query_action("iam", "CreateVirtualMFADevice")
def create_virtual_mfa_device(call: Call) -> dict:
    p = call.params
    name = params.string(p, "VirtualMFADeviceName", required=True, min_len=1, max_len=128, pattern=names.NAME_PATTERN)
    path = names.path(p)
    new_tags = params.tags(p)
    call.authorize(mfa_devices.serial_number(call.account_id, path, name), context=tagging.request_keys(new_tags))
    created = mfa_devices.create(call.account_id, name, path, new_tags)
    # Both are blobs in the IAM model, so base64 on the wire; the seed blob holds the base32 text.
    return {"VirtualMFADevice": {
        "SerialNumber": created.device.serial_number,
        "Base32StringSeed": base64.b64encode(created.seed.encode("ascii")).decode("ascii"),
        "QRCodePNG": base64.b64encode(created.qr_png).decode("ascii"),
        "Tags": created.device.tags or None,
    }}


@query_action("iam", "EnableMFADevice")
def enable_mfa_device(call: Call) -> None:
    name, serial, (code1, code2) = _user_name(call, required=True), _serial(call), _codes(call)
    user = authorized_subject(call, name)
    device = mfa_devices.get(call.account_id, serial)
    enrolment.enable(device, user, code1, code2, actor=call.caller.principal.arn, address=request.remote_addr)


@query_action("iam", "ResyncMFADevice")
def resync_mfa_device(call: Call) -> None:
    name, serial, (code1, code2) = _user_name(call, required=True), _serial(call), _codes(call)
    user = authorized_subject(call, name)
    device = mfa_devices.assigned(call.account_id, serial, user)
    enrolment.resync(device, code1, code2, actor=call.caller.principal.arn, address=request.remote_addr)


@query_action("iam", "DeactivateMFADevice")
def deactivate_mfa_device(call: Call) -> None:
    name, serial = _user_name(call, required=False), _serial(call)
    user = authorized_subject(call, name)
    mfa_devices.deactivate(mfa_devices.assigned(call.account_id, serial, user))


@query_action("iam", "DeleteVirtualMFADevice")
def delete_virtual_mfa_device(call: Call) -> None:
    serial = _serial(call)
    device = mfa_devices.find(call.account_id, serial)
    call.authorize(_device_arn(call, serial), context=tagging.resource_keys(device.tags if device else None))
    mfa_devices.delete(mfa_devices.get(call.account_id, serial))


@query_action("iam", "ListMFADevices")
def list_mfa_devices(call: Call) -> dict:
    name = _user_name(call, required=False)
    params.pagination(call.params)
    user = authorized_subject(call, name)
    found = mfa_devices.owned(call.account_id, user)
    owner_name = user.name if user else call.account_id

    def shape(device: MfaDevice) -> dict:
        return {"UserName": owner_name, "SerialNumber": device.serial_number, "EnableDate": device.enabled_at}

    return page(call.params, found, "MFADevices", shape, key=lambda d: d.serial_number)


@query_action("iam", "ListVirtualMFADevices")
def list_virtual_mfa_devices(call: Call) -> dict:
    status = params.enum(call.params, "AssignmentStatus", mfa_devices.ASSIGNMENT_STATUSES, default="Any")
    params.pagination(call.params)
    # No resource-level permission at AWS: the policy must allow "*".
    call.authorize("*")
    found = mfa_devices.virtual(call.account_id, status)

    def shape(device: MfaDevice) -> dict:
        return {"SerialNumber": device.serial_number, "User": _owner_shape(device), "EnableDate": device.enabled_at}

    return page(call.params, found, "VirtualMFADevices", shape, key=lambda d: d.serial_number)
