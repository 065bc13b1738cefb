"""GetFederationToken: a federated-user session on behalf of an IAM user (or the root user), with AWS's rules.

The caller must use long-term keys. The session is named
`arn:aws:sts::A:federated-user/NAME` and acts with the calling user's
identity policies (and boundary) always bounded by the session policies it
carries: with none, it may do nothing (IAM User Guide, "Permissions for
GetFederationToken"); a resource-based policy naming the federated user
lets it in on its own. The call is authorized as `sts:GetFederationToken`
on the federated user's ARN, and session tags also need `sts:TagSession`
there, each with `aws:RequestTag/*` and `aws:TagKeys` in the request.
The session policy, packed budget and policy-ARN rules are AssumeRole's
(`idp.sts.assume`).
"""
from __future__ import annotations

from dataclasses import dataclass

from idp import clock
from idp.authz.authorizer import authorize
from idp.authz.policy_store import authz_version
from idp.authz.principals import Caller
from idp.authz.session_tokens import FEDERATED_SESSION, SessionToken, new_secret, temporary_access_key_id
from idp.authz.sessions import federated_user_arn
from idp.errors import AccessDenied
from idp.iam import tags as tagging
from idp.iam.tags import Tag
from idp.sts.assume import check_attachable, check_session_policy, packed_size
from idp.sts.sessions import ROOT_MAX_DURATION, IssuedCredentials, issue

ACTION = "sts:GetFederationToken"
MIN_DURATION, DEFAULT_DURATION, MAX_DURATION = 900, 43200, 129600


@dataclass(frozen=True)
class FederationTokenRequest:
    """The parameters of one GetFederationToken call, already checked against the API's own constraints."""

    name: str
    duration: int = DEFAULT_DURATION
    policy: str | None = None  # the inline session policy's JSON text
    policy_arns: tuple[str, ...] = ()
    tags: tuple[Tag, ...] = ()


@dataclass(frozen=True)
class FederatedUser:
    """A federated-user session just issued: its credentials and who it is."""

    credentials: IssuedCredentials
    arn: str  # arn:aws:sts::A:federated-user/NAME
    federated_user_id: str  # A:NAME
    packed_policy_size: int | None  # None when the request carried no session policy or tag


def get_federation_token(caller: Caller, request: FederationTokenRequest) -> FederatedUser:
    """The federated-user session `caller` asks for, once its policies allow it. Raises AWS's errors."""
    if caller.session is not None:
        raise AccessDenied("Cannot call GetFederationToken with session credentials")
    tags = {tag.key: tag.value for tag in request.tags}
    size = packed_size(request.policy, request.policy_arns, tags)
    if request.policy is not None:
        check_session_policy(request.policy)
    account_id = caller.account_id
    arn = federated_user_arn(account_id, request.name)
    context = tagging.request_keys(request.tags)
    authorize(caller, ACTION, arn, context=context)
    if request.tags:
        authorize(caller, "sts:TagSession", arn, context=context)
    version = caller.authz_version if caller.authz_version is not None else authz_version(account_id)
    check_attachable(account_id, request.policy_arns, version)

    # AWS shortens a root user's federated session to an hour, silently.
    duration = min(request.duration, ROOT_MAX_DURATION) if caller.is_root else request.duration
    issued = int(clock.now().timestamp())
    credentials = issue(SessionToken(
        account_id=account_id, kind=FEDERATED_SESSION, principal_arn=caller.arn,
        principal_id=caller.principal.user_id or account_id, session_name=request.name,
        issued_at=issued, expires_at=issued + duration,
        access_key_id=temporary_access_key_id(account_id), secret_access_key=new_secret(),
        policies=(request.policy,) if request.policy else (), policy_arns=request.policy_arns,
        tags=tuple(tags.items()),
    ))
    carried = request.policy or request.policy_arns or tags
    return FederatedUser(credentials, arn, f"{account_id}:{request.name}", size if carried else None)
