"""The profile on `/account`: a user views and edits their own, with CSRF, audit and recent sign-in for the email,
where the shared authorizer allows `iam:UpdateUserProfile` (as the IAM API does)."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from idp.clock import FixedClock
from idp.iam import profiles
from models.audit import AuditEvent
from models.user import User
from tests.support.signin import (
    DEFAULT_PASSWORD,
    client_login,
    create_user_with_password,
    csrf_token,
    stored,
)

STALE = 301  # seconds: just past the five-minute recent sign-in window
FORM = {"name": "Alice Liddell", "given_name": "Alice", "family_name": "Liddell", "email": "",
        "phone_number": "+44 7700 900123", "locale": "en-GB", "zoneinfo": "Europe/London",
        "picture": "https://cdn.example.com/alice.png"}
OWN_PROFILE = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": ["iam:GetUserProfile", "iam:UpdateUserProfile"],
    "Resource": "arn:aws:iam::*:user/${aws:username}"}]})
DENY_PROFILE = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
    {"Effect": "Deny", "Action": "iam:UpdateUserProfile", "Resource": "*"}]})
XSS = '"><script>alert(1)</script>'


@pytest.fixture
def clock():
    return FixedClock(datetime.now(UTC))


@pytest.fixture
def app_config(app_config, clock):
    return {**app_config, "IDP_CLOCK": clock}


@pytest.fixture
def alice(client, iam, root):
    """alice, allowed to edit her own profile, signed in to the Flask test client; her account page's form token."""
    create_user_with_password(iam, "alice", policy=OWN_PROFILE)
    client_login(client, root.account_id, "alice", DEFAULT_PASSWORD)
    return csrf_token(client.get("/account").get_data(as_text=True))


def _alice(app) -> User:
    [user] = stored(app, User, User.name == "alice")
    return user


def _save(client, token: str, **fields):
    return client.post("/account/profile", data={"csrf_token": token, **FORM, **fields})


def test_a_user_edits_their_profile_and_sees_it_but_no_forged_post_or_bad_value_changes_it(client, app, alice):
    forged = client.post("/account/profile", data={**FORM})
    assert forged.status_code == 400 and _alice(app).display_name is None

    saved = _save(client, alice)

    html = saved.get_data(as_text=True)
    assert saved.status_code == 200 and "Profile saved." in html
    assert 'value="Alice Liddell"' in html and 'value="+447700900123"' in html and 'value="Europe/London"' in html
    user = _alice(app)
    assert (user.display_name, user.given_name, user.locale, user.phone_number, user.email) == (
        "Alice Liddell", "Alice", "en-GB", "+447700900123", None)
    [event] = stored(app, AuditEvent, AuditEvent.action == "user_profile_updated")
    assert event.actor == user.arn and event.detail["by_admin"] is False
    assert "phone_number" in event.detail["attributes"] and "email" not in event.detail["attributes"]

    refused = _save(client, alice, name="Alicia", zoneinfo="Europe/Atlantis")

    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Invalid zoneinfo: not an IANA time zone name" in html
    assert 'value="Europe/Atlantis"' in html  # what was typed, to correct it
    assert (_alice(app).display_name, _alice(app).zoneinfo) == ("Alice Liddell", "Europe/London")
    assert len(stored(app, AuditEvent, AuditEvent.action == "user_profile_updated")) == 1


def test_an_email_change_needs_a_recent_sign_in_and_makes_the_email_unverified(client, app, alice, clock):
    assert _save(client, alice, email="alice@example.com").status_code == 200
    with app.app_context():
        from models import db

        user = db.session.get(User, _alice(app).id)
        profiles.mark_email_verified(user, "alice@example.com")
        db.session.commit()
    assert "(verified)" in client.get("/account").get_data(as_text=True)
    clock.advance(STALE)

    asked = _save(client, alice, email="mallory@example.com")

    assert asked.status_code == 401 and "Confirm it is you" in asked.get_data(as_text=True)
    assert (_alice(app).email, _alice(app).email_verified) == ("alice@example.com", True)
    assert _save(client, alice, email="alice@example.com", name="Al").status_code == 200  # no email change: no ask
    assert _alice(app).display_name == "Al"
    changed = _save(client, alice, email="alice@example.org", reauth_password=DEFAULT_PASSWORD)
    html = changed.get_data(as_text=True)
    assert changed.status_code == 200 and "not verified yet" in html and "(not verified)" in html
    assert (_alice(app).email, _alice(app).email_verified) == ("alice@example.org", False)


def test_the_root_user_has_no_profile_form(client, root):
    client_login(client, root.account_id, "root", root.root_password)

    html = client.get("/account").get_data(as_text=True)

    assert 'id="profile-form"' not in html
    refused = client.post("/account/profile", data={"csrf_token": csrf_token(html), **FORM})
    assert refused.status_code == 400


@pytest.mark.parametrize("policy", [DENY_PROFILE, None], ids=["explicit-deny", "no-policy"])
def test_the_page_is_authorized_like_update_user_profile(client, app, iam, root, policy):
    """An explicit Deny refuses the page as it refuses the IAM API; with no policy the implicit deny does, as
    it does for the page's access keys (`idp.signin.own_credentials`)."""
    create_user_with_password(iam, "carol", policy=policy)
    client_login(client, root.account_id, "carol", DEFAULT_PASSWORD)
    token = csrf_token(client.get("/account").get_data(as_text=True))

    refused = _save(client, token)

    html = refused.get_data(as_text=True)
    assert refused.status_code == 403 and "iam:UpdateUserProfile" in html
    assert ("with an explicit deny" in html) == (policy is not None)
    [carol] = stored(app, User, User.name == "carol")
    assert (carol.display_name, carol.phone_number, carol.profile_updated_at) == (None, None, None)
    assert stored(app, AuditEvent, AuditEvent.action == "user_profile_updated") == []
    assert "Deny" in {e.decision for e in stored(app, AuditEvent, AuditEvent.action == "iam:UpdateUserProfile")}


def test_preferred_username_is_the_user_name_and_not_editable(client, app, alice):
    html = client.get("/account").get_data(as_text=True)
    assert 'name="preferred_username"' not in html

    saved = _save(client, alice, preferred_username="root")

    assert saved.status_code == 200
    assert "preferred_username" not in stored(app, AuditEvent, AuditEvent.action == "user_profile_updated")[0].detail[
        "attributes"]


def test_profile_values_are_escaped_on_the_page(client, alice):
    saved = _save(client, alice, name=XSS, given_name=XSS)
    refused = _save(client, alice, family_name=XSS, zoneinfo="Europe/Atlantis")  # the typed values shown again

    for response in (saved, refused, client.get("/account")):
        html = response.get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html
        assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html
