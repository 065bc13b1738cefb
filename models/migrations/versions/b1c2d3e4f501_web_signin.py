"""Browser sign-in: throttling counters for failed sign-ins.

Revision ID: b1c2d3e4f501
Revises: 2a18fe949741
Create Date: 2026-12-01 19:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b1c2d3e4f501'
down_revision = '2a18fe949741'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('signin_throttles',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('failures >= 0', name=op.f('ck_signin_throttles_failures_non_negative')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_signin_throttles'))
    )


def downgrade():
    op.drop_table('signin_throttles')
