"""AssumeRole: parameters and limits as AWS documents them, the trust decision, a sealed role session."""
from __future__ import annotations

import math
import re
from datetime import datetime
from urllib.parse import unquote

from flask import request as http_request

from idp import clock
from idp.authz.authorizer import caller_policies, request_for
from idp.authz.policy_store import refusing_malformed, authz_version, parsed, role_snapshot, session_policy
from idp.aws import params
from idp.aws.api import Call, query_action
from idp.errors import AccessDenied, ClientError, TooManyRequests, ValidationError
from idp.iam import tags as tagging
from idp.policy import PolicyKind
from idp.sts import sessions
from idp.sts.trust import authorize_assume
from models import db

SESSION_NAME_PATTERN = r"[\w+=,.@-]*"
EXTERNAL_ID_PATTERN = r"[\w+=,.@:\/-]*"
SERIAL_PATTERN = r"[\w+=/:,.@-]*"
POLICY_PATTERN = r"[\u0009\u000A\u000D\u0020-\u00FF]+"
MIN_DURATION, DEFAULT_DURATION, MAX_DURATION = 900, 3600, 43200
CHAINED_MAX_DURATION = 3600
MAX_POLICY_ARNS = 10
# Session policies (inline text without whitespace, and the managed ARNs) and
# session tags share one packed budget; PackedPolicySize is its percentage.
PACKED_LIMIT = 2048
_ROLE_ARN = re.compile(r"arn:aws:iam::(\d{12}):role/(?:[\x21-\x7E]*/)?([\w+=,.@-]{1,64})", re.ASCII)


def _denied(call: Call, role_arn: str) -> AccessDenied:
    return AccessDenied(f"User: {call.caller.arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}")


def _session_policy(text: str | None) -> str | None:
    if text is None:
        return None
    return text if text.strip().startswith("{") else unquote(text)


def packed_size(policy: str | None, policy_arns: list[str], tags: dict[str, str]) -> int:
    """Percentage of the packed budget used by the session policies and tags."""
    used = sum(1 for ch in policy or "" if not ch.isspace()) + sum(len(arn) for arn in policy_arns)
    used += sum(len(key) + len(value) for key, value in tags.items())
    return math.ceil(used * 100 / PACKED_LIMIT)


def _session_tags(call: Call, new: list[params.Tag], transitive: list[str]) -> tuple[dict[str, str], list[str]]:
    """(all session tags, all transitive keys): the caller's transitive tags carried over, then the new ones."""
    session = call.caller.session
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


def _source_identity(call: Call, requested: str | None) -> str | None:
    session = call.caller.session
    inherited = session.source_identity if session is not None else None
    if inherited and requested and requested != inherited:
        raise ValidationError(f"The source identity {inherited} of this session cannot be changed.")
    return inherited or requested


def proven_mfa(call: Call, serial: str | None, code: str | None) -> datetime | None:
    """The MFA this request proves with SerialNumber/TokenCode (None without them), through the shared factor check.

    A refused or throttled check is committed before it is answered, so the
    failure counts and stays in the audit log although the request fails.
    """
    try:
        return sessions.verified_mfa(call.caller, serial, code, surface=f"sts:{call.action}",
                                     address=http_request.remote_addr)
    except (AccessDenied, TooManyRequests):
        db.session.commit()
        raise


