"""A second, independent OpenID Connect issuer for web identity tests: another instance of this app.

It has its own SQLite database, master key, signing keys and issuer URL, serves
its discovery document and JWKS over real HTTP, and signs whatever claims a test
asks for. Import the fixture into a test module:
`from tests.support.test_issuer import external_issuer  # noqa: F401`.
"""
from __future__ import annotations

import base64
import shutil
import socket
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.support.servers import ThreadedServer, free_port

EXTERNAL_MASTER_KEY = base64.b64encode(b"x" * 32).decode()


class ExternalIssuer:
    """The second app, served on its own port, with helpers to sign tokens and rotate keys."""

    def __init__(self, directory: Path, template: Path | None = None):
        from idp.bootstrap import bootstrap

        self.database = directory / "external.db"
        port = free_port()
        self.issuer = f"http://127.0.0.1:{port}"
        if template is not None:
            # A copy of a bootstrapped database: the same schema and keys, without paying for them again.
            shutil.copyfile(template, self.database)
        self.app = _external_app(directory, self.issuer)
        if template is None:
            bootstrap(self.app)
        # Which paths were fetched, so tests can see how often the IdP under test came for keys.
        self.requests: Counter[str] = Counter()
        inner = self.app.wsgi_app

        def counting(environ, start_response):
            self.requests[environ.get("PATH_INFO", "")] += 1
            return inner(environ, start_response)

        self.app.wsgi_app = counting
        self.server = ThreadedServer(self.app, port=port)
        # A short poll interval: stopping the server mid-test should not take half a second.
        self.server.thread = threading.Thread(target=self.server.server.serve_forever, args=(0.05,), daemon=True)
        self.running = False

    @property
    def jwks_fetches(self) -> int:
        """How many times the JWKS was fetched."""
        return self.requests["/.well-known/jwks.json"]

    def start(self) -> None:
        self.server.start()
        self.running = True

    def stop(self) -> None:
        """Stop serving: discovery and JWKS become unreachable."""
        if self.running:
            self.server.stop()
            self.running = False

    def mint(self, claims: dict, alg: str = "ES256", kid: str | None = None) -> str:
        """A token signed by this issuer (its current `alg` key, or the published key `kid`); iss/iat/exp default."""
        from idp.keys import jwt, keystore, sign_token

        now = int(time.time())
        full = {"iss": self.issuer, "iat": now, "exp": now + 300, **claims}
        with self.app.app_context():
            if kid is None:
                return sign_token(full, alg)
            loaded = keystore().verification_key(kid)
            return jwt.sign(full, loaded.key, loaded.alg)

    def rotate(self) -> None:
        """Rotate the signing keys now (the new current key was published as `next` at the last rotation)."""
        from idp.keys import keystore

        with self.app.app_context():
            keystore().rotate(force=True)

    def signing_kid(self, alg: str = "ES256") -> str:
        """The kid of the key that signs `alg` tokens now."""
        from idp.keys import keystore

        with self.app.app_context():
            return keystore().signing_key(alg).kid

    def close(self) -> None:
        from models import db

        self.stop()
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


def _external_app(directory: Path, issuer: str):
    from idp import create_app

    return create_app({
        "TESTING": True,
        "IDP_DATABASE_URL": f"sqlite:///{directory / 'external.db'}",
        "IDP_MASTER_KEY": EXTERNAL_MASTER_KEY,
        "IDP_KEYS_DIR": str(directory / "keys"),
        "IDP_INSTANCE_DIR": str(directory / "instance"),
        "IDP_AUTO_BOOTSTRAP": "0",
        "IDP_ISSUER": issuer,
    })


_templates: dict[Path, Path] = {}


def _template(tmp_path_factory) -> Path:
    """A bootstrapped database of the second issuer (schema and signing keys), made once per test session."""
    base = tmp_path_factory.getbasetemp()
    if base not in _templates:
        template = ExternalIssuer(tmp_path_factory.mktemp("external-template"))
        template.close()
        _templates[base] = template.database
    return _templates[base]


@pytest.fixture
def external_issuer(tmp_path_factory) -> ExternalIssuer:
    """Another instance of this app, bootstrapped and serving its discovery document and JWKS."""
    issuer = ExternalIssuer(tmp_path_factory.mktemp("external-issuer"), _template(tmp_path_factory))
    issuer.start()
    yield issuer
    issuer.close()


@pytest.fixture
def silent_server():
    """A TCP server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    done = threading.Event()
    held = []

    def accept() -> None:
        listener.settimeout(0.2)
        while not done.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    done.set()
    thread.join(timeout=2)
    for connection in held:
        connection.close()
    listener.close()
