"""Two app processes on one PostgreSQL database: a change made through one binds the other at once."""
import json

import pytest
from botocore.exceptions import ClientError

from tests.conftest import TEST_MASTER_KEY
from tests.support.aws_clients import client_for
from tests.support.servers import ProcessServer, running_together

pytestmark = pytest.mark.postgres

ROOT_KEY, ROOT_SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.fixture
def two_servers(app_config, tmp_path):
    env = {
        "IDP_DATABASE_URL": app_config["IDP_DATABASE_URL"], "IDP_MASTER_KEY": TEST_MASTER_KEY,
        "IDP_KEYS_DIR": str(tmp_path / "keys"), "IDP_INSTANCE_DIR": str(tmp_path / "instance"),
        "IDP_ROOT_ACCESS_KEY_ID": ROOT_KEY, "IDP_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET, "IDP_AUTO_BOOTSTRAP": "1",
    }
    servers = [ProcessServer(env), ProcessServer(env)]
    with running_together(servers):
        yield servers


def test_policy_change_and_key_deactivation_through_one_instance_bind_the_other(two_servers):
    first, second = two_servers
    admin_a = client_for(first, "iam", ROOT_KEY, ROOT_SECRET)
    admin_a.create_user(UserName="ivy")
    admin_a.put_user_policy(UserName="ivy", PolicyName="p", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}))
    key = admin_a.create_access_key(UserName="ivy")["AccessKey"]
    ivy_b = client_for(second, "iam", key["AccessKeyId"], key["SecretAccessKey"])
    assert ivy_b.get_user(UserName="ivy")["User"]["UserName"] == "ivy"  # warms B's policy cache

    admin_a.delete_user_policy(UserName="ivy", PolicyName="p")
    with pytest.raises(ClientError) as caught:
        ivy_b.get_user(UserName="ivy")
    assert caught.value.response["Error"]["Code"] == "AccessDenied"

    admin_a.put_user_policy(UserName="ivy", PolicyName="p", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}))
    assert ivy_b.get_user(UserName="ivy")
    admin_a.update_access_key(UserName="ivy", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as caught:
        ivy_b.get_user(UserName="ivy")
    assert caught.value.response["Error"]["Code"] == "InvalidClientTokenId"
