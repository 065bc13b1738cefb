"""One unit of work per request: every authorizer decision reaches the audit log, on every surface that asks it.

A spy wraps the two places a decision is taken and noted: `idp.authz.authorizer.note` (every `decide`, whatever
module imported `decide` or `authorize` by name, goes through it) and the STS trust decision
(`idp.sts.trust.evaluate_trust`). Each surface is driven through its real client, with an allowed and a refused
call; once the responses are back, every recorded (action, resource, decision) must be an audit row. Then the unit
of work itself: a raising view loses its work but keeps its noted entries, a `keeps_work` error keeps the work,
`after_commit` runs only once the work is committed, and a CLI command is one unit.
"""
from __future__ import annotations

import json
from collections import Counter
from urllib.parse import urlsplit

import click
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from flask import Blueprint, g, jsonify
from sqlalchemy import select

from idp import audit, work
from idp.authz import authorizer
from idp.authz.decorator import require
from idp.cli import idp_cli
from idp.errors import TooManyRequests, ValidationError
from idp.sts import trust
from models import db
from models.audit import AuditEvent
from tests.support.aws_clients import client_for
from tests.support.signin import DEFAULT_PASSWORD, create_user_with_password, csrf_token, http_login, stored

DENIES = {"ImplicitDeny", "ExplicitDeny"}
NOTES_API = "https://notes.example/api"
NOTE = "arn:aws:notes:::notebook/team/note/n1"
READ_NOTES = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "notes:GetNote", "Resource": "arn:aws:notes:::notebook/team/*"}]}
SELF_KEYS = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": ["iam:CreateAccessKey", "iam:ListAccessKeys"],
    "Resource": "arn:aws:iam::*:user/${aws:username}"}]})
TE = "urn:ietf:params:oauth:grant-type:token-exchange"
AT = "urn:ietf:params:oauth:token-type:access_token"

guarded_views = Blueprint("unit_of_work_guarded", __name__)


@guarded_views.get("/uow-notes/<notebook>/<note>")
@require("notes:GetNote", resource=lambda **kw: f"arn:aws:notes:::notebook/{kw['notebook']}/note/{kw['note']}")
def guarded(notebook: str, note: str):
    return jsonify(caller=g.authorization.principal["arn"])


@pytest.fixture
def decisions(monkeypatch) -> list[tuple[str, str, str]]:
    """(action, resource, effect) of every decision taken while the test runs."""
    seen: list[tuple[str, str, str]] = []
    noted = authorizer.note

    def spy_note(caller, action, resource, decision):
        seen.append((action, resource, decision.effect.value))
        noted(caller, action, resource, decision)

    trusted = trust.evaluate_trust

    def spy_trust(request, policy, caller_policies):
        decision = trusted(request, policy, caller_policies)
        seen.append((request.action, request.resource, decision.effect.value))
        return decision

    monkeypatch.setattr(authorizer, "note", spy_note)
    monkeypatch.setattr(trust, "evaluate_trust", spy_trust)
    return seen


def assert_all_audited(app, decisions, *, actions: set[str]) -> None:
    """Every decision taken is an audit row; among them an Allow and a denial of one of `actions`."""
    asked = [d for d in decisions if d[0] in actions]
    assert {effect for _, _, effect in asked} & DENIES and "Allow" in {effect for _, _, effect in asked}, decisions
    rows = Counter((e.action, e.resource, e.decision) for e in stored(app, AuditEvent))
    missing = Counter(decisions) - rows
    assert not missing, f"decisions without an audit row: {dict(missing)}"


def user_key(iam, name: str, policy: dict | str | None = None) -> tuple[str, str]:
    iam.create_user(UserName=name)
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="inline",
                            PolicyDocument=policy if isinstance(policy, str) else json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def signed_headers(key: str, secret: str, url: str, service: str = "notes") -> dict:
    request = AWSRequest(method="GET", url=url, headers={"Host": urlsplit(url).netloc})
    SigV4Auth(Credentials(key, secret), service, "us-east-1").add_auth(request)
    return dict(request.headers.items())


