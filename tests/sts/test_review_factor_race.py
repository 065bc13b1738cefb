"""Review (issue 13 class 4): the shared factor throttle is a check-then-count, so concurrent guesses all get checked.

idp.signin.factor_checks.attempt reads the counters (throttle.check), verifies, then counts the failure: N requests
sent at once all pass the check before any failure is written, so each back-off window admits a burst of guesses
instead of one (24 parallel wrong codes: about 20 were checked where 6 are sequentially; against gunicorn
with 2 workers x 4 threads, 48 at once: 9 checked). The test widens the window (a slow code check, as under
load) so that the result does not depend on scheduling.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import ClientError

from tests.sts.test_mfa_throttle import FREE_FAILURES, alice, clock, app_config, wrong  # noqa: F401


PARALLEL = 32


def _outcome(start: threading.Barrier, call, **kwargs) -> str:
    start.wait(timeout=30)  # every request leaves at once
    try:
        call(**kwargs)
        return "ok"
    except ClientError as error:
        return error.response["Error"]["Code"]



def test_concurrent_wrong_codes_are_checked_at_most_free_failures_times(alice, clock, db, monkeypatch):  # noqa: F811 (fixtures imported from their module)
    import time

    from idp.iam import totp
    from models.audit import AuditEvent

    checking = totp.verify_code

    def slow_check(*args, **kwargs):  # a server under load: the window between check and count is wide
        time.sleep(0.3)
        return checking(*args, **kwargs)

    monkeypatch.setattr(totp, "verify_code", slow_check)

    import boto3
    from botocore.config import Config

    signer, serial, secret = alice
    credentials = signer._request_signer._credentials
    sts = boto3.client("sts", endpoint_url=signer.meta.endpoint_url, region_name="us-east-1",
                       aws_access_key_id=credentials.access_key, aws_secret_access_key=credentials.secret_key,
                       config=Config(retries={"max_attempts": 1}, max_pool_connections=PARALLEL))
    sts.get_caller_identity()  # the key's last use is now recorded: the burst below writes nothing before the check
    guesses = [wrong(secret, clock)] * PARALLEL
    start = threading.Barrier(PARALLEL)
    with ThreadPoolExecutor(PARALLEL) as pool:
        outcomes = list(pool.map(lambda c: _outcome(start, sts.get_session_token, SerialNumber=serial, TokenCode=c),
                                 guesses))
    assert "ok" not in outcomes
    db.session.expire_all()
    checked = [e for e in db.session.query(AuditEvent).filter_by(action="mfa_failed")
               if e.detail.get("reason") == "invalid"]
    # Sequentially, FREE_FAILURES + 1 codes are checked before the back-off refuses the rest unchecked.
    assert len(checked) <= FREE_FAILURES + 1
