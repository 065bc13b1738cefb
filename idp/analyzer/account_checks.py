"""Least-privilege findings over one account: the root user, users' credentials, unused roles, broad policies and
trust policies, each with the fix (`flask --app app idp analyze account`, the `GetAccountFindings` API, the admin
console's dashboard).

The checks follow AWS's own advice (IAM security best practices, the CIS AWS Foundations benchmark): protect the
root user (no access keys, MFA, not used day to day), MFA for every console password, rotate keys and remove unused
credentials after 90 days, grant least privilege, and never let a trust policy admit the world, a whole foreign
account without an external id, or any client of an OIDC provider. Last use is what the product records: access
keys' `last_used_at` (SigV4 authentication), passwords' `password_last_used` (sign-in) and roles' `last_used_at`
(every assumption), the same values the credential report and `RoleLastUsed` show.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from idp import clock
from idp.analyzer.checks_security import oidc_key_prefix
from idp.authz.policy_store import inline_id, managed, parsed
from idp.errors import NotFound
from idp.policy import Effect, Policy, PolicyKind, Statement
from models import db
from models.access_key import AccessKey
from models.account import Account
from models.group import Group
from models.mfa import MfaDevice
from models.policy import ManagedPolicy
from models.role import Role
from models.user import User

SEVERITIES = ("critical", "high", "medium", "low")
ROOT_RECENT = timedelta(days=30)
KEY_MAX_AGE = timedelta(days=90)
UNUSED_AFTER = timedelta(days=90)


@dataclass(frozen=True)
class AccountFinding:
    """One least-privilege problem of an account: a stable `check` id, its severity, the resource's ARN, the fix."""

    check: str
    severity: str  # critical | high | medium | low
    resource: str
    title: str
    detail: str
    fix: str

    def as_json(self) -> dict[str, str]:
        """The finding as the CLI's and the API's JSON object."""
        return {"check": self.check, "severity": self.severity, "resource": self.resource, "title": self.title,
                "detail": self.detail, "fix": self.fix}


def check_account(account_id: str, now: datetime | None = None) -> list[AccountFinding]:
    """Every finding of the account, most severe first (then by check and resource); NotFound for no such account."""
    account = db.session.get(Account, account_id)
    if account is None:
        raise NotFound(f"no account {account_id}")
    now = now or clock.now()
    found = [*_root_findings(account, now), *_user_findings(account_id, now), *_role_findings(account_id, now),
             *_policy_findings(account_id)]
    return sorted(found, key=lambda f: (SEVERITIES.index(f.severity), f.check, f.resource, f.detail))


def _days(moment: datetime | None, now: datetime) -> str:
    return "never" if moment is None else f"{(now - clock.as_utc(moment)).days} days ago"


def _older(moment: datetime | None, cutoff: datetime) -> bool:
    return moment is None or clock.as_utc(moment) < cutoff


def _latest(*moments: datetime | None) -> datetime | None:
    known = [clock.as_utc(moment) for moment in moments if moment is not None]
    return max(known) if known else None


# --- the root user -------------------------------------------------------------------------------------------------

def _root_findings(account: Account, now: datetime) -> list[AccountFinding]:
    arn = account.root_arn
    keys = db.session.scalars(select(AccessKey).where(AccessKey.account_id == account.id,
                                                      AccessKey.user_id.is_(None))).all()
    found = []
    active = [key.access_key_id for key in keys if key.status == "Active"]
    if active:
        found.append(AccountFinding(
            "root-access-keys", "critical", arn, "The root user has access keys",
            f"Active root access keys: {', '.join(sorted(active))}.",
            "Create an IAM user or role for the work these keys do, then delete the root access keys "
            "(DeleteAccessKey as the root user)."))
    has_mfa = db.session.scalar(select(MfaDevice.id).where(
        MfaDevice.account_id == account.id, MfaDevice.user_id.is_(None), MfaDevice.enabled_at.is_not(None)).limit(1))
    if has_mfa is None:
        found.append(AccountFinding(
            "root-without-mfa", "critical", arn, "The root user has no MFA device",
            "Anyone with the root password can sign in with full, unrestricted access to the account.",
            "Sign in as the root user and enable a virtual MFA device or a passkey (EnableMFADevice)."))
    last = _latest(account.root_password_last_used, *(key.last_used_at for key in keys))
    if last is not None and now - last < ROOT_RECENT:
        found.append(AccountFinding(
            "root-used-recently", "high", arn, "The root user was used in the last 30 days",
            f"Last used {_days(last, now)} ({last.isoformat()}).",
            "Use IAM users or roles for everyday work; keep the root user for the few tasks that require it."))
    return found


