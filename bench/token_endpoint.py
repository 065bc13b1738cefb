"""client_credentials grants per second: this IdP beside node-oidc-provider v9 and a bare Flask hello, same run.

Every server answers the same load from `wrk` (keep-alive connections). Per
core: the server pinned to core 0 with taskset (one gunicorn worker, or the
one node process), wrk pinned to core 1. Whole machine: servers unpinned with
one worker per core, wrk unpinned too (so it shares the cores; the ratios are
what to read). The IdP runs under gunicorn's sync worker (closes every
connection) and its gthread worker (keep-alive), so the WSGI server's share is
visible, and under granian (a Rust HTTP server with a WSGI interface, from
requirements-dev.txt) when it is installed. Also discovery and JWKS requests
per second beside node's.

The IdP grant is the real one: client authentication (client_secret_basic,
constant-time hash comparison), grant and scope checks, an ES256 RFC 9068
access token from the keystore, no-store headers.

Needs: wrk (apt-get install wrk), node and npm (npm ci in bench/node on first
use). Run: `.venv/bin/python bench/token_endpoint.py [--seconds 5]`.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NODE = REPO / "bench" / "node"
sys.path.insert(0, str(REPO))

from bench.iam_api import free_port, pinned, wait_until_up  # noqa: E402

GTHREAD = ["--worker-class", "gthread", "--threads", "4", "--keep-alive", "5"]
SCOPE = "jobs"


def wrk_script(workdir: Path, client_id: str, secret: str) -> Path:
    """A wrk Lua script that POSTs the client_credentials grant with HTTP Basic."""
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    path = workdir / "grant.lua"
    path.write_text(
        'wrk.method = "POST"\n'
        f'wrk.body = "grant_type=client_credentials&scope={SCOPE}"\n'
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
        f'wrk.headers["Authorization"] = "Basic {basic}"\n'
        "done = function(summary, latency, requests)\n"
        '  io.write(string.format("NON2XX %d\\n", summary.errors.status))\n'
        "end\n")
    return path


def load(url: str, seconds: float, core: str | None, script: Path | None = None, connections: int = 16) -> float:
    """Requests per second that wrk measured (refusing runs where any answer was not 2xx)."""
    args = ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--latency", url]
    if script is not None:
        args[1:1] = ["-s", str(script)]
    done = subprocess.run(pinned(args, core), capture_output=True, text=True)
    output = done.stdout
    if done.returncode != 0 or "Requests/sec" not in output:
        raise RuntimeError(f"wrk failed against {url}: {output}{done.stderr}")
    errors = re.search(r"NON2XX (\d+)", output)
    if (errors and int(errors.group(1))) or "Non-2xx" in output:
        raise RuntimeError(f"non-2xx answers from {url}:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def idp_deployment(workdir: Path) -> tuple[dict, dict]:
    """A bootstrapped IdP on SQLite and a confidential client_credentials client; (env, client)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")} | {
        "IDP_DATABASE_URL": f"sqlite:///{workdir / 'idp.db'}", "IDP_KEYS_DIR": str(workdir / "keys"),
        "IDP_INSTANCE_DIR": str(workdir), "IDP_ISSUER": f"http://127.0.0.1:{port}",
        "IDP_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
    }
    flask = [sys.executable, "-m", "flask", "--app", "app", "idp"]
    subprocess.run([*flask, "bootstrap", "--json"], cwd=REPO, env=env, capture_output=True, check=True)
    made = subprocess.run([*flask, "clients", "create", "--json", "--name", "bench", "--grant-type",
                           "client_credentials", "--scope", SCOPE], cwd=REPO, env=env, capture_output=True,
                          text=True, check=True)
    return env, json.loads(made.stdout)


