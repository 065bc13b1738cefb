"""Flat cost at scale: per-request latency with 100,000 users, 10,000 roles and 1,000,000 audit rows on PostgreSQL,
beside the same requests against an account of 100 users, in the same run.

Two PostgreSQL databases are migrated to head and bootstrapped the same way: a template user, role and group are
made through the IAM API, then the large one is filled by `INSERT ... SELECT` from the template rows (every column
copied, so the bench follows the schema as it grows) with `generate_series`: 100,000 users each in one of 10
groups, 10,000 roles, and 1,000,000 audit rows over a year. Then, in-process through the WSGI app (the Flask test
client: no HTTP server, so the figures are the application's own cost), each request is timed `--requests` times
on each database: GetUser, ListUsers (first page of 100), AssumeRole, a `client_credentials` token, `POST
/authorize` with a SigV4-signed forwarded request, and the sign-in page. The caller is an IAM user with an inline
policy, so the policy engine runs on every call. The goal (issue 18): large/small <= 1.5x at p50 and at p99, and the
process's resident memory flat after warm-up.

Run: `.venv/bin/python bench/scale.py [--users 100000] [--roles 10000] [--audit 1000000] [--requests 300]
[--server postgresql+psycopg://postgres@127.0.0.1:5432/postgres]`.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.support.bulk import copy_rows  # noqa: E402

HOST = "http://localhost"
READER_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["iam:Get*", "iam:List*", "sts:AssumeRole", "notes:GetNote"], "Resource": "*"},
    {"Effect": "Deny", "Action": "iam:Delete*", "Resource": "*"},
]})
NOTE_URL = "http://127.0.0.1:5001/notebooks/team/notes/hello"
ACTION, RESOURCE = "notes:GetNote", "arn:aws:notes:::notebook/team/note/hello"


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Deployment:
    """One migrated, bootstrapped database and an app on it, driven through the WSGI test client."""

    def __init__(self, admin, server, label: str, workdir: Path):
        import flask_migrate

        from idp import create_app
        from idp.bootstrap import bootstrap

        self.admin, self.label = admin, label
        self.name = f"idp_bench_scale_{label}_{uuid.uuid4().hex[:6]}"
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
        self.url = server.set(database=self.name).render_as_string(hide_password=False)
        home = workdir / label
        home.mkdir()
        self.app = create_app({
            "IDP_DATABASE_URL": self.url, "IDP_AUTO_BOOTSTRAP": "0", "IDP_KEYS_DIR": str(home),
            "IDP_INSTANCE_DIR": str(home), "IDP_HOUSEKEEPING": "off", "IDP_ISSUER": "http://localhost",
            "IDP_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
        })
        with self.app.app_context():
            flask_migrate.upgrade(directory=self.app.extensions["migrate"].directory)
        root = bootstrap(self.app)
        self.account = root.account_id
        self.client = self.app.test_client()
        self.root = Credentials(root.access_key_id, root.secret_access_key)

    def call(self, credentials: Credentials, service: str, params: dict) -> dict:
        """A SigV4-signed Query call; the parsed XML text of the answer (asserts 200)."""
        body = urlencode(params)
        request = AWSRequest("POST", HOST + "/", data=body,
                             headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        SigV4Auth(credentials, service, "us-east-1").add_auth(request)
        answer = self.client.post("/", data=body, headers=dict(request.headers.items()))
        assert answer.status_code == 200, (params["Action"], answer.status_code, answer.get_data(as_text=True)[:400])
        return answer

    def set_up(self) -> None:
        """The template entities, the reader (an IAM user with an inline policy and a key) and a token client."""
        iam = lambda **params: self.call(self.root, "iam", {"Version": "2010-05-08", **params})  # noqa: E731
        iam(Action="CreateGroup", GroupName="g0")
        iam(Action="CreateUser", UserName="u0", Path="/scale/")
        iam(Action="AddUserToGroup", GroupName="g0", UserName="u0")
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                                     "Principal": {"AWS": self.account}}]})
        iam(Action="CreateRole", RoleName="r0", AssumeRolePolicyDocument=trust)
        iam(Action="CreateUser", UserName="reader")
        iam(Action="PutUserPolicy", UserName="reader", PolicyName="read", PolicyDocument=READER_POLICY)
        key = iam(Action="CreateAccessKey", UserName="reader").get_data(as_text=True)
        self.reader = Credentials(_between(key, "<AccessKeyId>", "</AccessKeyId>"),
                                  _between(key, "<SecretAccessKey>", "</SecretAccessKey>"))
        made = self.app.test_cli_runner().invoke(args=[
            "idp", "clients", "create", "--json", "--name", "bench", "--grant-type", "client_credentials"])
        assert made.exit_code == 0, made.output
        client = json.loads(made.output)
        self.basic = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode()).decode()

    def fill(self, users: int, roles: int, audit: int) -> None:
        """Copy the template rows `users`, `roles` and `audit` times, then ANALYZE (INSERT ... SELECT)."""
        engine = sa.create_engine(self.url, poolclass=NullPool)
        with engine.begin() as connection:
            copy_rows(connection, "users", "name = 'u0'", users - 1, {
                "name": "'u' || g", "name_lower": "'u' || g", "user_id": "'AIDA' || lpad(g::text, 17, '0')",
                "arn": f"'arn:aws:iam::{self.account}:user/scale/u' || g"})
            copy_rows(connection, "groups", "name = 'g0'", 9, {
                "name": "'g' || g", "name_lower": "'g' || g", "group_id": "'AGPA' || lpad(g::text, 17, '0')",
                "arn": f"'arn:aws:iam::{self.account}:group/g' || g"})
            connection.exec_driver_sql(
                "INSERT INTO group_memberships (group_id, user_id, added_at) SELECT g.id, u.id, now() FROM users u JOIN groups g "
                "ON g.account_id = u.account_id AND g.name = 'g' || mod(u.id, 10) "
                "WHERE u.name NOT IN ('u0', 'reader')")
            copy_rows(connection, "roles", "name = 'r0'", roles - 1, {
                "name": "'r' || g", "name_lower": "'r' || g", "role_id": "'AROA' || lpad(g::text, 17, '0')",
                "arn": f"'arn:aws:iam::{self.account}:role/r' || g"})
            copy_rows(connection, "audit_events", "id = (SELECT max(id) FROM audit_events)", audit, {
                "occurred_at": "occurred_at - (g * interval '31 seconds')", "request_id": "md5(g::text || 'r')"})
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
        engine.dispose()

    def requests(self) -> dict:
        """The measured requests, each a function of no arguments that asserts its answer."""
        def query(service: str, params: dict):
            return lambda: self.call(self.reader, service, params)

        forwarded = {}

        def authorize():
            request = AWSRequest(method="GET", url=NOTE_URL, data=b"", headers={"Host": "127.0.0.1:5001"})
            SigV4Auth(self.reader, "notes", "us-east-1").add_auth(request)
            forwarded.update(method="GET", url=NOTE_URL, headers=dict(request.headers.items()), body="")
            answer = self.client.post("/authorize", json={"request": forwarded, "action": ACTION,
                                                           "resource": RESOURCE})
            assert answer.status_code == 200 and answer.json["decision"] == "Allow", answer.json

        def token():
            answer = self.client.post("/oauth2/token", data={"grant_type": "client_credentials"},
                                      headers={"Authorization": f"Basic {self.basic}"})
            assert answer.status_code == 200, answer.get_data(as_text=True)

        def login_page():
            assert self.client.get(f"/login?account={self.account}").status_code == 200

        return {
            "GetUser": query("iam", {"Action": "GetUser", "Version": "2010-05-08", "UserName": "u0"}),
            "ListUsers (first 100)": query("iam", {"Action": "ListUsers", "Version": "2010-05-08",
                                                   "MaxItems": "100"}),
            "AssumeRole": query("sts", {"Action": "AssumeRole", "Version": "2011-06-15", "RoleSessionName": "bench",
                                        "RoleArn": f"arn:aws:iam::{self.account}:role/r0"}),
            "token (client_credentials)": token,
            "POST /authorize (SigV4)": authorize,
            "sign-in page": login_page,
        }

    def drop(self) -> None:
        with self.app.app_context():
            from models import db

            db.session.remove()
            db.engine.dispose()
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def _between(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]


def timed(function, count: int) -> list[float]:
    for _ in range(10):  # warm caches: the per-account policy cache, statement caches, the keystore
        function()
    samples = []
    for _ in range(count):
        began = time.perf_counter()
        function()
        samples.append((time.perf_counter() - began) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--roles", type=int, default=10_000)
    parser.add_argument("--audit", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--server", default=os.environ.get("IDP_BENCH_DATABASE_URL",
                                                           "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    server = make_url(args.server)
    admin = sa.create_engine(server.set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    deployments: list[Deployment] = []
    with tempfile.TemporaryDirectory() as workdir:
        try:
            small = Deployment(admin, server, "small", Path(workdir))
            deployments.append(small)
            large = Deployment(admin, server, "large", Path(workdir))
            deployments.append(large)
            for deployment in deployments:
                deployment.set_up()
            began = time.perf_counter()
            small.fill(100, 100, 1_000)
            large.fill(args.users, args.roles, args.audit)
            print(f"filled: small 100 users/100 roles/1,000 audit rows; large {args.users:,} users, "
                  f"{args.roles:,} roles, {args.audit:,} audit rows ({time.perf_counter() - began:.0f} s)")
            report(small, large, args.requests)
        finally:
            for deployment in deployments:
                deployment.drop()
    admin.dispose()


def report(small: Deployment, large: Deployment, count: int) -> None:
    print(f"\nin-process (WSGI test client, no HTTP server), {count} requests each, ms:")
    print(f"{'request':28} {'small p50':>9} {'p99':>7} {'large p50':>10} {'p99':>7} {'x p50':>6} {'x p99':>6}")
    worst = 0.0
    memory = []
    for name in small.requests():
        with small.app.app_context():
            s50, s99 = percentiles(timed(small.requests()[name], count))
        with large.app.app_context():
            l50, l99 = percentiles(timed(large.requests()[name], count))
        memory.append(rss_mb())
        worst = max(worst, l50 / s50, l99 / s99)
        print(f"{name:28} {s50:9.2f} {s99:7.2f} {l50:10.2f} {l99:7.2f} {l50 / s50:6.2f} {l99 / s99:6.2f}")
    print(f"\nworst large/small ratio: {worst:.2f}x (goal <= 1.5x at p50 and p99): "
          f"{'met' if worst <= 1.5 else 'NOT met'}")
    print(f"resident memory of this process (both apps): after the first request kind {memory[0]:.0f} MB, "
          f"after the last {memory[-1]:.0f} MB (goal <= 200 MB per worker, flat after warm-up)")


if __name__ == "__main__":
    main()
