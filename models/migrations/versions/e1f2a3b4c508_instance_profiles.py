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
    pass


def downgrade():
    pass
