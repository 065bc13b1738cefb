"""`flask --app app idp bootstrap` and `idp create-account`, as an operator runs them."""
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select

from tests.conftest import TEST_MASTER_KEY
from tests.support.servers import REPO_ROOT, free_port

ROOT_KEY = "AKIAIOSFODNN7EXAMPLE"
ROOT_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def row_counts(db) -> dict:
    from models import db as database

    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in database.metadata.sorted_tables}


def test_bootstrap_json_prints_the_root_credentials_once(runner, db, app_config):
    first = runner.invoke(args=["idp", "bootstrap", "--json"])
    assert first.exit_code == 0, first.output
    created = json.loads(first.stdout)
    assert set(created) == {"account_id", "access_key_id", "secret_access_key"}
    assert len(created["account_id"]) == 12 and created["account_id"].isdigit()
    assert created["access_key_id"].startswith("AKIA") and len(created["access_key_id"]) == 20
    assert len(created["secret_access_key"]) == 40

    before = row_counts(db)
    second = runner.invoke(args=["idp", "bootstrap", "--json"])
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout) == {k: created[k] for k in ("account_id", "access_key_id")}
    assert row_counts(db) == before, "a second bootstrap changes nothing"

    saved = Path(app_config["IDP_INSTANCE_DIR"]) / "root-credentials.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert json.loads(saved.read_text())["secret_access_key"] == created["secret_access_key"]


def test_bootstrap_creates_the_account_keys_and_own_oidc_provider(root, db, app):
    from idp.keys import open_secret
    from models.access_key import AccessKey
    from models.account import Account
    from models.oidc_provider import OidcProvider

    account = db.session.get(Account, root.account_id)
    assert account.is_default
    key = db.session.scalar(select(AccessKey).where(AccessKey.access_key_id == root.access_key_id))
    assert key.user_id is None and key.status == "Active"
    assert open_secret(key) == root.secret_access_key
    assert root.secret_access_key.encode() not in key.secret_encrypted
    provider = db.session.scalar(select(OidcProvider).where(OidcProvider.account_id == root.account_id))
    host = app.config["IDP_SETTINGS"].issuer.split("://")[1]
    assert provider.url == host
    assert provider.arn == f"arn:aws:iam::{root.account_id}:oidc-provider/{host}"


@pytest.fixture
def app_config(app_config, request):
    return {**app_config, **getattr(request, "param", {})}


@pytest.mark.parametrize(
    "app_config",
    [{"IDP_ACCOUNT_ID": "111122223333", "IDP_ROOT_ACCESS_KEY_ID": ROOT_KEY,
      "IDP_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET, "IDP_ROOT_PASSWORD": "correct horse battery staple"}],
    indirect=True,
)
def test_bootstrap_honours_configured_root_credentials(runner, db, app_config):
    from idp.iam.passwords import verify_password
    from models.account import Account

    result = runner.invoke(args=["idp", "bootstrap", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "account_id": "111122223333", "access_key_id": ROOT_KEY, "secret_access_key": ROOT_SECRET
    }
    again = runner.invoke(args=["idp", "bootstrap", "--json"])
    assert json.loads(again.stdout) == {"account_id": "111122223333", "access_key_id": ROOT_KEY}
    account = db.session.get(Account, "111122223333")
    assert verify_password(account.root_password_hash, "correct horse battery staple")
    assert not (Path(app_config["IDP_INSTANCE_DIR"]) / "root-credentials.json").exists()


def test_create_account_makes_a_separate_account_with_its_own_root_key(runner, root, db):
    result = runner.invoke(args=["idp", "create-account", "--json", "--alias", "team-b"])
    assert result.exit_code == 0, result.output
    other = json.loads(result.stdout)
    assert other["account_id"] != root.account_id and other["access_key_id"] != root.access_key_id
    assert other["secret_access_key"] and other["root_password"]

    clash = runner.invoke(args=["idp", "create-account", "--alias", "team-b"])
    assert clash.exit_code == 1 and "Error: account alias 'team-b' is taken" in clash.output
    bad = runner.invoke(args=["idp", "create-account", "--account-id", "12"])
    assert bad.exit_code == 1 and "account id must be 12 digits" in bad.output


def test_keys_rotate_refuses_an_unpublished_key_then_rotates_with_force(runner, root):
    refused = runner.invoke(args=["idp", "keys", "rotate"])
    assert refused.exit_code == 1 and "published less than 60s ago" in refused.output
    rotated = runner.invoke(args=["idp", "keys", "rotate", "--force", "--json"])
    assert rotated.exit_code == 0 and len(json.loads(rotated.stdout)["published"]) == 3  # one per token algorithm
    listed = json.loads(runner.invoke(args=["idp", "keys", "list", "--json"]).stdout)["keys"]
    assert sorted(k["status"] for k in listed if k["purpose"] == "token") == ["current"] * 3 + ["next"] * 3 + ["retired"] * 3


def run_cli(tmp_path, **env):
    base = {
        "IDP_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}", "IDP_KEYS_DIR": str(tmp_path / "keys"),
        "IDP_INSTANCE_DIR": str(tmp_path / "instance"), "IDP_MASTER_KEY": TEST_MASTER_KEY,
    }
    clean = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "idp", "bootstrap", "--json"],
        cwd=REPO_ROOT, env={**clean, **base, **env}, capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize(
    "env, message",
    [
        ({"IDP_ACCOUNT_ID": "12345"}, "Error: IDP_ACCOUNT_ID must be 12 digits"),
        ({"IDP_ROOT_ACCESS_KEY_ID": "AKIA-bad", "IDP_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET},
         "Error: IDP_ROOT_ACCESS_KEY_ID must be AKIA"),
        ({"IDP_MASTER_KEY": "c2hvcnQ="}, "Error: IDP_MASTER_KEY must decode to 32 bytes, got 5"),
        ({"IDP_DATABASE_URL": f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/x"},
         "Error: cannot connect to the database"),
    ],
)
def test_bad_bootstrap_input_is_one_error_line_and_writes_nothing(tmp_path, env, message):
    result = run_cli(tmp_path, **env)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(message), result.stderr
    assert result.stdout == ""
    database = tmp_path / "fresh.db"
    assert not database.exists() or inspect_tables(database) == []


def inspect_tables(path):
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_bootstrap_from_a_clean_environment_is_idempotent_across_processes(tmp_path):
    first = run_cli(tmp_path)
    assert first.returncode == 0, first.stderr
    second = run_cli(tmp_path)
    assert second.returncode == 0, second.stderr
    one, two = json.loads(first.stdout), json.loads(second.stdout)
    assert "secret_access_key" in one and "secret_access_key" not in two
    assert one["account_id"] == two["account_id"] and one["access_key_id"] == two["access_key_id"]
