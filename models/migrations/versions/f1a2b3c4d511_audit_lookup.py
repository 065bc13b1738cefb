"""Audit lookup (CloudTrail LookupEvents) indexes and retention.

Two composite indexes answer `idp.trail`'s queries (an account's events, one
principal's events, newest first); the account-only index they make redundant
goes. Retention gets `audit_purge_windows`: the append-only triggers of
`audit_events` now let a DELETE through only for rows older than the cut-off of
a purge window, which exists only inside the purging transaction (see
models/audit.py, whose SQL this repeats for `create_all`).

Revision ID: f1a2b3c4d511
Revises: e1f2a3b4c509
Create Date: 2026-12-07 18:00:00

"""
from alembic import op
import sqlalchemy as sa

import models.columns


# revision identifiers, used by Alembic.
revision = 'f1a2b3c4d511'
down_revision = 'e1f2a3b4c509'
branch_labels = None
depends_on = None

APPEND_ONLY_ERROR = "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
SQLITE_UPGRADE = [
    "DROP TRIGGER IF EXISTS audit_events_no_delete",
    f"""CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN NOT EXISTS (SELECT 1 FROM audit_purge_windows WHERE OLD.occurred_at < purge_before)
{APPEND_ONLY_ERROR}""",
    *(f"""CREATE TRIGGER audit_purge_windows_recent_{verb.lower()} BEFORE {verb} ON audit_purge_windows
WHEN NEW.purge_before > strftime('%Y-%m-%d %H:%M:%f', 'now', '-1 day')
BEGIN SELECT RAISE(ABORT, 'an audit purge window must end at least a day ago'); END""" for verb in ("INSERT", "UPDATE")),
]
SQLITE_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS audit_purge_windows_recent_insert",
    "DROP TRIGGER IF EXISTS audit_purge_windows_recent_update",
    "DROP TRIGGER IF EXISTS audit_events_no_delete",
    f"CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events\n{APPEND_ONLY_ERROR}",
]
POSTGRESQL_UPGRADE = [
    """CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM audit_purge_windows WHERE OLD.occurred_at < purge_before) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'restrict_violation';
END $$""",
    """CREATE FUNCTION audit_purge_windows_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_WHEN = 'BEFORE' AND NEW.purge_before > now() - interval '1 day' THEN
        RAISE EXCEPTION 'an audit purge window must end at least a day ago' USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_WHEN = 'AFTER' AND EXISTS (SELECT 1 FROM audit_purge_windows) THEN
        RAISE EXCEPTION 'an audit purge window must be closed before its transaction commits'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$""",
    """CREATE TRIGGER audit_purge_windows_recent BEFORE INSERT OR UPDATE ON audit_purge_windows
FOR EACH ROW EXECUTE FUNCTION audit_purge_windows_guard()""",
    """CREATE CONSTRAINT TRIGGER audit_purge_windows_closed AFTER INSERT OR UPDATE ON audit_purge_windows
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_purge_windows_guard()""",
]
POSTGRESQL_DOWNGRADE = [
    """CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'restrict_violation';
END $$""",
    "DROP TRIGGER IF EXISTS audit_purge_windows_closed ON audit_purge_windows",
    "DROP TRIGGER IF EXISTS audit_purge_windows_recent ON audit_purge_windows",
    "DROP FUNCTION IF EXISTS audit_purge_windows_guard()",
]


def _run(statements: dict[str, list[str]]) -> None:
    dialect = op.get_bind().dialect.name
    if dialect not in statements:
        raise NotImplementedError(f"no append-only triggers for {dialect}")
    for statement in statements[dialect]:
        op.execute(statement)


def upgrade():
    op.create_table(
        'audit_purge_windows',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('purge_before', models.columns.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint('id = 1', name=op.f('ck_audit_purge_windows_single')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_purge_windows')),
    )
    # Plain index operations: a batch rebuild of audit_events on SQLite would drop its triggers.
    op.drop_index('ix_audit_events_account_id', table_name='audit_events')
    op.create_index('ix_audit_events_account_time', 'audit_events', ['account_id', 'occurred_at', 'id'])
    op.create_index('ix_audit_events_account_actor_time', 'audit_events',
                    ['account_id', 'actor', 'occurred_at', 'id'])
    _run({"sqlite": SQLITE_UPGRADE, "postgresql": POSTGRESQL_UPGRADE})


def downgrade():
    _run({"sqlite": SQLITE_DOWNGRADE, "postgresql": POSTGRESQL_DOWNGRADE})
    op.drop_index('ix_audit_events_account_actor_time', table_name='audit_events')
    op.drop_index('ix_audit_events_account_time', table_name='audit_events')
    op.create_index('ix_audit_events_account_id', 'audit_events', ['account_id'])
    op.drop_table('audit_purge_windows')
