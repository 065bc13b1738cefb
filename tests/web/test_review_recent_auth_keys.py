"""Review (issue 13 class 6): a stale session brings a deactivated access key back to life without recent auth.

A user who deactivated a leaked key has taken that credential away; `POST /account/keys/<id>/status` with
`status=Active` gives it back from a session signed in long ago (a stolen cookie), which is the same as
adding a credential. Creating a key asks for a recent sign-in; reactivating one does not.
"""
from __future__ import annotations

from tests.web.test_mfa_totp import post_form
from tests.web.test_recent_auth import STALE, app_config, clock, key_holder, refusals, rows  # noqa: F401


KEYS_POLICY = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": '
               '["iam:CreateAccessKey", "iam:UpdateAccessKey"], "Resource": "arn:aws:iam::*:user/${aws:username}"}]}')


def test_a_stale_session_cannot_reactivate_a_deactivated_access_key(live_server, root, iam, clock, db):  # noqa: F811 (fixtures imported from their module)
    from models.access_key import AccessKey

    browser = key_holder(live_server, root, iam)
    iam.put_user_policy(UserName="alice", PolicyName="keys", PolicyDocument=KEYS_POLICY)
    base = live_server.url
    assert post_form(browser, f"{base}/account/keys", f"{base}/account").status_code == 200
    key_id = iam.list_access_keys(UserName="alice")["AccessKeyMetadata"][0]["AccessKeyId"]
    iam.update_access_key(UserName="alice", AccessKeyId=key_id, Status="Inactive")  # the owner took it away
    clock.advance(STALE)

    answer = post_form(browser, f"{base}/account/keys/{key_id}/status", f"{base}/account", status="Active")
    assert answer.status_code == 401
    assert [key.status for key in rows(db, AccessKey, access_key_id=key_id)] == ["Inactive"]
    assert [event.detail["endpoint"] for event in refusals(db)] == ["web.set_key_status"]
