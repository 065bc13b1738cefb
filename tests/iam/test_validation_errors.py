"""Every failed member constraint of a request at once, in AWS's words, before any authorization; nothing changes."""
from urllib.parse import urlencode

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.support.aws_clients import NO_RETRIES

PASSWORD_POLICY_ERRORS = (
    "3 validation errors detected: "
    "Value '2' at 'minimumPasswordLength' failed to satisfy constraint: "
    "Member must have value greater than or equal to 6; "
    "Value '0' at 'maxPasswordAge' failed to satisfy constraint: Member must have value greater than or equal to 1; "
    "Value '25' at 'passwordReusePrevention' failed to satisfy constraint: "
    "Member must have value less than or equal to 24"
)
NAME = r"[\w+=,.@-]+"


@pytest.fixture
def unchecked(live_server, root):
    """IAM as root with botocore's client-side validation off, so the server sees the bad values."""

    def make(key_id: str = root.access_key_id, secret: str = root.secret_access_key):
        return boto3.client("iam", endpoint_url=live_server.url, region_name="us-east-1", aws_access_key_id=key_id,
                            aws_secret_access_key=secret, config=NO_RETRIES.merge(Config(parameter_validation=False)))

    return make


def refusal(call, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def post(live_server, root, form: dict) -> requests.Response:
    """A raw form POST, signed as botocore signs it."""
    request = AWSRequest(method="POST", url=live_server.url + "/", data=urlencode(form),
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(root.access_key_id, root.secret_access_key), "iam", "us-east-1").add_auth(request)
    return requests.post(request.url, data=request.body, headers=dict(request.headers.items()), timeout=10)


def test_every_failed_constraint_is_reported_at_once(live_server, root, iam, unchecked, user_client):
    bad = {"MinimumPasswordLength": 2, "MaxPasswordAge": 0, "PasswordReusePrevention": 25}
    assert refusal(unchecked().update_account_password_policy, **bad) == (
        "ValidationError", 400, PASSWORD_POLICY_ERRORS)
    # Checked before authorization: a caller allowed nothing hears the same.
    user_client("nobody")
    key = iam.create_access_key(UserName="nobody")["AccessKey"]
    nobody = unchecked(key["AccessKeyId"], key["SecretAccessKey"])
    assert refusal(nobody.update_account_password_policy, **bad) == ("ValidationError", 400, PASSWORD_POLICY_ERRORS)

    # The raw Query protocol, with a boolean that is not one among them, in the API model's member order.
    answer = post(live_server, root, {"Action": "UpdateAccountPasswordPolicy", "Version": "2010-05-08",
                                      "MinimumPasswordLength": "2", "RequireSymbols": "maybe", "MaxPasswordAge": "0"})
    assert answer.status_code == 400 and "<Code>ValidationError</Code>" in answer.text
    assert (
        "<Message>3 validation errors detected: Value '2' at 'minimumPasswordLength' failed to satisfy constraint: "
        "Member must have value greater than or equal to 6; Value 'maybe' at 'requireSymbols' failed to satisfy "
        "constraint: Member must be one of: true, false; Value '0' at 'maxPasswordAge' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1</Message>"
    ) in answer.text
    assert refusal(iam.get_account_password_policy)[0] == "NoSuchEntity"

    # CreateUser: a name failing two constraints, a bad path and tag; the boundary's ARN refusal (a later check
    # at AWS) waits until every constraint holds.
    long_name = "x" * 64 + "!"
    create = unchecked().create_user
    _, _, message = refusal(create, UserName=long_name, Path="nope", PermissionsBoundary="arn:aws:s3:::not-a-policy",
                            Tags=[{"Key": "", "Value": "v"}])
    assert message == (
        f"5 validation errors detected: "
        f"Value '{long_name}' at 'userName' failed to satisfy constraint: Member must have length less than or "
        f"equal to 64; Value '{long_name}' at 'userName' failed to satisfy constraint: Member must satisfy regular "
        f"expression pattern: {NAME}; Value 'nope' at 'path' failed to satisfy constraint: Member must satisfy "
        r"regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F); "
        "Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater than or "
        "equal to 1; Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular "
        r"expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+"
    )
    assert refusal(create, UserName="ok", PermissionsBoundary="arn:aws:s3:::not-a-policy") == (
        "InvalidInput", 400, "ARN arn:aws:s3:::not-a-policy is not valid.")
    # A missing parameter is still named on its own.
    assert refusal(create, Path="nope") == ("MissingParameter", 400, "The request must contain the parameter UserName")
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["nobody"]
