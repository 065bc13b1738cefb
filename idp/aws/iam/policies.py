"""Managed policies and their versions: Create/Get/List/DeletePolicy, Tag/Untag/ListPolicyTags, *PolicyVersion."""
from __future__ import annotations

from urllib.parse import quote

from idp.aws import params
from idp.aws.api import Call, query_action
from idp.aws.iam import names
from idp.aws.iam.shapes import page
from idp.iam import policies, policy_versions
from idp.iam import tags as tagging

POLICY_NAME_MAX = 128
# The IAM API model's policyPathType, narrower than the pathType of users and groups.
POLICY_PATH_PATTERN = r"((/[A-Za-z0-9\.,\+@=_-]+)*)/"
DOCUMENT_PATTERN = r"[\u0009\u000A\u000D\u0020-\u00FF]+"
VERSION_ID_PATTERN = r"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?"


def document(values: params.Params, name: str = "PolicyDocument") -> str:
    """The policy document parameter (JSON text, or URL-encoded JSON), within the API model's limits."""
    return params.string(values, name, required=True, min_len=1, max_len=131072, pattern=DOCUMENT_PATTERN)


def policy_path(values: params.Params, name: str = "Path") -> str | None:
    """A managed policy's path, or a PathPrefix over policies."""
    return params.string(values, name, min_len=1, max_len=512, pattern=POLICY_PATH_PATTERN)


def encoded(text: str) -> str:
    """A document as IAM returns it: URL-encoded JSON (SDKs decode it)."""
    return quote(text, safe="")


def policy_shape(policy, usage: policies.Usage, *, view: str = "get") -> dict:
    """The `Policy` structure as each action answers it (`view`: "get", "create" or "list").

    AWS: GetPolicy carries the Description and always a Tags element (empty
    when there are none); CreatePolicy never echoes the Description and
    carries Tags only when the request gave some; lists carry neither.
    """
    shape = {
        "PolicyName": policy.name, "PolicyId": policy.policy_id, "Arn": policy.arn, "Path": policy.path,
        "DefaultVersionId": policy.default_version_id, "AttachmentCount": usage.attachments,
        "PermissionsBoundaryUsageCount": usage.boundaries, "IsAttachable": policy.is_attachable,
        "CreateDate": policy.created_at, "UpdateDate": policy.updated_at or policy.created_at,
    }
    if view == "get":
        shape["Description"] = policy.description
        shape["Tags"] = policy.tags or []
    elif view == "create":
        shape["Tags"] = policy.tags or None
    return shape


def version_shape(version, *, with_document: bool) -> dict:
    """The `PolicyVersion` structure; only GetPolicyVersion carries the document."""
    return {
        "Document": encoded(version.document) if with_document else None, "VersionId": version.version_id,
        "IsDefaultVersion": version.is_default, "CreateDate": version.created_at,
    }


def _authorize_on_policy(call: Call, context: dict | None = None) -> str:
    """Authorize the call on the `PolicyArn` parameter (with the policy's tags when it exists)."""
    policy_arn = names.policy_arn(call.params)
    policy = policies.find_by_arn(call.account_id, policy_arn)
    keys = {**(context or {}), **tagging.resource_keys(policy.tags if policy else None)}
    call.authorize(policy_arn, context=keys)
    return policy_arn


def _changeable(call: Call, policy_arn: str):
    return policies.get_customer_managed(call.account_id, policy_arn, call.caller.arn, f"iam:{call.action}")


@query_action("iam", "CreatePolicy")
def create_policy(call: Call) -> dict:
    p = call.params
    name = names.name(p, "PolicyName", max_len=POLICY_NAME_MAX)
    path = policy_path(p) or "/"
    text = document(p)
    description = params.string(p, "Description", max_len=1000)
    new_tags = params.tags(p)
    call.authorize(names.arn(call.account_id, "policy", path, name), context=tagging.request_keys(new_tags))
    policy = policies.create(call.account_id, name, path, text, description, new_tags)
    return {"Policy": policy_shape(policy, policies.Usage(), view="create")}


