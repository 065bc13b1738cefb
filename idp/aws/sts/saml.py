"""AssumeRoleWithSAML on the Query protocol: read the parameters as AWS constrains them, call `idp.sts.saml`,
shape the result. Unsigned, as at AWS: the SAML assertion is the credential."""
from __future__ import annotations

from idp.aws import params, validation
from idp.aws.api import Call, query_action
from idp.aws.sts.assume_role import policy_arns, session_policy
from idp.sts import saml
from idp.sts.assume import MAX_DURATION, MIN_DURATION, check_session_policy


@query_action("sts", "AssumeRoleWithSAML", unsigned=True)
def assume_role_with_saml(call: Call) -> dict:
    p = call.params
    role_arn = params.string(p, "RoleArn", required=True, min_len=20, max_len=2048)
    principal_arn = params.string(p, "PrincipalArn", required=True, min_len=20, max_len=2048)
    assertion = params.string(p, "SAMLAssertion", required=True, min_len=4, max_len=100000)
    policy = session_policy(p, max_len=2048)
    if policy is not None:
        check_session_policy(policy)  # as it is read: a malformed policy is answered before later parameters
    request = saml.SamlRequest(
        role_arn=role_arn, principal_arn=principal_arn, saml_assertion=assertion, policy=policy,
        policy_arns=policy_arns(p),
        duration=params.integer(p, "DurationSeconds", min_value=MIN_DURATION, max_value=MAX_DURATION),
    )
    validation.checkpoint()  # every parameter passed before the assertion is verified and trusted
    assumed = saml.assume_role_with_saml(request)
    identity = assumed.identity
    return {
        "Credentials": assumed.credentials.as_shape(),
        "AssumedRoleUser": {"Arn": assumed.arn, "AssumedRoleId": assumed.assumed_role_id},
        "PackedPolicySize": assumed.packed_policy_size,
        "Subject": identity.assertion.name_id,
        "SubjectType": identity.subject_type,
        "Issuer": identity.assertion.issuer,
        "Audience": identity.assertion.recipient,  # AWS answers the Recipient
        "NameQualifier": identity.name_qualifier,
        "SourceIdentity": assumed.source_identity,
    }
