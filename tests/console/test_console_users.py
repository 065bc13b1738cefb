"""The users pages over HTTP: keyset pages, every change audited as the API audits it, the secret shown once, a
delegated administrator refused with AWS's reason; and in Chromium: the main flow by keyboard, axe-core, the refusal."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from models.access_key import AccessKey
from models.audit import AuditEvent
from models.session import BrowserSession
from models.user import User
from tests.console.conftest import SECRET, make_user, post_form, services, sign_in, team_a_admin_policy
from tests.support.browser import screenshot
from tests.support.signin import DEFAULT_PASSWORD, stored

JS = Path(__file__).parent / "js"
AXE = JS / "node_modules" / "axe-core" / "axe.min.js"
NAMES = re.compile(r'<a href="/console/users/([^"]+)">')
POLICY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
DOCUMENT = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}'


def _names(html: str) -> list[str]:
    return NAMES.findall(html)


def _next(html: str) -> str | None:
    found = re.search(r'<a href="([^"]+)" rel="next">Next page</a>', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_the_list_pages_by_keyset_and_filters_by_name_prefix_and_path(as_root, app, root):
    from idp.iam import users

    with services(app):
        for n in range(120):
            users.create(root.account_id, f"user{n:03d}", "/team-a/" if n % 2 else "/", [])

    first = as_root.get("/console/users").get_data(as_text=True)
    second = as_root.get(_next(first)).get_data(as_text=True)
    third = as_root.get(_next(second)).get_data(as_text=True)

    assert _names(first) == [f"user{n:03d}" for n in range(50)]
    assert _next(first) == "/console/users?after=user049"
    assert _names(second) == [f"user{n:03d}" for n in range(50, 100)]
    assert _names(third) == [f"user{n:03d}" for n in range(100, 120)] and _next(third) is None
    assert _names(as_root.get("/console/users?q=USER11").get_data(as_text=True)) == [
        f"user{n:03d}" for n in range(110, 120)]
    team = as_root.get("/console/users?path=/team-a/").get_data(as_text=True)
    assert _names(team)[:3] == ["user001", "user003", "user005"] and _next(team) == (
        "/console/users?path=/team-a/&after=user099")


# Each change of the user page: (its URL under the user, its fields, the IAM action, the resource it is decided on).
CHANGES = [
    ("/tags", {"Tags.member.1.Key": "team", "Tags.member.1.Value": "a"}, "iam:TagUser", "user"),
    ("/tags/remove", {"TagKey": "team"}, "iam:UntagUser", "user"),
    ("/groups/add", {"GroupName": "devs"}, "iam:AddUserToGroup", "group"),
    ("/groups/remove", {"GroupName": "devs"}, "iam:RemoveUserFromGroup", "group"),
    ("/policies/attach", {"PolicyArn": POLICY}, "iam:AttachUserPolicy", "user"),
    ("/policies/detach", {"PolicyArn": POLICY}, "iam:DetachUserPolicy", "user"),
    ("/inline/put", {"PolicyName": "s3", "PolicyDocument": DOCUMENT}, "iam:PutUserPolicy", "user"),
    ("/inline/delete", {"PolicyName": "s3"}, "iam:DeleteUserPolicy", "user"),
    ("/boundary/set", {"PermissionsBoundary": POLICY}, "iam:PutUserPermissionsBoundary", "user"),
    ("/boundary/remove", {}, "iam:DeleteUserPermissionsBoundary", "user"),
    ("/password", {"Password": "Quiet-Meadow-Lantern-7"}, "iam:CreateLoginProfile", "user"),
    ("/password", {"Password": "Amber-Harbor-Willow-88"}, "iam:UpdateLoginProfile", "user"),
    ("/password/require-reset", {}, "iam:UpdateLoginProfile", "user"),
    ("/sessions/revoke", {"session": "all"}, "iam:UpdateLoginProfile", "user"),
    ("/password/delete", {}, "iam:DeleteLoginProfile", "user"),
    ("/mfa/deactivate", {"SerialNumber": "{serial}"}, "iam:DeactivateMFADevice", "user"),
    ("/access-keys", {}, "iam:CreateAccessKey", "user"),
    ("/access-keys/{key}/status", {"Status": "Inactive"}, "iam:UpdateAccessKey", "user"),
    ("/access-keys/{key}/delete", {}, "iam:DeleteAccessKey", "user"),
    ("/delete", {}, "iam:DeleteUser", "user"),
]


def _shown_once(client, app, created) -> tuple[str, str]:
    """The new key's id and secret, after checking that the secret is on this page and never again."""
    html = created.get_data(as_text=True)
    key_id, secret = re.search(r'id="new-key-id">([^<]+)<', html).group(1), SECRET.search(html).group(1)
    assert created.status_code == 200 and "This is the only time the secret is shown" in html
    assert created.headers["Cache-Control"] == "no-store"
    stored_key = stored(app, AccessKey, AccessKey.access_key_id == key_id)[0]
    assert secret.encode() not in stored_key.secret_encrypted
    again = client.get("/console/users/alice").get_data(as_text=True)
    assert key_id in again and secret not in again and "new-key-secret" not in again
    return key_id, secret


