"""A mailed link stands only while the user is as it was mailed: an invitation dies with a change of email or with
a password set any other way (even one deleted since); a recovery link dies with a change of email. Two uses of
one link at once: one wins. CreateUserInvitation needs the powers it exercises."""
from __future__ import annotations

import json
import threading
import time

import requests

from models.mail import OutboundMail
from models.user import LoginProfile, User
from tests.lifecycle.conftest import local, post_form, verified_user
from tests.support.signin import DEFAULT_PASSWORD, client_login, csrf_token, stored

CHOSEN = "Copper-Willow-Harbour-31"


def _invitation(iam, mailbox, name: str, address: str) -> str:
    """The link of a new invitation to `address` (mail of earlier changes may arrive around it)."""
    iam("CreateUserInvitation", UserName=name, Email=address)
    for _ in range(200):
        invited = [message for message in mailbox.to(address) if "invited" in message["Subject"]]
        if invited:
            return local(mailbox.link(invited[-1], "/invitation?token="))
        time.sleep(0.05)
    raise AssertionError(f"no invitation to {address}")


def _accept(client, link: str, password: str = CHOSEN):
    return post_form(client, "/invitation", {"token": link.split("token=", 1)[1], "new_password": password,
                                             "confirm_password": password}, page="/login/forgot")


def _refused(client, link: str) -> None:
    assert client.get(link).status_code == 400
    assert _accept(client, link).status_code == 400


def test_an_invitation_dies_when_the_email_changes_or_a_password_was_set(iam, root, mailbox, client, app):
    iam("CreateUser", UserName="ivy")
    link = _invitation(iam, mailbox, "ivy", "ivy@example.test")
    iam.set_email("ivy", "someone-else@example.test")
    _refused(client, link)
    assert stored(app, LoginProfile) == []

    iam("CreateUser", UserName="rex")
    link = _invitation(iam, mailbox, "rex", "rex@example.test")
    iam("CreateLoginProfile", UserName="rex", Password=DEFAULT_PASSWORD)
    iam("DeleteLoginProfile", UserName="rex")
    _refused(client, link)  # spent by the password, not revived by its deletion
    assert stored(app, LoginProfile) == []


def test_a_recovery_link_dies_when_the_email_changes(iam, root, mailbox, client, app):
    verified_user(iam, mailbox, client, "alice", "alice@example.test")
    post_form(client, "/login/forgot", {"account": root.account_id, "username": "alice"})
    link = local(mailbox.link(mailbox.wait_for(2)[1], "/login/reset?token="))
    iam.set_email("alice", "new-alice@example.test")
    assert client.get(link).status_code == 400
    token = link.split("token=", 1)[1]
    answer = post_form(client, "/login/reset", {"token": token, "new_password": CHOSEN, "confirm_password": CHOSEN},
                       page="/login/forgot")
    assert answer.status_code == 400
    assert client_login(client, root.account_id, "alice", DEFAULT_PASSWORD).status_code == 302


def test_two_uses_of_one_invitation_at_once_one_wins(iam, root, mailbox, live_server, app):
    iam("CreateUser", UserName="twin")
    link = _invitation(iam, mailbox, "twin", "twin@example.test")
    token = link.split("token=", 1)[1]
    browsers = [requests.Session() for _ in range(2)]
    forms = [csrf_token(browser.get(f"{live_server.url}{link}").text) for browser in browsers]
    start, answers = threading.Barrier(2), [None, None]

    def use(index: int) -> None:
        password = f"{CHOSEN}-{index}"
        start.wait()
        answers[index] = browsers[index].post(f"{live_server.url}/invitation", data={
            "token": token, "new_password": password, "confirm_password": password, "csrf_token": forms[index]})

    threads = [threading.Thread(target=use, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses[0] == 200 and statuses[1] != 200, statuses
    winner = next(index for index, answer in enumerate(answers) if answer.status_code == 200)
    (profile,) = stored(app, LoginProfile)
    assert client_login(app.test_client(), root.account_id, "twin", f"{CHOSEN}-{winner}").status_code == 302
    assert client_login(app.test_client(), root.account_id, "twin", f"{CHOSEN}-{1 - winner}").status_code == 401
    assert profile.user_id == stored(app, User, User.name == "twin")[0].id


def test_an_invitation_needs_the_powers_it_exercises(iam, root, mailbox, app):
    iam("CreateUser", UserName="target")
    iam.set_email("target", "target@example.test")
    delegate = iam.as_new_user("delegate")
    mailbox.wait_for(1)
    mailbox.clear()

    def allow(*actions: str) -> None:
        document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions),
                                                            "Resource": "*"}]}
        iam("PutUserPolicy", UserName="delegate", PolicyName="invite", PolicyDocument=json.dumps(document))

    allow("iam:CreateUserInvitation")
    denied = delegate.request("CreateUserInvitation", UserName="target", Email="attacker@evil.example")
    assert denied.status_code == 403 and "iam:CreateLoginProfile" in denied.get_data(as_text=True)
    allow("iam:CreateUserInvitation", "iam:CreateLoginProfile")
    denied = delegate.request("CreateUserInvitation", UserName="target", Email="attacker@evil.example")
    assert denied.status_code == 403 and "iam:UpdateUserProfile" in denied.get_data(as_text=True)
    assert stored(app, User, User.name == "target")[0].email == "target@example.test"
    assert stored(app, OutboundMail, OutboundMail.recipient == "attacker@evil.example") == []

    assert delegate.request("CreateUserInvitation", UserName="target").status_code == 200  # to its own address
    (message,) = mailbox.wait_for(1)
    assert message["To"] == "target@example.test"


def test_header_characters_in_an_address_are_refused(iam, root, mailbox, app):
    iam("CreateUser", UserName="hdr")
    for address in ("hdr@example.test\r\nBcc: x@evil.example", "hdr@example.test\nBcc: x@evil.example",
                    "Hdr <hdr@example.test>"):
        assert iam.request("CreateUserInvitation", UserName="hdr", Email=address).status_code == 400, address
        assert iam.request("UpdateUserProfile", UserName="hdr", Email=address).status_code == 400, address
    assert stored(app, User, User.name == "hdr")[0].email is None
    assert stored(app, OutboundMail) == []
