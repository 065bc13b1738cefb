"""OIDC provider, extended: `device_authorizations` (RFC 8628 requests, hashes only) and
`oauth_clients.token_exchange_policy` (the client-attached RFC 8693 policy document) and
`oauth_clients.registration_token_hash` (RFC 7592 registration access tokens, hashed).

Revision ID: c1d2e3f4a505
Revises: b1c2d3e4f504
Create Date: 2026-12-01 20:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1d2e3f4a505'
down_revision = 'b1c2d3e4f504'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('device_authorizations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_code_hash', sa.String(length=64), nullable=False),
    sa.Column('user_code_hash', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('interval', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_polled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('account_id', sa.String(length=12), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('principal_arn', sa.String(length=2048), nullable=True),
    sa.Column('browser_session_id', sa.String(length=64), nullable=True),
    sa.Column('auth_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('amr', sa.JSON(), nullable=False),
    sa.Column('acr', sa.String(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('consumed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('family_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                            name=op.f('fk_device_authorizations_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['browser_session_id'], ['browser_sessions.id_hash'],
                            name=op.f('fk_device_authorizations_browser_session_id_browser_sessions'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['client_id'], ['oauth_clients.id'],
                            name=op.f('fk_device_authorizations_client_id_oauth_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['family_id'], ['refresh_token_families.id'],
                            name=op.f('fk_device_authorizations_family_id_refresh_token_families'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_device_authorizations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_authorizations')),
    sa.UniqueConstraint('device_code_hash', name=op.f('uq_device_authorizations_device_code_hash')),
    sa.UniqueConstraint('user_code_hash', name=op.f('uq_device_authorizations_user_code_hash'))
    )
    with op.batch_alter_table('device_authorizations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_device_authorizations_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_device_authorizations_browser_session_id'), ['browser_session_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_device_authorizations_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_device_authorizations_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_device_authorizations_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('oauth_clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_exchange_policy', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('registration_token_hash', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('oauth_clients', schema=None) as batch_op:
        batch_op.drop_column('registration_token_hash')
        batch_op.drop_column('token_exchange_policy')
    op.drop_table('device_authorizations')
