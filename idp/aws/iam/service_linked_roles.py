"""CreateServiceLinkedRole, DeleteServiceLinkedRole, GetServiceLinkedRoleDeletionStatus."""
from __future__ import annotations

from idp.aws import params
from idp.aws.api import Call, query_action
from idp.aws.iam import names
from idp.aws.iam.roles import DESCRIPTION_PATTERN, authorize_role, role_shape
from idp.iam import roles, service_linked_roles


@query_action("iam", "CreateServiceLinkedRole")
def create_service_linked_role(call: Call) -> dict:
    p = call.params
    service = params.string(p, "AWSServiceName", required=True, min_len=1, max_len=128, pattern=names.NAME_PATTERN)
    description = params.string(p, "Description", max_len=1000, pattern=DESCRIPTION_PATTERN)
    suffix = params.string(p, "CustomSuffix", min_len=1, max_len=64, pattern=names.NAME_PATTERN)
    name = service_linked_roles.role_name(service, suffix)
    role_arn = names.arn(call.account_id, "role", service_linked_roles.role_path(service), name)
    call.authorize(role_arn, context={"iam:AWSServiceName": service})
    role = service_linked_roles.create(call.account_id, service, description, suffix)
    return {"Role": role_shape(role, last_used=False)}


@query_action("iam", "DeleteServiceLinkedRole")
def delete_service_linked_role(call: Call) -> dict:
    name = names.name(call.params, "RoleName")
    authorize_role(call, name)
    task_id = service_linked_roles.delete(roles.get(call.account_id, name))
    return {"DeletionTaskId": task_id}


@query_action("iam", "GetServiceLinkedRoleDeletionStatus")
def get_service_linked_role_deletion_status(call: Call) -> dict:
    task_id = params.string(call.params, "DeletionTaskId", required=True, min_len=1, max_len=1000)
    call.authorize(service_linked_roles.task_role_arn(call.account_id, task_id))
    return {"Status": service_linked_roles.deletion_status(call.account_id, task_id)}
