"""IAM's grammar both ways: what CreatePolicy stores, what it refuses and in which words, and reserved resources."""

from __future__ import annotations

import pytest

from idp.policy import MalformedPolicyDocument, PolicyKind, parse_policy
from tests.policy.builders import A, decide, request, root, statement, user

V = "2012-10-17"
M, T = PolicyKind.MANAGED, PolicyKind.TRUST
TRUSTED = {"AWS": A}


def doc(**statement_elements: object) -> dict:
    body = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", **statement_elements}
    return {"Version": V, "Statement": [{k: v for k, v in body.items() if v is not None}]}


def trust(**statement_elements: object) -> dict:
    return doc(**{"Principal": TRUSTED, "Action": "sts:AssumeRole", "Resource": None, **statement_elements})


ACCEPTED: list[tuple[str, dict, PolicyKind]] = [
    ("space after the colon", doc(Action="s3: GetObject"), M),
    ("empty action name", doc(Action="iam:"), M),
    ("comma in the action name", doc(Action="iam:Get,List"), M),
    ("dots in prefix and name", doc(Action="a.b:c.d"), M),
    ("any service", doc(Action="*:*"), M),
    ("short ARN", doc(Resource="arn:aws:xyz"), M),
    ("first segment unchecked", doc(Resource="urn:aws:s3:::b"), M),
    ("any partition", doc(Resource="arn:*:s3:::b"), M),
    ("null member of Resource", doc(Resource=["arn:aws:s3:::b", None]), M),
    ("empty Condition", doc(Condition={}), M),
    ("operator with no keys", doc(Condition={"StringEquals": {}}), M),
    ("unknown operator with no keys", doc(Condition={"StringEqualz": {}}), M),
    ("key without prefix", doc(Condition={"StringEquals": {"username": "a"}}), M),
    ("empty value list", doc(Condition={"StringEquals": {"aws:username": []}}), M),
    ("IAM user ARN", doc(Resource="arn:aws:iam::111111111111:user/a"), M),
    ("IAM account wildcard", doc(Resource="arn:aws:iam::111111111111:*"), M),
    ("S3 access point with region", doc(Resource="arn:aws:s3:us-east-1:111111111111:accesspoint/ap"), M),
    ("EC2 ARN with region", doc(Resource="arn:aws:ec2:us-east-1::x"), M),
    ("no Version outside CreatePolicy", {"Statement": doc()["Statement"]}, M),
    ("trust: web identity and tags", trust(Action=["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]), T),
    ("trust: SAML, source identity, context", trust(Action=["sts:AssumeRoleWithSAML", "sts:SetSourceIdentity", "sts:SetContext"]), T),
    ("trust: wildcard over AssumeRole*", trust(Action="sts:AssumeRole*"), T),
]


@pytest.mark.parametrize(("document", "kind"), [case[1:] for case in ACCEPTED], ids=[case[0] for case in ACCEPTED])
def test_iam_stores_it(document: dict, kind: PolicyKind) -> None:
    assert parse_policy(document, kind, "p").statements


REFUSED: list[tuple[str, dict, PolicyKind, str]] = [
    ("space in the vendor", doc(Action="a a:GetObject"), M, "Vendor a a is not valid"),
    ("comma in the vendor", doc(Action="s3,ec2:Get"), M, "Vendor s3,ec2 is not valid"),
    ("empty NotAction", doc(Action=None, NotAction=""), M, "Actions/Conditions must be prefaced by a vendor"),
    ("IAM ARN with region", doc(Resource="arn:aws:iam:us-east-1:111111111111:user/x"), M,
     "IAM resource arn:aws:iam:us-east-1:111111111111:user/x cannot contain region information."),
    ("IAM ARN without a type", doc(Resource="arn:aws:iam::111111111111:bob"), M,
     'IAM resource path must either be "*" or start with user/, federated-user/, role/,'),
    ("S3 bucket with region", doc(Resource="arn:aws:s3:us-east-1::b"), M,
     "Resource arn:aws:s3:us-east-1::b can not contain region information."),
    ("other partition", doc(Resource="arn:aws-cn:s3:::b"), M, 'Partition "aws-cn" is not valid for resource "arn:aws-cn:s3:::b".'),
    ("no service", doc(Resource="arn:aws"), M, "Resource vendor must be fully qualified and cannot contain regexes."),
    ("four segments with ::", doc(Resource="arn:aws:s3::b"), M, "The policy failed legacy parsing"),
    ("not an ARN", doc(Resource=""), M, 'Resource  must be in ARN format or "*".'),
    ("unknown operator with keys", doc(Condition={"StringEqualz": {"a": "b"}}), M, "Syntax errors in policy. (Statement[0].Condition.StringEqualz"),
    ("null condition value", doc(Condition={"StringEquals": {"a": None}}), M, "Syntax errors in policy."),
    ("trust: S3 action", trust(Action="s3:GetObject"), T, "AssumeRole policy may only specify STS AssumeRole actions. (Statement[0].Action"),
    ("trust: sts:*", trust(Action="sts:*"), T, "AssumeRole policy may only specify STS AssumeRole actions."),
    ("trust: *", trust(Action="*"), T, "AssumeRole policy may only specify STS AssumeRole actions."),
    ("trust: NotResource", trust(NotResource="*"), T, "Has prohibited field NotResource."),
    ("trust: no Principal", trust(Principal=None), T, "Missing required field Principal"),
]


@pytest.mark.parametrize(("document", "kind", "start"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_iam_refuses_it_in_its_words(document: dict, kind: PolicyKind, start: str) -> None:
    with pytest.raises(MalformedPolicyDocument) as raised:
        parse_policy(document, kind, "p")
    assert raised.value.message.startswith(start)


@pytest.mark.parametrize("version", [None, "2008-10-17"])
def test_a_new_managed_policy_needs_version_2012(version: str | None) -> None:
    document = {"Statement": doc()["Statement"], **({"Version": version} if version else {})}
    with pytest.raises(MalformedPolicyDocument) as raised:
        parse_policy(document, M, "p", entering=True)
    assert raised.value.message == (
        "Policy document must be version 2012-10-17 or greater. (Version: a managed policy needs Version 2012-10-17)"
    )
    assert parse_policy(document, PolicyKind.USER_INLINE, "p", entering=True).version == "2008-10-17"


@pytest.mark.parametrize(
    ("statements", "start"),
    [
        # A syntax error anywhere outranks an earlier statement's lesser fault.
        ([{"Effect": "allow", "Action": "s3:x", "Resource": "*"}, {"Effect": "Allow", "Action": 5}], "Syntax errors in policy."),
        # Legacy parsing outranks duplicate Sids, which outrank missing actions.
        ([{"Sid": "a", "Effect": "Allow"}, {"Sid": "a", "Effect": "aLLow", "Action": "s3:x", "Resource": "*"}],
         "The policy failed legacy parsing"),
        ([{"Sid": "a", "Effect": "Allow"}, {"Sid": "a", "Effect": "Allow", "Action": "s3:x", "Resource": "*"}],
         "Statement IDs (SID) in a single policy must be unique."),
        ([{"Effect": "Allow", "Action": "bad", "Resource": "x"}], 'Resource x must be in ARN format or "*".'),
    ],
)
def test_the_first_stage_iam_checks_is_the_one_reported(statements: list, start: str) -> None:
    with pytest.raises(MalformedPolicyDocument) as raised:
        parse_policy({"Version": V, "Statement": statements}, M, "p", entering=True)
    assert raised.value.message.startswith(start)


@pytest.mark.parametrize(
    ("element", "patterns", "action", "allowed"),
    [
        ("Action", ["s3: GetObject"], "s3:GetObject", False),
        ("Action", ["s3: GetObject"], "s3: GetObject", False),
        ("Action", ["iam:", "iam:Get,List"], "iam:GetUser", False),
        ("NotAction", ["s3: GetObject"], "s3:GetObject", True),
        ("NotAction", ["iam:Get,List", "s3:Put*"], "s3:PutObject", False),
    ],
)
def test_an_action_iam_stores_but_cannot_match_matches_no_request(element, patterns, action, allowed) -> None:
    rule = statement(action=patterns, not_action=element == "NotAction")
    assert decide([rule], request(user(), action)).allowed is allowed


def test_unmatchable_actions_are_exposed_for_the_analyzer() -> None:
    parsed = parse_policy(doc(Action=["s3:GetObject", "s3: Put", "iam:"]), M, "p")
    assert parsed.statements[0].actions.unmatchable == ("s3: Put", "iam:")


ROLE = f"arn:aws:iam::{A}:role"
MANAGED = "arn:aws:iam::aws:policy/AdministratorAccess"
PROTECTED = [
    ("iam:DeletePolicy", MANAGED, "AWS managed policies cannot be changed"),
    ("iam:CreatePolicyVersion", MANAGED, "AWS managed policies cannot be changed"),
    ("iam:TagPolicy", "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess", "AWS managed policies cannot be changed"),
    ("iam:DeleteRole", f"{ROLE}/aws-service-role/ec2.amazonaws.com/AWSServiceRoleForEC2", "service-linked roles"),
    ("iam:AttachRolePolicy", f"{ROLE}/aws-service-role/x.amazonaws.com/R", "service-linked roles"),
    ("iam:UpdateAssumeRolePolicy", f"{ROLE}/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin", "/aws-reserved/"),
    ("iam:UpdateRoleDescription", f"{ROLE}/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin", "/aws-reserved/"),
]
NOT_PROTECTED = [
    ("iam:GetPolicy", MANAGED),
    ("iam:AttachUserPolicy", MANAGED),
    ("iam:DeletePolicy", f"arn:aws:iam::{A}:policy/Mine"),
    ("iam:UpdateRoleDescription", f"{ROLE}/aws-service-role/x.amazonaws.com/R"),
    ("iam:PassRole", f"{ROLE}/aws-service-role/x.amazonaws.com/R"),
    ("iam:DeleteRole", f"{ROLE}/app/aws-reserved/R"),
]


@pytest.mark.parametrize("caller", [user(), root()], ids=["admin user", "root"])
@pytest.mark.parametrize(("action", "resource", "why"), PROTECTED)
def test_aws_resources_are_read_only_whatever_policies_allow(caller, action: str, resource: str, why: str) -> None:
    decision = decide([statement()], request(caller, action, resource))
    assert decision.effect.value == "ImplicitDeny"
    assert decision.reason.startswith(f"User: {caller.arn} is not authorized to perform: {action} on resource: {resource} because ")
    assert why in decision.reason


@pytest.mark.parametrize(("action", "resource"), NOT_PROTECTED)
def test_other_actions_and_resources_stay_with_the_policies(action: str, resource: str) -> None:
    assert decide([statement()], request(user(), action, resource)).allowed


def test_an_explicit_deny_is_still_reported_as_one() -> None:
    rules = [statement(), statement("Deny", action="iam:DeletePolicy")]
    assert decide(rules, request(user(), "iam:DeletePolicy", MANAGED)).effect.value == "ExplicitDeny"