# --- IAM users and their credentials -------------------------------------------------------------------------------

def _user_findings(account_id: str, now: datetime) -> list[AccountFinding]:
    found = []
    cutoff = now - UNUSED_AFTER
    for user in db.session.scalars(select(User).where(User.account_id == account_id).order_by(User.arn)):
        if user.login_profile is not None and not any(device.is_enabled for device in user.mfa_devices):
            found.append(AccountFinding(
                "user-password-without-mfa", "high", user.arn, f"User {user.name} signs in with a password and no MFA",
                "A stolen or guessed password alone gives access to the console.",
                f"Enable an MFA device for {user.name} (EnableMFADevice), or delete the login profile if the user "
                "never signs in to the console."))
        found.extend(_key_findings(user, now, cutoff))
        keys_used = _latest(*(key.last_used_at for key in user.access_keys))
        last = _latest(user.password_last_used, keys_used)
        if not _older(user.created_at, cutoff) or not _older(last, cutoff):
            continue
        found.append(AccountFinding(
            "user-inactive", "low", user.arn, f"User {user.name} has not been active for 90 days",
            f"No sign-in and no access-key use since the user was created or for 90 days (last activity: "
            f"{_days(last, now)}).",
            f"Delete {user.name} if it is no longer needed, or remove its password and access keys."))
    return found


def _key_findings(user: User, now: datetime, cutoff: datetime) -> list[AccountFinding]:
    found = []
    for key in sorted(user.access_keys, key=lambda key: key.access_key_id):
        if key.status != "Active" or not _older(key.created_at, now - KEY_MAX_AGE):
            continue
        found.append(AccountFinding(
            "access-key-old", "medium", user.arn, f"Access key {key.access_key_id} of {user.name} is over 90 days old",
            f"Created {_days(key.created_at, now)}.",
            f"Rotate the key: create a second key for {user.name}, switch its users over, then deactivate and delete "
            f"{key.access_key_id}."))
        if _older(key.last_used_at, cutoff):
            found.append(AccountFinding(
                "access-key-unused", "medium", user.arn,
                f"Access key {key.access_key_id} of {user.name} has not been used for 90 days",
                f"Last used: {_days(key.last_used_at, now)}.",
                f"Deactivate {key.access_key_id} (UpdateAccessKey Status=Inactive) and delete it once nothing "
                "breaks."))
    return found


# --- roles ---------------------------------------------------------------------------------------------------------

def _role_findings(account_id: str, now: datetime) -> list[AccountFinding]:
    found = []
    cutoff = now - UNUSED_AFTER
    for role in db.session.scalars(select(Role).where(Role.account_id == account_id).order_by(Role.arn)):
        if _older(role.created_at, cutoff) and _older(role.last_used_at, cutoff):
            found.append(AccountFinding(
                "role-unused", "low", role.arn, f"Role {role.name} has not been used for 90 days",
                f"Last assumed: {_days(role.last_used_at, now)}.",
                f"Delete {role.name} if nothing needs it any more (RoleLastUsed in GetRole shows its last use)."))
        trust = parsed(role.trust_policy, PolicyKind.TRUST, f"trust/{role.name}")
        for statement in trust.statements:
            found.extend(_trust_findings(role, statement))
    return found


def _positive_keys(statement: Statement) -> set[str]:
    clauses = statement.condition.clauses if statement.condition is not None else ()
    return {clause.key.lower() for clause in clauses if clause.base is not None and not clause.base.negated}


