"""Leases: one instance runs scheduled housekeeping and key rotation.

Revision ID: f1a2b3c4d512
Revises: f1a2b3c4d511
Create Date: 2026-12-07 18:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'f1a2b3c4d512'
down_revision = 'f1a2b3c4d511'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
