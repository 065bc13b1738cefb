"""AssumeRole requests per second: this IdP under gunicorn vs moto_server, in the same run.

An IAM user (inline policy allowing sts:AssumeRole on the role) assumes a role
whose trust policy names the user with a StringEquals condition on
sts:ExternalId. Every measured request is freshly signed and authenticated on
both servers (moto with INITIAL_NO_AUTH_ACTION_COUNT set to exactly the
set-up calls); this IdP also enforces the trust and identity policies and
seals a self-contained session token.
Run: `.venv/bin/python bench/assume_role.py [--seconds 5]`.
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import iam_api  # noqa: E402
from bench.iam_api import start_idp, start_moto  # noqa: E402

# CreateUser, PutUserPolicy, CreateAccessKey, CreateRole, PutRolePolicy: moto's unauthenticated budget.
SETUP_CALLS = 5
EXTERNAL_ID = "bench-4711"
CLIENTS = 4
# The sync worker closes every connection; gthread keeps them alive (what a deployment would run).
GTHREAD = "--worker-class gthread --threads 4 --keep-alive 5"


def set_up(url: str, root: tuple[str, str]) -> tuple[tuple[str, str], str]:
    """The assuming user's credentials and the AssumeRole request body."""
    iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1", aws_access_key_id=root[0],
                       aws_secret_access_key=root[1], config=Config(retries={"max_attempts": 1}))
    user_arn = iam.create_user(UserName="assumer")["User"]["Arn"]
    role_arn = user_arn.rsplit(":", 1)[0] + ":role/bench/target"
    iam.put_user_policy(UserName="assumer", PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}]}))
    key = iam.create_access_key(UserName="assumer")["AccessKey"]
    iam.create_role(RoleName="target", Path="/bench/", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}}]}))
    iam.put_role_policy(RoleName="target", PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}]}))
    body = (f"Action=AssumeRole&Version=2011-06-15&RoleArn={quote(role_arn, safe='')}"
            f"&RoleSessionName=bench&ExternalId={EXTERNAL_ID}&DurationSeconds=900")
    return (key["AccessKeyId"], key["SecretAccessKey"]), body


def _client_loop(url: str, creds: tuple[str, str], body: str, stop_at: float, counter, failure) -> None:
    # http.client rather than requests: a lean client, so the servers and not the clients are measured.
    signer = SigV4Auth(Credentials(*creds), "sts", "us-east-1")
    host = url.split("//", 1)[1]
    connection = http.client.HTTPConnection(host, timeout=10)
    done = 0
    while time.time() < stop_at:
        request = AWSRequest("POST", url + "/", data=body,
                             headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        signer.add_auth(request)
        connection.request("POST", "/", body=body, headers=dict(request.headers.items()))
        response = connection.getresponse()
        content = response.read()
        if response.status != 200 or b"<SessionToken>" not in content:
            failure.value = response.status or 1
            break
        done += 1
    with counter.get_lock():
        counter.value += done


def rate(url: str, creds: tuple[str, str], body: str, seconds: float, clients: int = CLIENTS) -> float:
    """AssumeRole calls per second (each freshly signed for sts) from `clients` client processes."""
    counter, failure = multiprocessing.Value("l", 0), multiprocessing.Value("i", 0)
    stop_at = time.time() + seconds
    pool = [multiprocessing.Process(target=_client_loop, args=(url, creds, body, stop_at, counter, failure))
            for _ in range(clients)]
    started = time.time()
    for process in pool:
        process.start()
    for process in pool:
        process.join()
    if failure.value:
        raise RuntimeError(f"HTTP {failure.value}")
    return counter.value / (time.time() - started)


def measure(label: str, server_core: str | None, client_cores: set[int] | None, workers: int,
            seconds: float, gunicorn_args: str = "") -> None:
    """Start each server in turn, set it up, measure AssumeRole, print both rates and the ratio."""
    if client_cores is not None:
        os.sched_setaffinity(0, client_cores)
    iam_api.SETUP_CALLS = SETUP_CALLS  # start_moto reads it: every measured call is authenticated
    os.environ["GUNICORN_CMD_ARGS"] = gunicorn_args  # start_idp passes the environment on to gunicorn
    results: dict[str, float] = {}
    per_cpu: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, start in (("idp", lambda: start_idp(Path(tmp), server_core, workers)),
                            ("moto", lambda: start_moto(server_core))):
            server, url, root = start()
            try:
                creds, body = set_up(url, root)
                rate(url, creds, body, 1.0)  # warm-up
                cpu = iam_api.server_cpu_seconds(server.pid)
                results[name] = rate(url, creds, body, seconds)
                # Per server CPU-second: what one core serves, robust to other load on a shared machine.
                per_cpu[name] = results[name] * seconds / max(iam_api.server_cpu_seconds(server.pid) - cpu, 1e-9)
            finally:
                server.terminate()
                server.wait()
    print(f"\n{label}")  # noqa: T201
    print(f"{'AssumeRole':12} idp {results['idp']:8.0f}/s   moto {results['moto']:8.0f}/s   "
          f"ratio {results['idp'] / results['moto']:5.2f}x")
    print(f"{'per CPU-s':12} idp {per_cpu['idp']:8.0f}     moto {per_cpu['moto']:8.0f}     "  # noqa: T201
          f"ratio {per_cpu['idp'] / per_cpu['moto']:5.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    if cores >= 2 and shutil.which("taskset"):
        for worker, extra in (("sync", ""), ("gthread, keep-alive", GTHREAD)):
            measure(f"one core: server on core 0 (1 gunicorn {worker} worker / moto), clients on the other cores",
                    "0", set(range(1, cores)), 1, args.seconds, extra)
    measure(f"whole machine ({cores} cores, {cores} gunicorn gthread workers / threaded moto, clients unpinned)",
            None, set(range(cores)), cores, args.seconds, GTHREAD)


if __name__ == "__main__":
    main()
