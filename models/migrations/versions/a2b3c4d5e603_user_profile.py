"""User profile attributes (OIDC standard claims).

Revision ID: a2b3c4d5e603
Revises: a2b3c4d5e602
Create Date: 2026-12-07 23:00:00

"""
from alembic import op
import sqlalchemy as sa

import models.columns


# revision identifiers, used by Alembic.
revision = 'a2b3c4d5e603'
down_revision = 'a2b3c4d5e602'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
