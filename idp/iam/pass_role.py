"""`iam:PassRole`: may the caller hand this role to a service?

AWS authorizes PassRole whenever a request gives a role to a service (an STS
federation, a compute resource, ...), on the role's ARN, with the condition
keys `iam:PassedToService` (the service principal, e.g. `sts.amazonaws.com`)
and `iam:AssociatedResourceArn` (the resource the role will act for, when
there is one). A role of another account cannot be passed: the engine denies
it as a cross-account request without a resource-based allow.
"""
from __future__ import annotations

from typing import Protocol

from idp.authz.authorizer import authorize
from idp.authz.principals import Caller
from idp.policy import Decision

ACTION = "iam:PassRole"


class CallerBound(Protocol):
    """Anything that knows its authenticated caller (an `idp.aws.api.Call`)."""

    caller: Caller


def check_pass_role(
    call: CallerBound, role_arn: str, service: str, *, associated_resource: str | None = None
) -> Decision:
    """Authorize `iam:PassRole` of `role_arn` to `service`; AccessDenied with AWS's reason otherwise.

    It asks the authorizer directly, not through `Call.authorize`: passing a
    role is checked in addition to the action itself and must never count as
    the action's own authorization.
    """
    context: dict[str, object] = {"iam:PassedToService": service}
    if associated_resource:
        context["iam:AssociatedResourceArn"] = associated_resource
    return authorize(call.caller, ACTION, role_arn, context=context)
