"""SimulatePrincipalPolicy, SimulateCustomPolicy, GetContextKeysForPrincipalPolicy, GetContextKeysForCustomPolicy."""
from __future__ import annotations

from dataclasses import dataclass

from idp.aws import params
from idp.aws.api import Call, query_action
from idp.aws.iam.shapes import page
from idp.iam import simulation

ACTION_PATTERN = r"[^:]{1,128}:[^:]{1,128}|\*"
ARN_LENGTH = {"min_len": 1, "max_len": 2048}


@dataclass(frozen=True)
class _Inputs:
    """Every parameter of a Simulate* call, read (and so checked) before the authorization."""

    identity: list[str]
    boundary: list[str]
    actions: list[str]
    resources: list[str]
    resource_policy: str | None
    owner: str | None
    caller_arn: str | None
    context: dict[str, object]


def _context(call: Call) -> dict[str, object]:
    context: dict[str, object] = {}
    for entry in params.context_entries(call.params):
        many = entry.key_type.endswith("List")
        context[entry.key_name] = tuple(entry.values) if many else (entry.values[0] if entry.values else "")
    return context


def _documents(call: Call, name: str, *, required: bool = False) -> list[str]:
    return params.member_list(call.params, name, required=required, min_len=1, max_len=131072)


def _inputs(call: Call, *, custom: bool) -> _Inputs:
    """Read in the API model's member order, so a request failing several constraints hears of them in it."""
    p = call.params
    identity = _documents(call, "PolicyInputList", required=custom)
    boundary = _documents(call, "PermissionsBoundaryPolicyInputList")
    inputs = _Inputs(
        identity=identity, boundary=boundary,
        actions=params.member_list(p, "ActionNames", required=True, min_len=3, max_len=128),
        resources=params.member_list(p, "ResourceArns", **ARN_LENGTH),
        resource_policy=params.string(p, "ResourcePolicy", min_len=1, max_len=131072),
        owner=params.string(p, "ResourceOwner", **ARN_LENGTH),
        caller_arn=params.string(p, "CallerArn", **ARN_LENGTH),
        context=_context(call),
    )
    params.pagination(p)
    return inputs


def _run(call: Call, subject: simulation.Subject, inputs: _Inputs) -> dict:
    resource_policy = None
    if inputs.resource_policy:
        resource_policy = simulation.resource_input(inputs.resource_policy)
    owner = inputs.owner
    owner_account = owner.split(":")[4] if owner and owner.count(":") >= 5 else None
    results = simulation.simulate(subject, inputs.actions, inputs.resources, inputs.context,
                                  resource_policy=resource_policy, resource_owner=owner_account)
    return page(call.params, results, "EvaluationResults", lambda result: result)


@query_action("iam", "SimulatePrincipalPolicy")
def simulate_principal_policy(call: Call) -> dict:
    source = params.string(call.params, "PolicySourceArn", required=True, **ARN_LENGTH)
    inputs = _inputs(call, custom=False)
    call.authorize(source)
    subject = simulation.subject_of(call.account_id, source)
    subject.identity += simulation.identity_inputs(inputs.identity)
    boundaries = simulation.boundary_inputs(inputs.boundary)
    if boundaries:
        subject.boundary = boundaries
    return _run(call, subject, inputs)


@query_action("iam", "SimulateCustomPolicy")
def simulate_custom_policy(call: Call) -> dict:
    inputs = _inputs(call, custom=True)
    call.authorize("*")
    subject = simulation.custom_subject(call.account_id, inputs.caller_arn,
                                        simulation.identity_inputs(inputs.identity),
                                        simulation.boundary_inputs(inputs.boundary))
    return _run(call, subject, inputs)


@query_action("iam", "GetContextKeysForPrincipalPolicy")
def context_keys_for_principal(call: Call) -> dict:
    source = params.string(call.params, "PolicySourceArn", required=True, **ARN_LENGTH)
    documents = _documents(call, "PolicyInputList")
    call.authorize(source)
    subject = simulation.subject_of(call.account_id, source)
    extra = simulation.identity_inputs(documents)
    return {"ContextKeyNames": simulation.keys_of([*subject.identity, *subject.boundary, *extra])}


@query_action("iam", "GetContextKeysForCustomPolicy")
def context_keys_for_custom(call: Call) -> dict:
    documents = _documents(call, "PolicyInputList", required=True)
    call.authorize("*")
    return {"ContextKeyNames": simulation.keys_of(simulation.identity_inputs(documents))}
