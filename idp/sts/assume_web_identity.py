"""AssumeRoleWithWebIdentity: an OIDC token from a provider of the role's account, exchanged for a role session.

Unsigned, as at AWS: the token is the credential. The token is verified first
(`idp.sts.web_identity`), then the role's trust policy decides with the token's
claims as condition keys; a refusal is AWS's bare "Not authorized" so that the
answer says nothing about which roles exist or what their trust policies want.
The session policy, packed budget, duration and policy-ARN rules are
AssumeRole's (`idp.sts.assume`). Every call that gets as far as the token is
audited once, with its outcome.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import has_request_context

from idp import audit
from idp.authz.context import request_condition_keys
from idp.authz.policy_store import authz_version
from idp.errors import AccessDenied, IdpError
from idp.policy import RequestContext
from idp.sts.assume import (
    DEFAULT_DURATION,
    AssumedRole,
    check_attachable,
    check_duration,
    check_session_policy,
    named_role,
    packed_size,
    role_arn_parts,
)
from idp.sts.sessions import issue_role_session, touch_role
from idp.sts.trust import authorize_assume
from idp.sts.web_identity import WebIdentity, verify_web_identity

ACTION = "sts:AssumeRoleWithWebIdentity"
NOT_AUTHORIZED = f"Not authorized to perform {ACTION}"
# An unsigned request names no region; the role's last use is recorded under the default one.
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class WebIdentityRequest:
    """The parameters of one AssumeRoleWithWebIdentity call, already checked against the API's constraints."""

    role_arn: str
    session_name: str
    web_identity_token: str
    duration: int = DEFAULT_DURATION
    policy: str | None = None  # the inline session policy's JSON text
    policy_arns: tuple[str, ...] = ()


@dataclass(frozen=True)
class AssumedRoleWithWebIdentity(AssumedRole):
    """A role session issued for a web identity, with the identity the token proved."""

    identity: WebIdentity


def assume_role_with_web_identity(request: WebIdentityRequest) -> AssumedRoleWithWebIdentity:
    """The role session a verified web identity token asks for, once the role's trust policy allows it."""
    if request.policy is not None:
        check_session_policy(request.policy)
    account_id, role_name = role_arn_parts(request.role_arn)
    identity: WebIdentity | None = None
    try:
        identity = verify_web_identity(request.web_identity_token, account_id)
        size = packed_size(request.policy, request.policy_arns, dict(identity.principal_tags))
        version = authz_version(account_id)
        role = named_role(account_id, role_name, request.role_arn, version)
        if role is None:
            raise AccessDenied(NOT_AUTHORIZED)
        context = {**request_condition_keys(), **identity.trust_context, "sts:RoleSessionName": request.session_name}
        try:
            authorize_assume(role, RequestContext(identity.principal(account_id), ACTION, role.arn, context), None)
        except AccessDenied:
            raise AccessDenied(NOT_AUTHORIZED) from None
        check_duration(role, request.duration)
        check_attachable(account_id, request.policy_arns, version)
        credentials, assumed_arn, assumed_id = issue_role_session(
            role=role, session_name=request.session_name, duration=request.duration,
            source_identity=identity.source_identity, session_policies=[request.policy] if request.policy else (),
            policy_arns=request.policy_arns, tags=dict(identity.principal_tags) or None,
            transitive_tag_keys=identity.transitive_tag_keys, web_identity=identity.session_context,
        )
        touch_role(role, DEFAULT_REGION)
    except IdpError as error:
        _audit(request.role_arn, identity, "Deny", {"code": error.code, "message": error.message})
        raise
    _audit(request.role_arn, identity, "Allow", {"session": assumed_arn, "access_key_id": credentials.access_key_id})
    carried = request.policy or request.policy_arns or identity.principal_tags
    return AssumedRoleWithWebIdentity(credentials, assumed_arn, assumed_id, size if carried else None,
                                      identity.source_identity, identity)


def _audit(role_arn: str, identity: WebIdentity | None, decision: str, detail: dict) -> None:
    """One audit entry per call, written with the request's outcome (also after a rollback)."""
    if not has_request_context():
        return
    if identity is not None:
        detail = {**detail, "provider": identity.provider_arn, "subject": identity.subject,
                  "audience": identity.audience}
    audit.note(ACTION, actor=f"{identity.provider_arn}:{identity.subject}" if identity else None,
               resource=role_arn, decision=decision, account_id=role_arn.split(":")[4] or None, detail=detail)
