"""`/console/users`: the users list (name prefix, path filter, keyset pages) and one user's page with its actions.

Every read and every change is the IAM action the Query API would authorize, on the same resource with the same
condition keys (`aws:ResourceTag/*` of the user, `iam:PolicyARN`, `iam:PermissionsBoundary`, `aws:RequestTag/*`),
and is done by the same service function; form fields carry the API's parameter names and pass the API's
validation (`idp.aws.iam.names`, `idp.aws.params`). Two page actions have no IAM action of their own and are
authorized as the action whose effect they have: the user's browser sessions are read as `iam:GetLoginProfile`
and ended as `iam:UpdateLoginProfile` (a new password signs the user out everywhere too); the sign-in history
is the audit log, read as `cloudtrail:LookupEvents`.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Callable

from flask import Response, request, url_for

from idp.aws import params
from idp.aws.iam import names
from idp.errors import NotFound, ValidationError
from idp.iam import access_keys, attachments, boundaries, groups, inline_policies, login_profiles, mfa_devices
from idp.iam import policies, users
from idp.iam import tags as tagging
from idp.lifecycle import invitations
from idp.signin import history, sessions
from idp.web.console import blueprint
from idp.web.console.common import (
    Refused,
    arn_for,
    check,
    console_principal,
    done,
    render,
    require,
    require_recent_auth,
)

if TYPE_CHECKING:
    from models.user import User

PAGE_SIZE = 50
SESSION_REVOKED = "console_revoked"


@dataclass(frozen=True)
class Section:
    """One read of a page: its value, or the reason the authorizer refused `action`."""

    action: str
    value: Any = None
    refused: str | None = None


def read(action: str, resource: str, value: Callable[[], Any], context: dict[str, object] | None = None) -> Section:
    """`value()` when `action` on `resource` is allowed, else the refusal (the page shows it in the section)."""
    reason = check(action, resource, context)
    return Section(action, None if reason else value(), reason)


def fields() -> dict[str, str]:
    """The form's non-empty fields, stripped, by their API parameter names (the token and `back` left out)."""
    return {key: value.strip() for key, value in request.form.items()
            if value.strip() and key not in ("csrf_token", "back")}


# --- the list ------------------------------------------------------------------------------------------------------


@blueprint.get("/users")
def user_list() -> str:
    """Users under a path, whose name starts with `q`, 50 a page after the name `after` (keyset, never OFFSET)."""
    account_id = console_principal().account_id
    query = {key: value for key in ("q", "path", "after") if (value := request.args.get(key, "").strip())}
    path = names.path_prefix({"PathPrefix": query["path"]} if "path" in query else {})
    prefix = params.string(query, "q", max_len=64) or ""
    found = read("iam:ListUsers", arn_for("user", "*", path),
                 lambda: users.page_after(account_id, path, prefix, query.get("after"), PAGE_SIZE + 1))
    rows = found.value or []
    next_url = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        next_url = url_for("console.user_list", **{**query, "after": rows[-1].name})
    return render("console/users.html", title="Users", found=found, rows=rows, next_url=next_url, q=prefix,
                  path=path)


@blueprint.post("/users")
def user_create() -> Response:
    """CreateUser (name, path, optional boundary and tags), then that user's page."""
    account_id = console_principal().account_id
    form = fields()
    name, path = names.name(form, "UserName"), names.path(form)
    new_tags = params.tags(form)
    boundary_arn = names.policy_arn(form, "PermissionsBoundary", required=False)
    context = tagging.request_keys(new_tags)
    if boundary_arn:
        context.update(boundaries.condition_keys(boundary_arn))
    require("iam:CreateUser", names.arn(account_id, "user", path, name), context)
    boundary = policies.get_attachable(account_id, boundary_arn) if boundary_arn else None
    users.create(account_id, name, path, new_tags, boundary)
    return done("console.user_page", name=name)


# --- one user ------------------------------------------------------------------------------------------------------


