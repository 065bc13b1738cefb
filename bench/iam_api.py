"""Signed IAM requests per second: this IdP under gunicorn vs moto_server, in the same run.

Both servers verify every signature and evaluate the caller's identity
policies (moto with INITIAL_NO_AUTH_ACTION_COUNT set to exactly the set-up
calls, so every measured request is authenticated). The caller is an IAM user
with an inline policy, not the root user, so the policy engine runs on every
request. Besides requests/s, each server's own CPU time is read from /proc, so
"requests per server CPU-second" says what one core serves even on a shared
machine. Run: `.venv/bin/python bench/iam_api.py [--seconds 5]`.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import multiprocessing
import time
from pathlib import Path

import boto3
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

REPO = Path(__file__).resolve().parents[1]
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "ReadIam", "Effect": "Allow", "Action": ["iam:Get*", "iam:List*", "iam:Simulate*"], "Resource": "*"},
    {"Sid": "NoDeletes", "Effect": "Deny", "Action": "iam:Delete*", "Resource": "*"},
    {"Sid": "OwnKeys", "Effect": "Allow", "Action": "iam:*AccessKey*",
     "Resource": "arn:aws:iam::*:user/${aws:username}"},
]})
USERS = 100
# CreateUser x (USERS + 1), PutUserPolicy, CreateAccessKey: moto's unauthenticated set-up budget.
SETUP_CALLS = USERS + 3
# The sync worker closes every connection; gthread keeps them alive (what `make run` serves with).
GTHREAD = "--worker-class gthread --threads 4 --keep-alive 5"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def pinned(args: list[str], core: str | None) -> list[str]:
    return (["taskset", "-c", core] if core is not None and shutil.which("taskset") else []) + args


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a server process and its children so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    for process in [str(pid), *children]:
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def start_idp(workdir: Path, core: str | None, workers: int) -> tuple[subprocess.Popen, str, tuple[str, str]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")}
    env.update({
        "IDP_DATABASE_URL": f"sqlite:///{workdir / 'idp.db'}", "IDP_KEYS_DIR": str(workdir / "keys"),
        "IDP_INSTANCE_DIR": str(workdir), "IDP_ISSUER": f"http://127.0.0.1:{port}",
        "IDP_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
    })
    boot = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "idp", "bootstrap", "--json"],
                          cwd=REPO, env=env, capture_output=True, text=True, check=True)
    root = json.loads(boot.stdout)
    server = subprocess.Popen(
        pinned([sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", str(workers), "app:app"], core),
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_up(url + "/healthz")
    return server, url, (root["access_key_id"], root["secret_access_key"])


def start_moto(core: str | None) -> tuple[subprocess.Popen, str, tuple[str, str]]:
    port = free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(SETUP_CALLS)}
    moto = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or "moto_server"
    server = subprocess.Popen(pinned([moto, "-p", str(port)], core), env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_until_up(url + "/moto-api/")
    return server, url, ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


def set_up(url: str, root: tuple[str, str]) -> tuple[str, str]:
    """100 users, and a reader user with an inline policy and a key; returns its credentials."""
    iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1", aws_access_key_id=root[0],
                       aws_secret_access_key=root[1], config=Config(retries={"max_attempts": 1}))
    for i in range(USERS):
        iam.create_user(UserName=f"user{i:03d}")
    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="read", PolicyDocument=POLICY)
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def _client_loop(url: str, creds: tuple[str, str], body: str, stop_at: float, counter, failure) -> None:
    signer = SigV4Auth(Credentials(*creds), "iam", "us-east-1")
    session = requests.Session()
    done = 0
    while time.time() < stop_at:
        request = AWSRequest("POST", url + "/", data=body,
                             headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        signer.add_auth(request)
        response = session.post(url + "/", data=body, headers=dict(request.headers.items()), timeout=10)
        if response.status_code != 200:
            failure.value = response.status_code
            break
        done += 1
    with counter.get_lock():
        counter.value += done


def _floor_loop(url: str, stop_at: float, counter, failure) -> None:
    session, done = requests.Session(), 0
    while time.time() < stop_at:
        if session.get(url + "/healthz", timeout=10).status_code != 200:
            failure.value = 1
            break
        done += 1
    with counter.get_lock():
        counter.value += done


def floor_rate(url: str, seconds: float, clients: int) -> float:
    """GET /healthz per second from `clients` processes: the HTTP floor of the server under test."""
    counter, failure = multiprocessing.Value("l", 0), multiprocessing.Value("i", 0)
    stop_at = time.time() + seconds
    pool = [multiprocessing.Process(target=_floor_loop, args=(url, stop_at, counter, failure))
            for _ in range(clients)]
    started = time.time()
    for process in pool:
        process.start()
    for process in pool:
        process.join()
    return counter.value / (time.time() - started)


def rate(url: str, creds: tuple[str, str], body: str, seconds: float, clients: int) -> float:
    """Freshly signed requests per second over `seconds`, from `clients` client processes."""
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


CALLS = {
    "GetUser": "Action=GetUser&Version=2010-05-08&UserName=user042",
    "ListUsers (100 users)": "Action=ListUsers&Version=2010-05-08&MaxItems=100",
    "SimulatePrincipalPolicy": None,  # filled in with the reader's ARN
}


def measure(label: str, server_core: str | None, client_core: str | None, workers: int, seconds: float) -> None:
    if client_core is not None and shutil.which("taskset"):
        os.sched_setaffinity(0, {int(client_core)})
    results: dict[str, dict[str, float]] = {}
    per_cpu: dict[str, dict[str, float]] = {"idp": {}, "moto": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name, start in (("idp", lambda: start_idp(Path(tmp), server_core, workers)),
                            ("moto", lambda: start_moto(server_core))):
            server, url, root = start()
            try:
                creds = set_up(url, root)
                results[name] = {}
                if name == "idp":
                    cpu = server_cpu_seconds(server.pid)
                    floor = floor_rate(url, seconds, clients=4)
                    floor_cpu = floor * seconds / max(server_cpu_seconds(server.pid) - cpu, 1e-9)
                for call, body in CALLS.items():
                    if body is None:
                        arn = requests.utils.quote(_own_arn(url, creds), safe="")
                        body = (f"Action=SimulatePrincipalPolicy&Version=2010-05-08&PolicySourceArn={arn}"
                                "&ActionNames.member.1=iam%3AGetUser&ActionNames.member.2=iam%3ADeleteUser")
                    try:
                        cpu = server_cpu_seconds(server.pid)
                        results[name][call] = rate(url, creds, body, seconds, clients=4)
                        # Requests per CPU-second of the server itself: what one core would serve,
                        # robust to other load on a shared machine (it counts only the server's time).
                        per_cpu[name][call] = results[name][call] * seconds / max(
                            server_cpu_seconds(server.pid) - cpu, 1e-9)
                    except RuntimeError as error:
                        results[name][call] = per_cpu[name][call] = float("nan")
                        print(f"  {name} {call}: not supported ({str(error)[:80]})")
            finally:
                server.terminate()
                server.wait()
    print(f"\n{label}")
    print(f"idp GET /healthz (the HTTP floor): {floor:.0f} req/s, {floor_cpu:.0f} per server CPU-second")
    print(f"{'call':28} {'idp req/s':>10} {'moto req/s':>11} {'ratio':>7}"
          f"   {'idp /CPU-s':>10} {'moto /CPU-s':>11} {'ratio':>7}")
    for call in CALLS:
        ours, theirs = results["idp"][call], results["moto"][call]
        ratio = ours / theirs if theirs == theirs and theirs else float("nan")
        cpu_ours, cpu_theirs = per_cpu["idp"][call], per_cpu["moto"][call]
        cpu_ratio = cpu_ours / cpu_theirs if cpu_theirs == cpu_theirs and cpu_theirs else float("nan")
        print(f"{call:28} {ours:10.0f} {theirs:11.0f} {ratio:6.2f}x   {cpu_ours:10.0f} {cpu_theirs:11.0f}"
              f" {cpu_ratio:6.2f}x")


def _own_arn(url: str, creds: tuple[str, str]) -> str:
    iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1", aws_access_key_id=creds[0],
                       aws_secret_access_key=creds[1])
    return iam.get_user()["User"]["Arn"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    if cores >= 2:
        for worker, extra in (("sync", ""), ("gthread keep-alive", GTHREAD)):
            os.environ["GUNICORN_CMD_ARGS"] = extra  # start_idp passes the environment on to gunicorn
            measure(f"one core each: server pinned to core 0 (1 gunicorn {worker} worker / moto), client on core 1",
                    "0", "1", 1, args.seconds)
    os.sched_setaffinity(0, set(range(cores)))
    os.environ["GUNICORN_CMD_ARGS"] = GTHREAD
    measure(f"whole machine ({cores} cores, {cores} gunicorn gthread workers / threaded moto, client unpinned)",
            None, None, cores, args.seconds)


if __name__ == "__main__":
    main()
