"""Token exchange (RFC 8693) at the token endpoint, decided by a client-attached policy (the shared authorizer)."""
from __future__ import annotations

import json
import subprocess

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from models.audit import AuditEvent
from tests.oidc.test_openid_client import node_rp  # noqa: F401
from tests.support import test_issuer
from tests.support.aws_clients import client_for
from tests.support.signin import stored

external_issuer = test_issuer.external_issuer

TE = "urn:ietf:params:oauth:grant-type:token-exchange"
AT = "urn:ietf:params:oauth:token-type:access_token"
IDT = "urn:ietf:params:oauth:token-type:id_token"
REPORTS = "https://api.example/reports"
EXTERNAL_AUD = "gateway.example"


def policy(account_id: str, audiences: list[str], issuers: list[str]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "oidc:TokenExchange",
        "Resource": [f"arn:aws:oidc::{account_id}:audience/{a}" for a in audiences],
        "Condition": {"StringEquals": {"oidc:SubjectIssuer": issuers}}}]})


@pytest.fixture
def gateway(make_client, root, live_server, external_issuer):
    """A confidential client that may exchange our tokens and the external issuer's for the reports API."""
    document = policy(root.account_id, [REPORTS, live_server.url], [live_server.url, external_issuer.issuer])
    return make_client("--name", "Gateway", "--grant-type", TE, "--scope", "openid", "--scope", "profile",
                       "--scope", "email", "--token-exchange-policy", document)


@pytest.fixture
def alice_tokens(code_for, redeem, web_client):
    code, verifier = code_for(web_client)
    answer = redeem(web_client, code, verifier)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture
def exchange(token_request):
    def run(client: dict, subject_token: str, subject_token_type: str = AT, **form) -> requests.Response:
        return token_request(client, grant_type=TE, subject_token=subject_token,
                             subject_token_type=subject_token_type, **form)

    return run


def claims_of(live_server, token: str) -> dict:
    keys = KeySet.import_key_set(requests.get(f"{live_server.url}/.well-known/jwks.json", timeout=30).json())
    return jwt.decode(token, keys).claims


def exchanges(app) -> list[AuditEvent]:
    return stored(app, AuditEvent, AuditEvent.action == "oauth:TokenExchange")


def test_discovery_advertises_token_exchange(live_server):
    metadata = requests.get(f"{live_server.url}/.well-known/openid-configuration", timeout=30).json()
    assert TE in metadata["grant_types_supported"]


def test_openid_client_exchanges_an_access_token_for_a_narrower_one(node_rp, live_server, gateway,  # noqa: F811
                                                                   alice_tokens, alice):
    document = {"issuer": live_server.url, "client_id": gateway["client_id"],
                "auth": {"method": "client_secret_basic", "secret": gateway["client_secret"]},
                "parameters": {"subject_token": alice_tokens["access_token"], "subject_token_type": AT,
                               "audience": REPORTS, "scope": "openid profile"}}
    done = subprocess.run(["node", str(node_rp), "token-exchange", json.dumps(document)], capture_output=True,
                          text=True, timeout=60)
    output = json.loads(done.stdout)
    assert output["ok"] and "refused" not in output, (output, done.stderr[-1000:])
    response = output["response"]
    assert response["issued_token_type"] == AT and response["token_type"].lower() == "bearer"
    assert response["scope"] == "openid profile"
    claims = claims_of(live_server, response["access_token"])
    assert claims["aud"] == REPORTS and claims["sub"] == alice["UserId"]
    assert claims["client_id"] == gateway["client_id"] and "act" not in claims


def test_actor_token_becomes_act(live_server, gateway, alice_tokens, exchange, service_client, token_request):
    actor = token_request(service_client, grant_type="client_credentials").json()["access_token"]
    answer = exchange(gateway, alice_tokens["access_token"], audience=REPORTS, actor_token=actor,
                      actor_token_type=AT)
    assert answer.status_code == 200, answer.text
    claims = claims_of(live_server, answer.json()["access_token"])
    assert claims["act"] == {"sub": service_client["client_id"], "iss": live_server.url}


