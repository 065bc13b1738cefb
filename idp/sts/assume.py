"""AssumeRole: a role session for an authenticated caller, under AWS's limits.

The rules every AssumeRole* action shares live here too (the role named by
its ARN, session policies, the packed budget, duration limits, attachable
policy ARNs), and the steps AssumeRoleWithWebIdentity and AssumeRoleWithSAML
share once their token is verified (`assume_as_proven`). AssumeRole's own rules: root cannot assume a
role, role chaining caps the duration at an hour, a role session's
transitive tags and source identity carry over, and an MFA code proved
with the request (or the caller's session's MFA) sets the MFA condition keys.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Mapping, Protocol, Sequence

from idp import clock
from idp.authz.authorizer import caller_policies, request_for
from idp.authz.context import request_condition_keys
from idp.authz.policy_store import (
    RoleSnapshot,
    authz_version,
    parsed,
    refusing_malformed,
    role_snapshot,
    session_policy,
)
from idp.authz.principals import Caller
from idp.authz.sessions import INLINE_SESSION_POLICY_ID
from idp.errors import AccessDenied, ClientError, ValidationError
from idp.iam import tags as tagging
from idp.iam.tags import Tag
from idp.policy import PolicyKind, RequestContext, RequestPrincipal
from idp.sts.sessions import (
    IssuedCredentials,
    issue_role_session,
    touch_role,
    verified_mfa,
)
from idp.sts.trust import authorize_assume

ACTION = "sts:AssumeRole"
# An unsigned request (AssumeRoleWithWebIdentity / WithSAML) names no region; the role's use is noted under this one.
DEFAULT_REGION = "us-east-1"
MIN_DURATION, DEFAULT_DURATION, MAX_DURATION = 900, 3600, 43200
CHAINED_MAX_DURATION = 3600
MAX_POLICY_ARNS = 10
# Session policies (inline text without whitespace, and the managed ARNs) and
# session tags share one packed budget; PackedPolicySize is its percentage.
PACKED_LIMIT = 2048
_ROLE_ARN = re.compile(r"arn:aws:iam::(\d{12}):role/(?:[\x21-\x7E]*/)?([\w+=,.@-]{1,64})", re.ASCII)


@dataclass(frozen=True)
class AssumeRoleRequest:
    """The parameters of one AssumeRole call, already checked against the API's own constraints."""

    role_arn: str
    session_name: str
    duration: int = DEFAULT_DURATION
    policy: str | None = None  # the inline session policy's JSON text
    policy_arns: tuple[str, ...] = ()
    tags: tuple[Tag, ...] = ()
    transitive_tag_keys: tuple[str, ...] = ()
    source_identity: str | None = None
    serial_number: str | None = None
    token_code: str | None = None
    external_id: str | None = None


@dataclass(frozen=True)
class AssumedRole:
    """A role session just issued: its credentials and who it is."""

    credentials: IssuedCredentials
    arn: str  # arn:aws:sts::A:assumed-role/R/S
    assumed_role_id: str  # AROA...:S
    packed_policy_size: int | None  # None when the request carried no session policy or tag
    source_identity: str | None


