"""AssumeRoleWithWebIdentity: an OIDC token from a provider of the role's account, exchanged for a role session.

Unsigned, as at AWS: the token is the credential. The token is verified first
(`idp.sts.web_identity`), then the role's trust policy decides with the token's
claims as condition keys; a refusal is AWS's bare "Not authorized" so that the
answer says nothing about which roles exist or what their trust policies want.
The steps after the token (role, trust, duration, session) are the ones
AssumeRoleWithSAML takes too (`idp.sts.assume.assume_as_proven`). Every call
that gets as far as the token is audited once, with its outcome.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import has_request_context

from idp import audit
from idp.errors import IdpError
from idp.sts.assume import (
    DEFAULT_DURATION,
    AssumedRole,
    assume_as_proven,
    check_session_policy,
    role_arn_parts,
)
from idp.sts.web_identity import WebIdentity, verify_web_identity

ACTION = "sts:AssumeRoleWithWebIdentity"


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
    account_id, _ = role_arn_parts(request.role_arn)
    identity: WebIdentity | None = None
    try:
        identity = verify_web_identity(request.web_identity_token, account_id)
        assumed = assume_as_proven(identity, action=ACTION, role_arn=request.role_arn,
                                   session_name=request.session_name, duration=request.duration,
                                   policy=request.policy, policy_arns=request.policy_arns)
    except IdpError as error:
        _audit(request.role_arn, identity, "Deny", {"code": error.code, "message": error.message})
        raise
    _audit(request.role_arn, identity, "Allow",
           {"session": assumed.arn, "access_key_id": assumed.credentials.access_key_id})
    return AssumedRoleWithWebIdentity(assumed.credentials, assumed.arn, assumed.assumed_role_id,
                                      assumed.packed_policy_size, assumed.source_identity, identity)


def _audit(role_arn: str, identity: WebIdentity | None, decision: str, detail: dict) -> None:
    """One audit entry per call, written with the request's outcome (also after a rollback)."""
    if not has_request_context():
        return
    if identity is not None:
        detail = {**detail, "provider": identity.provider_arn, "subject": identity.subject,
                  "audience": identity.audience}
    audit.note(ACTION, actor=f"{identity.provider_arn}:{identity.subject}" if identity else None,
               resource=role_arn, decision=decision, account_id=role_arn.split(":")[4] or None, detail=detail)
