"""boto3 clients against the live app (a pytest plugin loaded by tests/conftest.py): the root user's, and helpers to make other callers."""
import boto3
import pytest
from botocore.config import Config

NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def client_for(live_server, service: str, key_id: str, secret: str, token: str | None = None):
    """A real boto3 client for `service` signed with these credentials."""
    return boto3.client(
        service, endpoint_url=live_server.url, region_name="us-east-1", aws_access_key_id=key_id,
        aws_secret_access_key=secret, aws_session_token=token, config=NO_RETRIES,
    )


@pytest.fixture
def iam(live_server, root):
    """IAM as the default account's root user."""
    return client_for(live_server, "iam", root.access_key_id, root.secret_access_key)


@pytest.fixture
def user_client(live_server, iam):
    """Make a user with an access key (through the API) and return an IAM client signed as them."""

    def make(name: str, *, policy: str | None = None, service: str = "iam"):
        iam.create_user(UserName=name)
        if policy is not None:
            iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=policy)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return client_for(live_server, service, key["AccessKeyId"], key["SecretAccessKey"])

    return make
