"""gunicorn settings read from the repository root (gunicorn loads ./gunicorn.conf.py by itself).

Prometheus multiprocess mode (`PROMETHEUS_MULTIPROC_DIR`, set by `make run`):
every worker writes its metric values to files in that directory and a scrape
of `/metrics` adds them up (`idp.metrics.registry`). The directory starts
empty with each master, so that the counters of an earlier run (or of a
worker pid reused since) are not added in, and a worker that exits has its
live gauges (pool connections in use) dropped, as prometheus-client asks.
Command-line flags still override anything set here.
"""
from __future__ import annotations

import os
from pathlib import Path

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def on_starting(server) -> None:
    """Before the first worker: an empty multiprocess directory (created when missing)."""
    directory = os.environ.get(MULTIPROCESS_DIR_VARIABLE)
    if not directory:
        return
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    # Only prometheus-client's own files: the variable may name a directory that holds something else too.
    for stale in path.glob("*.db"):
        stale.unlink()


def child_exit(server, worker) -> None:
    """A worker is gone: its live gauges no longer count."""
    if os.environ.get(MULTIPROCESS_DIR_VARIABLE):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
