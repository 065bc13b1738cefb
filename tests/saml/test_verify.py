"""The verify module against valid, forged and mutated responses from the test IdP (xmlsec1-signed)."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from idp.saml import metadata
from idp.saml.verify import ANY_REQUEST, Expectation, SamlRejected, verify
from tests.support.saml_idp import AWS_AUDIENCE, decoded, encoded

SP = "https://sp.test.example/login/upstream/corp/saml/metadata"
ACS = "https://sp.test.example/login/upstream/corp/saml/acs"


class MemoryReplayCache:
    """The replay-cache interface over a set (the ledger table is tested with a database in test_sts)."""

    def __init__(self):
        self.seen = set()

    def remember(self, issuer, assertion_id, expires_at):
        if (issuer, assertion_id) in self.seen:
            return False
        self.seen.add((issuer, assertion_id))
        return True


def _expect(idp, **overrides) -> Expectation:
    parsed = metadata.parse(idp.metadata())
    values = dict(idp_entity_id=parsed.entity_id, certificates=parsed.certificates, audiences=(SP,),
                  recipients=(ACS,), in_response_to="_req1", replay_cache=MemoryReplayCache())
    return Expectation(**{**values, **overrides})


def _valid(idp, **overrides):
    return idp.response(**{"audience": SP, "recipient": ACS, "destination": ACS, "in_response_to": "_req1",
                           "attributes": {"groups": ["eng"]}, **overrides})


@pytest.mark.parametrize("sign", ["assertion", "response", "both"])
def test_a_valid_response_is_verified(saml_idp, sign):
    assertion = verify(_valid(saml_idp, sign=sign), _expect(saml_idp))
    assert (assertion.issuer, assertion.name_id, assertion.audience) == (saml_idp.entity_id, "alice@corp.example", SP)
    assert assertion.attributes == {"groups": ["eng"]}
    assert assertion.claims()["sub"] == "alice@corp.example"


def _second_assertion(text: str) -> str:
    """XSW: a forged, unsigned copy of the assertion (other subject, other ID) added beside the signed one."""
    original = re.search(r"<saml:Assertion .*?</saml:Assertion>", text, re.DOTALL).group(0)
    forged = re.sub(r"<ds:Signature.*?</ds:Signature>", "", original, flags=re.DOTALL)
    forged = forged.replace("alice@corp.example", "admin@corp.example").replace('ID="_a', 'ID="_evil')
    return text.replace(original, forged + original)


def _wrapped_in_extensions(text: str) -> str:
    """XSW: the signed assertion hidden in an Extensions element, a forged one in its place."""
    original = re.search(r"<saml:Assertion .*?</saml:Assertion>", text, re.DOTALL).group(0)
    forged = re.sub(r"<ds:Signature.*?</ds:Signature>", "", original, flags=re.DOTALL).replace("alice@", "admin@")
    return text.replace(original, f"<samlp:Extensions>{original}</samlp:Extensions>" + forged.replace(
        'ID="_a', 'ID="_evil'))


def _reference_to_the_response(text: str) -> str:
    """The assertion's signature made to reference another element (the response) than the one it sits on."""
    response_id = re.search(r'<samlp:Response [^>]*ID="([^"]+)"', text).group(1)
    return re.sub(r'URI="#_a[0-9a-f]+"', f'URI="#{response_id}"', text)


def _subject_changed(text: str) -> str:
    return text.replace(">alice@corp.example<", ">admin@corp.example<")


def _dtd(text: str) -> str:
    return '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "admin">]>' + text.replace("alice", "&x;")


def _external_entity(text: str) -> str:
    return '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + text


def _without_signature_value(text: str) -> str:
    return re.sub(r"<ds:SignatureValue>.*?</ds:SignatureValue>", "", text, flags=re.DOTALL)


def _without_digest_value(text: str) -> str:
    return re.sub(r"<ds:DigestValue>.*?</ds:DigestValue>", "", text, flags=re.DOTALL)


def _empty_signature_value(text: str) -> str:
    return re.sub(r"<ds:SignatureValue>.*?</ds:SignatureValue>", "<ds:SignatureValue/>", text, flags=re.DOTALL)


def _extra_element_in_signed_info(text: str) -> str:
    return text.replace("</ds:SignedInfo>", '<x:Extra xmlns:x="urn:test:extra"/></ds:SignedInfo>', 1)


def _inclusive_c14n(text: str) -> str:
    return text.replace('<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>',
                        '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>')


