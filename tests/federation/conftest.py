"""Fixtures for federation: an upstream provider (a second app), upstreams registered through our CLI,
and a scripted token endpoint for the refusal cases."""
from __future__ import annotations

import json

import pytest
from flask import Flask, jsonify, request

from tests.federation.upstream_op import UpstreamOp
from tests.support.servers import ThreadedServer


@pytest.fixture(scope="session")
def upstream_op(tmp_path_factory) -> UpstreamOp:
    """One upstream provider for the whole session; tests make their own users and clients on it."""
    op = UpstreamOp(tmp_path_factory.mktemp("upstream-op"))
    yield op
    op.close()


@pytest.fixture
def add_upstream(app, root, tmp_path):
    """`flask --app app idp upstreams add --json --file upstream.json` on the app under test."""
    runner = app.test_cli_runner()

    def add(document: dict) -> dict:
        path = tmp_path / f"{document['name']}.json"
        path.write_text(json.dumps(document))
        result = runner.invoke(args=["idp", "upstreams", "add", "--json", "--file", str(path)])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    return add


class ScriptedTokenEndpoint:
    """A token endpoint that answers what the test says and remembers what it was sent."""

    def __init__(self):
        self.reply: tuple[int, dict] = (500, {})
        self.received: list[dict] = []
        app = Flask("scripted-token-endpoint")

        @app.post("/token")
        def token():
            self.received.append({"form": request.form.to_dict(),
                                  "authorization": request.headers.get("Authorization")})
            status, body = self.reply
            return jsonify(body), status

        self.server = ThreadedServer(app)
        self.url = f"{self.server.url}/token"


@pytest.fixture
def token_endpoint():
    endpoint = ScriptedTokenEndpoint()
    endpoint.server.start()
    yield endpoint
    endpoint.server.stop()
