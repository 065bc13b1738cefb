"""Leases: one instance runs scheduled housekeeping and key rotation.

Revision ID: f1a2b3c4d512
Revises: f1a2b3c4d511
Create Date: 2026-12-07 18:00:00

"""
from alembic import op
import sqlalchemy as sa

import models.columns


# revision identifiers, used by Alembic.
revision = 'f1a2b3c4d512'
down_revision = 'f1a2b3c4d511'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'leases',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('holder', sa.String(length=128), nullable=False),
        sa.Column('acquired_at', models.columns.UtcDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', models.columns.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_leases')),
    )


def downgrade():
    op.drop_table('leases')
