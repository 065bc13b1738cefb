"""AWS Organizations on the JSON 1.1 protocol (botocore's `organizations`, 2016-11-28).

Each management operation first finds the organization the caller's account manages (a member account is
refused before any id is looked up, as AWS does), then asks the shared authorizer for
`organizations:<Operation>` on the resource AWS's service authorization reference names (the organization's
root, OU, account or policy ARN, else `*`). Lists come back in one page.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from idp.aws.json_protocol import JsonCall, json_operation
from idp.errors import OrganizationsInvalidInput
from idp.organizations import control_policies, organization, tree

if TYPE_CHECKING:
    from models.organization import Organization, OrganizationAccount, OrganizationUnit

TARGET_PREFIX = "AWSOrganizationsV20161128"
SIGNING_NAME = "organizations"


def operation(name: str):
    """Register an Organizations operation."""
    return json_operation(TARGET_PREFIX, SIGNING_NAME, name)


def _string(call: JsonCall, name: str, *, required: bool = True) -> str | None:
    value = call.member(name, str)
    if required and not value:
        raise OrganizationsInvalidInput(f"You must specify a value for {name}.")
    return value


def _managed(call: JsonCall, resource: Callable[[Organization], str] = lambda org: "*") -> Organization:
    """The organization the caller's account manages (asked first: a member account learns no id of it), once
    the caller may act on `resource` of it."""
    org = organization.managed_by(call.account_id)
    call.authorize(resource(org))
    return org


def _unit_arn(org: Organization, unit_id: str) -> str:
    return organization.entity_arn(org, "ou" if unit_id.startswith("ou-") else "root", unit_id)


# --- shapes -----------------------------------------------------------------------------------------------------

def _organization(org: Organization) -> dict:
    types = control_policies.enabled_types(org)
    return {
        "Id": org.id, "Arn": organization.organization_arn(org), "FeatureSet": org.feature_set,
        "MasterAccountArn": organization.entity_arn(org, "account", org.management_account_id),
        "MasterAccountId": org.management_account_id,
        "MasterAccountEmail": organization.account_email(org.management_account_id),
        "AvailablePolicyTypes": [{"Type": t, "Status": "ENABLED"} for t in types],
    }


def _root(org: Organization, root: OrganizationUnit) -> dict:
    return {"Id": root.id, "Arn": organization.entity_arn(org, "root", root.id), "Name": root.name,
            "PolicyTypes": [{"Type": t, "Status": "ENABLED"} for t in root.policy_types or []]}


def _unit(org: Organization, unit: OrganizationUnit) -> dict:
    return {"Id": unit.id, "Arn": organization.entity_arn(org, "ou", unit.id), "Name": unit.name}


def _account(org: Organization, member: OrganizationAccount) -> dict:
    return {"Id": member.account_id, "Arn": organization.entity_arn(org, "account", member.account_id),
            "Email": member.email, "Name": member.name, "Status": "ACTIVE", "State": "ACTIVE",
            "JoinedMethod": member.joined_method, "JoinedTimestamp": member.joined_at}


def _create_status(member: OrganizationAccount) -> dict:
    return {"Id": member.create_request_id, "AccountName": member.name, "State": "SUCCEEDED",
            "RequestedTimestamp": member.joined_at, "CompletedTimestamp": member.joined_at,
            "AccountId": member.account_id}


def _summary(org: Organization, policy) -> dict:
    return {"Id": policy.id, "Arn": control_policies.arn(org, policy), "Name": policy.name,
            "Description": policy.description, "Type": policy.type,
            "AwsManaged": policy.id in control_policies.AWS_MANAGED_GUARDRAILS}


def _policy(org: Organization, policy) -> dict:
    return {"Policy": {"PolicySummary": _summary(org, policy), "Content": policy.content}}


# --- the organization -------------------------------------------------------------------------------------------

@operation("CreateOrganization")
def create_organization(call: JsonCall) -> dict:
    """CreateOrganization: the caller's account becomes the management account of a new organization."""
    feature_set = _string(call, "FeatureSet", required=False) or "ALL"
    call.authorize("*")
    return {"Organization": _organization(organization.create(call.account_id, feature_set))}


@operation("DescribeOrganization")
def describe_organization(call: JsonCall) -> dict:
    """DescribeOrganization: any account of the organization may read it."""
    org = organization.of_account(call.account_id)
    call.authorize("*")
    return {"Organization": _organization(org)}


@operation("DeleteOrganization")
def delete_organization(call: JsonCall) -> dict:
    """DeleteOrganization: only once no member account is left."""
    organization.delete_organization(_managed(call))
    return {}