def test_every_change_is_audited_as_the_api_audits_it(as_root, app, root, iam):
    from idp.iam import groups, mfa_devices, users

    iam.create_user(UserName="by-api", Path="/team-a/")  # the Query API's own row, to compare with
    page = "/console/users"
    created = post_form(as_root, page, page, UserName="alice", Path="/team-a/")
    assert created.status_code == 303 and created.headers["Location"] == "/console/users/alice"
    with services(app):
        groups.create(root.account_id, "devs", "/")
        device = mfa_devices.create(root.account_id, "alice-app", "/", []).device
        mfa_devices.assign(device, users.get(root.account_id, "alice"))
        serial = device.serial_number
    user_arn = f"arn:aws:iam::{root.account_id}:user/team-a/alice"
    resources = {"user": user_arn, "group": f"arn:aws:iam::{root.account_id}:group/devs"}
    key = None

    for suffix, form, action, resource in CHANGES:
        page = "/console/users/alice"
        url = page + suffix.format(key=key)
        answer = post_form(as_root, page, url, **{k: v.replace("{serial}", serial) for k, v in form.items()})

        assert answer.status_code in (200, 303), (url, answer.get_data(as_text=True)[-2000:])
        if action == "iam:CreateAccessKey":
            key, _secret = _shown_once(as_root, app, answer)
        last = [e for e in stored(app, AuditEvent, AuditEvent.action.startswith("iam:"))
                if not e.action.startswith(("iam:Get", "iam:List"))][-1]  # the page shown after reads too
        assert (last.action, last.resource, last.decision, last.actor) == (
            action, resources[resource], "Allow", f"arn:aws:iam::{root.account_id}:root"), url

    api, console = (stored(app, AuditEvent, AuditEvent.action == "iam:CreateUser", AuditEvent.resource == arn)[0]
                    for arn in (f"arn:aws:iam::{root.account_id}:user/team-a/by-api", user_arn))
    assert (console.actor, console.decision, console.account_id) == (api.actor, api.decision, api.account_id)
    assert set(console.detail or {}) <= set(api.detail or {})  # the API's row names the access key too
    assert [u.name for u in stored(app, User)] == ["by-api"]


