"""`flask --app app idp upstreams add|update|list|show|remove`: the upstream file, validated; the secret sealed."""
from __future__ import annotations

import json

import pytest

from models.federation import UpstreamProvider
from tests.support.signin import stored

FILE = {
    "name": "corp", "issuer": "https://login.corp.example", "client_id": "our-client", "client_secret": "s3cret!",
    "scopes": ["openid", "email", "groups"],
    "groups": [{"claim": "groups", "match": "exact", "value": "eng", "group": "eng"}],
    "tags": [{"claim": "department", "tag": "dept"}], "allow": [{"claim": "hd", "equals": "corp.example"}],
}


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


def test_add_list_show_update_remove(app, root, upstreams):
    added = upstreams("add", "--json", document=FILE)
    assert added.exit_code == 0, added.output
    shown = json.loads(added.output)
    issuer = app.config["IDP_SETTINGS"].issuer
    assert shown["redirect_uri"] == f"{issuer}/login/upstream/corp/callback"
    assert shown["account"] == root.account_id and shown["has_client_secret"] is True
    assert shown["groups"] == FILE["groups"] and shown["allow"] == FILE["allow"] and shown["tags"] == FILE["tags"]
    assert "s3cret" not in added.output
    [row] = stored(app, UpstreamProvider)
    assert b"s3cret" not in row.client_secret_encrypted  # sealed with the master key
    with app.app_context():
        from idp.federation.registry import client_secret

        assert client_secret(row) == "s3cret!"
    listed = json.loads(upstreams("list", "--json").output)["upstreams"]
    assert [u["name"] for u in listed] == ["corp"]
    assert json.loads(upstreams("show", "corp", "--json").output)["issuer"] == "https://login.corp.example"
    updated = upstreams("update", "--json", document={**FILE, "display_name": "Corp SSO", "enabled": False})
    assert updated.exit_code == 0 and json.loads(updated.output)["enabled"] is False
    again = upstreams("add", "--json", document=FILE)
    assert again.exit_code == 1 and "already exists" in again.output
    assert upstreams("remove", "corp", "--json").exit_code == 0
    assert stored(app, UpstreamProvider) == []
    missing = upstreams("show", "corp")
    assert missing.exit_code == 1 and "no upstream provider named 'corp'" in missing.output


@pytest.mark.parametrize("change, message", [
    ({"name": "bad/name"}, "name must be"),
    ({"issuer": "http://login.corp.example"}, "must use https"),
    ({"issuer": "https://user:pw@login.corp.example"}, "without credentials"),
    ({"scopes": ["email"]}, "includes openid"),
    ({"colour": "blue"}, "Unknown keys in the upstream file: colour"),
    ({"groups": [{"claim": "groups", "match": "glob", "value": "x", "group": "g"}]}, "groups[0].match"),
    ({"groups": [{"claim": "groups", "match": "regex", "value": "(", "group": "g"}]}, "does not compile"),
    ({"allow": [{"claim": "hd"}]}, "allow[0] needs exactly one of"),
    ({"tags": [{"claim": "x", "tag": "bad{key}"}]}, "valid IAM tag key"),
    ({"link_verified_email": True}, "needs trust_email"),
    ({"account": "999999999999"}, "no account 999999999999"),
    ({"token_endpoint_auth_method": "none"}, "none without"),
])
def test_a_bad_upstream_file_is_refused_and_nothing_is_stored(app, root, upstreams, change, message):
    result = upstreams("add", "--json", document={**FILE, **change})
    assert result.exit_code == 1 and message in result.output, result.output
    assert stored(app, UpstreamProvider) == []


def test_apply_adds_and_updates_every_upstream_of_a_yaml_file_all_or_none(app, root, upstreams, tmp_path):
    import yaml

    path = tmp_path / "upstreams.yaml"
    other = {**FILE, "name": "partner", "issuer": "https://sso.partner.example"}
    path.write_text(yaml.safe_dump([FILE, other]))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["idp", "upstreams", "apply", "--json", "--file", str(path)])
    assert first.exit_code == 0, first.output
    assert [(u["name"], u["action"]) for u in json.loads(first.output)["upstreams"]] == [
        ("corp", "added"), ("partner", "added")]
    path.write_text(yaml.safe_dump([{**FILE, "display_name": "Corp"}, {**other, "scopes": ["email"]}]))
    refused = runner.invoke(args=["idp", "upstreams", "apply", "--json", "--file", str(path)])
    assert refused.exit_code == 1 and "includes openid" in refused.output
    assert [row.display_name for row in stored(app, UpstreamProvider)] == [None, None]  # nothing half-applied
    path.write_text(yaml.safe_dump([{**FILE, "display_name": "Corp"}]))
    second = runner.invoke(args=["idp", "upstreams", "apply", "--json", "--file", str(path)])
    assert json.loads(second.output)["upstreams"][0]["action"] == "updated"
    assert sorted((row.name, row.display_name) for row in stored(app, UpstreamProvider)) == [
        ("corp", "Corp"), ("partner", None)]
