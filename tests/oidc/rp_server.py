"""A tiny relying party for tests: records every GET and POST it receives; answers with a status the test chooses."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Received:
    """One request the relying party received."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]


@dataclass
class RelyingParty:
    """`url` is its base; `statuses` are answered in order (then 200)."""

    url: str
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    event: threading.Event = field(default_factory=threading.Event)

    def posts(self, path: str) -> list[Received]:
        return [r for r in self.received if r.method == "POST" and r.path == path]


def start_relying_party() -> tuple[RelyingParty, ThreadingHTTPServer]:
    """Serve a RelyingParty on a free loopback port in a daemon thread."""
    holder: list[RelyingParty] = []

    class Handler(BaseHTTPRequestHandler):
        def _record(self, form: dict[str, str]) -> None:
            rp = holder[0]
            parts = urlsplit(self.path)
            rp.received.append(Received(self.command, parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()},
                                        form, dict(self.headers)))
            status = rp.statuses.pop(0) if rp.statuses else 200
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "8")
            self.end_headers()
            self.wfile.write(b"received")
            rp.event.set()

        def do_GET(self):
            self._record({})

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            self._record({k: v[0] for k, v in parse_qs(body).items()})

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(RelyingParty(f"http://127.0.0.1:{server.server_port}"))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return holder[0], server
