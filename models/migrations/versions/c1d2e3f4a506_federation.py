"""Federation: which group memberships of a federated identity its upstream's mapping manages.

Revision ID: c1d2e3f4a506
Revises: c1d2e3f4a505
Create Date: 2026-12-01 20:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1d2e3f4a506'
down_revision = 'c1d2e3f4a505'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('federated_identities') as batch:
        batch.add_column(sa.Column('managed_groups', sa.JSON(), nullable=False, server_default='[]'))


def downgrade():
    with op.batch_alter_table('federated_identities') as batch:
        batch.drop_column('managed_groups')
