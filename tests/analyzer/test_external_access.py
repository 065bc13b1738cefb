"""External-access findings through boto3: cross-account, federated and public principals; status as policies change."""
import json
from urllib.parse import quote

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

OTHER = "444455556666"


def trust(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def assume(principal, **extra):
    return {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra}


@pytest.fixture
def account(root):
    return root.account_id


@pytest.fixture
def roles(iam, account):
    """A fixture account whose roles have a known answer."""
    github = iam.create_open_id_connect_provider(
        Url="https://token.actions.githubusercontent.com", ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=["a" * 40])["OpenIDConnectProviderArn"]
    iam.create_role(RoleName="cross", AssumeRolePolicyDocument=trust(assume({"AWS": OTHER}, Sid="Partner")))
    iam.create_role(RoleName="public", AssumeRolePolicyDocument=trust(assume("*")))
    iam.create_role(RoleName="deploy", AssumeRolePolicyDocument=trust({
        "Effect": "Allow", "Principal": {"Federated": github}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                      "StringLike": {"token.actions.githubusercontent.com:sub": "repo:corp/app:*"}}}))
    iam.create_role(RoleName="internal", AssumeRolePolicyDocument=trust(assume({"AWS": account})))
    iam.create_role(RoleName="pinned", AssumeRolePolicyDocument=trust(
        assume("*", Condition={"StringEquals": {"aws:PrincipalAccount": account}})))
    return github


def by_resource(findings):
    return {f["resource"].rsplit("/", 1)[-1]: f for f in findings}


def test_findings_name_who_outside_the_account_gets_in(analyzer, roles, account):
    arn = analyzer.create_analyzer(analyzerName="account", type="ACCOUNT")["arn"]
    assert arn.endswith(f":{account}:analyzer/account")

    findings = by_resource(analyzer.list_findings(analyzerArn=arn)["findings"])

    assert set(findings) == {"cross", "public", "deploy"}
    cross, public, deploy = findings["cross"], findings["public"], findings["deploy"]
    assert (cross["principal"], cross["isPublic"], cross["action"]) == ({"AWS": OTHER}, False, ["sts:AssumeRole"])
    assert cross["resourceType"] == "AWS::IAM::Role" and cross["resourceOwnerAccount"] == account
    assert (public["principal"], public["isPublic"], public["condition"]) == ({"AWS": "*"}, True, {})
    assert deploy["principal"] == {"Federated": roles}
    assert deploy["condition"] == {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                                   "token.actions.githubusercontent.com:sub": "repo:corp/app:*"}
    assert {f["status"] for f in findings.values()} == {"ACTIVE"}


def test_get_finding_and_the_statement_that_grants_it(analyzer, roles, live_server, root):
    arn = analyzer.create_analyzer(analyzerName="account", type="ACCOUNT")["arn"]
    cross = by_resource(analyzer.list_findings(analyzerArn=arn)["findings"])["cross"]

    finding = analyzer.get_finding(analyzerArn=arn, id=cross["id"])["finding"]
    assert finding["principal"] == {"AWS": OTHER}
    assert finding["sources"] == [{"type": "POLICY"}]
    # boto3 keeps only the modelled members; the raw answer also names the statement.
    raw = _signed(live_server, root, "GET", f"/finding/{cross['id']}?analyzerArn={quote(arn, safe='')}").json()["finding"]
    assert (raw["statementIndex"], raw["statementId"]) == (0, "Partner")

    with pytest.raises(analyzer.exceptions.ResourceNotFoundException):
        analyzer.get_finding(analyzerArn=arn, id="00000000-0000-0000-0000-000000000000")


def test_status_follows_the_trust_policies(analyzer, iam, roles, account):
    arn = analyzer.create_analyzer(analyzerName="account", type="ACCOUNT")["arn"]
    first = by_resource(analyzer.list_findings(analyzerArn=arn)["findings"])

    iam.update_assume_role_policy(RoleName="cross", PolicyDocument=trust(assume({"AWS": account})))
    analyzer.update_findings(analyzerArn=arn, status="ARCHIVED", ids=[first["public"]["id"]])
    second = by_resource(analyzer.list_findings(analyzerArn=arn)["findings"])
    assert {name: f["status"] for name, f in second.items()} == {
        "cross": "RESOLVED", "public": "ARCHIVED", "deploy": "ACTIVE"}

    iam.update_assume_role_policy(RoleName="cross", PolicyDocument=trust(assume({"AWS": OTHER})))
    third = by_resource(analyzer.list_findings(analyzerArn=arn)["findings"])
    assert third["cross"]["status"] == "ACTIVE"
    assert third["cross"]["id"] == first["cross"]["id"]
    assert third["public"]["status"] == "ARCHIVED"

    active = analyzer.list_findings(analyzerArn=arn, filter={"status": {"eq": ["ACTIVE"]}})["findings"]
    assert sorted(f["resource"].rsplit("/", 1)[-1] for f in active) == ["cross", "deploy"]
    public = analyzer.list_findings(analyzerArn=arn, filter={"isPublic": {"eq": ["true"]}})["findings"]
    assert [f["resource"].rsplit("/", 1)[-1] for f in public] == ["public"]


