"""STS's own condition keys reach trust policies (Service Authorization Reference, AssumeRole): one boto3 call
the condition allows and one it refuses, per key. sts:ExternalId is in test_assume_role; GetFederationToken's
aws:RequestTag / aws:TagKeys in test_federation_token; the web identity keys in test_web_identity."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.sts import client, error_of, make_role, make_user, trust

__all__ = ["make_role", "make_user"]  # fixtures

TAG = [{"Key": "team", "Value": "blue"}]

# (key, the action whose trust statement carries the condition, the condition, allowed call, refused call)
CASES = [
    ("sts:RoleSessionName", "sts:AssumeRole", {"StringLike": {"sts:RoleSessionName": "ci-*"}},
     {"RoleSessionName": "ci-7"}, {"RoleSessionName": "laptop"}),
    ("sts:TransitiveTagKeys", "sts:TagSession", {"ForAnyValue:StringEquals": {"sts:TransitiveTagKeys": "team"}},
     {"Tags": TAG, "TransitiveTagKeys": ["team"]}, {"Tags": TAG}),
    ("sts:SourceIdentity", "sts:SetSourceIdentity", {"StringEquals": {"sts:SourceIdentity": "alice"}},
     {"SourceIdentity": "alice"}, {"SourceIdentity": "mallory"}),
    ("aws:RequestTag", "sts:TagSession", {"StringEquals": {"aws:RequestTag/team": "blue"}},
     {"Tags": TAG}, {"Tags": [{"Key": "team", "Value": "red"}]}),
    ("aws:TagKeys", "sts:TagSession", {"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}},
     {"Tags": TAG}, {"Tags": [*TAG, {"Key": "cost", "Value": "1"}]}),
]


@pytest.mark.parametrize("key, action, condition, allowed, refused", CASES, ids=[case[0] for case in CASES])
def test_trust_policy_conditions_on_sts_keys(live_server, root, make_user, make_role, key, action, condition,
                                             allowed, refused):
    alice_arn = f"arn:aws:iam::{root.account_id}:user/alice"
    alice = make_user("alice", {"Effect": "Allow", "Action": "sts:*", "Resource": "*"})
    statements = [trust(alice_arn, action, condition)]
    if action != "sts:AssumeRole":
        statements.append(trust(alice_arn))
    role_arn = make_role("guarded", statements)
    sts = client(live_server, "sts", alice)
    base = {"RoleArn": role_arn, "RoleSessionName": "s1"}
    with pytest.raises(ClientError) as denied:
        sts.assume_role(**{**base, **refused})
    assert error_of(denied)[0] == "AccessDenied" and f"perform: {action} on resource: {role_arn}" in error_of(denied)[1]
    assert sts.assume_role(**{**base, **allowed})["Credentials"]["AccessKeyId"].startswith("ASIA")