@query_action("sts", "AssumeRole")
def assume_role(call: Call) -> dict:
    p = call.params
    role_arn = params.string(p, "RoleArn", required=True, min_len=20, max_len=2048)
    session_name = params.string(p, "RoleSessionName", required=True, min_len=2, max_len=64,
                                 pattern=SESSION_NAME_PATTERN)
    duration = params.integer(p, "DurationSeconds", min_value=MIN_DURATION, max_value=MAX_DURATION,
                              default=DEFAULT_DURATION)
    external_id = params.string(p, "ExternalId", min_len=2, max_len=1224, pattern=EXTERNAL_ID_PATTERN)
    serial = params.string(p, "SerialNumber", min_len=9, max_len=256, pattern=SERIAL_PATTERN)
    code = params.string(p, "TokenCode", min_len=6, max_len=6, pattern=r"[\d]*")
    policy = _session_policy(params.string(p, "Policy", min_len=1, pattern=POLICY_PATTERN))
    policy_arns = params.member_list(p, "PolicyArns", field="arn", max_items=MAX_POLICY_ARNS, min_len=20,
                                     max_len=2048)
    new_tags = params.tags(p)
    transitive = params.member_list(p, "TransitiveTagKeys", max_items=50, min_len=1, max_len=128)
    requested_source = params.string(p, "SourceIdentity", min_len=2, max_len=256, pattern=SESSION_NAME_PATTERN)

    caller = call.caller
    if caller.is_root:
        raise AccessDenied("Roles may not be assumed by root accounts.")
    match = _ROLE_ARN.fullmatch(role_arn)
    if match is None:
        raise ValidationError("Request ARN is invalid")
    account_id, role_name = match.groups()
    chained = caller.session is not None and caller.session.is_role_session
    tags, transitive_keys = _session_tags(call, new_tags, transitive)
    source = _source_identity(call, requested_source)
    size = packed_size(policy, policy_arns, tags)
    if size > 100:
        raise ClientError(f"Packed policy consumes {size}% of allotted space, please use smaller policy.",
                          code="PackedPolicyTooLarge")
    if policy is not None:
        with refusing_malformed():
            parsed(policy, PolicyKind.SESSION, sessions.INLINE_SESSION_POLICY_ID)

    # Long-term keys read the version while authenticating; sessions and other accounts read it now.
    fresh = account_id == caller.account_id and caller.session is None and caller.authz_version is not None
    version = caller.authz_version if fresh else authz_version(account_id)
    role = role_snapshot(account_id, version, name=role_name)
    if role is None or role.arn.lower() != role_arn.lower():
        call.authorized = True  # nothing to trust: refused as AWS refuses it, without saying why
        raise _denied(call, role_arn)
    mfa_time = proven_mfa(call, serial, code) or caller.mfa_auth_time
    context: dict[str, object] = {"sts:RoleSessionName": session_name, **tagging.request_keys(new_tags),
                                  **tagging.resource_keys([{"Key": k, "Value": v} for k, v in role.tags])}
    if external_id is not None:
        context["sts:ExternalId"] = external_id
    if transitive:
        context["sts:TransitiveTagKeys"] = transitive
    if source:
        context["sts:SourceIdentity"] = source
    if mfa_time is not None:
        context["aws:MultiFactorAuthPresent"] = True
        context["aws:MultiFactorAuthAge"] = str(max(0, int((clock.now() - mfa_time).total_seconds())))
    request = request_for(caller, "sts:AssumeRole", role.arn, context)
    authorize_assume(role, request, caller_policies(caller))
    call.authorized = True  # the trust decision above is this action's authorization

    if chained and duration > CHAINED_MAX_DURATION:
        raise ValidationError("The requested DurationSeconds exceeds the 1 hour session limit "
                              "for roles assumed by role chaining.")
    if duration > role.max_session_duration:
        raise ValidationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    for arn in policy_arns:
        if session_policy(account_id, arn, version) is None:
            raise ClientError(f"Policy {arn} does not exist or is not attachable.", code="InvalidParameterValue")
    credentials, assumed_arn, assumed_id = sessions.issue_role_session(
        role=role, session_name=session_name, duration=duration, source_identity=source,
        session_policies=[policy] if policy else [], policy_arns=policy_arns, tags=tags,
        transitive_tag_keys=transitive_keys, mfa_auth_time=mfa_time,
    )
    sessions.touch_role(role, caller.region)
    return {
        "Credentials": credentials.as_shape(),
        "AssumedRoleUser": {"AssumedRoleId": assumed_id, "Arn": assumed_arn},
        "PackedPolicySize": size if (policy or policy_arns or tags) else None,
        "SourceIdentity": source,
    }


