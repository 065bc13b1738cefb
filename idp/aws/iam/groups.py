"""CreateGroup, GetGroup, ListGroups, UpdateGroup, DeleteGroup, AddUserToGroup, RemoveUserFromGroup, ListGroupsForUser."""
from __future__ import annotations

from idp.aws import params
from idp.aws.api import Call, query_action
from idp.aws.iam import names
from idp.aws.iam.shapes import keyset_page, page, user_shape
from idp.aws.iam.subjects import authorize_user
from idp.iam import groups, users

GROUP_NAME_MAX = 128


def group_shape(group) -> dict:
    """The `Group` structure."""
    return {
        "Path": group.path, "GroupName": group.name, "GroupId": group.group_id, "Arn": group.arn,
        "CreateDate": group.created_at,
    }


def _group_name(call: Call, key: str = "GroupName", *, required: bool = True) -> str | None:
    return names.name(call.params, key, max_len=GROUP_NAME_MAX, required=required)


@query_action("iam", "CreateGroup")
def create_group(call: Call) -> dict:
    name, path = _group_name(call), names.path(call.params)
    call.authorize(names.arn(call.account_id, "group", path, name))
    return {"Group": group_shape(groups.create(call.account_id, name, path))}


@query_action("iam", "GetGroup")
def get_group(call: Call) -> dict:
    name = _group_name(call)
    params.pagination(call.params)
    call.authorize(groups.resource_arn(call.account_id, name))
    group = groups.get(call.account_id, name)
    members = page(call.params, groups.members(group), "Users", lambda u: user_shape(u, full=False),
                   key=lambda u: u.name_lower)
    return {"Group": group_shape(group), **members}


@query_action("iam", "ListGroups")
def list_groups(call: Call) -> dict:
    prefix = names.path_prefix(call.params)
    params.pagination(call.params)
    call.authorize(names.arn(call.account_id, "group", prefix, "*"))
    return keyset_page(call.params, lambda after, limit: groups.listed(call.account_id, prefix, after=after,
                                                                       limit=limit), "Groups", group_shape)


@query_action("iam", "UpdateGroup")
def update_group(call: Call) -> None:
    name = _group_name(call)
    new_name = _group_name(call, "NewGroupName", required=False)
    new_path = params.string(call.params, "NewPath", min_len=1, max_len=512, pattern=names.PATH_PATTERN)
    call.authorize(groups.resource_arn(call.account_id, name))
    group = groups.get(call.account_id, name)
    target = names.arn(call.account_id, "group", new_path or group.path, new_name or group.name)
    if target != group.arn:
        # AWS: renaming or moving needs permission on both the old and the new name.
        call.authorize(target)
    groups.update(group, new_name, new_path)


@query_action("iam", "DeleteGroup")
def delete_group(call: Call) -> None:
    name = _group_name(call)
    call.authorize(groups.resource_arn(call.account_id, name))
    groups.delete(groups.get(call.account_id, name))


@query_action("iam", "AddUserToGroup")
def add_user_to_group(call: Call) -> None:
    name = _group_name(call)
    user_name = names.name(call.params, "UserName", max_len=128)
    call.authorize(groups.resource_arn(call.account_id, name))
    group = groups.get(call.account_id, name)
    groups.add_user(group, users.get(call.account_id, user_name))


@query_action("iam", "RemoveUserFromGroup")
def remove_user_from_group(call: Call) -> None:
    name = _group_name(call)
    user_name = names.name(call.params, "UserName", max_len=128)
    call.authorize(groups.resource_arn(call.account_id, name))
    group = groups.get(call.account_id, name)
    groups.remove_user(group, users.get(call.account_id, user_name))


@query_action("iam", "ListGroupsForUser")
def list_groups_for_user(call: Call) -> dict:
    user_name = names.name(call.params, "UserName", max_len=128)
    params.pagination(call.params)
    authorize_user(call, user_name)
    user = users.get(call.account_id, user_name)
    return page(call.params, groups.of_user(user), "Groups", group_shape, key=lambda g: g.name_lower)
