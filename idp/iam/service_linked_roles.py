"""Service-linked roles: a role an AWS service owns, created and deleted through IAM for it.

The role lives at `/aws-service-role/<service principal>/` (a path CreateRole refuses), trusts only its
service, and is protected by `roles.refuse_protected`. Its name is `AWSServiceRoleFor<Service>` as the
service chose it (a few services below) or, for any other service principal, derived from the principal
the way most services name theirs; `CustomSuffix` follows an underscore. Deletion at AWS is a task the
service finishes later; here it finishes at once, and its task id reports SUCCEEDED.
"""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from idp.errors import NotFound, ValidationError
from idp.iam import roles
from models import db
from models.role import Role
from models.service_linked_role import ServiceLinkedRoleDeletion

ROLE_PREFIX = "AWSServiceRoleFor"
MAX_ROLE_NAME = 64
SUCCEEDED = "SUCCEEDED"
SERVICE_PRINCIPAL = re.compile(r"[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)*\.amazonaws\.com")
TASK_ID = re.compile(r"task/aws-service-role/([a-z0-9.-]+)/([\w+=,.@-]{1,64})/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}")


@dataclass(frozen=True)
class LinkedService:
    """How one service names its role, and whether it takes a `CustomSuffix`."""

    role_name: str
    takes_suffix: bool


# The names these services give their roles (AWS's documentation of each service); others are derived.
KNOWN_SERVICES = {
    "autoscaling.amazonaws.com": LinkedService("AWSServiceRoleForAutoScaling", True),
    "elasticbeanstalk.amazonaws.com": LinkedService("AWSServiceRoleForElasticBeanstalk", True),
    "ecs.amazonaws.com": LinkedService("AWSServiceRoleForECS", False),
    "eks.amazonaws.com": LinkedService("AWSServiceRoleForAmazonEKS", False),
    "elasticloadbalancing.amazonaws.com": LinkedService("AWSServiceRoleForElasticLoadBalancing", False),
    "es.amazonaws.com": LinkedService("AWSServiceRoleForAmazonElasticsearchService", False),
    "rds.amazonaws.com": LinkedService("AWSServiceRoleForRDS", False),
    "spot.amazonaws.com": LinkedService("AWSServiceRoleForEC2Spot", False),
}


def _pascal(label: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in label.split("-"))


def linked_service(service: str) -> LinkedService:
    """The service's role name and suffix rule; InvalidInput for a name that is no AWS service principal."""
    if service in KNOWN_SERVICES:
        return KNOWN_SERVICES[service]
    if not SERVICE_PRINCIPAL.fullmatch(service):
        raise ValidationError(
            f"Invalid service name {service}: a service principal looks like elasticbeanstalk.amazonaws.com.",
            code="InvalidInput",
        )
    # `ecs.application-autoscaling.amazonaws.com` -> AWSServiceRoleForApplicationAutoscaling_Ecs
    *qualifiers, main = service.removesuffix(".amazonaws.com").split(".")
    name = ROLE_PREFIX + _pascal(main)
    if qualifiers:
        name += "_" + "".join(_pascal(label) for label in qualifiers)
    return LinkedService(name, True)


def role_name(service: str, custom_suffix: str | None) -> str:
    """The name the role of `service` gets, with `_<CustomSuffix>` when the service takes one."""
    linked = linked_service(service)
    if not custom_suffix:
        return linked.role_name
    if not linked.takes_suffix:
        raise ValidationError(f"Custom suffix is not allowed for {service}", code="InvalidInput")
    return f"{linked.role_name}_{custom_suffix}"


def role_path(service: str) -> str:
    """`/aws-service-role/<service principal>/`."""
    return f"{roles.SERVICE_ROLE_PATH}{service}/"


def trust_policy(service: str) -> str:
    """The trust policy the service sets: only the service may assume its role."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


def create(account_id: str, service: str, description: str | None, custom_suffix: str | None) -> Role:
    """The service's role; InvalidInput when its name is taken (AWS's words: try a different suffix)."""
    name = role_name(service, custom_suffix)
    if len(name) > MAX_ROLE_NAME:
        raise ValidationError(
            f"Service role name {name} is longer than {MAX_ROLE_NAME} characters, please try a shorter suffix.",
            code="InvalidInput",
        )
    if roles.find(account_id, name) is not None:
        raise ValidationError(
            f"Service role name {name} has been taken in this account, please try a different suffix.",
            code="InvalidInput",
        )
    return roles.create(account_id, name, role_path(service), trust_policy(service), description=description,
                        service_linked=True)


def service_of(role: Role) -> str:
    """The service principal a service-linked role belongs to (from its path)."""
    return role.path[len(roles.SERVICE_ROLE_PATH):-1]


def delete(role: Role) -> str:
    """Delete a service-linked role at once; its DeletionTaskId. NoSuchEntity for any other role."""
    if not roles.is_service_linked(role):
        raise NotFound(f"Role {role.name} is not a service-linked role.")
    task_id = f"task{role.path}{role.name}/{uuid.uuid4()}"
    roles.remove(role)
    db.session.add(ServiceLinkedRoleDeletion(account_id=role.account_id, task_id=task_id, status=SUCCEEDED))
    return task_id


def task_role_arn(account_id: str, task_id: str) -> str:
    """The ARN of the role a deletion task was about; InvalidInput for a malformed task id."""
    match = TASK_ID.fullmatch(task_id)
    if match is None:
        raise ValidationError(f"Invalid deletion task id {task_id}.", code="InvalidInput")
    service, name = match.group(1), match.group(2)
    return roles.ROLE.arn(account_id, role_path(service), name)


def deletion_status(account_id: str, task_id: str) -> str:
    """The task's status; NoSuchEntity for a task this account never started."""
    query = select(ServiceLinkedRoleDeletion.status).where(
        ServiceLinkedRoleDeletion.account_id == account_id, ServiceLinkedRoleDeletion.task_id == task_id)
    status = db.session.scalar(query)
    if status is None:
        raise NotFound(f"Deletion task {task_id} cannot be found.")
    return status
