"""CreateUserInvitation: this product's own IAM extension (AWS IAM has no invitations).

`Action=CreateUserInvitation&Version=2010-05-08&UserName=NAME[&Email=ADDRESS]`, authorized by the shared
authorizer on the user's ARN as `iam:CreateUserInvitation` and, since an invitation lets whoever reads the mail
set the user's password, as `iam:CreateLoginProfile` too; with `Email` (which changes the user's address) also
as `iam:UpdateUserProfile`. It mails the user a single-use 7-day link to choose their own password
(`idp.lifecycle.invitations`); the caller never sees the password or the link. `Email` sets the user's address
first (it counts as verified once the invitation is used).
"""
from __future__ import annotations

from idp.aws import params
from idp.aws.api import Call, query_action
from idp.aws.iam import names
from idp.aws.iam.subjects import authorize_user
from idp.iam import tags as tagging
from idp.iam import users
from idp.lifecycle import invitations


@query_action("iam", "CreateUserInvitation", mutates=False)
def create_user_invitation(call: Call) -> dict:
    name = names.name(call.params, "UserName", max_len=128)
    email = params.string(call.params, "Email", min_len=3, max_len=254)
    _authorize(call, name, email is not None)
    invitations.invite(call.account_id, name, by=call.caller.arn, email=email)
    user = users.get(call.account_id, name)
    return {"Invitation": {"UserName": user.name, "Arn": user.arn, "Email": user.email}}


def _authorize(call: Call, name: str, sets_email: bool) -> None:
    """iam:CreateUserInvitation, then the powers the invitation exercises: setting the password (and the email)."""
    user = authorize_user(call, name)
    arn = user.arn if user else users.resource_arn(call.account_id, name)
    keys = tagging.resource_keys(user.tags if user else None)
    for action in ("iam:CreateLoginProfile", *(("iam:UpdateUserProfile",) if sets_email else ())):
        call.authorize(arn, action=action, context=keys)
