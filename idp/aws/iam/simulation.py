"""SimulatePrincipalPolicy, SimulateCustomPolicy, GetContextKeysForPrincipalPolicy, GetContextKeysForCustomPolicy."""
from __future__ import annotations

from idp.aws import params
from idp.aws.api import Call, query_action
from idp.aws.iam.shapes import page
from idp.iam import simulation

ACTION_PATTERN = r"[^:]{1,128}:[^:]{1,128}|\*"
ARN_LENGTH = {"min_len": 1, "max_len": 2048}


def _context(call: Call) -> dict[str, object]:
    context: dict[str, object] = {}
    for entry in params.context_entries(call.params):
        many = entry.key_type.endswith("List")
        context[entry.key_name] = tuple(entry.values) if many else (entry.values[0] if entry.values else "")
    return context


def _documents(call: Call, name: str, *, required: bool = False) -> list[str]:
    return params.member_list(call.params, name, required=required, min_len=1, max_len=131072)


def _identity(call: Call, *, required: bool = False) -> list:
    return simulation.identity_inputs(_documents(call, "PolicyInputList", required=required))


def _boundary(call: Call) -> list:
    return simulation.boundary_inputs(_documents(call, "PermissionsBoundaryPolicyInputList"))


def _run(call: Call, subject: simulation.Subject) -> dict:
    p = call.params
    actions = params.member_list(p, "ActionNames", required=True, min_len=3, max_len=128)
    resources = params.member_list(p, "ResourceArns", **ARN_LENGTH)
    resource_policy_text = params.string(p, "ResourcePolicy", min_len=1, max_len=131072)
    resource_policy = None
    if resource_policy_text:
        resource_policy = simulation.resource_input(resource_policy_text)
    owner = params.string(p, "ResourceOwner", **ARN_LENGTH)
    owner_account = owner.split(":")[4] if owner and owner.count(":") >= 5 else None
    results = simulation.simulate(subject, actions, resources, _context(call),
                                  resource_policy=resource_policy, resource_owner=owner_account)
    return page(p, results, "EvaluationResults", lambda result: result)


@query_action("iam", "SimulatePrincipalPolicy")
def simulate_principal_policy(call: Call) -> dict:
    source = params.string(call.params, "PolicySourceArn", required=True, **ARN_LENGTH)
    call.authorize(source)
    subject = simulation.subject_of(call.account_id, source)
    subject.identity += _identity(call)
    boundaries = _boundary(call)
    if boundaries:
        subject.boundary = boundaries
    return _run(call, subject)


@query_action("iam", "SimulateCustomPolicy")
def simulate_custom_policy(call: Call) -> dict:
    call.authorize("*")
    caller_arn = params.string(call.params, "CallerArn", **ARN_LENGTH)
    subject = simulation.custom_subject(call.account_id, caller_arn, _identity(call, required=True), _boundary(call))
    return _run(call, subject)


@query_action("iam", "GetContextKeysForPrincipalPolicy")
def context_keys_for_principal(call: Call) -> dict:
    source = params.string(call.params, "PolicySourceArn", required=True, **ARN_LENGTH)
    call.authorize(source)
    subject = simulation.subject_of(call.account_id, source)
    extra = _identity(call)
    return {"ContextKeyNames": simulation.keys_of([*subject.identity, *subject.boundary, *extra])}


@query_action("iam", "GetContextKeysForCustomPolicy")
def context_keys_for_custom(call: Call) -> dict:
    call.authorize("*")
    return {"ContextKeyNames": simulation.keys_of(_identity(call, required=True))}
