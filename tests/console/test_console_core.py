"""The console's framework over HTTP: sign-in, the layout, the dashboard, CSRF on every form, refusals in place."""
from __future__ import annotations

import json
import re

from models.audit import AuditEvent
from models.user import User
from tests.console.conftest import make_user, post_form, sign_in
from tests.support.signin import stored

# Every console form of this brief: (the page it is on, the URL it posts to, its fields).
FORMS = [
    ("/console/users", "/console/users", {"UserName": "mallory"}),
    ("/console/users/alice", "/console/users/alice/delete", {}),
    ("/console/users/alice", "/console/users/alice/groups/add", {"GroupName": "g"}),
    ("/console/users/alice", "/console/users/alice/groups/remove", {"GroupName": "g"}),
    ("/console/users/alice", "/console/users/alice/policies/attach",
     {"PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
    ("/console/users/alice", "/console/users/alice/policies/detach",
     {"PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
    ("/console/users/alice", "/console/users/alice/inline/put", {"PolicyName": "p", "PolicyDocument": "{}"}),
    ("/console/users/alice", "/console/users/alice/inline/delete", {"PolicyName": "p"}),
    ("/console/users/alice", "/console/users/alice/boundary/set",
     {"PermissionsBoundary": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
    ("/console/users/alice", "/console/users/alice/boundary/remove", {}),
    ("/console/users/alice", "/console/users/alice/access-keys", {}),
    ("/console/users/alice", "/console/users/alice/access-keys/AKIAEXAMPLEEXAMPLE/status", {"Status": "Inactive"}),
    ("/console/users/alice", "/console/users/alice/access-keys/AKIAEXAMPLEEXAMPLE/delete", {}),
    ("/console/users/alice", "/console/users/alice/password", {"Password": "Quiet-Meadow-Lantern-7"}),
    ("/console/users/alice", "/console/users/alice/password/require-reset", {}),
    ("/console/users/alice", "/console/users/alice/password/delete", {}),
    ("/console/users/alice", "/console/users/alice/mfa/deactivate", {"SerialNumber": "arn:aws:iam::1:mfa/x"}),
    ("/console/users/alice", "/console/users/alice/tags", {"Tags.member.1.Key": "team", "Tags.member.1.Value": "a"}),
    ("/console/users/alice", "/console/users/alice/tags/remove", {"TagKey": "team"}),
    ("/console/users/alice", "/console/users/alice/sessions/revoke", {"session": "all"}),
]


def _changes(app) -> list[str]:
    return [e.action for e in stored(app, AuditEvent, AuditEvent.action.startswith("iam:"),
                                     AuditEvent.decision == "Allow")]


def test_a_browser_that_is_not_signed_in_is_sent_to_sign_in_and_back(client, root):
    answer = client.get("/console/users?q=a")

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/login?next=/console/users?q%3Da"


def test_root_sees_the_nav_the_banner_the_figures_and_the_recommendations(as_root, app, root):
    make_user(app, root.account_id, "alice")  # a console password and no MFA: a recommendation

    html = as_root.get("/console/").get_data(as_text=True)

    for label in ("Dashboard", "Users", "Groups", "Roles", "Policies", "Applications", "Identity providers",
                  "Activity", "Access analyzer"):
        assert f">{label}</a>" in html
    assert 'id="root-banner"' in html and "AWS recommends" in html
    assert f'<code id="account-id">{root.account_id}</code>' in html
    assert "<dt>Users</dt><dd>1</dd>" in html
    # The root user has access keys and no MFA, alice no MFA: each finding links to where it is fixed.
    fixes = dict(re.findall(r'<tr data-check="([a-z-]+)">.*?<a href="([^"]+)"', html, re.S))
    assert fixes["root-without-mfa"] == "/account/mfa" and fixes["root-access-keys"] == "/account"
    assert fixes["user-password-without-mfa"] == "/console/users/alice"
    assert 'aria-current="page">Dashboard' in html


def test_a_principal_allowed_nothing_sees_the_reasons_and_its_own_account_page(client, app, root):
    make_user(app, root.account_id, "nobody")
    sign_in(client, root.account_id, "nobody")

    html = client.get("/console/").get_data(as_text=True)

    arn = f"arn:aws:iam::{root.account_id}:user/nobody"
    assert (f"User: {arn} is not authorized to perform: iam:GetAccountSummary on resource: * because no "
            "identity-based policy allows the iam:GetAccountSummary action") in html
    assert 'href="/account"' in html and "root-banner" not in html
    denied = stored(app, AuditEvent, AuditEvent.action == "iam:GetAccountSummary")
    assert [(e.actor, e.decision) for e in denied] == [(arn, "ImplicitDeny")]


def test_every_form_carries_a_csrf_token_and_is_refused_without_it(as_root, app, root):
    # One app for all the forms (a parametrized test would build twenty): each refusal is checked on its own.
    make_user(app, root.account_id, "alice")

    for page, url, form in FORMS:
        answer = as_root.post(url, data={"back": page, **form})

        assert answer.status_code == 400, url
        assert "The form was not sent from this site" in answer.get_data(as_text=True), url
    assert _changes(app) == []
    assert [u.name for u in stored(app, User)] == ["alice"]
    html = as_root.get("/console/users/alice").get_data(as_text=True)
    for page, url, _form in FORMS:
        if page != "/console/users/alice" or "AKIAEXAMPLE" in url or url.endswith((
                "/groups/remove", "/policies/detach", "/inline/delete", "/mfa/deactivate", "/tags/remove")):
            continue  # rows of tables: there once the user has a key, a group, a policy, a device, a tag
        form = html.split(f'action="{url}"', 1)[1].split("</form>", 1)[0]
        assert 'name="csrf_token"' in form and 'name="back" value="/console/users/alice"' in form, url


def test_bad_input_a_missing_user_and_a_foreign_back_are_answered_in_the_console(as_root, app, root):
    answer = post_form(as_root, "/console/users", "/console/users", UserName="bad name!")
    missing = as_root.get("/console/users/ghost")

    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "failed to satisfy constraint: Member must satisfy regular expression pattern" in html
    assert 'id="create-user"' in html  # the form is still there
    assert stored(app, User) == []
    assert missing.status_code == 404
    assert "The user with name ghost cannot be found." in missing.get_data(as_text=True)
    assert 'aria-label="Console"' in missing.get_data(as_text=True)  # the console's layout, with its nav

    make_user(app, root.account_id, "alice")
    tagged = post_form(as_root, "/console/users/alice", "/console/users/alice/tags",
                       **{"Tags.member.1.Key": "team", "Tags.member.1.Value": "a", "back": "//evil.example/x"})

    assert tagged.status_code == 303 and tagged.headers["Location"] == "/console/"
    assert json.dumps(stored(app, User)[0].tags) == '[{"Key": "team", "Value": "a"}]'
