"""SAML upstream sign-in: the upstream document, our signed SP metadata, the SP-initiated flow and its refusals
(Flask test client), and the whole round trip in Chromium through our login page to an ID token's groups."""
from __future__ import annotations

import base64
import json
import re
import subprocess
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from flask import Flask
from markupsafe import escape
from werkzeug.test import TestResponse

from idp.clock import FixedClock
from idp.federation.saml.sp import PENDING
from idp.iam import groups, login_profiles, users
from models import db
from models.audit import AuditEvent
from models.federation import FederatedIdentity, UpstreamProvider
from models.session import BrowserSession
from models.user import User
from tests.federation.test_browser_round_trip import _app_sign_in
from tests.support.saml_idp import XMLSEC1, SamlIdp, SamlIdpServer, _attribute, decoded, encoded
from tests.support.servers import ThreadedServer
from tests.support.signin import DEFAULT_PASSWORD, client_login, csrf_token, stored

GROUPS = "urn:oid:1.3.6.1.4.1.5923.1.5.1.1"


def _document(idp: SamlIdp, **extra) -> dict:
    return {"name": "corp", "type": "saml", "metadata_xml": idp.metadata(), "display_name": "Corp SAML",
            "name_id_format": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
            "groups": [{"claim": GROUPS, "match": "prefix", "value": "eng-", "group": "engineering"}],
            "tags": [{"claim": "department", "tag": "dept"}], **extra}


@pytest.fixture
def upstreams(app, root, tmp_path):
    """`flask --app app idp upstreams add --json --file F` -> the CLI result."""
    runner = app.test_cli_runner()

    def add(document: dict):
        path = tmp_path / "upstream.json"
        path.write_text(json.dumps(document))
        return runner.invoke(args=["idp", "upstreams", "add", "--json", "--file", str(path)])

    return add


def test_the_upstream_document_is_validated(app, upstreams, saml_idp):
    refusals = {
        "exactly one of metadata_xml and metadata_url": {k: v for k, v in _document(saml_idp).items()
                                                         if k != "metadata_xml"},
        "signing certificate": _document(saml_idp, metadata_xml=saml_idp.metadata().replace(
            saml_idp.certificate, "")),
        "DTD or entity": _document(saml_idp, metadata_xml='<!DOCTYPE x [<!ENTITY e "y">]>' + saml_idp.metadata()),
        "encrypted assertions are not supported": _document(saml_idp, want_assertions_encrypted=True),
        "Unknown keys": _document(saml_idp, client_id="x"),
        "allow_sha1 must be true or false": _document(saml_idp, allow_sha1="yes"),
        "name_id_format must be one of": _document(saml_idp, name_id_format="urn:x"),
    }
    for message, document in refusals.items():
        result = upstreams(document)
        assert result.exit_code == 1 and message in result.output, (message, result.output)
    assert stored(app, UpstreamProvider) == []
    added = upstreams(_document(saml_idp))
    assert added.exit_code == 0, added.output
    shown = json.loads(added.output)
    assert shown["type"] == "saml" and shown["issuer"] == saml_idp.entity_id
    assert shown["acs_url"].endswith("/login/upstream/corp/saml/acs")


def test_sp_metadata_is_signed_with_our_key(client, upstreams, saml_idp, tmp_path):
    assert upstreams(_document(saml_idp)).exit_code == 0
    answer = client.get("/login/upstream/corp/saml/metadata")
    assert answer.status_code == 200 and answer.mimetype == "application/samlmetadata+xml"
    text = answer.get_data(as_text=True)
    assert 'AuthnRequestsSigned="true"' in text and "/login/upstream/corp/saml/acs" in text
    certificate = text.split("<ds:X509Certificate>", 1)[1].split("</ds:X509Certificate>", 1)[0]
    pem = x509.load_der_x509_certificate(base64.b64decode(certificate)).public_bytes(serialization.Encoding.PEM)
    (tmp_path / "sp.pem").write_bytes(pem)
    (tmp_path / "metadata.xml").write_text(text)
    checked = subprocess.run([XMLSEC1, "--verify", "--pubkey-cert-pem", str(tmp_path / "sp.pem"), "--id-attr:ID",
                              "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor", str(tmp_path / "metadata.xml")],
                             capture_output=True, text=True, timeout=20)
    assert checked.returncode == 0, checked.stderr  # xmlsec1, not our signer, checks our signature
    assert client.get("/login/upstream/nobody/saml/metadata").status_code == 404


def _started(client) -> tuple[dict, str]:
    """Start the sign-in; (the AuthnRequest's fields, RelayState) from the redirect to the IdP."""
    started = client.get("/login/upstream/corp?next=/account")
    assert started.status_code == 302
    return _authn_request(started.headers["Location"])