NOW = datetime.now(UTC)
FORGERIES = [
    ("unsigned", dict(sign="none"), None, {}, "unsigned"),
    ("xsw-second-assertion", {}, _second_assertion, {}, "assertion-count"),
    ("xsw-response-signed-second-assertion", dict(sign="response"), _second_assertion, {}, "assertion-count"),
    ("xsw-hidden-in-extensions", {}, _wrapped_in_extensions, {}, "assertion-count"),
    ("reference-to-another-id", {}, _reference_to_the_response, {}, "wrapping"),
    ("subject-changed-after-signing", {}, _subject_changed, {}, "signature"),
    ("response-subject-changed", dict(sign="response"), _subject_changed, {}, "signature"),
    ("wrong-audience", dict(audience="https://elsewhere.example/sp"), None, {}, "audience"),
    ("wrong-recipient", dict(recipient="https://elsewhere.example/acs"), None, {}, "recipient"),
    ("wrong-destination", dict(destination="https://elsewhere.example/acs"), None, {}, "destination"),
    ("expired", dict(now=NOW - timedelta(hours=1)), None, {}, "expired"),
    ("not-yet-valid", dict(not_before=NOW + timedelta(hours=1)), None, {}, "not-yet-valid"),
    ("other-idps-certificate", dict(signer="other"), None, {}, "signature"),
    ("other-issuer", dict(issuer="https://other-idp.test.example/saml"), None, {}, "issuer"),
    ("sha1-not-allowed", dict(algorithm="sha1"), None, {}, "sha1"),
    ("unknown-in-response-to", dict(in_response_to="_someone-elses"), None, {}, "in-response-to"),
    ("unsolicited-when-a-request-was-made", dict(in_response_to=None), None, {}, "in-response-to"),
    ("solicited-when-unsolicited-expected", {}, None, dict(in_response_to=None), "in-response-to"),
    ("dtd-entity", {}, _dtd, {}, "unsafe-xml"),
    ("external-entity", {}, _external_entity, {}, "unsafe-xml"),
    # Malformed signatures: signxml's schema check and decoding must end in a refusal, never a 500.
    ("no-signature-value", {}, _without_signature_value, {}, "signature"),
    ("response-no-signature-value", dict(sign="response"), _without_signature_value, {}, "signature"),
    ("no-digest-value", {}, _without_digest_value, {}, "signature"),
    ("empty-signature-value", {}, _empty_signature_value, {}, "signature"),
    ("response-empty-signature-value", dict(sign="response"), _empty_signature_value, {}, "signature"),
    ("extra-element-in-signed-info", {}, _extra_element_in_signed_info, {}, "signature"),
    ("inclusive-c14n", {}, _inclusive_c14n, {}, "c14n"),
    ("no-authn-statement", dict(authn_statement=False), None, {}, "authn-statement"),
    ("idp-session-ended", dict(session_not_on_or_after=NOW - timedelta(minutes=10)), None, {}, "expired"),
]


@pytest.mark.parametrize("forgery", FORGERIES, ids=[row[0] for row in FORGERIES])
def test_forged_and_mutated_responses_are_refused(saml_idp, other_idp, forgery):
    _, options, mutate, expect_overrides, reason = forgery
    if options.get("signer") == "other":
        options = {**options, "signer": other_idp}
    response = _valid(saml_idp, **options)
    if mutate is not None:
        response = encoded(mutate(decoded(response)))
    with pytest.raises(SamlRejected) as refused:
        verify(response, _expect(saml_idp, **expect_overrides))
    assert refused.value.reason == reason
    assert refused.value.code == "InvalidIdentityToken"


def test_a_replayed_assertion_is_refused(saml_idp):
    expect, response = _expect(saml_idp), _valid(saml_idp)
    verify(response, expect)
    with pytest.raises(SamlRejected) as refused:
        verify(response, expect)
    assert refused.value.reason == "replayed"


def test_sha1_passes_only_when_allowed(saml_idp):
    assertion = verify(_valid(saml_idp, algorithm="sha1"), _expect(saml_idp, allow_sha1=True))
    assert assertion.name_id == "alice@corp.example"


def test_sts_matches_no_request_and_needs_no_authn_statement(saml_idp):
    response = saml_idp.response(in_response_to="_aws-console-request", authn_statement=False,
                                 audience="urn:amazon:webservices")
    expect = _expect(saml_idp, audiences=(AWS_AUDIENCE, "urn:amazon:webservices"), recipients=(AWS_AUDIENCE,),
                     in_response_to=ANY_REQUEST, require_authn_statement=False)
    verified = verify(response, expect)
    assert (verified.audience, verified.recipient) == ("urn:amazon:webservices", AWS_AUDIENCE)
    assert verified.session_not_on_or_after is None


def test_the_idp_session_end_is_read(saml_idp):
    until = (NOW + timedelta(minutes=30)).replace(microsecond=0)
    assert verify(_valid(saml_idp, session_not_on_or_after=until), _expect(saml_idp)).session_not_on_or_after == until


def test_a_comment_inside_the_nameid_does_not_truncate_it(saml_idp):
    """CVE-2017-11427 style: the comment is outside the canonical form, so it must be outside our reading too."""
    response = _valid(saml_idp, name_id="alice@corp.example.evil.test")
    mutated = decoded(response).replace("alice@corp.example.evil.test", "alice@corp.example<!---->.evil.test")
    assert verify(encoded(mutated), _expect(saml_idp)).name_id == "alice@corp.example.evil.test"
