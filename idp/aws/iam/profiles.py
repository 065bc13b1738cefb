"""GetUserProfile, UpdateUserProfile: this product's own IAM extension for user profile attributes.

AWS IAM has no profile attributes, so these two actions exist only here (docs/profiles.md), in IAM's Query
style (version 2010-05-08): `iam:GetUserProfile` / `iam:UpdateUserProfile` on the user's ARN, through the
shared authorizer like every IAM action. Without `UserName` they are about the calling user. In
UpdateUserProfile a member left out is unchanged and an empty value removes the attribute. The rules are
`idp.iam.profiles`, the change goes through `idp.lifecycle.profile_updates` (a changed email gets its
verification link); a profile is not an authorization input, so an update leaves the account's authz
version alone. There is no `PreferredUsername`: that claim is the IAM user name.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from idp.aws import params
from idp.aws.api import Call, query_action
from idp.aws.iam import names
from idp.aws.iam.subjects import authorized_subject
from idp.errors import ValidationError
from idp.iam import profiles
from idp.lifecycle import profile_updates

if TYPE_CHECKING:
    from models.user import User

# Query member -> claim name.
MEMBERS = {
    "Email": "email", "Name": "name", "GivenName": "given_name", "FamilyName": "family_name",
    "Locale": "locale", "Zoneinfo": "zoneinfo", "PhoneNumber": "phone_number", "Picture": "picture",
}
FLAGS = {"email_verified": "EmailVerified", "phone_number_verified": "PhoneNumberVerified"}


def _subject(call: Call) -> User:
    """The user named by `UserName`, or the calling user; authorized for this action on its ARN."""
    user = authorized_subject(call, names.name(call.params, "UserName", max_len=128, required=False),
                              allow_root=False)
    if user is None:  # the root user has no profile (not reached: allow_root=False refuses it first)
        raise ValidationError("Must specify userName when calling with non-User credentials")
    return user


def profile_shape(user: User) -> dict:
    """The `UserProfile` structure: the user's name and ARN, then each attribute it holds."""
    profile = profiles.get_profile(user)
    shape: dict = {"UserName": user.name, "Arn": user.arn}
    shape.update({member: profile[claim] for member, claim in MEMBERS.items() if claim in profile})
    shape.update({member: profile[claim] for claim, member in FLAGS.items() if claim in profile})
    shape["UpdatedAt"] = user.profile_updated_at
    return shape


@query_action("iam", "GetUserProfile")
def get_user_profile(call: Call) -> dict:
    """The user's profile attributes."""
    return {"UserProfile": profile_shape(_subject(call))}


@query_action("iam", "UpdateUserProfile", mutates=False)
def update_user_profile(call: Call) -> dict:
    """Set the members given (an empty one removes its attribute); the new profile."""
    if "PreferredUsername" in call.params:
        raise ValidationError("PreferredUsername is the IAM user name: it is not a profile attribute (UpdateUser "
                              "renames a user).")
    changes = {claim: params.string(call.params, member) for member, claim in MEMBERS.items()
               if member in call.params}
    if not changes:
        raise ValidationError(f"The request must contain at least one of {', '.join(MEMBERS)}.")
    user = _subject(call)
    profile_updates.update(user, changes, by_admin=call.caller.arn != user.arn, actor=call.caller.arn)
    return {"UserProfile": profile_shape(user)}
