"""OpenID Connect provider: no schema change.

The initial schema already holds what the provider needs: `oauth_clients`,
`authorization_codes` (consumed, not deleted), `refresh_token_families` and
`refresh_tokens` (hashes only), `consents`, and `used_jtis` (the
`private_key_jwt` assertion replay cache and revoked access-token ids, in
separate namespaces). The revision exists so the chain A -> B -> C stays fixed.

Revision ID: b1c2d3e4f503
Revises: b1c2d3e4f502
Create Date: 2026-12-01 19:50:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'b1c2d3e4f503'
down_revision = 'b1c2d3e4f502'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
