"""A user deletes their own account, when the account's settings allow it (GDPR-style erasure).

Sessions and the grants made in them end, then every credential and membership goes (password, access keys,
MFA devices and passkeys, certificates, SSH keys, groups, policies), and the IAM user is removed with
everything that hangs off its row (profile, recovery codes, grants, links), and the outbox's messages to their
address, sent or not. The audit log keeps its rows, which name the user by ARN only. The account root user cannot delete itself this way.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from idp import audit
from idp.authz.policy_store import bump_authz_version
from idp.errors import SelfServiceDisabled
from idp.iam import access_keys, groups, mfa_devices, users
from idp.lifecycle import settings
from idp.mail import outbox
from idp.signin import sessions
from models import db
from models.user import User

if TYPE_CHECKING:
    from models.session import BrowserSession

DISABLED = "Deleting your own account is not available here. Ask an administrator."


def deletable(session: BrowserSession) -> User:
    """The session's IAM user if the account lets them delete themselves; SelfServiceDisabled otherwise."""
    user = users.by_key(session.user_id) if session.user_id is not None else None
    if user is None or not settings.of(session.account_id).self_deletion:
        raise SelfServiceDisabled(DISABLED)
    return user


def delete_self(session: BrowserSession) -> str:
    """Erase the session's user (see module); the ARN it had. Not committed."""
    user = deletable(session)
    arn, account_id = user.arn, user.account_id
    sessions.revoke_all(account_id, user.id, reason="user_deleted")
    _remove_dependents(user)
    if user.email:
        outbox.discard_to(account_id, user.email)
    users.delete(user)
    db.session.flush()
    bump_authz_version(account_id)
    audit.record("user_self_deleted", actor=arn, resource=arn, decision="Allow", account_id=account_id)
    return arn


def _remove_dependents(user: User) -> None:
    """What IAM's DeleteUser wants gone first, removed through the services that own each of them."""
    user.login_profile = None
    for key in list(user.access_keys):
        access_keys.delete(key)
    for device in list(user.mfa_devices):
        virtual = device.kind == "virtual"
        mfa_devices.deactivate(device)  # a passkey goes at once; a virtual device is unassigned, then deleted
        if virtual:
            mfa_devices.delete(device)
    for group in list(user.groups):
        groups.remove_user(group, user)
    user.attached_policies.clear()
    user.inline_policies.clear()
    user.signing_certificates.clear()
    user.ssh_public_keys.clear()
    db.session.flush()
    db.session.expire(user, ["access_keys", "mfa_devices", "groups"])  # read again: the rows are gone
