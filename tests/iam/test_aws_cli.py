"""The aws CLI (awscli from PyPI) administers the IdP through --endpoint-url."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

AWS = str(Path(sys.executable).parent / "aws")


@pytest.fixture
def aws(live_server, root, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "IDP_"))}
    env.update({
        "AWS_ACCESS_KEY_ID": root.access_key_id, "AWS_SECRET_ACCESS_KEY": root.secret_access_key,
        "AWS_DEFAULT_REGION": "eu-west-1", "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_MAX_ATTEMPTS": "1",
    })

    def run(*args: str, check: bool = True) -> dict | subprocess.CompletedProcess:
        result = subprocess.run([AWS, *args, "--endpoint-url", live_server.url, "--output", "json"],
                                env=env, capture_output=True, text=True, timeout=60)
        if not check:
            return result
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else {}

    return run


def test_a_representative_administration_script(aws, root):
    created = aws("iam", "create-user", "--user-name", "dana", "--path", "/ops/", "--tags", "Key=team,Value=red")
    assert created["User"]["Arn"] == f"arn:aws:iam::{root.account_id}:user/ops/dana"
    assert [u["UserName"] for u in aws("iam", "list-users")["Users"]] == ["dana"]
    aws("iam", "tag-user", "--user-name", "dana", "--tags", "Key=env,Value=prod")
    assert {t["Key"] for t in aws("iam", "list-user-tags", "--user-name", "dana")["Tags"]} == {"team", "env"}

    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]})
    simulated = aws("iam", "simulate-custom-policy", "--policy-input-list", policy,
                    "--action-names", "iam:GetUser", "iam:DeleteUser")
    assert [r["EvalDecision"] for r in simulated["EvaluationResults"]] == ["allowed", "implicitDeny"]

    missing = aws("iam", "get-user", "--user-name", "nobody", check=False)
    assert missing.returncode != 0 and "NoSuchEntity" in missing.stderr
    aws("iam", "delete-user", "--user-name", "dana")
    assert aws("iam", "list-users")["Users"] == []
