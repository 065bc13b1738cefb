"""Structured logs: one JSON object per line with the request's fields, and no secret ever in a line."""
import json
import logging

import pytest
import requests
from botocore.exceptions import ClientError

from idp.config import load_settings
from idp.errors import ConfigError
from tests.oidc.conftest import make_client, redeem, token_request, web_client  # noqa: F401
from tests.oidc.flow import Browser, callback_params, pkce_pair
from tests.support.aws_clients import client_for
from tests.support.signin import create_user_with_password, http_login

PASSWORD = "Quartz-Lantern-Orchard-77"
ACCESS_FIELDS = ("timestamp", "level", "event", "request_id", "account", "principal", "action", "decision",
                 "status", "latency_ms")


@pytest.fixture
def app_config(app_config):
    return {**app_config, "IDP_LOG_FORMAT": "json"}


@pytest.fixture
def carol(live_server, root, iam):
    """A user with a password, an access key, and a role she may assume."""
    create_user_with_password(iam, "carol", PASSWORD, policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"AWS": f"arn:aws:iam::{root.account_id}:root"}}]}
    role_arn = iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    key = iam.create_access_key(UserName="carol")["AccessKey"]
    return key, role_arn


def test_a_whole_flow_logs_json_lines_with_request_fields_and_no_secret(
        live_server, root, iam, carol, web_client, redeem, token_request, capsys):  # noqa: F811
    key, role_arn = carol
    assert iam.get_user(UserName="carol")["User"]["UserName"] == "carol"
    carol_arn = f"arn:aws:iam::{root.account_id}:user/carol"
    sts = client_for(live_server, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    session = sts.assume_role(RoleArn=role_arn, RoleSessionName="ship")["Credentials"]
    as_role = client_for(live_server, "sts", session["AccessKeyId"], session["SecretAccessKey"],
                         session["SessionToken"])
    assert as_role.get_caller_identity()["Arn"].endswith(":assumed-role/deployer/ship")
    with pytest.raises(ClientError):
        client_for(live_server, "iam", key["AccessKeyId"], key["SecretAccessKey"]).list_users()

    wrong_password = "Not-Her-Password-1"
    refused = http_login(requests.Session(), live_server.url, root.account_id, "carol", wrong_password)
    assert refused.status_code == 401 and "incorrect" in refused.text.lower()
    browser = Browser(live_server.url, root.account_id, "carol", password=PASSWORD)
    verifier, challenge = pkce_pair()  # authorize signs carol in with her password on the way
    code = callback_params(browser.authorize(web_client["client_id"], challenge=challenge))["code"]
    tokens = redeem(web_client, code, verifier).json()
    refreshed = token_request(web_client, grant_type="refresh_token", refresh_token=tokens["refresh_token"]).json()
    userinfo = requests.get(f"{live_server.url}/oauth2/userinfo", timeout=30,
                            headers={"Authorization": f"Bearer {refreshed['access_token']}"})
    assert userinfo.status_code == 200
    logging.getLogger("tests.any_library").warning("retrying with %s", tokens["id_token"])

    lines = capsys.readouterr().err.splitlines()
    secrets = {
        "root secret access key": root.secret_access_key, "carol's secret access key": key["SecretAccessKey"],
        "session secret": session["SecretAccessKey"], "session token": session["SessionToken"],
        "password": PASSWORD, "wrong password": wrong_password, "client secret": web_client["client_secret"],
        "authorization code": code, "code verifier": verifier,
        **{f"{name} ({round_})": value for round_, answer in (("first", tokens), ("refreshed", refreshed))
           for name, value in answer.items() if name.endswith("_token")},
    }
    output = "\n".join(lines)
    leaked = [name for name, value in secrets.items() if value and value in output]
    assert not leaked, f"secrets in the log: {leaked}"

    events = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"timestamp", "level", "event"} <= set(event) for event in events)
    assert all(event["timestamp"].endswith("Z") for event in events)
    access = [event for event in events if event["logger"] == "idp.access"]
    assert access and all(set(ACCESS_FIELDS) <= set(event) for event in access)
    assert len({event["request_id"] for event in access}) == len(access)
    by_action = {(event["action"], event["principal"], event["decision"], event["status"]) for event in access}
    assert any(event["action"] == "sts:AssumeRole" and event["decision"] == "Allow" and event["status"] == 200
               and event["principal"].endswith(":user/carol") for event in access)
    assert ("iam:ListUsers", carol_arn, "ImplicitDeny", 403) in by_action
    assert ("iam:GetUser", f"arn:aws:iam::{root.account_id}:root", "Allow", 200) in by_action
    assert any(event["action"] == "oidc.token" and event["status"] == 200 for event in access)
    assert all(event["account"] == root.account_id for event in access if event["principal"])
    assert all(isinstance(event["latency_ms"], float) for event in access)
    warning = next(event for event in events if event["logger"] == "tests.any_library")
    assert warning["level"] == "warning" and "[REDACTED]" in warning["event"]


def test_redaction_by_key_and_by_shape_keeps_what_is_not_secret():
    from idp.logs.redaction import REDACTED, redact_secrets

    event = redact_secrets(None, "info", {
        "event": "signed AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY password=hunter2 status_code=200",
        "headers": {"Authorization": "Bearer abc", "Cookie": "__Host-session=xyz", "Host": "idp.example"},
        "client_secret": "s3cr3t", "refresh_token": "short", "code": "abc", "UserName": "carol",
        "args": ["eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJjYXJvbCJ9.c2ln", "Ab3" * 15],
        "request_id": "2de10820-ae21-4aac-94cd-35613469a3d8",
    })
    assert event["event"] == f"signed AKIAIOSFODNN7EXAMPLE:{REDACTED} password={REDACTED} status_code=200"
    assert event["headers"] == {"Authorization": REDACTED, "Cookie": REDACTED, "Host": "idp.example"}
    assert event["client_secret"] == event["refresh_token"] == event["code"] == REDACTED
    assert event["args"] == [REDACTED, REDACTED]
    assert event["UserName"] == "carol" and event["request_id"] == "2de10820-ae21-4aac-94cd-35613469a3d8"


def test_log_format_is_json_or_text_and_anything_else_is_refused(tmp_path):
    assert load_settings({}, environ={}).log_format == "text"
    assert load_settings({"IDP_LOG_FORMAT": "JSON"}, environ={}).log_format == "json"
    with pytest.raises(ConfigError, match="IDP_LOG_FORMAT must be one of text, json, got 'xml'"):
        load_settings({"IDP_LOG_FORMAT": "xml"}, environ={})
