"""User profile attributes (OIDC standard claims).

Revision ID: a2b3c4d5e603
Revises: a2b3c4d5e602
Create Date: 2026-12-07 23:00:00

"""
import sqlalchemy as sa
from alembic import op

import models.columns

# revision identifiers, used by Alembic.
revision = 'a2b3c4d5e603'
down_revision = 'a2b3c4d5e602'
branch_labels = None
depends_on = None

COLUMNS = ('given_name', 'family_name', 'locale', 'zoneinfo', 'phone_number',
           'phone_number_verified', 'picture', 'profile_updated_at')


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch:
        batch.add_column(sa.Column('given_name', sa.String(length=255), nullable=True))
        batch.add_column(sa.Column('family_name', sa.String(length=255), nullable=True))
        batch.add_column(sa.Column('locale', sa.String(length=35), nullable=True))
        batch.add_column(sa.Column('zoneinfo', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('phone_number', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('phone_number_verified', sa.Boolean(), server_default=sa.false(),
                                   nullable=False))
        batch.add_column(sa.Column('picture', sa.String(length=2048), nullable=True))
        batch.add_column(sa.Column('profile_updated_at', models.columns.UtcDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
