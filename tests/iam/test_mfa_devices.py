"""Virtual MFA devices through boto3: seed and QR code, enabling with consecutive codes, single use, AWS's errors."""
import io
import json
from datetime import datetime, timezone

import pyotp
import pytest
import segno
from botocore.exceptions import ClientError

from idp.clock import FixedClock
from tests.iam.conftest import client_for

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response["Error"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def clock() -> FixedClock:
    """The server's clock: real time (SigV4 checks it), held one second into a 30-second step."""
    now = int(datetime.now(timezone.utc).timestamp())
    return FixedClock(datetime.fromtimestamp(now - now % 30 + 1, timezone.utc))


@pytest.fixture
def app_config(app_config, clock):
    return {**app_config, "IDP_CLOCK": clock}


def code(seed: bytes, clock: FixedClock, steps: int = 0) -> str:
    """What an authenticator app with this seed shows `steps` steps from the server's now."""
    return pyotp.TOTP(seed.decode()).at(clock.now().timestamp() + 30 * steps)


@pytest.fixture
def device(iam):
    """A new virtual device: (serial number, base32 seed)."""
    created = iam.create_virtual_mfa_device(VirtualMFADeviceName="phone")["VirtualMFADevice"]
    return created["SerialNumber"], created["Base32StringSeed"]


@pytest.fixture
def limited_client(live_server, iam):
    """A user whose only permissions are `actions` (a managed policy), as an IAM client."""

    def make(name: str, actions: list[str]):
        iam.create_user(UserName=name)
        document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
        policy = iam.create_policy(PolicyName=f"{name}-policy", PolicyDocument=json.dumps(document))["Policy"]
        iam.attach_user_policy(UserName=name, PolicyArn=policy["Arn"])
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return client_for(live_server, "iam", key["AccessKeyId"], key["SecretAccessKey"])

    return make


def virtual_serials(iam, status: str = "Any") -> list[str]:
    return [d["SerialNumber"] for d in iam.list_virtual_mfa_devices(AssignmentStatus=status)["VirtualMFADevices"]]


def test_create_returns_the_seed_and_a_qr_code_of_the_otpauth_uri(iam, root):
    created = iam.create_virtual_mfa_device(
        VirtualMFADeviceName="phone", Path="/eng/", Tags=[{"Key": "kind", "Value": "app"}])["VirtualMFADevice"]
    assert created["SerialNumber"] == f"arn:aws:iam::{root.account_id}:mfa/eng/phone"
    seed = created["Base32StringSeed"]  # a blob: boto3 has already undone the base64
    assert len(seed) == 64 and set(seed.decode()) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert created["Tags"] == [{"Key": "kind", "Value": "app"}]
    png = created["QRCodePNG"]
    assert png.startswith(PNG_MAGIC)
    expected_uri = pyotp.TOTP(seed.decode()).provisioning_uri(name="phone", issuer_name=root.account_id)
    assert expected_uri == f"otpauth://totp/{root.account_id}:phone?secret={seed.decode()}&issuer={root.account_id}"
    expected = io.BytesIO()
    segno.make(expected_uri, error="m", micro=False).save(expected, kind="png", scale=4, border=4)
    assert png == expected.getvalue()
    # The seed is shown once: listing never returns it.
    listed = iam.list_virtual_mfa_devices()["VirtualMFADevices"]
    assert listed == [{"SerialNumber": created["SerialNumber"]}]


def test_enable_list_deactivate_delete(iam, root, device, clock):
    serial, seed = device
    iam.create_user(UserName="alice")
    iam.enable_mfa_device(UserName="alice", SerialNumber=serial,
                          AuthenticationCode1=code(seed, clock, -1), AuthenticationCode2=code(seed, clock))

    mfa = iam.list_mfa_devices(UserName="alice")["MFADevices"]
    assert [(d["UserName"], d["SerialNumber"]) for d in mfa] == [("alice", serial)]
    assert mfa[0]["EnableDate"] == clock.now()
    assigned = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert [d["SerialNumber"] for d in assigned] == [serial]
    assert assigned[0]["User"]["UserName"] == "alice"
    assert assigned[0]["User"]["Arn"] == f"arn:aws:iam::{root.account_id}:user/alice"
    assert virtual_serials(iam, "Unassigned") == []

    error, status = error_of(iam.delete_virtual_mfa_device, SerialNumber=serial)
    assert (error["Code"], status, error["Message"]) == ("DeleteConflict", 409, "MFA device is already in use.")
    error, _ = error_of(iam.delete_user, UserName="alice")
    assert error["Code"] == "DeleteConflict"
    assert error["Message"] == "Cannot delete entity, must delete MFA device first."

    iam.deactivate_mfa_device(UserName="alice", SerialNumber=serial)
    assert iam.list_mfa_devices(UserName="alice")["MFADevices"] == []
    assert virtual_serials(iam, "Unassigned") == [serial]
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert virtual_serials(iam) == []
    error, status = error_of(iam.delete_virtual_mfa_device, SerialNumber=serial)
    assert (error["Code"], status) == ("NoSuchEntity", 404)
    assert error["Message"] == f"VirtualMFADevice with serial number {serial} does not exist."
    iam.delete_user(UserName="alice")


@pytest.mark.parametrize(
    "steps",
    [
        (0, 0),  # the same code twice
        (-2, 0),  # not consecutive
        (0, -1),  # consecutive, wrong order
        (-3, -2),  # too old
        (1, 2),  # too far ahead
    ],
)
def test_enable_needs_two_consecutive_current_codes(iam, device, clock, steps):
    serial, seed = device
    iam.create_user(UserName="bob")
    error, status = error_of(iam.enable_mfa_device, UserName="bob", SerialNumber=serial,
                             AuthenticationCode1=code(seed, clock, steps[0]),
                             AuthenticationCode2=code(seed, clock, steps[1]))
    assert (error["Code"], status) == ("InvalidAuthenticationCode", 403)
    assert error["Message"] == "Authentication code for device is not valid."
    assert virtual_serials(iam, "Unassigned") == [serial]
    assert iam.list_mfa_devices(UserName="bob")["MFADevices"] == []


def test_enable_errors(iam, device, clock):
    serial, seed = device
    codes = {"AuthenticationCode1": code(seed, clock, -1), "AuthenticationCode2": code(seed, clock)}
    error, status = error_of(iam.enable_mfa_device, UserName="nobody", SerialNumber=serial, **codes)
    assert (error["Code"], status) == ("NoSuchEntity", 404)
    assert error["Message"] == "The user with name nobody cannot be found."
    iam.create_user(UserName="carol")
    iam.create_user(UserName="dave")
    missing = serial + "-missing"
    error, status = error_of(iam.enable_mfa_device, UserName="carol", SerialNumber=missing, **codes)
    assert (error["Code"], status) == ("NoSuchEntity", 404)
    assert error["Message"] == f"VirtualMFADevice with serial number {missing} does not exist."
    error, status = error_of(iam.enable_mfa_device, UserName="carol", SerialNumber=serial,
                             AuthenticationCode1="1234567", AuthenticationCode2="123456")
    assert (error["Code"], status) == ("ValidationError", 400)
    iam.enable_mfa_device(UserName="carol", SerialNumber=serial, **codes)
    error, status = error_of(iam.enable_mfa_device, UserName="dave", SerialNumber=serial,
                             AuthenticationCode1=code(seed, clock), AuthenticationCode2=code(seed, clock, 1))
    assert (error["Code"], status, error["Message"]) == ("EntityAlreadyExists", 409, "MFA Device is already in use.")
    error, status = error_of(iam.deactivate_mfa_device, UserName="dave", SerialNumber=serial)
    assert (error["Code"], status, error["Message"]) == ("NoSuchEntity", 404, "MFA Device invalid for user.")
    assert iam.list_mfa_devices(UserName="carol")["MFADevices"][0]["SerialNumber"] == serial


def test_codes_are_single_use_and_resync_moves_forward(iam, device, clock):
    serial, seed = device
    iam.create_user(UserName="erin")
    first, second = code(seed, clock, -1), code(seed, clock)
    iam.enable_mfa_device(UserName="erin", SerialNumber=serial, AuthenticationCode1=first, AuthenticationCode2=second)
    # The same pair again (a replay) is refused, even to resync.
    error, _ = error_of(iam.resync_mfa_device, UserName="erin", SerialNumber=serial,
                        AuthenticationCode1=first, AuthenticationCode2=second)
    assert error["Code"] == "InvalidAuthenticationCode"
    # Thirty seconds on, the codes after the last one used are good.
    clock.advance(30)
    error, _ = error_of(iam.resync_mfa_device, UserName="erin", SerialNumber=serial,
                        AuthenticationCode1=second, AuthenticationCode2=code(seed, clock))
    assert error["Code"] == "InvalidAuthenticationCode"
    iam.resync_mfa_device(UserName="erin", SerialNumber=serial,
                          AuthenticationCode1=code(seed, clock), AuthenticationCode2=code(seed, clock, 1))
    error, status = error_of(iam.resync_mfa_device, UserName="nobody", SerialNumber=serial,
                             AuthenticationCode1=code(seed, clock), AuthenticationCode2=code(seed, clock, 1))
    assert (error["Code"], status) == ("NoSuchEntity", 404)


def test_verify_code_window_and_replay(app, iam, device, clock):
    from idp.iam import mfa_devices, totp
    from models import db

    serial, seed = device
    now = clock.now()
    with app.app_context():
        stored = mfa_devices.get(serial.split(":")[4], serial)
        assert totp.current_code(totp.open_seed(stored), now) == code(seed, clock)
        assert not totp.verify_code(stored, code(seed, clock), now)  # an unassigned device proves nothing
    iam.create_user(UserName="gina")
    iam.enable_mfa_device(UserName="gina", SerialNumber=serial,
                          AuthenticationCode1=code(seed, clock, -2), AuthenticationCode2=code(seed, clock, -1))
    with app.app_context():
        stored = mfa_devices.get(serial.split(":")[4], serial)
        assert not totp.verify_code(stored, code(seed, clock, -1), now)  # the enabling code cannot be replayed
        assert not totp.verify_code(stored, code(seed, clock, 2), now)  # outside the window
        assert not totp.verify_code(stored, "12345", now) and not totp.verify_code(stored, "abcdef", now)
        assert totp.verify_code(stored, code(seed, clock, 1), now)  # one step ahead is within the window
        assert not totp.verify_code(stored, code(seed, clock, 1), now)  # used once, never again
        assert not totp.verify_code(stored, code(seed, clock), now)  # nor anything older
        db.session.commit()
    clock.advance(90)
    with app.app_context():
        reloaded = mfa_devices.get(serial.split(":")[4], serial)
        assert reloaded.last_used_step == totp.step_at(now) + 1
        assert not totp.verify_code(reloaded, code(seed, clock, -2), clock.now())
        assert totp.verify_code(reloaded, code(seed, clock, -1), clock.now())  # one step behind is fine too
        db.session.commit()


def test_seed_is_sealed_at_rest(app, iam, device):
    from idp.errors import ConfigError
    from idp.iam import mfa_devices, totp
    from models import db

    serial, seed = device
    with app.app_context():
        stored = mfa_devices.get(serial.split(":")[4], serial)
        assert seed not in stored.secret_encrypted
        stored.serial_number = serial + "x"  # the seal is bound to the serial number
        with pytest.raises(ConfigError):
            totp.open_seed(stored)
        db.session.rollback()


def test_create_errors_change_nothing(iam, device):
    serial, _ = device
    error, status = error_of(iam.create_virtual_mfa_device, VirtualMFADeviceName="PHONE")
    assert (error["Code"], status) == ("EntityAlreadyExists", 409)
    assert error["Message"] == "MFADevice entity at the same path and name already exists."
    for kwargs in ({"VirtualMFADeviceName": "has space"}, {"VirtualMFADeviceName": "x" * 129},
                   {"VirtualMFADeviceName": "ok", "Path": "no-slashes"}):
        error, status = error_of(iam.create_virtual_mfa_device, **kwargs)
        assert (error["Code"], status) == ("ValidationError", 400)
    assert virtual_serials(iam) == [serial]


def test_list_virtual_devices_pagination_and_status(iam):
    created = sorted(iam.create_virtual_mfa_device(VirtualMFADeviceName=f"token{i}")["VirtualMFADevice"]["SerialNumber"]
                     for i in range(5))
    first = iam.list_virtual_mfa_devices(MaxItems=2)
    assert first["IsTruncated"] is True and len(first["VirtualMFADevices"]) == 2
    paged = [d["SerialNumber"] for page in iam.get_paginator("list_virtual_mfa_devices").paginate(
        PaginationConfig={"PageSize": 2}) for d in page["VirtualMFADevices"]]
    assert paged == created
    error, status = error_of(iam.list_virtual_mfa_devices, AssignmentStatus="Sometimes")
    assert (error["Code"], status) == ("ValidationError", 400)
    assert error["Message"] == (
        "1 validation error detected: Value 'Sometimes' at 'assignmentStatus' failed to satisfy "
        "constraint: Member must satisfy enum value set: [Assigned, Unassigned, Any]"
    )


def test_list_mfa_devices_defaults_to_the_caller(iam, limited_client, device, clock):
    assert iam.list_mfa_devices()["MFADevices"] == []  # the root user has none
    serial, seed = device
    me = limited_client("frank", ["iam:ListMFADevices"])
    iam.enable_mfa_device(UserName="frank", SerialNumber=serial,
                          AuthenticationCode1=code(seed, clock, -1), AuthenticationCode2=code(seed, clock))
    assert [d["SerialNumber"] for d in me.list_mfa_devices()["MFADevices"]] == [serial]


def test_a_user_allowed_only_to_list_cannot_create(iam, limited_client, root):
    reader = limited_client("reader", ["iam:ListVirtualMFADevices"])
    assert reader.list_virtual_mfa_devices()["VirtualMFADevices"] == []
    error, status = error_of(reader.create_virtual_mfa_device, VirtualMFADeviceName="sneaky")
    assert (error["Code"], status) == ("AccessDenied", 403)
    assert error["Message"] == (
        f"User: arn:aws:iam::{root.account_id}:user/reader is not authorized to perform: "
        f"iam:CreateVirtualMFADevice on resource: arn:aws:iam::{root.account_id}:mfa/sneaky "
        "because no identity-based policy allows the iam:CreateVirtualMFADevice action"
    )
    serial = f"arn:aws:iam::{root.account_id}:mfa/x"
    error, _ = error_of(reader.deactivate_mfa_device, UserName="reader", SerialNumber=serial)
    assert error["Code"] == "AccessDenied"
    assert f"on resource: arn:aws:iam::{root.account_id}:user/reader " in error["Message"]
    assert virtual_serials(iam) == []
