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
    pass


def downgrade():
    pass