def test_id_token_for_an_audience(live_server, gateway, alice_tokens, exchange, alice):
    answer = exchange(gateway, alice_tokens["id_token"], IDT, audience=REPORTS, requested_token_type=IDT)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["issued_token_type"] == IDT and body["token_type"] == "N_A"
    claims = claims_of(live_server, body["access_token"])
    assert claims["aud"] == REPORTS and claims["sub"] == alice["UserId"]


def test_without_audience_the_token_is_for_this_issuer_and_userinfo_accepts_it(live_server, gateway, alice_tokens,
                                                                             exchange):
    answer = exchange(gateway, alice_tokens["access_token"], scope="openid")
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    assert claims_of(live_server, token)["aud"] == live_server.url
    userinfo = requests.get(f"{live_server.url}/oauth2/userinfo", headers={"Authorization": f"Bearer {token}"},
                            timeout=30)
    assert userinfo.status_code == 200 and userinfo.json()["sub"] == claims_of(live_server, token)["sub"]


def test_token_of_a_registered_iam_oidc_provider(live_server, gateway, exchange, external_issuer, iam):
    iam.create_open_id_connect_provider(Url=external_issuer.issuer, ClientIDList=[EXTERNAL_AUD])
    subject = external_issuer.mint({"sub": "ext-user-1", "aud": EXTERNAL_AUD})
    answer = exchange(gateway, subject, "urn:ietf:params:oauth:token-type:jwt", audience=REPORTS, scope="openid")
    assert answer.status_code == 200, answer.text
    claims = claims_of(live_server, answer.json()["access_token"])
    assert claims["sub"] == f"{external_issuer.issuer}#ext-user-1"
    assert claims["subject_issuer"] == external_issuer.issuer and claims["aud"] == REPORTS


def test_unregistered_issuer_is_refused(app, gateway, exchange, external_issuer):
    subject = external_issuer.mint({"sub": "ext-user-1", "aud": EXTERNAL_AUD})
    answer = exchange(gateway, subject, "urn:ietf:params:oauth:token-type:jwt", audience=REPORTS)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
    assert "No OpenIDConnect provider" in answer.json()["error_description"]
    assert not exchanges(app)


def test_wrong_audience_is_refused(app, gateway, alice_tokens, exchange):
    answer = exchange(gateway, alice_tokens["access_token"], audience="https://payroll.example")
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_target"
    assert "is not authorized to perform: oidc:TokenExchange" in answer.json()["error_description"]
    both = exchange(gateway, alice_tokens["access_token"], audience=REPORTS, resource="https://payroll.example/")
    assert both.json()["error"] == "invalid_target"
    assert not exchanges(app)


def test_expired_subject_token_is_refused(app, gateway, alice_tokens, exchange, test_clock):
    test_clock.advance(3600 + 61)
    answer = exchange(gateway, alice_tokens["access_token"], audience=REPORTS)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
    assert "expired" in answer.json()["error_description"]
    assert not exchanges(app)


def test_client_whose_policy_does_not_allow_the_issuer(app, make_client, root, alice_tokens, exchange):
    only_external = make_client("--name", "Partner gateway", "--grant-type", TE, "--scope", "openid",
                                "--token-exchange-policy", policy(root.account_id, [REPORTS], ["https://corp.example"]))
    answer = exchange(only_external, alice_tokens["access_token"], audience=REPORTS, scope="openid")
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_target"
    assert "because no identity-based policy allows the oidc:TokenExchange action" in answer.json()[
        "error_description"]
    assert not exchanges(app)


