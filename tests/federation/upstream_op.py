"""A real upstream OpenID Connect provider for federation tests: a second instance of this app.

It has its own SQLite database, master key, signing keys, root credentials and
issuer (`http://localhost:<port>`: another host name than the app under test,
so the two apps' cookies never mix in one browser). Users, groups and clients
are made on it through its own IAM API and CLI, as its operator would.
"""
from __future__ import annotations

import base64
import json
import threading
import time
from pathlib import Path

from tests.support.aws_clients import client_for
from tests.support.servers import ThreadedServer, free_port

UPSTREAM_MASTER_KEY = base64.b64encode(b"u" * 32).decode()
ROOT_KEY_ID = "AKIAUPSTREAMROOT0001"
ROOT_SECRET = "upstream/root/secret/key/0123456789abcdef"


class UpstreamOp:
    """The second app, bootstrapped and served over real HTTP."""

    def __init__(self, directory: Path):
        from idp import create_app
        from idp.bootstrap import bootstrap

        port = free_port()
        self.issuer = f"http://localhost:{port}"
        self.app = create_app({
            "TESTING": True, "IDP_DATABASE_URL": f"sqlite:///{directory / 'upstream.db'}",
            "IDP_MASTER_KEY": UPSTREAM_MASTER_KEY, "IDP_KEYS_DIR": str(directory / "keys"),
            "IDP_INSTANCE_DIR": str(directory / "instance"), "IDP_AUTO_BOOTSTRAP": "0", "IDP_ISSUER": self.issuer,
            "IDP_ROOT_ACCESS_KEY_ID": ROOT_KEY_ID, "IDP_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET,
        })
        self.account_id = bootstrap(self.app).account_id
        self.server = ThreadedServer(self.app, port=port)
        self.server.thread = threading.Thread(target=self.server.server.serve_forever, args=(0.05,), daemon=True)
        self.server.start()
        self.url = f"http://127.0.0.1:{port}"

    def client(self, service: str):
        """A boto3 client of the upstream as its root user."""
        return client_for(self.server, service, ROOT_KEY_ID, ROOT_SECRET)

    def cli(self, *args: str) -> dict:
        """`flask --app app idp ... --json` on the upstream."""
        result = self.app.test_cli_runner().invoke(args=["idp", *args, "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    def mint(self, claims: dict, alg: str = "ES256") -> str:
        """A JWT signed by the upstream's current key; iss/iat/exp default."""
        from idp.keys import sign_token

        now = int(time.time())
        with self.app.app_context():
            return sign_token({"iss": self.issuer, "iat": now, "exp": now + 300, **claims}, alg)

    def close(self) -> None:
        from models import db

        self.server.stop()
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