def _authn_request(location: str) -> tuple[dict, str]:
    """(the AuthnRequest's fields, RelayState) of a redirect to the IdP."""
    query = parse_qs(urlsplit(location).query)
    assert query["SigAlg"] == ["http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"] and query["Signature"]
    request_xml = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15).decode()
    fields = {name: _attribute(request_xml, name) for name in ("ID", "AssertionConsumerServiceURL")}
    fields["Issuer"] = request_xml.split("<saml:Issuer>", 1)[1].split("</saml:Issuer>", 1)[0]
    return fields, query["RelayState"][0]


def _answer(idp: SamlIdp, fields: dict, **overrides) -> str:
    acs = fields["AssertionConsumerServiceURL"]
    options = dict(audience=fields["Issuer"], recipient=acs, destination=acs, in_response_to=fields["ID"],
                   name_id="alice-saml", attributes={GROUPS: ["eng-backend", "staff"], "department": ["rnd"]})
    return idp.response(**{**options, **overrides})


def _written(app) -> tuple[int, int, int]:
    """How many users, links and browser sessions the database holds."""
    return len(stored(app, User)), len(stored(app, FederatedIdentity)), len(stored(app, BrowserSession))


def _failures(app) -> list[AuditEvent]:
    return stored(app, AuditEvent, AuditEvent.action == "federation_failed")


def _refused(app, post: Callable[[], TestResponse], reason: str) -> None:
    """`post()` answers a 400 page naming `reason`, adds one `federation_failed` audit row saying it, and
    writes nothing else (no user, link or browser session)."""
    written, failures = _written(app), len(_failures(app))
    answer = post()
    assert answer.status_code == 400 and str(escape(reason)) in answer.get_data(as_text=True)
    [*earlier, row] = _failures(app)
    assert len(earlier) == failures and row.decision == "Deny" and row.detail["upstream"] == "corp"
    assert reason in row.detail["reason"]
    assert _written(app) == written


def test_sp_initiated_sign_in_and_its_refusals(app, client, iam_group, upstreams, saml_idp, other_idp):
    assert upstreams(_document(saml_idp)).exit_code == 0
    fields, relay = _started(client)
    acs = urlsplit(fields["AssertionConsumerServiceURL"]).path

    forged = _answer(other_idp, fields, issuer=saml_idp.entity_id)
    _refused(app, lambda: client.post(acs, data={"SAMLResponse": forged, "RelayState": relay}),
             "does not verify with the identity provider's certificate")

    fields, relay = _started(client)
    other_request = _answer(saml_idp, {**fields, "ID": "_not-ours"})
    _refused(app, lambda: client.post(acs, data={"SAMLResponse": other_request, "RelayState": relay}),
             "answers a request this browser did not make")

    fields, relay = _started(client)  # a malformed signature is a refusal page, never a 500
    malformed = re.sub(r"<ds:SignatureValue>.*?</ds:SignatureValue>", "<ds:SignatureValue/>",
                       decoded(_answer(saml_idp, fields)), flags=re.DOTALL)
    _refused(app, lambda: client.post(acs, data={"SAMLResponse": encoded(malformed), "RelayState": relay}),
             "The SAML signature is malformed.")

    fields, relay = _started(client)  # the Web Browser SSO profile needs an AuthnStatement
    without_authn = _answer(saml_idp, fields, authn_statement=False)
    _refused(app, lambda: client.post(acs, data={"SAMLResponse": without_authn, "RelayState": relay}),
             "no AuthnStatement")

    fields, relay = _started(client)
    response = _answer(saml_idp, fields)
    signed_in = client.post(acs, data={"SAMLResponse": response, "RelayState": relay})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/account"
    [user] = stored(app, User, User.path == "/federated/corp/")
    assert user.name == "alice-saml" and {"Key": "dept", "Value": "rnd"} in user.tags
    [link] = stored(app, FederatedIdentity)
    assert link.subject == "alice-saml"
    with app.app_context():
        assert [group.name for group in db.session.get(User, user.id).groups] == ["engineering"]

    # No pending request in this browser: first our relay page (the cross-site POST had no cookie), then a refusal.
    relay_page = client.post(acs, data={"SAMLResponse": response, "RelayState": relay})
    assert relay_page.status_code == 200 and 'name="relayed"' in relay_page.get_data(as_text=True)
    unsolicited = client.post(acs, data={"SAMLResponse": response, "RelayState": relay, "relayed": "1"})
    assert unsolicited.status_code == 400 and "not started here" in unsolicited.get_data(as_text=True)

    fields, relay = _started(client)  # an old response inside a fresh request's flow answers another request
    _refused(app, lambda: client.post(acs, data={"SAMLResponse": response, "RelayState": relay}),
             "answers a request this browser did not make")


def test_a_replayed_response_is_refused_even_with_its_request_pending(app, client, iam_group, upstreams, saml_idp):
    """The replay cache, alone: the second post carries the same request's ID and RelayState, as pending."""
    assert upstreams(_document(saml_idp)).exit_code == 0
    fields, relay = _started(client)
    with client.session_transaction() as browser:
        pending = dict(browser[PENDING])
    acs = urlsplit(fields["AssertionConsumerServiceURL"]).path
    response = _answer(saml_idp, fields)
    assert client.post(acs, data={"SAMLResponse": response, "RelayState": relay}).status_code == 302
    with client.session_transaction() as browser:
        browser[PENDING] = pending
    _refused(app, lambda: client.post(acs, data={"SAMLResponse": response, "RelayState": relay}),
             "The SAML assertion was already used.")


