"""Who can reach what, on a fixture account with a known answer: role chains, outsiders, actions on a resource."""
import json
import xml.etree.ElementTree as ET

import pytest

OTHER = "444455556666"
NOTEBOOK = "arn:aws:notes:::notebook/team"


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture
def fixture_account(iam, root):
    """alice -> ops -> admin -> notebook; bob is trusted by account only, without permission; partner is external."""
    account = root.account_id
    alice = iam.create_user(UserName="alice")["User"]["Arn"]
    iam.put_user_policy(UserName="alice", PolicyName="assume", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{account}:role/ops"}))
    bob = iam.create_user(UserName="bob")["User"]["Arn"]
    ops = iam.create_role(RoleName="ops", AssumeRolePolicyDocument=policy(
        {"Effect": "Allow", "Principal": {"AWS": [alice, account]}, "Action": "sts:AssumeRole"}))["Role"]["Arn"]
    iam.put_role_policy(RoleName="ops", PolicyName="chain", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}))
    admin = iam.create_role(RoleName="admin", AssumeRolePolicyDocument=policy(
        {"Effect": "Allow", "Principal": {"AWS": ops}, "Action": "sts:AssumeRole",
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}))["Role"]["Arn"]
    iam.put_role_policy(RoleName="admin", PolicyName="notes", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "notes:*", "Resource": [NOTEBOOK, f"{NOTEBOOK}/*"]}))
    partner = iam.create_role(RoleName="partner", AssumeRolePolicyDocument=policy(
        {"Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "sts:AssumeRole"}))["Role"]["Arn"]
    return {"alice": alice, "bob": bob, "ops": ops, "admin": admin, "partner": partner}


def graph(runner, *args):
    result = runner.invoke(args=["idp", "analyze", "graph", *args])
    assert result.exit_code == 0, result.output
    return result.output


def edges(document):
    return {(e["from"].rsplit("/", 1)[-1], e["to"].rsplit("/", 1)[-1]): e for e in document["edges"]}


def test_whole_account(runner, fixture_account):
    found = edges(json.loads(graph(runner)))
    assert set(found) == {("alice", "ops"), ("ops", "admin"), (OTHER, "partner")}
    assert found[("ops", "admin")]["condition"] == {"aws:MultiFactorAuthPresent": "true"}


def test_what_a_principal_reaches_through_chains(runner, fixture_account):
    document = json.loads(graph(runner, "--principal", fixture_account["alice"], "--resource", NOTEBOOK))
    assert {n["label"] for n in document["nodes"]} == {"user/alice", "role/ops", "role/admin", "notebook/team"}
    found = edges(document)
    assert set(found) == {("alice", "ops"), ("ops", "admin"), ("admin", "team")}
    assert found[("admin", "team")]["actions"] == sorted(found[("admin", "team")]["actions"])
    assert len(found[("admin", "team")]["actions"]) == 7


def test_who_reaches_a_role(runner, fixture_account):
    document = json.loads(graph(runner, "--resource", fixture_account["admin"]))
    assert {n["label"] for n in document["nodes"]} == {"user/alice", "role/ops", "role/admin"}


def test_bob_reaches_nothing(runner, fixture_account):
    document = json.loads(graph(runner, "--principal", fixture_account["bob"]))
    assert (document["edges"], [n["label"] for n in document["nodes"]]) == ([], ["user/bob"])


def test_svg_and_dot_pictures(runner, fixture_account):
    svg = ET.fromstring(graph(runner, "--principal", fixture_account["alice"], "--format", "svg"))
    ns = {"svg": "http://www.w3.org/2000/svg"}
    nodes = {g.get("data-id") for g in svg.iterfind("svg:g[@class='node']", ns)}
    arrows = {(g.get("data-from"), g.get("data-to")) for g in svg.iterfind("svg:g[@class='edge']", ns)}
    assert nodes == {fixture_account["alice"], fixture_account["ops"], fixture_account["admin"]}
    assert arrows == {(fixture_account["alice"], fixture_account["ops"]),
                      (fixture_account["ops"], fixture_account["admin"])}

    dot = graph(runner, "--principal", fixture_account["alice"], "--format", "dot")
    assert dot.startswith("digraph access {")
    assert f'"{fixture_account["alice"]}" -> "{fixture_account["ops"]}" [label="sts:AssumeRole"];' in dot
