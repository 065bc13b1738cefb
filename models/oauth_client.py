"""OAuth 2.0 / OpenID Connect relying parties (clients) of this provider."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import Base
from .columns import CreatedAt, Timestamp

if TYPE_CHECKING:
    from .account import Account

TOKEN_ENDPOINT_AUTH_METHODS = (
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "none",
)


class OAuthClient(Base):
    """A registered client (RFC 7591 metadata names); public clients authenticate with `none`."""

    __tablename__ = "oauth_clients"
    __table_args__ = (
        CheckConstraint(
            "token_endpoint_auth_method IN ({})".format(
                ", ".join(f"'{m}'" for m in TOKEN_ENDPOINT_AUTH_METHODS)
            ),
            name="token_endpoint_auth_method",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    # Hash of the client secret; None for public and private_key_jwt clients.
    secret_hash: Mapped[str | None] = mapped_column(String(255))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    grant_types: Mapped[list[str]] = mapped_column(
        JSON, nullable=False, default=lambda: ["authorization_code", "refresh_token"]
    )
    response_types: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=lambda: ["code"])
    scopes: Mapped[list[str]] = mapped_column(
        JSON, nullable=False, default=lambda: ["openid", "profile", "email"]
    )
    token_endpoint_auth_method: Mapped[str] = mapped_column(
        String(32), nullable=False, default="client_secret_basic"
    )
    jwks: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    jwks_uri: Mapped[str | None] = mapped_column(String(2048))
    # None: the provider's default signing algorithm.
    id_token_signed_response_alg: Mapped[str | None] = mapped_column(String(16))
    backchannel_logout_uri: Mapped[str | None] = mapped_column(String(2048))
    backchannel_logout_session_required: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=True
    )
    # RFC 8693: the client-attached policy (IAM JSON) deciding oidc:TokenExchange; None: the client may not exchange.
    token_exchange_policy: Mapped[str | None] = mapped_column(Text)
    # RFC 7592: SHA-256 of the registration access token of a dynamically registered client.
    registration_token_hash: Mapped[str | None] = mapped_column(String(64))
    is_public: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Trusted (first-party) clients skip the consent page.
    is_trusted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # Accounts (other than its own) whose users this client may sign in: None = its own account only,
    # ["*"] = every account, else a list of 12-digit account ids (`clients create --multi-account`).
    admitted_accounts: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[Timestamp]

    account: Mapped[Account] = relationship()

    def __repr__(self) -> str:
        return f"<OAuthClient {self.client_id}>"


ANY_ACCOUNT = "*"


def admits(client, account_id: str | None) -> bool:
    """True when `client` (a row or a snapshot with `account_id`, `admitted_accounts`) signs in principals of
    `account_id`: its own account's, and those of the accounts it was registered as multi-account for."""
    if not isinstance(account_id, str) or not account_id:
        return False
    if account_id == client.account_id:
        return True
    admitted = client.admitted_accounts or ()
    return ANY_ACCOUNT in admitted or account_id in admitted
