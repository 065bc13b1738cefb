"""Organizations: the organization, its roots and OUs, service and resource control policies and their targets.

Revision ID: a2b3c4d5e601
Revises: f1a2b3c4d512
Create Date: 2026-12-07 23:00:00

"""
from alembic import op
import sqlalchemy as sa

import models.columns


# revision identifiers, used by Alembic.
revision = 'a2b3c4d5e601'
down_revision = 'f1a2b3c4d512'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'organizations',
        sa.Column('id', sa.String(length=34), nullable=False),
        sa.Column('management_account_id', sa.String(length=12), nullable=False),
        sa.Column('feature_set', sa.String(length=16), nullable=False),
        sa.Column('created_at', models.columns.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['management_account_id'], ['accounts.id'],
                                name=op.f('fk_organizations_management_account_id_accounts'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organizations')),
        sa.UniqueConstraint('management_account_id', name=op.f('uq_organizations_management_account_id')),
    )
    op.create_table(
        'organization_units',
        sa.Column('id', sa.String(length=68), nullable=False),
        sa.Column('organization_id', sa.String(length=34), nullable=False),
        sa.Column('parent_id', sa.String(length=68), nullable=True),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('policy_types', sa.JSON(), nullable=True),
        sa.Column('created_at', models.columns.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_organization_units_organization_id_organizations'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['parent_id'], ['organization_units.id'],
                                name=op.f('fk_organization_units_parent_id_organization_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organization_units')),
        sa.UniqueConstraint('parent_id', 'name', name=op.f('uq_organization_units_parent_id_name')),
    )
    op.create_index(op.f('ix_organization_units_organization_id'), 'organization_units', ['organization_id'])
    op.create_index(op.f('ix_organization_units_parent_id'), 'organization_units', ['parent_id'])
    op.create_table(
        'organization_accounts',
        sa.Column('account_id', sa.String(length=12), nullable=False),
        sa.Column('organization_id', sa.String(length=34), nullable=False),
        sa.Column('parent_id', sa.String(length=68), nullable=False),
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.Column('email', sa.String(length=64), nullable=False),
        sa.Column('joined_method', sa.String(length=8), nullable=False),
        sa.Column('create_request_id', sa.String(length=64), nullable=True),
        sa.Column('joined_at', models.columns.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("joined_method IN ('INVITED', 'CREATED')",
                           name=op.f('ck_organization_accounts_joined_method')),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                                name=op.f('fk_organization_accounts_account_id_accounts'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_organization_accounts_organization_id_organizations'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['parent_id'], ['organization_units.id'],
                                name=op.f('fk_organization_accounts_parent_id_organization_units')),
        sa.PrimaryKeyConstraint('account_id', name=op.f('pk_organization_accounts')),
        sa.UniqueConstraint('create_request_id', name=op.f('uq_organization_accounts_create_request_id')),
        sa.UniqueConstraint('email', name=op.f('uq_organization_accounts_email')),
    )
    op.create_index(op.f('ix_organization_accounts_organization_id'), 'organization_accounts', ['organization_id'])
    op.create_index(op.f('ix_organization_accounts_parent_id'), 'organization_accounts', ['parent_id'])
    op.create_table(
        'organization_policies',
        sa.Column('id', sa.String(length=130), nullable=False),
        sa.Column('organization_id', sa.String(length=34), nullable=False),
        sa.Column('type', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('description', sa.String(length=512), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('created_at', models.columns.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("type IN ('SERVICE_CONTROL_POLICY', 'RESOURCE_CONTROL_POLICY')",
                           name=op.f('ck_organization_policies_type')),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_organization_policies_organization_id_organizations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organization_policies')),
        sa.UniqueConstraint('organization_id', 'name', name=op.f('uq_organization_policies_organization_id_name')),
    )
    op.create_index(op.f('ix_organization_policies_organization_id'), 'organization_policies', ['organization_id'])
    op.create_table(
        'organization_policy_attachments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.String(length=34), nullable=False),
        sa.Column('policy_id', sa.String(length=130), nullable=False),
        sa.Column('target_id', sa.String(length=100), nullable=False),
        sa.Column('created_at', models.columns.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_organization_policy_attachments_organization_id_organizations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organization_policy_attachments')),
        sa.UniqueConstraint('policy_id', 'target_id',
                            name=op.f('uq_organization_policy_attachments_policy_id_target_id')),
    )
    op.create_index(op.f('ix_organization_policy_attachments_organization_id'),
                    'organization_policy_attachments', ['organization_id'])
    op.create_index(op.f('ix_organization_policy_attachments_target_id'),
                    'organization_policy_attachments', ['target_id'])


def downgrade():
    op.drop_table('organization_policy_attachments')
    op.drop_table('organization_policies')
    op.drop_table('organization_accounts')
    op.drop_table('organization_units')
    op.drop_table('organizations')