def test_findings_v2_have_external_access_details(analyzer, roles):
    arn = analyzer.create_analyzer(analyzerName="account", type="ACCOUNT")["arn"]
    summaries = analyzer.list_findings_v2(analyzerArn=arn)["findings"]
    assert {s["findingType"] for s in summaries} == {"ExternalAccess"}
    cross = next(s for s in summaries if s["resource"].endswith("/cross"))
    details = analyzer.get_finding_v2(analyzerArn=arn, id=cross["id"])["findingDetails"]
    assert details == [{"externalAccessDetails": {"action": ["sts:AssumeRole"], "condition": {}, "isPublic": False,
                                                  "principal": {"AWS": OTHER}, "sources": [{"type": "POLICY"}]}}]


def test_analyzers_are_listed_got_and_deleted(analyzer):
    analyzer.create_analyzer(analyzerName="account", type="ACCOUNT", tags={"team": "sec"})
    with pytest.raises(analyzer.exceptions.ConflictException):
        analyzer.create_analyzer(analyzerName="account", type="ACCOUNT")
    got = analyzer.get_analyzer(analyzerName="account")["analyzer"]
    assert (got["name"], got["type"], got["status"], got["tags"]) == ("account", "ACCOUNT", "ACTIVE", {"team": "sec"})
    assert [a["name"] for a in analyzer.list_analyzers()["analyzers"]] == ["account"]
    analyzer.delete_analyzer(analyzerName="account")
    assert analyzer.list_analyzers()["analyzers"] == []
    with pytest.raises(analyzer.exceptions.ResourceNotFoundException):
        analyzer.get_analyzer(analyzerName="account")
    with pytest.raises(analyzer.exceptions.ValidationException):
        analyzer.create_analyzer(analyzerName="graph", type="ACCOUNT")  # the page's path
    with pytest.raises(analyzer.exceptions.ValidationException):
        analyzer.create_analyzer(analyzerName="org", type="ORGANIZATION")
    assert analyzer.list_analyzers()["analyzers"] == []


def _signed(live_server, root, method, path, body=None, *, key=None):
    data = json.dumps(body) if body is not None else None
    request = AWSRequest(method=method, url=live_server.url + path, data=data,
                         headers={"Content-Type": "application/json"} if data else {})
    credentials = Credentials(*(key or (root.access_key_id, root.secret_access_key)))
    SigV4Auth(credentials, "access-analyzer", "us-east-1").add_auth(request)
    return requests.request(method, request.url, data=data, headers=dict(request.headers), timeout=10)


def test_a_resource_server_registers_notebook_policies(analyzer, live_server, root, account):
    arn = analyzer.create_analyzer(analyzerName="account", type="ACCOUNT")["arn"]
    shared = {"Version": "2012-10-17", "Statement": [{
        "Sid": "PartnerReads", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:user/carol"},
        "Action": ["notes:GetNote", "notes:ListNotes"], "Resource": "arn:aws:notes:::notebook/team*",
        "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]}
    answer = _signed(live_server, root, "PUT", "/resource-policy", {
        "resourceArn": "arn:aws:notes:::notebook/team", "resourceType": "Notes::Notebook",
        "policyDocument": json.dumps(shared)})
    assert answer.status_code == 200

    [finding] = analyzer.list_findings(analyzerArn=arn)["findings"]
    assert finding["resource"] == "arn:aws:notes:::notebook/team"
    assert finding["principal"] == {"AWS": f"arn:aws:iam::{OTHER}:user/carol"}
    assert finding["condition"] == {"aws:SourceIp": "203.0.113.0/24"}

    assert _signed(live_server, root, "PUT", "/resource-policy",
                   {"resourceArn": "arn:aws:notes:::notebook/team"}).status_code == 200
    [gone] = analyzer.list_findings(analyzerArn=arn)["findings"]
    assert gone["status"] == "RESOLVED"


def test_registering_needs_permission_and_a_valid_policy(iam, analyzer, live_server, root):
    arn = analyzer.create_analyzer(analyzerName="account", type="ACCOUNT")["arn"]
    public = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                         "Action": "notes:GetNote", "Resource": "arn:aws:notes:::notebook/team/*"}]})
    iam.create_user(UserName="server")
    created = iam.create_access_key(UserName="server")["AccessKey"]
    denied = _signed(live_server, root, "PUT", "/resource-policy", {
        "resourceArn": "arn:aws:notes:::notebook/team", "policyDocument": public},
        key=(created["AccessKeyId"], created["SecretAccessKey"]))
    assert (denied.status_code, denied.headers["x-amzn-ErrorType"]) == (403, "AccessDeniedException")
    assert "access-analyzer:RegisterResourcePolicy" in denied.json()["message"]

    malformed = _signed(live_server, root, "PUT", "/resource-policy", {
        "resourceArn": "arn:aws:notes:::notebook/team", "policyDocument": "{\"Statement\": []}"})
    assert (malformed.status_code, malformed.headers["x-amzn-ErrorType"]) == (400, "InvalidParameterException")
    # Nothing was registered by either request.
    assert analyzer.list_findings(analyzerArn=arn)["findings"] == []
