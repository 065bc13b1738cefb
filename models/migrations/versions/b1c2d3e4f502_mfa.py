"""Browser MFA (TOTP, passkeys, recovery codes): no schema change.

The initial schema already holds everything browser MFA needs: `mfa_devices`
(virtual TOTP devices and WebAuthn credentials, with `credential_id` unique)
and `recovery_codes`; passkey challenges are made single-use through
`used_jtis`. The revision exists so the chain A -> B -> C stays fixed.

Revision ID: b1c2d3e4f502
Revises: b1c2d3e4f501
Create Date: 2026-12-01 19:45:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'b1c2d3e4f502'
down_revision = 'b1c2d3e4f501'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
