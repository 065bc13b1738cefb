"""PutUserPermissionsBoundary, DeleteUserPermissionsBoundary, PutRolePermissionsBoundary, DeleteRolePermissionsBoundary."""
from __future__ import annotations

from idp.aws.api import Call, query_action
from idp.aws.iam import names
from idp.aws.iam.roles import authorize_role
from idp.aws.iam.subjects import authorize_user
from idp.iam import boundaries, policies, roles, users


def _authorize_user(call: Call, name: str, boundary_arn: str | None) -> None:
    authorize_user(call, name, boundaries.condition_keys(boundary_arn))


@query_action("iam", "PutUserPermissionsBoundary")
def put_user_permissions_boundary(call: Call) -> None:
    name = names.name(call.params, "UserName")
    boundary_arn = names.policy_arn(call.params, "PermissionsBoundary")
    _authorize_user(call, name, boundary_arn)
    user = users.get(call.account_id, name)
    boundaries.put(user, policies.get_attachable(call.account_id, boundary_arn))


@query_action("iam", "DeleteUserPermissionsBoundary")
def delete_user_permissions_boundary(call: Call) -> None:
    name = names.name(call.params, "UserName")
    # The key names the boundary being removed, so a policy can protect it.
    _authorize_user(call, name, boundaries.current_arn(users.find(call.account_id, name)))
    boundaries.delete(users.get(call.account_id, name))


@query_action("iam", "PutRolePermissionsBoundary")
def put_role_permissions_boundary(call: Call) -> None:
    name = names.name(call.params, "RoleName")
    boundary_arn = names.policy_arn(call.params, "PermissionsBoundary")
    authorize_role(call, name, boundaries.condition_keys(boundary_arn))
    role = roles.get(call.account_id, name)
    boundaries.put(role, policies.get_attachable(call.account_id, boundary_arn))


@query_action("iam", "DeleteRolePermissionsBoundary")
def delete_role_permissions_boundary(call: Call) -> None:
    name = names.name(call.params, "RoleName")
    authorize_role(call, name, boundaries.condition_keys(boundaries.current_arn(roles.find(call.account_id, name))))
    boundaries.delete(roles.get(call.account_id, name))
