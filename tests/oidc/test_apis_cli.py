"""`flask --app app idp apis create|list|show|delete`: APIs registered as OAuth resources (RFC 8707)."""
from __future__ import annotations

import json

import pytest

from models.api_resource import ApiResource
from models.audit import AuditEvent
from tests.support.signin import stored

READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "notes:GetNote", "Resource": "*"}]}


@pytest.fixture
def apis(runner, root, tmp_path):
    """Run `idp apis ...`; `--scope NAME=<policy>` takes a dict (written to a file) or a path."""

    def run(*args: str, policies: dict | None = None):
        scope_args = []
        for name, policy in (policies or {}).items():
            path = tmp_path / f"{name}.json"
            path.write_text(policy if isinstance(policy, str) else json.dumps(policy))
            scope_args += ["--scope", f"{name}={path}"]
        return runner.invoke(args=["idp", "apis", *args, *scope_args])

    return run


def test_create_list_show_delete(app, apis, root):
    made = apis("create", "--json", "--identifier", "https://notes.example/api", "--name", "Notes",
                policies={"notes.read": READ})
    assert made.exit_code == 0, made.output
    assert json.loads(made.output) == {"identifier": "https://notes.example/api", "name": "Notes",
                                       "account_id": root.account_id, "scopes": {"notes.read": READ}}
    listed = json.loads(apis("list", "--json").output)
    assert [a["identifier"] for a in listed["apis"]] == ["https://notes.example/api"]
    assert json.loads(apis("show", "--json", "https://notes.example/api").output)["scopes"] == {"notes.read": READ}
    assert apis("create", "--identifier", "urn:example:reports", "--name", "Reports",
                policies={"reports.read": READ}).exit_code == 0
    again = apis("create", "--identifier", "urn:example:reports", "--name", "Again", policies={"r": READ})
    assert again.exit_code == 1 and "already exists" in again.output
    deleted = apis("delete", "--json", "https://notes.example/api")
    assert deleted.exit_code == 0 and json.loads(deleted.output) == {"deleted": "https://notes.example/api"}
    assert [row.identifier for row in stored(app, ApiResource)] == ["urn:example:reports"]
    actions = [e.action for e in stored(app, AuditEvent) if e.action.startswith("oidc:")]
    assert actions == ["oidc:CreateApi", "oidc:CreateApi", "oidc:DeleteApi"]
    missing = apis("show", "https://notes.example/api")
    assert missing.exit_code == 1 and missing.output.strip() == "Error: no API https://notes.example/api"


@pytest.mark.parametrize("identifier, words", [
    ("notes", "absolute https URI"),
    ("http://notes.example/api", "plain http is only allowed for loopback"),
    ("https://notes.example/api#part", "fragment"),
    ("ftp://notes.example/api", "absolute https URI"),
    ("urn:", "not a URN"),
])
def test_a_bad_identifier_is_one_error_line_and_writes_nothing(app, apis, identifier, words):
    result = apis("create", "--identifier", identifier, "--name", "X", policies={"notes.read": READ})
    assert result.exit_code == 1 and words in result.output
    assert result.output.count("\n") == 1 and result.output.startswith("Error: ")
    assert stored(app, ApiResource) == [] and not [e for e in stored(app, AuditEvent) if e.action == "oidc:CreateApi"]


def test_the_issuer_and_loopback_http(app, apis):
    issuer = app.config["IDP_SETTINGS"].issuer
    assert "issuer" in apis("create", "--identifier", issuer, "--name", "X", policies={"a": READ}).output
    assert apis("create", "--identifier", "http://127.0.0.1:9000/api", "--name", "Local",
                policies={"a": READ}).exit_code == 0


@pytest.mark.parametrize("policies, words", [
    ({"notes.read": "{not json"}, "scope notes.read:"),
    ({"notes.read": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "notes:GetNote"}]}},
     "scope notes.read:"),
    # The engine parses it, ValidatePolicy refuses it (an ERROR finding).
    ({"notes.read": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "notes:GetNote", "Resource": "*",
         "Condition": {"StringEquals": {"aws:NoSuchKey": "x"}}}]}}, "INVALID_GLOBAL_CONDITION_KEY"),
    # A SECURITY_WARNING refuses too.
    ({"notes.read": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}]}}, "scope notes.read: PASS_ROLE"),
    ({"openid": READ}, "OpenID Connect scope"),
    ({"bad scope": READ}, "not an OAuth scope token"),
])
def test_a_malformed_or_refused_policy_is_one_error_line_and_writes_nothing(app, apis, policies, words):
    result = apis("create", "--identifier", "https://notes.example/api", "--name", "Notes", policies=policies)
    assert result.exit_code == 1 and words in result.output, result.output
    assert result.output.count("\n") == 1 and result.output.startswith("Error: ")
    assert stored(app, ApiResource) == []


def test_a_scope_needs_a_readable_policy_file(app, apis):
    result = apis("create", "--identifier", "https://notes.example/api", "--name", "Notes",
                  "--scope", "notes.read=/nonexistent/policy.json")
    assert result.exit_code == 1 and "cannot read /nonexistent/policy.json" in result.output
    assert apis("create", "--identifier", "https://notes.example/api", "--name", "Notes").exit_code == 1
    assert stored(app, ApiResource) == []


def test_an_apis_own_service_prefix_and_the_oidc_condition_keys_are_accepted(app, apis):
    only_this_app = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["orders:GetOrder", "orders:ListOrders"], "Resource": "*",
         "Condition": {"StringEquals": {"oidc:ClientId": "shop", "oidc:Audience": "urn:example:orders"},
                       "ForAnyValue:StringEquals": {"oidc:Scope": "orders.read"}}}]}
    result = apis("create", "--identifier", "urn:example:orders", "--name", "Orders",
                  policies={"orders.read": only_this_app})
    assert result.exit_code == 0, result.output
