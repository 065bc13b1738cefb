"""Test databases: migrated once per worker, emptied for every test."""
from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


def migrate(url: str, workdir: Path) -> None:
    """Run the Alembic migrations to head on `url`, as `make run` does."""
    import flask_migrate

    from idp import create_app

    app = create_app({
        "IDP_DATABASE_URL": url, "IDP_AUTO_BOOTSTRAP": "0", "IDP_KEYS_DIR": str(workdir / "keys"),
        "IDP_INSTANCE_DIR": str(workdir), "IDP_MASTER_KEY": "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=",
    })
    with app.app_context():
        flask_migrate.upgrade(directory=app.extensions["migrate"].directory)
        from models import db

        db.engine.dispose()


class SqliteTemplate:
    """A migrated SQLite file, copied for each test."""

    def __init__(self, directory: Path):
        self.template = directory / "template.db"
        migrate(f"sqlite:///{self.template}", directory)

    def fresh(self, tmp_path: Path) -> str:
        target = tmp_path / "idp.db"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"

    def drop(self) -> None:
        self.template.unlink(missing_ok=True)


class PostgresDatabase:
    """A PostgreSQL database of this worker's own, truncated before each test."""

    def __init__(self, server_url: str, directory: Path, worker_id: str):
        base = make_url(server_url)
        self.admin = sa.create_engine(base.set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT")
        self.name = f"idp_test_{worker_id}_{uuid.uuid4().hex[:8]}"
        try:
            with self.admin.connect() as connection:
                connection.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        except sa.exc.OperationalError as exc:
            pytest.exit(f"IDP_TEST_DATABASE_URL is set but PostgreSQL is unreachable: {exc.orig}", returncode=3)
        self.url = base.set(database=self.name).render_as_string(hide_password=False)
        migrate(self.url, directory)
        self.engine = sa.create_engine(self.url, poolclass=NullPool)
        with self.engine.connect() as connection:
            tables = connection.execute(sa.text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )).scalars().all()
            owned = connection.execute(sa.text(
                "SELECT s.relname, t.relname FROM pg_class s JOIN pg_depend d ON d.objid = s.oid "
                "JOIN pg_class t ON d.refobjid = t.oid WHERE s.relkind = 'S' AND d.deptype IN ('a', 'i')"
            )).all()
        self.sequence_tables = {sequence: table for sequence, table in owned}
        # Truncating every table costs far more than the test it prepares; only the tables a test wrote (rows
        # left, or a sequence drawn from) are emptied, and their sequences restarted. TRUNCATE, not DELETE: a
        # fresh heap keeps rows in the order they are written, as the tests that read without ORDER BY expect.
        self.used = sa.text(
            " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
            + " UNION ALL SELECT sequencename::text FROM pg_sequences WHERE schemaname = 'public'"
            " AND last_value IS NOT NULL"
        )

    def fresh(self, tmp_path: Path) -> str:
        with self.engine.begin() as connection:
            names = connection.execute(self.used).scalars().all()
            written = sorted({self.sequence_tables.get(name, name) for name in names})
            if written:
                connection.execute(sa.text(
                    "TRUNCATE " + ", ".join(f'"{t}"' for t in written) + " RESTART IDENTITY CASCADE"
                ))
        return self.url

    def drop(self) -> None:
        self.engine.dispose()
        with self.admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


TestDatabase = SqliteTemplate | PostgresDatabase


def make_test_database(pg_url: str | None, directory: Path, worker_id: str) -> TestDatabase:
    """PostgreSQL when IDP_TEST_DATABASE_URL is set, else SQLite."""
    if pg_url:
        return PostgresDatabase(pg_url, directory, worker_id)
    return SqliteTemplate(directory)
