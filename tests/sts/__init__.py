"""STS tests: shared helpers and fixtures (imported by each test module)."""
from __future__ import annotations

import json
from dataclasses import dataclass

import boto3
import pytest
from botocore.config import Config

from tests.support.aws_clients import client_for


@dataclass(frozen=True)
class Keys:
    """A credential triple as boto3 takes it."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    @classmethod
    def of(cls, credentials: dict) -> "Keys":
        """From an STS `Credentials` structure."""
        return cls(credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])


def document(*statements: dict) -> str:
    """A policy document of these statements."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str | list[str] = "*", **extra) -> dict:
    """An Allow statement."""
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str | list[str], resource: str | list[str] = "*", **extra) -> dict:
    """A Deny statement."""
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def trust(principal: str | list[str], actions: str | list[str] = "sts:AssumeRole", condition: dict | None = None,
          **extra) -> dict:
    """A trust-policy statement allowing `principal` (an AWS ARN or account id) to `actions`."""
    statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": actions, **extra}
    if condition:
        statement["Condition"] = condition
    return statement


def client(live_server, service: str, keys: Keys):
    """A boto3 client signed with `keys`."""
    return client_for(live_server, service, keys.access_key_id, keys.secret_access_key, keys.session_token)


def error_of(raised) -> tuple[str, str]:
    """(code, message) of a botocore ClientError."""
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


@pytest.fixture
def sts(live_server, root):
    """STS as the default account's root user."""
    return client_for(live_server, "sts", root.access_key_id, root.secret_access_key)


@pytest.fixture
def make_user(iam):
    """`(name, *statements) -> Keys`: an IAM user with an inline policy and an access key, through the API."""

    def make(name: str, *statements: dict) -> Keys:
        iam.create_user(UserName=name)
        if statements:
            iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=document(*statements))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return Keys(key["AccessKeyId"], key["SecretAccessKey"])

    return make


@pytest.fixture
def make_role(iam):
    """`(name, trust_statements, *permission_statements, **CreateRole kwargs) -> role ARN`."""

    def make(name: str, trusted: list[dict], *statements: dict, **kwargs) -> str:
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=document(*trusted), **kwargs)["Role"]["Arn"]
        if statements:
            iam.put_role_policy(RoleName=name, PolicyName="permissions", PolicyDocument=document(*statements))
        return arn

    return make


UNVALIDATED = Config(retries={"max_attempts": 1, "mode": "standard"}, parameter_validation=False)


def raw_client(live_server, service: str, keys: Keys):
    """A boto3 client that sends out-of-range values as given, so the server's own checks answer."""
    return boto3.client(
        service, endpoint_url=live_server.url, region_name="us-east-1", aws_access_key_id=keys.access_key_id,
        aws_secret_access_key=keys.secret_access_key, aws_session_token=keys.session_token, config=UNVALIDATED,
    )


def root_keys(root) -> Keys:
    """The root user's long-term keys."""
    return Keys(root.access_key_id, root.secret_access_key)


def validation(value: object, member: str, constraint: str) -> str:
    """AWS's one-constraint validation message."""
    return f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"
