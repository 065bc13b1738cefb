"""SAML: IAM SAML providers (assertion ids go to the shared used_jtis replay table; AuthnRequest ids live in the browser session).

Revision ID: a2b3c4d5e606
Revises: a2b3c4d5e604
Create Date: 2026-12-07 23:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a2b3c4d5e606'
down_revision = 'a2b3c4d5e604'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('saml_providers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('arn', sa.String(length=2048), nullable=False),
    sa.Column('metadata_document', sa.Text(), nullable=False),
    sa.Column('idp_entity_id', sa.String(length=1024), nullable=False),
    sa.Column('certificates', sa.JSON(), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_saml_providers_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saml_providers')),
    sa.UniqueConstraint('account_id', 'name', name=op.f('uq_saml_providers_account_id_name')),
    sa.UniqueConstraint('arn', name=op.f('uq_saml_providers_arn'))
    )


def downgrade():
    op.drop_table('saml_providers')
