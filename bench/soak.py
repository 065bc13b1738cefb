"""Load and faults: mixed traffic against two instances on one PostgreSQL while workers are killed and the signing key
rotates; afterwards, every acknowledged write must be there and no refused one.

Two gunicorn instances (2 gthread workers each, `make run`'s worker class) share a fresh PostgreSQL database and
master key. Client threads (loopback only) send a mix for `--seconds`: IAM writes (CreateUser with a unique name),
IAM reads (GetUser), AssumeRole, `client_credentials` tokens, password sign-ins, and `POST /authorize` with a
SigV4-signed forwarded request, alternating between the instances. Every 30 s one worker of either instance is
killed with SIGKILL (gunicorn starts another); half-way the signing key is rotated with `idp keys rotate`; an access
key is deleted through one instance and the other is polled until it refuses it.

The report: requests and errors by kind (a connection dropped by a killed worker is "in flight", the only kind
allowed to fail), every CreateUser answered 200 present in the database afterwards, none answered with an error
present, how long the other instance took to refuse the deleted key (documented bound:
`IDP_AUTHZ_REFRESH_SECONDS`), and p99 latency overall and in the 10 s after the rotation.

Run: `.venv/bin/python bench/soak.py [--seconds 180] [--threads 6]
[--server postgresql+psycopg://postgres@127.0.0.1:5432/postgres]`.
"""
from __future__ import annotations

import argparse
import base64
import collections
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import requests
import sqlalchemy as sa
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.support.servers import free_port  # noqa: E402

PASSWORD = "Soak-Root-Password-Indigo-73"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})
READER = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["iam:GetUser", "sts:AssumeRole", "notes:GetNote"], "Resource": "*"}]})
NOTE_URL = "http://127.0.0.1:5001/notebooks/team/notes/hello"
KILL_EVERY = 30.0


class Instance:
    """One gunicorn instance of the IdP; its log goes to a file (a pipe would fill up and stall it)."""

    def __init__(self, env: dict, workdir: Path, name: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(workdir / f"{name}.log", "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}", "--workers", "2",
             "--worker-class", "gthread", "--threads", "4", "--keep-alive", "5", "app:app"],
            cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/readyz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.3)
        raise RuntimeError(f"{name} did not become ready")

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


class Tally:
    """Outcomes and latencies by request kind, and each CreateUser's answer."""

    def __init__(self):
        self.lock = threading.Lock()
        self.outcomes: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.latencies: list[tuple[float, float]] = []
        self.created: dict[str, str] = {}

    def record(self, kind: str, outcome: str, began: float, ended: float) -> None:
        with self.lock:
            self.outcomes[kind][outcome] += 1
            if outcome == "ok":
                self.latencies.append((ended, (ended - began) * 1000))


