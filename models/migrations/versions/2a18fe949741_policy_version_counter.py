"""Policy version counter: AWS never reuses a policy's version ids, even after deletion.

Revision ID: 2a18fe949741
Revises: 0dab38c4e596
Create Date: 2026-11-29 10:49:05.283834

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2a18fe949741'
down_revision = '0dab38c4e596'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('managed_policies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_version_number', sa.Integer(), server_default='1', nullable=False))
    # Existing policies continue after the highest version they still hold.
    op.execute(
        "UPDATE managed_policies SET last_version_number = COALESCE(("
        "SELECT MAX(CAST(SUBSTR(version_id, 2) AS INTEGER)) FROM policy_versions "
        "WHERE policy_versions.policy_id = managed_policies.id), 1)"
    )


def downgrade():
    with op.batch_alter_table('managed_policies', schema=None) as batch_op:
        batch_op.drop_column('last_version_number')