def test_client_without_a_policy_or_the_grant_is_refused(make_client, alice_tokens, exchange):
    no_policy = make_client("--name", "No policy", "--grant-type", TE, "--scope", "openid")
    answer = exchange(no_policy, alice_tokens["access_token"], audience=REPORTS)
    assert answer.status_code == 400 and answer.json()["error"] == "unauthorized_client"
    no_grant = make_client("--name", "No grant", "--grant-type", "client_credentials", "--scope", "x")
    assert exchange(no_grant, alice_tokens["access_token"]).json()["error"] == "unauthorized_client"


def test_scope_cannot_widen(gateway, alice_tokens, exchange, make_client, root, live_server):
    narrow = exchange(gateway, alice_tokens["access_token"], scope="openid").json()["access_token"]
    wider = exchange(gateway, narrow, scope="openid profile")
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"


def test_revoked_or_forged_subject_tokens_are_refused(gateway, alice_tokens, exchange, web_client, live_server):
    header, payload, signature = alice_tokens["access_token"].split(".")
    forged = exchange(gateway, f"{header}.{payload}.{signature[:-4]}AAAA", audience=REPORTS)
    assert forged.json()["error"] == "invalid_grant"
    requests.post(f"{live_server.url}/oauth2/revoke", auth=(web_client["client_id"], web_client["client_secret"]),
                  data={"token": alice_tokens["refresh_token"]}, timeout=30)
    revoked = exchange(gateway, alice_tokens["access_token"], audience=REPORTS)
    assert revoked.json()["error"] == "invalid_grant" and "revoked" in revoked.json()["error_description"]


def test_an_id_token_is_not_an_access_token(gateway, alice_tokens, exchange):
    answer = exchange(gateway, alice_tokens["id_token"], AT, audience=REPORTS)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_malformed_policy_is_refused_at_registration(app, root):
    result = app.test_cli_runner().invoke(args=[
        "idp", "clients", "create", "--json", "--name", "Bad", "--grant-type", TE, "--scope", "openid",
        "--token-exchange-policy", '{"Version": "2012-10-17", "Statement": [{"Effect": "Maybe"}]}'])
    assert result.exit_code != 0 and "token exchange policy" in result.output


def test_the_client_policy_is_validated_like_any_other_policy(app, live_server, root, gateway):
    """Written once, read back from the client, checked by Access Analyzer's ValidatePolicy (boto3)."""
    shown = app.test_cli_runner().invoke(args=["idp", "clients", "show", "--json", gateway["client_id"]])
    document = json.loads(shown.output)["token_exchange_policy"]
    analyzer = client_for(live_server, "accessanalyzer", root.access_key_id, root.secret_access_key)
    findings = analyzer.validate_policy(policyDocument=document, policyType="IDENTITY_POLICY")["findings"]
    assert findings == []
    typo = document.replace("oidc:TokenExchange", "oidc:TokenExchang")
    findings = analyzer.validate_policy(policyDocument=typo, policyType="IDENTITY_POLICY")["findings"]
    assert [f["issueCode"] for f in findings] == ["INVALID_ACTION"]
    assert "Did you mean oidc:TokenExchange?" in findings[0]["findingDetails"]


# Never wider than the subject, and bound to its grant (issue 13, class 7).

def introspected(live_server, client: dict, token: str) -> dict:
    return requests.post(f"{live_server.url}/oauth2/introspect", data={"token": token},
                         auth=(client["client_id"], client["client_secret"]), timeout=30).json()


def userinfo_status(live_server, token: str) -> int:
    return requests.get(f"{live_server.url}/oauth2/userinfo", headers={"Authorization": f"Bearer {token}"},
                        timeout=30).status_code


