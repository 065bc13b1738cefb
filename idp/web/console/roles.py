"""`/console/roles`: the account's roles (keyset pages), create with a trust policy, and one role's page: the
trust policy, settings, permissions boundary, tags, policies held, delete; who can assume it; and what it can
do, through the policy simulator in a side panel.

Each read and write is the IAM action the Query API asks for it on the role's ARN, with the condition keys it
gives (`aws:ResourceTag/*` of the role, `aws:RequestTag/*` and `aws:TagKeys` when tagging,
`iam:PermissionsBoundary` when the boundary changes), then the same service (`idp.iam.roles`,
`idp.iam.boundaries`). "Who can assume this" reads the trust policy's statements and the access graph
(`access-analyzer:GetAccessGraph` on the role, as the graph page asks it); the simulator is
`iam:SimulatePrincipalPolicy` on the role, run by `idp.iam.simulation` as the API runs it.
"""
from __future__ import annotations

import json
import re

from flask import current_app, request

from idp.analyzer import catalog
from idp.aws import params
from idp.aws.iam import names
from idp.aws.iam.policies import document
from idp.aws.iam.roles import DESCRIPTION_PATTERN, MAX_SESSION, MIN_SESSION
from idp.iam import boundaries, policies, roles, simulation
from idp.iam import tags as tagging
from idp.iam.attachments import ROLE
from idp.web.analyzer_graph import picture
from idp.web.console import blueprint, entities, fields
from idp.web.console.common import arn_for, check, console_principal, done, render, require
from idp.web.console.policies import draft_findings

TRUST = "AssumeRolePolicyDocument"
ACTION_PATTERN = r"[^:]{1,128}:[^:]{1,128}"
TRUST_TYPE = ("RESOURCE_POLICY", "AWS::IAM::AssumeRolePolicyDocument")
EXAMPLE_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]},
    indent=2)


@blueprint.get("/roles")
def roles_list() -> str:
    """The account's roles under a path prefix, a page at a time (`?after=<name>`)."""
    account_id = console_principal().account_id
    prefix = names.path_prefix({"PathPrefix": request.args["prefix"]} if request.args.get("prefix") else {})
    require("iam:ListRoles", arn_for("role", "*", prefix))
    page = entities.keyset_page(
        lambda after, limit: roles.listed(account_id, prefix, after=after and after.lower(), limit=limit),
        request.args.get("after"), key=lambda role: role.name_lower)
    trust = fields.submitted(TRUST, EXAMPLE_TRUST.replace("123456789012", account_id))
    return render("console/roles.html", title="Roles", page=page, prefix=prefix, trust_policy=trust,
                  findings=draft_findings(trust, *TRUST_TYPE), trust_type=TRUST_TYPE,
                  next_url=entities.next_url("console.roles_list", page, prefix=prefix if prefix != "/" else None))


def _settings(form: dict[str, str]) -> tuple[str | None, int | None]:
    """`Description` and `MaxSessionDuration`, as CreateRole and UpdateRole read them."""
    description = params.string(form, "Description", max_len=1000, pattern=DESCRIPTION_PATTERN)
    return description, params.integer(form, "MaxSessionDuration", min_value=MIN_SESSION, max_value=MAX_SESSION)


@blueprint.post("/roles")
def create_role():
    """Create a role with its trust policy (`iam:CreateRole` on its ARN), checked as the API checks it."""
    form = fields.form()
    name, path = names.name(form, "RoleName"), names.path(form)
    trust = document(form, TRUST)
    description, max_session = _settings(form)
    require("iam:CreateRole", arn_for("role", name, path))
    role = roles.create(console_principal().account_id, name, path, trust, description=description,
                        max_session_duration=max_session)
    return done("console.role_page", name=role.name)


def _keys(role, context: dict | None = None) -> dict:
    return {**tagging.resource_keys(role.tags if role else None), **(context or {})}


def _role_for(action: str, name: str, context: dict | None = None):
    """Authorize `action` on role `name` as `authorize_role` of the Query adapter does; then the role."""
    account_id = console_principal().account_id
    role = roles.find(account_id, name)
    require(action, roles.resource_arn(account_id, name), _keys(role, context))
    return role if role is not None else roles.get(account_id, name)


@blueprint.get("/roles/<name>")
def role_page(name: str) -> str:
    """One role, who can assume it, and what it can do (the simulator panel: `?action=&resource=`)."""
    role = _role_for("iam:GetRole", name)
    trust = fields.submitted(TRUST, role.trust_policy)
    draft = fields.submitted("PolicyDocument")
    return render(
        "console/roles_detail.html", title=f"Role {role.name}", role=role, trust_policy=trust,
        trust_findings=draft_findings(fields.submitted(TRUST), *TRUST_TYPE),
        trust_type=TRUST_TYPE, holdings=entities.holdings(ROLE, role), draft=draft,
        draft_name=fields.submitted("PolicyName"), findings=draft_findings(draft),
        trusted_by=trust_statements(role.trust_policy), assumers=_assumers(role),
        simulation=_simulation(role), actions=_action_names(),
    )