def _user(name: str, action: str) -> User:
    """The user `name`; for a missing one, `action` is decided first (on the ARN it would have), as the API does:
    a principal that may not do it learns nothing of which users exist."""
    account_id = console_principal().account_id
    user = users.find(account_id, name)
    if user is None:
        reason = check(action, users.resource_arn(account_id, name))
        if reason is not None:
            raise Refused(reason, action=action)
        return users.get(account_id, name)  # NoSuchEntity in AWS's words
    return user


def _tag_keys(user: User) -> dict[str, object]:
    """The user's `aws:ResourceTag/*` keys, as the API authorizes every action on a user."""
    return tagging.resource_keys(user.tags)


def _boundary_keys(user: User) -> dict[str, object]:
    """The tag keys plus the user's current `iam:PermissionsBoundary` (policy changes condition on it)."""
    return {**_tag_keys(user), **boundaries.condition_keys(boundaries.current_arn(user))}


def _require_on(user: User, action: str, context: dict[str, object] | None = None) -> None:
    require(action, user.arn, {**_tag_keys(user), **(context or {})})


def _sessions_of(user: User) -> list:
    # `active_for` lists the live sessions of a session's principal: the user's, here.
    return sessions.active_for(SimpleNamespace(account_id=user.account_id, principal_arn=user.arn))


def user_page_html(name: str, *, new_key: access_keys.IssuedKey | None = None) -> str:
    """The user's page: every section it may read, the reason for each it may not; every control visible."""
    user = _user(name, "iam:GetUser")
    account_id, arn, keys = user.account_id, user.arn, _tag_keys(user)
    sections = {
        "user": read("iam:GetUser", arn, lambda: user, keys),
        "groups": read("iam:ListGroupsForUser", arn, lambda: groups.of_user(user), keys),
        "attached": read("iam:ListAttachedUserPolicies", arn, lambda: attachments.attached(user, "/"), keys),
        "inline": read("iam:ListUserPolicies", arn, lambda: sorted(user.inline_policies, key=lambda p: p.name), keys),
        "keys": read("iam:ListAccessKeys", arn, lambda: access_keys.owned(account_id, user), keys),
        "password": read("iam:GetLoginProfile", arn, lambda: login_profiles.find(user) or False, keys),
        "mfa": read("iam:ListMFADevices", arn, lambda: mfa_devices.owned(account_id, user), keys),
        "tags": read("iam:ListUserTags", arn, lambda: user.tags or [], keys),
        "sessions": read("iam:GetLoginProfile", arn, lambda: _sessions_of(user), keys),
        "history": read("cloudtrail:LookupEvents", "*", lambda: history.recent(arn)),
    }
    return render("console/user.html", title=f"User {user.name}", user=user, s=sections, new_key=new_key,
                  boundary=boundaries.current_arn(user), credential_events=history.CREDENTIAL_EVENTS)


@blueprint.get("/users/<name>")
def user_page(name: str) -> str:
    """One user's page."""
    return user_page_html(name)


@blueprint.post("/users/<name>/delete")
def user_delete(name: str) -> Response:
    """DeleteUser (refused with AWS's DeleteConflict while it still holds credentials or policies)."""
    user = _user(name, "iam:DeleteUser")
    _require_on(user, "iam:DeleteUser")
    users.delete(user)
    return done("console.user_list")


@blueprint.post("/users/<name>/groups/add")
def user_add_to_group(name: str) -> Response:
    """AddUserToGroup: authorized on the group, as at AWS."""
    return _group_change(name, "iam:AddUserToGroup", groups.add_user)


@blueprint.post("/users/<name>/groups/remove")
def user_remove_from_group(name: str) -> Response:
    """RemoveUserFromGroup: authorized on the group."""
    return _group_change(name, "iam:RemoveUserFromGroup", groups.remove_user)


def _group_change(name: str, action: str, change: Callable) -> Response:
    account_id = console_principal().account_id
    group_name = names.name(fields(), "GroupName", max_len=128)
    require(action, groups.resource_arn(account_id, group_name))
    change(groups.get(account_id, group_name), _user(name, action))
    return done()


@blueprint.post("/users/<name>/policies/attach")
def user_attach_policy(name: str) -> Response:
    """AttachUserPolicy."""
    user = _user(name, "iam:AttachUserPolicy")
    policy_arn = names.policy_arn(fields())
    require("iam:AttachUserPolicy", user.arn, {**_boundary_keys(user), "iam:PolicyARN": policy_arn})
    attachments.attach(attachments.USER, user, policies.get_attachable(user.account_id, policy_arn))
    return done()


