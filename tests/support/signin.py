"""Sign-in helpers for tests: make a user with a console password, sign in over real HTTP."""
from __future__ import annotations

import re

import requests

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
DEFAULT_PASSWORD = "Violet-Kettle-Sunrise-42"


def csrf_token(html: str) -> str:
    """The hidden `csrf_token` of the first form on a page."""
    match = CSRF_FIELD.search(html)
    assert match, "the page has no csrf_token field"
    return match.group(1)


def create_user_with_password(iam, name: str, password: str = DEFAULT_PASSWORD, *, reset_required: bool = False,
                              policy: str | None = None) -> dict:
    """An IAM user with a login profile, made through the IAM API (`iam` is a boto3 client)."""
    user = iam.create_user(UserName=name)["User"]
    iam.create_login_profile(UserName=name, Password=password, PasswordResetRequired=reset_required)
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=policy)
    return user


def http_login(session: requests.Session, base_url: str, account: str, username: str, password: str,
               *, next_url: str | None = None) -> requests.Response:
    """GET /login, read its CSRF token, POST the form; redirects are not followed."""
    params = {"next": next_url} if next_url else None
    page = session.get(f"{base_url}/login", params=params, timeout=30)
    form = {"account": account, "username": username, "password": password, "csrf_token": csrf_token(page.text)}
    if next_url:
        form["next"] = next_url
    return session.post(f"{base_url}/login", data=form, allow_redirects=False, timeout=30)


def client_login(client, account: str, username: str, password: str, **extra) -> object:
    """The same as `http_login` with a Flask test client."""
    page = client.get("/login")
    form = {"account": account, "username": username, "password": password,
            "csrf_token": csrf_token(page.get_data(as_text=True)), **extra}
    return client.post("/login", data=form)


def stored(app, model, *where) -> list:
    """Rows of `model` as the database holds them now, in primary-key order (a short app context of its own,
    so that requests made by the test get theirs)."""
    from sqlalchemy import inspect, select

    from models import db

    with app.app_context():
        # Without an ORDER BY, PostgreSQL returns rows in whatever order its pages hold them.
        rows = list(db.session.scalars(select(model).where(*where).order_by(*inspect(model).primary_key)))
        db.session.expunge_all()
        return rows
