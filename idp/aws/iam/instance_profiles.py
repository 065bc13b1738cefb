"""CreateInstanceProfile, GetInstanceProfile, ListInstanceProfiles, DeleteInstanceProfile, the profile's role, tags."""
from __future__ import annotations

from typing import TYPE_CHECKING

from idp.aws import params
from idp.aws.api import Call, query_action
from idp.aws.iam import names
from idp.aws.iam.roles import authorize_role, role_shape
from idp.aws.iam.shapes import page
from idp.iam import instance_profiles, roles
from idp.iam import tags as tagging
from idp.iam.pass_role import check_pass_role

if TYPE_CHECKING:
    from models.instance_profile import InstanceProfile

# The service an instance profile hands its role to: what `iam:PassedToService` says on AddRoleToInstanceProfile.
EC2_SERVICE = "ec2.amazonaws.com"


def profile_shape(profile: InstanceProfile, *, full: bool = True) -> dict:
    """The `InstanceProfile` structure; the List* actions leave out the tags, as AWS does."""
    shape = {
        "Path": profile.path, "InstanceProfileName": profile.name, "InstanceProfileId": profile.instance_profile_id,
        "Arn": profile.arn, "CreateDate": profile.created_at,
        "Roles": [role_shape(profile.role, full=False)] if profile.role is not None else [],
    }
    if full:
        shape["Tags"] = profile.tags or None
    return shape


def _profile_name(call: Call) -> str:
    return names.name(call.params, "InstanceProfileName", max_len=128)


def _authorize_profile(call: Call, name: str, context: dict[str, object] | None = None) -> None:
    """Authorize on profile `name`'s ARN with its `aws:ResourceTag/*` keys when it exists."""
    profile = instance_profiles.find(call.account_id, name)
    keys = {**tagging.resource_keys(profile.tags if profile else None), **(context or {})}
    call.authorize(instance_profiles.resource_arn(call.account_id, name), context=keys)


@query_action("iam", "CreateInstanceProfile")
def create_instance_profile(call: Call) -> dict:
    name, path = _profile_name(call), names.path(call.params)
    new_tags = params.tags(call.params)
    call.authorize(names.arn(call.account_id, "instance-profile", path, name), context=tagging.request_keys(new_tags))
    profile = instance_profiles.create(call.account_id, name, path, new_tags)
    return {"InstanceProfile": profile_shape(profile)}


@query_action("iam", "GetInstanceProfile")
def get_instance_profile(call: Call) -> dict:
    name = _profile_name(call)
    _authorize_profile(call, name)
    return {"InstanceProfile": profile_shape(instance_profiles.get(call.account_id, name))}


@query_action("iam", "ListInstanceProfiles")
def list_instance_profiles(call: Call) -> dict:
    prefix = names.path_prefix(call.params)
    call.authorize(names.arn(call.account_id, "instance-profile", prefix, "*"))
    found = instance_profiles.listed(call.account_id, prefix)
    return page(call.params, found, "InstanceProfiles", lambda p: profile_shape(p, full=False),
                key=lambda p: p.name_lower)


@query_action("iam", "ListInstanceProfilesForRole")
def list_instance_profiles_for_role(call: Call) -> dict:
    role_name = names.name(call.params, "RoleName")
    authorize_role(call, role_name)
    found = instance_profiles.for_role(roles.get(call.account_id, role_name))
    return page(call.params, found, "InstanceProfiles", lambda p: profile_shape(p, full=False),
                key=lambda p: p.name_lower)


@query_action("iam", "DeleteInstanceProfile")
def delete_instance_profile(call: Call) -> None:
    name = _profile_name(call)
    _authorize_profile(call, name)
    instance_profiles.delete(instance_profiles.get(call.account_id, name))


@query_action("iam", "AddRoleToInstanceProfile")
def add_role_to_instance_profile(call: Call) -> None:
    name, role_name = _profile_name(call), names.name(call.params, "RoleName")
    _authorize_profile(call, name)
    profile = instance_profiles.get(call.account_id, name)
    role = roles.get(call.account_id, role_name)
    # An instance profile hands its role to EC2: AWS asks for iam:PassRole on the role as well.
    check_pass_role(call, role.arn, EC2_SERVICE)
    instance_profiles.add_role(profile, role)


@query_action("iam", "RemoveRoleFromInstanceProfile")
def remove_role_from_instance_profile(call: Call) -> None:
    name, role_name = _profile_name(call), names.name(call.params, "RoleName")
    _authorize_profile(call, name)
    profile = instance_profiles.get(call.account_id, name)
    instance_profiles.remove_role(profile, roles.get(call.account_id, role_name))


@query_action("iam", "TagInstanceProfile")
def tag_instance_profile(call: Call) -> None:
    name = _profile_name(call)
    new_tags = params.tags_to_add(call.params)
    _authorize_profile(call, name, tagging.request_keys(new_tags))
    instance_profiles.tag(instance_profiles.get(call.account_id, name), new_tags)


@query_action("iam", "UntagInstanceProfile")
def untag_instance_profile(call: Call) -> None:
    name = _profile_name(call)
    keys = params.tag_keys_to_remove(call.params)
    _authorize_profile(call, name, tagging.tag_keys_only(keys))
    instance_profiles.untag(instance_profiles.get(call.account_id, name), keys)


@query_action("iam", "ListInstanceProfileTags")
def list_instance_profile_tags(call: Call) -> dict:
    name = _profile_name(call)
    _authorize_profile(call, name)
    profile = instance_profiles.get(call.account_id, name)
    return page(call.params, profile.tags or [], "Tags", lambda tag: tag)