def test_the_oidc_callback_refuses_a_saml_upstream(client, upstreams, saml_idp):
    assert upstreams(_document(saml_idp)).exit_code == 0
    assert client.get("/login/upstream/corp/callback?code=c&state=s").status_code == 404


@pytest.fixture
def iam_group(app, root):
    """Our group `engineering`, which the upstream's prefix rule maps to."""
    with app.app_context():
        groups.create(root.account_id, "engineering", "/")
        db.session.commit()


def test_chromium_round_trip_through_our_login_page(app, live_server, root, iam, upstreams, page, make_app_client):
    idp = SamlIdp(entity_id="https://browser-idp.test.example/saml")
    iam.create_group(GroupName="engineering")
    with SamlIdpServer(idp, name_id="bob-saml", attributes={GROUPS: ["eng-web"]}) as server:
        assert upstreams(_document(idp)).exit_code == 0
        metadata = requests.get(f"{live_server.url}/login/upstream/corp/saml/metadata", timeout=10).text
        server.sp_certificate = metadata.split("<ds:X509Certificate>", 1)[1].split("</ds:X509Certificate>", 1)[0]
        page.goto(f"{live_server.url}/login")
        page.click('[data-upstream="corp"]')
        page.wait_for_url(f"{live_server.url}/account")
        assert "engineering" in page.inner_text("dl.facts")
        assert server.requests[0]["Issuer"] == f"{live_server.url}/login/upstream/corp/saml/metadata"
        claims, _ = _app_sign_in(page, live_server, make_app_client())
    assert claims["groups"] == ["engineering"] and "fed" in claims["amr"]


def test_idp_initiated_only_when_enabled_and_metadata_from_a_url(app, client, iam_group, upstreams, saml_idp):
    site = Flask("metadata-host")
    site.add_url_rule("/metadata", "metadata", lambda: saml_idp.metadata())
    server = ThreadedServer(site)
    server.start()
    try:
        document = {**_document(saml_idp, idp_initiated=True), "metadata_url": f"{server.url}/metadata"}
        del document["metadata_xml"]
        added = upstreams(document)
    finally:
        server.stop()
    assert added.exit_code == 0, added.output
    fields = {"Issuer": f"{app.config['IDP_SETTINGS'].issuer}/login/upstream/corp/saml/metadata",
              "AssertionConsumerServiceURL": f"{app.config['IDP_SETTINGS'].issuer}/login/upstream/corp/saml/acs"}
    unsolicited = _answer(saml_idp, {**fields, "ID": None})
    signed_in = client.post("/login/upstream/corp/saml/acs", data={"SAMLResponse": unsolicited, "relayed": "1"})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/account"
    answering_someone = _answer(saml_idp, {**fields, "ID": "_a-request-we-never-made"})
    refused = client.post("/login/upstream/corp/saml/acs", data={"SAMLResponse": answering_someone, "relayed": "1"})
    assert refused.status_code == 400


def test_a_local_user_links_a_saml_identity(app, client, root, upstreams, saml_idp):
    assert upstreams(_document(saml_idp)).exit_code == 0
    with app.app_context():
        carol = users.create(root.account_id, "carol", "/", [])
        login_profiles.create(carol, DEFAULT_PASSWORD, False)
        db.session.commit()
        carol_id = carol.id
    assert client_login(client, root.account_id, "carol", DEFAULT_PASSWORD).status_code == 302
    page = client.get("/account/links").get_data(as_text=True)
    started = client.post("/account/links/corp", data={"csrf_token": csrf_token(page),
                                                       "current_password": DEFAULT_PASSWORD})
    assert started.status_code == 302
    fields, relay = _authn_request(started.headers["Location"])
    linked = client.post(urlsplit(fields["AssertionConsumerServiceURL"]).path,
                         data={"SAMLResponse": _answer(saml_idp, fields), "RelayState": relay})
    assert linked.status_code == 302 and linked.headers["Location"] == "/account/links?linked=corp"
    [link] = stored(app, FederatedIdentity)
    assert (link.user_id, link.subject) == (carol_id, "alice-saml")
    assert stored(app, User, User.path == "/federated/corp/") == []


def test_the_pending_request_ages_by_the_app_clock(app, client, upstreams, saml_idp):
    assert upstreams(_document(saml_idp)).exit_code == 0
    fields, relay = _started(client)
    response = _answer(saml_idp, fields)
    app.extensions["idp.clock"] = FixedClock(datetime.now(UTC) + timedelta(minutes=11))
    _refused(app, lambda: client.post(urlsplit(fields["AssertionConsumerServiceURL"]).path,
                                      data={"SAMLResponse": response, "RelayState": relay}),
             "The sign-in took too long; start again.")