def cli(app, *args: str) -> dict:
    result = app.test_cli_runner().invoke(args=["idp", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# -- every surface that asks the authorizer ---------------------------------------------------------------


def test_iam_query_calls(app, live_server, iam, decisions):
    key = user_key(iam, "nobody")
    with pytest.raises(ClientError, match="AccessDenied"):
        client_for(live_server, "iam", *key).list_users()
    assert_all_audited(app, decisions, actions={"iam:CreateUser", "iam:ListUsers"})


def test_sts_assume_role_trust_decisions(app, live_server, iam, root, decisions):
    key = user_key(iam, "assumer", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})
    statement = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{root.account_id}:user/assumer"},
                 "Action": "sts:AssumeRole"}
    never = {"StringEquals": {"aws:PrincipalTag/team": "nobody"}}
    for name, trusted in (("trusting", statement), ("guarded", {**statement, "Condition": never})):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17",
                                                                            "Statement": [trusted]}))
    sts = client_for(live_server, "sts", *key)
    sts.assume_role(RoleArn=f"arn:aws:iam::{root.account_id}:role/trusting", RoleSessionName="s1")
    with pytest.raises(ClientError, match="AccessDenied"):
        sts.assume_role(RoleArn=f"arn:aws:iam::{root.account_id}:role/guarded", RoleSessionName="s1")
    assert_all_audited(app, decisions, actions={"sts:AssumeRole"})


def test_access_analyzer_rest_json(app, live_server, iam, root, decisions):
    document = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                                  "Resource": "*"}]})
    client_for(live_server, "accessanalyzer", root.access_key_id, root.secret_access_key).validate_policy(
        policyDocument=document, policyType="IDENTITY_POLICY")
    with pytest.raises(ClientError, match="AccessDenied"):
        client_for(live_server, "accessanalyzer", *user_key(iam, "nobody")).validate_policy(
            policyDocument=document, policyType="IDENTITY_POLICY")
    assert_all_audited(app, decisions, actions={"access-analyzer:ValidatePolicy"})


def test_post_authorize_with_sigv4_and_with_a_bearer_token(app, live_server, iam, root, tmp_path, decisions):
    url = "http://notes.example/notebooks/team/notes/n1"
    reader = user_key(iam, "reader", READ_NOTES)
    for key, action in ((reader, "notes:GetNote"), (reader, "notes:DeleteNote")):
        answer = requests.post(f"{live_server.url}/authorize", timeout=10, json={
            "action": action, "resource": NOTE, "request": {
                "method": "GET", "url": url, "headers": signed_headers(*key, url), "body": ""}})
        assert answer.status_code == 200
    policy = tmp_path / "read.json"
    policy.write_text(json.dumps(READ_NOTES))
    cli(app, "apis", "create", "--json", "--identifier", NOTES_API, "--name", "Notes", "--scope",
        f"notes.read={policy}")
    worker = cli(app, "clients", "create", "--json", "--name", "worker", "--grant-type", "client_credentials",
                 "--scope", "notes.read")
    token = requests.post(f"{live_server.url}/oauth2/token", timeout=10, auth=(worker["client_id"],
                          worker["client_secret"]), data={"grant_type": "client_credentials",
                                                          "scope": "notes.read", "resource": NOTES_API})
    assert token.status_code == 200, token.text
    asked = len(decisions)
    for action in ("notes:GetNote", "notes:PutNote"):
        answer = requests.post(f"{live_server.url}/authorize", timeout=10, json={
            "action": action, "resource": NOTE, "token": token.json()["access_token"], "audience": NOTES_API})
        assert answer.status_code == 200
    assert [effect for _, _, effect in decisions[asked:]] == ["Allow", "ImplicitDeny"]
    assert_all_audited(app, decisions, actions={"notes:GetNote", "notes:DeleteNote", "notes:PutNote"})


def test_token_exchange_at_the_token_endpoint(app, live_server, root, decisions):
    reports = "https://api.example/reports"
    worker = cli(app, "clients", "create", "--json", "--name", "worker", "--grant-type", "client_credentials",
                 "--scope", "reports.read")
    gateway = cli(app, "clients", "create", "--json", "--name", "gateway", "--grant-type", TE, "--scope",
                  "reports.read", "--token-exchange-policy", json.dumps({"Version": "2012-10-17", "Statement": [{
                      "Effect": "Allow", "Action": "oidc:TokenExchange",
                      "Resource": f"arn:aws:oidc::{root.account_id}:audience/{reports}"}]}))

    def token(client: dict, **form) -> requests.Response:
        return requests.post(f"{live_server.url}/oauth2/token", data=form, timeout=10,
                             auth=(client["client_id"], client["client_secret"]))

    own = token(worker, grant_type="client_credentials", scope="reports.read").json()["access_token"]
    allowed = token(gateway, grant_type=TE, subject_token=own, subject_token_type=AT, audience=reports)
    refused = token(gateway, grant_type=TE, subject_token=own, subject_token_type=AT,
                    audience="https://elsewhere.example/api")
    assert allowed.status_code == 200, allowed.text
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_target"
    assert_all_audited(app, decisions, actions={"oidc:TokenExchange"})


