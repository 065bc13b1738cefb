"""`GET /metrics`: real calls move the right series, read with prometheus-client's own parser; the token guards it;
under gunicorn the workers' values are added up, a dead worker's counters included and its gauges dropped."""
from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ClientError
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import PG_URL, TEST_MASTER_KEY
from tests.support.aws_clients import client_for
from tests.support.servers import ProcessServer, free_port
from tests.support.signin import http_login

TOKEN = "metrics-" + "x" * 40
AUTH = {"Authorization": f"Bearer {TOKEN}"}
GET_USER_ONLY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["iam:GetUser", "sts:GetSessionToken"], "Resource": "*"}]})


@pytest.fixture
def app_config(app_config):
    return {**app_config, "IDP_METRICS_TOKEN": TOKEN}


def samples(text: str) -> dict[tuple, float]:
    """{(sample name, sorted label pairs): value} of one exposition, parsed by prometheus-client."""
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def scrape(url: str) -> dict[tuple, float]:
    answer = requests.get(f"{url}/metrics", headers=AUTH, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("text/plain")
    return samples(answer.text)


def moved(before: dict, after: dict, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    assert key in after, f"no series {key}"
    return after[key] - before.get(key, 0.0)


def test_real_calls_move_their_series(live_server, iam, user_client, runner, app):
    reader = user_client("reader", policy=GET_USER_ONLY)
    sts_key = iam.create_access_key(UserName="reader")["AccessKey"]
    sts = client_for(live_server, "sts", sts_key["AccessKeyId"], sts_key["SecretAccessKey"])
    made = runner.invoke(args=["idp", "clients", "create", "--json", "--name", "worker", "--grant-type",
                               "client_credentials", "--scope", "jobs.run"])
    assert made.exit_code == 0, made.output
    service = json.loads(made.output)
    account = iam.get_user()["User"]["Arn"].split(":")[4]
    before = scrape(live_server.url)

    reader.get_user()
    with pytest.raises(ClientError, match="AccessDenied"):
        reader.create_user(UserName="mallory")
    with pytest.raises(ClientError):
        sts.get_session_token(SerialNumber=f"arn:aws:iam::{account}:mfa/none", TokenCode="123456")
    assert http_login(requests.Session(), live_server.url, account, "root", "not-the-password").status_code == 401
    token_url = f"{live_server.url}/oauth2/token"
    issued = requests.post(token_url, data={"grant_type": "client_credentials"}, timeout=30,
                           auth=(service["client_id"], service["client_secret"]))
    assert issued.status_code == 200, issued.text
    refused = requests.post(token_url, data={"grant_type": "client_credentials"}, auth=(service["client_id"], "no"),
                            timeout=30)
    assert refused.status_code == 401
    with app.app_context():
        from idp.sts.jwks_cache import JwksCache, JwksUnavailable

        with pytest.raises(JwksUnavailable):
            JwksCache(timeout=2).key(f"http://127.0.0.1:{free_port()}", "any-kid")
        # Held while the next scrape runs: one more connection checked out of the pool than in the scrapes around.
        from sqlalchemy import text

        from models import db

        db.session.execute(text("SELECT 1"))
        during = scrape(live_server.url)
        db.session.close()
    after = scrape(live_server.url)

    decision = "idp_authz_decisions_total"
    # GetUser; GetSessionToken refuses the missing device before asking the authorizer.
    assert moved(before, during, decision, effect="Allow", policy_type="identity") == 1
    assert moved(before, during, decision, effect="ImplicitDeny", policy_type="identity") == 1  # CreateUser
    assert moved(before, during, "idp_mfa_failures_total", surface="sts:GetSessionToken", reason="invalid") == 1
    assert moved(before, during, "idp_signins_total", result="bad_password") == 1
    assert moved(before, during, "idp_signins_total", result="success") == 0
    assert moved(before, during, "idp_tokens_issued_total", grant_type="client_credentials") == 1
    assert moved(before, during, "idp_jwks_cache_lookups_total", result="miss") == 1
    assert moved(before, during, "idp_jwks_fetch_errors_total") == 1
    latency = "idp_http_request_duration_seconds_count"
    assert moved(before, during, latency, family="aws", endpoint="iam:GetUser") == 1
    assert moved(before, during, latency, family="aws", endpoint="iam:CreateUser") == 1
    assert moved(before, during, latency, family="oidc", endpoint="oidc.token") == 2
    assert moved(before, during, latency, family="page", endpoint="web.login_submit") == 1
    assert moved(before, during, "idp_http_requests_total", family="aws", endpoint="iam:CreateUser",
                 status="403") == 1
    assert moved(before, during, "idp_http_requests_total", family="oidc", endpoint="oidc.token", status="401") == 1
    # Bounded labels: the endpoint names and actions of the app, never a path or a caller's input.
    assert not {dict(labels).get("endpoint") for _, labels in during} & {"/", "/oauth2/token", "mallory"}
    checked_out = ("idp_db_pool_checked_out", ())
    assert during[checked_out] - after[checked_out] == 1
    assert after[("idp_db_pool_connections", ())] >= 1


def test_token_guards_metrics_and_unset_turns_them_off(app, client, app_config):
    from idp import create_app
    from idp.config import load_settings
    from idp.errors import ConfigError

    missing = client.get("/metrics")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    for header in (f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", TOKEN):
        refused = client.get("/metrics", headers={"Authorization": header})
        assert refused.status_code == 401, header
        assert refused.headers["WWW-Authenticate"].startswith('Bearer realm="metrics"')
        assert b"idp_" not in refused.data
    wrong = client.get("/metrics", headers={"Authorization": "Bearer " + "y" * 40})
    assert wrong.headers["WWW-Authenticate"] == 'Bearer realm="metrics", error="invalid_token"'
    served = client.get("/metrics", headers=AUTH)
    assert served.status_code == 200 and served.headers["Cache-Control"] == "no-store"
    assert ("idp_signins_total", (("result", "throttled"),)) in samples(served.get_data(as_text=True))

    off = create_app({**app_config, "IDP_METRICS_TOKEN": None})
    assert off.test_client().get("/metrics", headers=AUTH).status_code == 404
    for bad in ("short", "x" * 31, "spaces are not a token " * 3, "é" * 40):
        with pytest.raises(ConfigError, match="IDP_METRICS_TOKEN must be 32..256 characters"):
            load_settings({"IDP_METRICS_TOKEN": bad}, environ={})


def worker_pids(master: int) -> set[int]:
    return {int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()}


@pytest.mark.skipif(bool(PG_URL), reason="the same on either database: run once, in the SQLite run")
def test_gunicorn_dead_workers_still_count_and_their_gauges_go(app_config, root, tmp_path):
    shared = tmp_path / "prometheus"
    shared.mkdir()
    # A leftover of an earlier run: gunicorn.conf.py empties the directory before the first worker.
    (shared / "counter_1.db").write_bytes(b"not a prometheus-client file")
    server = ProcessServer({
        "IDP_DATABASE_URL": app_config["IDP_DATABASE_URL"], "IDP_MASTER_KEY": TEST_MASTER_KEY,
        "IDP_KEYS_DIR": app_config["IDP_KEYS_DIR"], "IDP_INSTANCE_DIR": app_config["IDP_INSTANCE_DIR"],
        "IDP_AUTO_BOOTSTRAP": "0", "IDP_HOUSEKEEPING": "off", "IDP_METRICS_TOKEN": TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(shared),
    })
    server.start()
    try:
        for _ in range(5):
            assert requests.get(f"{server.url}/healthz", timeout=30).status_code == 200
        first = scrape(server.url)
        old = worker_pids(server.process.pid)
        for pid in old:
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while not (worker_pids(server.process.pid) - old or time.monotonic() > deadline):
            time.sleep(0.05)
        later = scrape(server.url)  # by a new worker: what the dead one counted is read from its files
    finally:
        server.stop()
    healthz = ("idp_http_request_duration_seconds_count", (("endpoint", "health.healthz"), ("family", "health")))
    assert first[healthz] == later[healthz] == 5
    scrapes = ("idp_http_requests_total", (("endpoint", "metrics.scrape"), ("family", "metrics"), ("status", "200")))
    assert later[scrapes] == first.get(scrapes, 0) + 1 == 1  # a scrape is counted once it is answered
    # The dead worker's pool connections went with it (child_exit); the new worker has opened none yet.
    assert first[("idp_db_pool_connections", ())] >= 1
    assert later[("idp_db_pool_connections", ())] == 0
