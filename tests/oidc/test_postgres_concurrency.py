"""Two gunicorn instances on one PostgreSQL database: 50 parallel redemptions of one code, exactly one wins;
parallel refreshes of one refresh token all get the same successor."""
from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.conftest import TEST_MASTER_KEY
from tests.oidc.flow import REDIRECT_URI, Browser, callback_params, pkce_pair
from tests.support.aws_clients import client_for
from tests.support.servers import REPO_ROOT, ProcessServer, running_together
from tests.support.signin import create_user_with_password

pytestmark = pytest.mark.postgres

ROOT_KEY, ROOT_SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ATTEMPTS = 50


@pytest.fixture
def environment(app_config, tmp_path) -> dict:
    return {
        "IDP_DATABASE_URL": app_config["IDP_DATABASE_URL"], "IDP_MASTER_KEY": TEST_MASTER_KEY,
        "IDP_KEYS_DIR": str(tmp_path / "keys"), "IDP_INSTANCE_DIR": str(tmp_path / "instance"),
        "IDP_ROOT_ACCESS_KEY_ID": ROOT_KEY, "IDP_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET, "IDP_AUTO_BOOTSTRAP": "1",
    }


@pytest.fixture
def two_servers(environment):
    servers = [ProcessServer(environment, workers=2), ProcessServer(environment, workers=2)]
    with running_together(servers):
        yield servers


def cli(environment: dict, *args: str) -> dict:
    import os

    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "idp", *args], cwd=REPO_ROOT,
                          env={**os.environ, **environment}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_fifty_parallel_redemptions_across_two_instances(two_servers, environment):
    first, second = two_servers
    iam = client_for(first, "iam", ROOT_KEY, ROOT_SECRET)
    create_user_with_password(iam, "alice")
    account_id = iam.get_user()["User"]["Arn"].split(":")[4]
    made = cli(environment, "clients", "create", "--json", "--name", "App", "--redirect-uri", REDIRECT_URI,
               "--trusted")
    alice_http = Browser(first.url, account_id, "alice")
    verifier, challenge = pkce_pair()
    code = callback_params(alice_http.authorize(made["client_id"], challenge=challenge))["code"]

    def redeem(index: int) -> int:
        server = (first, second)[index % 2]
        return requests.post(f"{server.url}/oauth2/token", data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier}, auth=(made["client_id"], made["client_secret"]), timeout=60).status_code

    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        statuses = list(pool.map(redeem, range(ATTEMPTS)))
    assert statuses.count(200) == 1, statuses
    assert statuses.count(400) == ATTEMPTS - 1, statuses


def test_parallel_refreshes_across_two_instances_share_one_successor(two_servers, environment):
    first, second = two_servers
    iam = client_for(first, "iam", ROOT_KEY, ROOT_SECRET)
    create_user_with_password(iam, "alice")
    account_id = iam.get_user()["User"]["Arn"].split(":")[4]
    made = cli(environment, "clients", "create", "--json", "--name", "App", "--redirect-uri", REDIRECT_URI,
               "--trusted")
    verifier, challenge = pkce_pair()
    code = callback_params(Browser(first.url, account_id, "alice").authorize(made["client_id"],
                                                                            challenge=challenge))["code"]
    auth = (made["client_id"], made["client_secret"])
    tokens = requests.post(f"{first.url}/oauth2/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier},
        auth=auth, timeout=60).json()

    def refresh(index: int) -> requests.Response:
        server = (first, second)[index % 2]
        return requests.post(f"{server.url}/oauth2/token", data={
            "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, auth=auth, timeout=60)

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(refresh, range(10)))
    assert [a.status_code for a in answers] == [200] * 10, [a.text for a in answers]
    successors = {a.json()["refresh_token"] for a in answers}
    assert len(successors) == 1
    assert refresh(0).status_code == 200  # still inside the grace window: the same successor again
