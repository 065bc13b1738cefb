"""User profile attributes: the rules of `idp.iam.profiles`, and the IAM extension actions through boto3."""
from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from idp.errors import InvalidProfileAttribute
from idp.iam import profiles
from idp.lifecycle import profile_updates
from models.audit import AuditEvent
from models.mail import OutboundMail
from models.user import User
from tests.support.profile_client import profile_client, write_extended_model
from tests.support.signin import stored

OWN_PROFILE = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": ["iam:GetUserProfile", "iam:UpdateUserProfile"],
    "Resource": "arn:aws:iam::*:user/${aws:username}"}]})


@pytest.mark.parametrize(("attribute", "value", "stored_as"), [
    ("email", "Alice.Smith+idp@Example.COM", "Alice.Smith+idp@example.com"),
    ("email", "jo@bücher.example", "jo@xn--bcher-kva.example"),
    ("name", "  Alice Liddell ", "Alice Liddell"),
    ("given_name", "Zoë", "Zoë"),
    ("locale", "fr", "fr"),
    ("locale", "zh-Hant-TW", "zh-Hant-TW"),
    ("locale", "es-419", "es-419"),
    ("zoneinfo", "America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"),
    ("phone_number", "+33 6 12-34.56 (78)", "+33612345678"),
    ("picture", "https://cdn.example.com/a.png?size=64", "https://cdn.example.com/a.png?size=64"),
    ("picture", "https://93.184.215.14/a.png", "https://93.184.215.14/a.png"),
    ("picture", "https://[2606:4700::6810:84e5]/a.png", "https://[2606:4700::6810:84e5]/a.png"),
    ("family_name", "", None),
])
def test_accepted_values_are_stored_normalised(attribute, value, stored_as):
    assert profiles.validated({attribute: value}) == {attribute: stored_as}


@pytest.mark.parametrize(("attribute", "value", "says"), [
    ("email", "alice", "not an email address"),
    ("email", "alice@localhost", "not a valid host name"),
    ("email", "al ice@example.com", "not an email address"),
    ("email", "alice@-example.com", "not a valid host name"),
    ("email", "a" * 65 + "@example.com", "not an email address"),
    ("locale", "en_US", "BCP 47 tags use hyphens (en-US)"),
    ("locale", "en US", "not a BCP 47 language tag"),
    ("locale", "en-", "not a BCP 47 language tag"),
    ("zoneinfo", "Europe/Atlantis", "not an IANA time zone name"),
    ("zoneinfo", "../../etc/passwd", "not an IANA time zone name"),
    ("phone_number", "0612345678", "not an E.164 phone number"),
    ("phone_number", "+0612345678", "not an E.164 phone number"),
    ("phone_number", "+1234567890123456", "not an E.164 phone number"),
    ("picture", "http://example.com/a.png", "an https URL is required"),
    ("picture", "http://127.0.0.1:8080/a.png", "an https URL is required"),
    ("picture", "https://169.254.169.254/latest/meta-data/", "a public name or a global IP address"),
    ("picture", "https://10.0.0.7/a.png", "a public name or a global IP address"),
    ("picture", "https://192.168.1.1/a.png", "a public name or a global IP address"),
    ("picture", "https://[::1]/a.png", "a public name or a global IP address"),
    ("picture", "https://[::ffff:169.254.169.254]/a.png", "a public name or a global IP address"),
    ("picture", "https://0x7f.1/a.png", "a public name or a global IP address"),
    ("picture", "https://2852039166/a.png", "a public name or a global IP address"),
    ("picture", "https://localhost/a.png", "a public name or a global IP address"),
    ("picture", "https://avatars.localhost/a.png", "a public name or a global IP address"),
    ("picture", "javascript:alert(1)", "an https URL is required"),
    ("picture", "https://user:pw@example.com/a.png", "must not carry a user name or password"),
    ("picture", "https://example.com/a b.png", "without spaces"),
    ("picture", "https://example.com:port/", "not a valid URL"),
    ("name", "Eve\u202eecilA", "control characters"),
    ("name", "x" * 256, "at most 255 characters"),
    ("given_name", "a\x07b", "control characters"),
    ("nickname", "al", "not a profile attribute"),
    ("email_verified", "true", "not a profile attribute"),
    ("preferred_username", "alice", "not a profile attribute"),  # the IAM user name, never the user's to set
])
def test_refused_values_name_the_attribute(attribute, value, says):
    with pytest.raises(InvalidProfileAttribute) as refused:
        profiles.validated({attribute: value})
    assert refused.value.attribute == attribute and says in refused.value.message


