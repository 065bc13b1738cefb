"""User life cycle: the mail outbox, single-use links (verification, recovery, invitation), account self-service settings.

Revision ID: a2b3c4d5e604
Revises: a2b3c4d5e603
Create Date: 2026-12-07 23:00:00

"""
from alembic import op
import sqlalchemy as sa

import models.columns


# revision identifiers, used by Alembic.
revision = 'a2b3c4d5e604'
down_revision = 'a2b3c4d5e603'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'mail_outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.String(length=12), nullable=True),
        sa.Column('recipient', sa.String(length=320), nullable=False),
        sa.Column('sender_name', sa.String(length=128), nullable=True),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('text_body', sa.Text(), nullable=False),
        sa.Column('html_body', sa.Text(), nullable=True),
        sa.Column('dedupe_key', sa.String(length=128), nullable=True),
        sa.Column('created_at', models.columns.UtcDateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', models.columns.UtcDateTime(timezone=True), nullable=False),
        sa.Column('claimed_until', models.columns.UtcDateTime(timezone=True), nullable=True),
        sa.Column('sent_at', models.columns.UtcDateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.String(length=1024), nullable=True),
        sa.CheckConstraint('attempts >= 0', name=op.f('ck_mail_outbox_attempts_non_negative')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_outbox')),
        sa.UniqueConstraint('dedupe_key', name=op.f('uq_mail_outbox_dedupe_key')),
    )
    op.create_index(op.f('ix_mail_outbox_account_id'), 'mail_outbox', ['account_id'], unique=False)
    op.create_index(op.f('ix_mail_outbox_next_attempt_at'), 'mail_outbox', ['next_attempt_at'], unique=False)
    op.create_table(
        'lifecycle_links',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('purpose', sa.String(length=16), nullable=False),
        sa.Column('account_id', sa.String(length=12), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=320), nullable=True),
        sa.Column('created_at', models.columns.UtcDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', models.columns.UtcDateTime(timezone=True), nullable=False),
        sa.Column('used_at', models.columns.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_lifecycle_links_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_lifecycle_links')),
    )
    op.create_index(op.f('ix_lifecycle_links_expires_at'), 'lifecycle_links', ['expires_at'], unique=False)
    op.create_index(op.f('ix_lifecycle_links_user_id'), 'lifecycle_links', ['user_id'], unique=False)
    op.create_table(
        'self_registrations',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', models.columns.UtcDateTime(timezone=True), nullable=False),
        sa.Column('verified_at', models.columns.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_self_registrations_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_self_registrations')),
    )
    op.create_table(
        'account_lifecycle_settings',
        sa.Column('account_id', sa.String(length=12), nullable=False),
        sa.Column('self_registration', sa.Boolean(), nullable=False),
        sa.Column('registration_path', sa.String(length=512), nullable=False),
        sa.Column('registration_group', sa.String(length=128), nullable=True),
        sa.Column('allowed_domains', sa.JSON(), nullable=False),
        sa.Column('self_deletion', sa.Boolean(), nullable=False),
        sa.Column('sender_name', sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                                name=op.f('fk_account_lifecycle_settings_account_id_accounts'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('account_id', name=op.f('pk_account_lifecycle_settings')),
    )


def downgrade():
    op.drop_table('account_lifecycle_settings')
    op.drop_table('self_registrations')
    op.drop_index(op.f('ix_lifecycle_links_user_id'), table_name='lifecycle_links')
    op.drop_index(op.f('ix_lifecycle_links_expires_at'), table_name='lifecycle_links')
    op.drop_table('lifecycle_links')
    op.drop_index(op.f('ix_mail_outbox_next_attempt_at'), table_name='mail_outbox')
    op.drop_index(op.f('ix_mail_outbox_account_id'), table_name='mail_outbox')
    op.drop_table('mail_outbox')
