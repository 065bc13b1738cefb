"""gunicorn's own log lines (master and workers) in the app's format: `--logger-class idp.logs.gunicorn_logger.Logger`.

Without it a worker still adopts gunicorn's handlers when it imports the app,
but the master's lines (starting, booting, shutting down) keep gunicorn's
format. The format comes from `IDP_LOG_FORMAT`, as the app reads it.
"""
from __future__ import annotations

from gunicorn import glogging

from idp.config import load_settings
from idp.logs.rendering import configure, formatter


class Logger(glogging.Logger):
    """gunicorn's logger with every handler it sets up rendered by `idp.logs`."""

    def setup(self, cfg) -> None:
        """Set gunicorn's handlers up, then give each the app's formatter."""
        super().setup(cfg)
        log_format = load_settings().log_format
        configure(log_format)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(formatter(log_format))