@pytest.fixture
def models_dir(tmp_path_factory):
    return write_extended_model(tmp_path_factory.mktemp("botocore-models"))


@pytest.fixture
def admin(models_dir, live_server, root):
    """The root user's IAM client with the profile extension."""
    return profile_client(models_dir, live_server, root.access_key_id, root.secret_access_key)


def _own_client(models_dir, live_server, iam, name: str, policy: str | None):
    iam.create_user(UserName=name)
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="own-profile", PolicyDocument=policy)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return profile_client(models_dir, live_server, key["AccessKeyId"], key["SecretAccessKey"])


def test_an_administrator_sets_reads_and_removes_attributes_through_boto3(admin, iam, app, root):
    """The profile round trip; then an email is unverified until marked verified for that very address."""
    iam.create_user(UserName="alice")

    updated = admin.update_user_profile(UserName="alice", Email="alice@example.com", Name="Alice Liddell",
                                        GivenName="Alice", Zoneinfo="Europe/London", PhoneNumber="+447700900123",
                                        Picture="https://cdn.example.com/alice.png", Locale="en-GB")["UserProfile"]

    assert updated["UserName"] == "alice" and updated["Arn"].endswith(":user/alice")
    assert (updated["Email"], updated["EmailVerified"], updated["PhoneNumberVerified"]) == (
        "alice@example.com", False, False)
    assert updated["UpdatedAt"].tzinfo is not None
    fetched = admin.get_user_profile(UserName="alice")["UserProfile"]
    assert {k: fetched[k] for k in ("Name", "GivenName", "Zoneinfo", "Locale", "Picture")} == {
        "Name": "Alice Liddell", "GivenName": "Alice", "Zoneinfo": "Europe/London", "Locale": "en-GB",
        "Picture": "https://cdn.example.com/alice.png"}

    removed = admin.update_user_profile(UserName="alice", GivenName="", Picture="")["UserProfile"]

    assert "GivenName" not in removed and "Picture" not in removed and removed["Name"] == "Alice Liddell"
    # GetUser keeps AWS's shape: AWS's own model parses it.
    assert iam.get_user(UserName="alice")["User"]["UserName"] == "alice"
    events = stored(app, AuditEvent, AuditEvent.action == "user_profile_updated")
    assert [e.detail["attributes"] for e in events] == [
        ["email", "given_name", "locale", "name", "phone_number", "picture", "zoneinfo"], ["given_name", "picture"]]
    assert {e.actor for e in events} == {f"arn:aws:iam::{root.account_id}:root"}

    # A changed email is unverified until marked verified for that very address.
    admin.update_user_profile(UserName="alice", Email="alice@example.com", PhoneNumber="+15555550100")
    with app.app_context():
        from models import db

        user = db.session.scalar(db.select(User).filter_by(name="alice"))
        assert profiles.mark_email_verified(user, "old@example.com") is False
        assert profiles.mark_email_verified(user, "alice@example.com") is True
        user.phone_number_verified = True
        db.session.commit()
    assert admin.get_user_profile(UserName="alice")["UserProfile"]["EmailVerified"] is True

    same = admin.update_user_profile(UserName="alice", Email="alice@example.com", Name="A")["UserProfile"]
    assert same["EmailVerified"] is True and same["PhoneNumberVerified"] is True  # unchanged address: still proven

    changed = admin.update_user_profile(UserName="alice", Email="alice@example.org",
                                        PhoneNumber="+15555550199")["UserProfile"]
    assert (changed["EmailVerified"], changed["PhoneNumberVerified"]) == (False, False)


def test_a_user_allowed_by_policy_edits_their_own_profile_without_naming_themselves(models_dir, live_server, iam,
                                                                                    app):
    bob = _own_client(models_dir, live_server, iam, "bob", OWN_PROFILE)

    assert bob.update_user_profile(FamilyName="Builder")["UserProfile"]["FamilyName"] == "Builder"
    assert bob.get_user_profile()["UserProfile"]["UserName"] == "bob"
    with pytest.raises(ClientError) as refused:
        bob.get_user_profile(UserName="alice-other")
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    [event] = stored(app, AuditEvent, AuditEvent.action == "user_profile_updated")
    assert event.detail["by_admin"] is False