def _trust_findings(role: Role, statement: Statement) -> list[AccountFinding]:
    principals = statement.principals
    if statement.effect is not Effect.ALLOW or principals is None or principals.negated:
        return []
    found = []
    if principals.everyone and statement.condition is None:
        found.append(AccountFinding(
            "trust-any-principal", "critical", role.arn, f"Role {role.name} trusts every principal (\"*\")",
            f"Statement {statement.label} lets any principal of any account assume the role.",
            "Name the accounts or roles that may assume the role in Principal, or restrict it with a condition "
            "such as aws:PrincipalOrgID."))
    foreign = sorted(principals.accounts - {role.account_id})
    if foreign and "sts:externalid" not in _positive_keys(statement):
        found.append(AccountFinding(
            "trust-foreign-account-without-external-id", "medium", role.arn,
            f"Role {role.name} trusts a whole foreign account without an external id",
            f"Statement {statement.label} trusts every principal of {', '.join(foreign)} that is allowed "
            "sts:AssumeRole, with no sts:ExternalId condition (the confused-deputy problem).",
            "Add a StringEquals sts:ExternalId condition with the id the other party gave you, or name the exact "
            "role of that account in Principal."))
    for provider in sorted(principals.federated):
        prefix = oidc_key_prefix(provider)
        if prefix is not None and f"{prefix}:aud".lower() not in _positive_keys(statement):
            found.append(AccountFinding(
                "web-identity-trust-without-aud", "high", role.arn,
                f"Role {role.name} accepts tokens of {prefix} issued to any client",
                f"Statement {statement.label} has no condition on {prefix}:aud.",
                f"Add a StringEquals {prefix}:aud condition naming your client id."))
    return found


# --- identity policies ---------------------------------------------------------------------------------------------

def _policy_findings(account_id: str) -> list[AccountFinding]:
    found = []
    customer = select(ManagedPolicy).where(ManagedPolicy.account_id == account_id).order_by(ManagedPolicy.arn)
    for policy in db.session.scalars(customer):
        found.extend(_broad_grants(managed(policy), policy.arn, f"Policy {policy.name}"))
    for model, kind, label in ((User, PolicyKind.USER_INLINE, "user"), (Group, PolicyKind.GROUP_INLINE, "group"),
                               (Role, PolicyKind.ROLE_INLINE, "role")):
        for entity in db.session.scalars(select(model).where(model.account_id == account_id).order_by(model.arn)):
            for inline in entity.inline_policies:
                document = parsed(inline.document, kind, inline_id(label, entity.name, inline.name))
                found.extend(_broad_grants(document, entity.arn, f"Inline policy {inline.name} of {label} "
                                                                 f"{entity.name}"))
    return found


def _full_admin(statement: Statement) -> bool:
    actions, resources = statement.actions, statement.resources
    return (not actions.negated and any(p in ("*", "*:*") for p in actions.patterns)
            and resources is not None and not resources.negated and "*" in resources.patterns)


def _broad_grants(policy: Policy, resource: str, what: str) -> list[AccountFinding]:
    found = []
    for statement in policy.statements:
        if statement.effect is not Effect.ALLOW or statement.condition is not None:
            continue
        if _full_admin(statement):
            found.append(AccountFinding(
                "policy-full-admin", "high", resource, f"{what} grants full administrator access (\"*:*\")",
                f"Statement {statement.label} allows every action on every resource.",
                "Grant only the actions and resources the principals need (generate a policy from their activity "
                "with StartPolicyGeneration), and keep full access to a few break-glass roles."))
            continue
        resources = statement.resources
        wide = resources is not None and not resources.negated and "*" in resources.patterns
        if wide and statement.actions.applies("iam:passrole"):
            found.append(AccountFinding(
                "passrole-any", "high", resource, f"{what} allows iam:PassRole on every role",
                f"Statement {statement.label} lets its principals pass any role, also one with more permissions "
                "than their own, to a service.",
                "Restrict iam:PassRole to the ARNs of the roles the principals must pass, with an "
                "iam:PassedToService condition."))
    return found