def test_a_delegated_admin_manages_its_team_and_sees_the_others_refused_in_place(client, app, root):
    make_user(app, root.account_id, "helpdesk", path="/team-a/", policy=team_a_admin_policy(root.account_id))
    make_user(app, root.account_id, "carol", path="/team-a/")
    make_user(app, root.account_id, "bob")
    sign_in(client, root.account_id, "helpdesk")
    me = f"arn:aws:iam::{root.account_id}:user/team-a/helpdesk"

    team = client.get("/console/users?path=/team-a/").get_data(as_text=True)
    everyone = client.get("/console/users").get_data(as_text=True)
    allowed = post_form(client, "/console/users/carol", "/console/users/carol/access-keys")
    refused = post_form(client, "/console/users/bob", "/console/users/bob/access-keys")
    ghost = client.get("/console/users/ghost")

    assert _names(team) == ["carol", "helpdesk"]
    assert (f"User: {me} is not authorized to perform: iam:ListUsers on resource: "
            f"arn:aws:iam::{root.account_id}:user/* because no identity-based policy allows the iam:ListUsers "
            "action") in everyone
    assert allowed.status_code == 200 and SECRET.search(allowed.get_data(as_text=True))
    html = refused.get_data(as_text=True)
    reason = (f"User: {me} is not authorized to perform: iam:CreateAccessKey on resource: "
              f"arn:aws:iam::{root.account_id}:user/bob because no identity-based policy allows the "
              "iam:CreateAccessKey action")
    assert refused.status_code == 403 and reason in html
    form = html.split('action="/console/users/bob/access-keys"', 1)[1].split("</form>", 1)[0]
    assert 'id="create-access-key"' in form and reason in form  # the control stays, with the reason beside it
    assert SECRET.search(html) is None
    assert [k.user_id for k in stored(app, AccessKey, AccessKey.user_id.is_not(None))] == [
        u.id for u in stored(app, User, User.name == "carol")]
    denied = stored(app, AuditEvent, AuditEvent.action == "iam:CreateAccessKey", AuditEvent.decision != "Allow")
    assert [(e.actor, e.resource) for e in denied] == [(me, f"arn:aws:iam::{root.account_id}:user/bob")]
    assert stored(app, BrowserSession)  # the refusal signs nobody out
    # A missing user outside its reach is refused, not "not found": existence is not disclosed (as at the API).
    assert ghost.status_code == 403 and "iam:GetUser on resource: " in ghost.get_data(as_text=True)


def _tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until `selector` has the focus (keyboard only)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe-core's static script, installed into tests/console/js/node_modules (ignored by git) on first use."""
    if not AXE.exists():
        if shutil.which("npm") is None:
            pytest.fail("npm is needed for the console's accessibility check (apt-get install nodejs npm)")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=JS, check=True, capture_output=True, timeout=300)
    return AXE


def _no_serious_axe_violations(page, script: Path) -> None:
    # The static axe-core script, run through the DevTools protocol: the pages' CSP (script-src 'self') refuses
    # an injected <script> element, and must stay on for the rest of the flow.
    page.evaluate(script.read_text())
    violations = page.evaluate("async () => (await axe.run()).violations.map(v => [v.id, v.impact, v.help])")
    assert [v for v in violations if v[1] in ("serious", "critical")] == []


def test_in_chromium_by_keyboard_root_creates_a_user_and_a_key_and_a_delegated_admin_is_refused(
        browser, axe_script, live_server, root, app):
    make_user(app, root.account_id, "helpdesk", path="/team-a/", policy=team_a_admin_policy(root.account_id))
    make_user(app, root.account_id, "bob", password=None)
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/console/")  # not signed in: the login page, coming back here
    _tab_to(page, "#account")
    for value in (root.account_id, "root", root.root_password):
        page.keyboard.type(value)
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # on the Sign in button
    page.wait_for_selector("#root-banner")
    screenshot(page, "console-dashboard")

    _tab_to(page, 'a[href="/console/users"]')
    page.keyboard.press("Enter")
    page.wait_for_selector("#create-user")
    _tab_to(page, "#field-UserName")
    page.keyboard.type("dana")
    page.keyboard.press("Tab")
    page.keyboard.type("/team-a/")
    page.keyboard.press("Enter")
    page.wait_for_selector("#user-arn")
    _tab_to(page, "#create-access-key")
    page.keyboard.press("Enter")
    secret = page.text_content("#new-key-secret")
    assert secret and page.is_visible("#secret-once")
    # The richest page: every kind of section, form and table, and the secret box.
    _no_serious_axe_violations(page, axe_script)
    screenshot(page, "console-user")
    page.reload()
    assert secret not in page.content()
    context.close()

    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/console/users/dana")
    page.fill("#account", root.account_id)
    page.fill("#username", "helpdesk")
    page.fill("#password", DEFAULT_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("#user-arn")
    page.goto(f"{live_server.url}/console/users/bob")
    page.click("#create-access-key")
    beside = page.locator('form[action="/console/users/bob/access-keys"] .refusal')
    assert "is not authorized to perform: iam:CreateAccessKey on resource: " in beside.text_content()
    assert page.is_visible("#create-access-key") and not page.is_visible("#secret-once")
    screenshot(page, "console-delegated-refused")
    context.close()
