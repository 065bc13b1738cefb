"""The console's identity-provider and access-analyzer pages over HTTP: IAM OIDC providers, upstream federation
documents, findings archived and unarchived, the access graph search, the unused-access report; refusals and
CSRF."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from html import unescape

import pytest

from idp.clock import FixedClock
from models.audit import AuditEvent
from models.federation import UpstreamProvider
from models.finding import AnalyzerFinding
from models.oidc_provider import OidcProvider
from tests.console.conftest import make_user, post_form, sign_in
from tests.support.signin import stored

PAGE = "/console/identity-providers"
THUMBPRINT = "a" * 40
UPSTREAM = {"name": "corp", "issuer": "https://login.corp.example", "client_id": "console", "client_secret": "s3cr3t",
            "scopes": ["openid", "email"], "groups": [{"claim": "groups", "match": "exact", "value": "eng",
                                                       "group": "eng"}]}


@pytest.fixture
def clock(app_config):
    """The app's clock, movable (for the unused-access report)."""
    moving = FixedClock(datetime(2026, 3, 1, tzinfo=timezone.utc))
    app_config["IDP_CLOCK"] = moving
    return moving


def _signed_in_through(app, upstream: str, subject: str) -> None:
    """A first sign-in through the upstream, as its callback does it (the federation service), linking an identity."""
    from idp import work
    from idp.federation import identities, registry
    from idp.federation.relying_party import UpstreamIdentity

    with app.test_request_context(), work.unit_of_work():
        identities.sign_in(registry.get(upstream), UpstreamIdentity(upstream, subject, {"sub": subject}))


def _allowed(app, *actions: str) -> list[str]:
    return [e.action for e in stored(app, AuditEvent, AuditEvent.action.in_(actions), AuditEvent.decision == "Allow")]


def test_iam_oidc_providers_are_added_edited_and_deleted(as_root, root, app):
    added = post_form(as_root, PAGE, PAGE + "/oidc", Url="https://token.example", ClientIDList="sts.amazonaws.com")
    assert added.status_code == 303, added.get_data(as_text=True)[-1500:]
    arn = f"arn:aws:iam::{root.account_id}:oidc-provider/token.example"
    for url, form in (("/oidc/client-ids", {"ClientID": "web"}),
                      ("/oidc/client-ids/remove", {"ClientID": "sts.amazonaws.com"}),
                      ("/oidc/thumbprints", {"ThumbprintList": THUMBPRINT})):
        assert post_form(as_root, PAGE, PAGE + url, OpenIDConnectProviderArn=arn, **form).status_code == 303, url
    provider = next(p for p in stored(app, OidcProvider) if p.arn == arn)
    assert provider.client_ids == ["web"] and provider.thumbprints == [THUMBPRINT]
    bad = post_form(as_root, PAGE, PAGE + "/oidc/thumbprints", OpenIDConnectProviderArn=arn, ThumbprintList="z" * 40)
    assert bad.status_code == 400 and "is not a hex-encoded SHA-1 hash" in bad.get_data(as_text=True)
    assert post_form(as_root, PAGE, PAGE + "/oidc/delete", OpenIDConnectProviderArn=arn).status_code == 303
    assert all(p.arn != arn for p in stored(app, OidcProvider))
    assert _allowed(app, "iam:CreateOpenIDConnectProvider", "iam:AddClientIDToOpenIDConnectProvider",
                    "iam:RemoveClientIDFromOpenIDConnectProvider", "iam:UpdateOpenIDConnectProviderThumbprint",
                    "iam:DeleteOpenIDConnectProvider") == [
        "iam:CreateOpenIDConnectProvider", "iam:AddClientIDToOpenIDConnectProvider",
        "iam:RemoveClientIDFromOpenIDConnectProvider", "iam:UpdateOpenIDConnectProviderThumbprint",
        "iam:UpdateOpenIDConnectProviderThumbprint", "iam:DeleteOpenIDConnectProvider"]  # allowed, then refused


def test_an_upstream_is_added_from_its_document_tested_edited_and_removed(as_root, root, app):
    added = post_form(as_root, PAGE, PAGE + "/upstreams", document=json.dumps(UPSTREAM))
    assert added.status_code == 303 and added.headers["Location"].endswith("/upstreams/corp")
    page = PAGE + "/upstreams/corp"
    html = as_root.get(page).get_data(as_text=True)
    assert 'data-upstream="corp" href="/login/upstream/corp?next=' in html and "s3cr3t" not in html
    assert "/login/upstream/corp/callback" in html

    other_account = post_form(as_root, page, page, document=json.dumps({**UPSTREAM, "account": "999999999999"}))
    assert other_account.status_code == 400 and "signs in to this account" in other_account.get_data(as_text=True)
    invalid = post_form(as_root, page, page, document=json.dumps({**UPSTREAM, "issuer": "http://corp.example"}))
    assert invalid.status_code == 400 and "issuer must use https" in invalid.get_data(as_text=True)
    shown = json.loads(unescape(re.search(r'name="document"[^>]*>([^<]*)</textarea>', html).group(1)))
    assert "client_secret" not in shown and shown["groups"] == UPSTREAM["groups"] and "account" not in shown
    _signed_in_through(app, "corp", "u-42")
    listed = as_root.get(page).get_data(as_text=True)
    assert "<code>u-42</code>" in listed and 'name="link_id"' in listed
    link_id = re.search(r'name="link_id" value="(\d+)"', listed).group(1)
    assert post_form(as_root, page, page + "/links/remove", link_id=link_id).status_code == 303
    assert stored(app, AuditEvent, AuditEvent.action == "federation_unlinked")
    edited = post_form(as_root, page, page,
                       document=json.dumps({**shown, "client_secret": "n3w", "display_name": "Corp SSO"}))
    assert edited.status_code == 303 and stored(app, UpstreamProvider)[0].display_name == "Corp SSO"
    assert post_form(as_root, page, page + "/remove").status_code == 303 and stored(app, UpstreamProvider) == []
    assert [e.action for e in stored(app, AuditEvent, AuditEvent.action.like("federation:%Upstream"),
                                     AuditEvent.actor.is_(None))] == [
        "federation:AddUpstream", "federation:UpdateUpstream", "federation:RemoveUpstream"]


