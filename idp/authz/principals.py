"""Who is calling: the authenticated principal the authorizer evaluates."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Mapping

from idp.policy import PolicySet, PrincipalType, RequestPrincipal

if TYPE_CHECKING:
    from idp.authz.session_tokens import SessionToken


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: the engine's principal plus what the services need."""

    principal: RequestPrincipal
    access_key_id: str | None = None
    user_pk: int | None = None  # models.User.id for IAM users
    region: str = "us-east-1"
    # The account's authz version seen while authenticating (None: read it when needed).
    authz_version: int | None = None
    # Temporary credentials: the session they carry, the policies it resolved to
    # (role identity, boundary and session policies), the condition keys it
    # supplies (aws:TokenIssueTime, aws:SourceIdentity, ...) and when MFA was used.
    session: SessionToken | None = None
    policies: PolicySet | None = None
    session_keys: Mapping[str, object] = field(default_factory=dict)
    mfa_auth_time: datetime | None = None

    @property
    def account_id(self) -> str:
        return self.principal.account

    @property
    def arn(self) -> str:
        return self.principal.arn

    @property
    def is_root(self) -> bool:
        return self.principal.type is PrincipalType.ACCOUNT


def root_principal(account_id: str) -> RequestPrincipal:
    """The account root user as the policy engine sees it."""
    return RequestPrincipal.of(f"arn:aws:iam::{account_id}:root", account_id, PrincipalType.ACCOUNT, user_id=account_id)


def user_principal(user) -> RequestPrincipal:
    """An IAM user (a `models.user.User`) as the policy engine sees it."""
    return RequestPrincipal.of(
        user.arn, user.account_id, PrincipalType.USER, user_id=user.user_id, username=user.name,
        tags={tag["Key"]: tag["Value"] for tag in user.tags or []},
    )


def client_arn(account_id: str, client_id: str) -> str:
    """The principal an OAuth client is when it acts for itself (client credentials, token exchange)."""
    return f"arn:aws:iam::{account_id}:oidc-client/{client_id}"
