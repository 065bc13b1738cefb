"""The identity provider: `create_app(config)` builds one instance."""
from __future__ import annotations

import threading
import uuid
from typing import Mapping

from flask import Flask, g
from flask_migrate import Migrate
from sqlalchemy import event
from sqlalchemy.engine import Engine

from idp import housekeeping, logs, work
from idp.clock import SYSTEM_CLOCK
from idp.config import REPO_ROOT, Settings, load_settings
from idp.endpoints.metrics import init_app as init_metrics
from idp.endpoints.input_guard import refuse_nul
from idp.json_input import JsonProvider
from idp.keys.keystore import Keystore
from idp.keys.master import load_master_key
from models import db

MIGRATIONS_DIR = str(REPO_ROOT / "models" / "migrations")


def create_app(config: Mapping | None = None) -> Flask:
    """Build an app; `config` overrides IDP_* environment settings and Flask config."""
    settings = load_settings(config)
    logs.configure(settings.log_format)  # before Flask(): its logger must find the one handler in place
    app = Flask(__name__, template_folder=str(REPO_ROOT / "templates"), static_folder=str(REPO_ROOT / "static"),
                instance_path=str(settings.instance_dir))
    app.json = JsonProvider(app)
    app.config.update(
        IDP_SETTINGS=settings,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings.database_url),
        IDP_AUTHZ_REFRESH_SECONDS=settings.authz_refresh_seconds,
        MAX_CONTENT_LENGTH=1024 * 1024,
        JSON_SORT_KEYS=False,
    )
    app.config.update({k: v for k, v in (config or {}).items() if not k.startswith("IDP_")})

    if settings.database_url.startswith("sqlite:///"):
        settings.instance_dir.mkdir(parents=True, exist_ok=True)
    master = load_master_key(settings.master_key, settings.keys_dir)
    # Flask's defaults hold SECRET_KEY = None, so setdefault would never apply.
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = master.derive("flask-secret-key")
    app.extensions["idp.master_key"] = master
    app.extensions["idp.keystore"] = Keystore(
        master, refresh_seconds=settings.key_refresh_seconds, token_lifetime=settings.token_lifetime
    )
    app.extensions["idp.clock"] = (config or {}).get("IDP_CLOCK") or SYSTEM_CLOCK

    db.init_app(app)
    Migrate(app, db, directory=MIGRATIONS_DIR, compare_type=True, render_as_batch=True)
    _register_blueprints(app)
    _register_request_hooks(app, settings)
    logs.init_app(app)  # one access line per request, with the request id the hook above generates
    housekeeping.init_app(app)  # after the bootstrap hook: the scheduler starts on a bootstrapped database
    init_metrics(app)  # IDP_METRICS_TOKEN: /metrics and request timing, outside every other middleware
    # One unit of work per request: every view commits (or rolls back) in exactly one place.
    for endpoint, view in list(app.view_functions.items()):
        app.view_functions[endpoint] = work.transactional(view)

    from idp.cli import idp_cli

    app.cli.add_command(idp_cli)
    return app


def _engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # SQLite ignores foreign keys unless told otherwise, per connection.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # WAL with NORMAL is durable across application crashes; only an OS crash may lose the last commits.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _register_blueprints(app: Flask) -> None:
    from idp.aws.api import blueprint as aws
    from idp.aws.iam import register_all as register_iam_actions
    from idp.aws.sts import register_all as register_sts_actions
    from idp.endpoints.authorize import blueprint as authorize
    from idp.endpoints.health import blueprint as health
    from idp.oidc.endpoints.discovery import blueprint as discovery
    from idp.oidc.endpoints.pages import blueprint as oidc_pages
    from idp.oidc.endpoints.server import init_provider
    from idp.oidc.endpoints.views import blueprint as oidc
    from idp.web.mfa import blueprint as mfa

    app.register_blueprint(health)
    app.register_blueprint(discovery)
    init_provider(app)
    app.register_blueprint(oidc)
    app.register_blueprint(oidc_pages)
    app.register_blueprint(authorize)
    app.register_blueprint(mfa)
    register_iam_actions()
    register_sts_actions()
    app.register_blueprint(aws)
    from idp.aws.rest_json import blueprint as access_analyzer
    from idp.web.analyzer_graph import blueprint as analyzer_pages

    app.register_blueprint(access_analyzer)
    app.register_blueprint(analyzer_pages)
    from idp.oidc.endpoints.end_session import blueprint as oidc_logout

    app.register_blueprint(oidc_logout)
    from idp.oidc.endpoints.device_pages import blueprint as oidc_device

    app.register_blueprint(oidc_device)
    from idp.oidc.endpoints.registration import blueprint as oidc_registration

    app.register_blueprint(oidc_registration)
    from idp.web.federation import blueprint as federation

    app.register_blueprint(federation)
    from idp.web.saml import blueprint as saml

    app.register_blueprint(saml)
    from idp.web.lifecycle import blueprint as lifecycle

    app.register_blueprint(lifecycle)
    from idp.web.console import blueprint as console

    app.register_blueprint(console)
    from idp.web import init_app as init_web

    init_web(app)  # after the API blueprints: it exempts them from CSRF


_bootstrap_lock = threading.Lock()


def _register_request_hooks(app: Flask, settings: Settings) -> None:
    state = {"bootstrapped": not settings.auto_bootstrap}

    @app.before_request
    def _request_id() -> None:
        g.request_id = str(uuid.uuid4())
        if not state["bootstrapped"]:
            # The server bootstraps itself on its first request (idempotent).
            with _bootstrap_lock:
                if not state["bootstrapped"]:
                    from idp.bootstrap import bootstrap

                    bootstrap(app)
                    state["bootstrapped"] = True

    app.before_request(refuse_nul)

    @app.after_request
    def _baseline_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("x-amzn-RequestId", g.get("request_id", ""))
        return response
