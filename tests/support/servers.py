"""Real HTTP servers on free loopback ports: in-process threads or separate processes."""
from __future__ import annotations

import contextlib
import itertools
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from werkzeug.serving import make_server

REPO_ROOT = Path(__file__).resolve().parents[2]


# A port is chosen before its server binds it (the issuer URL names it first). Ports the kernel hands out to
# outgoing connections (ip_local_port_range, 32768-60999 here) could be taken in between by any connection the
# suite makes, so servers take theirs below that range, in a block of their own per xdist worker.
_PORT_BASE, _PORTS_PER_WORKER = 20000, 1500
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
_first_port = _PORT_BASE + (_PORTS_PER_WORKER * (int(_WORKER[2:]) if _WORKER[2:].isdigit() else 0)) % 12000
# Round the block again once it is used up: servers of finished tests have let their ports go by then.
_next_ports = itertools.cycle(range(_first_port, _first_port + _PORTS_PER_WORKER))
_port_lock = threading.Lock()


def free_port() -> int:
    """A loopback port of this worker's block, below the kernel's outgoing range, that nothing is bound to now."""
    with _port_lock:
        for port in itertools.islice(_next_ports, _PORTS_PER_WORKER):
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free loopback port left")


class ThreadedServer:
    """The test's own app object served by werkzeug in a thread."""

    def __init__(self, app, port: int = 0):
        try:
            self.server = make_server("127.0.0.1", port, app, threaded=True)
        except SystemExit as exit_:  # werkzeug exits when the port is taken; a test error must not end the worker
            raise OSError(f"port {port} is in use") from exit_
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


class ProcessServer:
    """`gunicorn app:app` in its own process with its own environment."""

    def __init__(self, env: dict[str, str], workers: int = 1):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env}
        self.args = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}",
                     "--workers", str(workers), "app:app"]
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> None:
        self.launch()
        self.wait_ready(timeout)

    def launch(self) -> None:
        self.process = subprocess.Popen(self.args, cwd=REPO_ROOT, env=self.env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stdout.read().decode()[-2000:]}")
            try:
                if requests.get(f"{self.url}/readyz", timeout=15).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not become ready")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


@contextlib.contextmanager
def running_together(servers: list[ProcessServer], timeout: float = 60):
    """Start several gunicorn processes at once (one database bootstraps under their race), stop them all after."""
    try:
        for server in servers:
            server.launch()
        with ThreadPoolExecutor(len(servers)) as pool:
            list(pool.map(lambda server: server.wait_ready(timeout), servers))
        yield servers
    finally:
        for server in servers:
            server.stop()
