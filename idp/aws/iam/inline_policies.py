"""Put/Get/List/Delete{User,Group,Role}Policy: inline policies."""
from __future__ import annotations

from idp.aws import params
from idp.aws.api import Call, query_action
from idp.aws.iam import names
from idp.aws.iam.attachments import authorize_on_holder
from idp.aws.iam.policies import document, encoded
from idp.aws.iam.shapes import page
from idp.iam import inline_policies
from idp.iam.attachments import GROUP, ROLE, USER, HolderKind

POLICY_NAME_MAX = 128
# PutUserPolicy & co. take `existingUserNameType` (up to 128), not CreateUser's 64.
_NAME_MAX = {"user": 128, "group": 128, "role": 64}


def _holder_name(call: Call, kind: HolderKind) -> str:
    return names.name(call.params, kind.name_param, max_len=_NAME_MAX[kind.name])


def _policy_name(call: Call) -> str:
    return names.name(call.params, "PolicyName", max_len=POLICY_NAME_MAX)


def _put(call: Call, kind: HolderKind) -> None:
    name, policy_name, text = _holder_name(call, kind), _policy_name(call), document(call.params)
    holder = authorize_on_holder(call, kind, name, boundary=True)
    inline_policies.put(kind, holder, policy_name, text)


def _get(call: Call, kind: HolderKind) -> dict:
    name, policy_name = _holder_name(call, kind), _policy_name(call)
    holder = authorize_on_holder(call, kind, name)
    policy = inline_policies.get(kind, holder, policy_name)
    return {kind.name_param: holder.name, "PolicyName": policy.name, "PolicyDocument": encoded(policy.document)}


def _list(call: Call, kind: HolderKind) -> dict:
    name = _holder_name(call, kind)
    params.pagination(call.params)
    holder = authorize_on_holder(call, kind, name)
    return page(call.params, inline_policies.names(holder), "PolicyNames", lambda n: n, key=lambda n: n)


def _delete(call: Call, kind: HolderKind) -> None:
    name, policy_name = _holder_name(call, kind), _policy_name(call)
    holder = authorize_on_holder(call, kind, name, boundary=True)
    inline_policies.delete(kind, holder, policy_name)


@query_action("iam", "PutUserPolicy")
def put_user_policy(call: Call) -> None:
    _put(call, USER)


@query_action("iam", "PutGroupPolicy")
def put_group_policy(call: Call) -> None:
    _put(call, GROUP)


@query_action("iam", "PutRolePolicy")
def put_role_policy(call: Call) -> None:
    _put(call, ROLE)


@query_action("iam", "GetUserPolicy")
def get_user_policy(call: Call) -> dict:
    return _get(call, USER)


@query_action("iam", "GetGroupPolicy")
def get_group_policy(call: Call) -> dict:
    return _get(call, GROUP)


@query_action("iam", "GetRolePolicy")
def get_role_policy(call: Call) -> dict:
    return _get(call, ROLE)


@query_action("iam", "ListUserPolicies")
def list_user_policies(call: Call) -> dict:
    return _list(call, USER)


@query_action("iam", "ListGroupPolicies")
def list_group_policies(call: Call) -> dict:
    return _list(call, GROUP)


@query_action("iam", "ListRolePolicies")
def list_role_policies(call: Call) -> dict:
    return _list(call, ROLE)


@query_action("iam", "DeleteUserPolicy")
def delete_user_policy(call: Call) -> None:
    _delete(call, USER)


@query_action("iam", "DeleteGroupPolicy")
def delete_group_policy(call: Call) -> None:
    _delete(call, GROUP)


@query_action("iam", "DeleteRolePolicy")
def delete_role_policy(call: Call) -> None:
    _delete(call, ROLE)
