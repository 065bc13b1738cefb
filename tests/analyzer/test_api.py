"""Access Analyzer's rest-json API through boto3 against the live app: authentication, authorization, shapes."""
import json

import pytest
from botocore.exceptions import ClientError

from tests.support.aws_clients import client_for

MISSPELLED = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:GetUsr", "Resource": "*"}]}, indent=2)


def test_validate_policy_with_boto3_returns_located_findings(analyzer):
    findings = analyzer.validate_policy(policyDocument=MISSPELLED, policyType="IDENTITY_POLICY")["findings"]

    assert len(findings) == 1
    finding = findings[0]
    assert finding["findingType"] == "ERROR"
    assert finding["issueCode"] == "INVALID_ACTION"
    assert "Did you mean iam:GetUser?" in finding["findingDetails"]
    assert finding["learnMoreLink"].startswith("https://docs.aws.amazon.com/IAM/")
    location = finding["locations"][0]
    assert location["path"] == [{"value": "Statement"}, {"index": 0}, {"value": "Action"}]
    start, end = location["span"]["start"], location["span"]["end"]
    assert MISSPELLED[start["offset"]:end["offset"]] == '"iam:GetUsr"'
    assert MISSPELLED.splitlines()[start["line"] - 1][start["column"]:].startswith('"iam:GetUsr"')


def test_validate_policy_speaks_aws_codes_types_and_words(analyzer):
    document = json.dumps({"Statement": [
        {"Effect": "Allow", "Action": ["iam:PassRole", "s3: GetObject", "i*:GetUser"], "Resource": ["*", None],
         "Condition": {"ForAllValues:StringEquals": {"aws:username": "alice"}}}]}, indent=2)
    findings = analyzer.validate_policy(policyDocument=document, policyType="IDENTITY_POLICY")["findings"]

    reference = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html"
    assert [(f["findingType"], f["issueCode"], f["findingDetails"], f["learnMoreLink"]) for f in findings] == [
        ("ERROR", "INVALID_ACTION", "The action s3: GetObject does not exist.",
         f"{reference}#access-analyzer-reference-policy-checks-error-invalid-action"),
        ("ERROR", "DATA_TYPE_MISMATCH", "The text does not match the expected JSON data type String.",
         f"{reference}#access-analyzer-reference-policy-checks-error-data-type-mismatch"),
        ("SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_RESOURCE", "Using the iam:PassRole action with wildcards (*) in "
         "the resource can be overly permissive because it allows iam:PassRole permissions on multiple resources. We "
         "recommend that you specify resource ARNs or add the iam:PassedToService condition key to your statement.",
         f"{reference}#access-analyzer-reference-policy-checks-security-warning-pass-role-with-star-in-resource"),
        ("SECURITY_WARNING", "FORALLVALUES_WITH_SINGLE_VALUED_KEY", "Using ForAllValues qualifier with the "
         "single-valued condition key aws:username can be overly permissive. We recommend that you remove "
         "ForAllValues:.", f"{reference}#access-analyzer-reference-policy-checks-security-warning-forallvalues-with-"
                           "single-valued-key"),
        ("WARNING", "MISSING_VERSION", "We recommend that you specify the Version element to help you with debugging "
         "permission issues.", f"{reference}#access-analyzer-reference-policy-checks-general-warning-missing-version"),
        ("SUGGESTION", "WILDCARD_IN_SERVICE_NAME", "Avoid using wildcards (*, ?) in the service name because it might "
         "grant unintended access to other AWS services with similar names.",
         f"{reference}#access-analyzer-reference-policy-checks-suggestion-wildcard-in-service-name"),
    ]


def test_validate_policy_honours_the_trust_policy_resource_type(analyzer):
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]})

    as_trust = analyzer.validate_policy(policyDocument=trust, policyType="RESOURCE_POLICY",
                                        validatePolicyResourceType="AWS::IAM::AssumeRolePolicyDocument")
    as_bucket = analyzer.validate_policy(policyDocument=trust, policyType="RESOURCE_POLICY")

    assert [f["issueCode"] for f in as_trust["findings"]] == ["TRUST_POLICY_PRINCIPAL_STAR_WITHOUT_CONDITION"]
    # A bucket policy must name its resources, a trust policy must not.
    assert [f["issueCode"] for f in as_bucket["findings"]] == ["MISSING_RESOURCE"]


