"""The aws CLI: assume a role, then use the session through AWS_SESSION_TOKEN."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.sts import allow, document, make_role, make_user, trust

__all__ = ["make_role", "make_user"]  # fixtures

AWS = str(Path(sys.executable).parent / "aws")


def run(live_server, tmp_path, credentials: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "IDP_"))}
    env.update({"AWS_DEFAULT_REGION": "eu-west-1", "AWS_CONFIG_FILE": str(tmp_path / "none"),
                "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_MAX_ATTEMPTS": "1", **credentials})
    return subprocess.run([AWS, *args, "--endpoint-url", live_server.url, "--output", "json"],
                          env=env, capture_output=True, text=True, timeout=60)


def test_assume_role_then_use_the_session(live_server, root, tmp_path, make_user, make_role):
    account = root.account_id
    alice = make_user("alice", allow("sts:AssumeRole"))
    role_arn = make_role("lister", [trust(f"arn:aws:iam::{account}:user/alice",
                                          condition={"StringEquals": {"sts:ExternalId": "cli-42"}})],
                         allow("iam:ListUsers"))
    long_term = {"AWS_ACCESS_KEY_ID": alice.access_key_id, "AWS_SECRET_ACCESS_KEY": alice.secret_access_key}

    refused = run(live_server, tmp_path, long_term, "sts", "assume-role", "--role-arn", role_arn,
                  "--role-session-name", "cli")
    assert refused.returncode != 0 and "AccessDenied" in refused.stderr

    assumed = run(live_server, tmp_path, long_term, "sts", "assume-role", "--role-arn", role_arn,
                  "--role-session-name", "cli", "--external-id", "cli-42", "--duration-seconds", "900",
                  "--policy", document(allow("iam:ListUsers")))
    assert assumed.returncode == 0, assumed.stderr
    credentials = json.loads(assumed.stdout)["Credentials"]
    session = {"AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
               "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
               "AWS_SESSION_TOKEN": credentials["SessionToken"]}

    me = run(live_server, tmp_path, session, "sts", "get-caller-identity")
    assert me.returncode == 0, me.stderr
    assert json.loads(me.stdout)["Arn"] == f"arn:aws:sts::{account}:assumed-role/lister/cli"
    users = run(live_server, tmp_path, session, "iam", "list-users")
    assert users.returncode == 0, users.stderr
    assert [user["UserName"] for user in json.loads(users.stdout)["Users"]] == ["alice"]
    denied = run(live_server, tmp_path, session, "iam", "list-roles")
    assert denied.returncode != 0 and "AccessDenied" in denied.stderr

    broken = {**session, "AWS_SESSION_TOKEN": credentials["SessionToken"][:-8]}
    invalid = run(live_server, tmp_path, broken, "sts", "get-caller-identity")
    assert invalid.returncode != 0 and "InvalidClientTokenId" in invalid.stderr
