"""CreateLoginProfile, GetLoginProfile, UpdateLoginProfile, DeleteLoginProfile."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from idp.aws import params
from idp.aws.api import Call, query_action
from idp.aws.iam import names
from idp.aws.iam.access_keys import authorized_subject
from idp.aws.validation import failed_constraint
from idp.iam import login_profiles

if TYPE_CHECKING:
    from models.user import LoginProfile

PASSWORD_PATTERN = r"[\u0009\u000A\u000D\u0020-\u00FF]+"
_PASSWORD = re.compile(PASSWORD_PATTERN)


def _password(call: Call, *, required: bool) -> str | None:
    """The Password parameter, validated without ever echoing it (it is a sensitive member)."""
    value = call.params.get("Password")
    if value is None:
        return params.string(call.params, "Password", required=required)
    if not value:
        failed_constraint(None, "password", "Member must have length greater than or equal to 1")
    if len(value) > login_profiles.MAX_LENGTH:
        failed_constraint(None, "password", f"Member must have length less than or equal to {login_profiles.MAX_LENGTH}")
    if not _PASSWORD.fullmatch(value):
        failed_constraint(None, "password", f"Member must satisfy regular expression pattern: {PASSWORD_PATTERN}")
    return value


def _max_session(call: Call) -> None:
    # Accepted for SDK compatibility; console sessions follow the IdP's own lifetime.
    params.integer(call.params, "MaxSigninSessionDuration", min_value=3600, max_value=7776000)


def profile_shape(profile: LoginProfile) -> dict:
    """`LoginProfile`: never the password or its hash."""
    return {
        "UserName": profile.user.name, "CreateDate": profile.created_at,
        "PasswordResetRequired": profile.password_reset_required,
    }


@query_action("iam", "CreateLoginProfile")
def create_login_profile(call: Call) -> dict:
    name = names.name(call.params, "UserName", required=False)
    password = _password(call, required=True)
    reset = params.boolean(call.params, "PasswordResetRequired", default=False)
    _max_session(call)
    user = authorized_subject(call, name, allow_root=False)
    return {"LoginProfile": profile_shape(login_profiles.create(user, password, reset))}


@query_action("iam", "GetLoginProfile")
def get_login_profile(call: Call) -> dict:
    name = names.name(call.params, "UserName", required=False)
    user = authorized_subject(call, name, allow_root=False)
    return {"LoginProfile": profile_shape(login_profiles.get(user))}


@query_action("iam", "UpdateLoginProfile")
def update_login_profile(call: Call) -> None:
    name = names.name(call.params, "UserName")
    password = _password(call, required=False)
    reset = params.boolean(call.params, "PasswordResetRequired")
    _max_session(call)
    params.boolean(call.params, "ResetMaxSigninSessionDuration")
    user = authorized_subject(call, name, allow_root=False)
    login_profiles.update(login_profiles.get(user), password, reset)


@query_action("iam", "DeleteLoginProfile")
def delete_login_profile(call: Call) -> None:
    name = names.name(call.params, "UserName", required=False)
    user = authorized_subject(call, name, allow_root=False)
    login_profiles.delete(user)
