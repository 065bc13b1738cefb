"""Service last-accessed data from audited calls (boto3): service and action level, entities, RoleLastUsed."""
import json
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from tests.reports.conftest import ACCOUNT, T0
from tests.support.aws_clients import client_for

ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
WORKER = f"arn:aws:iam::{ACCOUNT}:role/worker"
POLICY = f"arn:aws:iam::{ACCOUNT}:policy/work"


def at(clock, minutes: int) -> None:
    clock.current = T0 + timedelta(minutes=minutes)


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def history(clock, iam, live_server, root):
    """alice (policy `work`: iam reads, notes, AssumeRole) reads at +10 and +20 minutes, is denied a delete at +25,
    and assumes `worker` (also `work`) at +30, whose session lists roles at +31."""
    work = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
        "iam:GetUser", "iam:ListRoles", "notes:GetNote", "sts:AssumeRole"], "Resource": "*"}]})
    iam.create_policy(PolicyName="work", PolicyDocument=work)
    iam.create_user(UserName="alice")
    iam.attach_user_policy(UserName="alice", PolicyArn=POLICY)
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    iam.create_role(RoleName="worker", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": "sts:AssumeRole"}]}))
    iam.attach_role_policy(RoleName="worker", PolicyArn=POLICY)
    alice = client_for(live_server, "iam", key["AccessKeyId"], key["SecretAccessKey"])
    at(clock, 10)
    alice.get_user()
    at(clock, 20)
    alice.list_roles()
    at(clock, 25)
    with pytest.raises(ClientError):
        alice.delete_user(UserName="alice")
    at(clock, 30)
    credentials = client_for(live_server, "sts", key["AccessKeyId"], key["SecretAccessKey"]).assume_role(
        RoleArn=WORKER, RoleSessionName="job")["Credentials"]
    at(clock, 31)
    client_for(live_server, "iam", credentials["AccessKeyId"], credentials["SecretAccessKey"],
               credentials["SessionToken"]).list_roles()
    at(clock, 40)


def services(iam, arn, granularity="SERVICE_LEVEL"):
    job = iam.generate_service_last_accessed_details(Arn=arn, Granularity=granularity)["JobId"]
    return job, iam.get_service_last_accessed_details(JobId=job)


def test_service_level_of_a_user_and_the_entities_of_a_policy(iam, clock, history):
    _, details = services(iam, ALICE)

    assert (details["JobStatus"], details["JobType"], details["IsTruncated"]) == ("COMPLETED", "SERVICE_LEVEL", False)
    assert details["JobCreationDate"] == details["JobCompletionDate"] == T0 + timedelta(minutes=40)
    assert [(s["ServiceNamespace"], s["ServiceName"], s.get("LastAuthenticated"), s.get("LastAuthenticatedEntity"),
             s["TotalAuthenticatedEntities"]) for s in details["ServicesLastAccessed"]] == [
        # AWS counts every attempt, the denied delete too
        ("iam", "AWS Identity and Access Management", T0 + timedelta(minutes=25), ALICE, 1),
        ("notes", "Notes", None, None, 0),
        ("sts", "AWS Security Token Service", T0 + timedelta(minutes=30), ALICE, 1),
    ]

    job, by_policy = services(iam, POLICY)
    clock.advance(600)
    iam.get_user(UserName="alice")  # later activity: the job answers as of its completion
    entities = iam.get_service_last_accessed_details_with_entities(JobId=job, ServiceNamespace="iam")

    assert by_policy["ServicesLastAccessed"][0]["TotalAuthenticatedEntities"] == 2
    assert [(e["EntityInfo"]["Type"], e["EntityInfo"]["Name"], e.get("LastAuthenticated"))
            for e in entities["EntityDetailsList"]] == [
        ("USER", "alice", T0 + timedelta(minutes=25)), ("ROLE", "worker", T0 + timedelta(minutes=31))]
    again = iam.get_service_last_accessed_details(JobId=job)
    assert again["ServicesLastAccessed"] == by_policy["ServicesLastAccessed"]
    paged = iam.get_service_last_accessed_details(JobId=job, MaxItems=2)
    assert paged["IsTruncated"] and len(paged["ServicesLastAccessed"]) == 2
    rest = iam.get_service_last_accessed_details(JobId=job, Marker=paged["Marker"])
    assert [s["ServiceNamespace"] for s in rest["ServicesLastAccessed"]] == ["sts"]


def test_action_level_of_a_role_its_last_use_and_refusals(iam, history, user_client):
    _, details = services(iam, WORKER, "ACTION_LEVEL")
    iam_service = details["ServicesLastAccessed"][0]

    assert (iam_service["ServiceNamespace"], iam_service["LastAuthenticated"], iam_service["LastAuthenticatedEntity"]) \
        == ("iam", T0 + timedelta(minutes=31), WORKER)
    assert [(a["ActionName"], a.get("LastAccessedTime")) for a in iam_service["TrackedActionsLastAccessed"]] == [
        ("GetUser", None), ("ListRoles", T0 + timedelta(minutes=31))]
    # RoleLastUsed follows the role's sessions, as an access key's last use follows its requests.
    assert iam.get_role(RoleName="worker")["Role"]["RoleLastUsed"] == {
        "LastUsedDate": T0 + timedelta(minutes=31), "Region": "us-east-1"}

    assert error_of(iam.get_service_last_accessed_details, JobId="5e0b8f7e-0000-4000-8000-000000000000") == (
        "NoSuchEntity", 404)
    assert error_of(iam.generate_service_last_accessed_details, Arn=f"arn:aws:iam::{ACCOUNT}:user/nobody") == (
        "NoSuchEntity", 404)
    assert error_of(iam.generate_service_last_accessed_details, Arn=f"arn:aws:s3:::{ACCOUNT}-bucket-name") == (
        "InvalidInput", 400)
    stranger = user_client("stranger")
    assert error_of(stranger.generate_service_last_accessed_details, Arn=ALICE) == ("AccessDenied", 403)
    job = iam.generate_service_last_accessed_details(Arn=ALICE)["JobId"]
    assert error_of(stranger.get_service_last_accessed_details, JobId=job) == ("AccessDenied", 403)
    assert error_of(stranger.get_service_last_accessed_details_with_entities, JobId=job,
                    ServiceNamespace="iam") == ("AccessDenied", 403)


def test_a_user_recreated_under_an_old_name_starts_with_no_history(iam, clock, live_server, root):
    read = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]})

    def create() -> None:
        iam.create_user(UserName="temp")
        iam.put_user_policy(UserName="temp", PolicyName="read", PolicyDocument=read)

    create()
    key = iam.create_access_key(UserName="temp")["AccessKey"]
    at(clock, 5)
    client_for(live_server, "iam", key["AccessKeyId"], key["SecretAccessKey"]).get_user()
    iam.delete_access_key(UserName="temp", AccessKeyId=key["AccessKeyId"])
    iam.delete_user_policy(UserName="temp", PolicyName="read")
    iam.delete_user(UserName="temp")
    at(clock, 10)
    create()
    at(clock, 20)

    temp = f"arn:aws:iam::{ACCOUNT}:user/temp"
    _, details = services(iam, temp)
    assert [(s["ServiceNamespace"], s.get("LastAuthenticated")) for s in details["ServicesLastAccessed"]] == [
        ("iam", None)]
    analyzer = client_for(live_server, "accessanalyzer", root.access_key_id, root.secret_access_key)
    job = analyzer.start_policy_generation(policyGenerationDetails={"principalArn": temp}, cloudTrailDetails={
        "trails": [], "accessRole": f"arn:aws:iam::{ACCOUNT}:role/trail-reader", "startTime": T0})["jobId"]
    assert analyzer.get_generated_policy(jobId=job)["generatedPolicyResult"]["generatedPolicies"] == []
