"""Parsing: valid documents become typed objects; malformed ones are refused with a reason."""

from __future__ import annotations

import json

import pytest

from idp.policy import MalformedPolicyDocument, PolicyKind, parse_policy
from idp.policy.document import Effect

V = "2012-10-17"
ALLOW = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
TRUST = {"Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": "sts:AssumeRole"}


def doc(*statements: dict, **top: object) -> dict:
    return {"Version": V, "Statement": list(statements), **top}


def with_(base: dict, **changes: object) -> dict:
    merged = {**base, **changes}
    return {key: value for key, value in merged.items() if value is not None}


def cond(block: object) -> dict:
    return doc(with_(ALLOW, Condition=block))


M = PolicyKind.MANAGED
MALFORMED: list[tuple[str, object, PolicyKind, str]] = [
    ("invalid json", '{"Version": "2012-10-17", "Statement": [', M, "invalid JSON"),
    ("trailing comma", '{"Statement": [], }', M, "invalid JSON"),
    ("not an object", "[1, 2]", M, "must be a JSON object"),
    ("a bare string", '"hello"', M, "must be a JSON object"),
    ("duplicate key", '{"Version": "2012-10-17", "Version": "2012-10-17", "Statement": []}', M, "duplicate key 'Version'"),
    ("unknown top element", doc(ALLOW, Foo=1), M, "Syntax errors in policy. (Foo: unknown element 'Foo'"),
    ("bad version", doc(ALLOW, Version="2020-01-01"), M, "Syntax errors in policy. (Version: '2020-01-01'"),
    ("version not a string", doc(ALLOW, Version=2012), M, 'Syntax errors in policy. (Version: 2012'),
    ("id not a string", doc(ALLOW, Id=5), M, "Id must be a string"),
    ("no Statement", {"Version": V}, M, 'Syntax errors in policy. (Statement:'),
    ("empty Statement", {"Version": V, "Statement": []}, M, 'Syntax errors in policy. (Statement:'),
    ("statement not an object", {"Version": V, "Statement": ["x"]}, M, 'Syntax errors in policy. (Statement[0]: a statement must be an object'),
    ("unknown statement element", doc(with_(ALLOW, Actions="s3:*")), M, "Syntax errors in policy. (Statement[0].Actions: unknown element 'Actions'"),
    ("lowercase element", doc(with_(ALLOW, effect="Allow")), M, 'Syntax errors in policy. (Statement[0].effect'),
    ("no Effect", doc(with_(ALLOW, Effect=None)), M, 'Syntax errors in policy. (Statement[0].Effect: Effect must be Allow or Deny, got None'),
    ("bad Effect", doc(with_(ALLOW, Effect="Permit")), M, "Syntax errors in policy. (Statement[0].Effect: Effect must be Allow or Deny, got 'Permit'"),
    ("lowercase Effect", doc(with_(ALLOW, Effect="allow")), M, 'The policy failed legacy parsing (Statement[0].Effect'),
    ("Sid not a string", doc(with_(ALLOW, Sid=3)), M, "Sid must be a string"),
    ("duplicate Sid", doc(with_(ALLOW, Sid="A"), with_(ALLOW, Sid="A")), M, "duplicate Sid 'A'"),
    ("Action and NotAction", doc(with_(ALLOW, NotAction="s3:Put*")), M, "both Action and NotAction"),
    ("neither Action nor NotAction", doc(with_(ALLOW, Action=None)), M, "must contain actions"),
    ("empty Action list", doc(with_(ALLOW, Action=[])), M, 'Policy statement must contain actions. (Statement[0]'),
    ("Action a number", doc(with_(ALLOW, Action=5)), M, "string or a list of strings"),
    ("Action list with number", doc(with_(ALLOW, Action=["s3:Get*", 1])), M, "string or a list of strings"),
    ("Action without service", doc(with_(ALLOW, Action="GetObject")), M, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc. (Statement[0].Action: 'GetObject'"),
    ("Action with two colons", doc(with_(ALLOW, Action="s3:a:b")), M, 'Actions/Condition can contain only one colon. (Statement[0].Action'),
    ("Resource and NotResource", doc(with_(ALLOW, NotResource="*")), M, "both Resource and NotResource"),
    ("no Resource", doc(with_(ALLOW, Resource=None)), M, "must contain resources"),
    ("Resource not an ARN", doc(with_(ALLOW, Resource="bucket/key")), M, "must be in ARN format"),
    ("Resource empty partition", doc(with_(ALLOW, Resource="arn::s3:::b")), M, 'Partition "" is not valid for resource "arn::s3:::b".'),
    ("Resource empty service", doc(with_(ALLOW, Resource="arn:aws::::b")), M, 'The policy failed legacy parsing (Statement[0].Resource'),
    ("Resource empty list", doc(with_(ALLOW, Resource=[])), M, 'Policy statement must contain resources. (Statement[0]'),
    ("Resource an object", doc(with_(ALLOW, Resource={"arn": "x"})), M, "string or a list of strings"),
    ("Principal in identity policy", doc(with_(ALLOW, Principal="*")), M, 'Policy document should not specify a principal. (Statement[0].Principal'),
    ("NotPrincipal in inline policy", doc(with_(ALLOW, NotPrincipal="*")), PolicyKind.USER_INLINE, "should not specify a principal"),
    ("Principal in boundary", doc(with_(ALLOW, Principal="*")), PolicyKind.BOUNDARY, "should not specify a principal"),
    ("Principal in session policy", doc(with_(ALLOW, Principal="*")), PolicyKind.SESSION, "should not specify a principal"),
    ("no Principal in trust", doc(with_(TRUST, Principal=None)), PolicyKind.TRUST, 'Missing required field Principal (Statement[0]'),
    ("no Principal in resource policy", doc(ALLOW), PolicyKind.RESOURCE, "Missing required field Principal"),
    ("Resource in trust", doc(with_(TRUST, Resource="*")), PolicyKind.TRUST, 'Has prohibited field Resource. (Statement[0].Resource'),
    ("Principal and NotPrincipal", doc(with_(TRUST, NotPrincipal="*")), PolicyKind.TRUST, "both Principal and NotPrincipal"),
    ("Principal a list", doc(with_(TRUST, Principal=["*"])), PolicyKind.TRUST, "Invalid principal"),
    ("Principal empty object", doc(with_(TRUST, Principal={})), PolicyKind.TRUST, "Invalid principal"),
    ("unknown principal type", doc(with_(TRUST, Principal={"User": "x"})), PolicyKind.TRUST, "unknown principal type 'User'"),
    ("bad AWS principal", doc(with_(TRUST, Principal={"AWS": "alice"})), PolicyKind.TRUST, "Invalid principal in policy: 'alice'"),
    ("wildcard in principal ARN", doc(with_(TRUST, Principal={"AWS": "arn:aws:iam::111111111111:user/*"})), PolicyKind.TRUST, "wildcard"),
    ("short account id", doc(with_(TRUST, Principal={"AWS": "12345"})), PolicyKind.TRUST, "Invalid principal"),
    ("principal list of numbers", doc(with_(TRUST, Principal={"AWS": [1]})), PolicyKind.TRUST, "list of strings"),
    ("empty Service", doc(with_(TRUST, Principal={"Service": ""})), PolicyKind.TRUST, "Invalid principal"),
    ("wildcard Federated", doc(with_(TRUST, Principal={"Federated": "*"})), PolicyKind.TRUST, "Invalid principal"),
    ("Condition a list", cond([]), M, "Condition must be an object"),
    ("unknown operator", cond({"StringEqualz": {"aws:username": "a"}}), M, 'Syntax errors in policy. (Statement[0].Condition.StringEqualz: unknown condition operator'),
    ("operator wrong case", cond({"stringequals": {"aws:username": "a"}}), M, 'Syntax errors in policy. (Statement[0].Condition.stringequals'),
    ("unknown set operator", cond({"ForSomeValues:StringEquals": {"aws:TagKeys": "a"}}), M, 'Syntax errors in policy. (Statement[0].Condition.ForSomeValues:StringEquals: unknown condition set operator'),
    ("IfExists on Null", cond({"NullIfExists": {"aws:username": "true"}}), M, "Null takes no qualifier"),
    ("set operator on Null", cond({"ForAnyValue:Null": {"aws:TagKeys": "true"}}), M, "Null takes no qualifier"),
    ("bare IfExists", cond({"IfExists": {"aws:username": "a"}}), M, 'Syntax errors in policy. (Statement[0].Condition.IfExists'),
    ("operator maps to a string", cond({"StringEquals": "aws:username"}), M, "must map context keys to values"),
    ("value an object", cond({"StringEquals": {"aws:username": {"a": 1}}}), M, "got dict"),
    ("value null", cond({"StringEquals": {"aws:username": None}}), M, "got NoneType"),
    ("value nested list", cond({"StringEquals": {"aws:username": [["a"]]}}), M, "got list"),
    ("numeric not a number", cond({"NumericLessThan": {"s3:max-keys": "ten"}}), M, 'The policy failed legacy parsing (Statement[0].Condition.NumericLessThan.s3:max-keys'),
    ("numeric infinity", cond({"NumericEquals": {"s3:max-keys": "inf"}}), M, 'The policy failed legacy parsing (Statement[0].Condition.NumericEquals'),
    ("date not a date", cond({"DateGreaterThan": {"aws:CurrentTime": "yesterday"}}), M, 'The policy failed legacy parsing (Statement[0].Condition.DateGreaterThan'),
    ("bool not a bool", cond({"Bool": {"aws:SecureTransport": "yes"}}), M, "not a boolean"),
    ("binary not base64", cond({"BinaryEquals": {"s3:x": "***"}}), M, "not base64"),
    ("ip not a cidr", cond({"IpAddress": {"aws:SourceIp": "10.0.0.300/8"}}), M, 'The policy failed legacy parsing (Statement[0].Condition.IpAddress'),
    ("ipv6 garbage", cond({"NotIpAddress": {"aws:SourceIp": "2001:db8::zz/32"}}), M, 'The policy failed legacy parsing (Statement[0].Condition.NotIpAddress'),
    ("arn not an arn", cond({"ArnLike": {"aws:SourceArn": "bucket"}}), M, "not an ARN"),
    ("null not a bool", cond({"Null": {"aws:TokenIssueTime": "maybe"}}), M, "Null takes true or false"),
    ("too deep", doc(with_(ALLOW, Condition={"StringEquals": {"a:b": [[[[["x"]]]]]}})), M, "nesting exceeds"),
    ("managed too large", doc(with_(ALLOW, Resource=["arn:aws:s3:::" + "b" * 100] * 70)), M, "PolicySize: 6144"),
    ("user inline too large", doc(with_(ALLOW, Resource=["arn:aws:s3:::" + "b" * 100] * 20)), PolicyKind.USER_INLINE, "PolicySize: 2048"),
    ("group inline too large", doc(with_(ALLOW, Resource=["arn:aws:s3:::" + "b" * 100] * 50)), PolicyKind.GROUP_INLINE, "PolicySize: 5120"),
    ("role inline too large", doc(with_(ALLOW, Resource=["arn:aws:s3:::" + "b" * 100] * 100)), PolicyKind.ROLE_INLINE, "PolicySize: 10240"),
    ("trust too large", doc(with_(TRUST, Principal={"AWS": ["111111111111"] * 170})), PolicyKind.TRUST, "PolicySize: 2048"),
    ("not a document at all", 42, M, "must be a JSON object"),
]


@pytest.mark.parametrize(("document", "kind", "fragment"), [case[1:] for case in MALFORMED], ids=[case[0] for case in MALFORMED])
def test_malformed_document_is_refused_with_its_reason(document: object, kind: PolicyKind, fragment: str) -> None:
    with pytest.raises(MalformedPolicyDocument) as raised:
        parse_policy(document, kind, "p")  # type: ignore[arg-type]
    assert fragment in raised.value.message


def test_there_are_at_least_sixty_distinct_malformed_cases() -> None:
    assert len({json.dumps(case[1], sort_keys=True) for case in MALFORMED}) >= 60


def test_message_names_the_json_path() -> None:
    document = doc(ALLOW, with_(ALLOW, Condition={"Bool": {"aws:SecureTransport": "yes"}}))
    with pytest.raises(MalformedPolicyDocument) as raised:
        parse_policy(document, M)
    assert raised.value.path == "Statement[1].Condition.Bool.aws:SecureTransport"
    assert raised.value.message.startswith("The policy failed legacy parsing (Statement[1].Condition.Bool.aws:Secure")


def test_whitespace_does_not_count_towards_the_size_limit() -> None:
    text = json.dumps(doc(ALLOW), indent=4) + " " * 10_000
    assert parse_policy(text, PolicyKind.USER_INLINE).statements


def test_parses_elements_into_typed_objects() -> None:
    parsed = parse_policy(
        json.dumps(
            {
                "Version": V,
                "Id": "doc-1",
                "Statement": {"Sid": "Read", "Effect": "Deny", "NotAction": ["s3:Get*"], "NotResource": "*"},
            }
        ),
        M,
        "arn:aws:iam::111111111111:policy/P",
    )
    assert parsed.id == "arn:aws:iam::111111111111:policy/P"
    assert parsed.document_id == "doc-1"
    (only,) = parsed.statements
    assert (only.sid, only.effect, only.actions.negated, only.resources.negated) == ("Read", Effect.DENY, True, True)


def test_missing_version_means_2008_semantics() -> None:
    parsed = parse_policy({"Statement": [ALLOW]}, M)
    assert parsed.version == "2008-10-17"
    assert not parsed.has_variables


def test_policies_are_hashable_and_equal_by_content() -> None:
    first = parse_policy(doc(ALLOW), M, "p")
    second = parse_policy(json.dumps(doc(ALLOW)), M, "p")
    assert first == second and hash(first) == hash(second)
    assert first != parse_policy(doc(ALLOW), M, "q")


def test_accepts_json_scalars_as_condition_values() -> None:
    parsed = parse_policy(cond({"Bool": {"aws:SecureTransport": True}, "NumericLessThan": {"s3:max-keys": 10}}), M)
    values = [clause.values for clause in parsed.statements[0].condition.clauses]
    assert values == [("true",), ("10",)]


@pytest.mark.parametrize(
    "principal",
    [
        "*",
        {"AWS": "*"},
        {"AWS": "111111111111"},
        {"AWS": "arn:aws:iam::111111111111:root"},
        {"AWS": ["arn:aws:iam::111111111111:user/a/b", "arn:aws:iam::111111111111:role/r"]},
        {"AWS": "arn:aws:sts::111111111111:assumed-role/r/s"},
        {"AWS": "AIDAJQABLZS4A3QDU576Q"},
        {"Federated": "arn:aws:iam::111111111111:oidc-provider/idp.example.com/realm"},
        {"Federated": "accounts.google.com"},
        {"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]},
        {"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
    ],
)
def test_accepts_every_principal_form(principal: object) -> None:
    assert parse_policy(doc(with_(TRUST, Principal=principal)), PolicyKind.TRUST).statements
