"""Server-side sessions: fixation, renewal, timeouts, and revocation at logout, password change and
login-profile or user deletion."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from idp.clock import FixedClock
from idp.signin.sessions import hash_id
from models.audit import AuditEvent
from models.session import BrowserSession
from tests.support.signin import DEFAULT_PASSWORD, client_login, create_user_with_password, csrf_token, stored

COOKIE = "idp_session"


@pytest.fixture
def clock(app_config):
    """A clock the test moves (injected before `app` is built)."""
    fixed = FixedClock(datetime.now(timezone.utc).replace(microsecond=0))
    app_config["IDP_CLOCK"] = fixed
    return fixed


def _cookie(client) -> str | None:
    found = client.get_cookie(COOKIE)
    return found.value if found else None


def _signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def _post(client, path: str, **form):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **form})


def test_a_preset_cookie_is_never_adopted(client, root, app):
    planted = "attacker-chosen-session-value-0123456789abcdef"
    client.set_cookie(COOKIE, planted)

    assert client_login(client, root.account_id, "root", root.root_password).status_code == 302

    issued = _cookie(client)
    assert issued and issued != planted and len(issued) >= 43  # 32 random bytes, url-safe base64
    (row,) = stored(app, BrowserSession)
    assert row.id_hash == hash_id(issued) and issued not in row.id_hash
    fixated = app.test_client()
    fixated.set_cookie(COOKIE, planted)
    assert not _signed_in(fixated)


def test_signing_in_again_renews_the_id_and_revokes_the_old_one(client, root, app):
    client_login(client, root.account_id, "root", root.root_password)
    first = _cookie(client)
    stale = app.test_client()
    stale.set_cookie(COOKIE, first)

    client_login(client, root.account_id, "root", root.root_password)

    assert _cookie(client) != first and _signed_in(client)
    assert not _signed_in(stale)
    assert sorted(row.revoked_at is None for row in stored(app, BrowserSession)) == [False, True]


def test_logout_revokes_the_session_and_clears_the_cookie(client, root, app):
    client_login(client, root.account_id, "root", root.root_password)
    value = _cookie(client)

    response = _post(client, "/logout")

    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert _cookie(client) is None and not _signed_in(client)
    replay = app.test_client()
    replay.set_cookie(COOKIE, value)
    assert not _signed_in(replay)
    (row,) = stored(app, BrowserSession)
    assert row.revoked_at is not None
    assert stored(app, AuditEvent, AuditEvent.action == "session_revoked")[0].detail["reason"] == "logout"


def test_idle_timeout_slides_and_expires(clock, client, root):
    client_login(client, root.account_id, "root", root.root_password)
    for _ in range(3):
        clock.advance(20 * 60)  # 20 minutes apart: each visit slides the 30-minute idle expiry
        assert _signed_in(client)

    clock.advance(31 * 60)

    assert not _signed_in(client)


def test_absolute_timeout_ends_even_an_active_session(clock, client, root):
    client_login(client, root.account_id, "root", root.root_password)
    signed_in_at = clock.now()
    while _signed_in(client):
        clock.advance(20 * 60)  # always active, never idle for long
        assert clock.now() - signed_in_at <= timedelta(hours=12, minutes=20), "outlived the absolute timeout"

    assert clock.now() - signed_in_at >= timedelta(hours=12)


def test_password_change_on_the_account_page_revokes_my_other_sessions(client, iam, root, app):
    create_user_with_password(iam, "dana")
    other = app.test_client()
    client_login(client, root.account_id, "dana", DEFAULT_PASSWORD)
    client_login(other, root.account_id, "dana", DEFAULT_PASSWORD)
    token = csrf_token(client.get("/account").get_data(as_text=True))

    response = client.post("/account/password", data={
        "csrf_token": token, "current_password": DEFAULT_PASSWORD,
        "new_password": "Quiet-Meadow-Lantern-7", "confirm_password": "Quiet-Meadow-Lantern-7",
    })

    assert response.status_code == 200 and "Password changed" in response.get_data(as_text=True)
    assert _signed_in(client) and not _signed_in(other)
    assert client_login(app.test_client(), root.account_id, "dana", DEFAULT_PASSWORD).status_code == 401
    assert client_login(app.test_client(), root.account_id, "dana", "Quiet-Meadow-Lantern-7").status_code == 302


def test_password_change_needs_the_current_password_and_obeys_the_rules(client, iam, root, app):
    create_user_with_password(iam, "erik")
    client_login(client, root.account_id, "erik", DEFAULT_PASSWORD)
    token = csrf_token(client.get("/account").get_data(as_text=True))

    for current, new, confirm, message in [
        ("Wrong-Current-1", "Quiet-Meadow-Lantern-7", "Quiet-Meadow-Lantern-7", "The current password is incorrect."),
        (DEFAULT_PASSWORD, "short", "short", "Password should have at least 8 characters"),
        (DEFAULT_PASSWORD, "password123", "password123", "Password is too common"),
        (DEFAULT_PASSWORD, "Quiet-Meadow-Lantern-7", "Quiet-Meadow-Lantern-8", "The two new passwords do not match."),
    ]:
        response = client.post("/account/password", data={
            "csrf_token": token, "current_password": current, "new_password": new, "confirm_password": confirm})
        assert response.status_code == 400 and message in response.get_data(as_text=True)

    assert client_login(app.test_client(), root.account_id, "erik", DEFAULT_PASSWORD).status_code == 302


def test_deleting_the_login_profile_signs_the_user_out_everywhere(client, iam, root):
    create_user_with_password(iam, "fay")
    client_login(client, root.account_id, "fay", DEFAULT_PASSWORD)
    assert _signed_in(client)

    iam.delete_login_profile(UserName="fay")

    assert not _signed_in(client)


def test_an_admin_password_reset_signs_the_user_out(client, iam, root):
    create_user_with_password(iam, "gil")
    client_login(client, root.account_id, "gil", DEFAULT_PASSWORD)

    iam.update_login_profile(UserName="gil", Password="Fresh-Admin-Choice-3")

    assert not _signed_in(client)


def test_deleting_the_user_ends_its_sessions(client, iam, root, app):
    create_user_with_password(iam, "hal")
    client_login(client, root.account_id, "hal", DEFAULT_PASSWORD)

    iam.delete_login_profile(UserName="hal")
    iam.delete_user(UserName="hal")

    assert not _signed_in(client) and stored(app, BrowserSession) == []


def test_revoking_another_of_my_sessions_from_the_account_page(client, iam, root, app):
    create_user_with_password(iam, "ivy")
    laptop, phone = client, app.test_client()
    client_login(laptop, root.account_id, "ivy", DEFAULT_PASSWORD)
    client_login(phone, root.account_id, "ivy", DEFAULT_PASSWORD)
    phone_hash = hash_id(_cookie(phone))[:16]
    page = laptop.get("/account").get_data(as_text=True)
    assert f'value="{phone_hash}"' in page and _cookie(phone) not in page

    response = laptop.post("/account/sessions/revoke", data={"csrf_token": csrf_token(page), "session": phone_hash})

    assert response.status_code == 303
    assert _signed_in(laptop) and not _signed_in(phone)
    stranger = app.test_client()
    client_login(stranger, root.account_id, "root", root.root_password)
    laptop_hash = hash_id(_cookie(laptop))[:16]
    attempt = stranger.post("/account/sessions/revoke", data={
        "csrf_token": csrf_token(stranger.get("/account").get_data(as_text=True)), "session": laptop_hash})
    assert attempt.status_code == 400 and _signed_in(laptop)
