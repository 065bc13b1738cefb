"""AssumeRole on the Query protocol: read the parameters as AWS constrains them, call `idp.sts.assume`, shape the
result. The trust decision the service makes is this action's authorization."""
from __future__ import annotations

from urllib.parse import unquote

from flask import request as http_request

from idp.aws import params, validation
from idp.aws.api import Call, query_action
from idp.sts import assume
from idp.sts.assume import (
    DEFAULT_DURATION,
    MAX_DURATION,
    MAX_POLICY_ARNS,
    MIN_DURATION,
    AssumeRoleRequest,
)

SESSION_NAME_PATTERN = r"[\w+=,.@-]*"
EXTERNAL_ID_PATTERN = r"[\w+=,.@:\/-]*"
SERIAL_PATTERN = r"[\w+=/:,.@-]*"
TOKEN_CODE_PATTERN = r"[\d]*"
POLICY_PATTERN = r"[\u0009\u000A\u000D\u0020-\u00FF]+"


def session_policy(p: params.Params, *, max_len: int | None = None) -> str | None:
    """`Policy`: the inline session policy's JSON, which some clients send URL-encoded (JSON starts with `{`)."""
    text = params.string(p, "Policy", min_len=1, max_len=max_len, pattern=POLICY_PATTERN)
    if text is None:
        return None
    return text if text.strip().startswith("{") else unquote(text)


def policy_arns(p: params.Params) -> tuple[str, ...]:
    """`PolicyArns.member.N.arn`: the managed session policies of an AssumeRole* call."""
    return tuple(params.member_list(p, "PolicyArns", field="arn", max_items=MAX_POLICY_ARNS, min_len=20,
                                    max_len=2048))


@query_action("sts", "AssumeRole")
def assume_role(call: Call) -> dict:
    p = call.params
    # Read in the API model's member order: every failed constraint is reported at once, in this order
    # (idp.aws.validation).
    request = AssumeRoleRequest(
        role_arn=params.string(p, "RoleArn", required=True, min_len=20, max_len=2048),
        session_name=params.string(p, "RoleSessionName", required=True, min_len=2, max_len=64,
                                   pattern=SESSION_NAME_PATTERN),
        duration=params.integer(p, "DurationSeconds", min_value=MIN_DURATION, max_value=MAX_DURATION,
                                default=DEFAULT_DURATION),
        external_id=params.string(p, "ExternalId", min_len=2, max_len=1224, pattern=EXTERNAL_ID_PATTERN),
        serial_number=params.string(p, "SerialNumber", min_len=9, max_len=256, pattern=SERIAL_PATTERN),
        token_code=params.string(p, "TokenCode", min_len=6, max_len=6, pattern=TOKEN_CODE_PATTERN),
        policy=session_policy(p),
        policy_arns=policy_arns(p),
        tags=tuple(params.tags(p)),
        transitive_tag_keys=tuple(params.member_list(p, "TransitiveTagKeys", max_items=50, min_len=1,
                                                     max_len=128)),
        source_identity=params.string(p, "SourceIdentity", min_len=2, max_len=256, pattern=SESSION_NAME_PATTERN),
    )
    validation.checkpoint()  # every parameter passed before the trust decision and the MFA check
    assumed = assume.assume_role(call.caller, request, address=http_request.remote_addr)
    call.authorized = True  # the role's trust decision, made by the service, is this action's authorization
    return {
        "Credentials": assumed.credentials.as_shape(),
        "AssumedRoleUser": {"AssumedRoleId": assumed.assumed_role_id, "Arn": assumed.arn},
        "PackedPolicySize": assumed.packed_policy_size,
        "SourceIdentity": assumed.source_identity,
    }
