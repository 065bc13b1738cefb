"""CreateRole, GetRole, ListRoles, UpdateRole, UpdateRoleDescription, UpdateAssumeRolePolicy, DeleteRole, role tags."""
from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from idp.aws import params
from idp.aws.api import Call, query_action
from idp.aws.iam import names
from idp.aws.iam.shapes import boundary_shape, keyset_page, page
from idp.iam import boundaries, policies, roles
from idp.iam import tags as tagging

if TYPE_CHECKING:
    from models.role import Role

DESCRIPTION_PATTERN = r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*"
POLICY_DOCUMENT_PATTERN = r"[\u0009\u000A\u000D\u0020-\u00FF]+"
MIN_SESSION, MAX_SESSION = 3600, 43200


def role_shape(role: Role, *, full: bool = True, last_used: bool = True) -> dict:
    """The `Role` structure; ListRoles leaves out the boundary, tags and last use, as AWS does."""
    shape = {
        "Path": role.path, "RoleName": role.name, "RoleId": role.role_id, "Arn": role.arn,
        "CreateDate": role.created_at,
        # AWS returns the trust policy URL-encoded; the SDKs decode it.
        "AssumeRolePolicyDocument": quote(role.trust_policy, safe=""),
        "Description": role.description, "MaxSessionDuration": role.max_session_duration,
    }
    if full:
        shape["PermissionsBoundary"] = boundary_shape(role.boundary_policy)
        shape["Tags"] = role.tags or None
    if full and last_used:
        shape["RoleLastUsed"] = {"LastUsedDate": role.last_used_at, "Region": role.last_used_region}
    return shape


def _role_name(call: Call) -> str:
    return names.name(call.params, "RoleName")


def _description(call: Call, *, required: bool = False) -> str | None:
    return params.string(call.params, "Description", required=required, max_len=1000, pattern=DESCRIPTION_PATTERN)


def _max_session(call: Call) -> int | None:
    return params.integer(call.params, "MaxSessionDuration", min_value=MIN_SESSION, max_value=MAX_SESSION)


def _document(call: Call, key: str) -> str:
    return params.string(call.params, key, required=True, min_len=1, max_len=131072, pattern=POLICY_DOCUMENT_PATTERN)


def authorize_role(call: Call, name: str, context: dict[str, object] | None = None) -> None:
    """Authorize the call on role `name`, with its `aws:ResourceTag/*` keys when it exists."""
    role = roles.find(call.account_id, name)
    keys = {**tagging.resource_keys(role.tags if role else None), **(context or {})}
    call.authorize(roles.resource_arn(call.account_id, name), context=keys)


@query_action("iam", "CreateRole")
def create_role(call: Call) -> dict:
    p = call.params
    name, path = _role_name(call), names.path(p)
    document = _document(call, "AssumeRolePolicyDocument")
    description, max_session = _description(call), _max_session(call)
    new_tags = params.tags(p)
    boundary_arn = names.policy_arn(p, "PermissionsBoundary", required=False)
    context = {**tagging.request_keys(new_tags), **boundaries.condition_keys(boundary_arn)}
    call.authorize(names.arn(call.account_id, "role", path, name), context=context)
    boundary = policies.get_attachable(call.account_id, boundary_arn) if boundary_arn else None
    role = roles.create(
        call.account_id, name, path, document, description=description, max_session_duration=max_session,
        tags=new_tags, boundary=boundary,
    )
    return {"Role": role_shape(role, last_used=False)}


@query_action("iam", "GetRole")
def get_role(call: Call) -> dict:
    name = _role_name(call)
    authorize_role(call, name)
    return {"Role": role_shape(roles.get(call.account_id, name))}


@query_action("iam", "ListRoles")
def list_roles(call: Call) -> dict:
    prefix = names.path_prefix(call.params)
    params.pagination(call.params)
    call.authorize(names.arn(call.account_id, "role", prefix, "*"))
    return keyset_page(call.params, lambda after, limit: roles.listed(call.account_id, prefix, after=after, limit=limit),
                       "Roles", lambda r: role_shape(r, full=False))


@query_action("iam", "UpdateRole")
def update_role(call: Call) -> dict:
    name = _role_name(call)
    description, max_session = _description(call), _max_session(call)
    authorize_role(call, name)
    roles.update(roles.get(call.account_id, name), description, max_session)
    return {}


@query_action("iam", "UpdateRoleDescription")
def update_role_description(call: Call) -> dict:
    name = _role_name(call)
    description = _description(call, required=True)
    authorize_role(call, name)
    role = roles.get(call.account_id, name)
    roles.update(role, description, None)
    return {"Role": role_shape(role)}


@query_action("iam", "UpdateAssumeRolePolicy")
def update_assume_role_policy(call: Call) -> None:
    name = _role_name(call)
    document = _document(call, "PolicyDocument")
    authorize_role(call, name)
    roles.set_trust_policy(roles.get(call.account_id, name), document)


@query_action("iam", "DeleteRole")
def delete_role(call: Call) -> None:
    name = _role_name(call)
    authorize_role(call, name)
    roles.delete(roles.get(call.account_id, name))


@query_action("iam", "TagRole")
def tag_role(call: Call) -> None:
    name = _role_name(call)
    new_tags = params.tags_to_add(call.params)
    authorize_role(call, name, tagging.request_keys(new_tags))
    roles.tag(roles.get(call.account_id, name), new_tags)


@query_action("iam", "UntagRole")
def untag_role(call: Call) -> None:
    name = _role_name(call)
    keys = params.tag_keys_to_remove(call.params)
    authorize_role(call, name, tagging.tag_keys_only(keys))
    roles.untag(roles.get(call.account_id, name), keys)


@query_action("iam", "ListRoleTags")
def list_role_tags(call: Call) -> dict:
    name = _role_name(call)
    params.pagination(call.params)
    authorize_role(call, name)
    role = roles.get(call.account_id, name)
    return page(call.params, role.tags or [], "Tags", lambda tag: tag)