def test_a_clean_policy_has_no_findings(analyzer):
    clean = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "arn:aws:iam::123456789012:user/alice"}]})
    assert analyzer.validate_policy(policyDocument=clean, policyType="IDENTITY_POLICY")["findings"] == []


def test_bad_parameters_are_a_validation_exception(analyzer):
    with pytest.raises(ClientError) as raised:
        analyzer.validate_policy(policyDocument=MISSPELLED, policyType="IDENTITY_POLICY",
                                 validatePolicyResourceType="AWS::DynamoDB::Table")
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_user_without_permission_is_denied_with_aws_reason(analyzer_as):
    nobody = analyzer_as("nobody")
    with pytest.raises(ClientError) as raised:
        nobody.validate_policy(policyDocument=MISSPELLED, policyType="IDENTITY_POLICY")
    error = raised.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert "is not authorized to perform: access-analyzer:ValidatePolicy" in error["Message"]


def test_a_user_allowed_validate_policy_may_call_it_and_nothing_else(analyzer_as):
    allowed = analyzer_as("linter", json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "access-analyzer:ValidatePolicy", "Resource": "*"}]}))
    assert allowed.validate_policy(policyDocument=MISSPELLED, policyType="IDENTITY_POLICY")["findings"]
    with pytest.raises(ClientError) as raised:
        allowed.check_no_public_access(policyDocument=MISSPELLED, resourceType="AWS::S3::Bucket")
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"


def test_decisions_are_audited(analyzer_as, app):
    from models import db
    from models.audit import AuditEvent

    nobody = analyzer_as("auditee")
    with pytest.raises(ClientError):
        nobody.validate_policy(policyDocument=MISSPELLED, policyType="IDENTITY_POLICY")
    with app.app_context():
        rows = db.session.query(AuditEvent).filter_by(action="access-analyzer:ValidatePolicy").all()
        assert [(row.decision, row.actor.rsplit("/", 1)[-1]) for row in rows] == [("ImplicitDeny", "auditee")]


def test_unsigned_and_wrongly_signed_requests_are_refused(live_server, root):
    import requests

    unsigned = requests.post(f"{live_server.url}/policy/validation", json={
        "policyDocument": MISSPELLED, "policyType": "IDENTITY_POLICY"}, timeout=10)
    assert unsigned.status_code in (400, 403)
    assert "x-amzn-ErrorType" in unsigned.headers

    wrong = client_for(live_server, "accessanalyzer", root.access_key_id, "x" * 40)
    with pytest.raises(ClientError) as raised:
        wrong.validate_policy(policyDocument=MISSPELLED, policyType="IDENTITY_POLICY")
    assert raised.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_signing_for_another_service_is_refused(live_server, root):
    """A signature scoped to iam does not authenticate at Access Analyzer."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    import requests

    body = json.dumps({"policyDocument": MISSPELLED, "policyType": "IDENTITY_POLICY"})
    signed = AWSRequest(method="POST", url=f"{live_server.url}/policy/validation", data=body,
                        headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(root.access_key_id, root.secret_access_key), "iam", "us-east-1").add_auth(signed)
    answer = requests.post(signed.url, data=body, headers=dict(signed.headers), timeout=10)
    assert answer.status_code == 403
    assert answer.headers["x-amzn-ErrorType"] == "SignatureDoesNotMatch"


def test_validate_policy_pages_with_the_boto3_paginator(analyzer):
    document = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:GetUsr", "iam:ListUsr", "iam:PutUsr"], "Resource": "*"}]})
    first = analyzer.validate_policy(policyDocument=document, policyType="IDENTITY_POLICY", maxResults=2)
    assert len(first["findings"]) == 2 and first["nextToken"]
    pages = analyzer.get_paginator("validate_policy").paginate(
        policyDocument=document, policyType="IDENTITY_POLICY", PaginationConfig={"PageSize": 1})
    codes = [f["issueCode"] for page in pages for f in page["findings"]]
    assert codes == ["INVALID_ACTION"] * 3