def trust_statements(document: str) -> list[dict]:
    """The trust policy's statements as the page lists them: effect, actions, principals, conditions."""
    try:
        statements = json.loads(document).get("Statement", [])
    except (ValueError, AttributeError):
        return []
    statements = statements if isinstance(statements, list) else [statements]
    shown = []
    for statement in statements:
        if not isinstance(statement, dict):
            continue
        principal = statement.get("Principal", statement.get("NotPrincipal", {}))
        principals = [("*", "*")] if principal == "*" else [
            (kind, value) for kind, values in (principal.items() if isinstance(principal, dict) else [])
            for value in (values if isinstance(values, list) else [values])]
        conditions = [(operator, key, value) for operator, pairs in (statement.get("Condition") or {}).items()
                      if isinstance(pairs, dict) for key, value in pairs.items()]
        action = statement.get("Action", statement.get("NotAction", []))
        shown.append({"effect": statement.get("Effect"), "actions": action if isinstance(action, list) else [action],
                      "principals": principals, "conditions": conditions, "negated": "NotPrincipal" in statement})
    return shown


def _assumers(role) -> dict | None:
    """Who reaches the role in the access graph (`access-analyzer:GetAccessGraph`), or the reason it is refused;
    None unless asked (`?graph=1`): the graph weighs every principal against every trust policy of the account."""
    if request.method != "GET" or request.args.get("graph") != "1":
        return None
    reason = check("access-analyzer:GetAccessGraph", role.arn)
    if reason is not None:
        return {"refused": reason}
    svg, graph, title = picture(role.account_id, None, role.arn)
    edges = [edge for edge in graph["edges"] if edge["to"] == role.arn]
    return {"refused": None, "svg": svg, "graph": graph, "title": title, "direct": edges}


def _simulation(role) -> dict | None:
    """The simulator panel's answer for `?action=&resource=`: the decision and the deciding statements."""
    action = request.args.get("action", "").strip() if request.method == "GET" else ""
    if not action:
        return None
    resource = request.args.get("resource", "").strip() or "*"
    answer = {"action": action, "resource": resource}
    if not re.fullmatch(ACTION_PATTERN, action) or len(resource) > 2048:
        return {**answer, "error": "Give an action as service:Action (for example s3:GetObject) and a resource "
                                   "ARN of at most 2048 characters, or * for any resource."}
    reason = check("iam:SimulatePrincipalPolicy", role.arn)
    if reason is not None:
        return {**answer, "refused": reason}
    subject = simulation.subject_of(role.account_id, role.arn)
    [result] = simulation.simulate(subject, [action], [resource], {})
    return {**answer, "result": result}


def _action_names() -> list[str]:
    """Every catalogued action, for the simulator's action picker."""
    return sorted(action.full_name for action in catalog.for_app(current_app).actions())


@blueprint.post("/roles/<name>/trust")
def update_trust_policy(name: str):
    """Replace the trust policy (`iam:UpdateAssumeRolePolicy`), checked as the API checks it."""
    trust = document(fields.form(), TRUST)
    roles.set_trust_policy(_role_for("iam:UpdateAssumeRolePolicy", name), trust)
    return done()


@blueprint.post("/roles/<name>/settings")
def update_role(name: str):
    """Change the description and the maximum session duration (`iam:UpdateRole`)."""
    description, max_session = _settings(fields.form())
    roles.update(_role_for("iam:UpdateRole", name), description, max_session)
    return done()


@blueprint.post("/roles/<name>/boundary")
def put_boundary(name: str):
    """Set the permissions boundary (`iam:PutRolePermissionsBoundary` with `iam:PermissionsBoundary`)."""
    boundary_arn = names.policy_arn(fields.form(), "PermissionsBoundary")
    role = _role_for("iam:PutRolePermissionsBoundary", name, boundaries.condition_keys(boundary_arn))
    boundaries.put(role, policies.get_attachable(role.account_id, boundary_arn))
    return done()


@blueprint.post("/roles/<name>/boundary/remove")
def delete_boundary(name: str):
    """Remove the permissions boundary (`iam:DeleteRolePermissionsBoundary`, naming the one removed)."""
    current = boundaries.current_arn(roles.find(console_principal().account_id, name))
    boundaries.delete(_role_for("iam:DeleteRolePermissionsBoundary", name, boundaries.condition_keys(current)))
    return done()


@blueprint.post("/roles/<name>/tags")
def tag_role(name: str):
    """Add or overwrite a tag (`iam:TagRole` with `aws:RequestTag/*` and `aws:TagKeys`)."""
    new_tags = params.tags(fields.form())
    if not new_tags:
        params.string(fields.form(), "Tags", required=True)
    roles.tag(_role_for("iam:TagRole", name, tagging.request_keys(new_tags)), new_tags)
    return done()


@blueprint.post("/roles/<name>/tags/remove")
def untag_role(name: str):
    """Remove a tag (`iam:UntagRole` with `aws:TagKeys`)."""
    keys = params.member_list(fields.form(), "TagKeys", required=True, max_items=50, min_len=1, max_len=128)
    roles.untag(_role_for("iam:UntagRole", name, tagging.tag_keys_only(keys)), keys)
    return done()


@blueprint.post("/roles/<name>/delete")
def delete_role(name: str):
    """Delete the role (`iam:DeleteRole`): AWS's DeleteConflict while it holds policies."""
    roles.delete(_role_for("iam:DeleteRole", name))
    return done("console.roles_list")
