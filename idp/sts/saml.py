"""AssumeRoleWithSAML: a SAML response from an IAM SAML provider of the role's account, exchanged for a role session.

Unsigned, as at AWS: the assertion is the credential. It is verified by the
one SAML verifier (`idp.saml.verify`) against the metadata certificates of a
provider whose `ValidUntil` has not passed, with AWS's recipient
(`https://signin.aws.amazon.com/saml`) or this product's own
(`<issuer>/sts/saml`), an audience restriction naming one of those or
`urn:amazon:webservices`, and the replay cache. Then, as AWS documents it:

- the `https://aws.amazon.com/SAML/Attributes/Role` attribute must hold a
  `role-arn,provider-arn` pair (either order) naming the requested role and
  provider, else `IDPRejectedClaim`;
- `RoleSessionName` (required) names the session; `SessionDuration` bounds it
  when `DurationSeconds` is not given, and the AuthnStatement's
  `SessionNotOnOrAfter` caps it; `PrincipalTag:<key>` (held to the session tag
  rules of `idp.sts.session_tags`),
  `TransitiveTagKeys` and `SourceIdentity` become session tags and source
  identity;
- the trust policy decides for a `SAMLUser` principal of the provider with the
  `saml:*` condition keys (`saml:aud` -- the matched Recipient, as at AWS --,
  `saml:sub`, `saml:sub_type`, `saml:iss`, `saml:namequalifier`, `saml:doc` and
  the eduPerson/X.500 attributes).
"""
from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app, has_request_context

from idp import audit, clock
from idp.errors import IdpError
from idp.iam import saml_providers
from idp.policy import PrincipalType, RequestPrincipal
from idp.saml.verify import (
    ANY_REQUEST,
    Assertion,
    Expectation,
    LedgerReplayCache,
    SamlRejected,
    verify,
)
from idp.sts.assume import (
    DEFAULT_DURATION,
    MAX_DURATION,
    MIN_DURATION,
    AssumedRole,
    assume_as_proven,
    check_session_policy,
    role_arn_parts,
)
from idp.sts.session_tags import checked_tags, request_keys
from idp.sts.web_identity import (
    ExpiredTokenException,
    IDPRejectedClaim,
    InvalidIdentityToken,
)

ACTION = "sts:AssumeRoleWithSAML"
AWS_AUDIENCE = "https://signin.aws.amazon.com/saml"
AMAZON_AUDIENCE = "urn:amazon:webservices"  # the audience restriction AWS's own IdP examples use
ATTRIBUTES = "https://aws.amazon.com/SAML/Attributes/"
ROLE = ATTRIBUTES + "Role"
SESSION_NAME = ATTRIBUTES + "RoleSessionName"
SESSION_DURATION = ATTRIBUTES + "SessionDuration"
PRINCIPAL_TAG = ATTRIBUTES + "PrincipalTag:"
TRANSITIVE_TAG_KEYS = ATTRIBUTES + "TransitiveTagKeys"
SOURCE_IDENTITY = ATTRIBUTES + "SourceIdentity"
SESSION_NAME_RE = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)
SUB_TYPES = {
    "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent": "persistent",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:transient": "transient",
}
UNSPECIFIED = "unspecified"  # saml:sub_type of a NameID without Format (SAML core 8.3.1's default format)
# AWS's "Available keys for SAML-based federation": the attribute (by OID name or friendly name) behind each key.
ATTRIBUTE_KEYS = {
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.1": "saml:edupersonaffiliation",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.11": "saml:edupersonassurance",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.7": "saml:edupersonentitlement",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.2": "saml:edupersonnickname",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.3": "saml:edupersonorgdn",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.4": "saml:edupersonorgunitdn",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.5": "saml:edupersonprimaryaffiliation",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.8": "saml:edupersonprimaryorgunitdn",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.6": "saml:edupersonprincipalname",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.9": "saml:edupersonscopedaffiliation",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.10": "saml:edupersontargetedid",
    "urn:oid:1.3.6.1.4.1.5923.1.2.1.2": "saml:eduorghomepageuri",
    "urn:oid:1.3.6.1.4.1.5923.1.2.1.3": "saml:eduorgidentityauthnpolicyuri",
    "urn:oid:1.3.6.1.4.1.5923.1.2.1.4": "saml:eduorglegalname",
    "urn:oid:1.3.6.1.4.1.5923.1.2.1.5": "saml:eduorgsuperioruri",
    "urn:oid:1.3.6.1.4.1.5923.1.2.1.6": "saml:eduorgwhitepagesuri",
    "urn:oid:2.5.4.3": "saml:cn",
    "urn:oid:2.5.4.42": "saml:givenname",
    "urn:oid:2.5.4.4": "saml:surname",
    "urn:oid:0.9.2342.19200300.100.1.3": "saml:mail",
    "urn:oid:0.9.2342.19200300.100.1.1": "saml:uid",
    "urn:oid:2.5.4.10": "saml:organizationname",
    "urn:oid:2.16.840.1.113730.3.1.241": "saml:displayname",
}
FRIENDLY_KEYS = {key.split(":", 1)[1]: key for key in ATTRIBUTE_KEYS.values()}


