"""initial schema

Every table of the models as of the first release, plus what autogenerate
cannot see: the triggers that make audit_events append-only (SQLite and
PostgreSQL each get their own SQL). A later batch migration that recreates
audit_events on SQLite drops these triggers and must create them again.

Revision ID: 0dab38c4e596
Revises:
Create Date: 2026-11-29 10:08:15.106794

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0dab38c4e596'
down_revision = None
branch_labels = None
depends_on = None

# Same SQL as models/audit.py (which installs it for metadata.create_all).
SQLITE_AUDIT_TRIGGERS = [
    """CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
    """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
]
POSTGRESQL_AUDIT_TRIGGERS = [
    """CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'restrict_violation';
END $$""",
    """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()""",
]


def create_audit_triggers():
    dialect = op.get_bind().dialect.name
    statements = {"sqlite": SQLITE_AUDIT_TRIGGERS, "postgresql": POSTGRESQL_AUDIT_TRIGGERS}
    if dialect not in statements:
        raise NotImplementedError(f"no append-only triggers for {dialect}")
    for statement in statements[dialect]:
        op.execute(statement)


def drop_audit_triggers():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")


def upgrade():
    op.create_table('accounts',
    sa.Column('id', sa.String(length=12), nullable=False),
    sa.Column('alias', sa.String(length=63), nullable=True),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('root_password_hash', sa.String(length=255), nullable=True),
    sa.Column('root_password_last_used', sa.DateTime(timezone=True), nullable=True),
    sa.Column('password_policy', sa.JSON(), nullable=True),
    sa.Column('authz_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("alias IS NULL OR (length(alias) BETWEEN 3 AND 63 AND NOT ltrim(alias, '0123456789') = '')", name=op.f('ck_accounts_alias_format')),
    sa.CheckConstraint("length(id) = 12 AND ltrim(id, '0123456789') = ''", name=op.f('ck_accounts_id_12_digits')),
    sa.CheckConstraint('authz_version >= 0', name=op.f('ck_accounts_authz_version_non_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('alias', name=op.f('uq_accounts_alias'))
    )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.create_index('uq_accounts_is_default', ['is_default'], unique=True, sqlite_where=sa.text('is_default'), postgresql_where=sa.text('is_default'))

    op.create_table('audit_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('account_id', sa.String(length=12), nullable=True),
    sa.Column('actor', sa.String(length=2048), nullable=True),
    sa.Column('action', sa.String(length=128), nullable=False),
    sa.Column('resource', sa.String(length=2048), nullable=True),
    sa.Column('decision', sa.String(length=16), nullable=True),
    sa.Column('source_ip', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_occurred_at'), ['occurred_at'], unique=False)
    create_audit_triggers()

    op.create_table('signing_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('alg', sa.String(length=16), nullable=False),
    sa.Column('public_jwk', sa.JSON(), nullable=True),
    sa.Column('encrypted_private', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('next', 'current', 'retired')", name=op.f('ck_signing_keys_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_keys')),
    sa.UniqueConstraint('kid', name=op.f('uq_signing_keys_kid'))
    )
    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.create_index('ix_signing_keys_purpose_status', ['purpose', 'status'], unique=False)

    op.create_table('used_jtis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=255), nullable=False),
    sa.Column('jti', sa.String(length=255), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_used_jtis')),
    sa.UniqueConstraint('issuer', 'jti', name=op.f('uq_used_jtis_issuer_jti'))
    )
    with op.batch_alter_table('used_jtis', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_used_jtis_expires_at'), ['expires_at'], unique=False)

    op.create_table('groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('name_lower', sa.String(length=128), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('group_id', sa.String(length=32), nullable=False),
    sa.Column('arn', sa.String(length=2048), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(name) BETWEEN 1 AND 128', name=op.f('ck_groups_name_length')),
    sa.CheckConstraint('length(path) BETWEEN 1 AND 512', name=op.f('ck_groups_path_length')),
    sa.CheckConstraint('name_lower = lower(name)', name=op.f('ck_groups_name_lower')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_groups_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_groups')),
    sa.UniqueConstraint('account_id', 'name_lower', name=op.f('uq_groups_account_id_name_lower')),
    sa.UniqueConstraint('arn', name=op.f('uq_groups_arn')),
    sa.UniqueConstraint('group_id', name=op.f('uq_groups_group_id'))
    )
    op.create_table('managed_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=True),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('name_lower', sa.String(length=128), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('policy_id', sa.String(length=32), nullable=False),
    sa.Column('arn', sa.String(length=2048), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=True),
    sa.Column('default_version_id', sa.String(length=16), nullable=False),
    sa.Column('is_attachable', sa.Boolean(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('length(name) BETWEEN 1 AND 128', name=op.f('ck_managed_policies_name_length')),
    sa.CheckConstraint('length(path) BETWEEN 1 AND 512', name=op.f('ck_managed_policies_path_length')),
    sa.CheckConstraint('name_lower = lower(name)', name=op.f('ck_managed_policies_name_lower')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_managed_policies_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_managed_policies')),
    sa.UniqueConstraint('account_id', 'name_lower', name=op.f('uq_managed_policies_account_id_name_lower')),
    sa.UniqueConstraint('arn', name=op.f('uq_managed_policies_arn')),
    sa.UniqueConstraint('policy_id', name=op.f('uq_managed_policies_policy_id'))
    )
    with op.batch_alter_table('managed_policies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_managed_policies_account_id'), ['account_id'], unique=False)
        batch_op.create_index('uq_managed_policies_aws_name_lower', ['name_lower'], unique=True, sqlite_where=sa.text('account_id IS NULL'), postgresql_where=sa.text('account_id IS NULL'))

    op.create_table('oauth_clients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('secret_hash', sa.String(length=255), nullable=True),
    sa.Column('redirect_uris', sa.JSON(), nullable=False),
    sa.Column('post_logout_redirect_uris', sa.JSON(), nullable=False),
    sa.Column('grant_types', sa.JSON(), nullable=False),
    sa.Column('response_types', sa.JSON(), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('token_endpoint_auth_method', sa.String(length=32), nullable=False),
    sa.Column('jwks', sa.JSON(), nullable=True),
    sa.Column('jwks_uri', sa.String(length=2048), nullable=True),
    sa.Column('id_token_signed_response_alg', sa.String(length=16), nullable=True),
    sa.Column('backchannel_logout_uri', sa.String(length=2048), nullable=True),
    sa.Column('backchannel_logout_session_required', sa.Boolean(), nullable=False),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('is_trusted', sa.Boolean(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none')", name=op.f('ck_oauth_clients_token_endpoint_auth_method')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_oauth_clients_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_clients')),
    sa.UniqueConstraint('client_id', name=op.f('uq_oauth_clients_client_id'))
    )
    with op.batch_alter_table('oauth_clients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oauth_clients_account_id'), ['account_id'], unique=False)

    op.create_table('oidc_providers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('url', sa.String(length=255), nullable=False),
    sa.Column('arn', sa.String(length=2048), nullable=False),
    sa.Column('client_ids', sa.JSON(), nullable=False),
    sa.Column('thumbprints', sa.JSON(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_oidc_providers_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_providers')),
    sa.UniqueConstraint('account_id', 'url', name=op.f('uq_oidc_providers_account_id_url')),
    sa.UniqueConstraint('arn', name=op.f('uq_oidc_providers_arn'))
    )
    op.create_table('upstream_providers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('issuer', sa.String(length=2048), nullable=False),
    sa.Column('discovery_url', sa.String(length=2048), nullable=True),
    sa.Column('authorization_endpoint', sa.String(length=2048), nullable=True),
    sa.Column('token_endpoint', sa.String(length=2048), nullable=True),
    sa.Column('userinfo_endpoint', sa.String(length=2048), nullable=True),
    sa.Column('jwks_uri', sa.String(length=2048), nullable=True),
    sa.Column('end_session_endpoint', sa.String(length=2048), nullable=True),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('client_secret_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('token_endpoint_auth_method', sa.String(length=32), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('use_pkce', sa.Boolean(), nullable=False),
    sa.Column('display_name', sa.String(length=255), nullable=True),
    sa.Column('icon_url', sa.String(length=2048), nullable=True),
    sa.Column('mappings', sa.JSON(), nullable=False),
    sa.Column('trust_email', sa.Boolean(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('length(name) BETWEEN 1 AND 64', name=op.f('ck_upstream_providers_name_length')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_upstream_providers_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_upstream_providers')),
    sa.UniqueConstraint('name', name=op.f('uq_upstream_providers_name'))
    )
    with op.batch_alter_table('upstream_providers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_upstream_providers_account_id'), ['account_id'], unique=False)

    op.create_table('group_inline_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('length(name) BETWEEN 1 AND 128', name=op.f('ck_group_inline_policies_name_length')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_group_inline_policies_group_id_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_inline_policies')),
    sa.UniqueConstraint('group_id', 'name', name=op.f('uq_group_inline_policies_group_id_name'))
    )
    op.create_table('group_policy_attachments',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_group_policy_attachments_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['policy_id'], ['managed_policies.id'], name=op.f('fk_group_policy_attachments_policy_id_managed_policies')),
    sa.PrimaryKeyConstraint('group_id', 'policy_id', name=op.f('pk_group_policy_attachments'))
    )
    with op.batch_alter_table('group_policy_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_policy_attachments_policy_id'), ['policy_id'], unique=False)

    op.create_table('policy_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.String(length=16), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['policy_id'], ['managed_policies.id'], name=op.f('fk_policy_versions_policy_id_managed_policies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_versions')),
    sa.UniqueConstraint('policy_id', 'version_id', name=op.f('uq_policy_versions_policy_id_version_id'))
    )
    op.create_table('roles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('name_lower', sa.String(length=64), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('role_id', sa.String(length=32), nullable=False),
    sa.Column('arn', sa.String(length=2048), nullable=False),
    sa.Column('trust_policy', sa.Text(), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=True),
    sa.Column('max_session_duration', sa.Integer(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('boundary_policy_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_region', sa.String(length=32), nullable=True),
    sa.CheckConstraint('length(name) BETWEEN 1 AND 64', name=op.f('ck_roles_name_length')),
    sa.CheckConstraint('length(path) BETWEEN 1 AND 512', name=op.f('ck_roles_path_length')),
    sa.CheckConstraint('max_session_duration BETWEEN 3600 AND 43200', name=op.f('ck_roles_max_session_duration_range')),
    sa.CheckConstraint('name_lower = lower(name)', name=op.f('ck_roles_name_lower')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_roles_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['boundary_policy_id'], ['managed_policies.id'], name=op.f('fk_roles_boundary_policy_id_managed_policies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roles')),
    sa.UniqueConstraint('account_id', 'name_lower', name=op.f('uq_roles_account_id_name_lower')),
    sa.UniqueConstraint('arn', name=op.f('uq_roles_arn')),
    sa.UniqueConstraint('role_id', name=op.f('uq_roles_role_id'))
    )
    with op.batch_alter_table('roles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roles_boundary_policy_id'), ['boundary_policy_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('name_lower', sa.String(length=64), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('arn', sa.String(length=2048), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('boundary_policy_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('email_verified', sa.Boolean(), nullable=False),
    sa.Column('display_name', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('password_last_used', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('length(name) BETWEEN 1 AND 64', name=op.f('ck_users_name_length')),
    sa.CheckConstraint('length(path) BETWEEN 1 AND 512', name=op.f('ck_users_path_length')),
    sa.CheckConstraint('name_lower = lower(name)', name=op.f('ck_users_name_lower')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_users_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['boundary_policy_id'], ['managed_policies.id'], name=op.f('fk_users_boundary_policy_id_managed_policies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('account_id', 'name_lower', name=op.f('uq_users_account_id_name_lower')),
    sa.UniqueConstraint('arn', name=op.f('uq_users_arn')),
    sa.UniqueConstraint('user_id', name=op.f('uq_users_user_id'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_boundary_policy_id'), ['boundary_policy_id'], unique=False)

    op.create_table('access_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('access_key_id', sa.String(length=128), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('secret_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_service', sa.String(length=64), nullable=True),
    sa.Column('last_used_region', sa.String(length=32), nullable=True),
    sa.CheckConstraint("status IN ('Active', 'Inactive')", name=op.f('ck_access_keys_status')),
    sa.CheckConstraint('length(access_key_id) BETWEEN 16 AND 128', name=op.f('ck_access_keys_access_key_id_length')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_access_keys_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_access_keys_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_keys')),
    sa.UniqueConstraint('access_key_id', name=op.f('uq_access_keys_access_key_id'))
    )
    with op.batch_alter_table('access_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_keys_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_keys_user_id'), ['user_id'], unique=False)

    op.create_table('browser_sessions',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('principal_arn', sa.String(length=2048), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('idle_expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('absolute_expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('auth_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('amr', sa.JSON(), nullable=False),
    sa.Column('acr', sa.String(length=64), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('user_agent', sa.String(length=512), nullable=True),
    sa.Column('source_ip', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_browser_sessions_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_browser_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_browser_sessions'))
    )
    with op.batch_alter_table('browser_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_browser_sessions_absolute_expires_at'), ['absolute_expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_browser_sessions_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_browser_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['oauth_clients.id'], name=op.f('fk_consents_client_id_oauth_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_consents_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents')),
    sa.UniqueConstraint('subject', 'client_id', name=op.f('uq_consents_subject_client_id'))
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consents_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consents_user_id'), ['user_id'], unique=False)

    op.create_table('federated_identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('upstream_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_claims', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['upstream_id'], ['upstream_providers.id'], name=op.f('fk_federated_identities_upstream_id_upstream_providers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_federated_identities_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_federated_identities')),
    sa.UniqueConstraint('upstream_id', 'subject', name=op.f('uq_federated_identities_upstream_id_subject'))
    )
    with op.batch_alter_table('federated_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_federated_identities_user_id'), ['user_id'], unique=False)

    op.create_table('group_memberships',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_group_memberships_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_group_memberships_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'user_id', name=op.f('pk_group_memberships'))
    )
    with op.batch_alter_table('group_memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_memberships_user_id'), ['user_id'], unique=False)

    op.create_table('login_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('password_reset_required', sa.Boolean(), nullable=False),
    sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('previous_password_hashes', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_profiles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_profiles')),
    sa.UniqueConstraint('user_id', name=op.f('uq_login_profiles_user_id'))
    )
    op.create_table('mfa_devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('serial_number', sa.String(length=2048), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('secret_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('enabled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_step', sa.Integer(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('credential_id', sa.LargeBinary(), nullable=True),
    sa.Column('public_key', sa.LargeBinary(), nullable=True),
    sa.Column('sign_count', sa.BigInteger(), nullable=False),
    sa.Column('transports', sa.JSON(), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind <> 'webauthn' OR credential_id IS NOT NULL", name=op.f('ck_mfa_devices_webauthn_credential')),
    sa.CheckConstraint("kind IN ('virtual', 'webauthn')", name=op.f('ck_mfa_devices_kind')),
    sa.CheckConstraint('sign_count >= 0', name=op.f('ck_mfa_devices_sign_count_non_negative')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_mfa_devices_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mfa_devices_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mfa_devices')),
    sa.UniqueConstraint('credential_id', name=op.f('uq_mfa_devices_credential_id')),
    sa.UniqueConstraint('serial_number', name=op.f('uq_mfa_devices_serial_number'))
    )
    with op.batch_alter_table('mfa_devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mfa_devices_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mfa_devices_user_id'), ['user_id'], unique=False)

    op.create_table('recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('code_hash', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_recovery_codes_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recovery_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes'))
    )
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_codes_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recovery_codes_user_id'), ['user_id'], unique=False)

    op.create_table('role_inline_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('role_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('length(name) BETWEEN 1 AND 128', name=op.f('ck_role_inline_policies_name_length')),
    sa.ForeignKeyConstraint(['role_id'], ['roles.id'], name=op.f('fk_role_inline_policies_role_id_roles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_inline_policies')),
    sa.UniqueConstraint('role_id', 'name', name=op.f('uq_role_inline_policies_role_id_name'))
    )
    op.create_table('role_policy_attachments',
    sa.Column('role_id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['policy_id'], ['managed_policies.id'], name=op.f('fk_role_policy_attachments_policy_id_managed_policies')),
    sa.ForeignKeyConstraint(['role_id'], ['roles.id'], name=op.f('fk_role_policy_attachments_role_id_roles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('role_id', 'policy_id', name=op.f('pk_role_policy_attachments'))
    )
    with op.batch_alter_table('role_policy_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_policy_attachments_policy_id'), ['policy_id'], unique=False)

    op.create_table('user_inline_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('length(name) BETWEEN 1 AND 128', name=op.f('ck_user_inline_policies_name_length')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_inline_policies_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_inline_policies')),
    sa.UniqueConstraint('user_id', 'name', name=op.f('uq_user_inline_policies_user_id_name'))
    )
    op.create_table('user_policy_attachments',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['policy_id'], ['managed_policies.id'], name=op.f('fk_user_policy_attachments_policy_id_managed_policies')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_policy_attachments_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'policy_id', name=op.f('pk_user_policy_attachments'))
    )
    with op.batch_alter_table('user_policy_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_policy_attachments_policy_id'), ['policy_id'], unique=False)

    op.create_table('authorization_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('redirect_uri', sa.String(length=2048), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('nonce', sa.String(length=512), nullable=True),
    sa.Column('code_challenge', sa.String(length=128), nullable=True),
    sa.Column('code_challenge_method', sa.String(length=16), nullable=True),
    sa.Column('claims', sa.JSON(), nullable=True),
    sa.Column('auth_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('amr', sa.JSON(), nullable=False),
    sa.Column('acr', sa.String(length=64), nullable=True),
    sa.Column('browser_session_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('consumed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_authorization_codes_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['browser_session_id'], ['browser_sessions.id_hash'], name=op.f('fk_authorization_codes_browser_session_id_browser_sessions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['client_id'], ['oauth_clients.id'], name=op.f('fk_authorization_codes_client_id_oauth_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_authorization_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_authorization_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_authorization_codes_code_hash'))
    )
    with op.batch_alter_table('authorization_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_authorization_codes_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_authorization_codes_browser_session_id'), ['browser_session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_authorization_codes_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_authorization_codes_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_authorization_codes_user_id'), ['user_id'], unique=False)

    op.create_table('refresh_token_families',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('browser_session_id', sa.String(length=64), nullable=True),
    sa.Column('authorization_code_id', sa.Integer(), nullable=True),
    sa.Column('auth_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('amr', sa.JSON(), nullable=False),
    sa.Column('acr', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('absolute_expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_refresh_token_families_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['authorization_code_id'], ['authorization_codes.id'], name=op.f('fk_refresh_token_families_authorization_code_id_authorization_codes'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['browser_session_id'], ['browser_sessions.id_hash'], name=op.f('fk_refresh_token_families_browser_session_id_browser_sessions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['client_id'], ['oauth_clients.id'], name=op.f('fk_refresh_token_families_client_id_oauth_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_refresh_token_families_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refresh_token_families'))
    )
    with op.batch_alter_table('refresh_token_families', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refresh_token_families_absolute_expires_at'), ['absolute_expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_refresh_token_families_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refresh_token_families_authorization_code_id'), ['authorization_code_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refresh_token_families_browser_session_id'), ['browser_session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refresh_token_families_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refresh_token_families_subject'), ['subject'], unique=False)
        batch_op.create_index(batch_op.f('ix_refresh_token_families_user_id'), ['user_id'], unique=False)

    op.create_table('refresh_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('successor_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['family_id'], ['refresh_token_families.id'], name=op.f('fk_refresh_tokens_family_id_refresh_token_families'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['successor_id'], ['refresh_tokens.id'], name=op.f('fk_refresh_tokens_successor_id_refresh_tokens'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refresh_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_refresh_tokens_token_hash'))
    )
    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refresh_tokens_family_id'), ['family_id'], unique=False)



def downgrade():
    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refresh_tokens_family_id'))

    op.drop_table('refresh_tokens')
    with op.batch_alter_table('refresh_token_families', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refresh_token_families_user_id'))
        batch_op.drop_index(batch_op.f('ix_refresh_token_families_subject'))
        batch_op.drop_index(batch_op.f('ix_refresh_token_families_client_id'))
        batch_op.drop_index(batch_op.f('ix_refresh_token_families_browser_session_id'))
        batch_op.drop_index(batch_op.f('ix_refresh_token_families_authorization_code_id'))
        batch_op.drop_index(batch_op.f('ix_refresh_token_families_account_id'))
        batch_op.drop_index(batch_op.f('ix_refresh_token_families_absolute_expires_at'))

    op.drop_table('refresh_token_families')
    with op.batch_alter_table('authorization_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_authorization_codes_user_id'))
        batch_op.drop_index(batch_op.f('ix_authorization_codes_expires_at'))
        batch_op.drop_index(batch_op.f('ix_authorization_codes_client_id'))
        batch_op.drop_index(batch_op.f('ix_authorization_codes_browser_session_id'))
        batch_op.drop_index(batch_op.f('ix_authorization_codes_account_id'))

    op.drop_table('authorization_codes')
    with op.batch_alter_table('user_policy_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_policy_attachments_policy_id'))

    op.drop_table('user_policy_attachments')
    op.drop_table('user_inline_policies')
    with op.batch_alter_table('role_policy_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_role_policy_attachments_policy_id'))

    op.drop_table('role_policy_attachments')
    op.drop_table('role_inline_policies')
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_codes_user_id'))
        batch_op.drop_index(batch_op.f('ix_recovery_codes_account_id'))

    op.drop_table('recovery_codes')
    with op.batch_alter_table('mfa_devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mfa_devices_user_id'))
        batch_op.drop_index(batch_op.f('ix_mfa_devices_account_id'))

    op.drop_table('mfa_devices')
    op.drop_table('login_profiles')
    with op.batch_alter_table('group_memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_memberships_user_id'))

    op.drop_table('group_memberships')
    with op.batch_alter_table('federated_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_federated_identities_user_id'))

    op.drop_table('federated_identities')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consents_user_id'))
        batch_op.drop_index(batch_op.f('ix_consents_client_id'))

    op.drop_table('consents')
    with op.batch_alter_table('browser_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_browser_sessions_user_id'))
        batch_op.drop_index(batch_op.f('ix_browser_sessions_account_id'))
        batch_op.drop_index(batch_op.f('ix_browser_sessions_absolute_expires_at'))

    op.drop_table('browser_sessions')
    with op.batch_alter_table('access_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_keys_user_id'))
        batch_op.drop_index(batch_op.f('ix_access_keys_account_id'))

    op.drop_table('access_keys')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_boundary_policy_id'))

    op.drop_table('users')
    with op.batch_alter_table('roles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roles_boundary_policy_id'))

    op.drop_table('roles')
    op.drop_table('policy_versions')
    with op.batch_alter_table('group_policy_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_policy_attachments_policy_id'))

    op.drop_table('group_policy_attachments')
    op.drop_table('group_inline_policies')
    with op.batch_alter_table('upstream_providers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_upstream_providers_account_id'))

    op.drop_table('upstream_providers')
    op.drop_table('oidc_providers')
    with op.batch_alter_table('oauth_clients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oauth_clients_account_id'))

    op.drop_table('oauth_clients')
    with op.batch_alter_table('managed_policies', schema=None) as batch_op:
        batch_op.drop_index('uq_managed_policies_aws_name_lower', sqlite_where=sa.text('account_id IS NULL'), postgresql_where=sa.text('account_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_managed_policies_account_id'))

    op.drop_table('managed_policies')
    op.drop_table('groups')
    with op.batch_alter_table('used_jtis', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_used_jtis_expires_at'))

    op.drop_table('used_jtis')
    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_signing_keys_purpose_status')

    op.drop_table('signing_keys')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))
        batch_op.drop_index(batch_op.f('ix_audit_events_account_id'))

    drop_audit_triggers()
    op.drop_table('audit_events')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index('uq_accounts_is_default', sqlite_where=sa.text('is_default'), postgresql_where=sa.text('is_default'))

    op.drop_table('accounts')
