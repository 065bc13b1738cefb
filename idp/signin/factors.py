"""The second factors of a principal: who owns the MFA of a browser session or a pending sign-in, and their devices.

Every check of a factor goes through `idp.signin.factor_checks`; this module
names its owner (`Owner`) and what it has to check against (`devices`,
`factors`).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from idp.errors import AccessDenied
from idp.iam import recovery_codes
from idp.signin import factor_checks
from models import db
from models.account import Account
from models.mfa import MfaDevice
from models.session import BrowserSession
from models.user import User


@dataclass(frozen=True)
class Owner:
    """The principal whose MFA a page manages or a sign-in checks (user None: the account root user)."""

    account_id: str
    user: User | None
    arn: str

    @property
    def user_id(self) -> int | None:
        """The users.id primary key, None for root."""
        return self.user.id if self.user is not None else None

    @property
    def label(self) -> str:
        """How the principal is named on pages and in authenticator apps."""
        return self.user.name if self.user is not None else "root"


def owner_of(session: BrowserSession) -> Owner:
    """The MFA owner of a browser session; AccessDenied for a federated identity not linked to a user."""
    account = db.session.get(Account, session.account_id)
    if session.user_id is not None:
        return Owner(session.account_id, session.user, session.principal_arn)
    if account is not None and session.principal_arn == account.root_arn:
        return Owner(session.account_id, None, session.principal_arn)
    raise AccessDenied("This identity signs in through its upstream provider, which manages its MFA.")


def owner_by_id(account_id: str, user_id: int | None) -> Owner:
    """The owner named by a pending sign-in (user_id None: root)."""
    if user_id is None:
        return Owner(account_id, None, db.session.get(Account, account_id).root_arn)
    user = db.session.get(User, user_id)
    if user is None or user.account_id != account_id:
        raise AccessDenied("The sign-in is no longer valid.")
    return Owner(account_id, user, user.arn)


def factor_attempt(owner: Owner, surface: str, *, address: str | None,
                   devices_checked: list | tuple = ()) -> factor_checks.Attempt:
    """The shared factor check's view of `owner` answering from `address` (throttled with STS and IAM)."""
    return factor_checks.Attempt(account_id=owner.account_id, user_id=owner.user_id, actor=owner.arn,
                                 surface=surface, address=address, devices=tuple(devices_checked))


def devices(owner: Owner, kind: str | None = None) -> list[MfaDevice]:
    """The owner's enabled MFA devices (virtual and webauthn, or one kind), oldest first."""
    owned = MfaDevice.user_id.is_(None) if owner.user is None else MfaDevice.user_id == owner.user.id
    query = select(MfaDevice).where(MfaDevice.account_id == owner.account_id, owned, MfaDevice.enabled_at.is_not(None))
    if kind is not None:
        query = query.where(MfaDevice.kind == kind)
    return list(db.session.scalars(query.order_by(MfaDevice.id)))


def factors(account_id: str, user_id: int | None) -> list[str]:
    """The principal's enabled second factors: "totp", "webauthn", and "recovery" (unused codes beside a device)."""
    owner_filter = MfaDevice.user_id.is_(None) if user_id is None else MfaDevice.user_id == user_id
    kinds = set(db.session.scalars(
        select(MfaDevice.kind).where(
            MfaDevice.account_id == account_id, owner_filter, MfaDevice.enabled_at.is_not(None)
        ).distinct()
    ))
    found = [name for kind, name in (("virtual", "totp"), ("webauthn", "webauthn")) if kind in kinds]
    # Recovery codes stand in for a lost device; alone they are not a second factor.
    if found and recovery_codes.remaining(account_id, user_id) > 0:
        found.append("recovery")
    return found