@query_action("iam", "GetPolicy")
def get_policy(call: Call) -> dict:
    policy_arn = _authorize_on_policy(call)
    policy = policies.get(call.account_id, policy_arn)
    return {"Policy": policy_shape(policy, policies.usage_of(call.account_id, policy))}


@query_action("iam", "ListPolicies")
def list_policies(call: Call) -> dict:
    p = call.params
    scope = params.enum(p, "Scope", policies.SCOPES, default="All")
    only_attached = params.boolean(p, "OnlyAttached", default=False)
    prefix = policy_path(p, "PathPrefix") or "/"
    usage_filter = params.enum(p, "PolicyUsageFilter", policies.USAGE_FILTERS)
    params.pagination(p)
    call.authorize(names.arn(call.account_id, "policy", prefix, "*"))
    found = policies.listed(call.account_id, scope, prefix, only_attached, usage_filter)
    return page(
        p, found, "Policies", lambda item: policy_shape(*item, view="list"),
        key=lambda item: (item[0].name_lower, item[0].arn),
    )


@query_action("iam", "DeletePolicy")
def delete_policy(call: Call) -> None:
    policy_arn = _authorize_on_policy(call)
    policies.delete(_changeable(call, policy_arn))


@query_action("iam", "TagPolicy")
def tag_policy(call: Call) -> None:
    names.policy_arn(call.params)  # read first, as the API model orders the members
    new_tags = params.tags_to_add(call.params)
    policy_arn = _authorize_on_policy(call, tagging.request_keys(new_tags))
    policies.tag(_changeable(call, policy_arn), new_tags)


@query_action("iam", "UntagPolicy")
def untag_policy(call: Call) -> None:
    names.policy_arn(call.params)  # read first, as the API model orders the members
    keys = params.tag_keys_to_remove(call.params)
    policy_arn = _authorize_on_policy(call, tagging.tag_keys_only(keys))
    policies.untag(_changeable(call, policy_arn), keys)


@query_action("iam", "ListPolicyTags")
def list_policy_tags(call: Call) -> dict:
    names.policy_arn(call.params)
    params.pagination(call.params)
    policy_arn = _authorize_on_policy(call)
    return page(call.params, policies.get(call.account_id, policy_arn).tags or [], "Tags", lambda tag: tag)


def _version_id(call: Call) -> str:
    names.policy_arn(call.params)  # read first, as the API model orders the members
    return params.string(call.params, "VersionId", required=True, pattern=VERSION_ID_PATTERN)


@query_action("iam", "CreatePolicyVersion")
def create_policy_version(call: Call) -> dict:
    names.policy_arn(call.params)  # read first, as the API model orders the members
    text = document(call.params)
    set_as_default = params.boolean(call.params, "SetAsDefault", default=False)
    policy_arn = _authorize_on_policy(call)
    version = policy_versions.create(_changeable(call, policy_arn), text, set_as_default)
    return {"PolicyVersion": version_shape(version, with_document=False)}


@query_action("iam", "GetPolicyVersion")
def get_policy_version(call: Call) -> dict:
    version_id = _version_id(call)
    policy_arn = _authorize_on_policy(call)
    version = policy_versions.get(policies.get(call.account_id, policy_arn), version_id)
    return {"PolicyVersion": version_shape(version, with_document=True)}


@query_action("iam", "ListPolicyVersions")
def list_policy_versions(call: Call) -> dict:
    names.policy_arn(call.params)
    params.pagination(call.params)
    policy_arn = _authorize_on_policy(call)
    found = policy_versions.listed(policies.get(call.account_id, policy_arn))
    return page(call.params, found, "Versions", lambda v: version_shape(v, with_document=False))


@query_action("iam", "DeletePolicyVersion")
def delete_policy_version(call: Call) -> None:
    version_id = _version_id(call)
    policy_arn = _authorize_on_policy(call)
    policy_versions.delete(_changeable(call, policy_arn), version_id)


@query_action("iam", "SetDefaultPolicyVersion")
def set_default_policy_version(call: Call) -> None:
    version_id = _version_id(call)
    policy_arn = _authorize_on_policy(call)
    policy_versions.set_default(_changeable(call, policy_arn), version_id)
