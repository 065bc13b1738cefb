"""Review (issue 13 class 10): a server-side fetch's time bound does not cover the status line and headers.

idp.fetch checks its deadline only between body receives; the status line and headers are read by
http.client with a per-receive timeout, so a destination that trickles a header byte now and then keeps
the request (and a worker thread) for as long as it likes: e.g. a registered client's jwks_uri fetched
during private_key_jwt authentication at the token endpoint.
"""
from __future__ import annotations

import ipaddress
import socket
import threading
import time

import pytest

from idp import fetch

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)
TIMEOUT = 1.0
TRICKLE_SECONDS = 6.0


@pytest.fixture
def trickling():
    """A loopback HTTP server that sends its status line, then one header byte every 0.4 s for 6 s."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(10)

    def serve():
        try:
            connection, _ = listener.accept()
        except OSError:
            return
        with connection:
            connection.recv(4096)
            connection.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            started = time.monotonic()
            try:
                while time.monotonic() - started < TRICKLE_SECONDS:
                    connection.sendall(b"a")
                    time.sleep(0.4)
                connection.sendall(b"\r\nContent-Length: 2\r\n\r\n{}")
            except OSError:
                return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    listener.close()
    thread.join(timeout=TRICKLE_SECONDS + 2)


def test_a_fetch_gives_up_at_its_timeout_even_while_headers_trickle(trickling):
    started = time.monotonic()
    with pytest.raises(fetch.FetchFailed):
        fetch.fetch(f"http://127.0.0.1:{trickling}/jwks", purpose="test", timeout=TIMEOUT, allowed_networks=LOOPBACK)
    assert time.monotonic() - started < TIMEOUT + 1.5
