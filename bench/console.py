"""The admin console at scale: users list and user page render time in a small and a large account, side by side.

One database holds two accounts: a small one (100 users) and a large one (`--users`, default 100,000, and
`--roles`, default 10,000), both filled by bulk INSERT (then ANALYZE, as autovacuum would). The root user of
each is signed in through the real login form, then each page is requested through the Flask test client (the
whole request: session, the shared authorizer, the audit rows of its decisions, the service reads, the template,
the commit) on one core:
- the users list's first page, a deep page (`?after=<a name half-way>`), a name-prefix search;
- one user's page (groups, policies, keys, password, MFA, tags, sessions, history).
Printed: p50 and p99 of each in both accounts and the ratio large/small at p99 (the issue's goal: within 1.5x,
and under 100 ms). PostgreSQL with `--server URL` (or IDP_BENCH_DATABASE_URL / IDP_TEST_DATABASE_URL: a fresh
database is created on that server and dropped afterwards); SQLite in a temporary file otherwise.

Run: `.venv/bin/python bench/console.py [--users 100000] [--roles 10000] [--requests 200] [--server URL]`.
"""
from __future__ import annotations

import argparse
import base64
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SMALL = 100
BATCH = 5_000
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},' \
        '"Action":"sts:AssumeRole"}]}'


@contextmanager
def database(server: str | None) -> Iterator[str]:
    """A fresh empty database: on the PostgreSQL `server`, or a temporary SQLite file."""
    if not server:
        with tempfile.TemporaryDirectory() as workdir:
            yield f"sqlite:///{workdir}/console-bench.db"
        return
    url = make_url(server)
    admin = sa.create_engine(url.set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    name = f"idp_bench_console_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def fill(db, account_id: str, users: int, roles: int) -> None:
    """`users` users (every tenth under /team-a/) and `roles` roles in the account, by bulk INSERT."""
    from models.role import Role
    from models.user import User

    now = datetime.now(timezone.utc)
    for table, count, kind, extra in ((User.__table__, users, "user", {}),
                                      (Role.__table__, roles, "role", {"trust_policy": TRUST})):
        for start in range(0, count, BATCH):
            rows = []
            for n in range(start, min(count, start + BATCH)):
                name, path = f"{kind}{n:06d}", "/team-a/" if n % 10 == 0 else "/"
                rows.append({"account_id": account_id, "name": name, "name_lower": name, "path": path,
                             "arn": f"arn:aws:iam::{account_id}:{kind}{path}{name}",
                             f"{kind}_id": f"AIDA{account_id}{kind[0].upper()}{n:08d}", "tags": [],
                             "created_at": now, **extra})
            db.session.execute(sa.insert(table), rows)
    db.session.commit()
    db.session.execute(sa.text("ANALYZE"))  # what autovacuum would have done after such a load
    db.session.commit()


def sign_in(app, account_id: str, password: str):
    """A test client signed in as the account's root user through the login form."""
    client = app.test_client()
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    answer = client.post("/login", data={"account": account_id, "username": "root", "password": password,
                                         "csrf_token": token})
    assert answer.status_code in (302, 303), answer.status_code
    return client


def timed(client, paths: list[str]) -> list[float]:
    """Milliseconds per request (each must answer 200)."""
    out = []
    for path in paths:
        began = time.perf_counter()
        answer = client.get(path)
        out.append((time.perf_counter() - began) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
    return out


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def pages(users: int, requests: int) -> dict[str, list[str]]:
    """The requests of each measured page for an account of `users` users."""
    middle = f"user{users // 2:06d}"
    return {
        "users list, first page": ["/console/users"] * requests,
        "users list, deep page": [f"/console/users?after={middle}"] * requests,
        "users list, name search": [f"/console/users?q={middle[:-2]}"] * requests,
        "user page": [f"/console/users/{middle}"] * requests,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--roles", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--server", default=os.environ.get("IDP_BENCH_DATABASE_URL")
                        or os.environ.get("IDP_TEST_DATABASE_URL"))
    args = parser.parse_args()

    import flask_migrate

    from idp import create_app, work
    from idp.iam import accounts
    from models import db

    with database(args.server) as url, tempfile.TemporaryDirectory() as workdir:
        app = create_app({"IDP_DATABASE_URL": url, "IDP_AUTO_BOOTSTRAP": "0", "IDP_KEYS_DIR": workdir,
                          "IDP_INSTANCE_DIR": workdir, "IDP_HOUSEKEEPING": "off", "IDP_LOG_FORMAT": "json",
                          "IDP_ISSUER": "http://127.0.0.1:8080",
                          "IDP_MASTER_KEY": base64.b64encode(os.urandom(32)).decode()})
        import logging

        logging.getLogger("idp.access").setLevel(logging.WARNING)  # one access line per request: not measured
        with app.app_context():
            flask_migrate.upgrade(directory=app.extensions["migrate"].directory)
            with app.test_request_context(), work.unit_of_work():
                small = accounts.create_account(root_password="Bench-Small-Root-Password-1")
                large = accounts.create_account(root_password="Bench-Large-Root-Password-1")
            began = time.perf_counter()
            fill(db, small.account_id, SMALL, SMALL // 10)
            fill(db, large.account_id, args.users, args.roles)
            print(f"{'PostgreSQL' if args.server else 'SQLite'}: filled {SMALL} and {args.users:,} users "
                  f"({args.roles:,} roles) in {time.perf_counter() - began:.1f} s")
        clients = {"small": sign_in(app, small.account_id, "Bench-Small-Root-Password-1"),
                   "large": sign_in(app, large.account_id, "Bench-Large-Root-Password-1")}
        print(f"{'page':28} {'100 users p50/p99 ms':>22} {f'{args.users:,} users p50/p99 ms':>26} "
              f"{'ratio p99':>10}")
        for label in pages(SMALL, args.requests):
            results = {}
            for size, count in (("small", SMALL), ("large", args.users)):
                paths = pages(count, args.requests)[label]
                timed(clients[size], paths[:5])  # warm the caches and the statement cache
                results[size] = percentiles(timed(clients[size], paths))
            (s50, s99), (l50, l99) = results["small"], results["large"]
            verdict = "met" if l99 <= 1.5 * s99 and l99 < 100 else "NOT met"
            print(f"{label:28} {s50:10.1f} / {s99:7.1f} {l50:14.1f} / {l99:7.1f} {l99 / s99:9.2f}x  {verdict}")
        print("goal: large p99 within 1.5x of the small account's and under 100 ms")


if __name__ == "__main__":
    main()
