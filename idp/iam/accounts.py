"""Accounts and their root credentials (the root user is the account itself, as at AWS)."""
from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from idp import clock
from idp.errors import Conflict, NotFound, ValidationError
from idp.iam.passwords import hash_password
from idp.keys import seal_secret
from models import db
from models.access_key import AccessKey
from models.account import Account
from models.ids import access_key_id as new_access_key_id
from models.oidc_provider import OidcProvider


@dataclass(frozen=True)
class RootCredentials:
    """What bootstrap and create-account report; secrets only when just created."""

    account_id: str
    access_key_id: str
    secret_access_key: str | None = None
    root_password: str | None = None

    def as_json(self) -> dict:
        document = {"account_id": self.account_id, "access_key_id": self.access_key_id}
        if self.secret_access_key is not None:
            document["secret_access_key"] = self.secret_access_key
        return document


def find(account_id: str) -> Account | None:
    """The account of that id, or None."""
    return db.session.get(Account, account_id)


def default_account_id() -> str:
    """The account `bootstrap` made the default (the one the CLI and unscoped registrations use)."""
    account_id = db.session.scalar(select(Account.id).where(Account.is_default.is_(True)))
    if account_id is None:
        raise NotFound("no default account; run `flask --app app idp bootstrap` first")
    return account_id


def existing(account_id: str | None) -> str:
    """`account_id`, or the default account when None; NotFound when there is no such account."""
    account_id = account_id or default_account_id()
    if find(account_id) is None:
        raise NotFound(f"no account {account_id}")
    return account_id


def root_arn(account_id: str) -> str:
    """The ARN of an account's root user."""
    return f"arn:aws:iam::{account_id}:root"


def new_secret_access_key() -> str:
    """40 characters of base64, like AWS secret access keys."""
    return base64.b64encode(secrets.token_bytes(30)).decode()


def _unused_account_id() -> str:
    while True:
        candidate = f"{secrets.randbelow(10**12):012d}"
        if db.session.get(Account, candidate) is None:
            return candidate


def create_account(
    *,
    account_id: str | None = None,
    alias: str | None = None,
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
    root_password: str | None = None,
    is_default: bool = False,
) -> RootCredentials:
    """Add an account with a root password and one root access key (not committed)."""
    if account_id is not None and (len(account_id) != 12 or not account_id.isdigit()):
        raise ValidationError(f"account id must be 12 digits, got {account_id!r}")
    if account_id is not None and db.session.get(Account, account_id) is not None:
        raise Conflict(f"account {account_id} already exists")
    if alias is not None and db.session.scalar(select(Account).where(Account.alias == alias)):
        raise Conflict(f"account alias {alias!r} is taken")
    account = Account(
        id=account_id or _unused_account_id(), alias=alias, is_default=is_default, created_at=clock.now()
    )
    password = root_password or secrets.token_urlsafe(18)
    account.root_password_hash = hash_password(password)
    db.session.add(account)
    db.session.flush()
    key_id, secret = add_root_access_key(account.id, access_key_id, secret_access_key)
    return RootCredentials(
        account.id, key_id, secret, None if root_password else password
    )


def add_root_access_key(account_id: str, key_id: str | None = None, secret: str | None = None) -> tuple[str, str]:
    """Create a root access key (given or random); returns (key id, secret)."""
    key_id = key_id or new_access_key_id()
    if db.session.scalar(select(AccessKey).where(AccessKey.access_key_id == key_id)):
        raise Conflict(f"access key {key_id} already exists")
    secret = secret or new_secret_access_key()
    db.session.add(
        AccessKey(
            access_key_id=key_id, account_id=account_id, user_id=None,
            secret_encrypted=seal_secret(key_id, secret), status="Active", created_at=clock.now(),
        )
    )
    return key_id, secret


def register_issuer(account_id: str, issuer: str) -> bool:
    """Register `issuer` as an IAM OIDC provider of the account, once; True when added."""
    url = issuer.split("://", 1)[1]
    existing = db.session.scalar(
        select(OidcProvider).where(OidcProvider.account_id == account_id, OidcProvider.url == url)
    )
    if existing is not None:
        return False
    db.session.add(
        OidcProvider(
            account_id=account_id, url=url, arn=f"arn:aws:iam::{account_id}:oidc-provider/{url}",
            client_ids=[], thumbprints=[], tags=[], created_at=clock.now(),
        )
    )
    return True
