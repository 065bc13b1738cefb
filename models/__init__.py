"""SQLAlchemy models, one module per aggregate.

`db` is bound to the app in `idp.create_app` (`db.init_app`). Every module of
this package is imported here so that `db.metadata` is complete for Alembic.
"""
from __future__ import annotations

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with the project's constraint naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# Every model module, so that db.metadata is complete (Alembic autogenerate).
from . import (  # noqa: E402,F401
    access_key,
    account,
    api_resource,
    audit,
    federation,
    finding,
    group,
    instance_profile,
    jti,
    keys,
    lease,
    lifecycle,
    mail,
    mfa,
    oauth_client,
    oauth_grant,
    oidc_provider,
    organization,
    policy,
    report,
    role,
    saml,
    service_linked_role,
    session,
    throttle,
    user,
    user_certificate,
)
