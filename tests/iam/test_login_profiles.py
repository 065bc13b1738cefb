"""IAM login profiles through boto3: console passwords, the account password policy, no clear text anywhere."""
import json

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import select

GOOD = "Correct-Horse-9"


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response["Error"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def stored_profile(app, user_name: str):
    """The login profile row (read-only), to check what is stored at rest."""
    from models import db
    from models.user import LoginProfile, User

    with app.app_context():
        profile = db.session.scalar(select(LoginProfile).join(User).where(User.name == user_name))
        if profile is not None:
            db.session.expunge(profile)
        db.session.remove()
        return profile


def password_is(app, user_name: str, password: str) -> bool:
    from idp.iam.passwords import verify_password

    return verify_password(stored_profile(app, user_name).password_hash, password)


def test_create_get_update_delete(iam, app):
    iam.create_user(UserName="alice")
    created = iam.create_login_profile(UserName="alice", Password=GOOD, PasswordResetRequired=True)["LoginProfile"]
    assert created["UserName"] == "alice" and created["PasswordResetRequired"] is True
    assert set(created) == {"UserName", "CreateDate", "PasswordResetRequired"}
    fetched = iam.get_login_profile(UserName="ALICE")["LoginProfile"]
    assert fetched == created

    profile = stored_profile(app, "alice")
    assert profile.password_hash.startswith("$argon2id$") and GOOD not in profile.password_hash
    assert password_is(app, "alice", GOOD)

    iam.update_login_profile(UserName="alice", PasswordResetRequired=False)
    assert iam.get_login_profile(UserName="alice")["LoginProfile"]["PasswordResetRequired"] is False
    assert password_is(app, "alice", GOOD)
    iam.update_login_profile(UserName="alice", Password="Another-Horse-10")
    assert password_is(app, "alice", "Another-Horse-10") and not password_is(app, "alice", GOOD)

    error, status = error_of(iam.delete_user, UserName="alice")
    assert (error["Code"], status) == ("DeleteConflict", 409)
    assert error["Message"] == "Cannot delete entity, must delete login profile first."
    iam.delete_login_profile(UserName="alice")
    error, status = error_of(iam.get_login_profile, UserName="alice")
    assert (error["Code"], status) == ("NoSuchEntity", 404)
    assert error["Message"] == "Login Profile for User alice cannot be found."
    iam.delete_user(UserName="alice")


def test_entity_errors(iam):
    iam.create_user(UserName="bob")
    iam.create_login_profile(UserName="bob", Password=GOOD)
    error, status = error_of(iam.create_login_profile, UserName="bob", Password="Other-Horse-11")
    assert (error["Code"], status) == ("EntityAlreadyExists", 409)
    assert error["Message"] == "Login Profile for user bob already exists."

    for call, extra in ((iam.create_login_profile, {"Password": GOOD}), (iam.get_login_profile, {}),
                        (iam.update_login_profile, {"Password": GOOD}), (iam.delete_login_profile, {})):
        error, status = error_of(call, UserName="nobody", **extra)
        assert (error["Code"], status) == ("NoSuchEntity", 404)
        assert error["Message"] == "The user with name nobody cannot be found."

    iam.create_user(UserName="carol")
    for call, extra in ((iam.update_login_profile, {"Password": GOOD}), (iam.delete_login_profile, {})):
        error, _ = error_of(call, UserName="carol", **extra)
        assert error["Message"] == "Login Profile for User carol cannot be found."

    # The root user has no login profile of its own to reach without a user name.
    error, status = error_of(iam.get_login_profile)
    assert (error["Code"], status) == ("ValidationError", 400)
    assert error["Message"] == "Must specify userName when calling with non-User credentials"


def test_weak_passwords_are_refused_without_echo_and_create_nothing(iam):
    iam.create_user(UserName="dave")
    error, status = error_of(iam.create_login_profile, UserName="dave", Password="Short-7")
    assert (error["Code"], status) == ("PasswordPolicyViolation", 400)
    assert error["Message"] == "Password should have at least 8 characters"

    too_long = "Aa1!" * 33
    error, status = error_of(iam.create_login_profile, UserName="dave", Password=too_long)
    assert (error["Code"], status) == ("ValidationError", 400)
    assert "Member must have length less than or equal to 128" in error["Message"] and too_long not in error["Message"]
    error, _ = error_of(iam.create_login_profile, UserName="dave", Password="snow\u2603man-password")
    assert error["Code"] == "ValidationError" and "snow" not in error["Message"]

    assert error_of(iam.get_login_profile, UserName="dave")[0]["Code"] == "NoSuchEntity"


def test_the_account_password_policy_is_enforced(iam, app):
    iam.update_account_password_policy(
        MinimumPasswordLength=12, RequireSymbols=True, RequireNumbers=True,
        RequireUppercaseCharacters=True, RequireLowercaseCharacters=True,
    )
    iam.create_user(UserName="erin")
    for password, message in [
        ("Sh0rt-Pass!", "Password should have at least 12 characters"),
        ("lowercase-only-1", "Password should have at least one uppercase letter"),
        ("UPPERCASE-ONLY-1", "Password should have at least one lowercase letter"),
        ("No-Numbers-Here", "Password should have at least one number"),
        ("NoSymbols12345", "Password should have at least one symbol"),
    ]:
        error, status = error_of(iam.create_login_profile, UserName="erin", Password=password)
        assert (error["Code"], status, error["Message"]) == ("PasswordPolicyViolation", 400, message)
        assert password not in error["Message"]
    assert error_of(iam.get_login_profile, UserName="erin")[0]["Code"] == "NoSuchEntity"

    iam.create_login_profile(UserName="erin", Password="Long-Enough-12")
    error, _ = error_of(iam.update_login_profile, UserName="erin", Password="weak")
    assert error["Code"] == "PasswordPolicyViolation"
    assert password_is(app, "erin", "Long-Enough-12")


def test_password_reuse_prevention(iam, app):
    iam.update_account_password_policy(PasswordReusePrevention=2)
    iam.create_user(UserName="frank")
    iam.create_login_profile(UserName="frank", Password="first-password")
    error, status = error_of(iam.update_login_profile, UserName="frank", Password="first-password")
    assert (error["Code"], status) == ("PasswordPolicyViolation", 400)
    assert error["Message"] == "Password should not be one of your last 2 passwords"

    iam.update_login_profile(UserName="frank", Password="second-password")
    assert error_of(iam.update_login_profile, UserName="frank", Password="first-password")[0]["Code"] == \
        "PasswordPolicyViolation"
    iam.update_login_profile(UserName="frank", Password="third-password")
    # Two changes later, the first password may come back.
    iam.update_login_profile(UserName="frank", Password="first-password")
    assert password_is(app, "frank", "first-password")


def test_a_user_reads_its_own_profile_and_nothing_else(iam, user_client, root):
    account = root.account_id
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "iam:GetLoginProfile",
        "Resource": f"arn:aws:iam::{account}:user/${{aws:username}}",
    }]})
    grace = user_client("grace", policy=policy)
    iam.create_login_profile(UserName="grace", Password=GOOD)
    assert grace.get_login_profile()["LoginProfile"]["UserName"] == "grace"

    error, status = error_of(grace.update_login_profile, UserName="grace", Password="Sneaky-Change-1")
    assert (error["Code"], status) == ("AccessDenied", 403)
    assert error["Message"] == (
        f"User: arn:aws:iam::{account}:user/grace is not authorized to perform: iam:UpdateLoginProfile "
        f"on resource: arn:aws:iam::{account}:user/grace because no identity-based policy allows "
        "the iam:UpdateLoginProfile action"
    )
    iam.create_user(UserName="henry")
    error, _ = error_of(grace.create_login_profile, UserName="henry", Password=GOOD)
    assert error["Code"] == "AccessDenied" and "iam:CreateLoginProfile" in error["Message"]
    assert error_of(iam.get_login_profile, UserName="henry")[0]["Code"] == "NoSuchEntity"
