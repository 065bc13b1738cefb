"""`flask --app app idp export` / `idp import`: an account built with boto3, exported by the real command,
imported into an empty database, exported again byte for byte; dry runs, re-imports and broken files."""
import json
import os
import subprocess
import sys

from tests.support.servers import REPO_ROOT

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
WRITE = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}
UPSTREAM_SECRET = "upstream-secret-that-must-not-leak-0123456789"


def build_account(iam, runner, tmp_path, account_id):
    """Every kind of entity the export holds, made the way an operator makes them; the secrets made on the way."""
    iam.create_account_alias(AccountAlias="acme-export")
    iam.update_account_password_policy(MinimumPasswordLength=12, RequireSymbols=True)
    bound = iam.create_policy(PolicyName="boundary", Path="/limits/", PolicyDocument=json.dumps(READ))["Policy"]["Arn"]
    app_policy = iam.create_policy(PolicyName="app", PolicyDocument=json.dumps(READ), Description="the app",
                                   Tags=[{"Key": "team", "Value": "core"}])["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=app_policy, PolicyDocument=json.dumps(WRITE), SetAsDefault=True)
    iam.create_group(GroupName="devs", Path="/eng/")
    iam.attach_group_policy(GroupName="devs", PolicyArn=app_policy)
    iam.put_group_policy(GroupName="devs", PolicyName="extra", PolicyDocument=json.dumps(WRITE))
    iam.create_user(UserName="alice", Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "1"}],
                    PermissionsBoundary=bound)
    iam.add_user_to_group(GroupName="devs", UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="own", PolicyDocument=json.dumps(READ))
    key_secret = iam.create_access_key(UserName="alice")["AccessKey"]["SecretAccessKey"]
    iam.create_user(UserName="bob")
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps(TRUST), Description="runs the app",
                    MaxSessionDuration=7200, PermissionsBoundary=bound, Tags=[{"Key": "env", "Value": "prod"}])
    iam.attach_role_policy(RoleName="app", PolicyArn=app_policy)
    iam.put_role_policy(RoleName="app", PolicyName="inline", PolicyDocument=json.dumps(READ))
    iam.create_instance_profile(InstanceProfileName="app-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="app-profile", RoleName="app")
    iam.create_open_id_connect_provider(Url="https://token.example.com", ClientIDList=["sts.amazonaws.com"],
                                        ThumbprintList=["a" * 40], Tags=[{"Key": "k", "Value": "v"}])
    made = runner.invoke(args=["idp", "clients", "create", "--json", "--name", "web", "--account", account_id,
                               "--redirect-uri", "https://app.example.com/cb", "--scope", "openid"])
    assert made.exit_code == 0, made.output
    client = json.loads(made.stdout)
    scope = tmp_path / "read.json"
    scope.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "orders:GetOrder", "Resource": "*"}]}))
    assert runner.invoke(args=["idp", "apis", "create", "--identifier", "https://api.example.com", "--name", "Orders",
                               "--scope", f"orders.read={scope}", "--account", account_id]).exit_code == 0
    upstream = tmp_path / "upstream.json"
    upstream.write_text(json.dumps({"name": "corp", "issuer": "https://login.example.com", "client_id": "idp",
                                    "client_secret": UPSTREAM_SECRET, "account": account_id,
                                    "groups": [{"claim": "groups", "value": "eng", "group": "devs"}]}))
    added = runner.invoke(args=["idp", "upstreams", "add", "--file", str(upstream)])
    assert added.exit_code == 0, added.output
    return [key_secret, client["client_secret"], UPSTREAM_SECRET]