def test_the_account_pages_key_actions(app, live_server, iam, root, decisions):
    for name, policy in (("keeper", SELF_KEYS), ("nokeys", None)):
        create_user_with_password(iam, name, policy=policy)
        browser = requests.Session()
        assert http_login(browser, live_server.url, root.account_id, name, DEFAULT_PASSWORD).status_code in (302, 303)
        page = browser.get(f"{live_server.url}/account", timeout=10)
        answer = browser.post(f"{live_server.url}/account/keys", data={"csrf_token": csrf_token(page.text)},
                              timeout=10, allow_redirects=False)
        assert answer.status_code == (200 if policy else 403)
    assert_all_audited(app, decisions, actions={"iam:CreateAccessKey"})


def test_the_analyzer_graph_page(app, live_server, iam, root, decisions):
    for name, policy in (("looker", {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "access-analyzer:Get*", "Resource": "*"}]}), ("stranger", None)):
        create_user_with_password(iam, name, policy=json.dumps(policy) if policy else None)
        browser = requests.Session()
        http_login(browser, live_server.url, root.account_id, name, DEFAULT_PASSWORD)
        answer = browser.get(f"{live_server.url}/analyzer/graph", timeout=10)
        assert answer.status_code == (200 if policy else 403)
    assert_all_audited(app, decisions, actions={"access-analyzer:GetAccessGraph"})


def test_the_resource_server_decorator_in_process(app, live_server, iam, decisions):
    app.register_blueprint(guarded_views)  # registered after create_app: its views are not wrapped in a unit
    key = user_key(iam, "reader", READ_NOTES)
    client = app.test_client()
    for notebook, status in (("team", 200), ("secret", 403)):
        url = f"http://localhost/uow-notes/{notebook}/n1"
        assert client.get(f"/uow-notes/{notebook}/n1", headers=signed_headers(*key, url)).status_code == status
    assert client.get("/uow-notes/team/n1", headers={"Authorization": "Bearer not.a.token"}).status_code == 401
    assert_all_audited(app, decisions, actions={"notes:GetNote"})


# -- the unit of work itself --------------------------------------------------------------------------------


def audited(app) -> list[tuple[str, str | None]]:
    return [(e.action, e.resource) for e in stored(app, AuditEvent)]


def test_a_view_that_raises_loses_its_work_and_keeps_its_noted_entries(app):
    @work.transactional
    def view():
        audit.record("test:Work", resource="written")
        audit.note("test:Refusal", resource="noted", decision="Deny")
        raise ValidationError("refused")

    with app.test_request_context("/"), pytest.raises(ValidationError):
        view()
    assert audited(app) == [("test:Refusal", "noted")]


def test_an_error_that_keeps_work_commits_it(app):
    @work.transactional
    def view():
        audit.record("test:CountedFailure", resource="written")
        raise TooManyRequests("slow down", retry_after=1)

    with app.test_request_context("/"), pytest.raises(TooManyRequests):
        view()
    assert audited(app) == [("test:CountedFailure", "written")]


def test_after_commit_runs_once_the_work_is_committed_and_never_after_a_rollback(app):
    seen: list[list] = []

    def committed_rows():  # read on a connection of its own: only committed rows are visible there
        with db.engine.connect() as connection:
            seen.append(list(connection.execute(select(AuditEvent.action)).scalars()))

    @work.transactional
    def view(fail: bool):
        audit.record("test:Work", resource="fail" if fail else "ok")
        work.after_commit(committed_rows)
        if fail:
            raise ValidationError("refused")
        assert seen == []  # not yet: the view has not returned
        return "done"

    with app.test_request_context("/"):
        assert view(False) == "done"
        with pytest.raises(ValidationError):
            view(True)
    assert seen == [["test:Work"]]
    assert audited(app) == [("test:Work", "ok")]


@pytest.fixture
def test_commands():
    """Two commands on the real `idp` group: one writes and returns, one writes and fails."""

    @idp_cli.command("uow-test-write")
    @click.option("--fail", is_flag=True)
    def write(fail: bool) -> None:
        audit.record("test:CliWork", resource="fail" if fail else "ok")
        if fail:
            raise click.ClickException("refused")

    yield
    idp_cli.commands.pop("uow-test-write")


def test_a_cli_command_is_one_unit_of_work(app, test_commands):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["idp", "uow-test-write"]).exit_code == 0
    failed = runner.invoke(args=["idp", "uow-test-write", "--fail"])
    assert failed.exit_code == 1 and "refused" in failed.output
    assert audited(app) == [("test:CliWork", "ok")]