@dataclass(frozen=True)
class SamlRequest:
    """The parameters of one AssumeRoleWithSAML call, already checked against the API's constraints."""

    role_arn: str
    principal_arn: str
    saml_assertion: str
    duration: int | None = None
    policy: str | None = None
    policy_arns: tuple[str, ...] = ()


@dataclass(frozen=True)
class SamlIdentity:
    """A verified assertion and what it means for STS."""

    provider_arn: str
    assertion: Assertion
    subject_type: str
    name_qualifier: str
    session_name: str
    session_duration: int | None
    principal_tags: Mapping[str, str]
    transitive_tag_keys: tuple[str, ...]
    source_identity: str | None
    trust_context: Mapping[str, object]
    session_context: Mapping[str, object]

    def principal(self, account_id: str) -> RequestPrincipal:
        """The caller as the trust policy sees it: a SAML user of the provider."""
        return RequestPrincipal(self.provider_arn, account_id, PrincipalType.SAML_USER, provider=self.provider_arn)


@dataclass(frozen=True)
class AssumedRoleWithSaml(AssumedRole):
    identity: SamlIdentity


def recipients() -> tuple[str, ...]:
    """The Recipients accepted (each also `saml:aud`): AWS's sign-in endpoint and this product's own."""
    return (AWS_AUDIENCE, f"{current_app.config['IDP_SETTINGS'].issuer}/sts/saml")


def audiences() -> tuple[str, ...]:
    """The audience restrictions accepted: a Recipient, or `urn:amazon:webservices`."""
    return (*recipients(), AMAZON_AUDIENCE)


def assume_role_with_saml(request: SamlRequest) -> AssumedRoleWithSaml:
    """The role session a verified SAML assertion asks for, once the role's trust policy allows it."""
    if request.policy is not None:
        check_session_policy(request.policy)
    account_id, _ = role_arn_parts(request.role_arn)
    identity: SamlIdentity | None = None
    try:
        identity = verify_saml(request, account_id)
        assumed = assume_as_proven(identity, action=ACTION, role_arn=request.role_arn,
                                   session_name=identity.session_name,
                                   duration=request.duration or identity.session_duration or DEFAULT_DURATION,
                                   policy=request.policy, policy_arns=request.policy_arns,
                                   max_duration=_seconds_left(identity.assertion))
    except IdpError as error:
        _audit(request, identity, "Deny", {"code": error.code, "message": error.message})
        raise
    _audit(request, identity, "Allow", {"session": assumed.arn, "access_key_id": assumed.credentials.access_key_id})
    return AssumedRoleWithSaml(assumed.credentials, assumed.arn, assumed.assumed_role_id,
                               assumed.packed_policy_size, assumed.source_identity, identity)


def verify_saml(request: SamlRequest, account_id: str) -> SamlIdentity:
    """Verify the assertion against the named provider of the role's account; AWS's errors otherwise."""
    provider = saml_providers.find(account_id, request.principal_arn)
    if provider is None:
        raise InvalidIdentityToken(f"SAML provider {request.principal_arn} was not found in account {account_id}.")
    if provider.valid_until is not None and clock.as_utc(provider.valid_until) <= clock.now():
        raise InvalidIdentityToken(f"The metadata of SAML provider {provider.arn} expired at "
                                   f"{provider.valid_until.isoformat()} (ValidUntil).")
    expect = Expectation(idp_entity_id=provider.idp_entity_id, certificates=tuple(provider.certificates),
                         audiences=audiences(), recipients=recipients(), in_response_to=ANY_REQUEST,
                         replay_cache=LedgerReplayCache(), require_authn_statement=False)
    try:
        assertion = verify(request.saml_assertion, expect)
    except SamlRejected as error:
        if error.reason == "expired":
            raise ExpiredTokenException(error.message) from None
        raise InvalidIdentityToken(error.message) from None
    if not _names_role(assertion.attributes.get(ROLE, []), request.role_arn, request.principal_arn):
        raise IDPRejectedClaim("The SAML assertion's Role attribute does not name the requested role and provider.")
    return _identity(provider, assertion, account_id)


def _names_role(values: list[str], role_arn: str, provider_arn: str) -> bool:
    for value in values:
        pair = {part.strip() for part in value.split(",")}
        if pair == {role_arn, provider_arn}:
            return True
    return False