def assume_role(caller: Caller, request: AssumeRoleRequest, *, address: str | None = None) -> AssumedRole:
    """The role session `caller` asks for, once the role's trust policy (and the caller's policies) allow it.

    `address` is the request's source address, counted by the MFA throttle
    when the request proves a code. Raises AWS's errors, in AWS's order.
    """
    if caller.is_root:
        raise AccessDenied("Roles may not be assumed by root accounts.")
    account_id, role_name = role_arn_parts(request.role_arn)
    chained = caller.session is not None and caller.session.is_role_session
    tags, transitive_keys = _session_tags(caller, request.tags, request.transitive_tag_keys)
    source = _source_identity(caller, request.source_identity)
    size = packed_size(request.policy, request.policy_arns, tags)
    if request.policy is not None:
        check_session_policy(request.policy)

    # Long-term keys read the version while authenticating; sessions and other accounts read it now.
    fresh = account_id == caller.account_id and caller.session is None and caller.authz_version is not None
    version = caller.authz_version if fresh else authz_version(account_id)
    role = named_role(account_id, role_name, request.role_arn, version)
    if role is None:  # nothing to trust: refused as AWS refuses it, without saying why
        raise AccessDenied(f"User: {caller.arn} is not authorized to perform: {ACTION} on resource: {request.role_arn}")
    mfa_time = verified_mfa(caller, request.serial_number, request.token_code, surface=ACTION,
                            address=address) or caller.mfa_auth_time
    context: dict[str, object] = {"sts:RoleSessionName": request.session_name, **tagging.request_keys(request.tags),
                                  **tagging.resource_keys([{"Key": k, "Value": v} for k, v in role.tags])}
    if request.external_id is not None:
        context["sts:ExternalId"] = request.external_id
    if request.transitive_tag_keys:
        context["sts:TransitiveTagKeys"] = list(request.transitive_tag_keys)
    if source:
        context["sts:SourceIdentity"] = source
    if mfa_time is not None:
        context["aws:MultiFactorAuthPresent"] = True
        context["aws:MultiFactorAuthAge"] = str(max(0, int((clock.now() - mfa_time).total_seconds())))
    asked = request_for(caller, ACTION, role.arn, context)
    authorize_assume(role, asked, caller_policies(caller, request=asked))

    if chained and request.duration > CHAINED_MAX_DURATION:
        raise ValidationError("The requested DurationSeconds exceeds the 1 hour session limit "
                              "for roles assumed by role chaining.")
    check_duration(role, request.duration)
    check_attachable(account_id, request.policy_arns, version)
    credentials, assumed_arn, assumed_id = issue_role_session(
        role=role, session_name=request.session_name, duration=request.duration, source_identity=source,
        session_policies=[request.policy] if request.policy else [], policy_arns=request.policy_arns, tags=tags,
        transitive_tag_keys=transitive_keys, mfa_auth_time=mfa_time,
    )
    touch_role(role, caller.region)
    carried = request.policy or request.policy_arns or tags
    return AssumedRole(credentials, assumed_arn, assumed_id, size if carried else None, source)


def role_arn_parts(role_arn: str) -> tuple[str, str]:
    """(account id, role name) of a role ARN; ValidationError as AWS words it otherwise."""
    match = _ROLE_ARN.fullmatch(role_arn)
    if match is None:
        raise ValidationError("Request ARN is invalid")
    account_id, role_name = match.groups()
    return account_id, role_name


def named_role(account_id: str, role_name: str, role_arn: str, version: int) -> RoleSnapshot | None:
    """The role the ARN names, path included (None when there is none: each action words the refusal)."""
    role = role_snapshot(account_id, version, name=role_name)
    return role if role is not None and role.arn.lower() == role_arn.lower() else None


def check_session_policy(document: str) -> None:
    """MalformedPolicyDocument unless `document` is a valid session policy."""
    with refusing_malformed():
        parsed(document, PolicyKind.SESSION, INLINE_SESSION_POLICY_ID)


def packed_size(policy: str | None, policy_arns: Sequence[str], tags: Mapping[str, str]) -> int:
    """Percentage of the packed budget used by the session policies and tags; PackedPolicyTooLarge over 100."""
    used = sum(1 for ch in policy or "" if not ch.isspace()) + sum(len(arn) for arn in policy_arns)
    used += sum(len(key) + len(value) for key, value in tags.items())
    size = math.ceil(used * 100 / PACKED_LIMIT)
    if size > 100:
        raise ClientError(f"Packed policy consumes {size}% of allotted space, please use smaller policy.",
                          code="PackedPolicyTooLarge")
    return size


def check_duration(role: RoleSnapshot, duration: int) -> None:
    """ValidationError when the session would outlive the role's MaxSessionDuration."""
    if duration > role.max_session_duration:
        raise ValidationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")


def check_attachable(account_id: str, policy_arns: Sequence[str], version: int) -> None:
    """InvalidParameterValue for the first session policy ARN that names no attachable managed policy."""
    for arn in policy_arns:
        if session_policy(account_id, arn, version) is None:
            raise ClientError(f"Policy {arn} does not exist or is not attachable.", code="InvalidParameterValue")