@blueprint.post("/users/<name>/policies/detach")
def user_detach_policy(name: str) -> Response:
    """DetachUserPolicy."""
    user = _user(name, "iam:DetachUserPolicy")
    policy_arn = names.policy_arn(fields())
    require("iam:DetachUserPolicy", user.arn, {**_boundary_keys(user), "iam:PolicyARN": policy_arn})
    attachments.detach(user, policy_arn)
    return done()


@blueprint.post("/users/<name>/inline/put")
def user_put_inline_policy(name: str) -> Response:
    """PutUserPolicy (the document is checked exactly as the API checks it)."""
    user = _user(name, "iam:PutUserPolicy")
    form = fields()
    policy_name = names.name(form, "PolicyName", max_len=128)
    document = params.string(form, "PolicyDocument", required=True, min_len=1, max_len=131072)
    require("iam:PutUserPolicy", user.arn, _boundary_keys(user))
    inline_policies.put(attachments.USER, user, policy_name, document)
    return done()


@blueprint.post("/users/<name>/inline/delete")
def user_delete_inline_policy(name: str) -> Response:
    """DeleteUserPolicy."""
    user = _user(name, "iam:DeleteUserPolicy")
    policy_name = names.name(fields(), "PolicyName", max_len=128)
    require("iam:DeleteUserPolicy", user.arn, _boundary_keys(user))
    inline_policies.delete(attachments.USER, user, policy_name)
    return done()


@blueprint.post("/users/<name>/boundary/set")
def user_set_boundary(name: str) -> Response:
    """PutUserPermissionsBoundary."""
    user = _user(name, "iam:PutUserPermissionsBoundary")
    boundary_arn = names.policy_arn(fields(), "PermissionsBoundary")
    _require_on(user, "iam:PutUserPermissionsBoundary", boundaries.condition_keys(boundary_arn))
    boundaries.put(user, policies.get_attachable(user.account_id, boundary_arn))
    return done()


@blueprint.post("/users/<name>/boundary/remove")
def user_remove_boundary(name: str) -> Response:
    """DeleteUserPermissionsBoundary."""
    user = _user(name, "iam:DeleteUserPermissionsBoundary")
    _require_on(user, "iam:DeleteUserPermissionsBoundary", boundaries.condition_keys(boundaries.current_arn(user)))
    boundaries.delete(user)
    return done()


@blueprint.post("/users/<name>/access-keys")
def user_create_access_key(name: str) -> str:
    """CreateAccessKey: the user's page with the new secret, this once (never stored in the clear, never shown
    again). Adding a credential needs a recent sign-in of the administrator, as on `/account`."""
    user = _user(name, "iam:CreateAccessKey")
    require_recent_auth()
    _require_on(user, "iam:CreateAccessKey")
    issued = access_keys.create(user.account_id, user)
    return user_page_html(name, new_key=issued)


@blueprint.post("/users/<name>/access-keys/<key_id>/status")
def user_set_access_key_status(name: str, key_id: str) -> Response:
    """UpdateAccessKey (Active or Inactive)."""
    user = _user(name, "iam:UpdateAccessKey")
    status = params.enum(fields(), "Status", access_keys.STATUSES, required=True)
    _require_on(user, "iam:UpdateAccessKey")
    access_keys.set_status(access_keys.get_owned(user.account_id, user, key_id), status)
    return done()


@blueprint.post("/users/<name>/access-keys/<key_id>/delete")
def user_delete_access_key(name: str, key_id: str) -> Response:
    """DeleteAccessKey."""
    user = _user(name, "iam:DeleteAccessKey")
    _require_on(user, "iam:DeleteAccessKey")
    access_keys.delete(access_keys.get_owned(user.account_id, user, key_id))
    return done()


