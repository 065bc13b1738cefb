"""`/console/policies`: managed policies (customer managed; AWS managed with `?scope=AWS`), the JSON editor, and
one policy's page: its versions, a diff of two of them, set default, delete.

Every read and write is the IAM action the Query API asks for it on the policy's ARN (`iam:ListPolicies`,
`iam:CreatePolicy`, `iam:GetPolicy`, `iam:CreatePolicyVersion`, `iam:SetDefaultPolicyVersion`, ...), done by
the same services (`idp.iam.policies`, `idp.iam.policy_versions`), so a document is refused on save exactly as
the API refuses it. The editor's script asks `POST /console/policies/validate` for ValidatePolicy's findings
(`access-analyzer:ValidatePolicy`, as the Access Analyzer API asks it) while the document is typed.
"""
from __future__ import annotations

import difflib
import json

from flask import Response, current_app, jsonify, redirect, request, url_for

from idp.analyzer import catalog, validation
from idp.aws import params
from idp.aws.iam import names
from idp.aws.iam.policies import POLICY_NAME_MAX, VERSION_ID_PATTERN, document, policy_path
from idp.errors import AccessDenied, ClientError, ValidationError
from idp.iam import attachments, policies, policy_versions
from idp.iam import tags as tagging
from idp.web.console import blueprint, fields
from idp.web.console.common import arn_for, check, console_principal, done, render, require
from idp.web.console.entities import keyset_page, next_url
from idp.web.errors import render_json_error

SCOPES = {"Local": "Customer managed", "AWS": "AWS managed", "All": "All"}
MAX_VALIDATED_CHARS = 200_000  # as Access Analyzer's rest-json endpoint takes it
EXAMPLE = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}, indent=2)


def draft_findings(text: str, policy_type: str = "IDENTITY_POLICY",
                   resource_type: str | None = None) -> list[dict] | None:
    """ValidatePolicy's findings for a document a refused form sent (shown with the page again), when the
    principal may ask for them; None otherwise."""
    if request.method != "POST" or not text.strip() or check("access-analyzer:ValidatePolicy", "*") is not None:
        return None
    found = validation.validate_policy(text, policy_type, resource_type, catalog.for_app(current_app))
    return [finding.as_json() for finding in found]


@blueprint.post("/policies/validate")
def validate_policy_document() -> Response:
    """ValidatePolicy for the editor's script: `{"findings": [...]}` with each finding's line and column."""
    reason = check("access-analyzer:ValidatePolicy", "*")
    if reason is not None:
        return render_json_error(AccessDenied(reason))
    body = request.get_json(silent=True)
    try:
        text, policy_type, resource_type = _validation_request(body)
        found = validation.validate_policy(text, policy_type, resource_type, catalog.for_app(current_app))
    except ClientError as error:
        return render_json_error(error)
    return jsonify({"findings": [finding.as_json() for finding in found]})


def _validation_request(body: object) -> tuple[str, str, str | None]:
    if not isinstance(body, dict):
        raise ValidationError("The request body must be a JSON object.")
    text, policy_type = body.get("policyDocument"), body.get("policyType", "IDENTITY_POLICY")
    resource_type = body.get("validatePolicyResourceType")
    if not isinstance(text, str) or not text or len(text) > MAX_VALIDATED_CHARS:
        raise ValidationError(f"policyDocument must be a string of 1 to {MAX_VALIDATED_CHARS} characters.")
    if policy_type not in validation.POLICY_TYPES:
        raise ValidationError(f"policyType must be one of {', '.join(validation.POLICY_TYPES)}.")
    if resource_type is not None and resource_type not in validation.RESOURCE_TYPES:
        raise ValidationError(f"validatePolicyResourceType must be one of {', '.join(validation.RESOURCE_TYPES)}.")
    return text, policy_type, resource_type


@blueprint.get("/policies")
@blueprint.get("/policies/")
def policies_list() -> Response | str:
    """Managed policies the account sees, by scope, a page at a time (`?after=`); `?arn=` opens one policy."""
    if request.args.get("arn"):
        return redirect(url_for("console.policy_page", policy_arn=request.args["arn"]))
    account_id = console_principal().account_id
    scope = request.args.get("scope") if request.args.get("scope") in SCOPES else "Local"
    require("iam:ListPolicies", arn_for("policy", "*"))
    listed = policies.listed(account_id, scope, "/", False, None)  # with usage counts, read for the whole account

    def key(item) -> str:
        return f"{item[0].name_lower} {item[0].arn}"

    page = keyset_page(lambda after, limit: [item for item in listed if after is None or key(item) > after][:limit],
                       request.args.get("after"), key=key)
    return render("console/policies.html", title="Policies", page=page, scope=scope, scopes=SCOPES,
                  next_url=next_url("console.policies_list", page, scope=scope))


@blueprint.get("/policies/new")
def new_policy() -> str:
    """The editor for a new customer managed policy."""
    text = fields.submitted("PolicyDocument", EXAMPLE)
    return render("console/policy_new.html", title="Create policy", document=text, findings=draft_findings(text))


