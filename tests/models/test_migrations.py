"""The Alembic migrations build exactly the models' schema, on SQLite and PostgreSQL,
and the constraints the models promise hold in the database itself."""
from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta, timezone

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from models import db
from models.access_key import AccessKey
from models.account import Account
from models.audit import AuditEvent
from models.policy import ManagedPolicy, PolicyVersion
from models.role import Role
from models.user import User, UserInlinePolicy

PG_URL = os.environ.get("IDP_TEST_DATABASE_URL")
MASTER_KEY = "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s="
ACCOUNT_A = "111111111111"
ACCOUNT_B = "222222222222"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database(request, tmp_path):
    """The URL of an empty database: a SQLite file, or a PostgreSQL database created for this test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'schema.db'}"
        return
    if not PG_URL:
        pytest.skip("PostgreSQL migration test: set IDP_TEST_DATABASE_URL=postgresql+psycopg://...")
    server = make_url(PG_URL)
    admin = sa.create_engine(server.set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    name = f"idp_mig_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def app(empty_database, tmp_path):
    from idp import create_app

    application = create_app({
        "TESTING": True,
        "IDP_DATABASE_URL": empty_database,
        "IDP_AUTO_BOOTSTRAP": "0",
        "IDP_MASTER_KEY": MASTER_KEY,
        "IDP_KEYS_DIR": str(tmp_path / "keys"),
        "IDP_INSTANCE_DIR": str(tmp_path / "instance"),
    })
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session(app):
    """A session on a database migrated to head."""
    flask_migrate.upgrade(directory=app.extensions["migrate"].directory)
    with Session(db.engine) as session:
        yield session


def upgrade(app, revision: str = "head") -> None:
    flask_migrate.upgrade(directory=app.extensions["migrate"].directory, revision=revision)


def downgrade(app, revision: str = "base") -> None:
    flask_migrate.downgrade(directory=app.extensions["migrate"].directory, revision=revision)


def pending_changes() -> list:
    """What autogenerate would still put in a new migration (nothing, if they agree)."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def test_head_matches_models_and_round_trips(app):
    upgrade(app)
    assert table_names() == set(db.metadata.tables) | {"alembic_version"}
    assert pending_changes() == []

    downgrade(app)
    assert table_names() == {"alembic_version"}
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:
            leftover = connection.execute(
                sa.text("SELECT count(*) FROM pg_proc WHERE proname = 'audit_events_append_only'")
            ).scalar()
        assert leftover == 0

    upgrade(app)
    assert pending_changes() == []


