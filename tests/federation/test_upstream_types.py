"""The upstream registry's `"type"`: oidc (default), saml, ldap; LDAP files validated, the bind password sealed."""
from __future__ import annotations

import json

import pytest

from idp.errors import ValidationError
from idp.federation.ldap import config
from models.federation import UpstreamProvider
from tests.support.signin import stored

LDAP = {
    "name": "corp-ldap", "type": "ldap", "url": "ldaps://ldap.corp.example", "bind_dn": "cn=idp,dc=corp,dc=example",
    "bind_password": "b1nd-s3cret!", "user_base": "ou=people,dc=corp,dc=example",
    "group_base": "ou=groups,dc=corp,dc=example",
    "groups": [{"claim": "groups", "match": "exact", "value": "engineers", "group": "eng"}],
}
OIDC = {"name": "corp-oidc", "issuer": "https://login.corp.example", "client_id": "our-client"}


def test_an_ldap_file_becomes_settings_with_defaults_and_without_the_password():
    settings = config.parse(LDAP)
    assert settings["url"] == ["ldaps://ldap.corp.example"] and settings["start_tls"] is True
    assert settings["user_filter"] == "(uid={username})" and settings["group_filter"] == "(member={dn})"
    assert (settings["username_attribute"], settings["email_attribute"], settings["group_name_attribute"]) == (
        "uid", "mail", "cn")
    assert settings["bind_password"] == "b1nd-s3cret!"  # handed to the registry, which seals it and drops it
    # Groups by search unless memberOf is asked for; the subject an entry id unless the DN is allowed.
    assert (settings["member_of_attribute"], settings["subject_attribute"], settings["allow_dn_subject"]) == (
        None, None, False)
    loopback = config.parse({**LDAP, "url": ["ldap://127.0.0.1:3890"], "start_tls": False, "allow_insecure": True})
    assert loopback["url"] == ["ldap://127.0.0.1:3890"]


@pytest.mark.parametrize("change, message", [
    ({"url": "ldap://ldap.corp.example", "start_tls": False, "allow_insecure": True}, "only with allow_insecure"),
    ({"url": "ldap://127.0.0.1:389", "start_tls": False}, "only with allow_insecure"),
    ({"url": "https://ldap.corp.example"}, "must be ldaps://"),
    ({"url": "ldaps://cn=x@ldap.corp.example"}, "must be ldaps://"),
    ({"url": []}, "url must be"),
    ({"url": None}, "url must be"),
    ({"user_base": None}, "user_base must be a distinguished name"),
    ({"user_filter": "(uid=*)"}, "{username}"),
    ({"user_filter": "(uid={username}"}, "not a valid LDAP filter"),
    ({"group_filter": "(member=x)"}, "{dn}"),
    ({"bind_password": None}, "bind_dn and bind_password go together"),
    ({"username_attribute": "telephoneNumber"}, "username_attribute must be one of"),
    ({"email_attribute": "mail)(x"}, "email_attribute must be an LDAP attribute name"),
    ({"connect_timeout": 600}, "connect_timeout must be"),
    ({"ca_file": "/nonexistent/ca.pem"}, "ca_file must be"),
    ({"client_secret": "x"}, "Unknown keys in the LDAP upstream file: client_secret"),
    ({"member_of_attribute": "memberOf", "group_base": None}, "member_of_attribute needs group_base"),
    ({"subject_attribute": "entryUUID)(x"}, "subject_attribute must be an LDAP attribute name"),
    ({"allow_dn_subject": "yes"}, "allow_dn_subject must be true or false"),
])
def test_bad_ldap_files_are_refused(change, message):
    document = {**LDAP, **change}
    document = {key: value for key, value in document.items() if value is not None}
    with pytest.raises(ValidationError) as refused:
        config.parse(document)
    assert message in refused.value.message


@pytest.fixture
def upstreams(app, root, tmp_path):
    runner = app.test_cli_runner()

    def run(*args: str, document: dict | None = None):
        extra = []
        if document is not None:
            path = tmp_path / "upstream.json"
            path.write_text(json.dumps(document))
            extra = ["--file", str(path)]
        return runner.invoke(args=["idp", "upstreams", *args, *extra])

    return run


