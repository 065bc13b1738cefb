"""Attach/Detach/ListAttached{User,Group,Role}Policies and ListEntitiesForPolicy."""
from __future__ import annotations

from idp.aws import params
from idp.aws.api import Call, query_action
from idp.aws.iam import names
from idp.aws.iam.policies import policy_path
from idp.aws.iam.shapes import page
from idp.iam import attachments, boundaries, policies
from idp.iam import tags as tagging
from idp.iam.attachments import GROUP, ROLE, USER, Holder, HolderKind


def holder_name(call: Call, kind: HolderKind) -> str:
    """The `UserName`/`GroupName`/`RoleName` parameter, with the API model's length limit."""
    return names.name(call.params, kind.name_param, max_len=kind.max_name)


def authorize_on_holder(
    call: Call, kind: HolderKind, name: str, context: dict | None = None, *, boundary: bool = False
) -> Holder:
    """Authorize on the holder's ARN (built from the name if it does not exist), then find it or NoSuchEntity.

    `boundary`: the action changes the holder's permissions (Attach/Detach/Put/Delete<Kind>Policy), so
    AWS supplies `iam:PermissionsBoundary`, the boundary a user or role has now: a delegated
    administrator may be allowed to change only users and roles that keep a given boundary.
    """
    holder = kind.find(call.account_id, name)
    keys = {**(context or {}), **tagging.resource_keys(getattr(holder, "tags", None))}
    if boundary and kind is not GROUP and holder is not None:
        keys.update(boundaries.condition_keys(boundaries.current_arn(holder)))
    call.authorize(holder.arn if holder else kind.resource_arn(call.account_id, name), context=keys)
    return holder if holder is not None else kind.get(call.account_id, name)


def _attach(call: Call, kind: HolderKind) -> None:
    name = holder_name(call, kind)
    policy_arn = names.policy_arn(call.params)
    holder = authorize_on_holder(call, kind, name, {"iam:PolicyARN": policy_arn}, boundary=True)
    attachments.attach(kind, holder, policies.get_attachable(call.account_id, policy_arn))


def _detach(call: Call, kind: HolderKind) -> None:
    name = holder_name(call, kind)
    policy_arn = names.policy_arn(call.params)
    holder = authorize_on_holder(call, kind, name, {"iam:PolicyARN": policy_arn}, boundary=True)
    attachments.detach(holder, policy_arn)


def _list_attached(call: Call, kind: HolderKind) -> dict:
    name = holder_name(call, kind)
    prefix = policy_path(call.params, "PathPrefix") or "/"
    params.pagination(call.params)
    holder = authorize_on_holder(call, kind, name)
    return page(
        call.params, attachments.attached(holder, prefix), "AttachedPolicies",
        lambda p: {"PolicyName": p.name, "PolicyArn": p.arn}, key=lambda p: (p.name_lower, p.arn),
    )


@query_action("iam", "AttachUserPolicy")
def attach_user_policy(call: Call) -> None:
    _attach(call, USER)


@query_action("iam", "AttachGroupPolicy")
def attach_group_policy(call: Call) -> None:
    _attach(call, GROUP)


@query_action("iam", "AttachRolePolicy")
def attach_role_policy(call: Call) -> None:
    _attach(call, ROLE)


@query_action("iam", "DetachUserPolicy")
def detach_user_policy(call: Call) -> None:
    _detach(call, USER)


@query_action("iam", "DetachGroupPolicy")
def detach_group_policy(call: Call) -> None:
    _detach(call, GROUP)


@query_action("iam", "DetachRolePolicy")
def detach_role_policy(call: Call) -> None:
    _detach(call, ROLE)


@query_action("iam", "ListAttachedUserPolicies")
def list_attached_user_policies(call: Call) -> dict:
    return _list_attached(call, USER)


@query_action("iam", "ListAttachedGroupPolicies")
def list_attached_group_policies(call: Call) -> dict:
    return _list_attached(call, GROUP)


@query_action("iam", "ListAttachedRolePolicies")
def list_attached_role_policies(call: Call) -> dict:
    return _list_attached(call, ROLE)


_ENTITY_MEMBERS = {"user": "PolicyUsers", "group": "PolicyGroups", "role": "PolicyRoles"}


def _entity_key(item: tuple[HolderKind, Holder]) -> tuple[int, str]:
    return attachments.KINDS.index(item[0]), item[1].name_lower


@query_action("iam", "ListEntitiesForPolicy")
def list_entities_for_policy(call: Call) -> dict:
    p = call.params
    policy_arn = names.policy_arn(p)
    entity_filter = params.enum(p, "EntityFilter", attachments.ENTITY_FILTERS)
    # The API model's pathType here, not the looser pathPrefixType of ListUsers.
    prefix = params.string(p, "PathPrefix", min_len=1, max_len=512, pattern=names.PATH_PATTERN) or "/"
    usage_filter = params.enum(p, "PolicyUsageFilter", policies.USAGE_FILTERS)
    params.pagination(p)
    policy = policies.find_by_arn(call.account_id, policy_arn)
    call.authorize(policy_arn, context=tagging.resource_keys(policy.tags if policy else None))
    policy = policies.get(call.account_id, policy_arn)
    found = attachments.entities_for(call.account_id, policy, entity_filter, prefix, usage_filter)
    result = page(p, found, "Entities", lambda item: item, key=_entity_key)
    entities = result.pop("Entities")
    for kind in attachments.KINDS:
        result[_ENTITY_MEMBERS[kind.name]] = [
            {f"{kind.title}Name": h.name, f"{kind.title}Id": getattr(h, f"{kind.name}_id")}
            for k, h in entities if k is kind
        ]
    return result
