"""`POST /` (and `GET /`): the AWS Query endpoint for IAM and STS.

Parse `Action` and `Version`, authenticate the SigV4 signature, run the
action (which must ask the shared authorizer before it touches anything),
commit, render XML. Errors are rendered once, as AWS's `ErrorResponse`.
Every failed parameter constraint of a request is reported at once
(`idp.aws.validation`): before the action's first authorization, or when it
returns or fails, whichever comes first.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from flask import Blueprint, Response, g, request
from sqlalchemy.exc import IntegrityError

from idp import metrics
from idp.authz import credentials
from idp.authz.authorizer import authorize
from idp.authz.policy_store import bump_authz_version
from idp.authz.principals import Caller
from idp.aws import json_protocol, validation
from idp.aws.xml import render_error, render_result
from idp.errors import Conflict, IdpError, InvalidAction, MissingParameter

if TYPE_CHECKING:
    from idp.policy import Decision

blueprint = Blueprint("aws", __name__)

READ_PREFIXES = ("Get", "List", "Simulate", "Decode")


@dataclass
class Call:
    """One action invocation: its parameters, its authenticated caller, and the authorization it did."""

    service: str
    action: str
    params: dict[str, str]
    caller: Caller | None
    authorized: bool = False

    def authorize(self, resource: str, *, action: str | None = None, **kwargs) -> Decision:
        """Ask the shared authorizer; raises AccessDenied with AWS's reason.

        Before the first question, every parameter the action read must have
        passed: the request's failed constraints are its answer otherwise.
        """
        validation.checkpoint()
        decision = authorize(self.caller, action or f"{self.service}:{self.action}", resource, **kwargs)
        self.authorized = True
        return decision

    @property
    def account_id(self) -> str:
        return self.caller.account_id


ActionFunction = Callable[[Call], "dict | None"]


@dataclass(frozen=True)
class QueryAction:
    function: ActionFunction
    unsigned: bool  # AssumeRoleWithWebIdentity / WithSAML: the token is the credential
    public: bool  # GetCallerIdentity: any authenticated caller, no policy check
    mutates: bool


@dataclass
class QueryService:
    """One AWS service on the Query protocol: its API version, namespace and actions."""

    name: str
    version: str
    namespace: str
    actions: dict[str, QueryAction] = field(default_factory=dict)


SERVICES = {
    s.name: s
    for s in (
        QueryService("iam", "2010-05-08", "https://iam.amazonaws.com/doc/2010-05-08/"),
        QueryService("sts", "2011-06-15", "https://sts.amazonaws.com/doc/2011-06-15/"),
    )
}
BY_VERSION = {s.version: s for s in SERVICES.values()}


def query_action(service: str, name: str, *, unsigned: bool = False, public: bool = False,
                 mutates: bool | None = None):
    """Register `function(call) -> result dict` as `Action=name` of `service`.

    `mutates` (default: IAM actions not named Get/List/Simulate/Decode) says
    whether a success bumps the account's authz version; STS issues
    credentials and changes no policy, so its actions never do.
    """
    if mutates is None:
        mutates = service == "iam" and not name.startswith(READ_PREFIXES)

    def register(function: ActionFunction) -> ActionFunction:
        SERVICES[service].actions[name] = QueryAction(function, unsigned, public, mutates)
        return function

    return register


def _namespace() -> str:
    service = BY_VERSION.get(request.values.get("Version", ""))
    return service.namespace if service else SERVICES["iam"].namespace


@blueprint.errorhandler(IdpError)
def _render(error: IdpError) -> Response:
    if json_protocol.is_json_request():
        return json_protocol.render_error(error)
    return render_error(error, _namespace(), g.request_id)


@blueprint.route("/", methods=["GET", "POST"])
def query() -> Response:
    """Dispatch by `Version` and `Action`, authenticate, run, commit, render."""
    signed = credentials.signed_request()  # reads the body before the form parser does
    if json_protocol.is_json_request():  # CloudTrail, ...: the JSON 1.1 protocol, dispatched on X-Amz-Target
        return json_protocol.dispatch(signed)
    params = request.values.to_dict()
    name = params.get("Action")
    if not name:
        raise MissingParameter("The request must contain the parameter Action")
    version = params.get("Version")
    if not version:
        raise MissingParameter("The request must contain the parameter Version")
    service = BY_VERSION.get(version)
    action = service.actions.get(name) if service else None
    metrics.name_operation(f"{service.name}:{name}" if action is not None else "")  # latency by action
    # Authenticate before saying whether an action exists, as AWS does. The request addresses
    # the service its Version names (IAM, like the error namespace, when it names none we
    # serve); the signature must be scoped to that service and no other.
    unsigned = action is not None and action.unsigned
    addressed = service.name if service else "iam"
    caller = None if unsigned else credentials.authenticate(
        signed, addressed, action=f"{addressed}:{name}" if action else None, unsigned_payload=False)
    if action is None:
        raise InvalidAction(f"Could not find operation {name} for version {version}")
    call = Call(service.name, name, params, caller)
    result = _run(action, call)
    return render_result(name, service.namespace, result, g.request_id)


@blueprint.errorhandler(IntegrityError)
def _raced(_error: IntegrityError) -> Response:
    # Two requests raced for the same name: the database's constraint decided, at the unit of work's commit.
    return _render(Conflict("The request was rejected because it conflicted with a concurrent change.",
                            code="ConcurrentModification"))


def _run(action: QueryAction, call: Call) -> dict | None:
    """Run the action; the request's unit of work (`idp.work`) commits it with its audit records."""
    with validation.collecting() as findings:
        try:
            result = action.function(call)
        except MissingParameter:
            raise  # as before: a missing parameter is named on its own
        except IdpError as error:
            # AWS checks the model's constraints before anything else: a parameter read after the
            # failing step (or never reached by it) that broke one is the answer, not the step's error.
            found = findings.error()
            if found is None or found is error:
                raise
            raise found from error
        validation.checkpoint()  # read after the last authorization: the unit of work rolls back
    if not (call.authorized or action.unsigned or action.public):
        raise AssertionError(f"{call.service}:{call.action} returned without asking the authorizer")
    if action.mutates and call.caller is not None:
        bump_authz_version(call.caller.account_id)
    return result


