"""Access Analyzer's policy generation, and this product's account findings, on the rest-json blueprint.

StartPolicyGeneration (`PUT /policy/generation`), GetGeneratedPolicy (`GET /policy/generation/<jobId>`) and
ListPolicyGenerations (`GET /policy/generation`) as in botocore's `accessanalyzer` model (the first two reveal a
principal's audit history, so they also need `cloudtrail:LookupEvents`); and one extension,
GetAccountFindings (`GET /account-findings`, `access-analyzer:GetAccountFindings` on the account's root ARN): the
least-privilege findings of the caller's account (`idp.analyzer.account_checks`) as `{"findings": [...]}`.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from idp.analyzer import account_checks, policy_generation
from idp.authz.authorizer import authorize
from idp.aws.rest_json import RestCall, rest_action
from idp.errors import ValidationError

if TYPE_CHECKING:
    from models.report import AccessReportJob

MAX_RESULTS = 100
LOOKUP_EVENTS = "cloudtrail:LookupEvents"


def _time(container: dict, name: str) -> datetime | None:
    """A timestamp member: ISO 8601 (botocore's rest-json format) or epoch seconds."""
    value = container.get(name)
    if value is None:
        return None
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, timezone.utc)
        moment = datetime.fromisoformat(str(value))
    except (ValueError, OverflowError, OSError):
        raise ValidationError(f"1 validation error detected: Value at 'cloudTrailDetails.{name}' is not a valid "
                              "timestamp") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _object(call: RestCall, name: str, *, required: bool) -> dict:
    value = call.body.get(name)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(f"1 validation error detected: Value at '{name}' failed to satisfy constraint: "
                              "Member must not be null" if value is None else f"'{name}' must be an object")
    return value


def _authorize_history(call: RestCall, operation: str) -> None:
    """`access-analyzer:<operation>`, and `cloudtrail:LookupEvents` on `*`: a generated policy reveals the
    principal's audit history, which the console and LookupEvents show only to a caller allowed to look it up."""
    call.authorize(operation)
    authorize(call.caller, LOOKUP_EVENTS, "*")


@rest_action("PUT", "/policy/generation", "StartPolicyGeneration")
def start_policy_generation(call: RestCall) -> dict:
    """StartPolicyGeneration: from the principal's audit history in cloudTrailDetails' window."""
    details = _object(call, "policyGenerationDetails", required=True)
    principal = details.get("principalArn")
    if not isinstance(principal, str) or not principal:
        raise ValidationError("1 validation error detected: Value null at 'policyGenerationDetails.principalArn' "
                              "failed to satisfy constraint: Member must not be null")
    trail = _object(call, "cloudTrailDetails", required=False)
    trails = trail.get("trails") if isinstance(trail.get("trails"), list) else []
    _authorize_history(call, "StartPolicyGeneration")
    job = policy_generation.start(call.caller.account_id, principal, _time(trail, "startTime"),
                                  _time(trail, "endTime"), [t for t in trails if isinstance(t, dict)])
    return {"jobId": job.job_id}


def _summary(job: AccessReportJob) -> dict:
    return {"jobId": job.job_id, "principalArn": job.subject, "status": "SUCCEEDED", "startedOn": job.created_at,
            "completedOn": job.completed_at}


@rest_action("GET", "/policy/generation/<job_id>", "GetGeneratedPolicy")
def get_generated_policy(call: RestCall, job_id: str) -> dict:
    """GetGeneratedPolicy: the job and its policy (none when the principal did nothing in the window)."""
    _authorize_history(call, "GetGeneratedPolicy")
    job = policy_generation.job(call.caller.account_id, job_id)
    result = policy_generation.generated(job)
    since, until = policy_generation.window(job)
    trails = [{"cloudTrailArn": t.get("cloudTrailArn"), "regions": t.get("regions"),
               "allRegions": t.get("allRegions")} for t in job.parameters.get("trails", [])]
    return {"jobDetails": {"jobId": job.job_id, "status": "SUCCEEDED", "startedOn": job.created_at,
                           "completedOn": job.completed_at},
            "generatedPolicyResult": {
                "properties": {"isComplete": True, "principalArn": job.subject, "cloudTrailProperties": {
                    "trailProperties": trails, "startTime": since, "endTime": until}},
                "generatedPolicies": [{"policy": result.document}] if result.document else []}}


@rest_action("GET", "/policy/generation", "ListPolicyGenerations")
def list_policy_generations(call: RestCall) -> dict:
    """ListPolicyGenerations: the account's jobs, newest first, paged."""
    call.authorize("ListPolicyGenerations")
    jobs = policy_generation.listed(call.caller.account_id, call.string("principalArn", required=False))
    try:
        start = int(call.query.get("nextToken") or 0)
        size = max(1, min(int(call.query.get("maxResults") or MAX_RESULTS), MAX_RESULTS))
    except ValueError:
        raise ValidationError("nextToken and maxResults must be numbers") from None
    page = jobs[start:start + size]
    token = str(start + len(page)) if start + len(page) < len(jobs) else None
    return {"policyGenerations": [_summary(job) for job in page], "nextToken": token}


@rest_action("GET", "/account-findings", "GetAccountFindings")
def get_account_findings(call: RestCall) -> dict:
    """Extension: the least-privilege findings of the caller's account."""
    account_id = call.caller.account_id
    call.authorize("GetAccountFindings", f"arn:aws:iam::{account_id}:root")
    return {"findings": [finding.as_json() for finding in account_checks.check_account(account_id)]}
