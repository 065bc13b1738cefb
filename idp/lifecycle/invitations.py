"""Invitations: an administrator invites a user (with an email) who sets their own password through a
single-use 7-day link; the administrator never learns it.

The invitation is for a user without a console password. Using it creates the login profile under the
account's password policy and the common-password list, and counts as proof of the address it was sent
to (the email becomes verified). A new invitation spends the earlier ones. A link stands only while the user's
email is still the invited address and they have had no password since it was made (`idp.lifecycle.links`). The person is not signed in by
the link: they sign in with the new password and may then add a second factor on their account page.
"""
from __future__ import annotations

from idp import audit
from idp.errors import Conflict, LinkInvalid, ValidationError
from idp.iam import login_profiles, profiles, users
from idp.lifecycle import links, notices, profile_updates, verification
from models.user import User


def invite(account_id: str, user_name: str, *, by: str, email: str | None = None) -> None:
    """Mail an invitation to the user's email (set to `email` first when given); audited as `by` (not committed).

    NoSuchEntity for an unknown user, EntityAlreadyExists when they have a password already, a
    ValidationError when they have no email.
    """
    user = users.get(account_id, user_name)
    if user.login_profile is not None:
        raise Conflict(f"User {user.name} already has a password; invitations are for users without one.")
    recipient = profiles.validated({"email": email})["email"] if email else user.email
    if not recipient:
        raise ValidationError(f"User {user.name} has no email address: give one (Email) to send an invitation.")
    links.spend_others(user, links.INVITATION)
    link = links.issue(links.INVITATION, user, recipient)
    if recipient != user.email:
        # The verification flow sees the live invitation to this address and sends no second link.
        profile_updates.update(user, {"email": recipient}, by_admin=True, actor=by)
    notices.send("invitation", recipient, user, link=link)
    audit.record("user_invited", actor=by, resource=user.arn, decision="Allow", account_id=account_id,
                 detail={"email_domain": recipient.rpartition("@")[2]})


def check_link(token: str) -> User:
    """The user a live invitation is for (the page that asks for the password); LinkInvalid otherwise."""
    user = users.by_key(links.peek(token, links.INVITATION).user_id)
    if user is None:
        raise LinkInvalid(links.INVALID)
    return user


def accept(token: str, password: str) -> User:
    """Set the invited user's first password (PasswordPolicyViolation before anything is written), verify the
    invited address, spend the link; audited. Not committed."""
    user = check_link(token)
    login_profiles.check(user.account_id, password)
    link = links.consume(token, links.INVITATION)  # before the password, which spends every live invitation
    login_profiles.create(user, password, reset_required=False)
    verification.mark_verified(user, link.email)
    audit.record("invitation_accepted", actor=user.arn, resource=user.arn, decision="Allow",
                 account_id=user.account_id, detail={"email_verified": bool(user.email_verified)})
    return user