def signed_query(url: str, credentials: Credentials, service: str, params: dict, session) -> requests.Response:
    body = urlencode(params)
    request = AWSRequest("POST", url + "/", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(credentials, service, "us-east-1").add_auth(request)
    return session.post(url + "/", data=body, headers=dict(request.headers.items()), timeout=30)


class Load:
    """The mix of requests; each returns (kind, ok) or raises requests' connection errors."""

    def __init__(self, instances, account: str, root: Credentials, reader: Credentials, client: dict, tally: Tally):
        self.instances, self.account, self.root, self.reader, self.tally = instances, account, root, reader, tally
        self.basic = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode()).decode()

    def create_user(self, url, session) -> bool:
        name = f"soak-{uuid.uuid4().hex[:12]}"
        with self.tally.lock:
            self.tally.created[name] = "in flight"  # stays so if the connection drops before the answer
        answer = signed_query(url, self.root, "iam", {"Action": "CreateUser", "Version": "2010-05-08",
                                                      "UserName": name}, session)
        with self.tally.lock:
            self.tally.created[name] = "acknowledged" if answer.status_code == 200 else f"HTTP {answer.status_code}"
        return answer.status_code == 200

    def get_user(self, url, session) -> bool:
        return signed_query(url, self.reader, "iam", {"Action": "GetUser", "Version": "2010-05-08",
                                                    "UserName": "reader"}, session).status_code == 200

    def assume_role(self, url, session) -> bool:
        return signed_query(url, self.reader, "sts", {
            "Action": "AssumeRole", "Version": "2011-06-15", "RoleSessionName": "soak",
            "RoleArn": f"arn:aws:iam::{self.account}:role/soak"}, session).status_code == 200

    def token(self, url, session) -> bool:
        return session.post(url + "/oauth2/token", data={"grant_type": "client_credentials"}, timeout=30,
                            headers={"Authorization": f"Basic {self.basic}"}).status_code == 200

    def sign_in(self, url, session) -> bool:
        session.cookies.clear()
        token = CSRF.search(session.get(url + "/login", timeout=30).text).group(1)
        answer = session.post(url + "/login", allow_redirects=False, timeout=30, data={
            "account": self.account, "username": "root", "password": PASSWORD, "csrf_token": token})
        return answer.status_code == 302 and "idp_session" in answer.headers.get("Set-Cookie", "")

    def authorize(self, url, session) -> bool:
        request = AWSRequest(method="GET", url=NOTE_URL, data=b"", headers={"Host": "127.0.0.1:5001"})
        SigV4Auth(self.reader, "notes", "us-east-1").add_auth(request)
        answer = session.post(url + "/authorize", timeout=30, json={
            "request": {"method": "GET", "url": NOTE_URL, "headers": dict(request.headers.items()), "body": ""},
            "action": "notes:GetNote", "resource": "arn:aws:notes:::notebook/team/note/hello"})
        return answer.status_code == 200 and answer.json().get("decision") == "Allow"

    MIX = [("CreateUser", create_user, 3), ("GetUser", get_user, 3), ("AssumeRole", assume_role, 2),
           ("token", token, 2), ("sign-in", sign_in, 1), ("/authorize", authorize, 2)]

    def run(self, deadline: float, seed: int) -> None:
        rng = random.Random(seed)
        sessions = [requests.Session() for _ in self.instances]
        kinds = [entry for entry in self.MIX for _ in range(entry[2])]
        turn = seed
        while time.monotonic() < deadline:
            kind, request, _ = rng.choice(kinds)
            turn += 1
            index = turn % len(self.instances)
            began = time.monotonic()
            try:
                outcome = "ok" if request(self, self.instances[index].url, sessions[index]) else "refused"
            except (requests.ConnectionError, requests.Timeout):
                outcome = "in flight (connection dropped)"
                sessions[index] = requests.Session()
            self.tally.record(kind, outcome, began, time.monotonic())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument("--server", default=os.environ.get("IDP_BENCH_DATABASE_URL",
                                                           "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    server = make_url(args.server)
    admin = sa.create_engine(server.set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    name = f"idp_bench_soak_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    instances: list[Instance] = []
    try:
        with tempfile.TemporaryDirectory() as workdir:
            env = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")} | {
                "IDP_DATABASE_URL": url, "IDP_KEYS_DIR": workdir, "IDP_INSTANCE_DIR": workdir,
                "IDP_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(), "IDP_ROOT_PASSWORD": PASSWORD,
                "IDP_ISSUER": "http://127.0.0.1:5999", "IDP_LOG_FORMAT": "json",
                "PROMETHEUS_MULTIPROC_DIR": str(Path(workdir) / "prometheus")}
            Path(env["PROMETHEUS_MULTIPROC_DIR"]).mkdir()
            soak(args, env, instances, Path(workdir))
    finally:
        for instance in instances:
            instance.stop()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def flask(env: dict, *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", "idp", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, check=True).stdout


def soak(args, env: dict, instances: list, workdir: Path) -> None:
    root_json = json.loads(flask(env, "bootstrap", "--json"))
    root = Credentials(root_json["access_key_id"], root_json["secret_access_key"])
    client = json.loads(flask(env, "clients", "create", "--json", "--name", "soak", "--grant-type",
                              "client_credentials"))
    instances.extend([Instance(env, workdir, "a"), Instance(env, workdir, "b")])
    setup = requests.Session()
    for params in ({"Action": "CreateUser", "UserName": "reader"}, {"Action": "CreateRole", "RoleName": "soak",
                                                                      "AssumeRolePolicyDocument": TRUST},
                   {"Action": "PutUserPolicy", "UserName": "reader", "PolicyName": "soak", "PolicyDocument": READER}):
        answer = signed_query(instances[0].url, root, "iam", {"Version": "2010-05-08", **params}, setup)
        assert answer.status_code == 200, answer.text
    made = signed_query(instances[0].url, root, "iam", {"Version": "2010-05-08", "Action": "CreateAccessKey",
                                                        "UserName": "reader"}, setup).text
    reader = Credentials(made.split("<AccessKeyId>")[1].split("<")[0], made.split("<SecretAccessKey>")[1].split("<")[0])
    tally = Tally()
    load = Load(instances, root_json["account_id"], root, reader, client, tally)
    began = time.monotonic()
    deadline = began + args.seconds
    threads = [threading.Thread(target=load.run, args=(deadline, n)) for n in range(args.threads)]
    for thread in threads:
        thread.start()

    kills, events = [], {}

    def kill_workers() -> None:
        next_kill = began + KILL_EVERY
        while next_kill < deadline:
            time.sleep(max(0.0, next_kill - time.monotonic()))
            victim = random.choice(random.choice(instances).workers())
            os.kill(victim, signal.SIGKILL)
            kills.append(round(time.monotonic() - began))
            next_kill += KILL_EVERY

    def rotate() -> None:
        time.sleep(args.seconds / 2)
        events["rotation_began"] = time.monotonic()
        flask(env, "keys", "rotate")
        events["rotated_at"] = time.monotonic()

    def revoke() -> None:
        time.sleep(args.seconds * 0.6)
        events["revocation"] = revoke_and_wait(instances, root)

    faults = [threading.Thread(target=target) for target in (kill_workers, rotate, revoke)]
    for thread in faults:
        thread.start()
    for thread in faults + threads:
        thread.join()
    rotated_at, revocation = events.get("rotated_at"), events.get("revocation")
    report(tally, env["IDP_DATABASE_URL"], kills, (events.get("rotation_began"), rotated_at), revocation, began, args,
           int(env.get("IDP_AUTHZ_REFRESH_SECONDS", "1")))


def revoke_and_wait(instances, root: Credentials) -> float:
    """Delete a fresh access key through instance A; seconds until instance B refuses it."""
    session = requests.Session()
    made = signed_query(instances[0].url, root, "iam", {"Action": "CreateAccessKey", "Version": "2010-05-08",
                                                        "UserName": "reader"}, session).text
    key = Credentials(made.split("<AccessKeyId>")[1].split("<")[0], made.split("<SecretAccessKey>")[1].split("<")[0])
    whoami = {"Action": "GetCallerIdentity", "Version": "2011-06-15"}
    deadline = time.monotonic() + 30
    while signed_query(instances[1].url, key, "sts", whoami, session).status_code != 200:
        assert time.monotonic() < deadline, "instance B never accepted the new key"
        time.sleep(0.05)
    answer = signed_query(instances[0].url, root, "iam", {"Action": "DeleteAccessKey", "Version": "2010-05-08",
                                                          "UserName": "reader", "AccessKeyId": key.access_key},
                          session)
    assert answer.status_code == 200, answer.text
    deleted = time.monotonic()
    while signed_query(instances[1].url, key, "sts", whoami, session).status_code == 200:
        if time.monotonic() - deleted > 60:
            return float("inf")
        time.sleep(0.05)
    return time.monotonic() - deleted


def report(tally: Tally, url: str, kills, rotation, revocation, began, args, refresh: int) -> None:
    rotation_began, rotated_at = rotation
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        present = set(connection.exec_driver_sql("SELECT name FROM users WHERE name LIKE 'soak-%%'").scalars())
    engine.dispose()
    acknowledged = {name for name, answer in tally.created.items() if answer == "acknowledged"}
    refused = {name for name, answer in tally.created.items() if answer.startswith("HTTP")}
    in_flight = {name for name, answer in tally.created.items() if answer == "in flight"}
    lost = acknowledged - present
    phantom = refused & present
    total = sum(sum(counter.values()) for counter in tally.outcomes.values())
    print(f"soak: {args.seconds:.0f} s, {args.threads} client threads, 2 instances x 2 gthread workers on one "
          f"PostgreSQL; workers SIGKILLed at {kills} s; key rotated at "
          f"{rotated_at - began:.0f} s" if rotated_at else "soak: (no rotation)")
    print(f"requests: {total}")
    for kind, counter in sorted(tally.outcomes.items()):
        print(f"  {kind:12} " + ", ".join(f"{outcome}: {count}" for outcome, count in counter.most_common()))
    bad = {kind: {o: c for o, c in counter.items() if o not in ("ok", "in flight (connection dropped)")}
           for kind, counter in tally.outcomes.items()}
    bad = {kind: value for kind, value in bad.items() if value}
    print(f"errors other than in-flight requests of a killed worker: {bad or 'none'}")
    print(f"CreateUser answered 200: {len(acknowledged)}, all present afterwards: {not lost} "
          f"(lost: {len(lost)}); answered with an error: {len(refused)}, present anyway: {len(phantom)}; "
          f"answer lost with a killed worker: {len(in_flight)} ({len(in_flight & present)} committed before it died)")
    latencies = [ms for _, ms in tally.latencies]
    p99 = sorted(latencies)[int(len(latencies) * 0.99)] if latencies else float("nan")
    rotation = [ms for at, ms in tally.latencies if rotated_at and rotation_began <= at <= rotated_at + 10]
    r99 = sorted(rotation)[int(len(rotation) * 0.99)] if rotation else float("nan")
    print(f"latency: p50 {statistics.median(latencies):.1f} ms, p99 {p99:.1f} ms overall; "
          f"p99 {r99:.1f} ms from the rotation's start to 10 s after it ({len(rotation)} requests)")
    print(f"deleted access key refused by the other instance after {revocation:.2f} s "
          f"(documented bound: IDP_AUTHZ_REFRESH_SECONDS = {refresh} s)" if revocation is not None else
          "revocation: not measured (run longer)")
    print(f"nothing lost: {'yes' if not lost and not phantom else 'NO'}")


if __name__ == "__main__":
    main()
