"""Refusals and hardening of the browser pages: CSRF, security headers, cookie flags in both issuer modes."""
from __future__ import annotations

import pytest

from models.session import BrowserSession
from tests.support.signin import client_login, csrf_token, stored

HTTPS_ISSUER = "https://idp.example.test"


@pytest.fixture
def https_issuer(app_config):
    """Run the app as if served at an https issuer (set before `app` is built)."""
    app_config["IDP_ISSUER"] = HTTPS_ISSUER
    return HTTPS_ISSUER


def _cookie_headers(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def _flags(header: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}


def _form(client, root, **overrides) -> dict:
    page = client.get("/login").get_data(as_text=True)
    form = {"account": root.account_id, "username": "root", "password": root.root_password,
            "csrf_token": csrf_token(page)}
    form.update(overrides)
    return form


@pytest.mark.parametrize("token", [None, "", "not-a-token", "IjAwMDAi.AAAAAA.forged"])
def test_login_without_a_valid_csrf_token_is_refused(token, client, root, app):
    form = _form(client, root)
    if token is None:
        del form["csrf_token"]
    else:
        form["csrf_token"] = token

    response = client.post("/login", data=form)

    html = response.get_data(as_text=True)
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "The form was not sent from this site or has expired" in html and "Request id" in html
    assert stored(app, BrowserSession) == []


def test_a_token_from_another_browser_is_refused(client, root, app):
    other = app.test_client()
    foreign_token = csrf_token(other.get("/login").get_data(as_text=True))

    response = client.post("/login", data=_form(client, root, csrf_token=foreign_token))

    assert response.status_code == 400 and stored(app, BrowserSession) == []


def test_a_post_from_a_foreign_origin_is_refused(client, root, app):
    response = client.post("/login", data=_form(client, root), headers={"Origin": "https://evil.example"})

    assert response.status_code == 400 and stored(app, BrowserSession) == []


def test_a_post_with_origin_null_and_a_good_token_is_accepted(client, root):
    # Referrer-Policy: no-referrer makes browsers send `Origin: null` on our own forms.
    response = client.post("/login", data=_form(client, root), headers={"Origin": "null"})

    assert response.status_code == 302


def test_logout_needs_a_csrf_token_too(client, root, app):
    client_login(client, root.account_id, "root", root.root_password)

    assert client.post("/logout").status_code == 400
    assert [row.revoked_at for row in stored(app, BrowserSession)] == [None]


def test_the_aws_query_api_is_not_subject_to_csrf(iam):
    # boto3 posts forms without a CSRF token; SigV4 is its proof.
    assert iam.list_users()["Users"] == []


@pytest.mark.parametrize("path", ["/login", "/account", "/no-such-page-but-html"])
def test_security_headers_on_html_pages(path, client):
    response = client.get(path, follow_redirects=True)

    assert response.mimetype == "text/html"
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Strict-Transport-Security" not in response.headers  # plain-http loopback issuer


def test_error_pages_carry_the_headers(client, root):
    response = client.post("/login", data={"account": "x"})

    assert response.status_code == 400
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_loopback_http_cookies_are_httponly_lax_without_secure(client, root):
    page = client.get("/login")
    state = _cookie_headers(page)["idp_state"]
    response = client_login(client, root.account_id, "root", root.root_password)
    cookie = _cookie_headers(response)["idp_session"]

    for header in (state, cookie):
        flags = _flags(header)
        assert {"httponly", "samesite", "path"} <= flags and "secure" not in flags and "domain" not in flags
        assert "SameSite=Lax" in header and "Path=/" in header
    assert not any(name.startswith("__Host-") for name in _cookie_headers(response))


def test_https_issuer_cookies_are_host_prefixed_and_secure(https_issuer, client, root):
    page = client.get("/login", base_url=https_issuer)
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    form = {"account": root.account_id, "username": "root", "password": root.root_password,
            "csrf_token": csrf_token(page.get_data(as_text=True))}

    response = client.post("/login", data=form, base_url=https_issuer)

    assert response.status_code == 302
    cookies = _cookie_headers(response)
    cookie = cookies["__Host-idp_session"]
    assert {"secure", "httponly", "samesite", "path"} <= _flags(cookie) and "domain" not in _flags(cookie)
    assert "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "secure" in _flags(_cookie_headers(page)["__Host-idp_state"])
    assert "idp_session" not in cookies
    assert client.get("/account", base_url=https_issuer).status_code == 200