def test_refusals_change_nothing(models_dir, live_server, iam, admin, root, app):
    """A principal without the permission, a bad value, no attribute at all, an unknown user."""
    iam.create_user(UserName="alice")
    admin.update_user_profile(UserName="alice", Name="Alice", Email="alice@example.com")
    carol = _own_client(models_dir, live_server, iam, "carol", None)

    calls = {"UpdateUserProfile": lambda: carol.update_user_profile(UserName="alice", Name="Mallory"),
             "GetUserProfile": lambda: carol.get_user_profile(UserName="alice")}
    for action, call in calls.items():
        with pytest.raises(ClientError) as refused:
            call()
        error = refused.value.response["Error"]
        assert error["Code"] == "AccessDenied"
        assert error["Message"] == (
            f"User: arn:aws:iam::{root.account_id}:user/carol is not authorized to perform: iam:{action} on resource: "
            f"arn:aws:iam::{root.account_id}:user/alice because no identity-based policy allows the iam:{action} "
            f"action")
    with pytest.raises(ClientError) as refused:
        admin.update_user_profile(UserName="alice", Name="Alicia", Zoneinfo="Mars/Olympus_Mons")

    error = refused.value.response["Error"]
    assert error["Code"] == "ValidationError" and refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "Invalid zoneinfo: not an IANA time zone name" in error["Message"]
    profile = admin.get_user_profile(UserName="alice")["UserProfile"]
    assert profile["Name"] == "Alice" and "Zoneinfo" not in profile
    with pytest.raises(ClientError) as empty:
        admin.update_user_profile(UserName="alice")
    assert empty.value.response["Error"]["Code"] == "ValidationError"
    with pytest.raises(ClientError) as missing:
        admin.get_user_profile(UserName="nobody")
    assert missing.value.response["Error"]["Code"] == "NoSuchEntity"
    assert len(stored(app, AuditEvent, AuditEvent.action == "user_profile_updated")) == 1


def test_the_profile_rules_send_no_mail_and_the_lifecycle_service_starts_the_verification(iam, app):
    """`update_profile` only says the email changed; `idp.lifecycle.profile_updates.update` mails the link."""
    iam.create_user(UserName="dora")
    with app.app_context():
        from models import db

        user = db.session.scalar(db.select(User).filter_by(name="dora"))
        change = profiles.update_profile(user, {"email": "dora@example.com", "name": "Dora"}, by_admin=True)

        assert (change.email_changed, change.old_email, change.changed) == (True, None, {"email", "name"})
        assert change.profile["email"] == "dora@example.com" and change.profile["email_verified"] is False
        assert db.session.scalars(db.select(OutboundMail)).all() == []
        assert profiles.update_profile(user, {"name": "Dora"}, by_admin=True).email_changed is False

        profile_updates.update(user, {"email": "dora@example.org"}, by_admin=True)

        assert sorted(mail.recipient for mail in db.session.scalars(db.select(OutboundMail))) == [
            "dora@example.com", "dora@example.org"]  # the notice to the old address, the link to the new one
        db.session.rollback()


def test_preferred_username_cannot_be_set_through_update_user_profile(live_server, iam, root, app):
    """boto3's model has no PreferredUsername member: the request is sent signed by hand, as a client could."""
    iam.create_user(UserName="alice")
    body = urlencode({"Action": "UpdateUserProfile", "Version": "2010-05-08", "UserName": "alice",
                      "PreferredUsername": "root", "Name": "Alice"})
    signed = AWSRequest("POST", f"{live_server.url}/", data=body,
                        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(root.access_key_id, root.secret_access_key), "iam", "us-east-1").add_auth(signed)

    answer = requests.post(f"{live_server.url}/", data=body, headers=dict(signed.headers), timeout=30)

    assert answer.status_code == 400 and "<Code>ValidationError</Code>" in answer.text
    assert "PreferredUsername is the IAM user name" in answer.text
    [alice] = stored(app, User, User.name == "alice")
    assert alice.display_name is None
