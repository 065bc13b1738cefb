"""Access analyzer: analyzers, their findings, and registered resource policies.

Revision ID: b1c2d3e4f504
Revises: b1c2d3e4f501
Create Date: 2026-12-01 20:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b1c2d3e4f504'
down_revision = 'b1c2d3e4f501'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('analyzers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('arn', sa.String(length=2048), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('unused_access_age', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_resource_analyzed', sa.String(length=2048), nullable=True),
    sa.Column('last_resource_analyzed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("type IN ('ACCOUNT', 'ACCOUNT_UNUSED_ACCESS')", name=op.f('ck_analyzers_type')),
    sa.CheckConstraint('length(name) BETWEEN 1 AND 255', name=op.f('ck_analyzers_name_length')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_analyzers_account_id_accounts'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analyzers')),
    sa.UniqueConstraint('account_id', 'name', name=op.f('uq_analyzers_account_id_name')),
    sa.UniqueConstraint('arn', name=op.f('uq_analyzers_arn'))
    )
    op.create_table('registered_resource_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('resource_arn', sa.String(length=2048), nullable=False),
    sa.Column('resource_type', sa.String(length=64), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                            name=op.f('fk_registered_resource_policies_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registered_resource_policies')),
    sa.UniqueConstraint('account_id', 'resource_arn',
                        name=op.f('uq_registered_resource_policies_account_id_resource_arn'))
    )
    op.create_table('analyzer_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.String(length=36), nullable=False),
    sa.Column('analyzer_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('finding_type', sa.String(length=64), nullable=False),
    sa.Column('resource', sa.String(length=2048), nullable=False),
    sa.Column('resource_type', sa.String(length=64), nullable=False),
    sa.Column('resource_owner_account', sa.String(length=12), nullable=False),
    sa.Column('principal', sa.JSON(), nullable=True),
    sa.Column('action', sa.JSON(), nullable=True),
    sa.Column('condition', sa.JSON(), nullable=False),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('statement_index', sa.Integer(), nullable=True),
    sa.Column('statement_id', sa.String(length=256), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('analyzed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('ACTIVE', 'ARCHIVED', 'RESOLVED')", name=op.f('ck_analyzer_findings_status')),
    sa.ForeignKeyConstraint(['analyzer_id'], ['analyzers.id'], name=op.f('fk_analyzer_findings_analyzer_id_analyzers'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analyzer_findings')),
    sa.UniqueConstraint('analyzer_id', 'fingerprint', name=op.f('uq_analyzer_findings_analyzer_id_fingerprint')),
    sa.UniqueConstraint('finding_id', name=op.f('uq_analyzer_findings_finding_id'))
    )


def downgrade():
    op.drop_table('analyzer_findings')
    op.drop_table('registered_resource_policies')
    op.drop_table('analyzers')
