"""What metrics and JSON logging cost a signed IAM call: in-process calls/s with them off and on, in the same run.

A SQLite deployment is bootstrapped and a reader user with an inline policy
and an access key is made through the signed Query API. Two apps serve it
in this process, one without `IDP_METRICS_TOKEN` and one with it (request
timing middleware and hooks); short batches of calls then alternate between
three configurations, so that the machine's other load falls on all of them
alike (this machine is shared: separate runs differ by more than the effect):

- `plain`: the app without metrics, recording off, text logs;
- `metrics`: the app with metrics, recording on (decisions, pool events), text logs;
- `plain+json`, `metrics+json`: the same two with JSON logs (`idp.logs.configure("json")`).

Each call goes through the app's WSGI entry as a server would hand it over:
a signed `GetUser` of the reader (SigV4 verified, the policy engine run, the
audit row written and committed every time), signed once and resent (a
signature stays valid for five minutes) so that the client's signing does not
dilute the difference. Log lines go to /dev/null. Printed: calls per
wall-clock second and per CPU-second of this process, and the ratio to
`plain`. The issue's goal: metrics and JSON logging together cost at most 5%,
`metrics+json / plain >= 0.95`; `metrics / plain` and `metrics+json / plain+json` are the cost of the
metrics alone.

Run: `.venv/bin/python bench/metrics_overhead.py [--seconds 60] [--batch 50]`.
"""
from __future__ import annotations

import argparse
import base64
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from werkzeug.test import EnvironBuilder

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "ReadIam", "Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"},
    {"Sid": "NoDeletes", "Effect": "Deny", "Action": "iam:Delete*", "Resource": "*"},
]})


def signed_environ(key: tuple[str, str], params: dict[str, str]) -> dict:
    """The WSGI environ of a SigV4-signed Query call to http://localhost/ (its body stream set per call)."""
    body = urlencode(params)
    request = AWSRequest("POST", "http://localhost/", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(*key), "iam", "us-east-1").add_auth(request)
    environ = EnvironBuilder(path="/", method="POST", data=body.encode(),
                             headers=dict(request.headers.items())).get_environ()
    environ["bench.body"] = body.encode()
    return environ


def call(app, environ: dict) -> tuple[str, bytes]:
    """Run one request through the app's WSGI entry, as a server would; its status line and body."""
    fresh = dict(environ)
    fresh["wsgi.input"] = io.BytesIO(environ["bench.body"])
    status = []
    answer = app(fresh, lambda line, headers, exc_info=None: status.append(line))
    try:
        body = b"".join(answer)
    finally:
        getattr(answer, "close", lambda: None)()
    return status[0], body


def set_up(env: dict[str, str]) -> tuple[str, str]:
    """Bootstrap the deployment and make the reader through the signed API; the reader's key."""
    from idp import create_app
    from idp.bootstrap import bootstrap

    app = create_app(env)
    root = bootstrap(app)
    root_key = (root.access_key_id, root.secret_access_key)
    steps = (("CreateUser", {}), ("PutUserPolicy", {"PolicyName": "read", "PolicyDocument": POLICY}),
             ("CreateAccessKey", {}))
    for action, params in steps:
        status, body = call(app, signed_environ(root_key, {"Action": action, "Version": "2010-05-08",
                                                           "UserName": "reader", **params}))
        assert status == "200 OK", body
    text = body.decode()
    return text.split("<AccessKeyId>")[1].split("<")[0], text.split("<SecretAccessKey>")[1].split("<")[0]


CONFIGURATIONS = ("plain", "metrics", "plain+json", "metrics+json")


def measure(seconds: float, batch: int) -> dict[str, list[tuple[float, float]]]:
    """Alternate batches of signed GetUser calls between the configurations for `seconds` in all; per
    configuration, each batch's (calls per wall-clock second, calls per CPU-second)."""
    from idp import create_app, logs, metrics

    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "IDP_DATABASE_URL": f"sqlite:///{Path(tmp) / 'idp.db'}", "IDP_KEYS_DIR": str(Path(tmp) / "keys"),
            "IDP_INSTANCE_DIR": tmp, "IDP_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
            "IDP_AUTO_BOOTSTRAP": "0", "IDP_HOUSEKEEPING": "off", "IDP_LOG_FORMAT": "text",
        }
        key = set_up(env)
        apps = {"plain": create_app(env), "metrics": create_app({**env, "IDP_METRICS_TOKEN": "bench-" + "m" * 40})}
        apps["plain+json"], apps["metrics+json"] = apps["plain"], apps["metrics"]
        environ = signed_environ(key, {"Action": "GetUser", "Version": "2010-05-08"})
        batches: dict[str, list[tuple[float, float]]] = {name: [] for name in CONFIGURATIONS}
        stop_at = time.perf_counter() + seconds
        order: list[str] = []
        shuffler = random.Random(17)
        while time.perf_counter() < stop_at or min(len(rates) for rates in batches.values()) < 5:
            if not order:  # every configuration once per round, in a new order (no fixed neighbour)
                order = shuffler.sample(CONFIGURATIONS, len(CONFIGURATIONS))
            name = order.pop()
            metrics.enable() if name.startswith("metrics") else metrics.disable()
            logs.configure("json" if name.endswith("+json") else "text")
            app = apps[name]
            for _ in range(batch // 10):  # settle the switch before the clock starts
                call(app, environ)
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(batch):
                status, body = call(app, environ)
            batches[name].append((batch / (time.perf_counter() - wall), batch / (time.process_time() - cpu)))
            assert status == "200 OK", body
    return batches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    shown = sys.stdout
    # Every log line (text or JSON) is rendered and written, to nowhere: the cost stays, the noise goes.
    sys.stdout = sys.stderr = open(os.devnull, "w")
    batches = measure(args.seconds, args.batch)
    sys.stdout = shown
    # Medians of the batches: a batch that another process's burst slowed down moves a median little.
    medians = {name: (statistics.median(r[0] for r in rates), statistics.median(r[1] for r in rates))
               for name, rates in batches.items()}
    print(f"signed IAM GetUser in-process, batches of {args.batch} alternating for {args.seconds:g} s (medians)")
    print(f"{'configuration':14} {'batches':>7} {'calls/s':>8} {'calls/CPU-s':>12} {'ratio/s':>8} {'ratio/CPU-s':>12}")
    base = medians["plain"]
    for name, (rate, per_cpu) in medians.items():
        print(f"{name:14} {len(batches[name]):7d} {rate:8.0f} {per_cpu:12.0f} {rate / base[0]:8.3f} "
              f"{per_cpu / base[1]:12.3f}")
    alone = medians["metrics+json"][1] / medians["plain+json"][1]
    print(f"metrics alone with JSON logs (metrics+json / plain+json per CPU-second): {alone:.3f}")
    print("goal: metrics+json / plain >= 0.95")


if __name__ == "__main__":
    main()
