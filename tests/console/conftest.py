"""Console test helpers: principals made through the IAM services, signed in through the real login form."""
from __future__ import annotations

import json
import re
from contextlib import contextmanager

import pytest

from tests.support.signin import DEFAULT_PASSWORD, client_login, csrf_token

SECRET = re.compile(r'id="new-key-secret">([^<]+)<')


def team_a_admin_policy(account_id: str) -> str:
    """`iam:*` on the users under `/team-a/` only (a delegated administrator)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:*", "Resource": f"arn:aws:iam::{account_id}:user/team-a/*"}]})


@contextmanager
def services(app):
    """A request context with one unit of work, to set data up through the services (committed at the end)."""
    from idp import work

    with app.test_request_context(), work.unit_of_work():
        yield


def make_user(app, account_id: str, name: str, *, path: str = "/", password: str | None = DEFAULT_PASSWORD,
              policy: str | None = None) -> None:
    """A user (with a console password and an inline policy, when given), through the IAM services."""
    from idp.iam import attachments, inline_policies, login_profiles, users

    with services(app):
        user = users.create(account_id, name, path, [])
        if password is not None:
            login_profiles.create(user, password, False)
        if policy is not None:
            inline_policies.put(attachments.USER, user, "inline", policy)


def sign_in(client, account_id: str, username: str, password: str = DEFAULT_PASSWORD):
    """Sign `username` in through the login form; the client keeps the session cookie."""
    answer = client_login(client, account_id, username, password)
    assert answer.status_code in (302, 303), answer.get_data(as_text=True)[:500]
    return answer


def post_form(client, page_url: str, url: str, **fields):
    """POST a console form the way the page's form does: its CSRF token and the page to come back to."""
    token = csrf_token(client.get(page_url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, "back": page_url, **fields})


@pytest.fixture
def as_root(client, root):
    """The test client signed in as the account's root user."""
    sign_in(client, root.account_id, "root", root.root_password)
    return client
