"""Policy generation through boto3's accessanalyzer: a least-privilege policy from a principal's audited history."""
import json
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from tests.reports.conftest import ACCOUNT, T0
from tests.support.aws_clients import client_for

ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
WORKER = f"arn:aws:iam::{ACCOUNT}:role/worker"
TRAIL = {"cloudTrailArn": f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/main", "allRegions": True}


def at(clock, minutes: int) -> None:
    clock.current = T0 + timedelta(minutes=minutes)


@pytest.fixture
def analyzer(live_server, root):
    return client_for(live_server, "accessanalyzer", root.access_key_id, root.secret_access_key)


@pytest.fixture
def history(clock, iam, live_server):
    """alice, allowed more than she uses, reads herself and lists users (+10), is denied a delete, assumes `worker`
    (+30); the worker's session lists roles (+31)."""
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="broad", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:Get*", "iam:List*",
                                                                               "sts:AssumeRole"], "Resource": "*"}]}))
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    iam.create_role(RoleName="worker", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName="worker", PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:List*", "Resource": "*"}]}))
    alice = client_for(live_server, "iam", key["AccessKeyId"], key["SecretAccessKey"])
    at(clock, 10)
    alice.get_user()
    alice.list_users()
    with pytest.raises(ClientError):
        alice.delete_user(UserName="alice")
    at(clock, 30)
    session = client_for(live_server, "sts", key["AccessKeyId"], key["SecretAccessKey"]).assume_role(
        RoleArn=WORKER, RoleSessionName="job")["Credentials"]
    at(clock, 31)
    client_for(live_server, "iam", session["AccessKeyId"], session["SecretAccessKey"],
               session["SessionToken"]).list_roles()
    at(clock, 60)


def start(analyzer, principal, start_minute=0, end_minute=60):
    return analyzer.start_policy_generation(
        policyGenerationDetails={"principalArn": principal},
        cloudTrailDetails={"trails": [TRAIL], "accessRole": f"arn:aws:iam::{ACCOUNT}:role/trail-reader",
                           "startTime": T0 + timedelta(minutes=start_minute),
                           "endTime": T0 + timedelta(minutes=end_minute)})["jobId"]


def statements(analyzer, job) -> list[tuple]:
    generated = analyzer.get_generated_policy(jobId=job)
    policies = generated["generatedPolicyResult"]["generatedPolicies"]
    if not policies:
        return []
    policy = json.loads(policies[0]["policy"])
    return [(s["Effect"], s["Action"], s["Resource"]) for s in policy["Statement"]]


def test_generated_policy_allows_exactly_what_was_used_and_validates(analyzer, history, live_server, iam):
    job = start(analyzer, ALICE)
    generated = analyzer.get_generated_policy(jobId=job)

    assert generated["jobDetails"]["status"] == "SUCCEEDED"
    assert generated["jobDetails"]["completedOn"] == T0 + timedelta(minutes=60)
    properties = generated["generatedPolicyResult"]["properties"]
    assert (properties["principalArn"], properties["cloudTrailProperties"]["startTime"],
            properties["cloudTrailProperties"]["trailProperties"]) == (ALICE, T0, [TRAIL])
    assert statements(analyzer, job) == [  # not iam:DeleteUser (denied), nor what alice may do but did not
        ("Allow", ["iam:ListUsers"], [f"arn:aws:iam::{ACCOUNT}:user/*"]),
        ("Allow", ["iam:GetUser"], [ALICE]),
        ("Allow", ["sts:AssumeRole"], [WORKER]),
    ]
    policy = generated["generatedPolicyResult"]["generatedPolicies"][0]["policy"]
    findings = analyzer.validate_policy(policyDocument=policy, policyType="IDENTITY_POLICY")["findings"]
    assert [f for f in findings if f["findingType"] in ("ERROR", "SECURITY_WARNING")] == []

    worker = start(analyzer, WORKER)
    assert statements(analyzer, worker) == [("Allow", ["iam:ListRoles"], [f"arn:aws:iam::{ACCOUNT}:role/*"])]
    window = start(analyzer, ALICE, start_minute=20)
    assert statements(analyzer, window) == [("Allow", ["sts:AssumeRole"], [WORKER])]
    assert statements(analyzer, start(analyzer, ALICE, start_minute=35)) == []

    listed = analyzer.list_policy_generations(principalArn=WORKER)["policyGenerations"]
    assert [(g["jobId"], g["status"]) for g in listed] == [(worker, "SUCCEEDED")]
    assert len(analyzer.list_policy_generations()["policyGenerations"]) == 4

    refusals(analyzer, live_server, iam)
    history_needs_lookup_events(analyzer, live_server, iam, job)


def refusals(analyzer, live_server, iam):
    with pytest.raises(ClientError) as unknown:
        analyzer.get_generated_policy(jobId="5e0b8f7e-0000-4000-8000-000000000000")
    assert unknown.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as nobody:
        start(analyzer, f"arn:aws:iam::{ACCOUNT}:user/nobody")
    assert nobody.value.response["Error"]["Code"] == "ResourceNotFoundException"
    iam.create_user(UserName="stranger")
    for principal, start_minute in ((f"arn:aws:iam::{ACCOUNT}:root", 0), (f"arn:aws:iam::{ACCOUNT}:user/stranger", 10)):
        with pytest.raises(ClientError) as refused:  # not a user or role; a window that ends before it starts
            start(analyzer, principal, start_minute=start_minute, end_minute=5)
        assert refused.value.response["Error"]["Code"] == "ValidationException"

    key = iam.create_access_key(UserName="stranger")["AccessKey"]
    stranger = client_for(live_server, "accessanalyzer", key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(ClientError) as denied:
        start(stranger, f"arn:aws:iam::{ACCOUNT}:user/stranger")
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert len(analyzer.list_policy_generations()["policyGenerations"]) == 4  # none started by the refusals


def history_needs_lookup_events(analyzer, live_server, iam, job):
    """A generated policy reveals the principal's audit history: access-analyzer:* alone is not enough."""
    iam.create_user(UserName="generator")
    iam.put_user_policy(UserName="generator", PolicyName="analyzer", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "access-analyzer:*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="generator")["AccessKey"]
    generator = client_for(live_server, "accessanalyzer", key["AccessKeyId"], key["SecretAccessKey"])
    for call, kwargs in ((start, {"analyzer": generator, "principal": ALICE}),
                         (generator.get_generated_policy, {"jobId": job})):
        with pytest.raises(ClientError) as denied:
            call(**kwargs)
        assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
        assert "cloudtrail:LookupEvents" in denied.value.response["Error"]["Message"]
    assert len(analyzer.list_policy_generations()["policyGenerations"]) == 4

    iam.put_user_policy(UserName="generator", PolicyName="trail", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "cloudtrail:LookupEvents",
                                                "Resource": "*"}]}))
    assert statements(generator, start(generator, WORKER)) == [
        ("Allow", ["iam:ListRoles"], [f"arn:aws:iam::{ACCOUNT}:role/*"])]
