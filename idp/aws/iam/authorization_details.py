"""GetAccountAuthorizationDetails: every user, group, role and policy of the account with their policies."""
from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from idp.aws import params
from idp.aws.api import Call, query_action
from idp.aws.iam.groups import group_shape
from idp.aws.iam.policies import policy_shape, version_shape
from idp.aws.iam.roles import role_shape
from idp.aws.iam.shapes import page, user_shape
from idp.iam import policies
from idp.iam.groups import GROUP
from idp.iam.roles import ROLE
from idp.iam.users import USER

if TYPE_CHECKING:
    from models.group import Group
    from models.role import Role
    from models.user import User

FILTERS = ("User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy")
LISTS = {"User": "UserDetailList", "Group": "GroupDetailList", "Role": "RoleDetailList",
         "LocalManagedPolicy": "Policies", "AWSManagedPolicy": "Policies"}


def _inline(entity) -> list[dict]:
    return [{"PolicyName": p.name, "PolicyDocument": quote(p.document, safe="")} for p in entity.inline_policies]


def _attached(entity) -> list[dict]:
    return [{"PolicyName": p.name, "PolicyArn": p.arn} for p in entity.attached_policies]


def user_detail(user: User) -> dict:
    detail = user_shape(user)
    detail.pop("PasswordLastUsed", None)
    detail.update(UserPolicyList=_inline(user), GroupList=[g.name for g in user.groups],
                  AttachedManagedPolicies=_attached(user))
    return detail


def group_detail(group: Group) -> dict:
    return {**group_shape(group), "GroupPolicyList": _inline(group), "AttachedManagedPolicies": _attached(group)}


def role_detail(role: Role) -> dict:
    detail = role_shape(role)
    # RoleDetail has no Description or MaxSessionDuration, unlike Role.
    detail.pop("Description")
    detail.pop("MaxSessionDuration")
    detail.update(InstanceProfileList=[], RolePolicyList=_inline(role), AttachedManagedPolicies=_attached(role))
    return detail


def policy_detail(item) -> dict:
    policy, usage = item
    detail = policy_shape(policy, usage, view="list")
    detail["Description"] = policy.description
    detail["PolicyVersionList"] = [version_shape(v, with_document=True) for v in policy.versions]
    return detail


def _entries(account_id: str, wanted: list[str]) -> list[tuple[str, object]]:
    """(filter, entity) in AWS's order: users, groups, roles, then policies."""
    entries: list[tuple[str, object]] = []
    for kind, entities in (("User", USER), ("Group", GROUP), ("Role", ROLE)):
        if kind in wanted:
            entries += [(kind, entity) for entity in entities.listed(account_id, "/")]
    for kind, scope in (("LocalManagedPolicy", "Local"), ("AWSManagedPolicy", "AWS")):
        if kind in wanted:
            entries += [(kind, item) for item in policies.listed(account_id, scope, "/", False, None)]
    return entries


SHAPES = {"User": user_detail, "Group": group_detail, "Role": role_detail,
          "LocalManagedPolicy": policy_detail, "AWSManagedPolicy": policy_detail}


@query_action("iam", "GetAccountAuthorizationDetails")
def get_account_authorization_details(call: Call) -> dict:
    wanted = params.member_list(call.params, "Filter")
    for value in wanted:
        params.enum({"Filter": value}, "Filter", FILTERS)
    params.pagination(call.params)
    call.authorize("*")
    entries = _entries(call.account_id, wanted or list(FILTERS))
    paged = page(call.params, entries, "Entries", lambda entry: entry)
    result: dict = {name: [] for name in dict.fromkeys(LISTS[kind] for kind in (wanted or FILTERS))}
    for kind, entity in paged.pop("Entries"):
        result[LISTS[kind]].append(SHAPES[kind](entity))
    return {**result, **paged}
