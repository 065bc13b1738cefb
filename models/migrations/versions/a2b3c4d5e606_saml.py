"""SAML: IAM SAML providers, SAML upstream state (requests made, assertion replay cache).

Revision ID: a2b3c4d5e606
Revises: a2b3c4d5e605
Create Date: 2026-12-07 23:00:00

"""
from alembic import op
import sqlalchemy as sa

import models.columns


# revision identifiers, used by Alembic.
revision = 'a2b3c4d5e606'
down_revision = 'a2b3c4d5e605'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
