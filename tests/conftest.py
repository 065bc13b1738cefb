"""Fixtures: `app`, `client`, `runner`, `db`, `root` (bootstrapped credentials), `live_server`.

Every test gets an empty, migrated database: a copy of a migrated SQLite file,
or (with IDP_TEST_DATABASE_URL) a PostgreSQL database of its own per worker,
emptied between tests; that pass leaves out the tests that use no database.
"""
from __future__ import annotations

import base64
import os

import pytest

from tests.support.databases import TestDatabase, make_test_database
from tests.support.servers import ThreadedServer, free_port

pytest_plugins = ["tests.support.aws_clients", "tests.support.browser"]

TEST_MASTER_KEY = base64.b64encode(b"k" * 32).decode()
PG_URL = os.environ.get("IDP_TEST_DATABASE_URL")


def pytest_collection_modifyitems(config, items):
    if PG_URL:
        # The PostgreSQL pass (.ci/run's second) is about the database: a test that uses no test database and
        # is not marked `postgres` (the policy engine, parsers, SigV4 vectors, ...) behaves the same on both and
        # has run in the SQLite pass, so it is deselected here, not run twice.
        unaffected = [item for item in items if "test_database" not in item.fixturenames
                      and "postgres" not in item.keywords]
        if unaffected:
            config.hook.pytest_deselected(items=unaffected)
            left_out = set(unaffected)
            items[:] = [item for item in items if item not in left_out]
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set IDP_TEST_DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


_RSA_POOL: list = []
_RSA_DRAWS = [0]


@pytest.fixture(scope="session", autouse=True)
def pooled_rsa_signing_keys():
    """The keystore's RSA-2048 signing keys come from a pool of 16 made once per worker.

    Generating one costs ~40 ms and every bootstrap makes two (current and next), which was a fifth of a test's
    setup. Each test has a database of its own, so a key seen in an earlier test is still new there; within a
    test, 16 successive keys are distinct, more than any test rotates. ES256/EdDSA/session keys stay fresh.
    """
    import importlib

    from joserfc import jwk

    keystore = importlib.import_module("idp.keys.keystore")  # `idp.keys.keystore` the attribute is a function
    generate = keystore._generate

    def pooled(alg: str):
        if alg != "RS256":
            return generate(alg)
        if len(_RSA_POOL) < 16:
            _RSA_POOL.append(jwk.RSAKey.generate_key(2048, private=True))
        key = _RSA_POOL[_RSA_DRAWS[0] % 16]
        _RSA_DRAWS[0] += 1
        kid = key.thumbprint()
        return kid, key.as_pem(private=True), {**key.as_dict(private=False), "kid": kid, "alg": alg, "use": "sig"}

    keystore._generate = pooled
    yield
    keystore._generate = generate


@pytest.fixture(scope="session")
def test_database(tmp_path_factory, worker_id) -> TestDatabase:
    database = make_test_database(PG_URL, tmp_path_factory.mktemp("db"), worker_id)
    yield database
    database.drop()


@pytest.fixture
def app_config(test_database, tmp_path) -> dict:
    """The configuration each test's app starts from; tests may add to it."""
    return {
        "TESTING": True,
        "IDP_DATABASE_URL": test_database.fresh(tmp_path),
        "IDP_MASTER_KEY": TEST_MASTER_KEY,
        "IDP_KEYS_DIR": str(tmp_path / "keys"),
        "IDP_INSTANCE_DIR": str(tmp_path / "instance"),
        "IDP_AUTO_BOOTSTRAP": "0",
        # The issuer is where `live_server` will listen, so discovery's URLs work.
        "IDP_ISSUER": f"http://127.0.0.1:{free_port()}",
        "IDP_ACCOUNT_ID": None,
        "IDP_ROOT_ACCESS_KEY_ID": None,
        "IDP_ROOT_SECRET_ACCESS_KEY": None,
        "IDP_ROOT_PASSWORD": None,
        # The suite's upstreams, JWKS and logout receivers listen on loopback; tests of the
        # fetch rule itself set this to "" (idp.fetch).
        "IDP_FETCH_ALLOWED_NETWORKS": "127.0.0.0/8,::1/128",
    }


@pytest.fixture
def app(app_config):
    from idp import create_app
    from models import db as database

    application = create_app(app_config)
    yield application
    with application.app_context():
        database.session.remove()
        database.engine.dispose()


@pytest.fixture
def db(app):
    from models import db as database

    with app.app_context():
        yield database


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def root(app):
    """The default account's root credentials, created through bootstrap."""
    from idp.bootstrap import bootstrap

    return bootstrap(app)


@pytest.fixture
def live_server(app, root):
    """The bootstrapped app served over real HTTP on a free loopback port."""
    server = ThreadedServer(app, port=int(app.config["IDP_SETTINGS"].issuer.rsplit(":", 1)[1]))
    server.start()
    yield server
    server.stop()
