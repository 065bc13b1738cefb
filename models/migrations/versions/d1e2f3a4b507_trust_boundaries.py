"""Trust boundaries: registered APIs (RFC 8707), resource indicators on grants, multi-account clients.

Revision ID: d1e2f3a4b507
Revises: c1d2e3f4a506
Create Date: 2026-12-07 02:40:00

"""
from alembic import op
import sqlalchemy as sa

import models.columns


# revision identifiers, used by Alembic.
revision = 'd1e2f3a4b507'
down_revision = 'c1d2e3f4a506'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'api_resources',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.String(length=12), nullable=False),
        sa.Column('identifier', sa.String(length=2048), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('scopes', sa.JSON(), nullable=False),
        sa.Column('created_at', models.columns.UtcDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', models.columns.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_api_resources_account_id_accounts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_resources')),
        sa.UniqueConstraint('identifier', name=op.f('uq_api_resources_identifier')),
    )
    with op.batch_alter_table('api_resources') as batch:
        batch.create_index(batch.f('ix_api_resources_account_id'), ['account_id'], unique=False)
    with op.batch_alter_table('oauth_clients') as batch:
        batch.add_column(sa.Column('admitted_accounts', sa.JSON(), nullable=True))
    for table in ('authorization_codes', 'refresh_token_families', 'device_authorizations'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('resources', sa.JSON(), nullable=False, server_default='[]'))


def downgrade():
    for table in ('device_authorizations', 'refresh_token_families', 'authorization_codes'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('resources')
    with op.batch_alter_table('oauth_clients') as batch:
        batch.drop_column('admitted_accounts')
    with op.batch_alter_table('api_resources') as batch:
        batch.drop_index(batch.f('ix_api_resources_account_id'))
    op.drop_table('api_resources')
