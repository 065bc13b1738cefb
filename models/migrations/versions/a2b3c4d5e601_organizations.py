"""Organizations: the organization, its roots and OUs, service and resource control policies and their targets.

Revision ID: a2b3c4d5e601
Revises: f1a2b3c4d512
Create Date: 2026-12-07 23:00:00

"""
from alembic import op
import sqlalchemy as sa

import models.columns


# revision identifiers, used by Alembic.
revision = 'a2b3c4d5e601'
down_revision = 'f1a2b3c4d512'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
