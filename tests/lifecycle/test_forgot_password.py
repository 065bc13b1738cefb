"""Forgotten password over HTTP: the link from the received mail sets a new password under the policy, ends every
session, signs nobody in and never bypasses MFA; no enumeration; throttled; expired, replayed and forged links
refused; CSRF."""
from __future__ import annotations

import base64
import re

import pyotp

from models.audit import AuditEvent
from models.mail import OutboundMail
from tests.lifecycle.conftest import app_client, local, post_form, verified_user
from tests.support.signin import DEFAULT_PASSWORD, client_login, stored

NEW = "Harbour-Lantern-Orchid-58"
SENT = "If the account and user name or email match a user with a verified email address"


def _forgot(client, account: str, username: str):
    return post_form(client, "/login/forgot", {"account": account, "username": username})


def _reset_link(mailbox, count: int) -> str:
    message = mailbox.wait_for(count)[count - 1]
    assert message["Subject"] == "Reset your password"
    return local(mailbox.link(message, "/login/reset?token="))


def _set(client, link: str, new: str, confirm: str | None = None, *, page: str | None = None):
    token = link.split("token=", 1)[1]
    return post_form(client, "/login/reset", {"token": token, "new_password": new,
                                              "confirm_password": new if confirm is None else confirm},
                     page=page or link)


def test_the_mailed_link_sets_a_new_password_ends_sessions_and_signs_nobody_in(iam, root, mailbox, client, app):
    verified_user(iam, mailbox, client, "alice", "alice@example.test")
    elsewhere = app_client(client)
    assert client_login(elsewhere, root.account_id, "alice", DEFAULT_PASSWORD).status_code == 302

    answer = _forgot(client, root.account_id, "alice")
    assert answer.status_code == 200 and SENT in answer.get_data(as_text=True)
    link = _reset_link(mailbox, 2)
    assert mailbox.messages[1]["To"] == "alice@example.test"
    assert client.get(link).status_code == 200

    assert _set(client, link, NEW, "Something-Else-12345").status_code == 400
    common = _set(client, link, "password123")
    assert common.status_code == 400 and "common" in common.get_data(as_text=True).lower()
    done = _set(client, link, NEW)  # the refusals did not spend the link
    assert done.status_code == 200 and "Sign in with the new password" in done.get_data(as_text=True)

    assert client.get("/account").status_code == 302  # nobody was signed in by the link
    assert elsewhere.get("/account").status_code == 302  # the other session ended
    assert client_login(client, root.account_id, "alice", DEFAULT_PASSWORD).status_code == 401
    assert client_login(client, root.account_id, "alice", NEW).headers["Location"] == "/account"
    replay = client.get(link)
    assert replay.status_code == 400 and "not valid" in replay.get_data(as_text=True)
    assert _set(app_client(client), link, "Another-Fresh-Password-9", page="/login/forgot").status_code == 400
    (event,) = stored(app, AuditEvent, AuditEvent.action == "password_recovered")
    assert event.actor.endswith(":user/alice")


def test_recovery_never_bypasses_mfa(iam, root, mailbox, client, clock):
    verified_user(iam, mailbox, client, "bob", "bob@example.test")
    created = iam("CreateVirtualMFADevice", VirtualMFADeviceName="bob-phone")
    serial = re.search(r"<SerialNumber>([^<]+)</SerialNumber>", created).group(1)
    seed = re.search(r"<Base32StringSeed>([^<]+)</Base32StringSeed>", created).group(1)
    totp, now = pyotp.TOTP(base64.b64decode(seed).decode()), clock.now().timestamp()  # a blob: base64 in XML
    iam("EnableMFADevice", UserName="bob", SerialNumber=serial, AuthenticationCode1=totp.at(now - 30),
        AuthenticationCode2=totp.at(now))

    _forgot(client, root.account_id, "BOB@example.test")  # by email this time
    assert _set(client, _reset_link(mailbox, 2), NEW).status_code == 200

    response = client_login(client, root.account_id, "bob", NEW)
    assert response.status_code == 302 and response.headers["Location"] == "/login/mfa"
    assert client.get("/account").status_code == 302


def test_the_answer_is_the_same_whoever_is_named_and_only_a_verified_address_gets_mail(iam, root, mailbox, client,
                                                                                        app):
    verified_user(iam, mailbox, client, "carol", "carol@example.test")
    iam.user_with_password("dave")
    iam.set_email("dave", "dave@example.test")  # never verified
    iam("CreateUser", UserName="erin")
    reference = _forgot(client, root.account_id, "carol")
    pages = {who: _forgot(app_client(client), account, username) for who, (account, username) in {
        "unknown user": (root.account_id, "nobody"), "unknown account": ("999999999999", "carol"),
        "unverified email": (root.account_id, "dave"), "unverified address": (root.account_id, "dave@example.test"),
        "no password": (root.account_id, "erin"), "root": (root.account_id, "root"), "empty": ("", ""),
    }.items()}

    for who, page in pages.items():
        assert page.status_code == reference.status_code == 200, who
        assert _plain(page) == _plain(reference), who
    mailbox.wait_for(3)
    recovery = [m.recipient for m in stored(app, OutboundMail) if m.subject == "Reset your password"]
    assert recovery == ["carol@example.test"]


def _plain(response) -> str:
    return re.sub(r"[0-9a-f-]{36}", "", response.get_data(as_text=True))  # the request id


def test_requests_are_throttled_silently_need_their_csrf_token_and_links_expire(iam, root, mailbox, client, clock,
                                                                                 app):
    verified_user(iam, mailbox, client, "fay", "fay@example.test")

    refused = client.post("/login/forgot", data={"account": root.account_id, "username": "fay"})
    assert refused.status_code == 400
    answers = {_forgot(client, root.account_id, "fay").status_code for _ in range(6)}

    assert answers == {200}
    recovery = [m for m in stored(app, OutboundMail) if m.subject == "Reset your password"]
    assert len(recovery) == 3
    forged = client.post("/login/reset", data={"token": "x", "new_password": NEW, "confirm_password": NEW})
    assert forged.status_code == 400

    link = _reset_link(mailbox, 2)
    clock.advance(15 * 60 + 1)  # links live 15 minutes
    assert client.get(link).status_code == 400
    assert _set(client, link, NEW, page="/login/forgot").status_code == 400
    assert client_login(client, root.account_id, "fay", DEFAULT_PASSWORD).status_code == 302
