"""GetFederationToken on the Query protocol: read the parameters as AWS constrains them, call
`idp.sts.federation_token`, shape the result. The service asks the authorizer (sts:GetFederationToken on the
federated user's ARN, and sts:TagSession when tags are passed)."""
from __future__ import annotations

from idp.aws import params, validation
from idp.aws.api import Call, query_action
from idp.aws.sts.assume_role import policy_arns, session_policy
from idp.sts import federation_token
from idp.sts.federation_token import DEFAULT_DURATION, MAX_DURATION, MIN_DURATION, FederationTokenRequest

NAME_PATTERN = r"[\w+=,.@-]*"


@query_action("sts", "GetFederationToken")
def get_federation_token(call: Call) -> dict:
    p = call.params
    # Read in the API model's member order: every failed constraint is reported at once, in this order
    # (idp.aws.validation).
    request = FederationTokenRequest(
        name=params.string(p, "Name", required=True, min_len=2, max_len=32, pattern=NAME_PATTERN),
        policy=session_policy(p, max_len=2048),
        policy_arns=policy_arns(p),
        duration=params.integer(p, "DurationSeconds", min_value=MIN_DURATION, max_value=MAX_DURATION,
                                default=DEFAULT_DURATION),
        tags=tuple(params.tags(p)),
    )
    # A hint for the size of the token AWS may mint; ours is whatever its sealed body needs.
    params.integer(p, "MinimumSessionTokenSize", min_value=0, max_value=4096)
    validation.checkpoint()  # every parameter passed before the service authorizes and mints
    federated = federation_token.get_federation_token(call.caller, request)
    call.authorized = True  # the service asked the authorizer for sts:GetFederationToken
    return {
        "Credentials": federated.credentials.as_shape(),
        "FederatedUser": {"FederatedUserId": federated.federated_user_id, "Arn": federated.arn},
        "PackedPolicySize": federated.packed_policy_size,
    }