# --- roots, OUs and accounts -------------------------------------------------------------------------------------

@operation("ListRoots")
def list_roots(call: JsonCall) -> dict:
    """ListRoots: the organization's one root and its enabled policy types."""
    org = _managed(call)
    return {"Roots": [_root(org, organization.root_of(org))]}


@operation("CreateOrganizationalUnit")
def create_organizational_unit(call: JsonCall) -> dict:
    """CreateOrganizationalUnit under a root or OU."""
    parent_id, name = _string(call, "ParentId"), _string(call, "Name")
    org = _managed(call, lambda org: _unit_arn(org, parent_id))
    return {"OrganizationalUnit": _unit(org, tree.create_unit(org, parent_id, name))}


@operation("DescribeOrganizationalUnit")
def describe_organizational_unit(call: JsonCall) -> dict:
    """DescribeOrganizationalUnit."""
    unit_id = _string(call, "OrganizationalUnitId")
    org = _managed(call, lambda org: organization.entity_arn(org, "ou", unit_id))
    return {"OrganizationalUnit": _unit(org, tree.organizational_unit(org, unit_id))}


@operation("ListOrganizationalUnitsForParent")
def list_organizational_units_for_parent(call: JsonCall) -> dict:
    """ListOrganizationalUnitsForParent."""
    parent_id = _string(call, "ParentId")
    org = _managed(call)
    return {"OrganizationalUnits": [_unit(org, unit) for unit in tree.units_under(org, parent_id)]}


@operation("ListParents")
def list_parents(call: JsonCall) -> dict:
    """ListParents: the root or OU directly above an account or OU."""
    child_id = _string(call, "ChildId")
    org = _managed(call)
    parent = tree.parent_of(org, child_id)
    return {"Parents": [{"Id": parent.id, "Type": "ROOT" if parent.parent_id is None else "ORGANIZATIONAL_UNIT"}]}


@operation("ListChildren")
def list_children(call: JsonCall) -> dict:
    """ListChildren: the accounts or OUs directly under a root or OU."""
    parent_id, child_type = _string(call, "ParentId"), _string(call, "ChildType")
    org = _managed(call)
    if child_type == "ACCOUNT":
        return {"Children": [{"Id": m.account_id, "Type": "ACCOUNT"} for m in tree.members(org, parent_id)]}
    if child_type == "ORGANIZATIONAL_UNIT":
        return {"Children": [{"Id": u.id, "Type": child_type} for u in tree.units_under(org, parent_id)]}
    raise OrganizationsInvalidInput("ChildType must be ACCOUNT or ORGANIZATIONAL_UNIT.")


@operation("ListAccounts")
def list_accounts(call: JsonCall) -> dict:
    """ListAccounts: every account of the organization."""
    org = _managed(call)
    return {"Accounts": [_account(org, member) for member in tree.members(org)]}


@operation("ListAccountsForParent")
def list_accounts_for_parent(call: JsonCall) -> dict:
    """ListAccountsForParent."""
    parent_id = _string(call, "ParentId")
    org = _managed(call)
    return {"Accounts": [_account(org, member) for member in tree.members(org, parent_id)]}


@operation("DescribeAccount")
def describe_account(call: JsonCall) -> dict:
    """DescribeAccount."""
    account_id = _string(call, "AccountId")
    org = _managed(call, lambda org: organization.entity_arn(org, "account", account_id))
    return {"Account": _account(org, tree.member(org, account_id))}


@operation("MoveAccount")
def move_account(call: JsonCall) -> dict:
    """MoveAccount: the account's SCPs and RCPs follow its new path."""
    account_id = _string(call, "AccountId")
    source, destination = _string(call, "SourceParentId"), _string(call, "DestinationParentId")
    org = _managed(call, lambda org: organization.entity_arn(org, "account", account_id))
    tree.move(org, account_id, source, destination)
    return {}


@operation("CreateAccount")
def create_account(call: JsonCall) -> dict:
    """CreateAccount: a new account with the role `RoleName` (OrganizationAccountAccessRole), SUCCEEDED at once."""
    email, name = _string(call, "Email"), _string(call, "AccountName")
    role_name = _string(call, "RoleName", required=False)
    org = _managed(call)
    return {"CreateAccountStatus": _create_status(tree.create_account(org, name, email, role_name))}


@operation("DescribeCreateAccountStatus")
def describe_create_account_status(call: JsonCall) -> dict:
    """DescribeCreateAccountStatus."""
    request_id = _string(call, "CreateAccountRequestId")
    org = _managed(call)
    return {"CreateAccountStatus": _create_status(tree.create_account_status(org, request_id))}


# --- policies ---------------------------------------------------------------------------------------------------

