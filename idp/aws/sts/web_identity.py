"""AssumeRoleWithWebIdentity: an OIDC token from a provider of the role's account, exchanged for a role session.

Unsigned, as at AWS: the token is the credential. The token is verified first
(`idp.sts.web_identity`), then the role's trust policy decides with the token's
claims as condition keys; a refusal is AWS's bare "Not authorized" so that the
answer says nothing about which roles exist or what their trust policies want.
"""
from __future__ import annotations

import re
from urllib.parse import unquote

from flask import has_request_context

from idp import audit
from idp.authz.context import request_condition_keys
from idp.authz.policy_store import refusing_malformed, authz_version, parsed, role_snapshot, session_policy
from idp.aws import params
from idp.aws.api import Call, query_action
from idp.errors import AccessDenied, ClientError, IdpError, ValidationError
from idp.policy import PolicyKind, RequestContext
from idp.aws.sts.assume_role import DEFAULT_DURATION, MAX_POLICY_ARNS, packed_size
from idp.sts.sessions import INLINE_SESSION_POLICY_ID, issue_role_session, touch_role
from idp.sts.trust import authorize_assume
from idp.sts.web_identity import WebIdentity, verify_web_identity

ACTION = "sts:AssumeRoleWithWebIdentity"
ROLE_ARN = re.compile(r"arn:aws:iam::(\d{12}):role/(?:[\x21-\x7e]*/)?([\w+=,.@-]{1,64})", re.ASCII)
SESSION_NAME = r"[\w+=,.@-]*"
POLICY_TEXT = r"[\u0009\u000A\u000D\u0020-\u00FF]+"
NOT_AUTHORIZED = f"Not authorized to perform {ACTION}"
# An unsigned request names no region; the role's last use is recorded under the default one.
DEFAULT_REGION = "us-east-1"


@query_action("sts", "AssumeRoleWithWebIdentity", unsigned=True)
def assume_role_with_web_identity(call: Call) -> dict:
    p = call.params
    role_arn = params.string(p, "RoleArn", required=True, min_len=20, max_len=2048)
    session_name = params.string(p, "RoleSessionName", required=True, min_len=2, max_len=64, pattern=SESSION_NAME)
    token = params.string(p, "WebIdentityToken", required=True, min_len=4, max_len=20000)
    params.string(p, "ProviderId", min_len=4, max_len=2048)  # OAuth 2.0 providers only; OIDC tokens name their issuer
    policy = _session_policy(params.string(p, "Policy", min_len=1, max_len=2048, pattern=POLICY_TEXT))
    policy_arns = params.member_list(p, "PolicyArns", field="arn", max_items=MAX_POLICY_ARNS, min_len=20,
                                     max_len=2048)
    duration = params.integer(p, "DurationSeconds", min_value=900, max_value=43200, default=DEFAULT_DURATION)
    match = ROLE_ARN.fullmatch(role_arn)
    if match is None:
        raise ValidationError("Request ARN is invalid")
    account_id, role_name = match.groups()
    identity: WebIdentity | None = None
    try:
        identity = verify_web_identity(token, account_id)
        size = packed_size(policy, policy_arns, dict(identity.principal_tags))
        if size > 100:
            raise ClientError(f"Packed policy consumes {size}% of allotted space, please use smaller policy.",
                              code="PackedPolicyTooLarge")
        version = authz_version(account_id)
        role = role_snapshot(account_id, version, name=role_name)
        if role is None or role.arn.lower() != role_arn.lower():
            raise AccessDenied(NOT_AUTHORIZED)
        context = {**request_condition_keys(), **identity.trust_context, "sts:RoleSessionName": session_name}
        trust_request = RequestContext(identity.principal(account_id), ACTION, role.arn, context)
        try:
            authorize_assume(role, trust_request, None)
        except AccessDenied:
            raise AccessDenied(NOT_AUTHORIZED) from None
        if duration > role.max_session_duration:
            raise ValidationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
        for arn in policy_arns:
            if session_policy(account_id, arn, version) is None:
                raise ClientError(f"Policy {arn} does not exist or is not attachable.", code="InvalidParameterValue")
        credentials, assumed_arn, assumed_id = issue_role_session(
            role=role, session_name=session_name, duration=duration, source_identity=identity.source_identity,
            session_policies=[policy] if policy else (), policy_arns=policy_arns,
            tags=dict(identity.principal_tags) or None, transitive_tag_keys=identity.transitive_tag_keys,
            web_identity=identity.session_context,
        )
        touch_role(role, DEFAULT_REGION)
    except IdpError as error:
        _audit(role_arn, identity, "Deny", {"code": error.code, "message": error.message})
        raise
    _audit(role_arn, identity, "Allow", {"session": assumed_arn, "access_key_id": credentials.access_key_id})
    return {
        "Credentials": credentials.as_shape(),
        "SubjectFromWebIdentityToken": identity.subject,
        "AssumedRoleUser": {"Arn": assumed_arn, "AssumedRoleId": assumed_id},
        "PackedPolicySize": size if (policy or policy_arns or identity.principal_tags) else None,
        "Provider": identity.provider_arn,
        "Audience": identity.audience,
        "SourceIdentity": identity.source_identity,
    }


def _session_policy(text: str | None) -> str | None:
    """An inline session policy, validated as AssumeRole validates one (URL-encoded JSON accepted)."""
    if text is None:
        return None
    if not text.strip().startswith("{"):
        text = unquote(text)
    with refusing_malformed():
        parsed(text, PolicyKind.SESSION, INLINE_SESSION_POLICY_ID)
    return text


def _audit(role_arn: str, identity: WebIdentity | None, decision: str, detail: dict) -> None:
    """One audit record per call, written with the request's outcome (also after a rollback)."""
    if not has_request_context():
        return
    if identity is not None:
        detail = {**detail, "provider": identity.provider_arn, "subject": identity.subject,
                  "audience": identity.audience}
    audit.note(ACTION, actor=f"{identity.provider_arn}:{identity.subject}" if identity else None,
               resource=role_arn, decision=decision, account_id=role_arn.split(":")[4] or None, detail=detail)