def _session_tags(caller: Caller, new: Sequence[Tag],
                  transitive: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """(all session tags, all transitive keys): the caller's transitive tags carried over, then the new ones."""
    session = caller.session
    carried_keys = list(session.transitive_tag_keys) if session is not None and session.is_role_session else []
    lowered = {key.lower() for key in carried_keys}
    carried = {key: value for key, value in session.tags if key.lower() in lowered} if carried_keys else {}
    clashes = [tag.key for tag in new if tag.key.lower() in lowered]
    if clashes:
        raise ClientError(f"One or more session tags cannot override inherited transitive session tags: "
                          f"{', '.join(clashes)}", code="InvalidParameterValue")
    new_keys = {tag.key.lower(): tag.key for tag in new}
    unknown = [key for key in transitive if key.lower() not in new_keys]
    if unknown:
        raise ClientError(f"The transitive tag keys must be a subset of the session tag keys: {', '.join(unknown)}",
                          code="InvalidParameterValue")
    tags = {**carried, **{tag.key: tag.value for tag in new}}
    keys = carried_keys + [new_keys[key.lower()] for key in transitive if new_keys[key.lower()] not in carried_keys]
    return tags, keys


def _source_identity(caller: Caller, requested: str | None) -> str | None:
    """A role session's source identity is kept by every session chained from it."""
    session = caller.session
    inherited = session.source_identity if session is not None else None
    if inherited and requested and requested != inherited:
        raise ValidationError(f"The source identity {inherited} of this session cannot be changed.")
    return inherited or requested


class ProvenIdentity(Protocol):
    """What a verified web identity token or SAML assertion proved, and the session it asks for."""

    principal_tags: Mapping[str, str]
    transitive_tag_keys: tuple[str, ...]
    source_identity: str | None
    trust_context: Mapping[str, object]  # the trust policy's condition keys
    session_context: Mapping[str, object]  # what the session keeps for its later requests

    def principal(self, account_id: str) -> RequestPrincipal: ...


def assume_as_proven(identity: ProvenIdentity, *, action: str, role_arn: str, session_name: str, duration: int,
                     policy: str | None, policy_arns: Sequence[str], max_duration: int | None = None) -> AssumedRole:
    """The role session a verified token asks for (AssumeRoleWithWebIdentity, AssumeRoleWithSAML).

    The role named by its ARN, its trust policy for the identity's principal
    (a refusal is AWS's bare "Not authorized", saying nothing about which roles
    exist or what their trust policies want), the role's MaxSessionDuration,
    the attachable policy ARNs, then the session, at most `max_duration` long.
    The trust decision is not audited apart: the caller audits the call once,
    with its outcome.
    """
    account_id, role_name = role_arn_parts(role_arn)
    size = packed_size(policy, policy_arns, identity.principal_tags)
    version = authz_version(account_id)
    role = named_role(account_id, role_name, role_arn, version)
    not_authorized = AccessDenied(f"Not authorized to perform {action}")
    if role is None:
        raise not_authorized
    context = {**request_condition_keys(), **identity.trust_context, "sts:RoleSessionName": session_name}
    try:
        authorize_assume(role, RequestContext(identity.principal(account_id), action, role.arn, context), None,
                         audited=False)
    except AccessDenied:
        raise not_authorized from None
    check_duration(role, duration)
    check_attachable(account_id, policy_arns, version)
    credentials, assumed_arn, assumed_id = issue_role_session(
        role=role, session_name=session_name, duration=min(duration, max_duration or duration),
        source_identity=identity.source_identity, session_policies=[policy] if policy else (),
        policy_arns=policy_arns, tags=dict(identity.principal_tags) or None,
        transitive_tag_keys=identity.transitive_tag_keys, web_identity=identity.session_context,
    )
    touch_role(role, DEFAULT_REGION)
    carried = policy or policy_arns or identity.principal_tags
    return AssumedRole(credentials, assumed_arn, assumed_id, size if carried else None, identity.source_identity)
