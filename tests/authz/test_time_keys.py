"""aws:CurrentTime and aws:EpochTime follow the app's clock on every request (they are formatted once per second)."""
import json
from datetime import datetime, timedelta, timezone

import pytest
import requests

from idp.clock import FixedClock
from tests.authz.test_authorize_endpoint import NOTE, sign


@pytest.fixture
def app_config(app_config):
    """A clock the test moves by seconds; it starts at the real time so botocore's signatures are current."""
    return {**app_config, "IDP_CLOCK": FixedClock(datetime.now(timezone.utc).replace(microsecond=0))}


@pytest.fixture
def key(app, iam):
    """A user whose notes access ends 30 s after the clock's start, by both time keys."""
    cutoff = app.extensions["idp.clock"].now() + timedelta(seconds=30)
    iam.create_user(UserName="timed")
    iam.put_user_policy(UserName="timed", PolicyName="until", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "notes:GetNote", "Resource": "*",
            "Condition": {
                "DateLessThan": {"aws:CurrentTime": cutoff.strftime("%Y-%m-%dT%H:%M:%SZ")},
                "NumericLessThan": {"aws:EpochTime": str(int(cutoff.timestamp()))},
            }}]}))
    created = iam.create_access_key(UserName="timed")["AccessKey"]
    return created["AccessKeyId"], created["SecretAccessKey"]


def decision(live_server, key) -> str:
    answer = requests.post(f"{live_server.url}/authorize", timeout=10,
                           json={"action": "notes:GetNote", "resource": NOTE, "request": sign(*key)})
    assert answer.status_code == 200, answer.text
    return answer.json()["decision"]


def test_time_conditions_see_each_second_of_the_clock_forwards_and_back(app, live_server, key):
    clock = app.extensions["idp.clock"]
    assert decision(live_server, key) == "Allow"
    clock.advance(29)  # the cutoff - 1 s: still before, even though the previous second was cached
    assert decision(live_server, key) == "Allow"
    clock.advance(1)  # exactly the cutoff: "less than" no longer holds
    assert decision(live_server, key) == "Deny"
    clock.advance(0.5)  # the same second, half a second on
    assert decision(live_server, key) == "Deny"
    clock.advance(-10)  # a clock set back is honoured too
    assert decision(live_server, key) == "Allow"
