"""Changing a user's profile, and what a change sets off: a changed email gets its verification link.

`idp.iam.profiles` holds the attribute rules and says what changed; this module hands a changed email to
`idp.lifecycle.verification.email_changed` (a link to the new address, a notice to the old one). Every
caller goes through `update`: the IAM API (`UpdateUserProfile`, authorized by its adapter), invitations
and self-registration, and the account page through `update_own`.

`update_own` is self-service on `/account`, authorized by the shared authorizer exactly as the IAM API
authorizes `iam:UpdateUserProfile` on the user's own ARN, and exactly as `idp.signin.own_credentials` does
for the page's key changes: a user may change their profile only where their policies allow it (with no
policy at all, the implicit deny refuses it, as it refuses their keys), and an explicit deny in an identity
policy, a boundary or an SCP stops the page as it stops the API.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from idp import audit
from idp.authz.authorizer import authorize
from idp.errors import AccessDenied, ValidationError
from idp.iam import profiles
from idp.lifecycle import verification
from idp.signin import passwords
from idp.signin.callers import caller_for

if TYPE_CHECKING:
    from models.session import BrowserSession
    from models.user import User

ACTION = "iam:UpdateUserProfile"


class ProfileChangeDenied(AccessDenied):
    """The authorizer refused my profile change on `/account`. It keeps the request's work: the page's own `Deny`
    entry is written (and a step-up the same request made stays); nothing of the profile was changed."""

    keeps_work = True


def update(user: User, changes: Mapping[str, object], *, by_admin: bool,
           actor: str | None = None) -> profiles.ProfileChange:
    """Apply the changes (`idp.iam.profiles.update_profile`); a changed email gets its verification link."""
    change = profiles.update_profile(user, changes, by_admin=by_admin, actor=actor)
    if change.email_changed:
        verification.email_changed(user, change.old_email)
    return change


def update_own(session: BrowserSession, changes: Mapping[str, object]) -> profiles.ProfileChange:
    """The signed-in IAM user changes their own profile, if the shared authorizer allows `iam:UpdateUserProfile`
    on their ARN (ProfileChangeDenied otherwise, before anything is checked or written)."""
    principal = passwords.principal_of(session)
    if principal.user is None:
        raise ValidationError("Only an IAM user has a profile.")
    try:
        authorize(caller_for(session), ACTION, principal.user.arn)
    except AccessDenied as denied:
        audit.record(ACTION, actor=principal.arn, resource=principal.user.arn, decision="Deny",
                     account_id=principal.account_id, detail={"via": "account page"})
        raise ProfileChangeDenied(denied.message) from None
    return update(principal.user, changes, by_admin=False, actor=principal.arn)
