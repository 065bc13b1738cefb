"""Bootstrap: schema, keys, the default account, its root credentials, our own issuer in IAM.

Idempotent: a second run changes nothing. Input is validated before anything
is written (`load_settings`). The migrations run on their own connection and the
keystore commits its keys itself; everything else (the AWS-managed policies, the
account, its root key, our issuer, the upstreams file) is one unit of work
(`idp.work`), committed before the credentials file is written. On PostgreSQL an
advisory lock, taken and released on a connection of its own (its commits end
only that connection's statements, never the session's work), serialises
instances bootstrapping at once.
"""
from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path

import flask_migrate
from flask import Flask, current_app
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from idp import work
from idp.config import Settings
from idp.errors import ConfigError, IdpError
from idp.iam.accounts import (
    RootCredentials,
    add_root_access_key,
    create_account,
    register_issuer,
)
from idp.iam.aws_managed import ensure_aws_managed_policies
from idp.keys import keystore, open_secret
from models import db
from models.access_key import AccessKey
from models.account import Account

# Any constant works; all instances must use the same one.
BOOTSTRAP_LOCK_ID = 0x1D9B00757


def bootstrap(app: Flask) -> RootCredentials:
    """Bring the database to a usable state and return the default root credentials."""
    settings: Settings = app.config["IDP_SETTINGS"]
    # Its own app context, so its own session and its own unit of work, wherever it is called from (the
    # first request's before_request hook, the `idp bootstrap` command inside the CLI's unit).
    with app.app_context():
        _check_connection(settings)
        with _exclusive(settings):
            flask_migrate.upgrade(directory=app.extensions["migrate"].directory)
            keystore().ensure()  # commits its keys itself (see Keystore.ensure)
            with work.unit_of_work():
                ensure_aws_managed_policies()
                credentials = _ensure_default_account(settings)
                register_issuer(credentials.account_id, settings.issuer)
                if settings.upstreams_file is not None:
                    _apply_upstreams_file(settings.upstreams_file, credentials.account_id)
        if credentials.secret_access_key and not settings.root_secret_access_key:
            _write_credentials_file(settings.instance_dir, credentials)
        return credentials


def _apply_upstreams_file(path: Path, account_id: str) -> None:
    """The declarative upstream file: every upstream added or updated at every start, all or none."""
    from idp.federation import registry

    try:
        registry.apply_all(registry.read_file(path), account_id)
    except IdpError as error:
        raise ConfigError(f"IDP_UPSTREAMS_FILE {path}: {error.message}") from None


def _check_connection(settings: Settings) -> None:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except (OperationalError, SQLAlchemyError) as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise ConfigError(f"cannot connect to the database {db.engine.url!r}: {reason}") from None


@contextmanager
def _exclusive(settings: Settings):
    """Serialize concurrent bootstraps of instances sharing a PostgreSQL database."""
    if db.engine.dialect.name != "postgresql":
        yield
        return
    # A connection of its own, outside the session: its commits end the lock statements' transactions (the
    # session-level lock lives on), and never commit the bootstrap's unit of work.
    with db.engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": BOOTSTRAP_LOCK_ID})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": BOOTSTRAP_LOCK_ID})
            connection.commit()


def _ensure_default_account(settings: Settings) -> RootCredentials:
    account = db.session.scalar(select(Account).where(Account.is_default.is_(True)))
    if account is None:
        return create_account(
            account_id=settings.account_id,
            access_key_id=settings.root_access_key_id,
            secret_access_key=settings.root_secret_access_key,
            root_password=settings.root_password,
            is_default=True,
        )
    if settings.account_id and settings.account_id != account.id:
        raise ConfigError(
            f"IDP_ACCOUNT_ID is {settings.account_id} but this database's default account is {account.id}"
        )
    return RootCredentials(account.id, *_ensure_root_key(account.id, settings))


def _ensure_root_key(account_id: str, settings: Settings) -> tuple[str, str | None]:
    wanted = settings.root_access_key_id
    if wanted:
        key = db.session.scalar(select(AccessKey).where(AccessKey.access_key_id == wanted))
        if key is None:
            return add_root_access_key(account_id, wanted, settings.root_secret_access_key)[0], None
        if key.account_id != account_id or key.user_id is not None:
            raise ConfigError(f"IDP_ROOT_ACCESS_KEY_ID {wanted} belongs to another principal")
        if open_secret(key) != settings.root_secret_access_key:
            raise ConfigError(f"IDP_ROOT_SECRET_ACCESS_KEY does not match the stored secret of {wanted}")
        return wanted, None
    existing = db.session.scalar(
        select(AccessKey)
        .where(AccessKey.account_id == account_id, AccessKey.user_id.is_(None))
        .order_by(AccessKey.created_at)
    )
    if existing is not None:
        return existing.access_key_id, None
    return add_root_access_key(account_id)


def _write_credentials_file(instance_dir: Path, credentials: RootCredentials) -> Path:
    """Keep freshly generated root secrets where only the operator can read them."""
    instance_dir.mkdir(parents=True, exist_ok=True)
    path = instance_dir / "root-credentials.json"
    document = {**credentials.as_json(), "root_password": credentials.root_password}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(document, handle, indent=2)
        handle.write("\n")
    os.chmod(path, 0o600)
    return path


def credentials_file(app: Flask | None = None) -> Path:
    """Where bootstrap keeps freshly generated root secrets."""
    return (app or current_app).config["IDP_SETTINGS"].instance_dir / "root-credentials.json"
