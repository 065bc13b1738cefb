"""Instance profiles and service-linked roles.

Revision ID: e1f2a3b4c508
Revises: d1e2f3a4b507
Create Date: 2026-12-07 17:30:00

"""
from alembic import op
import sqlalchemy as sa

import models.columns


# revision identifiers, used by Alembic.
revision = 'e1f2a3b4c508'
down_revision = 'd1e2f3a4b507'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'instance_profiles',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.String(length=12), nullable=False),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('name_lower', sa.String(length=128), nullable=False),
        sa.Column('path', sa.String(length=512), nullable=False),
        sa.Column('arn', sa.String(length=2048), nullable=False),
        sa.Column('instance_profile_id', sa.String(length=32), nullable=False),
        sa.Column('tags', sa.JSON(), nullable=False),
        sa.Column('role_id', sa.Integer(), nullable=True),
        sa.Column('created_at', models.columns.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint('length(name) BETWEEN 1 AND 128', name=op.f('ck_instance_profiles_name_length')),
        sa.CheckConstraint('length(path) BETWEEN 1 AND 512', name=op.f('ck_instance_profiles_path_length')),
        sa.CheckConstraint('name_lower = lower(name)', name=op.f('ck_instance_profiles_name_lower')),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_instance_profiles_account_id_accounts'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['role_id'], ['roles.id'], name=op.f('fk_instance_profiles_role_id_roles')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_instance_profiles')),
        sa.UniqueConstraint('account_id', 'name_lower', name=op.f('uq_instance_profiles_account_id_name_lower')),
        sa.UniqueConstraint('arn', name=op.f('uq_instance_profiles_arn')),
        sa.UniqueConstraint('instance_profile_id', name=op.f('uq_instance_profiles_instance_profile_id')),
    )
    with op.batch_alter_table('instance_profiles') as batch:
        batch.create_index(batch.f('ix_instance_profiles_role_id'), ['role_id'], unique=False)
    op.create_table(
        'service_linked_role_deletions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.String(length=12), nullable=False),
        sa.Column('task_id', sa.String(length=1000), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('created_at', models.columns.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('SUCCEEDED', 'IN_PROGRESS', 'FAILED', 'NOT_STARTED')",
                           name=op.f('ck_service_linked_role_deletions_status')),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                                name=op.f('fk_service_linked_role_deletions_account_id_accounts'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_service_linked_role_deletions')),
        sa.UniqueConstraint('task_id', name=op.f('uq_service_linked_role_deletions_task_id')),
    )
    with op.batch_alter_table('service_linked_role_deletions') as batch:
        batch.create_index(batch.f('ix_service_linked_role_deletions_account_id'), ['account_id'], unique=False)


def downgrade():
    with op.batch_alter_table('service_linked_role_deletions') as batch:
        batch.drop_index(batch.f('ix_service_linked_role_deletions_account_id'))
    op.drop_table('service_linked_role_deletions')
    with op.batch_alter_table('instance_profiles') as batch:
        batch.drop_index(batch.f('ix_instance_profiles_role_id'))
    op.drop_table('instance_profiles')
