"""Credential report and last-accessed data.

Revision ID: a2b3c4d5e602
Revises: a2b3c4d5e601
Create Date: 2026-12-07 23:00:00

"""
from alembic import op
import sqlalchemy as sa

import models.columns


# revision identifiers, used by Alembic.
revision = 'a2b3c4d5e602'
down_revision = 'a2b3c4d5e601'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'credential_reports',
        sa.Column('account_id', sa.String(length=12), nullable=False),
        sa.Column('generated_at', models.columns.UtcDateTime(timezone=True), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_credential_reports_account_id_accounts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('account_id', name=op.f('pk_credential_reports')),
    )
    op.create_table(
        'access_report_jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job_id', sa.String(length=64), nullable=False),
        sa.Column('account_id', sa.String(length=12), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('subject', sa.String(length=2048), nullable=False),
        sa.Column('parameters', sa.JSON(), nullable=False),
        sa.Column('created_at', models.columns.UtcDateTime(timezone=True), nullable=False),
        sa.Column('completed_at', models.columns.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('service-last-accessed', 'policy-generation')",
                           name=op.f('ck_access_report_jobs_kind')),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_access_report_jobs_account_id_accounts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_access_report_jobs')),
        sa.UniqueConstraint('job_id', name=op.f('uq_access_report_jobs_job_id')),
    )
    op.create_index('ix_access_report_jobs_account_kind', 'access_report_jobs', ['account_id', 'kind', 'created_at'],
                    unique=False)


def downgrade():
    op.drop_index('ix_access_report_jobs_account_kind', table_name='access_report_jobs')
    op.drop_table('access_report_jobs')
    op.drop_table('credential_reports')
