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
    pass


def downgrade():
    pass
