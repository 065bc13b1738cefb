"""Change-review checks on before/after pairs: CheckNoNewAccess, CheckAccessNotGranted, CheckNoPublicAccess."""
import json

import pytest

from idp.analyzer.checks import check_access_not_granted, check_no_new_access, check_no_public_access
from idp.errors import MalformedPolicyDocument

ACCOUNT = "123456789012"
OTHER = "444455556666"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def shares(principal, action="notes:GetNote", resource="arn:aws:notes:::notebook/team/*", **extra):
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource, **extra}


MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}

# (id, policy type, existing, new, expected result, statement indexes in the reasons)
NO_NEW_ACCESS = [
    ("same", "IDENTITY_POLICY", doc(allow("iam:Get*")), doc(allow("iam:Get*")), "PASS", []),
    ("narrower-action", "IDENTITY_POLICY", doc(allow("iam:Get*")), doc(allow("iam:GetUser")), "PASS", []),
    ("wider-action", "IDENTITY_POLICY", doc(allow("iam:Get*")), doc(allow(["iam:Get*", "iam:List*"])), "FAIL", [0]),
    ("action-wildcard", "IDENTITY_POLICY", doc(allow("iam:GetUser")), doc(allow("iam:*")), "FAIL", [0]),
    ("new-statement", "IDENTITY_POLICY", doc(allow("iam:GetUser")),
     doc(allow("iam:GetUser"), allow("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/admin")), "FAIL", [1]),
    ("narrower-resource", "IDENTITY_POLICY", doc(allow("notes:*", "arn:aws:notes:::notebook/*")),
     doc(allow("notes:*", "arn:aws:notes:::notebook/team/*")), "PASS", []),
    ("wider-resource", "IDENTITY_POLICY", doc(allow("notes:GetNote", "arn:aws:notes:::notebook/team/*")),
     doc(allow("notes:GetNote", "arn:aws:notes:::notebook/t*")), "FAIL", [0]),
    ("condition-dropped", "IDENTITY_POLICY", doc(allow("iam:*", Condition=MFA)), doc(allow("iam:*")), "FAIL", [0]),
    ("condition-added", "IDENTITY_POLICY", doc(allow("iam:*")), doc(allow("iam:*", Condition=MFA)), "PASS", []),
    ("deny-removed", "IDENTITY_POLICY", doc(allow("iam:*"), deny("iam:DeleteUser")), doc(allow("iam:*")),
     "FAIL", [0]),
    ("deny-added", "IDENTITY_POLICY", doc(allow("iam:*")), doc(allow("iam:*"), deny("iam:Delete*")), "PASS", []),
    ("not-action", "IDENTITY_POLICY", doc(allow("iam:*")), doc({"Effect": "Allow", "NotAction": "iam:*",
                                                                 "Resource": "*"}), "FAIL", [0]),
    ("unknown-service", "IDENTITY_POLICY", doc(allow("s3:GetObject", "arn:aws:s3:::bucket/*")),
     doc(allow("s3:*", "arn:aws:s3:::bucket/*")), "FAIL", [0]),
    ("share-with-another-account", "RESOURCE_POLICY", doc(shares({"AWS": f"arn:aws:iam::{ACCOUNT}:user/bob"})),
     doc(shares({"AWS": [f"arn:aws:iam::{ACCOUNT}:user/bob", OTHER]})), "FAIL", [0]),
    ("share-with-everyone", "RESOURCE_POLICY", doc(shares({"AWS": ACCOUNT})), doc(shares("*")), "FAIL", [0]),
    ("unshare", "RESOURCE_POLICY", doc(shares({"AWS": [ACCOUNT, OTHER]})), doc(shares({"AWS": ACCOUNT})),
     "PASS", []),
    ("trust-policy-widened", "RESOURCE_POLICY",
     doc({"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}),
     doc({"Effect": "Allow", "Principal": {"AWS": [ACCOUNT, OTHER]}, "Action": "sts:AssumeRole"}), "FAIL", [0]),
]


@pytest.mark.parametrize(("policy_type", "existing", "new", "result", "indexes"),
                         [case[1:] for case in NO_NEW_ACCESS], ids=[case[0] for case in NO_NEW_ACCESS])
def test_check_no_new_access(policy_type, existing, new, result, indexes):
    answer = check_no_new_access(existing, new, policy_type)
    assert answer.result == result
    assert [reason.statement_index for reason in answer.reasons] == indexes


def test_a_failure_names_the_statement_and_a_request_that_shows_it():
    answer = check_no_new_access(doc(allow("iam:GetUser")),
                                 doc({"Sid": "Admin", **allow("iam:DeleteUser")}), "IDENTITY_POLICY")
    assert answer.as_json() == {
        "result": "FAIL",
        "message": "The modified permissions grant new access compared to your existing policy.",
        "reasons": [{"statementIndex": 0, "statementId": "Admin", "description":
                     "Statement Admin grants iam:DeleteUser to arn:aws:iam::111122223333:user/w1tness, "
                     "which the existing policy does not."}],
    }


NOT_GRANTED = [
    ("not-granted", doc(allow("iam:Get*")), ["iam:DeleteUser"], [], "PASS", []),
    ("granted", doc(allow("iam:Get*"), allow("iam:*User")), ["iam:DeleteUser"], [], "FAIL", [1]),
    ("granted-by-wildcard", doc(allow("*")), ["iam:PassRole"], [], "FAIL", [0]),
    ("denied", doc(allow("*"), deny("iam:PassRole")), ["iam:PassRole"], [], "PASS", []),
    ("other-resource", doc(allow("notes:*", "arn:aws:notes:::notebook/team/*")), ["notes:DeleteNote"],
     ["arn:aws:notes:::notebook/secret/note/plan"], "PASS", []),
    ("this-resource", doc(allow("notes:*", "arn:aws:notes:::notebook/*")), ["notes:DeleteNote"],
     ["arn:aws:notes:::notebook/secret/note/plan"], "FAIL", [0]),
    ("resource-only", doc(allow("notes:GetNote", "arn:aws:notes:::notebook/secret/*")), [],
     ["arn:aws:notes:::notebook/secret/note/plan"], "FAIL", [0]),
    ("action-pattern", doc(allow("iam:CreateUser")), ["iam:Create*"], [], "FAIL", [0]),
]


@pytest.mark.parametrize(("document", "actions", "resources", "result", "indexes"),
                         [case[1:] for case in NOT_GRANTED], ids=[case[0] for case in NOT_GRANTED])
def test_check_access_not_granted(document, actions, resources, result, indexes):
    answer = check_access_not_granted(document, actions, resources, "IDENTITY_POLICY")
    assert (answer.result, [r.statement_index for r in answer.reasons]) == (result, indexes)


PUBLIC = [
    ("star", "AWS::S3::Bucket", doc(shares("*")), "FAIL", [0]),
    ("aws-star", "AWS::S3::Bucket", doc(shares({"AWS": "*"})), "FAIL", [0]),
    ("named-account", "AWS::S3::Bucket", doc(shares({"AWS": ACCOUNT})), "PASS", []),
    ("star-limited-to-account", "AWS::S3::Bucket",
     doc(shares("*", Condition={"StringEquals": {"aws:PrincipalAccount": ACCOUNT}})), "PASS", []),
    ("star-limited-to-org", "AWS::S3::Bucket",
     doc(shares("*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}})), "PASS", []),
    ("star-with-transport-condition-is-still-public", "AWS::S3::Bucket",
     doc(shares("*", Condition={"Bool": {"aws:SecureTransport": "true"}})), "FAIL", [0]),
    ("denied-to-strangers", "AWS::S3::Bucket",
     doc(shares("*"), {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
                       "Condition": {"StringNotEquals": {"aws:PrincipalAccount": ACCOUNT}}}), "PASS", []),
    ("not-principal", "AWS::S3::Bucket",
     doc({"Effect": "Allow", "NotPrincipal": {"AWS": ACCOUNT}, "Action": "notes:GetNote",
          "Resource": "arn:aws:notes:::notebook/team/*"}), "FAIL", [0]),
    ("trust-star", "AWS::IAM::AssumeRolePolicyDocument",
     doc({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}), "FAIL", [0]),
    ("trust-named", "AWS::IAM::AssumeRolePolicyDocument",
     doc({"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}), "PASS", []),
]


@pytest.mark.parametrize(("resource_type", "document", "result", "indexes"),
                         [case[1:] for case in PUBLIC], ids=[case[0] for case in PUBLIC])
def test_check_no_public_access(resource_type, document, result, indexes):
    answer = check_no_public_access(document, resource_type)
    assert (answer.result, [r.statement_index for r in answer.reasons]) == (result, indexes)


def test_a_malformed_document_is_refused_with_the_engine_reason():
    with pytest.raises(MalformedPolicyDocument) as raised:
        check_no_new_access(doc(allow("iam:GetUser")), doc({"Effect": "Allow", "Resource": "*"}), "IDENTITY_POLICY")
    assert raised.value.message.startswith("The new policy document is invalid: Policy statement must contain "
                                           "actions.")
    assert "Statement[0]" in raised.value.message


def test_checks_over_boto3(analyzer):
    before, after = doc(allow("iam:Get*")), doc({"Sid": "More", **allow(["iam:Get*", "iam:DeleteUser"])})
    new = analyzer.check_no_new_access(existingPolicyDocument=before, newPolicyDocument=after,
                                       policyType="IDENTITY_POLICY")
    assert (new["result"], new["reasons"][0]["statementId"]) == ("FAIL", "More")
    same = analyzer.check_no_new_access(existingPolicyDocument=after, newPolicyDocument=before,
                                        policyType="IDENTITY_POLICY")
    assert same["result"] == "PASS"

    granted = analyzer.check_access_not_granted(policyDocument=after, access=[{"actions": ["iam:DeleteUser"]}],
                                                policyType="IDENTITY_POLICY")
    assert granted["result"] == "FAIL"

    public = analyzer.check_no_public_access(policyDocument=doc(shares("*")), resourceType="AWS::S3::Bucket")
    assert (public["result"], public["reasons"][0]["statementIndex"]) == ("FAIL", 0)


def test_a_malformed_document_over_boto3_is_an_invalid_parameter(analyzer):
    with pytest.raises(analyzer.exceptions.InvalidParameterException):
        analyzer.check_no_public_access(policyDocument="{", resourceType="AWS::S3::Bucket")


def test_a_policy_too_complex_to_check_is_refused_not_passed(analyzer):
    statements = [allow("*", f"arn:aws:notes:::notebook/n{i}/*",
                        Condition={"StringEquals": {"aws:PrincipalTag/team": f"t{i}"}}) for i in range(30)]
    with pytest.raises(analyzer.exceptions.UnprocessableEntityException) as raised:
        analyzer.check_no_new_access(existingPolicyDocument=doc(allow("iam:GetUser")),
                                     newPolicyDocument=doc(*statements), policyType="IDENTITY_POLICY")
    assert "too complex to check" in raised.value.response["Error"]["Message"]


DOCUMENTS = sorted({case[2] for case in NO_NEW_ACCESS} | {case[3] for case in NO_NEW_ACCESS})


@pytest.mark.parametrize("document", DOCUMENTS)
def test_properties_a_document_grants_nothing_new_over_itself_or_with_a_deny_added(document):
    policy_type = "RESOURCE_POLICY" if "Principal" in document else "IDENTITY_POLICY"
    assert check_no_new_access(document, document, policy_type).passed
    statements = json.loads(document)["Statement"]
    extra = {"Effect": "Deny", "Action": "iam:Delete*", "Resource": "*"}
    if policy_type == "RESOURCE_POLICY":
        extra = {**extra, "Principal": "*"}
        if "Resource" not in statements[0]:  # a trust policy: no Resource, and only sts:AssumeRole* actions
            extra.pop("Resource")
            extra["Action"] = "sts:AssumeRole"
    assert check_no_new_access(document, doc(*statements, extra), policy_type).passed
    # Reordering statements never changes what a document grants.
    assert check_no_new_access(document, doc(*reversed(statements)), policy_type).passed
