"""The shared authorizer for resource servers: in-process decisions/s and `POST /authorize` requests/s.

In-process: `idp.authz.resource_server.authorize_request` on a request to the
notes example signed with temporary credentials from AssumeRole (SigV4 verify
+ session token + evaluation of the role's policies), and with a long-term key
for comparison; printed beside botocore's cost to sign the same request and
five HMAC-SHA256 (the SigV4 floor), all measured in the same run.

Over HTTP: `POST /authorize` under gunicorn, one sync worker pinned to core 0
with taskset, client processes on core 1. Each client signs its request once
and resends it (a signature stays valid for five minutes), so the clients'
own signing does not cap the rate.

Run: `.venv/bin/python bench/authorizer.py [--seconds 5]`.
"""
from __future__ import annotations

import argparse
import base64
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.iam_api import free_port, pinned, wait_until_up  # noqa: E402
from bench.sigv4_verify import five_hmacs, per_second  # noqa: E402

NOTE_URL = "http://127.0.0.1:5001/notebooks/team/notes/hello"
ACTION, RESOURCE = "notes:GetNote", "arn:aws:notes:::notebook/team/note/hello"
ROLE_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "ReadTeam", "Effect": "Allow", "Action": ["notes:GetNote", "notes:ListNotes"],
     "Resource": "arn:aws:notes:::notebook/team/*"},
    {"Sid": "NoSecrets", "Effect": "Deny", "Action": "notes:*", "Resource": "arn:aws:notes:::notebook/secret/*"},
]})
NO_RETRIES = Config(retries={"max_attempts": 1})


def idp_env(workdir: Path) -> dict[str, str]:
    """The IDP_* settings of a fresh deployment in `workdir` (shared by gunicorn and the in-process app)."""
    port = free_port()
    return {
        "IDP_DATABASE_URL": f"sqlite:///{workdir / 'idp.db'}", "IDP_KEYS_DIR": str(workdir / "keys"),
        "IDP_INSTANCE_DIR": str(workdir), "IDP_ISSUER": f"http://127.0.0.1:{port}",
        "IDP_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
    }


