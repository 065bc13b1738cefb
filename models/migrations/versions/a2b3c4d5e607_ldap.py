"""Upstream types: `type` (oidc, saml, ldap) and the type-specific `settings` of an upstream.

Revision ID: a2b3c4d5e607
Revises: a2b3c4d5e606
Create Date: 2026-12-07 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a2b3c4d5e607'
down_revision = 'a2b3c4d5e606'
branch_labels = None
depends_on = None


def upgrade():
    # Upstreams gain a type ("oidc" for every existing one) and the type-specific settings of SAML and LDAP.
    with op.batch_alter_table('upstream_providers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('type', sa.String(length=16), server_default='oidc', nullable=False))
        batch_op.add_column(sa.Column('settings', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('upstream_providers', schema=None) as batch_op:
        batch_op.drop_column('settings')
        batch_op.drop_column('type')
