"""The credential report through boto3: AWS's CSV byte for byte, generation states, the 4-hour reuse, refusals."""
import json
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.reports.conftest import T0
from tests.support.aws_clients import client_for
from tests.support.signin import client_login

EXPECTED = Path(__file__).parent / "fixtures" / "credential_report.csv"
ROOT_PASSWORD = "root password for the report"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "IDP_ROOT_PASSWORD": ROOT_PASSWORD}


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def signing_certificate() -> str:
    """A self-signed certificate valid around T0."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bob")])
    built = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
             .serial_number(x509.random_serial_number())
             .not_valid_before(T0 - timedelta(days=1)).not_valid_after(T0 + timedelta(days=365))
             .sign(key, hashes.SHA256()))
    return built.public_bytes(serialization.Encoding.PEM).decode()


def minutes(clock, n: int) -> None:
    clock.current = T0 + timedelta(minutes=n)


@pytest.fixture
def history(clock, iam, live_server, client, root):
    """One morning of an account (times in minutes after T0, 09:30 UTC)."""
    iam.update_account_password_policy(MinimumPasswordLength=8, MaxPasswordAge=90)
    minutes(clock, 10)
    iam.create_user(UserName="alice")
    iam.create_login_profile(UserName="alice", Password=PASSWORD)
    iam.put_user_policy(UserName="alice", PolicyName="self", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}))
    first = iam.create_access_key(UserName="alice")["AccessKey"]
    minutes(clock, 20)
    second = iam.create_access_key(UserName="alice")["AccessKey"]
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-phone")["VirtualMFADevice"]
    totp = pyotp.TOTP(device["Base32StringSeed"].decode())
    now = clock.now().timestamp()
    iam.enable_mfa_device(UserName="alice", SerialNumber=device["SerialNumber"],
                          AuthenticationCode1=totp.at(now - 30), AuthenticationCode2=totp.at(now))
    minutes(clock, 30)
    iam.create_user(UserName="bob")
    iam.upload_signing_certificate(UserName="bob", CertificateBody=signing_certificate())
    iam.create_user(UserName="Carol")
    iam.create_user(UserName="dave")
    iam.create_login_profile(UserName="dave", Password=PASSWORD)
    minutes(clock, 60)
    client_for(live_server, "iam", first["AccessKeyId"], first["SecretAccessKey"]).get_user()
    minutes(clock, 75)
    iam.update_access_key(UserName="alice", AccessKeyId=second["AccessKeyId"], Status="Inactive")
    minutes(clock, 90)
    assert client_login(client, root.account_id, "dave", PASSWORD).status_code == 302
    minutes(clock, 100)
    assert client_login(app_client(client), root.account_id, "root", ROOT_PASSWORD).status_code == 302
    minutes(clock, 150)


def app_client(client):
    return client.application.test_client()


def test_report_matches_aws_format_and_is_reused_for_four_hours(iam, clock, history, user_client):
    assert error_of(iam.get_credential_report) == ("ReportNotPresent", 410)
    started = iam.generate_credential_report()
    report = iam.get_credential_report()

    assert (started["State"], started["Description"]) == (
        "STARTED", "No report exists. Starting a new report generation task")
    assert report["ReportFormat"] == "text/csv"
    assert report["GeneratedTime"] == T0 + timedelta(minutes=150)
    assert report["Content"] == EXPECTED.read_bytes()

    reader = user_client("reader", policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:GetCredentialReport", "Resource": "*"}]}))
    assert error_of(reader.generate_credential_report) == ("AccessDenied", 403)
    minutes(clock, 150 + 239)
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    kept = reader.get_credential_report()
    assert kept["Content"] == EXPECTED.read_bytes() and kept["GeneratedTime"] == T0 + timedelta(minutes=150)

    minutes(clock, 150 + 240)
    assert error_of(iam.get_credential_report) == ("ReportExpired", 410)
    assert iam.generate_credential_report()["State"] == "STARTED"
    fresh = iam.get_credential_report()
    assert b"\nreader,arn:aws:iam::123456789012:user/reader," in fresh["Content"]
    assert fresh["GeneratedTime"] == T0 + timedelta(minutes=390)