def _identity(provider, assertion: Assertion, account_id: str) -> SamlIdentity:
    attributes = assertion.attributes
    session_name = _single(attributes, SESSION_NAME)
    if session_name is None or not SESSION_NAME_RE.fullmatch(session_name):
        raise InvalidIdentityToken("The RoleSessionName attribute must be 2 to 64 characters of [\\w+=,.@-].")
    tags = _principal_tags(attributes)
    transitive = tuple(dict.fromkeys(attributes.get(TRANSITIVE_TAG_KEYS, [])))
    if any(key not in tags for key in transitive):
        raise InvalidIdentityToken("TransitiveTagKeys must name PrincipalTag attributes of the same assertion.")
    source_identity = _single(attributes, SOURCE_IDENTITY)
    if source_identity is not None and not re.fullmatch(r"[\w+=,.@-]{2,64}", source_identity, re.ASCII):
        raise InvalidIdentityToken("The SourceIdentity attribute must be 2 to 64 characters.")
    qualifier = name_qualifier(assertion.issuer, account_id, provider.name)
    sub_type = SUB_TYPES.get(assertion.name_id_format or "", assertion.name_id_format or UNSPECIFIED)
    session = {
        "provider": provider.arn, "saml:aud": assertion.recipient, "saml:sub": assertion.name_id,
        "saml:sub_type": sub_type, "saml:iss": assertion.issuer, "saml:namequalifier": qualifier,
        "saml:doc": f"{account_id}/{provider.name}", **_attribute_keys(attributes),
    }
    trust = {**session, "aws:FederatedProvider": provider.arn, "sts:RoleSessionName": session_name}
    del trust["provider"]
    trust.update(request_keys(tags, transitive, source_identity))
    return SamlIdentity(provider.arn, assertion, sub_type, qualifier, session_name, _duration(attributes), tags,
                        transitive, source_identity, trust, session)


def name_qualifier(issuer: str, account_id: str, provider_name: str) -> str:
    """AWS's `saml:namequalifier`: Base64(SHA1(issuer + account id + "/" + provider name))."""
    return base64.b64encode(hashlib.sha1(f"{issuer}{account_id}/{provider_name}".encode()).digest()).decode()


def _single(attributes: Mapping[str, list[str]], name: str) -> str | None:
    values = attributes.get(name)
    return values[0] if values else None


def _duration(attributes: Mapping[str, list[str]]) -> int | None:
    value = _single(attributes, SESSION_DURATION)
    if value is None:
        return None
    if not value.isdigit() or not MIN_DURATION <= int(value) <= MAX_DURATION:
        raise InvalidIdentityToken(f"SessionDuration must be {MIN_DURATION} to {MAX_DURATION} seconds.")
    return int(value)


def _principal_tags(attributes: Mapping[str, list[str]]) -> dict[str, str]:
    """The `PrincipalTag:<key>` attributes as session tags (one value each), under the shared tag rules."""
    return checked_tags(((name[len(PRINCIPAL_TAG):], values[0] if len(values) == 1 else values)
                         for name, values in attributes.items() if name.startswith(PRINCIPAL_TAG)),
                        "the PrincipalTag attributes")


def _seconds_left(assertion: Assertion) -> int | None:
    """How long a session may last before the IdP's own ends (AuthnStatement SessionNotOnOrAfter), if it says."""
    if assertion.session_not_on_or_after is None:
        return None
    left = int((assertion.session_not_on_or_after - clock.now()).total_seconds())
    if left <= 0:
        raise ExpiredTokenException("The identity provider's session (SessionNotOnOrAfter) has ended.")
    return left


def _attribute_keys(attributes: Mapping[str, list[str]]) -> dict[str, object]:
    keys: dict[str, object] = {}
    for name, values in attributes.items():
        key = ATTRIBUTE_KEYS.get(name) or FRIENDLY_KEYS.get(name.lower())
        if key is not None and values:
            keys[key] = values[0] if len(values) == 1 else list(values)
    return keys


def _audit(request: SamlRequest, identity: SamlIdentity | None, decision: str, detail: dict) -> None:
    """One audit entry per call, written with the request's outcome (also after a rollback)."""
    if not has_request_context():
        return
    if identity is not None:
        detail = {**detail, "provider": identity.provider_arn, "subject": identity.assertion.name_id,
                  "issuer": identity.assertion.issuer}
    audit.note(ACTION, actor=f"{identity.provider_arn}:{identity.assertion.name_id}" if identity else None,
               resource=request.role_arn, decision=decision, account_id=request.role_arn.split(":")[4] or None,
               detail=detail)
