"""Signing certificates, server certificates and SSH public keys.

Revision ID: e1f2a3b4c509
Revises: e1f2a3b4c508
Create Date: 2026-12-07 17:30:00

"""
from alembic import op
import sqlalchemy as sa

import models.columns


# revision identifiers, used by Alembic.
revision = 'e1f2a3b4c509'
down_revision = 'e1f2a3b4c508'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'signing_certificates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.String(length=12), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('certificate_id', sa.String(length=128), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('created_at', models.columns.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('Active', 'Inactive')", name=op.f('ck_signing_certificates_status')),
        sa.CheckConstraint('length(certificate_id) BETWEEN 24 AND 128',
                           name=op.f('ck_signing_certificates_certificate_id_length')),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                                name=op.f('fk_signing_certificates_account_id_accounts'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_signing_certificates_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_certificates')),
        sa.UniqueConstraint('account_id', 'certificate_id',
                            name=op.f('uq_signing_certificates_account_id_certificate_id')),
    )
    with op.batch_alter_table('signing_certificates') as batch:
        batch.create_index(batch.f('ix_signing_certificates_account_id'), ['account_id'], unique=False)
        batch.create_index(batch.f('ix_signing_certificates_user_id'), ['user_id'], unique=False)

    op.create_table(
        'ssh_public_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.String(length=12), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('ssh_public_key_id', sa.String(length=128), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('created_at', models.columns.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('Active', 'Inactive')", name=op.f('ck_ssh_public_keys_status')),
        sa.CheckConstraint('length(ssh_public_key_id) BETWEEN 20 AND 128',
                           name=op.f('ck_ssh_public_keys_ssh_public_key_id_length')),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                                name=op.f('fk_ssh_public_keys_account_id_accounts'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_ssh_public_keys_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ssh_public_keys')),
        sa.UniqueConstraint('ssh_public_key_id', name=op.f('uq_ssh_public_keys_ssh_public_key_id')),
        sa.UniqueConstraint('user_id', 'fingerprint', name=op.f('uq_ssh_public_keys_user_id_fingerprint')),
    )
    with op.batch_alter_table('ssh_public_keys') as batch:
        batch.create_index(batch.f('ix_ssh_public_keys_account_id'), ['account_id'], unique=False)

    op.create_table(
        'server_certificates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.String(length=12), nullable=False),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('name_lower', sa.String(length=128), nullable=False),
        sa.Column('path', sa.String(length=512), nullable=False),
        sa.Column('arn', sa.String(length=2048), nullable=False),
        sa.Column('server_certificate_id', sa.String(length=32), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('chain', sa.Text(), nullable=True),
        sa.Column('private_key_encrypted', sa.LargeBinary(), nullable=False),
        sa.Column('expiration', models.columns.UtcDateTime(timezone=True), nullable=True),
        sa.Column('tags', sa.JSON(), nullable=False),
        sa.Column('created_at', models.columns.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint('length(name) BETWEEN 1 AND 128', name=op.f('ck_server_certificates_name_length')),
        sa.CheckConstraint('length(path) BETWEEN 1 AND 512', name=op.f('ck_server_certificates_path_length')),
        sa.CheckConstraint('name_lower = lower(name)', name=op.f('ck_server_certificates_name_lower')),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                                name=op.f('fk_server_certificates_account_id_accounts'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_server_certificates')),
        sa.UniqueConstraint('account_id', 'name_lower', name=op.f('uq_server_certificates_account_id_name_lower')),
        sa.UniqueConstraint('arn', name=op.f('uq_server_certificates_arn')),
        sa.UniqueConstraint('server_certificate_id', name=op.f('uq_server_certificates_server_certificate_id')),
    )


def downgrade():
    op.drop_table('server_certificates')
    with op.batch_alter_table('ssh_public_keys') as batch:
        batch.drop_index(batch.f('ix_ssh_public_keys_account_id'))
    op.drop_table('ssh_public_keys')
    with op.batch_alter_table('signing_certificates') as batch:
        batch.drop_index(batch.f('ix_signing_certificates_user_id'))
        batch.drop_index(batch.f('ix_signing_certificates_account_id'))
    op.drop_table('signing_certificates')
