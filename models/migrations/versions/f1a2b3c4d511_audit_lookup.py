"""Audit lookup (CloudTrail LookupEvents) indexes and retention.

Revision ID: f1a2b3c4d511
Revises: e1f2a3b4c509
Create Date: 2026-12-07 18:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'f1a2b3c4d511'
down_revision = 'e1f2a3b4c509'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
