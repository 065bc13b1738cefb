"""Throttling: exponential back-off per account+user and per address, 429 with Retry-After, and release."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from idp.clock import FixedClock
from models.audit import AuditEvent
from models.session import BrowserSession
from models.throttle import SigninThrottle
from tests.support.signin import DEFAULT_PASSWORD, client_login, create_user_with_password, csrf_token, stored

WRONG = "Wrong-Guess-Number-1"


@pytest.fixture
def clock(app_config):
    fixed = FixedClock(datetime.now(timezone.utc).replace(microsecond=0))
    app_config["IDP_CLOCK"] = fixed
    return fixed


def _fail(client, account, username, times: int) -> list[int]:
    return [client_login(client, account, username, WRONG).status_code for _ in range(times)]


def test_back_off_starts_after_five_failures_and_doubles(clock, client, iam, root, app):
    create_user_with_password(iam, "alice")

    assert _fail(client, root.account_id, "alice", 6) == [401] * 6  # the 6th failure starts a 1 s back-off

    throttled = client_login(client, root.account_id, "alice", DEFAULT_PASSWORD)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
    assert "Too many sign-in attempts" in throttled.get_data(as_text=True)
    assert throttled.headers["X-Frame-Options"] == "DENY"
    # The right password during the back-off does not sign in: it was not even checked.
    assert stored(app, BrowserSession) == []
    reasons = [e.detail["reason"] for e in stored(app, AuditEvent, AuditEvent.action == "signin_failed")]
    assert reasons[-1] == "throttled"

    clock.advance(1)
    assert _fail(client, root.account_id, "alice", 1) == [401]  # 7th failure: 2 s
    assert client_login(client, root.account_id, "alice", WRONG).headers["Retry-After"] == "2"
    clock.advance(2)
    assert _fail(client, root.account_id, "alice", 1) == [401]  # 8th failure: 4 s
    assert client_login(client, root.account_id, "alice", WRONG).headers["Retry-After"] == "4"


def test_the_back_off_releases_and_a_success_resets_the_user_counter(clock, client, iam, root, app):
    create_user_with_password(iam, "bob")
    _fail(client, root.account_id, "bob", 6)
    assert client_login(client, root.account_id, "bob", DEFAULT_PASSWORD).status_code == 429

    clock.advance(2)
    assert client_login(client, root.account_id, "bob", DEFAULT_PASSWORD).status_code == 302

    assert stored(app, SigninThrottle, SigninThrottle.key.startswith("user:")) == []
    assert _fail(client, root.account_id, "bob", 5) == [401] * 5  # five free failures again


def test_the_back_off_is_capped_and_forgotten_so_a_victim_is_never_locked_out(clock, client, iam, root):
    create_user_with_password(iam, "carol")
    for _ in range(30):
        client_login(client, root.account_id, "carol", WRONG)
        clock.advance(16 * 60)  # past any back-off: every attempt is a counted failure
    response = client_login(client, root.account_id, "carol", WRONG)
    assert response.status_code == 401
    assert int(client_login(client, root.account_id, "carol", WRONG).headers["Retry-After"]) <= 15 * 60

    clock.advance(15 * 60)

    assert client_login(client, root.account_id, "carol", DEFAULT_PASSWORD).status_code == 302


def test_throttling_per_user_covers_unknown_users_and_is_case_insensitive(clock, client, root):
    _fail(client, root.account_id, "ghost", 3)
    _fail(client, root.account_id, "GHOST", 3)

    assert client_login(client, root.account_id, "Ghost", WRONG).status_code == 429


def test_one_address_guessing_many_users_is_throttled(clock, client, iam, root):
    create_user_with_password(iam, "dave")
    for index in range(21):  # 20 free failures per address, each on a different user name
        assert client_login(client, root.account_id, f"user{index}", WRONG).status_code == 401

    response = client_login(client, root.account_id, "dave", DEFAULT_PASSWORD)

    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    other_address = app_client_from(client, "10.0.0.7")
    assert client_login(other_address, root.account_id, "dave", DEFAULT_PASSWORD).status_code == 302


def app_client_from(client, address: str):
    """A test client whose requests come from another source address."""
    other = client.application.test_client()
    other.environ_base["REMOTE_ADDR"] = address
    return other


def test_alias_and_id_share_one_counter(clock, client, iam, root):
    create_user_with_password(iam, "erin")
    iam.create_account_alias(AccountAlias="example-corp")
    for index in range(6):
        account = root.account_id if index % 2 else "Example-Corp"
        assert client_login(client, account, "erin", WRONG).status_code == 401

    assert client_login(client, root.account_id, "erin", DEFAULT_PASSWORD).status_code == 429


def test_guessing_the_current_password_on_the_account_page_is_throttled(clock, client, iam, root):
    create_user_with_password(iam, "fred")
    client_login(client, root.account_id, "fred", DEFAULT_PASSWORD)
    token = csrf_token(client.get("/account").get_data(as_text=True))
    form = {"csrf_token": token, "new_password": "Quiet-Meadow-Lantern-7", "confirm_password": "Quiet-Meadow-Lantern-7"}

    statuses = [client.post("/account/password", data={**form, "current_password": WRONG}).status_code
                for _ in range(7)]

    assert statuses == [400] * 6 + [429]
    refused = client.post("/account/password", data={**form, "current_password": DEFAULT_PASSWORD})
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    clock.advance(2)
    assert client.post("/account/password", data={**form, "current_password": DEFAULT_PASSWORD}).status_code == 200
