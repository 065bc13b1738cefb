"""Two gunicorn instances on one PostgreSQL database: one TOTP code sent in parallel to STS and the sign-in page of
both instances is accepted exactly once (the device's last used step moves by compare-and-set)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pyotp
import pytest
import requests
from botocore.exceptions import ClientError

from tests.conftest import TEST_MASTER_KEY
from tests.support.aws_clients import client_for
from tests.support.servers import ProcessServer, running_together
from tests.support.signin import DEFAULT_PASSWORD, create_user_with_password, csrf_token, http_login

pytestmark = pytest.mark.postgres

ATTEMPTS = 12
ROOT_KEY, ROOT_SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.fixture
def two_servers(app_config, tmp_path):
    environment = {
        "IDP_DATABASE_URL": app_config["IDP_DATABASE_URL"], "IDP_MASTER_KEY": TEST_MASTER_KEY,
        "IDP_KEYS_DIR": str(tmp_path / "keys"), "IDP_INSTANCE_DIR": str(tmp_path / "instance"),
        "IDP_ROOT_ACCESS_KEY_ID": ROOT_KEY, "IDP_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET, "IDP_AUTO_BOOTSTRAP": "1",
    }
    servers = [ProcessServer(environment, workers=2), ProcessServer(environment, workers=2)]
    with running_together(servers):
        yield servers


def test_one_code_in_parallel_across_two_instances_and_two_surfaces_wins_once(two_servers):
    first, second = two_servers
    iam = client_for(first, "iam", ROOT_KEY, ROOT_SECRET)
    create_user_with_password(iam, "alice")
    account_id = iam.get_user()["User"]["Arn"].split(":")[4]
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")["VirtualMFADevice"]
    totp = pyotp.TOTP(device["Base32StringSeed"].decode())
    now = datetime.now(timezone.utc).timestamp()
    iam.enable_mfa_device(UserName="alice", SerialNumber=device["SerialNumber"],
                          AuthenticationCode1=totp.at(now - 30), AuthenticationCode2=totp.at(now))
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    code = totp.at(now + 30)  # the next step's code: valid (once) for the next minute

    browsers = []
    for index in range(ATTEMPTS // 2):
        browser = requests.Session()
        base = (first, second)[index % 2].url
        assert http_login(browser, base, account_id, "alice", DEFAULT_PASSWORD).headers["Location"].endswith("/login/mfa")
        browsers.append((browser, base, csrf_token(browser.get(f"{base}/login/mfa", timeout=30).text)))

    def at_sts(index: int) -> str:
        sts = client_for((first, second)[index % 2], "sts", key["AccessKeyId"], key["SecretAccessKey"])
        try:
            sts.get_session_token(SerialNumber=device["SerialNumber"], TokenCode=code)
        except ClientError as refused:
            return refused.response["Error"]["Code"]
        return "accepted"

    def at_page(index: int) -> str:
        browser, base, token = browsers[index]
        answer = browser.post(f"{base}/login/mfa", data={"csrf_token": token, "method": "totp", "code": code},
                              allow_redirects=False, timeout=60)
        return "accepted" if answer.status_code == 302 else str(answer.status_code)

    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        sent = [pool.submit(at_sts, index) for index in range(ATTEMPTS // 2)]
        sent += [pool.submit(at_page, index) for index in range(ATTEMPTS // 2)]
        outcomes = [future.result() for future in sent]
    assert outcomes.count("accepted") == 1, outcomes
    assert set(outcomes) <= {"accepted", "AccessDenied", "Throttling", "401", "429"}, outcomes