@blueprint.post("/policies")
def create_policy():
    """Create a customer managed policy (`iam:CreatePolicy` on its ARN); its document is checked as the API
    checks it (a refused document comes back in the editor with its findings)."""
    form = fields.form()
    name = names.name(form, "PolicyName", max_len=POLICY_NAME_MAX)
    path = policy_path(form) or "/"
    text = document(form)
    description = params.string(form, "Description", max_len=1000)
    require("iam:CreatePolicy", arn_for("policy", name, path))
    policy = policies.create(console_principal().account_id, name, path, text, description, [])
    return done("console.policy_page", policy_arn=policy.arn)


def _require_on_policy(action: str, policy_arn: str) -> None:
    """Authorize `action` on the policy, with its tags, as the Query adapters do."""
    policy = policies.find_by_arn(console_principal().account_id, policy_arn)
    require(action, policy_arn, tagging.resource_keys(policy.tags if policy else None))


def _changeable(action: str, policy_arn: str):
    """The customer managed policy to change (AccessDenied for an AWS managed one, as at AWS)."""
    who = console_principal()
    return policies.get_customer_managed(who.account_id, policy_arn, who.arn, action)


@blueprint.get("/policies/<path:policy_arn>")
def policy_page(policy_arn: str) -> str:
    """One policy: the default document, the versions, a diff of two, who uses it, and the forms."""
    account_id = console_principal().account_id
    _require_on_policy("iam:GetPolicy", policy_arn)
    policy = policies.get(account_id, policy_arn)
    keys = tagging.resource_keys(policy.tags)
    versions_refused = check("iam:ListPolicyVersions", policy.arn, keys) or check(
        "iam:GetPolicyVersion", policy.arn, keys)
    versions = [] if versions_refused else policy_versions.listed(policy)
    entities_refused = check("iam:ListEntitiesForPolicy", policy.arn, keys)
    holders = [] if entities_refused else attachments.entities_for(account_id, policy, None, "/", None)
    default = next((v for v in versions if v.is_default), None)
    draft = fields.submitted("PolicyDocument", default.document if default else "")
    return render(
        "console/policy_detail.html", title=f"Policy {policy.name}", policy=policy,
        usage=policies.usage_of(account_id, policy), versions=versions, versions_refused=versions_refused,
        holders=holders, entities_refused=entities_refused, document=draft, findings=draft_findings(draft),
        comparison=_comparison(versions, request.args.get("from"), request.args.get("to")),
    )


def _comparison(versions: list, first: str | None, second: str | None) -> dict | None:
    """The unified diff of two versions' documents (as `idp.iam.policy_versions` stores them), or None."""
    chosen = {v.version_id: v for v in versions}
    if first not in chosen or second not in chosen:
        return None
    before, after = _pretty(chosen[first].document), _pretty(chosen[second].document)
    diff = difflib.unified_diff(before, after, fromfile=first, tofile=second, lineterm="", n=3)
    return {"from": first, "to": second, "lines": [_diff_line(line) for line in diff]}


def _pretty(document: str) -> list[str]:
    try:
        return json.dumps(json.loads(document), indent=2).splitlines()
    except ValueError:
        return document.splitlines()


def _diff_line(line: str) -> tuple[str, str]:
    if line.startswith(("+++", "---")):
        return "file", line
    kinds = {"+": "added", "-": "removed", "@": "hunk"}
    return kinds.get(line[:1], "same"), line


@blueprint.post("/policies/<path:policy_arn>/versions")
def create_version(policy_arn: str):
    """Save the edited document as a new version (`iam:CreatePolicyVersion`), the default one when asked."""
    form = fields.form()
    text, set_as_default = document(form), params.boolean(form, "SetAsDefault", default=False)
    _require_on_policy("iam:CreatePolicyVersion", policy_arn)
    policy = _changeable("iam:CreatePolicyVersion", policy_arn)
    policy_versions.create(policy, text, set_as_default)
    return done()


def _version_id() -> str:
    return params.string(fields.form(), "VersionId", required=True, pattern=VERSION_ID_PATTERN)


@blueprint.post("/policies/<path:policy_arn>/default")
def set_default_version(policy_arn: str):
    """Make a version the one the authorizer evaluates (`iam:SetDefaultPolicyVersion`)."""
    version_id = _version_id()
    _require_on_policy("iam:SetDefaultPolicyVersion", policy_arn)
    policy_versions.set_default(_changeable("iam:SetDefaultPolicyVersion", policy_arn), version_id)
    return done()


@blueprint.post("/policies/<path:policy_arn>/versions/remove")
def delete_version(policy_arn: str):
    """Delete a version that is not the default (`iam:DeletePolicyVersion`)."""
    version_id = _version_id()
    _require_on_policy("iam:DeletePolicyVersion", policy_arn)
    policy_versions.delete(_changeable("iam:DeletePolicyVersion", policy_arn), version_id)
    return done()


@blueprint.post("/policies/<path:policy_arn>/delete")
def delete_policy(policy_arn: str):
    """Delete a policy nothing uses and that has one version (`iam:DeletePolicy`)."""
    _require_on_policy("iam:DeletePolicy", policy_arn)
    policies.delete(_changeable("iam:DeletePolicy", policy_arn))
    return done("console.policies_list")
