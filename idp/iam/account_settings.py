"""Account-wide IAM settings: the password policy, the account alias, and GetAccountSummary's counts."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.sql import Select

from idp.errors import Conflict, NotFound, ValidationError
from models import db
from models.access_key import AccessKey
from models.account import Account
from models.group import Group, group_policy_attachments
from models.mfa import MfaDevice
from models.oidc_provider import OidcProvider
from models.policy import ManagedPolicy
from models.role import Role, role_policy_attachments
from models.user import User, user_policy_attachments

# AWS's values when UpdateAccountPasswordPolicy leaves a parameter out.
POLICY_DEFAULTS: dict[str, Any] = {
    "MinimumPasswordLength": 6,
    "RequireSymbols": False,
    "RequireNumbers": False,
    "RequireUppercaseCharacters": False,
    "RequireLowercaseCharacters": False,
    "AllowUsersToChangePassword": False,
}
# Present in the stored policy only when the request set them.
POLICY_OPTIONAL = ("MaxPasswordAge", "PasswordReusePrevention", "HardExpiry")

# AWS's default quotas, as GetAccountSummary reports them.
QUOTAS: dict[str, int] = {
    "UsersQuota": 5000,
    "GroupsQuota": 300,
    "RolesQuota": 1000,
    "PoliciesQuota": 1500,
    "InstanceProfilesQuota": 1000,
    "ServerCertificatesQuota": 20,
    "AccessKeysPerUserQuota": 2,
    "SigningCertificatesPerUserQuota": 2,
    "GroupsPerUserQuota": 10,
    "AttachedPoliciesPerUserQuota": 10,
    "AttachedPoliciesPerGroupQuota": 10,
    "AttachedPoliciesPerRoleQuota": 10,
    "PolicyVersionsInUseQuota": 10000,
    "VersionsPerPolicyQuota": 5,
    "UserPolicySizeQuota": 2048,
    "GroupPolicySizeQuota": 5120,
    "RolePolicySizeQuota": 10240,
    "PolicySizeQuota": 6144,
    "AssumeRolePolicySizeQuota": 2048,
    "GlobalEndpointTokenVersion": 1,
}


def account(account_id: str) -> Account:
    """The account row (it exists: the caller authenticated against it)."""
    return db.session.get(Account, account_id)


# --- password policy -------------------------------------------------------


def password_policy(account_id: str) -> dict[str, Any] | None:
    """The stored policy (AWS member names), or None when the account has none."""
    return account(account_id).password_policy


def get_password_policy(account_id: str) -> dict[str, Any]:
    """The policy, or NoSuchEntity as AWS words it."""
    policy = password_policy(account_id)
    if policy is None:
        raise _no_policy(account_id)
    return policy


def set_password_policy(account_id: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Replace the whole policy: parameters left out take AWS's defaults, as at AWS."""
    policy = dict(POLICY_DEFAULTS)
    policy.update({k: v for k, v in settings.items() if v is not None and k in POLICY_DEFAULTS})
    policy.update({k: settings[k] for k in POLICY_OPTIONAL if settings.get(k) is not None})
    account(account_id).password_policy = policy
    db.session.flush()
    return policy


def delete_password_policy(account_id: str) -> None:
    """Remove the policy; NoSuchEntity when there is none (in other words than GetAccountPasswordPolicy's, as at AWS)."""
    row = account(account_id)
    if row.password_policy is None:
        raise NotFound("The account policy with name PasswordPolicy cannot be found.")
    row.password_policy = None
    db.session.flush()


def _no_policy(account_id: str) -> NotFound:
    return NotFound(f"The Password Policy with domain name {account_id} cannot be found.")


# --- account alias ---------------------------------------------------------


def aliases(account_id: str) -> list[str]:
    """The account's alias as a list (AWS allows at most one)."""
    alias = account(account_id).alias
    return [alias] if alias else []


def create_alias(account_id: str, alias: str) -> None:
    """Set the alias; it replaces the account's previous one; EntityAlreadyExists when another account has it."""
    if alias.isdigit():
        # An all-digit alias could not be told from an account id on the sign-in form.
        raise ValidationError(f"The account alias {alias} cannot consist of digits only.", code="InvalidInput")
    owner = db.session.scalar(select(Account).where(Account.alias == alias))
    if owner is not None and owner.id != account_id:
        raise Conflict(f"The account alias {alias} already exists.")
    account(account_id).alias = alias
    db.session.flush()


def delete_alias(account_id: str, alias: str) -> None:
    """Remove the alias; NoSuchEntity unless it is this account's alias."""
    row = account(account_id)
    if row.alias != alias:
        raise NotFound(f"The account alias {alias} cannot be found.")
    row.alias = None
    db.session.flush()


# --- GetAccountSummary -----------------------------------------------------


def _count(query: Select) -> int:
    return db.session.scalar(query) or 0


def _count_of(model, account_id: str, *conditions) -> int:
    return _count(select(func.count()).select_from(model).where(model.account_id == account_id, *conditions))


def _attachments(account_id: str) -> int:
    """Managed-policy attachments to the account's users, groups and roles."""
    total = 0
    for table, owner, column in (
        (user_policy_attachments, User, user_policy_attachments.c.user_id),
        (group_policy_attachments, Group, group_policy_attachments.c.group_id),
        (role_policy_attachments, Role, role_policy_attachments.c.role_id),
    ):
        total += _count(
            select(func.count()).select_from(table.join(owner, owner.id == column)).where(owner.account_id == account_id)
        )
    return total


def summary(account_id: str) -> dict[str, int]:
    """GetAccountSummary's SummaryMap: usage counted from the database, quotas as AWS's defaults."""
    row = account(account_id)
    root_devices = (MfaDevice.user_id.is_(None), MfaDevice.enabled_at.is_not(None))
    usage = {
        "Users": _count_of(User, account_id),
        "Groups": _count_of(Group, account_id),
        "Roles": _count_of(Role, account_id),
        "Policies": _count_of(ManagedPolicy, account_id),
        "PolicyVersionsInUse": _attachments(account_id),
        "MFADevices": _count_of(MfaDevice, account_id),
        "MFADevicesInUse": _count_of(MfaDevice, account_id, MfaDevice.enabled_at.is_not(None)),
        "AccountMFAEnabled": min(1, _count_of(MfaDevice, account_id, *root_devices)),
        "AccountAccessKeysPresent": min(1, _count_of(AccessKey, account_id, AccessKey.user_id.is_(None))),
        "AccountPasswordPresent": int(row.root_password_hash is not None),
        "AccountSigningCertificatesPresent": 0,
        "Providers": _count_of(OidcProvider, account_id),
        "ServerCertificates": 0,
        "InstanceProfiles": 0,
    }
    return {**usage, **QUOTAS}
