"""Review (issue 13 class 4): the shared factor throttle is a check-then-count, so concurrent guesses all get checked.

idp.iam.factor_checks.attempt reads the counters (throttle.check), verifies, then counts the failure: N requests
sent at once all pass the check before any failure is written, so each back-off window admits a burst of guesses
instead of one (24 parallel wrong codes: about 20 were checked where 6 are sequentially).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from tests.sts.test_mfa_throttle import FREE_FAILURES, alice, clock, app_config, wrong  # noqa: F401


PARALLEL = 24


def _outcome(call, **kwargs) -> str:
    try:
        call(**kwargs)
        return "ok"
    except ClientError as error:
        return error.response["Error"]["Code"]


@pytest.mark.xfail(strict=True, reason="review: concurrent wrong TokenCodes all pass throttle.check before any failure counts")
def test_concurrent_wrong_codes_are_checked_at_most_free_failures_times(alice, clock, db):
    from models.audit import AuditEvent

    sts, serial, secret = alice
    sts.meta.config.retries = {"max_attempts": 1}
    guesses = [wrong(secret, clock)] * PARALLEL
    with ThreadPoolExecutor(PARALLEL) as pool:
        outcomes = list(pool.map(lambda c: _outcome(sts.get_session_token, SerialNumber=serial, TokenCode=c), guesses))
    db.session.expire_all()
    checked = [e for e in db.session.query(AuditEvent).filter_by(action="mfa_failed")
               if e.detail.get("reason") == "invalid"]
    # Sequentially, FREE_FAILURES + 1 codes are checked before the back-off refuses the rest unchecked.
    assert len(checked) <= FREE_FAILURES + 1
