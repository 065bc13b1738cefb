"""Self-service credentials: the signed-in principal's own password and access keys (`/account`).

Access keys are AWS credentials, so managing them is authorized by the shared authorizer exactly as the IAM
API would (`iam:CreateAccessKey` ... on the user's own ARN); the root user may always manage its own. Every
change is audited and bumps the account's authorization version, as the IAM API's do.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from idp import audit
from idp.authz.authorizer import authorize
from idp.authz.policy_store import bump_authz_version
from idp.errors import AccessDenied, ValidationError
from idp.iam import access_keys
from idp.iam.accounts import root_arn
from idp.signin import passwords
from idp.signin.callers import caller_for

if TYPE_CHECKING:
    from models.session import BrowserSession


class KeyOperationDenied(AccessDenied):
    """The authorizer refused one of my key operations. It keeps the request's work: the page's own `Deny` entry
    goes in before the authorizer's decision, and a step-up the same request made (`reauth_*`) stays."""

    keeps_work = True


def may_hold_own(principal: passwords.Principal) -> bool:
    """An IAM user or the root user; a federated sign-in not linked to a user has no credentials of its own."""
    return principal.user is not None or principal.arn == root_arn(principal.account_id)


def owner(session: BrowserSession) -> passwords.Principal:
    """The principal whose password and keys this session may manage: an IAM user or the root user.

    A federated session not linked to a user has no user row; it must never be mistaken for the root user
    (both have `user_id` None).
    """
    principal = passwords.principal_of(session)
    if not may_hold_own(principal):
        raise AccessDenied("This identity signs in through its upstream provider, which manages its credentials.")
    return principal


def create_key(session: BrowserSession) -> access_keys.IssuedKey:
    """A new access key of the session's principal (its secret is in the answer, and nowhere else)."""
    principal = owner(session)
    _authorize(session, principal, "CreateAccessKey")
    issued = access_keys.create(principal.account_id, principal.user)
    _changed("access_key_created", principal, issued.key.access_key_id)
    return issued


def set_key_status(session: BrowserSession, key_id: str, status: str) -> None:
    """Activate or deactivate one of the principal's keys."""
    principal = owner(session)
    if status not in access_keys.STATUSES:
        raise ValidationError("Status must be Active or Inactive.")
    _authorize(session, principal, "UpdateAccessKey")
    access_keys.set_status(access_keys.get_owned(principal.account_id, principal.user, key_id), status)
    _changed("access_key_updated", principal, key_id, status=status)


def delete_key(session: BrowserSession, key_id: str) -> None:
    """Delete one of the principal's keys."""
    principal = owner(session)
    _authorize(session, principal, "DeleteAccessKey")
    access_keys.delete(access_keys.get_owned(principal.account_id, principal.user, key_id))
    _changed("access_key_deleted", principal, key_id)


def _authorize(session: BrowserSession, principal: passwords.Principal, action: str) -> None:
    if principal.user is None:
        return  # the root user manages its own keys, as at AWS
    try:
        authorize(caller_for(session), f"iam:{action}", principal.user.arn)
    except AccessDenied as denied:
        audit.record(f"iam:{action}", actor=principal.arn, resource=principal.user.arn, decision="Deny",
                     account_id=principal.account_id, detail={"via": "account page"})
        raise KeyOperationDenied(denied.message) from None


def _changed(action: str, principal: passwords.Principal, key_id: str, **detail) -> None:
    bump_authz_version(principal.account_id)
    audit.record(action, actor=principal.arn, resource=key_id, decision="Allow", account_id=principal.account_id,
                 detail=detail or None)
