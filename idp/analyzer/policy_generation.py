"""Policy generation (Access Analyzer's StartPolicyGeneration / GetGeneratedPolicy / ListPolicyGenerations).

From a user's or role's audit history in a time window, the least-privilege identity policy that allows exactly
the actions it was allowed to perform there: one statement per service and set of resources, naming the
resources the audit log knows (`*` where the request named none). Where AWS reads CloudTrail trails through an
access role, this product reads its own audit log, so `cloudTrailDetails` gives only the window (its trails and
role are accepted and ignored). A job completes at once; the policy is computed from the window whenever the job
is read, capped at the job's completion time, so every read agrees.
"""
from __future__ import annotations

import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from idp import clock
from idp.analyzer.activity import AuditedRequest, Entity, allowed_requests, report_job
from idp.analyzer.catalog import bundled
from idp.errors import NotFound, ValidationError
from models import db
from models.report import AccessReportJob
from models.role import Role
from models.user import User

KIND = "policy-generation"
DEFAULT_WINDOW = timedelta(days=90)
MAX_WINDOW = timedelta(days=90)  # AWS generates from at most 90 days of CloudTrail events


@dataclass(frozen=True)
class GeneratedPolicy:
    """A job's result: the policy document (JSON text) and the services and actions it was built from."""

    document: str | None  # None when the principal did nothing in the window
    services: dict[str, list[str]]  # service prefix -> actions


def _principal(account_id: str, arn: str) -> Entity:
    kind = User if ":user/" in arn else Role if ":role/" in arn else None
    if kind is None:
        raise ValidationError("principalArn must be the ARN of an IAM user or role")
    found = db.session.scalar(select(kind).where(kind.account_id == account_id, kind.arn == arn))
    if found is None:
        raise NotFound(f"Principal {arn} not found in account {account_id}")
    return Entity.of(found)


def _window(start: datetime | None, end: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    end = min(end or now, now)
    start = start or end - DEFAULT_WINDOW
    if start >= end:
        raise ValidationError("startTime must be before endTime (and before now)")
    if end - start > MAX_WINDOW:
        raise ValidationError("The time window of a policy generation may span at most 90 days")
    return start, end


def start(account_id: str, principal_arn: str, start_time: datetime | None, end_time: datetime | None,
          trails: list[dict] | None = None) -> AccessReportJob:
    """StartPolicyGeneration: a completed job over the principal's history in the window (`trails` kept to echo)."""
    _principal(account_id, principal_arn)
    now = clock.now()
    since, until = _window(start_time, end_time, now)
    job = AccessReportJob(job_id=str(uuid.uuid4()), account_id=account_id, kind=KIND, subject=principal_arn,
                          parameters={"startTime": since.isoformat(), "endTime": until.isoformat(),
                                      "trails": trails or []},
                          created_at=now, completed_at=now)
    db.session.add(job)
    return job


def job(account_id: str, job_id: str) -> AccessReportJob:
    """The account's policy-generation job of that id; NotFound for any other."""
    return report_job(account_id, KIND, job_id)


def listed(account_id: str, principal_arn: str | None) -> list[AccessReportJob]:
    """ListPolicyGenerations: the account's jobs, newest first, optionally of one principal."""
    query = select(AccessReportJob).where(AccessReportJob.account_id == account_id, AccessReportJob.kind == KIND)
    if principal_arn is not None:
        query = query.where(AccessReportJob.subject == principal_arn)
    return list(db.session.scalars(query.order_by(AccessReportJob.created_at.desc(), AccessReportJob.id.desc())))


def window(report: AccessReportJob) -> tuple[datetime, datetime]:
    """The job's (startTime, endTime)."""
    return (datetime.fromisoformat(report.parameters["startTime"]),
            datetime.fromisoformat(report.parameters["endTime"]))


def _action_name(action: str) -> str:
    """The catalogue's spelling of an audited action (`iam:GetUser`), else as audited."""
    known = bundled().matching(action)
    return known[0].full_name if len(known) == 1 else action


def _statement_id(service: str, index: int) -> str:
    words = "".join(part.capitalize() for part in service.replace("_", "-").split("-") if part.isalnum())
    return f"{words or 'Service'}Access{index or ''}"


def _statements(requests: list[AuditedRequest]) -> list[dict]:
    resources_of: dict[tuple[str, str], set[str]] = defaultdict(set)
    for request in requests:
        action = _action_name(request.action)
        resource = request.resource if request.resource and request.resource.startswith("arn:") else "*"
        resources_of[(action.split(":", 1)[0].lower(), action)].add(resource)
    groups: dict[tuple[str, tuple[str, ...]], list[str]] = defaultdict(list)
    for (service, action), resources in sorted(resources_of.items()):
        groups[(service, ("*",) if "*" in resources else tuple(sorted(resources)))].append(action)
    statements, counts = [], defaultdict(int)
    for (service, resources), actions in sorted(groups.items()):
        statements.append({"Sid": _statement_id(service, counts[service]), "Effect": "Allow",
                           "Action": sorted(actions), "Resource": list(resources)})
        counts[service] += 1
    return statements


def generated(report: AccessReportJob) -> GeneratedPolicy:
    """GetGeneratedPolicy: the least-privilege policy of the job's principal and window."""
    since, until = window(report)
    entity = _principal(report.account_id, report.subject)
    requests = allowed_requests(report.account_id, [entity], min(until, clock.as_utc(report.completed_at)), since)
    statements = _statements(requests)
    services: dict[str, set[str]] = defaultdict(set)
    for statement in statements:
        for action in statement["Action"]:
            services[action.split(":", 1)[0].lower()].add(action)
    document = json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=4) if statements else None
    return GeneratedPolicy(document, {service: sorted(actions) for service, actions in sorted(services.items())})
