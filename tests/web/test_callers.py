"""A browser session becomes the authorizer's caller: root, an IAM user, never root by default."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from idp.errors import AccessDenied
from idp.signin.callers import caller_for
from models.session import BrowserSession

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _session(account_id: str, principal_arn: str, amr: list[str], user_id: int | None = None) -> BrowserSession:
    return BrowserSession(id_hash="0" * 64, account_id=account_id, user_id=user_id, principal_arn=principal_arn,
                          idle_expires_at=NOW, absolute_expires_at=NOW, auth_time=NOW, amr=amr)


def test_root_session_is_the_root_caller_with_its_mfa_state(db, root):
    caller = caller_for(_session(root.account_id, f"arn:aws:iam::{root.account_id}:root", ["pwd", "otp", "mfa"]))
    assert caller.is_root and caller.account_id == root.account_id
    assert caller.session_keys["aws:MultiFactorAuthPresent"] == "true"
    assert caller.mfa_auth_time == NOW


def test_password_only_session_has_no_mfa(db, root):
    caller = caller_for(_session(root.account_id, f"arn:aws:iam::{root.account_id}:root", ["pwd"]))
    assert caller.session_keys["aws:MultiFactorAuthPresent"] == "false" and caller.mfa_auth_time is None


def test_a_session_without_a_user_that_is_not_root_is_refused(db, root):
    federated = _session(root.account_id, "arn:aws:sts::%s:federated-user/corp/alice" % root.account_id, ["fed"])
    with pytest.raises(AccessDenied, match="no IAM identity"):
        caller_for(federated)


def test_a_session_whose_user_is_gone_is_refused(db, root):
    with pytest.raises(AccessDenied, match="no longer exists"):
        caller_for(_session(root.account_id, f"arn:aws:iam::{root.account_id}:user/gone", ["pwd"], user_id=999999))