def test_a_delegated_admin_is_refused_upstreams_with_aws_reason(client, root, app):
    account = root.account_id
    make_user(app, account, "idpadmin", policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:*OpenIDConnectProvider*", "Resource": "*"}]}))
    sign_in(client, account, "idpadmin")

    answer = post_form(client, PAGE, PAGE + "/upstreams", document=json.dumps(UPSTREAM))

    html = answer.get_data(as_text=True)
    assert answer.status_code == 403 and stored(app, UpstreamProvider) == [] and 'id="add-upstream"' in html
    assert (f"not authorized to perform: federation:AddUpstream on resource: arn:aws:federation::{account}:upstream/"
            "corp because no identity-based policy allows the federation:AddUpstream action") in html


def test_findings_are_listed_archived_and_unarchived(as_root, root, app):
    outsider = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "sts:AssumeRole"}]})
    post_form(as_root, "/console/roles", "/console/roles", RoleName="vendor", AssumeRolePolicyDocument=outsider)
    page = "/console/access-analyzer"
    assert post_form(as_root, page, page + "/analyzers", analyzerName="account", type="ACCOUNT").status_code == 303
    html = as_root.get(page).get_data(as_text=True)
    assert f"arn:aws:iam::{root.account_id}:role/vendor" in html and "AWS: 999999999999" in html
    [finding] = stored(app, AnalyzerFinding)

    for shown, status in (("ACTIVE", "ARCHIVED"), ("ARCHIVED", "ACTIVE")):
        answer = post_form(as_root, f"{page}?status={shown}", page + "/findings", analyzer="account",
                           finding_id=finding.finding_id, status=status)
        assert answer.status_code == 303 and stored(app, AnalyzerFinding)[0].status == status
        if status == "ARCHIVED":
            assert f"finding-{finding.finding_id}" in as_root.get(page + "?status=ARCHIVED").get_data(as_text=True)
    assert [e.action for e in stored(app, AuditEvent, AuditEvent.action.in_(
        ["access-analyzer:FindingArchived", "access-analyzer:FindingActive"]))][-2:] == [
        "access-analyzer:FindingArchived", "access-analyzer:FindingActive"]
    graph = as_root.get(page + "/graph?q=vendor").get_data(as_text=True)
    assert "<svg" in graph and f"<code>arn:aws:iam::{root.account_id}:role/vendor</code>" in graph


def test_the_unused_access_report_lists_what_nobody_used(clock, as_root, root, app):
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{root.account_id}:root"}, "Action": "sts:AssumeRole"}]})
    post_form(as_root, "/console/roles", "/console/roles", RoleName="idle", AssumeRolePolicyDocument=trust)
    page = "/console/access-analyzer/unused"
    post_form(as_root, page, "/console/access-analyzer/analyzers", analyzerName="unused", type="ACCOUNT_UNUSED_ACCESS",
              unused_access_age="1")
    clock.advance(3 * 86400)
    sign_in(as_root, root.account_id, "root", root.root_password)

    html = as_root.get(page).get_data(as_text=True)

    assert "UnusedIAMRole" in html and f"arn:aws:iam::{root.account_id}:role/idle" in html


def test_every_identity_provider_and_analyzer_form_refuses_a_post_without_a_valid_csrf_token(as_root, root, app):
    before = len(stored(app, AuditEvent))
    arn = f"arn:aws:iam::{root.account_id}:oidc-provider/token.example"
    provider = {"OpenIDConnectProviderArn": arn, "ClientID": "web", "ThumbprintList": THUMBPRINT}
    forms = [(PAGE + "/oidc", {"Url": "https://token.example"}), (PAGE + "/oidc/client-ids", provider),
             (PAGE + "/oidc/client-ids/remove", provider), (PAGE + "/oidc/thumbprints", provider),
             (PAGE + "/oidc/delete", provider), (PAGE + "/upstreams", {"document": json.dumps(UPSTREAM)}),
             (PAGE + "/upstreams/corp", {"document": json.dumps(UPSTREAM)}), (PAGE + "/upstreams/corp/remove", {}),
             (PAGE + "/upstreams/corp/links/remove", {"link_id": "1"}),
             ("/console/access-analyzer/analyzers", {"analyzerName": "a", "type": "ACCOUNT"}),
             ("/console/access-analyzer/findings", {"analyzer": "a", "finding_id": "x", "status": "ARCHIVED"})]
    for url, form in forms:
        for token in ({}, {"csrf_token": "IjAwMDAi.AAAAAA.forged"}):
            answer = as_root.post(url, data={"back": PAGE, **token, **form})
            assert answer.status_code == 400 and "The form was not sent from this site" in answer.get_data(
                as_text=True), url
    assert len(stored(app, AuditEvent)) == before