def test_an_ldap_upstream_is_registered_with_its_password_sealed_and_never_shown(app, root, upstreams):
    added = upstreams("add", "--json", document=LDAP)
    assert added.exit_code == 0, added.output
    shown = json.loads(added.output)
    assert shown["type"] == "ldap" and shown["settings"]["bind_password"] == "(sealed)"
    assert shown["settings"]["user_base"] == LDAP["user_base"] and shown["groups"] == LDAP["groups"]
    assert shown["issuer"] == "ldaps://ldap.corp.example"
    assert upstreams("add", "--json", document=OIDC).exit_code == 0
    listed = upstreams("list")
    assert "corp-ldap\tldap\tldaps://ldap.corp.example" in listed.output and "corp-oidc\toidc\t" in listed.output
    for output in (added.output, listed.output, upstreams("show", "corp-ldap").output,
                   upstreams("list", "--json").output):
        assert "b1nd-s3cret" not in output
    row = next(row for row in stored(app, UpstreamProvider) if row.name == "corp-ldap")
    assert "b1nd-s3cret" not in json.dumps(row.settings) and b"b1nd-s3cret" not in row.client_secret_encrypted
    with app.app_context():
        from idp.federation.registry import client_secret

        assert client_secret(row) == "b1nd-s3cret!"
    changed = upstreams("update", "--json", document={**LDAP, "type": "oidc", "issuer": "https://x.example",
                                                       "client_id": "c"})
    assert changed.exit_code == 1 and "remove it to change its type" in changed.output


def test_unknown_types_and_bad_ldap_files_are_refused_and_write_nothing(app, root, upstreams):
    unknown = upstreams("add", document={**OIDC, "type": "kerberos"})
    assert unknown.exit_code == 1 and "type must be one of oidc, saml, ldap" in unknown.output
    insecure = upstreams("add", document={**LDAP, "url": "ldap://ldap.corp.example", "start_tls": False,
                                          "allow_insecure": True})
    assert insecure.exit_code == 1 and "plain LDAP" in insecure.output
    missing = upstreams("add", document={key: v for key, v in LDAP.items() if key != "user_base"})
    assert missing.exit_code == 1 and "user_base" in missing.output
    assert stored(app, UpstreamProvider) == []


def test_the_login_page_offers_oidc_upstreams_and_no_flow_for_ldap_ones(client, root, upstreams):
    assert upstreams("add", document=LDAP).exit_code == 0
    assert upstreams("add", document=OIDC).exit_code == 0
    page = client.get("/login").get_data(as_text=True)
    assert "/login/upstream/corp-oidc" in page and "corp-ldap" not in page
    assert client.get("/login/upstream/corp-ldap").status_code == 404  # no redirect flow for a directory


def test_export_and_import_carry_the_type_and_settings_but_not_the_password(app, root, upstreams, tmp_path):
    assert upstreams("add", document=LDAP).exit_code == 0
    run = app.test_cli_runner().invoke
    exported = run(args=["idp", "export", "--account", root.account_id])
    assert exported.exit_code == 0 and "b1nd-s3cret" not in exported.output
    [entry] = json.loads(exported.output)["upstreams"]
    assert entry["type"] == "ldap" and entry["settings"]["user_base"] == LDAP["user_base"]
    source = tmp_path / "account.json"
    source.write_text(exported.output)
    assert run(args=["idp", "import", "--file", str(source)]).output == "no changes\nnothing to change\n"
    assert upstreams("remove", "corp-ldap").exit_code == 0
    refused = run(args=["idp", "import", "--file", str(source)])
    assert refused.exit_code == 1 and "needs its bind_password" in refused.output
    secrets = tmp_path / "secrets.json"
    secrets.write_text(json.dumps({"corp-ldap": "b1nd-s3cret!"}))
    assert run(args=["idp", "import", "--file", str(source), "--upstream-secrets", str(secrets)]).exit_code == 0
    assert run(args=["idp", "export", "--account", root.account_id]).output == exported.output
    [row] = stored(app, UpstreamProvider)
    with app.app_context():
        from idp.federation.registry import client_secret

        assert client_secret(row) == "b1nd-s3cret!"
