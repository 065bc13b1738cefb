"""Analyzer fixtures: an Access Analyzer boto3 client as the root user, and one for an IAM user."""
import pytest

from tests.support.aws_clients import client_for


@pytest.fixture
def analyzer(live_server, root):
    """Access Analyzer as the default account's root user."""
    return client_for(live_server, "accessanalyzer", root.access_key_id, root.secret_access_key)


@pytest.fixture
def analyzer_as(live_server, iam):
    """An Access Analyzer client for a new IAM user with this inline policy (None: no policy)."""

    def make(name: str, policy: str | None = None):
        iam.create_user(UserName=name)
        if policy is not None:
            iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=policy)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return client_for(live_server, "accessanalyzer", key["AccessKeyId"], key["SecretAccessKey"])

    return make
