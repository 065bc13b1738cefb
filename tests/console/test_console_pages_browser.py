"""The console's group, role, policy, application, identity-provider and analyzer pages in a real browser (Debian's
Chromium through Playwright): roles -> the policy editor (findings shown before saving) -> the simulator panel,
with a screenshot of every page in tests/artifacts/."""
from __future__ import annotations

from tests.support.browser import screenshot

TYPO = '{"Version": "2012-10-17",\n "Statement": [{"Effect": "Allow", "Action": "iam:GetUsr", "Resource": "*"}]}'


def _sign_in_as_root(page, base_url: str, root) -> None:
    page.goto(f"{base_url}/login?next=/console/roles")
    page.get_by_label("Account ID or alias").fill(root.account_id)
    page.get_by_label("User name").fill("root")
    page.get_by_label("Password").fill(root.root_password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{base_url}/console/roles")


def test_roles_then_the_policy_editor_then_the_simulator(page, live_server, root):
    base = live_server.url
    _sign_in_as_root(page, base, root)
    screenshot(page, "console-roles")
    page.get_by_label("Role name").fill("reader")
    page.get_by_role("button", name="Create role").click()
    page.wait_for_url(f"{base}/console/roles/reader")

    page.goto(f"{base}/console/policies/new")
    page.get_by_label("Policy name").fill("readers")
    page.get_by_label("Policy document (JSON)").fill(TYPO)
    finding = page.locator('#policy-document-findings li[data-issue-code="INVALID_ACTION"]')
    finding.wait_for()
    assert finding.inner_text().startswith("line 2, column ")
    assert "Did you mean iam:GetUser?" in finding.inner_text()
    page.get_by_role("button", name="Create policy").click()  # held back: the document has an ERROR finding
    page.locator("#policy-document-status").get_by_text("to fix before saving").wait_for()
    assert page.url == f"{base}/console/policies/new"
    screenshot(page, "console-policy-editor")
    page.get_by_label("Policy document (JSON)").fill(TYPO.replace("GetUsr", "GetUser"))
    page.get_by_text("No findings: the policy is valid.").wait_for()
    page.get_by_role("button", name="Create policy").click()
    page.wait_for_url(f"{base}/console/policies/arn:aws:iam::{root.account_id}:policy/readers")
    screenshot(page, "console-policy")

    page.goto(f"{base}/console/roles/reader")
    page.get_by_label("Policy ARN", exact=True).fill(f"arn:aws:iam::{root.account_id}:policy/readers")
    page.get_by_role("button", name="Attach policy").click()
    page.wait_for_url(f"{base}/console/roles/reader")
    page.get_by_label("Action", exact=True).fill("iam:GetUser")
    page.get_by_role("button", name="Simulate").click()
    assert page.locator("#sim-decision").inner_text() == "allowed"
    assert f"arn:aws:iam::{root.account_id}:policy/readers" in page.locator("#sim-statements").inner_text()
    screenshot(page, "console-role-simulator")

    for path, name in (("/console/groups", "groups"), ("/console/applications", "applications"),
                       ("/console/identity-providers", "identity-providers"),
                       ("/console/access-analyzer", "access-analyzer"),
                       ("/console/access-analyzer/unused", "unused-access"),
                       ("/console/access-analyzer/graph", "access-graph")):
        page.goto(base + path)
        if name in ("access-analyzer", "unused-access"):  # the analyzer is made here, then its findings shown
            page.get_by_role("button", name="Create").click()
            page.wait_for_url(base + path)
        assert page.locator("h1").count() == 1
        screenshot(page, f"console-{name}")
