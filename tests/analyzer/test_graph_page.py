"""`GET /analyzer/graph` in a real browser: sign in, see the picture; strangers are refused."""
import json

import requests

from tests.analyzer.test_graph import fixture_account  # noqa: F401  (the account with a known answer)
from tests.support.signin import create_user_with_password, http_login


def sign_in(page, live_server, account, username, password):
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=account]", account)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_root_sees_the_chain_as_a_picture(page, live_server, root, fixture_account):  # noqa: F811
    sign_in(page, live_server, root.account_id, "root", root.root_password)
    page.goto(f"{live_server.url}/analyzer/graph?principal={fixture_account['alice']}")

    assert page.locator("h1").inner_text() == "Who can reach what"
    nodes = page.locator("svg g.node")
    assert sorted(nodes.nth(i).get_attribute("data-id") for i in range(nodes.count())) == sorted(
        [fixture_account["alice"], fixture_account["ops"], fixture_account["admin"]])
    assert page.locator("svg g.edge").count() == 2
    rows = page.locator("table tbody tr")
    assert rows.count() == 2
    assert "aws:MultiFactorAuthPresent = true" in rows.nth(1).inner_text() + rows.nth(0).inner_text()


def test_a_user_without_permission_is_refused(live_server, iam, root):
    create_user_with_password(iam, "viewer")
    browser = requests.Session()
    assert http_login(browser, live_server.url, root.account_id, "viewer", "Violet-Kettle-Sunrise-42").status_code \
        in (302, 303)
    answer = browser.get(f"{live_server.url}/analyzer/graph", timeout=10)
    assert answer.status_code == 403
    assert "access-analyzer:GetAccessGraph" in answer.text
    assert "<svg" not in answer.text


def test_a_user_with_read_only_analyzer_access_may_look(live_server, iam, root):
    create_user_with_password(iam, "auditor", policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["access-analyzer:Get*", "access-analyzer:List*"], "Resource": "*"}]}))
    browser = requests.Session()
    http_login(browser, live_server.url, root.account_id, "auditor", "Violet-Kettle-Sunrise-42")
    answer = browser.get(f"{live_server.url}/analyzer/graph", timeout=10)
    assert answer.status_code == 200
    assert "<svg" in answer.text and answer.headers["X-Frame-Options"] == "DENY"


def test_without_a_session_the_page_sends_you_to_sign_in(live_server):
    answer = requests.get(f"{live_server.url}/analyzer/graph", allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login?next=")
