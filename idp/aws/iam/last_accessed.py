"""GenerateServiceLastAccessedDetails, GetServiceLastAccessedDetails and GetServiceLastAccessedDetailsWithEntities.

Generating is authorized on the user, role, group or policy ARN it covers; reading a job on `*`, as at AWS.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from idp.aws import params
from idp.aws.api import Call, query_action
from idp.aws.iam.shapes import page
from idp.iam import last_accessed

if TYPE_CHECKING:
    from models.report import AccessReportJob

JOB_ID_PATTERN = r"^[\w+=,.@-]+$"
NAMESPACE_PATTERN = r"^[\w-]*$"


@query_action("iam", "GenerateServiceLastAccessedDetails", mutates=False)
def generate_service_last_accessed_details(call: Call) -> dict:
    arn = params.string(call.params, "Arn", required=True, min_len=20, max_len=2048)
    granularity = params.enum(call.params, "Granularity", last_accessed.GRANULARITIES, default="SERVICE_LEVEL")
    call.authorize(arn)
    return {"JobId": last_accessed.generate(call.account_id, arn, granularity).job_id}


def _job_id(call: Call) -> str:
    return params.string(call.params, "JobId", required=True, min_len=36, max_len=36, pattern=JOB_ID_PATTERN)


def _job_shape(job: AccessReportJob) -> dict:
    return {"JobStatus": "COMPLETED", "JobType": job.parameters.get("granularity", "SERVICE_LEVEL"),
            "JobCreationDate": job.created_at, "JobCompletionDate": job.completed_at}


def _use_shape(use: last_accessed.Use) -> dict:
    return {"LastAuthenticated": use.last, "LastAuthenticatedEntity": use.entity}


def _service_shape(service: last_accessed.ServiceAccess) -> dict:
    shape = {"ServiceName": service.name, "LastAuthenticated": service.use.last,
             "ServiceNamespace": service.namespace, "LastAuthenticatedEntity": service.use.entity,
             "TotalAuthenticatedEntities": len(service.use.entities)}
    if service.actions is not None:
        shape["TrackedActionsLastAccessed"] = [
            {"ActionName": name.split(":", 1)[1], "LastAccessedEntity": use.entity, "LastAccessedTime": use.last}
            for name, use in service.actions.items()]
    return shape


@query_action("iam", "GetServiceLastAccessedDetails")
def get_service_last_accessed_details(call: Call) -> dict:
    job_id = _job_id(call)
    params.pagination(call.params)
    call.authorize("*")
    job = last_accessed.job(call.account_id, job_id)
    body = _job_shape(job)
    body.update(page(call.params, last_accessed.services(job), "ServicesLastAccessed", _service_shape))
    return body


def _entity_shape(entry) -> dict:
    entity, last = entry
    return {"EntityInfo": {"Arn": entity.arn, "Name": entity.name, "Type": entity.type, "Id": entity.id,
                           "Path": entity.path}, "LastAuthenticated": last}


@query_action("iam", "GetServiceLastAccessedDetailsWithEntities")
def get_service_last_accessed_details_with_entities(call: Call) -> dict:
    job_id = _job_id(call)
    namespace = params.string(call.params, "ServiceNamespace", required=True, min_len=1, max_len=64,
                              pattern=NAMESPACE_PATTERN)
    params.pagination(call.params)
    call.authorize("*")
    job = last_accessed.job(call.account_id, job_id)
    body = _job_shape(job)
    del body["JobType"]  # not a member of this operation's output
    body.update(page(call.params, last_accessed.entities_for(job, namespace), "EntityDetailsList", _entity_shape))
    return body
