"""Temporary credentials: issue role, user and federated-user sessions (sealed session tokens), GetSessionToken, note a role's use,
check the MFA a request proves. Presented tokens are resolved back to callers by `idp.authz.sessions`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping, Sequence

from sqlalchemy import select

from idp import clock
from idp.authz.principals import Caller
from idp.authz.session_tokens import (
    ROLE_SESSION,
    USER_SESSION,
    WEB_IDENTITY_SESSION,
    SessionToken,
    account_of_key_id,
    new_secret,
    seal,
    temporary_access_key_id,
)
from idp.authz import sessions as authz_sessions
from idp.authz.sessions import assumed_role_arn
from idp.errors import AccessDenied
from models import db
from models.access_key import AccessKey

ROOT_MAX_DURATION = 3600  # GetSessionToken for the root user


@dataclass(frozen=True)
class IssuedCredentials:
    """What AssumeRole* and GetSessionToken return as `Credentials`."""

    access_key_id: str  # ASIA + 16
    secret_access_key: str
    session_token: str
    expiration: datetime

    def as_shape(self) -> dict:
        """The `Credentials` structure of the STS API."""
        return {"AccessKeyId": self.access_key_id, "SecretAccessKey": self.secret_access_key,
                "SessionToken": self.session_token, "Expiration": self.expiration}


def issue(session: SessionToken) -> IssuedCredentials:
    """The credentials of `session`, its token sealed."""
    return IssuedCredentials(session.access_key_id, session.secret_access_key, seal(session), session.expires)


def issue_role_session(*, role, session_name: str, duration: int, source_identity: str | None = None,
                       session_policies: Sequence[str] = (), policy_arns: Sequence[str] = (),
                       tags: Mapping[str, str] | None = None, transitive_tag_keys: Sequence[str] = (),
                       mfa_auth_time: datetime | None = None, web_identity: Mapping[str, object] | None = None,
                       principal_kind: str = "AssumedRole") -> tuple[IssuedCredentials, str, str]:
    """-> (credentials, assumed-role ARN arn:aws:sts::A:assumed-role/R/S, assumed role id AROA...:S)"""
    issued = int(clock.now().timestamp())
    kind = WEB_IDENTITY_SESSION if web_identity else (principal_kind if principal_kind != USER_SESSION else ROLE_SESSION)
    session = SessionToken(
        account_id=role.account_id, kind=kind, principal_arn=role.arn, principal_id=role.role_id,
        session_name=session_name, issued_at=issued, expires_at=issued + duration,
        access_key_id=temporary_access_key_id(role.account_id), secret_access_key=new_secret(),
        policies=tuple(session_policies), policy_arns=tuple(policy_arns), tags=tuple((tags or {}).items()),
        transitive_tag_keys=tuple(transitive_tag_keys), source_identity=source_identity,
        mfa_auth_time=int(mfa_auth_time.timestamp()) if mfa_auth_time else None,
        web_identity=dict(web_identity) if web_identity else None,
    )
    arn = assumed_role_arn(role.account_id, role.name, session_name)
    return issue(session), arn, f"{role.role_id}:{session_name}"


def issue_user_session(caller: Caller, duration: int, mfa_auth_time: datetime | None) -> IssuedCredentials:
    """GetSessionToken: a session that acts as the calling user (or root) itself."""
    issued = int(clock.now().timestamp())
    principal = caller.principal
    return issue(SessionToken(
        account_id=caller.account_id, kind=USER_SESSION, principal_arn=principal.arn,
        principal_id=principal.user_id or caller.account_id, session_name=principal.username or "",
        issued_at=issued, expires_at=issued + duration,
        access_key_id=temporary_access_key_id(caller.account_id), secret_access_key=new_secret(),
        mfa_auth_time=int(mfa_auth_time.timestamp()) if mfa_auth_time else None,
    ))


def get_session_token(caller: Caller, duration: int, *, serial_number: str | None = None,
                      token_code: str | None = None, address: str | None = None) -> IssuedCredentials:
    """GetSessionToken: a session of the calling user (or root), with the MFA the request proves, if any.

    AWS: no permission is needed (and none can be denied): it only authenticates the caller with MFA.
    """
    if caller.session is not None:
        raise AccessDenied("Cannot call GetSessionToken with session credentials")
    if caller.is_root:
        duration = min(duration, ROOT_MAX_DURATION)  # AWS shortens root sessions silently
    mfa_time = verified_mfa(caller, serial_number, token_code, surface="sts:GetSessionToken", address=address)
    return issue_user_session(caller, duration, mfa_time)


def account_of_access_key(key_id: str) -> str:
    """GetAccessKeyInfo: the account of a stored long-term key; like AWS, any other id (a session key, an id
    that names no stored key) decodes to the account its bits encode."""
    account = None
    if not key_id.startswith("ASIA"):
        account = db.session.scalar(select(AccessKey.account_id).where(AccessKey.access_key_id == key_id))
    return account or account_of_key_id(key_id)


def touch_role(role, region: str) -> None:
    """Record the role's last use at its assumption (`idp.authz.sessions.touch_role`, shared with its sessions)."""
    authz_sessions.touch_role(role.role_id, region, role.last_used_at)


def verified_mfa(caller: Caller, serial: str | None, code: str | None, *, surface: str,
                 address: str | None = None) -> datetime | None:
    """The MFA time this request proves (now) with the caller's own virtual device; None without MFA.

    AccessDenied as AWS words it when only one of the two is given, the device
    is not the caller's, or the code is wrong or already used in its time step;
    TooManyRequests while the caller's or the device's factor checks back off
    (the shared throttle of `idp.signin.factor_checks`: the code is not checked then).
    """
    if serial is None and code is None:
        return None
    if serial is None or code is None:
        raise AccessDenied("MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code.")
    from idp.iam import mfa_devices  # the IAM services own the devices and their checks
    from idp.signin import factor_checks

    device = mfa_devices.find(caller.account_id, serial)
    owned = device is not None and (device.user_id is None if caller.is_root else device.user_id == caller.user_pk)
    refusal = lambda: factor_checks.FactorRefused(factor_checks.STS_WRONG_CODE)  # noqa: E731
    if caller.session is not None and caller.session.is_role_session:
        # A role session owns no device: nothing to guess at, refused unchecked (audited, not counted).
        factor_checks.refuse(caller.account_id, caller.principal.arn, surface, refusal())
    usable = owned and device.kind == "virtual" and device.is_enabled
    who = factor_checks.Attempt(
        account_id=caller.account_id, user_id=None if caller.is_root else caller.user_pk,
        actor=caller.principal.arn, surface=surface, address=address,
        devices=(device,) if usable else (),  # someone else's device is never counted, nor checked
    )
    if not usable:
        factor_checks.attempt(who, lambda: None, method="totp", refusal=refusal)
    factor_checks.totp_code(who, code, refusal=refusal)
    return clock.now()