def flask_idp(config, *args):
    """A real `flask --app app idp ...` process with the test app's settings."""
    env = {**os.environ, **{k: v for k, v in config.items() if k.startswith("IDP_") and v is not None}}
    flask = os.path.join(os.path.dirname(sys.executable), "flask")
    return subprocess.run([flask, "--app", "app", "idp", *args], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_export_import_round_trip_dry_run_idempotence_and_all_or_nothing(
        live_server, iam, root, runner, app, app_config, test_database, tmp_path):
    account_id = root.account_id
    secrets = build_account(iam, runner, tmp_path, account_id) + [root.secret_access_key]

    exported = flask_idp(app_config, "export", "--account", account_id)
    assert exported.returncode == 0, exported.stderr
    text = exported.stdout
    assert not [s for s in secrets if s in text], "the export holds no secret"
    document = json.loads(text)
    assert (document["format"], document["version"]) == ("idp-account-export", 1)
    assert document["account"]["alias"] == "acme-export"
    app_policy = next(p for p in document["policies"] if p["name"] == "app")
    assert [v["version_id"] for v in app_policy["versions"]] == ["v1", "v2"] and app_policy["default_version"] == "v2"
    alice = next(u for u in document["users"] if u["name"] == "alice")
    assert alice["tags"] == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}] and alice["groups"] == ["devs"]
    assert alice["permissions_boundary"].endswith(":policy/limits/boundary")
    assert document["instance_profiles"][0]["role"] == "app"
    assert "client_secret" not in document["clients"][0] and "client_secret" not in document["upstreams"][0]
    source = tmp_path / "account.json"
    source.write_text(text)

    # An empty database: the same test database, emptied (PostgreSQL) or a fresh copy (SQLite).
    live_server.stop()
    from models import db as database

    with app.app_context():
        database.session.remove()
        database.engine.dispose()
    from idp import create_app

    (tmp_path / "second").mkdir()
    second = create_app({**app_config, "IDP_DATABASE_URL": test_database.fresh(tmp_path / "second")})
    run = second.test_cli_runner().invoke

    dry = run(args=["idp", "import", "--file", str(source), "--dry-run"])
    assert dry.exit_code == 1 and "upstream corp needs its client secret" in dry.output, dry.output
    upstream_secrets = tmp_path / "upstream-secrets.json"
    upstream_secrets.write_text(json.dumps({"corp": UPSTREAM_SECRET}))
    with_secrets = ["--upstream-secrets", str(upstream_secrets)]
    dry = run(args=["idp", "import", "--file", str(source), "--dry-run", *with_secrets])
    assert dry.exit_code == 0, dry.output
    assert f"create  account {account_id}" in dry.stdout and "create  user alice" in dry.stdout
    assert "create  client" in dry.stdout and dry.stdout.rstrip().endswith("dry run: nothing written")
    assert run(args=["idp", "export", "--account", account_id]).output == f"Error: no account {account_id}\n"

    imported = run(args=["idp", "import", "--file", str(source), *with_secrets])
    assert imported.exit_code == 0, imported.output
    assert "new client secret" in imported.stderr and "root access key" in imported.stderr
    assert "secret" not in imported.stdout
    again = run(args=["idp", "import", "--file", str(source), *with_secrets])
    assert again.exit_code == 0 and again.stdout == "no changes\nnothing to change\n", again.output
    assert run(args=["idp", "export", "--account", account_id]).stdout == text, "export -> import -> export is identical"

    # A broken role policy behind valid changes: nothing of the import is written.
    broken = json.loads(text)
    broken["users"].append({"name": "carol"})
    role = next(r for r in broken["roles"] if r["name"] == "app")
    role["inline_policies"]["inline"]["Statement"][0]["Effect"] = "Maybe"
    source.write_text(json.dumps(broken))
    refused = run(args=["idp", "import", "--file", str(source), *with_secrets])
    assert refused.exit_code == 1 and "update  role app (inline_policies)" in refused.stdout
    assert refused.stderr.startswith("Error: update role app: ") and refused.stderr.count("\n") == 1, refused.stderr
    assert run(args=["idp", "export", "--account", account_id]).stdout == text

    # Absent entities stay unless --prune says otherwise.
    pruned = json.loads(text)
    pruned["users"] = [u for u in pruned["users"] if u["name"] != "bob"]
    source.write_text(json.dumps(pruned))
    kept = run(args=["idp", "import", "--file", str(source), *with_secrets])
    assert "keep    user bob (not in the file; --prune deletes it)" in kept.stdout and kept.exit_code == 0
    assert run(args=["idp", "import", "--file", str(source), "--prune", *with_secrets]).exit_code == 0
    assert [u["name"] for u in json.loads(run(args=["idp", "export", "--account", account_id]).stdout)["users"]] \
        == ["alice"]
    with second.app_context():
        database.session.remove()
        database.engine.dispose()


def test_a_malformed_file_is_refused_in_one_line_and_writes_nothing(runner, root, tmp_path):
    before = runner.invoke(args=["idp", "export", "--account", root.account_id]).stdout
    cases = {
        "not json": "is not valid JSON",
        json.dumps({"format": "something-else", "version": 1}): '"format": "idp-account-export", "version": 1',
        json.dumps({"format": "idp-account-export", "version": 1, "account": {"id": root.account_id},
                    "users": [{"name": "dave"}], "roles": [{"name": "r", "trust_policy": "{}"}]}):
            "roles[0] (r).trust_policy must be a policy document (a JSON object)",
        json.dumps({"format": "idp-account-export", "version": 1, "account": {"id": root.account_id},
                    "groups": [{"name": "g", "colour": "red"}]}): "groups[0] (g): unknown field 'colour'",
    }
    source = tmp_path / "bad.json"
    for content, said in cases.items():
        source.write_text(content)
        result = runner.invoke(args=["idp", "import", "--file", str(source)])
        assert result.exit_code == 1 and said in result.output and result.output.count("\n") == 1, result.output
    assert runner.invoke(args=["idp", "export", "--account", root.account_id]).stdout == before
