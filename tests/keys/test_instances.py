"""Two app processes on one PostgreSQL database serve one JWKS and verify each other's tokens."""
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet

from tests.conftest import TEST_MASTER_KEY
from tests.support.servers import REPO_ROOT, ProcessServer

pytestmark = pytest.mark.postgres

SIGN = """
import json, sys, time
from idp import create_app
from idp.keys import sign_token
app = create_app()
with app.app_context():
    now = int(time.time())
    print(sign_token({"iss": "http://127.0.0.1:5000", "sub": sys.argv[1], "aud": "c", "iat": now, "exp": now + 300}))
"""
VERIFY = """
import sys
from idp import create_app
from idp.keys import jwt, verify_own_token
app = create_app()
with app.app_context():
    print(verify_own_token(sys.argv[1], kind=jwt.ID_TOKEN)["sub"])
"""


def run_python(env, script, *args):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")}
    result = subprocess.run([sys.executable, "-c", script, *args], cwd=REPO_ROOT, env={**clean, **env},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def instances(app_config, tmp_path):
    env = {
        "IDP_DATABASE_URL": app_config["IDP_DATABASE_URL"], "IDP_MASTER_KEY": TEST_MASTER_KEY,
        "IDP_KEYS_DIR": str(tmp_path / "keys"), "IDP_INSTANCE_DIR": str(tmp_path / "instance"),
        "IDP_KEY_REFRESH_SECONDS": "1", "IDP_AUTO_BOOTSTRAP": "1",
    }
    servers = [ProcessServer(env), ProcessServer(env)]
    try:
        for server in servers:
            server.launch()
        # Both wait for readiness at once, so their first-request bootstraps race.
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda server: server.wait_ready(60), servers))
        yield env, servers
    finally:
        for server in servers:
            server.stop()


def jwks(server):
    return requests.get(server.url + "/.well-known/jwks.json", timeout=5).json()


def test_two_instances_share_keys_and_verify_each_other(instances):
    env, (first, second) = instances
    assert jwks(first) == jwks(second) and len(jwks(first)["keys"]) == 6

    token_a, token_b = run_python(env, SIGN, "from-a"), run_python(env, SIGN, "from-b")
    for token, server in ((token_a, second), (token_b, first)):
        claims = jose_jwt.decode(token, KeySet.import_key_set(jwks(server)), algorithms=["ES256"]).claims
        assert claims["sub"] in ("from-a", "from-b")
    assert run_python(env, VERIFY, token_a) == "from-a"

    clean = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")}
    rotated = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "idp", "keys", "rotate", "--force", "--json"],
                             cwd=REPO_ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60)
    assert rotated.returncode == 0, rotated.stderr
    published = set(json.loads(rotated.stdout)["published"])
    time.sleep(1.5)
    for server in (first, second):
        kids = {k["kid"] for k in jwks(server)["keys"]}
        assert published <= kids, "every instance publishes a rotated key within seconds"
    assert jwks(first) == jwks(second)
    assert run_python(env, VERIFY, token_b) == "from-b", "tokens signed before rotation still verify"
