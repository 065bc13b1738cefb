"""`POST /` (and `GET /`): the AWS Query endpoint, dispatched by `Version` to IAM or STS."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from flask import Blueprint, Response, g, request

from idp.aws.xml import render_error, render_result
from idp.errors import IdpError, InvalidAction, MissingParameter

blueprint = Blueprint("aws", __name__)

Action = Callable[[dict[str, str]], "dict | None"]


@dataclass
class QueryService:
    """One AWS service on the Query protocol: its API version, namespace and actions."""

    name: str
    version: str
    namespace: str
    actions: dict[str, Action] = field(default_factory=dict)


SERVICES = {
    s.version: s
    for s in (
        QueryService("iam", "2010-05-08", "https://iam.amazonaws.com/doc/2010-05-08/"),
        QueryService("sts", "2011-06-15", "https://sts.amazonaws.com/doc/2011-06-15/"),
    )
}
DEFAULT_NAMESPACE = SERVICES["2010-05-08"].namespace


def _namespace() -> str:
    service = SERVICES.get(request.values.get("Version", ""))
    return service.namespace if service else DEFAULT_NAMESPACE


@blueprint.errorhandler(IdpError)
def _render(error: IdpError) -> Response:
    return render_error(error, _namespace(), g.request_id)


@blueprint.route("/", methods=["GET", "POST"])
def query() -> Response:
    """Parse `Action` and `Version`, find the action, run it, render its result."""
    params = request.values.to_dict()
    action_name = params.get("Action")
    if not action_name:
        raise MissingParameter("The request must contain the parameter Action")
    version = params.get("Version")
    if not version:
        raise MissingParameter("The request must contain the parameter Version")
    service = SERVICES.get(version)
    action = service.actions.get(action_name) if service else None
    if action is None:
        raise InvalidAction(f"Could not find operation {action_name} for version {version}")
    return render_result(action_name, service.namespace, action(params), g.request_id)