def test_an_openid_only_id_token_never_exchanges_for_more(app, live_server, gateway, web_client, code_for, redeem,
                                                         exchange):
    code, verifier = code_for(web_client, scope="openid")
    id_token = redeem(web_client, code, verifier).json()["id_token"]
    for wider in ("openid profile email offline_access", "openid profile"):
        refused = exchange(gateway, id_token, IDT, scope=wider)
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"
    assert not exchanges(app)
    refusals = stored(app, AuditEvent, AuditEvent.action == "oauth:TokenExchangeRefused")
    assert [(e.decision, e.detail["error"]) for e in refusals] == [("Deny", "invalid_scope")] * 2
    answer = exchange(gateway, id_token, IDT)
    assert answer.status_code == 200, answer.text
    assert answer.json()["scope"] == "openid"
    claims = claims_of(live_server, answer.json()["access_token"])
    assert claims["scope"] == "openid" and claims["gid"] == claims_of(live_server, id_token)["gid"]


def test_revoking_the_subjects_grant_kills_the_exchanged_token(live_server, gateway, web_client, alice_tokens,
                                                              exchange):
    from_id_token = exchange(gateway, alice_tokens["id_token"], IDT, scope="openid").json()["access_token"]
    from_access_token = exchange(gateway, alice_tokens["access_token"], scope="openid").json()["access_token"]
    for token in (from_id_token, from_access_token):
        assert introspected(live_server, gateway, token)["active"] is True
        assert userinfo_status(live_server, token) == 200
    revoked = requests.post(f"{live_server.url}/oauth2/revoke", data={"token": alice_tokens["refresh_token"]},
                            auth=(web_client["client_id"], web_client["client_secret"]), timeout=30)
    assert revoked.status_code == 200
    for token in (from_id_token, from_access_token):
        assert introspected(live_server, gateway, token) == {"active": False}
        assert userinfo_status(live_server, token) == 401
    # The revoked grant's ID token exchanges for nothing any more.
    again = exchange(gateway, alice_tokens["id_token"], IDT, scope="openid")
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_ending_the_subjects_session_kills_the_exchanged_token(live_server, gateway, alice_http, alice_tokens,
                                                              exchange):
    exchanged = exchange(gateway, alice_tokens["id_token"], IDT, scope="openid").json()["access_token"]
    assert userinfo_status(live_server, exchanged) == 200
    logout = alice_http.get("/oauth2/logout", id_token_hint=alice_tokens["id_token"])
    assert logout.status_code in (200, 302, 303), logout.text[:300]
    assert introspected(live_server, gateway, exchanged) == {"active": False}
    assert userinfo_status(live_server, exchanged) == 401


def test_a_token_of_no_grant_exchanges_as_before(live_server, gateway, service_client, token_request, exchange,
                                                 make_client):
    """A client's own (client_credentials) token has no grant: its scope bounds the exchange, nothing more."""
    policy_client = make_client("--name", "Worker gateway", "--grant-type", TE, "--scope", "reports.read",
                                "--scope", "reports.write", "--token-exchange-policy", json.dumps({
                                    "Version": "2012-10-17", "Statement": [{
                                        "Effect": "Allow", "Action": "oidc:TokenExchange", "Resource": "*"}]}))
    own = token_request(service_client, grant_type="client_credentials", scope="reports.read").json()["access_token"]
    answer = exchange(policy_client, own)
    assert answer.status_code == 200, answer.text
    claims = claims_of(live_server, answer.json()["access_token"])
    assert claims["scope"] == "reports.read" and "gid" not in claims
    wider = exchange(policy_client, own, scope="reports.write")
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"


def test_every_exchange_decision_reaches_the_audit_log(app, live_server, gateway, alice_tokens, exchange):
    allowed = exchange(gateway, alice_tokens["access_token"], audience=REPORTS)
    refused = exchange(gateway, alice_tokens["access_token"], audience="https://elsewhere.example/api")
    assert allowed.status_code == 200 and refused.json()["error"] == "invalid_target"
    decided = stored(app, AuditEvent, AuditEvent.action == "oidc:TokenExchange")
    assert [(e.decision, e.resource.rsplit("/", 1)[-1]) for e in decided] == [
        ("Allow", REPORTS.rsplit("/", 1)[-1]), ("ImplicitDeny", "api")]
