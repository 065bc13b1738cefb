"""SimulatePrincipalPolicy, SimulateCustomPolicy, GetContextKeysForPrincipalPolicy, GetContextKeysForCustomPolicy."""
from __future__ import annotations

from idp.aws import params
from idp.aws.api import Call, query_action
from idp.iam import simulation
from idp.aws.iam.shapes import page
from idp.policy import PolicyKind, PrincipalType, RequestPrincipal

ACTION_PATTERN = r"[^:]{1,128}:[^:]{1,128}|\*"
ARN_LENGTH = {"min_len": 1, "max_len": 2048}


def _context(call: Call) -> dict[str, object]:
    context: dict[str, object] = {}
    for entry in params.context_entries(call.params):
        many = entry.key_type.endswith("List")
        context[entry.key_name] = tuple(entry.values) if many else (entry.values[0] if entry.values else "")
    return context


def _inputs(call: Call, name: str, kind: PolicyKind, *, required: bool = False) -> list:
    documents = params.member_list(call.params, name, required=required, min_len=1, max_len=131072)
    return simulation.parse_inputs(documents, kind, name)


def _run(call: Call, subject: simulation.Subject) -> dict:
    p = call.params
    actions = params.member_list(p, "ActionNames", required=True, min_len=3, max_len=128)
    resources = params.member_list(p, "ResourceArns", **ARN_LENGTH)
    resource_policy_text = params.string(p, "ResourcePolicy", min_len=1, max_len=131072)
    resource_policy = None
    if resource_policy_text:
        resource_policy = simulation.parse_inputs([resource_policy_text], PolicyKind.RESOURCE, "ResourcePolicy")[0]
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
    subject.identity += _inputs(call, "PolicyInputList", PolicyKind.MANAGED)
    boundaries = _inputs(call, "PermissionsBoundaryPolicyInputList", PolicyKind.BOUNDARY)
    if boundaries:
        subject.boundary = boundaries
    return _run(call, subject)


@query_action("iam", "SimulateCustomPolicy")
def simulate_custom_policy(call: Call) -> dict:
    call.authorize("*")
    caller_arn = params.string(call.params, "CallerArn", **ARN_LENGTH)
    arn = caller_arn or f"arn:aws:iam::{call.account_id}:user/SimulatedCaller"
    # The documents given are the caller's identity policies, whoever calls.
    principal = RequestPrincipal.of(arn, arn.split(":")[4] or call.account_id, PrincipalType.USER,
                                    username=arn.rsplit("/", 1)[-1])
    subject = simulation.Subject(
        principal,
        _inputs(call, "PolicyInputList", PolicyKind.MANAGED, required=True),
        _inputs(call, "PermissionsBoundaryPolicyInputList", PolicyKind.BOUNDARY),
    )
    return _run(call, subject)


@query_action("iam", "GetContextKeysForPrincipalPolicy")
def context_keys_for_principal(call: Call) -> dict:
    source = params.string(call.params, "PolicySourceArn", required=True, **ARN_LENGTH)
    call.authorize(source)
    subject = simulation.subject_of(call.account_id, source)
    extra = _inputs(call, "PolicyInputList", PolicyKind.MANAGED)
    return {"ContextKeyNames": simulation.keys_of([*subject.identity, *subject.boundary, *extra])}


@query_action("iam", "GetContextKeysForCustomPolicy")
def context_keys_for_custom(call: Call) -> dict:
    call.authorize("*")
    return {"ContextKeyNames": simulation.keys_of(_inputs(call, "PolicyInputList", PolicyKind.MANAGED, required=True))}
