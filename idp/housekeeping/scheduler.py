"""The in-process scheduler: one daemon thread per process, a housekeeping pass every interval.

Every instance runs one; the lease decides which of them works (`run_once`).
The first pass comes one interval after the first request, not at once: an
instance that only starts and stops (a test server, a rolling restart) never
writes anything.
"""
from __future__ import annotations

import atexit
import logging
import threading

from flask import Flask

from idp import housekeeping

log = logging.getLogger(__name__)


class Scheduler:
    """Runs `housekeeping.run_once` every `interval` seconds in a daemon thread, holding the lease."""

    def __init__(self, app: Flask, interval: int):
        self.app = app
        self.interval = interval
        self.holder = housekeeping.instance_id()
        self.passes = 0
        self.last_report: dict | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the thread once (a `before_request` hook: cheap after the first call)."""
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._loop, name="idp-housekeeping", daemon=True)
                self._thread.start()
                atexit.register(self.stop)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.last_report = housekeeping.run_once(self.app, self.holder, keep_lease=True)
            except Exception:  # noqa: BLE001  the database may be down for a while; try again next interval
                log.exception("housekeeping pass failed")
            self.passes += 1

    def stop(self) -> None:
        """Stop the thread and let the lease go, so another instance takes over at its next pass."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is None:
            return
        thread.join(timeout=30)
        try:
            housekeeping.release(self.app, self.holder)
        except Exception:  # noqa: BLE001  best effort at shutdown: the lease lapses by itself
            log.warning("could not release the housekeeping lease", exc_info=True)
