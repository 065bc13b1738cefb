"""`aws iam generate-credential-report` / `get-credential-report` (the aws CLI signs with the wall clock)."""
import base64

import pytest

from tests.iam.test_aws_cli import aws  # noqa: F401  (fixture)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "IDP_CLOCK": None}  # the system clock


def test_aws_cli_generates_and_decodes_the_report(aws, iam, root):  # noqa: F811
    iam.create_user(UserName="alice")
    assert aws("iam", "generate-credential-report")["State"] == "STARTED"

    report = aws("iam", "get-credential-report")

    assert report["ReportFormat"] == "text/csv"
    lines = base64.b64decode(report["Content"]).decode().split("\n")
    assert lines[0].startswith("user,arn,user_creation_time,password_enabled,")
    assert [line.split(",")[:2] for line in lines[1:]] == [
        ["<root_account>", f"arn:aws:iam::{root.account_id}:root"],
        ["alice", f"arn:aws:iam::{root.account_id}:user/alice"]]