def _policy_arn(org: Organization, policy_id: str) -> str:
    return control_policies.arn(org, control_policies.get(org, policy_id))


@operation("CreatePolicy")
def create_policy(call: JsonCall) -> dict:
    """CreatePolicy: an SCP or RCP, validated as ValidatePolicy validates its type."""
    content, description = _string(call, "Content"), _string(call, "Description", required=False) or ""
    name, policy_type = _string(call, "Name"), _string(call, "Type")
    org = _managed(call)
    return _policy(org, control_policies.create(org, name, description, content, policy_type))


@operation("UpdatePolicy")
def update_policy(call: JsonCall) -> dict:
    """UpdatePolicy: binding wherever the policy is attached."""
    policy_id = _string(call, "PolicyId")
    name, description = _string(call, "Name", required=False), _string(call, "Description", required=False)
    content = _string(call, "Content", required=False)
    org = _managed(call, lambda org: _policy_arn(org, policy_id))
    return _policy(org, control_policies.update(org, policy_id, name, description, content))


@operation("DeletePolicy")
def delete_policy(call: JsonCall) -> dict:
    """DeletePolicy: only once detached everywhere."""
    policy_id = _string(call, "PolicyId")
    org = _managed(call, lambda org: _policy_arn(org, policy_id))
    control_policies.delete_policy(org, policy_id)
    return {}


@operation("DescribePolicy")
def describe_policy(call: JsonCall) -> dict:
    """DescribePolicy: the summary and the document."""
    policy_id = _string(call, "PolicyId")
    org = _managed(call, lambda org: _policy_arn(org, policy_id))
    return _policy(org, control_policies.get(org, policy_id))


@operation("ListPolicies")
def list_policies(call: JsonCall) -> dict:
    """ListPolicies of one type (`Filter`), AWS's own first."""
    policy_type = _string(call, "Filter")
    org = _managed(call)
    return {"Policies": [_summary(org, policy) for policy in control_policies.listed(org, policy_type)]}


@operation("AttachPolicy")
def attach_policy(call: JsonCall) -> dict:
    """AttachPolicy to a root, OU or account."""
    policy_id, target_id = _string(call, "PolicyId"), _string(call, "TargetId")
    org = _managed(call, lambda org: _policy_arn(org, policy_id))
    call.authorize(control_policies.target(org, target_id).arn)  # AWS names both the policy and the target
    control_policies.attach(org, policy_id, target_id)
    return {}


@operation("DetachPolicy")
def detach_policy(call: JsonCall) -> dict:
    """DetachPolicy; a target keeps at least one SCP."""
    policy_id, target_id = _string(call, "PolicyId"), _string(call, "TargetId")
    org = _managed(call, lambda org: _policy_arn(org, policy_id))
    call.authorize(control_policies.target(org, target_id).arn)  # AWS names both the policy and the target
    control_policies.detach(org, policy_id, target_id)
    return {}


@operation("ListPoliciesForTarget")
def list_policies_for_target(call: JsonCall) -> dict:
    """ListPoliciesForTarget (`Filter`)."""
    target_id, policy_type = _string(call, "TargetId"), _string(call, "Filter")
    org = _managed(call, lambda org: control_policies.target(org, target_id).arn)
    found = control_policies.for_target(org, target_id, policy_type)
    return {"Policies": [_summary(org, policy) for policy in found]}


@operation("ListTargetsForPolicy")
def list_targets_for_policy(call: JsonCall) -> dict:
    """ListTargetsForPolicy."""
    policy_id = _string(call, "PolicyId")
    org = _managed(call, lambda org: _policy_arn(org, policy_id))
    targets = control_policies.targets_for(org, policy_id)
    return {"Targets": [{"TargetId": t.id, "Arn": t.arn, "Name": t.name, "Type": t.type} for t in targets]}


@operation("EnablePolicyType")
def enable_policy_type(call: JsonCall) -> dict:
    """EnablePolicyType: AWS's full-access policy of the type goes on every target."""
    root_id, policy_type = _string(call, "RootId"), _string(call, "PolicyType")
    org = _managed(call, lambda org: organization.entity_arn(org, "root", root_id))
    return {"Root": _root(org, control_policies.enable_type(org, root_id, policy_type))}


@operation("DisablePolicyType")
def disable_policy_type(call: JsonCall) -> dict:
    """DisablePolicyType: every policy of the type is detached."""
    root_id, policy_type = _string(call, "RootId"), _string(call, "PolicyType")
    org = _managed(call, lambda org: organization.entity_arn(org, "root", root_id))
    return {"Root": _root(org, control_policies.disable_type(org, root_id, policy_type))}
