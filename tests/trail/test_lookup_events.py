"""CloudTrail LookupEvents over the audit log, with boto3's `cloudtrail` client and `aws cloudtrail lookup-events`."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.support.aws_clients import client_for

AWS = str(Path(sys.executable).parent / "aws")
LOOKUP = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "cloudtrail:LookupEvents", "Resource": "*"}]})
GET_USER_ONLY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]})


def error_code(call) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"]


def keys_for(iam, name: str, policy: str) -> tuple[str, str]:
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=policy)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def run_aws(live_server, key: tuple[str, str], tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "IDP_"))}
    env.update({"AWS_ACCESS_KEY_ID": key[0], "AWS_SECRET_ACCESS_KEY": key[1], "AWS_DEFAULT_REGION": "eu-west-1",
                "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
                "AWS_MAX_ATTEMPTS": "1"})
    return subprocess.run([AWS, "cloudtrail", *args, "--endpoint-url", live_server.url, "--output", "json"],
                          env=env, capture_output=True, text=True, timeout=60)


def test_lookup_events_answers_boto3_and_the_cli_for_the_callers_account_only(live_server, root, iam, runner, tmp_path):
    auditor = keys_for(iam, "auditor", LOOKUP)
    mallory = keys_for(iam, "mallory", GET_USER_ONLY)
    iam.create_user(UserName="dana", Path="/ops/")
    iam.get_user(UserName="dana")
    assert error_code(lambda: client_for(live_server, "iam", *mallory).create_user(UserName="eve")) == "AccessDenied"
    # Another account's calls never show in this account's trail.
    other = json.loads(runner.invoke(args=["idp", "create-account", "--json"]).output)
    client_for(live_server, "iam", other["access_key_id"], other["secret_access_key"]).create_user(UserName="x")

    trail = client_for(live_server, "cloudtrail", *auditor)
    everything = trail.lookup_events()["Events"]
    times = [event["EventTime"] for event in everything]
    assert times == sorted(times, reverse=True) and "NextToken" not in trail.lookup_events()
    records = [json.loads(event["CloudTrailEvent"]) for event in everything]
    assert {r["recipientAccountId"] for r in records} == {root.account_id}
    assert all(r["userIdentity"]["accountId"] == root.account_id for r in records)

    created = trail.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}])
    by_user = {event["Username"]: event for event in created["Events"]}
    dana = json.loads(by_user["root"]["CloudTrailEvent"])
    dana_arn = f"arn:aws:iam::{root.account_id}:user/ops/dana"
    assert {r["ResourceName"] for r in by_user["root"]["Resources"]} >= {dana_arn} or any(
        e["Resources"] == [{"ResourceName": dana_arn, "ResourceType": "AWS::IAM::User"}] for e in created["Events"])
    assert (dana["eventSource"], dana["eventName"], dana["readOnly"], dana["userIdentity"]["type"]) == (
        "iam.amazonaws.com", "CreateUser", False, "Root")
    assert dana["eventVersion"] and dana["eventID"] == by_user["root"]["EventId"] and dana["requestID"]
    assert dana["sourceIPAddress"] == "127.0.0.1" and "errorCode" not in dana
    denied = json.loads(by_user["mallory"]["CloudTrailEvent"])
    mallory_arn = f"arn:aws:iam::{root.account_id}:user/mallory"
    assert denied["userIdentity"]["type"] == "IAMUser" and denied["userIdentity"]["userName"] == "mallory"
    assert denied["userIdentity"]["principalId"].startswith("AIDA") and denied["userIdentity"]["arn"] == mallory_arn
    assert denied["errorCode"] == "AccessDenied"
    assert f"User: {mallory_arn} is not authorized to perform: iam:CreateUser" in denied["errorMessage"]

    # Each lookup attribute the audit log can answer.
    def names(key: str, value: str) -> set[str]:
        found = trail.lookup_events(LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}])["Events"]
        return {f'{e["Username"]}:{e["EventName"]}' for e in found}

    assert names("Username", "mallory") == {"mallory:CreateUser"}
    assert names("Username", mallory_arn) == {"mallory:CreateUser"}
    assert names("EventId", by_user["mallory"]["EventId"]) == {"mallory:CreateUser"}
    assert names("EventId", "not-an-id") == set()
    assert names("ResourceName", "dana") == {"root:CreateUser", "root:GetUser"}
    assert names("ResourceType", "AWS::IAM::User") >= {"root:CreateUser", "mallory:CreateUser"}
    assert all(n.split(":")[1].startswith(("Get", "List", "Lookup")) for n in names("ReadOnly", "true"))
    assert "root:CreateUser" in names("ReadOnly", "false") and "auditor:LookupEvents" in names("ReadOnly", "true")
    assert names("EventSource", "cloudtrail.amazonaws.com") == {"auditor:LookupEvents"}

    # Paging: opaque tokens, the same events as one page, newest first, none twice.
    pages = list(trail.get_paginator("lookup_events").paginate(PaginationConfig={"PageSize": 3}))
    assert len(pages) > 2 and all(len(page["Events"]) <= 3 for page in pages)
    paged = [e["EventId"] for page in pages for e in page["Events"]]
    listed = [e["EventId"] for e in everything]  # the lookups since then are newer events, ahead of these
    assert [i for i in paged if i in set(listed)] == listed and len(set(paged)) == len(paged)

    # Bad input: refused with CloudTrail's codes.
    first = trail.lookup_events(MaxResults=2)
    two = [{"AttributeKey": "EventName", "AttributeValue": "CreateUser"},
           {"AttributeKey": "Username", "AttributeValue": "root"}]
    assert error_code(lambda: trail.lookup_events(LookupAttributes=two)) == "InvalidLookupAttributesException"
    tampered = first["NextToken"][:-6] + ("AAAAAA" if not first["NextToken"].endswith("AAAAAA") else "BBBBBB")
    assert error_code(lambda: trail.lookup_events(MaxResults=2, NextToken=tampered)) == "InvalidNextTokenException"
    assert error_code(lambda: trail.lookup_events(  # a token answers only the query that made it
        NextToken=first["NextToken"], LookupAttributes=[two[0]])) == "InvalidNextTokenException"
    assert error_code(lambda: trail.lookup_events(MaxResults=51)) == "InvalidMaxResultsException"
    assert error_code(lambda: trail.lookup_events(StartTime=times[0], EndTime=times[-1])) == \
        "InvalidTimeRangeException"
    assert error_code(lambda: client_for(live_server, "cloudtrail", *mallory).lookup_events()) == \
        "AccessDeniedException"

    # The aws CLI: its own paging over NextToken, its own errors.
    listed = run_aws(live_server, auditor, tmp_path, "lookup-events", "--page-size", "2", "--lookup-attributes",
                     "AttributeKey=EventName,AttributeValue=CreateUser")
    assert listed.returncode == 0, listed.stderr
    assert [e["EventId"] for e in json.loads(listed.stdout)["Events"]] == [e["EventId"] for e in created["Events"]]
    refused = run_aws(live_server, mallory, tmp_path, "lookup-events")
    assert refused.returncode != 0 and "AccessDeniedException" in refused.stderr
    assert "cloudtrail:LookupEvents" in refused.stderr
