"""Readiness names what is missing; a stopped or killed worker leaves a request's change whole or absent."""
import base64
import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest
import sqlalchemy as sa
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from sqlalchemy.pool import NullPool

from idp import create_app
from tests.conftest import TEST_MASTER_KEY
from tests.support.servers import ProcessServer, free_port

ROOT_KEY, ROOT_SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def test_readyz_names_the_database_or_the_keys_when_unavailable(app_config, root, client):
    assert client.get("/readyz").get_json()["checks"] == {"database": "ok", "keys": "ok"}

    other_master = create_app({**app_config, "IDP_MASTER_KEY": base64.b64encode(b"m" * 32).decode()})
    answer = other_master.test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json() == {"status": "unavailable", "checks": {"database": "ok", "keys": "undecryptable"}}

    closed = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/idp?connect_timeout=2"
    no_database = create_app({**app_config, "IDP_DATABASE_URL": closed})
    answer = no_database.test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json() == {"status": "unavailable", "checks": {"database": "unreachable", "keys": "unknown"}}
    assert client.get("/readyz").status_code == 200  # the instance with the right key is still ready


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (gunicorn's workers)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _wait(predicate, timeout: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


class AuditLock:
    """Hold `audit_events` in SHARE mode: a request's unit of work blocks at its last write, after its other rows."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine

    def __enter__(self):
        self.connection = self.engine.connect()
        self.connection.execute(sa.text("LOCK TABLE audit_events IN SHARE MODE"))
        return self

    def blocked_writer(self) -> int | None:
        """The backend waiting on the lock, once its transaction has written something (it holds an xid)."""
        with self.engine.connect() as probe:
            return probe.execute(sa.text(
                "SELECT a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE NOT l.granted AND l.relation = 'audit_events'::regclass AND a.backend_xid IS NOT NULL"
            )).scalar()

    def __exit__(self, *_exc):
        self.connection.rollback()
        self.connection.close()


@pytest.mark.postgres
def test_sigterm_lets_the_request_finish_and_sigkill_leaves_nothing_half_written(app_config, tmp_path):
    url = app_config["IDP_DATABASE_URL"]
    server = ProcessServer({
        "IDP_DATABASE_URL": url, "IDP_MASTER_KEY": TEST_MASTER_KEY, "IDP_KEYS_DIR": str(tmp_path / "keys"),
        "IDP_INSTANCE_DIR": str(tmp_path / "instance"), "IDP_ROOT_ACCESS_KEY_ID": ROOT_KEY,
        "IDP_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET, "IDP_AUTO_BOOTSTRAP": "1", "IDP_LOG_FORMAT": "json",
        "IDP_HOUSEKEEPING": "off",  # its exit hook releases the lease: a second of shutdown this test need not wait
    })
    # As `make run` serves: gthread workers, gunicorn's own lines in the app's format.
    server.args[-1:-1] = ["--worker-class", "gthread", "--threads", "2", "--graceful-timeout", "20",
                          "--logger-class", "idp.logs.gunicorn_logger.Logger", "--no-control-socket"]
    engine = sa.create_engine(url, poolclass=NullPool)
    server.start()
    # One attempt only: a client that retries would replay the killed request on the next worker.
    iam = boto3.client("iam", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id=ROOT_KEY,
                       aws_secret_access_key=ROOT_SECRET, config=Config(retries={"total_max_attempts": 1}))
    pool = ThreadPoolExecutor(1)
    try:
        # kill -KILL of the worker while its transaction has written the user and waits to write the audit rows.
        with AuditLock(engine) as lock:
            pending = pool.submit(iam.create_user, UserName="killed", Tags=[{"Key": "team", "Value": "a"}])
            backend = _wait(lock.blocked_writer, what="the request to block mid-transaction")
            (worker,) = _children(server.process.pid)
            os.kill(worker, signal.SIGKILL)
        with pytest.raises((BotoCoreError, ClientError)):
            pending.result(timeout=10)
        _wait(lambda: not _backend_alive(engine, backend), what="PostgreSQL to drop the dead worker's session")
        assert _rows(engine, "killed") == (0, 0)

        # kill -TERM of the master (a deployment stopping it) while the same kind of request is in flight.
        server.wait_ready()  # gunicorn has booted a new worker
        with AuditLock(engine) as lock:
            # The client closes its connection after the answer, as a load balancer draining the instance does:
            # a kept-alive one would keep the worker lingering for gunicorn's keep-alive grace.
            iam.meta.events.register("before-send.iam.CreateUser", _close_after_answer)
            pending = pool.submit(iam.create_user, UserName="stopped", Tags=[{"Key": "team", "Value": "b"}])
            _wait(lock.blocked_writer, what="the request to block mid-transaction")
            server.process.send_signal(signal.SIGTERM)
            time.sleep(0.3)  # the signal lands while the request waits
        answer = pending.result(timeout=20)
        assert answer["User"]["UserName"] == "stopped"
        assert server.process.wait(timeout=20) == 0
        users, audited = _rows(engine, "stopped")
        assert users == 1 and audited >= 1
    finally:
        pool.shutdown(cancel_futures=True)
        server.stop()
        engine.dispose()
    # Every line is one JSON object: gunicorn's master and worker, and the migrations the worker's bootstrap runs.
    lines = [json.loads(line) for line in server.process.stdout.read().decode().splitlines()]
    events = [line["event"] if line["event"] != "request" else line["request_id"] for line in lines]
    served = events.index(answer["ResponseMetadata"]["RequestId"])
    assert events.index("Handling signal: term") < served < events.index("Shutting down: Master")


def _close_after_answer(request, **_kwargs) -> None:
    request.headers["Connection"] = "close"


def _backend_alive(engine: sa.Engine, pid: int) -> bool:
    with engine.connect() as probe:
        return bool(probe.execute(sa.text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}).scalar())


def _rows(engine: sa.Engine, name: str) -> tuple[int, int]:
    """(users named `name`, audit events about that user)."""
    with engine.connect() as probe:
        users = probe.execute(sa.text("SELECT count(*) FROM users WHERE name = :n"), {"n": name}).scalar()
        audited = probe.execute(sa.text("SELECT count(*) FROM audit_events WHERE resource LIKE :r"),
                                {"r": f"%:user/{name}"}).scalar()
    return users, audited