@blueprint.post("/users/<name>/password")
def user_set_password(name: str) -> Response:
    """CreateLoginProfile, or UpdateLoginProfile when the user has a password (which signs it out everywhere)."""
    user = _user(name, "iam:CreateLoginProfile")
    password = request.form.get("Password", "")
    if not password:
        raise ValidationError("Enter a password.")
    reset = params.boolean(fields(), "PasswordResetRequired", default=False)
    require_recent_auth()
    profile = login_profiles.find(user)
    if profile is None:
        _require_on(user, "iam:CreateLoginProfile")
        login_profiles.create(user, password, reset)
    else:
        _require_on(user, "iam:UpdateLoginProfile")
        login_profiles.update(profile, password, reset)
    return done()


@blueprint.post("/users/<name>/password/require-reset")
def user_require_password_reset(name: str) -> Response:
    """UpdateLoginProfile with PasswordResetRequired: a new password at the next sign-in."""
    user = _user(name, "iam:UpdateLoginProfile")
    _require_on(user, "iam:UpdateLoginProfile")
    login_profiles.update(login_profiles.get(user), None, True)
    return done()


@blueprint.post("/users/<name>/password/delete")
def user_delete_password(name: str) -> Response:
    """DeleteLoginProfile (the user's browser sessions end with it)."""
    user = _user(name, "iam:DeleteLoginProfile")
    _require_on(user, "iam:DeleteLoginProfile")
    login_profiles.delete(user)
    return done()


@blueprint.post("/users/<name>/invitation")
def user_send_invitation(name: str) -> Response:
    """CreateUserInvitation (this product's own action): mail the user a single-use link to choose their password.

    Authorized as the Query API authorizes it: iam:CreateUserInvitation and iam:CreateLoginProfile on the user,
    and iam:UpdateUserProfile when an Email is given (it becomes the user's address). The administrator never
    sees the password or the link."""
    user = _user(name, "iam:CreateUserInvitation")
    email = params.string(fields(), "Email", min_len=3, max_len=254)
    for action in ("iam:CreateUserInvitation", "iam:CreateLoginProfile", *(("iam:UpdateUserProfile",) if email else ())):
        _require_on(user, action)
    invitations.invite(user.account_id, user.name, by=console_principal().arn, email=email)
    return done()


@blueprint.post("/users/<name>/mfa/deactivate")
def user_deactivate_mfa(name: str) -> Response:
    """DeactivateMFADevice (an authenticator app or a passkey)."""
    user = _user(name, "iam:DeactivateMFADevice")
    serial = params.string(fields(), "SerialNumber", required=True, min_len=9, max_len=256)
    _require_on(user, "iam:DeactivateMFADevice")
    mfa_devices.deactivate(mfa_devices.assigned(user.account_id, serial, user))
    return done()


@blueprint.post("/users/<name>/tags")
def user_tag(name: str) -> Response:
    """TagUser with one tag (`Tags.member.1.Key` / `.Value`)."""
    user = _user(name, "iam:TagUser")
    new_tags = params.tags(fields())
    if not new_tags:
        raise ValidationError("Enter a tag key.")
    _require_on(user, "iam:TagUser", tagging.request_keys(new_tags))
    users.tag(user, new_tags)
    return done()


@blueprint.post("/users/<name>/tags/remove")
def user_untag(name: str) -> Response:
    """UntagUser with one key."""
    user = _user(name, "iam:UntagUser")
    key = params.string(fields(), "TagKey", required=True, min_len=1, max_len=128)
    _require_on(user, "iam:UntagUser", tagging.tag_keys_only([key]))
    users.untag(user, [key])
    return done()


@blueprint.post("/users/<name>/sessions/revoke")
def user_revoke_sessions(name: str) -> Response:
    """End one of the user's browser sessions (`session`: its id's first 16 characters), or all of them."""
    user = _user(name, "iam:UpdateLoginProfile")
    which = request.form.get("session", "")
    _require_on(user, "iam:UpdateLoginProfile")
    if which == "all":
        sessions.revoke_all(user.account_id, user.id, reason=SESSION_REVOKED)
        return done()
    session = next((row for row in _sessions_of(user) if which and row.id_hash[:16] == which), None)
    if session is None:
        raise NotFound("That session has already ended.")
    sessions.revoke(session, SESSION_REVOKED)
    return done()
