"""The user page's "Send invitation": CreateUserInvitation authorized as the Query API authorizes it, the mail
queued to the address, the link never shown to the administrator, refusals changing nothing."""
from __future__ import annotations

import json
import re

from models.audit import AuditEvent
from models.mail import OutboundMail
from tests.console.conftest import make_user, post_form, sign_in, team_a_admin_policy
from tests.support.signin import stored

NO_PASSWORDS = {"Effect": "Deny", "Action": "iam:CreateLoginProfile", "Resource": "*"}


def test_root_invites_a_user_and_never_sees_the_link(as_root, app, root):
    make_user(app, root.account_id, "ivy", password=None)
    page = "/console/users/ivy"

    answer = post_form(as_root, page, page + "/invitation", Email="ivy@example.com")

    assert answer.status_code == 303
    mails = stored(app, OutboundMail)
    assert [mail.recipient for mail in mails] == ["ivy@example.com"]
    link = re.search(r"https?://\S+/invitation\S*", mails[0].text_body).group(0)
    token = link.rsplit("=", 1)[1]
    assert token not in answer.get_data(as_text=True) + as_root.get(page).get_data(as_text=True)
    invited = [event for event in stored(app, AuditEvent) if event.action == "user_invited"]
    assert [(event.actor, event.resource) for event in invited] == [
        (f"arn:aws:iam::{root.account_id}:root", f"arn:aws:iam::{root.account_id}:user/ivy")]


def test_an_admin_who_may_not_set_passwords_is_refused_and_nothing_is_sent(client, app, root):
    policy = json.loads(team_a_admin_policy(root.account_id))
    policy["Statement"].append(NO_PASSWORDS)
    make_user(app, root.account_id, "helpdesk", path="/team-a/", policy=json.dumps(policy))
    make_user(app, root.account_id, "ivy", path="/team-a/", password=None)
    sign_in(client, root.account_id, "helpdesk")
    page = "/console/users/ivy"

    answer = post_form(client, page, page + "/invitation", Email="attacker@example.com")

    assert answer.status_code == 403
    assert "iam:CreateLoginProfile" in answer.get_data(as_text=True)
    assert stored(app, OutboundMail) == []
    from models.user import User

    assert [user.email for user in stored(app, User) if user.name == "ivy"] == [None]


def test_the_form_needs_its_csrf_token(as_root, app, root):
    make_user(app, root.account_id, "ivy", password=None)

    answer = as_root.post("/console/users/ivy/invitation", data={"Email": "ivy@example.com",
                                                                 "back": "/console/users/ivy"})

    assert answer.status_code == 400
    assert stored(app, OutboundMail) == []
