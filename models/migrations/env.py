"""Alembic environment, run by Flask-Migrate (`flask --app app db upgrade -d models/migrations`).

Same schema on SQLite and PostgreSQL: types are compared, SQLite gets batch
(table copy) operations, and SQLite foreign keys are switched off while a
migration runs, since a batch table copy would otherwise trigger cascades.
"""
import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
# An app that configured logging already (idp.logs: one format for every line) keeps it.
if config.config_file_name is not None and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db


def get_engine():
    return target_db.engine


def get_metadata():
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


def render_item(type_, obj, autogen_context):
    """Render the models' UtcDateTime as the plain DateTime(timezone=True) it stores."""
    from models.columns import UtcDateTime

    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def configure_args():
    args = dict(current_app.extensions["migrate"].configure_args)
    args.setdefault("compare_type", True)
    args.setdefault("render_as_batch", True)
    args.setdefault("render_item", render_item)
    if args.get("process_revision_directives") is None:
        args["process_revision_directives"] = skip_empty_autogenerate
    return args


def skip_empty_autogenerate(context, revision, directives):
    # Do not write an empty revision when the schema has not changed.
    if getattr(config.cmd_opts, "autogenerate", False):
        script = directives[0]
        if script.upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")


def run_migrations_offline():
    url = get_engine().url.render_as_string(hide_password=False)
    context.configure(url=url, target_metadata=get_metadata(), literal_binds=True, **configure_args())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    with get_engine().connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # PRAGMA foreign_keys is a no-op inside a transaction: set it first.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            context.configure(connection=connection, target_metadata=get_metadata(), **configure_args())
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    violations = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if violations:
                        raise RuntimeError(f"migration left foreign key violations: {violations[:5]}")
        finally:
            if sqlite:
                # The connection goes back to the app's pool: restore enforcement.
                connection.rollback()
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
