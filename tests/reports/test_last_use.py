"""Last use of keys and roles as the report shows it: only AWS-shaped regions, denied calls too, once a minute."""
import base64
import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from sqlalchemy import event

from idp.authz.sigv4 import aws_region
from tests.reports.conftest import ACCOUNT, T0

FORMULA = '=HYPERLINK("evil.example")'
READ_SELF = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["iam:GetUser", "sts:AssumeRole"], "Resource": "*"}]})


def call(client, keys: dict, action: str, *, region: str = "us-east-1", service: str = "iam", **params):
    """A Query-API call through the Flask test client, signed by botocore for `region` (boto3 checks region names)."""
    version = "2011-06-15" if service == "sts" else "2010-05-08"
    body = urlencode({"Action": action, "Version": version, **params})
    request = AWSRequest("POST", "http://localhost/", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(keys["AccessKeyId"], keys["SecretAccessKey"], keys.get("SessionToken")), service,
              region).add_auth(request)
    return client.post("/", data=body, headers=dict(request.headers.items()))


def value(response, name: str) -> str | None:
    text = response.get_data(as_text=True)
    return text.split(f"<{name}>")[1].split(f"</{name}>")[0] if f"<{name}>" in text else None


def report_row(client, root_keys: dict, user: str) -> dict[str, str]:
    call(client, root_keys, "GenerateCredentialReport")
    lines = base64.b64decode(value(call(client, root_keys, "GetCredentialReport"), "Content")).decode().split("\n")
    header = lines[0].split(",")
    return next(dict(zip(header, line.split(","))) for line in lines[1:] if line.startswith(f"{user},"))


@pytest.fixture
def root_keys(root) -> dict:
    return {"AccessKeyId": root.access_key_id, "SecretAccessKey": root.secret_access_key}


@pytest.fixture
def alice(client, clock, root_keys) -> dict:
    """User alice, who may read herself and assume `worker`; her access key."""
    call(client, root_keys, "CreateUser", UserName="alice")
    call(client, root_keys, "PutUserPolicy", UserName="alice", PolicyName="self", PolicyDocument=READ_SELF)
    response = call(client, root_keys, "CreateAccessKey", UserName="alice")
    return {"AccessKeyId": value(response, "AccessKeyId"), "SecretAccessKey": value(response, "SecretAccessKey")}


@pytest.mark.parametrize("region, recorded", [
    ("us-east-1", True), ("eu-west-3", True), ("us-gov-west-1", True), ("ap-southeast-10", True),
    (FORMULA, False), ("US-EAST-1", False), ("us-east-1\n", False), ("east-1", False), ("us-east-100", False),
    ("-us-east-1", False), ("", False), (None, False),
])
def test_only_a_region_of_aws_shape_is_recorded(region, recorded):
    assert aws_region(region) == (region if recorded else None)


def test_a_formula_region_signs_but_is_never_recorded(client, clock, root_keys, alice):
    answered = call(client, alice, "GetUser", region=FORMULA)
    call(client, root_keys, "CreateRole", RoleName="worker", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
            "AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"}, "Action": "sts:AssumeRole"}]}))
    assumed = call(client, alice, "AssumeRole", service="sts", region=FORMULA,
                   RoleArn=f"arn:aws:iam::{ACCOUNT}:role/worker", RoleSessionName="job")

    assert (answered.status_code, assumed.status_code) == (200, 200)  # any region name still works
    row = report_row(client, root_keys, "alice")
    assert (row["access_key_1_last_used_date"], row["access_key_1_last_used_region"],
            row["access_key_1_last_used_service"]) == (T0.isoformat(), "N/A", "iam")
    role = call(client, root_keys, "GetRole", RoleName="worker")
    assert value(role, "LastUsedDate") is not None and value(role, "Region") is None
    assert FORMULA not in call(client, root_keys, "GetCredentialReport").get_data(as_text=True)


def test_a_report_cell_that_reads_as_a_formula_is_made_text(client, clock, root_keys):
    call(client, root_keys, "CreateUser", UserName="=1+2")

    row = report_row(client, root_keys, "'=1+2")
    assert (row["user"], row["arn"]) == ("'=1+2", f"arn:aws:iam::{ACCOUNT}:user/=1+2")


def test_a_denied_call_records_last_use_once_a_minute(app, client, clock, root_keys, alice):
    from models import db

    writes: list[str] = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("UPDATE ACCESS_KEYS"):
            writes.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        refused = [call(client, alice, "ListUsers").status_code for _ in range(3)]
        first = len(writes)
        clock.advance(61)
        late = call(client, alice, "ListUsers").status_code
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert refused + [late] == [403] * 4
    assert (first, len(writes)) == (1, 2)  # one write a minute, refused or not
    row = report_row(client, root_keys, "alice")
    assert (row["access_key_1_last_used_date"], row["access_key_1_last_used_region"]) == (
        (T0 + timedelta(seconds=61)).isoformat(), "us-east-1")
