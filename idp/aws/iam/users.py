"""CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser, TagUser, UntagUser, ListUserTags."""
from __future__ import annotations

from idp.aws import params
from idp.aws.api import Call, query_action
from idp.aws.iam import names
from idp.aws.iam.shapes import keyset_page, page, user_shape
from idp.aws.iam.subjects import authorize_user
from idp.errors import ValidationError
from idp.iam import accounts, policies, users
from idp.iam import tags as tagging


@query_action("iam", "CreateUser")
def create_user(call: Call) -> dict:
    p = call.params
    name, path = names.name(p, "UserName"), names.path(p)
    new_tags = params.tags(p)
    boundary_arn = names.policy_arn(p, "PermissionsBoundary", required=False)
    context = tagging.request_keys(new_tags)
    if boundary_arn:
        context["iam:PermissionsBoundary"] = boundary_arn
    call.authorize(names.arn(call.account_id, "user", path, name), context=context)
    boundary = policies.get_attachable(call.account_id, boundary_arn) if boundary_arn else None
    return {"User": user_shape(users.create(call.account_id, name, path, new_tags, boundary))}


@query_action("iam", "GetUser")
def get_user(call: Call) -> dict:
    name = names.name(call.params, "UserName", max_len=128, required=False)
    if name is None and call.caller.is_root:
        # No name: the caller itself (the root user too, as AWS answers it).
        call.authorize(call.caller.arn)
        return {"User": {"UserId": call.account_id, "Arn": call.caller.arn, "CreateDate": _account_created(call)}}
    target = name if name is not None else call.caller.principal.username
    if target is None:
        raise ValidationError("Must specify userName when calling with non-User credentials")
    user = authorize_user(call, target)
    return {"User": user_shape(user or users.get(call.account_id, target))}


def _account_created(call: Call):
    return accounts.find(call.account_id).created_at


@query_action("iam", "ListUsers")
def list_users(call: Call) -> dict:
    prefix = names.path_prefix(call.params)
    params.pagination(call.params)
    call.authorize(names.arn(call.account_id, "user", prefix, "*"))
    return keyset_page(call.params, lambda after, limit: users.listed(call.account_id, prefix, after=after, limit=limit),
                       "Users", lambda u: user_shape(u, full=False))


@query_action("iam", "UpdateUser")
def update_user(call: Call) -> None:
    p = call.params
    name = names.name(p, "UserName", max_len=128)
    new_name = names.name(p, "NewUserName", required=False)
    new_path = params.string(p, "NewPath", min_len=1, max_len=512, pattern=names.PATH_PATTERN)
    authorize_user(call, name)
    users.update(users.get(call.account_id, name), new_name, new_path)


@query_action("iam", "DeleteUser")
def delete_user(call: Call) -> None:
    name = names.name(call.params, "UserName", max_len=128)
    authorize_user(call, name)
    users.delete(users.get(call.account_id, name))


@query_action("iam", "TagUser")
def tag_user(call: Call) -> None:
    name = names.name(call.params, "UserName", max_len=128)
    new_tags = params.tags_to_add(call.params)
    authorize_user(call, name, tagging.request_keys(new_tags))
    users.tag(users.get(call.account_id, name), new_tags)


@query_action("iam", "UntagUser")
def untag_user(call: Call) -> None:
    name = names.name(call.params, "UserName", max_len=128)
    keys = params.tag_keys_to_remove(call.params)
    authorize_user(call, name, tagging.tag_keys_only(keys))
    users.untag(users.get(call.account_id, name), keys)


@query_action("iam", "ListUserTags")
def list_user_tags(call: Call) -> dict:
    name = names.name(call.params, "UserName", max_len=128)
    params.pagination(call.params)
    authorize_user(call, name)
    user = users.get(call.account_id, name)
    return page(call.params, user.tags or [], "Tags", lambda tag: tag)