def test_sqlite_foreign_keys_stay_enforced_after_migrating(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    upgrade(app)
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


# --- constraints, on a migrated database -------------------------------------


def add_accounts(session: Session) -> None:
    session.add_all([Account(id=ACCOUNT_A, is_default=True), Account(id=ACCOUNT_B)])
    session.commit()


def make_user(account_id: str, name: str) -> User:
    return User(
        account_id=account_id,
        name=name,
        user_id=f"AIDA{uuid.uuid4().hex[:17].upper()}",
        arn=f"arn:aws:iam::{account_id}:user/{name}/{uuid.uuid4().hex[:6]}",
    )


def make_role(account_id: str, name: str, **columns) -> Role:
    return Role(
        account_id=account_id,
        name=name,
        role_id=f"AROA{uuid.uuid4().hex[:17].upper()}",
        arn=f"arn:aws:iam::{account_id}:role/{name}",
        trust_policy='{"Version": "2012-10-17", "Statement": []}',
        **columns,
    )


def assert_refused(session: Session, statement=None, *objects) -> None:
    """The database refuses the write with an IntegrityError; the session is rolled back."""
    with pytest.raises(IntegrityError):
        if statement is not None:
            session.execute(statement)
        session.add_all(objects)
        session.flush()
    session.rollback()


def test_user_names_are_unique_per_account_regardless_of_case(session):
    add_accounts(session)
    session.add(make_user(ACCOUNT_A, "Alice"))
    session.commit()

    assert_refused(session, None, make_user(ACCOUNT_A, "alice"))
    # The CHECK keeps writes that bypass the ORM's name_lower honest.
    assert_refused(
        session,
        sa.insert(User).values(
            account_id=ACCOUNT_A, name="Bob", name_lower="bobby", path="/",
            user_id="AIDAXXXXXXXXXXXXXXXXX", arn="arn:aws:iam::111111111111:user/Bob", tags=[],
            email_verified=False, created_at=datetime.now(timezone.utc),
        ),
    )

    session.add(make_user(ACCOUNT_B, "ALICE"))
    session.commit()
    names = session.scalars(sa.select(User.name).order_by(User.account_id)).all()
    assert names == ["Alice", "ALICE"]


def test_role_max_session_duration_is_checked(session):
    add_accounts(session)
    assert_refused(session, None, make_role(ACCOUNT_A, "TooShort", max_session_duration=100))
    assert_refused(session, None, make_role(ACCOUNT_A, "TooLong", max_session_duration=43201))
    session.add(make_role(ACCOUNT_A, "Ok", max_session_duration=43200))
    session.commit()


def test_account_id_is_twelve_digits(session):
    assert_refused(session, None, Account(id="12345678901"))
    assert_refused(session, None, Account(id="12345678901x"))
    assert_refused(session, None, Account(id="123456789012", alias="123456"))  # alias all digits
    session.add(Account(id="123456789012", alias="corp-prod"))
    session.commit()


def test_access_key_status_is_checked(session):
    add_accounts(session)
    key = AccessKey(access_key_id="AKIAAAAAAAAAAAAAAAAA", account_id=ACCOUNT_A, secret_encrypted=b"x")
    assert_refused(session, None, AccessKey(
        access_key_id="AKIABBBBBBBBBBBBBBBB", account_id=ACCOUNT_A, secret_encrypted=b"x", status="Revoked",
    ))
    session.add(key)
    session.commit()
    assert key.status == "Active"


def test_foreign_keys_cascade_and_refuse(session):
    add_accounts(session)
    policy = ManagedPolicy(
        account_id=ACCOUNT_A, name="ReadOnly", policy_id="ANPAAAAAAAAAAAAAAAAAA",
        arn="arn:aws:iam::111111111111:policy/ReadOnly",
        versions=[PolicyVersion(version_id="v1", document="{}", is_default=True)],
    )
    user = make_user(ACCOUNT_A, "carol")
    user.inline_policies.append(UserInlinePolicy(name="inline", document="{}"))
    user.attached_policies.append(policy)
    session.add_all([policy, user])
    session.commit()

    # An attached policy cannot be deleted out from under its user.
    assert_refused(session, sa.delete(ManagedPolicy).where(ManagedPolicy.id == policy.id))
    # A user takes its inline policies and attachments with it.
    session.execute(sa.delete(User).where(User.id == user.id))
    session.commit()
    assert session.scalar(sa.select(sa.func.count()).select_from(UserInlinePolicy)) == 0
    # Deleting an account removes everything it owns.
    session.execute(sa.delete(Account).where(Account.id == ACCOUNT_A))
    session.commit()
    assert session.scalar(sa.select(sa.func.count()).select_from(PolicyVersion)) == 0


def test_audit_events_are_append_only(session):
    session.add(AuditEvent(action="iam:CreateUser", account_id=ACCOUNT_A, decision="Allow"))
    session.commit()

    assert_refused(session, sa.update(AuditEvent).values(decision="Deny"))
    assert_refused(session, sa.delete(AuditEvent))
    assert session.scalars(sa.select(AuditEvent.decision)).all() == ["Allow"]


def test_timestamps_read_back_as_aware_utc(session):
    add_accounts(session)
    expires = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    session.add(make_role(ACCOUNT_A, "Clock", last_used_at=expires))
    session.commit()
    session.expire_all()
    role = session.scalars(sa.select(Role).where(Role.name == "Clock")).one()
    assert role.last_used_at == expires
    assert role.last_used_at.tzinfo == timezone.utc
    assert role.created_at.tzinfo == timezone.utc
