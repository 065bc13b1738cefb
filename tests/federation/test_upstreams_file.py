"""IDP_UPSTREAMS_FILE: the declarative upstream file, applied by every bootstrap (so at every start), all or none."""
from __future__ import annotations

import pytest
import yaml

from idp.errors import ConfigError
from models.account import Account
from models.federation import UpstreamProvider
from tests.federation.test_upstreams_cli import FILE
from tests.support.signin import stored


def _app(app_config, path):
    from idp import create_app

    return create_app({**app_config, "IDP_UPSTREAMS_FILE": str(path)})


def test_bootstrap_adds_then_updates_the_upstreams_of_the_file(app_config, tmp_path):
    from idp.bootstrap import bootstrap

    path = tmp_path / "upstreams.yaml"
    path.write_text(yaml.safe_dump([FILE, {**FILE, "name": "partner", "issuer": "https://id.partner.example"}]))
    app = _app(app_config, path)
    credentials = bootstrap(app)
    rows = stored(app, UpstreamProvider)
    assert sorted(row.name for row in rows) == ["corp", "partner"]
    assert {row.account_id for row in rows} == {credentials.account_id}

    path.write_text(yaml.safe_dump([{**FILE, "display_name": "Corp SSO"}]))
    bootstrap(app)  # the next start: corp updated, partner (no longer in the file) kept
    by_name = {row.name: row for row in stored(app, UpstreamProvider)}
    assert by_name["corp"].display_name == "Corp SSO" and "partner" in by_name


def test_a_bad_upstream_file_stops_bootstrap_and_writes_nothing(app_config, tmp_path):
    from idp.bootstrap import bootstrap

    path = tmp_path / "upstreams.json"
    path.write_text('[{"name": "corp", "issuer": "http://corp.example", "client_id": "x"}]')  # http off loopback
    app = _app(app_config, path)
    with pytest.raises(ConfigError, match="IDP_UPSTREAMS_FILE"):
        bootstrap(app)
    assert stored(app, UpstreamProvider) == [] and stored(app, Account) == []  # not even the account


def test_a_missing_upstream_file_is_refused_with_the_setting_named(app_config, tmp_path):
    with pytest.raises(ConfigError, match="IDP_UPSTREAMS_FILE must name a readable file"):
        _app(app_config, tmp_path / "nowhere.yaml")
