"""The console's policy pages over HTTP: create, version, compare, set default, delete; the editor's ValidatePolicy
endpoint (findings with line and column); the same refusals as the API on save; CSRF on every form."""
from __future__ import annotations

import json

from models.audit import AuditEvent
from models.policy import ManagedPolicy
from tests.console.conftest import make_user, post_form, sign_in
from tests.support.signin import csrf_token, stored

READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}
TYPO = '{"Version": "2012-10-17",\n "Statement": [{"Effect": "Allow", "Action": "iam:GetUsr", "Resource": "*"}]}'


def _document(action: str) -> str:
    return json.dumps({**READ, "Statement": [{**READ["Statement"][0], "Action": action}]}, indent=2)


def _create(client, name: str = "readers") -> str:
    answer = post_form(client, "/console/policies/new", "/console/policies", PolicyName=name,
                       PolicyDocument=_document("iam:GetUser"))
    assert answer.status_code == 303, answer.get_data(as_text=True)[-2000:]
    return answer.headers["Location"]


def test_a_policy_is_created_versioned_compared_and_deleted(as_root, root, app):
    account = root.account_id
    page = _create(as_root)
    assert page == f"/console/policies/arn:aws:iam::{account}:policy/readers"
    opened = as_root.get(f"/console/policies/?arn=arn:aws:iam::{account}:policy/readers")  # the dashboard's links
    assert opened.status_code == 302 and opened.headers["Location"] == page

    post_form(as_root, page, page + "/versions", PolicyDocument=_document("iam:ListUsers"))  # not the default
    post_form(as_root, page, page + "/default", VersionId="v2")
    diff = as_root.get(page + "?from=v1&to=v2").get_data(as_text=True)
    assert '<span class="diff-removed">-      &#34;Action&#34;: &#34;iam:GetUser&#34;,</span>' in diff
    assert '<span class="diff-added">+      &#34;Action&#34;: &#34;iam:ListUsers&#34;,</span>' in diff
    assert 'id="default-version">v2<' in diff

    conflict = post_form(as_root, page, page + "/delete")
    assert conflict.status_code == 409 and "This policy has more than one version" in conflict.get_data(as_text=True)
    assert post_form(as_root, page, page + "/versions/remove", VersionId="v1").status_code == 303
    assert post_form(as_root, page, page + "/delete").status_code == 303
    assert stored(app, ManagedPolicy, ManagedPolicy.account_id == account) == []
    for action in ("iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion",
                   "iam:DeletePolicyVersion", "iam:DeletePolicy"):
        assert stored(app, AuditEvent, AuditEvent.action == action, AuditEvent.decision == "Allow"), action
    assert as_root.get("/console/policies?scope=AWS").get_data(as_text=True).count("ReadOnlyAccess") >= 1


def test_an_aws_managed_policy_is_refused_as_aws_refuses_it(as_root, root):
    page = "/console/policies/arn:aws:iam::aws:policy/ReadOnlyAccess"

    answer = post_form(as_root, page, page + "/versions", PolicyDocument=_document("iam:GetUser"))

    assert answer.status_code == 403
    assert "because AWS managed policies cannot be changed" in answer.get_data(as_text=True)


def test_the_editor_endpoint_returns_validate_policy_findings_with_line_and_column(as_root, root):
    token = csrf_token(as_root.get("/console/policies/new").get_data(as_text=True))

    answer = as_root.post("/console/policies/validate", json={"policyDocument": TYPO},
                          headers={"X-CSRFToken": token})

    [finding] = answer.get_json()["findings"]
    assert answer.status_code == 200 and finding["issueCode"] == "INVALID_ACTION"
    assert finding["findingDetails"] == "The action iam:GetUsr does not exist. Did you mean iam:GetUser?"
    span = finding["locations"][0]["span"]
    assert span["start"]["line"] == 2 and TYPO[span["start"]["offset"]:span["end"]["offset"]] == '"iam:GetUsr"'
    assert span["start"]["column"] == TYPO.split("\n")[1].index('"iam:GetUsr"')
    trust = as_root.post("/console/policies/validate", headers={"X-CSRFToken": token}, json={
        "policyDocument": TYPO, "policyType": "RESOURCE_POLICY",
        "validatePolicyResourceType": "AWS::IAM::AssumeRolePolicyDocument"})
    assert trust.status_code == 200 and trust.get_json()["findings"]
    console_actions = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["oidc:CreateClient", "oidc:ListApis", "federation:AddUpstream"],
        "Resource": ["arn:aws:oidc::123456789012:client/*", "arn:aws:federation::123456789012:upstream/*"]}]})
    catalogued = as_root.post("/console/policies/validate", json={"policyDocument": console_actions},
                              headers={"X-CSRFToken": token})
    assert catalogued.get_json() == {"findings": []}  # the console's own actions are catalogued
    refused = as_root.post("/console/policies/validate", json={"policyDocument": TYPO})  # no CSRF header
    assert refused.status_code == 400
    bad_type = as_root.post("/console/policies/validate", json={"policyDocument": TYPO, "policyType": "X"},
                            headers={"X-CSRFToken": token})
    assert bad_type.status_code == 400 and bad_type.get_json()["error"] == "invalid_request"


def test_a_document_the_api_refuses_is_refused_on_save_and_comes_back_with_its_findings(as_root, root, app):
    no_resource = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser"}]}'

    answer = post_form(as_root, "/console/policies/new", "/console/policies", PolicyName="broken",
                       PolicyDocument=no_resource)

    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "Policy statement must contain resources." in html
    assert "MISSING_RESOURCE" in html and "iam:GetUser" in html  # the typed document and its findings
    assert stored(app, ManagedPolicy, ManagedPolicy.account_id == root.account_id) == []


def test_a_delegated_admin_may_validate_but_not_create_and_is_told_why(client, root, app):
    account = root.account_id
    make_user(app, account, "author", policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:ListPolicies", "access-analyzer:ValidatePolicy"], "Resource": "*"}]}))
    sign_in(client, account, "author")

    answer = post_form(client, "/console/policies/new", "/console/policies", PolicyName="mine",
                       PolicyDocument=_document("iam:GetUser"))

    html = answer.get_data(as_text=True)
    assert answer.status_code == 403 and 'id="create-policy"' in html
    assert (f"User: arn:aws:iam::{account}:user/author is not authorized to perform: iam:CreatePolicy on resource: "
            f"arn:aws:iam::{account}:policy/mine because no identity-based policy allows the iam:CreatePolicy "
            "action") in html
    token = csrf_token(client.get("/console/policies/new").get_data(as_text=True))
    checked = client.post("/console/policies/validate", json={"policyDocument": TYPO}, headers={"X-CSRFToken": token})
    assert checked.status_code == 200 and checked.get_json()["findings"]


def test_every_policy_form_refuses_a_post_without_a_valid_csrf_token(as_root, root, app):
    page = _create(as_root)
    before = len(stored(app, AuditEvent))
    forms = [("/console/policies", {"PolicyName": "x", "PolicyDocument": _document("iam:GetUser")}),
             (page + "/versions", {"PolicyDocument": _document("iam:GetUser")}),
             (page + "/default", {"VersionId": "v1"}),
             (page + "/versions/remove", {"VersionId": "v1"}), (page + "/delete", {})]
    for url, form in forms:
        for token in ({}, {"csrf_token": "IjAwMDAi.AAAAAA.forged"}):
            answer = as_root.post(url, data={"back": page, **token, **form})
            assert answer.status_code == 400 and "The form was not sent from this site" in answer.get_data(
                as_text=True), url
    assert len(stored(app, AuditEvent)) == before
