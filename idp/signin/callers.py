"""A signed-in browser session as the shared authorizer's caller.

Pages that do something on the signed-in principal's behalf (its access
keys, the access graph) ask the same authorizer as the AWS APIs, with the
session's MFA state as `aws:MultiFactorAuthPresent`/`Age`.
"""
from __future__ import annotations

from idp.authz.principals import Caller, root_principal, user_principal
from idp.errors import AccessDenied
from idp.iam.accounts import root_arn
from models import db
from models.session import BrowserSession
from models.user import User


def caller_for(session: BrowserSession) -> Caller:
    """The session's IAM user or root user; AccessDenied for a session that is neither (never root by default)."""
    mfa = "mfa" in (session.amr or [])
    keys = {"aws:MultiFactorAuthPresent": "true" if mfa else "false"}
    mfa_time = session.auth_time if mfa else None
    if session.user_id is None:
        # Both the root user and a federated sign-in not linked to a user have no user row.
        if session.principal_arn != root_arn(session.account_id):
            raise AccessDenied(f"User: {session.principal_arn} has no IAM identity in this account.")
        return Caller(root_principal(session.account_id), session_keys=keys, mfa_auth_time=mfa_time)
    user = db.session.get(User, session.user_id)
    if user is None:
        raise AccessDenied(f"User: {session.principal_arn} no longer exists.")
    return Caller(user_principal(user), user_pk=user.id, session_keys=keys, mfa_auth_time=mfa_time)
