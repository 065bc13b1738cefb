"""Reports tests run on a fixed clock that boto3 signs with too, so a test can move months forward."""
from datetime import datetime, timezone

import botocore.auth
import pytest

from idp.clock import FixedClock

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
ACCOUNT = "123456789012"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "IDP_CLOCK": FixedClock(T0), "IDP_ACCOUNT_ID": ACCOUNT}


@pytest.fixture
def clock(app, monkeypatch) -> FixedClock:
    """The app's clock; the test's boto3 clients sign requests at its time."""
    fixed = app.extensions["idp.clock"]
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: fixed.now().replace(tzinfo=None))
    return fixed


def days(n: float) -> float:
    """Seconds in `n` days, for FixedClock.advance."""
    return n * 86400
