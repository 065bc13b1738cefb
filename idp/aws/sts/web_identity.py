"""AssumeRoleWithWebIdentity on the Query protocol: read the parameters as AWS constrains them, call
`idp.sts.assume_web_identity`, shape the result. Unsigned, as at AWS: the token is the credential."""
from __future__ import annotations

from idp.aws import params, validation
from idp.aws.api import Call, query_action
from idp.aws.sts.assume_role import SESSION_NAME_PATTERN, policy_arns, session_policy
from idp.sts import assume_web_identity
from idp.sts.assume import (
    DEFAULT_DURATION,
    MAX_DURATION,
    MIN_DURATION,
    check_session_policy,
)
from idp.sts.assume_web_identity import WebIdentityRequest


@query_action("sts", "AssumeRoleWithWebIdentity", unsigned=True)
def assume_role_with_web_identity(call: Call) -> dict:
    p = call.params
    role_arn = params.string(p, "RoleArn", required=True, min_len=20, max_len=2048)
    session_name = params.string(p, "RoleSessionName", required=True, min_len=2, max_len=64,
                                 pattern=SESSION_NAME_PATTERN)
    token = params.string(p, "WebIdentityToken", required=True, min_len=4, max_len=20000)
    params.string(p, "ProviderId", min_len=4, max_len=2048)  # OAuth 2.0 providers only; OIDC tokens name their issuer
    policy = session_policy(p, max_len=2048)
    if policy is not None:
        check_session_policy(policy)  # as it is read: a malformed policy is answered before later parameters
    request = WebIdentityRequest(
        role_arn=role_arn, session_name=session_name, web_identity_token=token, policy=policy,
        policy_arns=policy_arns(p),
        duration=params.integer(p, "DurationSeconds", min_value=MIN_DURATION, max_value=MAX_DURATION,
                                default=DEFAULT_DURATION),
    )
    validation.checkpoint()  # every parameter passed before the token is verified and trusted
    assumed = assume_web_identity.assume_role_with_web_identity(request)
    return {
        "Credentials": assumed.credentials.as_shape(),
        "SubjectFromWebIdentityToken": assumed.identity.subject,
        "AssumedRoleUser": {"Arn": assumed.arn, "AssumedRoleId": assumed.assumed_role_id},
        "PackedPolicySize": assumed.packed_policy_size,
        "Provider": assumed.identity.provider_arn,
        "Audience": assumed.identity.audience,
        "SourceIdentity": assumed.source_identity,
    }
