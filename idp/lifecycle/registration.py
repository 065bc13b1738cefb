"""Self-registration, off by default per account: a sign-up creates a user in the account's configured path
and group, with a password and an email that must be verified before the first sign-in.

Sign-ups are throttled per source address and per email address (429; the address keyed without a `+tag`, so
`victim+1@` counts as `victim@`), counted before the user name is looked at: a taken name is one more counted
attempt (400, a generic message), so the page cannot list an account's users. An account may allow only some
email domains. The verification link is the one every changed email gets (`idp.lifecycle.verification`);
until it is used, the sign-in refuses the user (`idp.signin.passwords`, `EmailNotVerified`).
"""
from __future__ import annotations

import re
from datetime import timedelta

from idp import audit, clock
from idp.errors import SelfServiceDisabled, ValidationError
from idp.iam import groups, login_profiles, profiles, users
from idp.iam.names import NAME_PATTERN
from idp.lifecycle import profile_updates, settings
from idp.signin import passwords, throttle
from models import db
from models.lifecycle import SelfRegistration
from models.user import User

DISABLED = "Sign-up is not available for this account."
ADDRESS_RULE = throttle.Rule(free_failures=5, cap=timedelta(hours=1))
EMAIL_RULE = throttle.Rule(free_failures=1, cap=timedelta(hours=1))
_NAME = re.compile(rf"^{NAME_PATTERN}$")
TAKEN = "That user name cannot be used. Choose another one."


def signup_account(account: str) -> settings.LifecycleSettings:
    """The settings of the account (id or alias) if it lets people sign up; SelfServiceDisabled otherwise."""
    found = passwords.find_account(account)
    config = settings.of(found.id) if found is not None else None
    if config is None or not config.self_registration:
        raise SelfServiceDisabled(DISABLED)
    return config


def register(account: str, user_name: str, email: str, password: str, *, address: str | None) -> User:
    """Create the user (EntityAlreadyExists for a taken name, ValidationError or PasswordPolicyViolation for bad
    input, before anything is written) and mail the verification link. Not committed.

    The throttle counts the attempt before the name is looked at; a taken name is then a ValidationError.
    """
    config = signup_account(account)
    user_name = user_name.strip()
    if not 1 <= len(user_name) <= 64 or not _NAME.match(user_name):
        raise ValidationError("A user name is 1 to 64 letters, digits or + = , . @ _ -.")
    email = profiles.validated({"email": email})["email"]
    if not email:
        raise ValidationError("An email address is required.")
    domain = email.rpartition("@")[2].lower()
    if config.allowed_domains and domain not in config.allowed_domains:
        raise ValidationError("Sign-up is not open to addresses of that domain.")
    login_profiles.check(config.account_id, password)
    keys = [f"signup-{throttle.address_key(address)}", f"signup-mail:{mailbox_key(email)}"]
    throttle.check(keys)
    throttle.failed(keys[0], ADDRESS_RULE)
    throttle.failed(keys[1], EMAIL_RULE)
    if users.find(config.account_id, user_name) is not None:
        raise ValidationError(TAKEN)
    user = users.create(config.account_id, user_name, config.registration_path, [])
    login_profiles.create(user, password, reset_required=False)
    if config.registration_group:
        groups.add_user(groups.get(config.account_id, config.registration_group), user)
    db.session.add(SelfRegistration(user_id=user.id, created_at=clock.now()))
    profile_updates.update(user, {"email": email}, by_admin=False)  # mails the verification link
    audit.record("user_self_registered", actor=user.arn, resource=user.arn, decision="Allow",
                 account_id=user.account_id, detail={"path": user.path, "group": config.registration_group})
    return user



def mailbox_key(email: str) -> str:
    """The mailbox an address reaches, for the throttle: lower case, without a `+tag` in its local part."""
    local, _, domain = email.lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"
