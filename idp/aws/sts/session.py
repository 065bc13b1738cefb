"""GetSessionToken, GetCallerIdentity, GetAccessKeyInfo, DecodeAuthorizationMessage."""
from __future__ import annotations

import json

from flask import request as http_request

from idp.authz import authorization_messages
from idp.aws import params, validation
from idp.aws.api import Call, query_action
from idp.aws.sts.assume_role import SERIAL_PATTERN, TOKEN_CODE_PATTERN
from idp.sts import sessions

MIN_DURATION, DEFAULT_DURATION, MAX_DURATION = 900, 43200, 129600


@query_action("sts", "GetSessionToken", public=True)
def get_session_token(call: Call) -> dict:
    # AWS: no permission is needed (and none can be denied): it only authenticates the caller with MFA.
    p = call.params
    duration = params.integer(p, "DurationSeconds", min_value=MIN_DURATION, max_value=MAX_DURATION,
                              default=DEFAULT_DURATION)
    serial = params.string(p, "SerialNumber", min_len=9, max_len=256, pattern=SERIAL_PATTERN)
    code = params.string(p, "TokenCode", min_len=6, max_len=6, pattern=TOKEN_CODE_PATTERN)
    validation.checkpoint()  # every parameter passed before an MFA code is checked (and counted)
    credentials = sessions.get_session_token(call.caller, duration, serial_number=serial, token_code=code,
                                             address=http_request.remote_addr)
    return {"Credentials": credentials.as_shape()}


@query_action("sts", "GetCallerIdentity", public=True)
def get_caller_identity(call: Call) -> dict:
    principal = call.caller.principal
    return {"UserId": principal.user_id or call.account_id, "Account": call.account_id, "Arn": principal.arn}


@query_action("sts", "GetAccessKeyInfo")
def get_access_key_info(call: Call) -> dict:
    key_id = params.string(call.params, "AccessKeyId", required=True, min_len=16, max_len=128, pattern=r"[\w]*")
    call.authorize("*")
    return {"Account": sessions.account_of_access_key(key_id)}


@query_action("sts", "DecodeAuthorizationMessage")
def decode_authorization_message(call: Call) -> dict:
    encoded = params.string(call.params, "EncodedMessage", required=True, min_len=1, max_len=10240)
    call.authorize("*")
    decoded = authorization_messages.decode(encoded, call.account_id)
    return {"DecodedMessage": json.dumps(decoded, separators=(",", ":"))}
