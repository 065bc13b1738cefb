"""Review (issue 13 class 11): JSON nested deeper than Python's recursion limit answers 500.

json.loads raises RecursionError (not ValueError) for about 1,000 nested arrays, a 2 KB input; nothing
catches it. Unauthenticated: a POST /authorize body, and the payload of a client_assertion at the token
endpoint (no client needed); with an initial access token, a dynamic registration body.
"""
from __future__ import annotations

import base64
import json

import pytest
import requests

DEPTH = 3000
DEEP = "[" * DEPTH + "]" * DEPTH


@pytest.fixture
def app_config(app_config):
    return {**app_config, "IDP_DYNAMIC_REGISTRATION": "on"}


def _segment(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def test_post_authorize_refuses_deeply_nested_json(live_server):
    answer = requests.post(f"{live_server.url}/authorize", data=DEEP, headers={"Content-Type": "application/json"},
                           timeout=30)
    assert 400 <= answer.status_code < 500, answer.status_code


def test_token_endpoint_refuses_a_client_assertion_with_deeply_nested_claims(live_server):
    assertion = f"{_segment(json.dumps({'alg': 'ES256', 'kid': 'k'}))}.{_segment(DEEP)}.AAAA"
    answer = requests.post(f"{live_server.url}/oauth2/token", data={
        "grant_type": "client_credentials", "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion}, timeout=30)
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client", answer.status_code


def test_registration_refuses_deeply_nested_json(live_server, runner):
    issued = runner.invoke(args=["idp", "clients", "initial-access-token", "--json"])
    token = json.loads(issued.output)["initial_access_token"]
    answer = requests.post(f"{live_server.url}/oauth2/register", data=DEEP, timeout=30,
                           headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    assert 400 <= answer.status_code < 500, answer.status_code


DEEP_POLICY = '{"Version": "2012-10-17", "Statement": ' + "[" * 1100 + "]" * 1100 + "}"


def test_post_authorize_refuses_a_deeply_nested_resource_policy(live_server):
    answer = requests.post(f"{live_server.url}/authorize", json={
        "token": "a.b.c", "audience": "https://api.example", "action": "iam:GetUser", "resource": "*",
        "resource_policy": DEEP_POLICY}, timeout=30)
    assert 400 <= answer.status_code < 500, answer.status_code


def test_validate_policy_reports_a_deeply_nested_document_as_an_error_finding(live_server, root):
    from tests.support.aws_clients import client_for

    analyzer = client_for(live_server, "accessanalyzer", root.access_key_id, root.secret_access_key)
    findings = analyzer.validate_policy(policyDocument=DEEP_POLICY, policyType="IDENTITY_POLICY")["findings"]
    # As every malformed document: an ERROR finding, not a server error.
    assert [(f["findingType"], f["issueCode"]) for f in findings] == [("ERROR", "POLICY_NESTING_EXCEEDED")]
