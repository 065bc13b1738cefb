"""Query-protocol parameter parsing: tables of inputs and AWS's messages, and botocore round trips."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import botocore.session
import pytest
from botocore.serialize import QuerySerializer

from idp.aws import params as p
from idp.aws.params import ContextEntry, Tag
from idp.errors import MissingParameter, ValidationError

ROLE_NAME = r"[\w+=,.@-]+"
PREFIX = "1 validation error detected: "


def invalid(value: str, member: str, constraint: str) -> str:
    return f"{PREFIX}Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"


# --- scalars ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, options, expected",
    [
        ({"UserName": "alice"}, {"max_len": 64, "pattern": ROLE_NAME}, "alice"),
        ({}, {}, None),
        ({"Description": ""}, {"max_len": 1000}, ""),
        ({"Path": "/division/"}, {"pattern": r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)"}, "/division/"),
    ],
)
def test_string_accepts(params, options, expected):
    name = next(iter(params), "UserName")
    assert p.string(params, name, **options) == expected


@pytest.mark.parametrize(
    "params, options, message",
    [
        (
            {"UserName": "a" * 65},
            {"max_len": 64},
            invalid("a" * 65, "userName", "Member must have length less than or equal to 64"),
        ),
        (
            {"UserName": ""},
            {"min_len": 1},
            invalid("", "userName", "Member must have length greater than or equal to 1"),
        ),
        (
            {"UserName": "bad name"},
            {"pattern": ROLE_NAME},
            invalid("bad name", "userName", f"Member must satisfy regular expression pattern: {ROLE_NAME}"),
        ),
        (  # Java's \w is ASCII, so is ours
            {"UserName": "élodie"},
            {"pattern": ROLE_NAME},
            invalid("élodie", "userName", f"Member must satisfy regular expression pattern: {ROLE_NAME}"),
        ),
        (  # AWS lowers only the first letter
            {"SAMLMetadataDocument": "x"},
            {"min_len": 1000},
            invalid("x", "sAMLMetadataDocument", "Member must have length greater than or equal to 1000"),
        ),
    ],
)
def test_string_refuses_with_aws_wording(params, options, message):
    with pytest.raises(ValidationError) as caught:
        p.string(params, next(iter(params)), **options)
    assert caught.value.message == message
    assert (caught.value.code, caught.value.status) == ("ValidationError", 400)


def test_required_parameter_missing():
    with pytest.raises(MissingParameter) as caught:
        p.string({}, "RoleName", required=True)
    assert caught.value.message == "The request must contain the parameter RoleName"
    assert caught.value.code == "MissingParameter"
    for parse in (p.integer, p.boolean, p.member_list):
        with pytest.raises(MissingParameter, match="parameter DurationSeconds$"):
            parse({}, "DurationSeconds", required=True)


@pytest.mark.parametrize(
    "raw, expected",
    [("3600", 3600), ("43200", 43200), (None, 900)],
)
def test_integer_accepts(raw, expected):
    params = {} if raw is None else {"DurationSeconds": raw}
    assert p.integer(params, "DurationSeconds", min_value=900, max_value=43200, default=900) == expected


@pytest.mark.parametrize(
    "raw, message",
    [
        ("899", invalid("899", "durationSeconds", "Member must have value greater than or equal to 900")),
        ("43201", invalid("43201", "durationSeconds", "Member must have value less than or equal to 43200")),
        ("12ab", invalid("12ab", "durationSeconds", "Member must be an integer")),
        ("", invalid("", "durationSeconds", "Member must be an integer")),
        ("9" * 40, invalid("9" * 40, "durationSeconds", "Member must be an integer")),
        ("３６００", invalid("３６００", "durationSeconds", "Member must be an integer")),
    ],
)
def test_integer_refuses(raw, message):
    with pytest.raises(ValidationError) as caught:
        p.integer({"DurationSeconds": raw}, "DurationSeconds", min_value=900, max_value=43200)
    assert caught.value.message == message


@pytest.mark.parametrize("raw, expected", [("true", True), ("false", False), ("True", True), ("FALSE", False)])
def test_boolean_accepts(raw, expected):
    assert p.boolean({"OnlyAttached": raw}, "OnlyAttached") is expected


def test_boolean_default_and_refusal():
    assert p.boolean({}, "OnlyAttached", default=False) is False
    with pytest.raises(ValidationError) as caught:
        p.boolean({"OnlyAttached": "yes"}, "OnlyAttached")
    assert caught.value.message == invalid("yes", "onlyAttached", "Member must be one of: true, false")


# --- lists -----------------------------------------------------------------------------------


def test_member_list_orders_by_n_numerically_and_tolerates_gaps():
    params = {
        "ClientIDList.member.10": "ten",
        "ClientIDList.member.2": "two",
        "ClientIDList.member.1": "one",
        "ClientIDList.member.x": "ignored",
        "ClientIDList.member.": "ignored",
        "Other.member.1": "ignored",
    }
    assert p.member_list(params, "ClientIDList") == ["one", "two", "ten"]


def test_member_list_with_field():
    params = {"PolicyArns.member.2.arn": "arn:b", "PolicyArns.member.1.arn": "arn:a", "PolicyArns.member.1.x": "no"}
    assert p.member_list(params, "PolicyArns", field="arn") == ["arn:a", "arn:b"]


def test_member_list_empty_forms():
    assert p.member_list({}, "ClientIDList") == []
    assert p.member_list({"ClientIDList": ""}, "ClientIDList", required=True) == []


def test_member_list_constraints_name_the_position():
    params = {"ThumbprintList.member.1": "a" * 40, "ThumbprintList.member.3": "short"}
    with pytest.raises(ValidationError) as caught:
        p.member_list(params, "ThumbprintList", min_len=40, max_len=40)
    assert caught.value.message == invalid(
        "short", "thumbprintList.2.member", "Member must have length greater than or equal to 40"
    )
    with pytest.raises(ValidationError, match="Member must have length less than or equal to 1$"):
        p.member_list(params, "ThumbprintList", max_items=1)


# --- tags ------------------------------------------------------------------------------------


def tag_params(*pairs, name="Tags"):
    params = {}
    for index, (key, value) in enumerate(pairs, 1):
        params[f"{name}.member.{index}.Key"] = key
        if value is not None:
            params[f"{name}.member.{index}.Value"] = value
    return params


def test_tags_parse_in_order():
    params = tag_params(("team", "idp"), ("Name", "my role: v2 / α=β+1@x"), ("empty", ""), ("nov", None))
    assert p.tags(params) == [Tag("team", "idp"), Tag("Name", "my role: v2 / α=β+1@x"), Tag("empty", ""), Tag("nov", "")]
    assert p.tags({}) == []


@pytest.mark.parametrize(
    "pairs, message",
    [
        ([("", "v")], invalid("", "tags.1.member.key", "Member must have length greater than or equal to 1")),
        ([("k" * 129, "v")], invalid("k" * 129, "tags.1.member.key", "Member must have length less than or equal to 128")),
        (
            [("ok", "v"), ("ok2", "v" * 257)],
            invalid("v" * 257, "tags.2.member.value", "Member must have length less than or equal to 256"),
        ),
        (
            [("bad*key", "v")],
            invalid("bad*key", "tags.1.member.key", rf"Member must satisfy regular expression pattern: {p.TAG_KEY_PATTERN}"),
        ),
        (
            [("k", "semi;colon")],
            invalid("semi;colon", "tags.1.member.value", rf"Member must satisfy regular expression pattern: {p.TAG_VALUE_PATTERN}"),
        ),
        (
            [(f"k{i}", "v") for i in range(51)],
            f"{PREFIX}Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50",
        ),
    ],
)
def test_tags_refused(pairs, message):
    with pytest.raises(ValidationError) as caught:
        p.tags(tag_params(*pairs))
    assert caught.value.message == message


def test_duplicate_tag_keys_are_case_insensitive():
    with pytest.raises(ValidationError) as caught:
        p.tags(tag_params(("Team", "a"), ("team", "b")))
    assert caught.value.code == "InvalidInput"
    assert caught.value.message == "Duplicate tag keys found. Please note that Tag keys are case insensitive."


def test_tag_without_key_is_missing():
    with pytest.raises(MissingParameter, match="Tags.member.1.Key"):
        p.tags({"Tags.member.1.Value": "v"})


# --- context entries -------------------------------------------------------------------------


def test_context_entries():
    params = {
        "ContextEntries.member.2.ContextKeyName": "aws:SourceIp",
        "ContextEntries.member.2.ContextKeyType": "ipList",
        "ContextEntries.member.2.ContextKeyValues.member.2": "10.0.0.0/8",
        "ContextEntries.member.2.ContextKeyValues.member.1": "192.0.2.1",
        "ContextEntries.member.1.ContextKeyName": "aws:MultiFactorAuthPresent",
        "ContextEntries.member.1.ContextKeyType": "boolean",
        "ContextEntries.member.1.ContextKeyValues.member.1": "true",
    }
    assert p.context_entries(params) == [
        ContextEntry("aws:MultiFactorAuthPresent", "boolean", ("true",)),
        ContextEntry("aws:SourceIp", "ipList", ("192.0.2.1", "10.0.0.0/8")),
    ]


@pytest.mark.parametrize(
    "entry, error, message",
    [
        (
            {"ContextKeyName": "aws:x", "ContextKeyType": "text"},
            ValidationError,
            invalid("text", "contextEntries.1.member.contextKeyType",
                    f"Member must satisfy enum value set: [{', '.join(p.CONTEXT_KEY_TYPES)}]"),
        ),
        (
            {"ContextKeyName": "a:b", "ContextKeyType": "string"},
            ValidationError,
            invalid("a:b", "contextEntries.1.member.contextKeyName", "Member must have length greater than or equal to 5"),
        ),
        (
            {"ContextKeyType": "string"},
            MissingParameter,
            "The request must contain the parameter ContextEntries.member.1.ContextKeyName",
        ),
    ],
)
def test_context_entries_refused(entry, error, message):
    params = {f"ContextEntries.member.1.{k}": v for k, v in entry.items()}
    with pytest.raises(error) as caught:
        p.context_entries(params)
    assert caught.value.message == message


# --- pagination ------------------------------------------------------------------------------


def test_pagination_defaults_and_limits():
    assert p.pagination({}) == (None, 100)
    assert p.pagination({"Marker": "abc", "MaxItems": "1000"}) == ("abc", 1000)
    for raw, bound in (("0", "greater than or equal to 1"), ("1001", "less than or equal to 1000")):
        with pytest.raises(ValidationError) as caught:
            p.pagination({"MaxItems": raw})
        assert caught.value.message == invalid(raw, "maxItems", f"Member must have value {bound}")
    with pytest.raises(ValidationError, match="at 'marker'"):
        p.pagination({"Marker": ""})


def test_paginate_walks_every_item_once():
    items = list(range(23))
    for key in (None, lambda item: item):
        seen, marker, pages = [], None, 0
        while True:
            page, truncated, marker = p.paginate(items, marker, 10, key=key)
            seen += page
            pages += 1
            assert truncated == (marker is not None)
            if not truncated:
                break
        assert (seen, pages) == (items, 3)


def test_paginate_exact_fit_is_not_truncated():
    assert p.paginate([1, 2], None, 2) == ([1, 2], False, None)
    assert p.paginate([], None, 100) == ([], False, None)


def test_keyed_marker_survives_deletion_before_it():
    names = ["a", "b", "c", "d", "e"]
    page, _, marker = p.paginate(names, None, 2, key=str)
    assert page == ["a", "b"]
    assert p.paginate(["b", "c", "d", "e"], marker, 2, key=str)[0] == ["c", "d"]
    rows = [("a", 1), ("a", 2), ("b", 1)]
    _, _, marker = p.paginate(rows, None, 1, key=lambda row: row)
    assert p.paginate(rows, marker, 5, key=lambda row: row)[0] == [("a", 2), ("b", 1)]


@pytest.mark.parametrize("marker", ["not base64!", "e30", "eyJwIjotMX0", "ééé"])
def test_bad_marker_is_a_validation_error(marker):
    with pytest.raises(ValidationError, match="Invalid Marker"):
        p.paginate([1, 2, 3], marker, 1)


# --- round trips with botocore's own Query serializer ----------------------------------------

IAM = botocore.session.get_session().get_service_model("iam")
STS = botocore.session.get_session().get_service_model("sts")


def serialized(operation: str, arguments: dict, service=IAM) -> dict[str, str]:
    """What botocore puts in the form body for `operation(**arguments)`, as the server decodes it."""
    request = QuerySerializer().serialize_to_request(arguments, service.operation_model(operation))
    wire = urlencode(request["body"])
    return dict(parse_qsl(wire, keep_blank_values=True, strict_parsing=True))


def test_create_role_round_trip():
    arguments = {
        "RoleName": "deploy-bot",
        "AssumeRolePolicyDocument": '{"Version":"2012-10-17","Statement":[]}',
        "Path": "/ci/",
        "MaxSessionDuration": 7200,
        "Tags": [{"Key": f"k{i}", "Value": f"v {i} é"} for i in range(12)] + [{"Key": "blank", "Value": ""}],
    }
    form = serialized("CreateRole", arguments)
    assert p.string(form, "RoleName", required=True, max_len=64, pattern=ROLE_NAME) == "deploy-bot"
    assert p.string(form, "AssumeRolePolicyDocument", required=True) == arguments["AssumeRolePolicyDocument"]
    assert p.string(form, "Path") == "/ci/"
    assert p.integer(form, "MaxSessionDuration", min_value=3600, max_value=43200) == 7200
    assert p.tags(form) == [Tag(t["Key"], t["Value"]) for t in arguments["Tags"]]


def test_simulate_principal_policy_round_trip():
    arguments = {
        "PolicySourceArn": "arn:aws:iam::123456789012:user/alice",
        "PolicyInputList": ['{"Version":"2012-10-17"}', '{"Statement":[]}'],
        "ActionNames": [f"iam:Action{i}" for i in range(11)],
        "ContextEntries": [
            {"ContextKeyName": "aws:SourceIp", "ContextKeyType": "ip", "ContextKeyValues": ["192.0.2.1"]},
            {"ContextKeyName": "aws:TagKeys", "ContextKeyType": "stringList", "ContextKeyValues": ["a", "b", "c"]},
            {"ContextKeyName": "aws:Empty", "ContextKeyType": "stringList", "ContextKeyValues": []},
        ],
        "MaxItems": 5,
        "Marker": "opaque",
    }
    form = serialized("SimulatePrincipalPolicy", arguments)
    assert p.member_list(form, "PolicyInputList") == arguments["PolicyInputList"]
    assert p.member_list(form, "ActionNames") == arguments["ActionNames"]
    assert p.context_entries(form) == [
        ContextEntry(e["ContextKeyName"], e["ContextKeyType"], tuple(e["ContextKeyValues"]))
        for e in arguments["ContextEntries"]
    ]
    assert p.pagination(form) == ("opaque", 5)


def test_create_open_id_connect_provider_round_trip():
    arguments = {
        "Url": "https://token.actions.githubusercontent.com",
        "ClientIDList": ["sts.amazonaws.com", "my-app"],
        "ThumbprintList": ["6938fd4d98bab03faadb97b34396831e3780aea1"],
        "Tags": [{"Key": "owner", "Value": "platform"}],
    }
    form = serialized("CreateOpenIDConnectProvider", arguments)
    assert p.string(form, "Url", required=True, min_len=1, max_len=255) == arguments["Url"]
    assert p.member_list(form, "ClientIDList", min_len=1, max_len=255) == arguments["ClientIDList"]
    assert p.member_list(form, "ThumbprintList", min_len=40, max_len=40) == arguments["ThumbprintList"]
    assert p.tags(form) == [Tag("owner", "platform")]
    empty = serialized("CreateOpenIDConnectProvider", {"Url": "https://x", "ClientIDList": []})
    assert empty["ClientIDList"] == "" and p.member_list(empty, "ClientIDList") == []


def test_sts_assume_role_policy_arns_round_trip():
    arguments = {
        "RoleArn": "arn:aws:iam::123456789012:role/deploy",
        "RoleSessionName": "ci",
        "PolicyArns": [{"arn": f"arn:aws:iam::aws:policy/P{i}"} for i in range(11)],
        "Tags": [{"Key": "session", "Value": "ci"}],
        "DurationSeconds": 900,
    }
    form = serialized("AssumeRole", arguments, STS)
    assert p.member_list(form, "PolicyArns", field="arn") == [v["arn"] for v in arguments["PolicyArns"]]
    assert p.tags(form) == [Tag("session", "ci")]
    assert p.integer(form, "DurationSeconds", min_value=900, max_value=43200) == 900