def wsgi_server(kind: str, module: str, env: dict, port: int, workers: int, core: str | None) -> subprocess.Popen:
    """`module` under gunicorn (sync or gthread worker) or granian (Rust HTTP, WSGI interface)."""
    if kind == "granian":
        args = [sys.executable, "-m", "granian", "--interface", "wsgi", "--workers", str(workers),
                "--blocking-threads", "1", "--host", "127.0.0.1", "--port", str(port), module]
    else:
        extra = GTHREAD if kind == "gthread" else []
        args = [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", str(workers), *extra, module]
    return subprocess.Popen(pinned(args, core), cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def server_kinds() -> list[str]:
    """gunicorn sync and gthread always; granian when installed (requirements-dev.txt)."""
    try:
        import granian  # noqa: F401
    except ImportError:
        return ["sync", "gthread"]
    return ["sync", "gthread", "granian"]


def node_provider(port: int, client: dict, core: str | None) -> subprocess.Popen:
    if not (NODE / "node_modules" / "oidc-provider").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE, check=True, capture_output=True)
    args = ["node", str(NODE / "oidc_provider.mjs"), str(port), client["client_id"], client["client_secret"]]
    return subprocess.Popen(pinned(args, core), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def measure(label: str, workdir: Path, env: dict, client: dict, seconds: float, server_core: str | None,
            load_core: str | None, workers: int) -> None:
    script = wrk_script(workdir, client["client_id"], client["client_secret"])
    results: dict[str, float] = {}
    port = free_port()
    node = node_provider(port, client, server_core)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/.well-known/openid-configuration")
        results["node-oidc-provider: token"] = load(f"http://127.0.0.1:{port}/token", seconds, load_core, script)
        results["node-oidc-provider: discovery"] = load(
            f"http://127.0.0.1:{port}/.well-known/openid-configuration", seconds, load_core)
        results["node-oidc-provider: jwks"] = load(f"http://127.0.0.1:{port}/jwks", seconds, load_core)
    finally:
        stop(node)
    for worker in server_kinds():
        port = int(env["IDP_ISSUER"].rsplit(":", 1)[1])
        server = wsgi_server(worker, "app:app", env, port, workers, server_core)
        try:
            wait_until_up(f"http://127.0.0.1:{port}/healthz")
            url = f"http://127.0.0.1:{port}"
            results[f"idp ({worker}): token"] = load(f"{url}/oauth2/token", seconds, load_core, script)
            results[f"idp ({worker}): discovery"] = load(f"{url}/.well-known/openid-configuration", seconds,
                                                         load_core)
            results[f"idp ({worker}): jwks"] = load(f"{url}/.well-known/jwks.json", seconds, load_core)
        finally:
            stop(server)
        hello_port = free_port()
        hello = wsgi_server(worker, "bench.hello_app:app", env, hello_port, workers, server_core)
        try:
            wait_until_up(f"http://127.0.0.1:{hello_port}/hello")
            results[f"flask hello ({worker})"] = load(f"http://127.0.0.1:{hello_port}/hello", seconds, load_core)
        finally:
            stop(hello)
    node_token = results["node-oidc-provider: token"]
    print(f"\n{label}")
    for name, value in results.items():
        print(f"  {name:34} {value:9.0f}/s")
    for worker in server_kinds():
        token = results[f"idp ({worker}): token"]
        print(f"  ratio idp ({worker}) token / node token: {token / node_token:.2f}x   "
              f"/ flask hello ({worker}): {token / results[f'flask hello ({worker})']:.2f}x   "
              f"discovery / node: {results[f'idp ({worker}): discovery'] / results['node-oidc-provider: discovery']:.2f}x   "
              f"jwks / node: {results[f'idp ({worker}): jwks'] / results['node-oidc-provider: jwks']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env, client = idp_deployment(workdir)
        if cores >= 2:
            measure("per core: server pinned to core 0 (1 worker / 1 node process), wrk on core 1", workdir, env,
                    client, args.seconds, "0", "1", 1)
        measure(f"whole machine: {cores} gunicorn workers / 1 node process, wrk unpinned", workdir, env, client,
                args.seconds, None, None, cores)


if __name__ == "__main__":
    main()