def start_idp(settings: dict[str, str], core: str | None) -> tuple[subprocess.Popen, str, tuple[str, str]]:
    """Bootstrap, then one gunicorn worker (pinned to `core`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")} | settings
    boot = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "idp", "bootstrap", "--json"],
                          cwd=REPO, env=env, capture_output=True, text=True, check=True)
    root = json.loads(boot.stdout)
    url = settings["IDP_ISSUER"]
    server = subprocess.Popen(
        pinned([sys.executable, "-m", "gunicorn", "-b", url.split("://")[1], "-w", "1", "app:app"], core),
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until_up(url + "/healthz")
    return server, url, (root["access_key_id"], root["secret_access_key"])


def set_up(url: str, root: tuple[str, str]) -> dict[str, Credentials]:
    """A user, a role it may assume with a notes policy; the user's key and (when STS has it) a role session."""
    iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1", aws_access_key_id=root[0],
                       aws_secret_access_key=root[1], config=NO_RETRIES)
    account = iam.get_user()["User"]["Arn"].split(":")[4]
    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="read", PolicyDocument=ROLE_POLICY.replace(
        '"Statement": [', '"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}, ', 1))
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    found = {"long-term key (AKIA)": Credentials(key["AccessKeyId"], key["SecretAccessKey"])}
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"AWS": f"arn:aws:iam::{account}:user/reader"}}]}
    iam.create_role(RoleName="notes-reader", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="notes-reader", PolicyName="read", PolicyDocument=ROLE_POLICY)
    sts = boto3.client("sts", endpoint_url=url, region_name="us-east-1", aws_access_key_id=key["AccessKeyId"],
                       aws_secret_access_key=key["SecretAccessKey"], config=NO_RETRIES)
    try:
        session = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/notes-reader",
                                  RoleSessionName="bench")["Credentials"]
    except Exception as error:  # noqa: BLE001  (AssumeRole may not exist yet)
        print(f"  AssumeRole unavailable ({str(error)[:80]}): temporary credentials not measured")
    else:
        found["temporary credentials (ASIA)"] = Credentials(
            session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"])
    return found


def botocore_sign(credentials: Credentials) -> AWSRequest:
    """The notes request as botocore signs it (what a client pays per request)."""
    request = AWSRequest(method="GET", url=NOTE_URL, data=b"", headers={"Host": urlsplit(NOTE_URL).netloc})
    SigV4Auth(credentials, "notes", "us-east-1").add_auth(request)
    return request


def forwarded(credentials: Credentials) -> dict:
    """The `request` member of a POST /authorize body, freshly signed."""
    signed = botocore_sign(credentials)
    return {"method": "GET", "url": NOTE_URL, "headers": dict(signed.headers.items()), "body": ""}


def in_process(settings: dict[str, str], creds: dict[str, Credentials]) -> dict[str, float]:
    """Decisions per second of authorize_request, inside an app context of the same deployment."""
    from idp import create_app
    from idp.authz.resource_server import authorize_request
    from idp.authz.sigv4 import SignedRequest

    app = create_app({k: v for k, v in settings.items()} | {"IDP_AUTO_BOOTSTRAP": "0"})
    rates: dict[str, float] = {}
    with app.app_context():
        for label, credentials in creds.items():
            body = forwarded(credentials)
            signed = SignedRequest.from_parts("GET", urlsplit(NOTE_URL).path, "", body["headers"], b"")
            result = authorize_request(ACTION, RESOURCE, signed=signed)
            assert result.allowed, result.reason
            rates[label] = per_second(lambda: authorize_request(ACTION, RESOURCE, signed=signed))
    return rates


def _client(url: str, body: dict | None, stop_at: float, counter, failure) -> None:
    session, done = requests.Session(), 0
    payload = None if body is None else json.dumps(body)
    headers = {"Content-Type": "application/json"}
    while time.time() < stop_at:
        if payload is None:
            answer = session.get(url + "/healthz", timeout=10)
            ok = answer.status_code == 200
        else:
            answer = session.post(url + "/authorize", data=payload, headers=headers, timeout=10)
            ok = answer.status_code == 200 and answer.json()["decision"] == "Allow"
        if not ok:
            failure.value = answer.status_code
            break
        done += 1
    with counter.get_lock():
        counter.value += done


def over_http(url: str, credentials: Credentials | None, seconds: float, clients: int) -> float:
    """POST /authorize (or, without credentials, GET /healthz) requests per second from `clients` processes."""
    body = None if credentials is None else {
        "action": ACTION, "resource": RESOURCE, "request": forwarded(credentials)}
    counter, failure = multiprocessing.Value("l", 0), multiprocessing.Value("i", 0)
    stop_at = time.time() + seconds
    pool = [multiprocessing.Process(target=_client, args=(url, body, stop_at, counter, failure))
            for _ in range(clients)]
    started = time.time()
    for process in pool:
        process.start()
    for process in pool:
        process.join()
    if failure.value:
        raise RuntimeError(f"HTTP {failure.value}")
    return counter.value / (time.time() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    two_cores = (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None
    server_core, client_core = ("0", 1) if two_cores else (None, None)
    with tempfile.TemporaryDirectory() as tmp:
        settings = idp_env(Path(tmp))
        server, url, root = start_idp(settings, server_core)
        try:
            creds = set_up(url, root)
            if client_core is not None:
                os.sched_setaffinity(0, {client_core})
            decisions = in_process(settings, creds)
            sample = next(iter(creds.values()))
            sign_rate = per_second(lambda: botocore_sign(sample))
            hmac_rate = per_second(five_hmacs)
            floor = over_http(url, None, args.seconds, args.clients)
            http = {label: over_http(url, c, args.seconds, args.clients) for label, c in creds.items()}
        finally:
            server.terminate()
            server.wait()

    print(f"\nPython {sys.version.split()[0]}; in-process on one core (core {client_core}), warm caches")
    print(f"{'':50}{'per second':>12}{'us each':>10}{'speed vs sign':>15}")
    for label, rate in decisions.items():
        print(f"{'authorize_request, ' + label:<50}{rate:>12,.0f}{1e6 / rate:>10.1f}{rate / sign_rate:>14.2f}x")
    print(f"{'botocore SigV4Auth sign':<50}{sign_rate:>12,.0f}{1e6 / sign_rate:>10.1f}{1:>14.2f}x")
    print(f"{'5 x HMAC-SHA256 (SigV4 floor)':<50}{hmac_rate:>12,.0f}{1e6 / hmac_rate:>10.1f}"
          f"{hmac_rate / sign_rate:>14.2f}x")
    for label, rate in decisions.items():
        print(f"  {label}: decision cost = {hmac_rate / rate:.2f}x the 5-HMAC floor, "
              f"{sign_rate / rate:.2f}x botocore's signing cost")
    where = "1 gunicorn worker pinned to core 0, clients on core 1" if two_cores else "1 gunicorn worker, unpinned"
    print(f"\nPOST /authorize under gunicorn ({where}, {args.clients} client processes)")
    print(f"  {'GET /healthz (the HTTP floor)':<32}{floor:>10,.0f} req/s")
    for label, rate in http.items():
        print(f"  {label:<32}{rate:>10,.0f} req/s  ({rate / floor:.2f}x the floor)")


if __name__ == "__main__":
    main()
