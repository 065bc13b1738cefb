"""`flask --app app idp analyze ...`: output and exit codes for CI pipelines."""
import json
import os
import subprocess
import sys

import pytest

from tests.support.servers import REPO_ROOT

GOOD = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}
MISSPELLED = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUsr", "Resource": "*"}]}
WIDER = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}]}
PUBLIC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "notes:GetNote",
                                                  "Resource": "arn:aws:notes:::notebook/team/*"}]}
TRUST_STAR = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]}


@pytest.fixture
def policy_file(tmp_path):
    def write(name: str, document) -> str:
        path = tmp_path / name
        path.write_text(json.dumps(document, indent=2) if not isinstance(document, str) else document)
        return str(path)

    return write


def analyze(runner, *args):
    return runner.invoke(args=["idp", "analyze", *args])


def test_validate_passes_a_clean_policy(runner, policy_file):
    result = analyze(runner, "validate", policy_file("good.json", GOOD))
    assert (result.exit_code, result.output) == (0, "No findings.\n")


def test_validate_fails_on_errors_and_says_where(runner, policy_file):
    result = analyze(runner, "validate", policy_file("bad.json", MISSPELLED))
    assert result.exit_code == 1
    assert result.output == ("ERROR INVALID_ACTION at line 6 column 17 (Statement[0].Action): "
                             "The action iam:GetUsr does not exist. Did you mean iam:GetUser?\n")


def test_validate_json_is_the_api_shape(runner, policy_file):
    result = analyze(runner, "validate", "--json", policy_file("bad.json", MISSPELLED))
    findings = json.loads(result.output)["findings"]
    assert [f["issueCode"] for f in findings] == ["INVALID_ACTION"]
    assert findings[0]["locations"][0]["span"]["start"] == {"line": 6, "column": 16, "offset": 93}


def test_validate_a_trust_policy_and_fail_on_security_warnings(runner, policy_file):
    path = policy_file("trust.json", TRUST_STAR)
    lenient = analyze(runner, "validate", "--type", "RESOURCE_POLICY",
                      "--resource-type", "AWS::IAM::AssumeRolePolicyDocument", path)
    strict = analyze(runner, "validate", "--type", "RESOURCE_POLICY",
                     "--resource-type", "AWS::IAM::AssumeRolePolicyDocument", "--fail-on", "SECURITY_WARNING", path)
    assert lenient.exit_code == 0
    assert "SECURITY_WARNING TRUST_POLICY_PRINCIPAL_STAR_WITHOUT_CONDITION" in lenient.output
    assert strict.exit_code == 1


def test_check_no_new_access_exit_codes(runner, policy_file):
    old, new = policy_file("old.json", GOOD), policy_file("new.json", WIDER)
    widened = analyze(runner, "check-no-new-access", old, new)
    narrowed = analyze(runner, "check-no-new-access", new, old)
    assert widened.exit_code == 1
    assert widened.output.startswith("FAIL: The modified permissions grant new access")
    assert "Statement Statement[0] grants iam:Get" in widened.output
    assert (narrowed.exit_code, narrowed.output.split(":")[0]) == (0, "PASS")


def test_check_access_not_granted(runner, policy_file):
    path = policy_file("wider.json", WIDER)
    assert analyze(runner, "check-access-not-granted", path, "--action", "iam:GetRole").exit_code == 1
    assert analyze(runner, "check-access-not-granted", path, "--action", "iam:DeleteRole").exit_code == 0
    assert analyze(runner, "check-access-not-granted", path).exit_code == 2  # usage: nothing to check


def test_check_no_public_access(runner, policy_file):
    result = analyze(runner, "check-no-public-access", "--json", policy_file("public.json", PUBLIC))
    assert result.exit_code == 1
    assert json.loads(result.output)["result"] == "FAIL"


def test_a_malformed_document_is_one_error_line(runner, policy_file):
    result = analyze(runner, "check-no-public-access", policy_file("broken.json", "{"))
    assert result.exit_code == 1
    assert result.output.startswith("Error: The policy document is invalid: Syntax errors in policy")


def test_the_real_flask_command_in_a_pipeline(tmp_path, policy_file):
    """What a CI job runs: the installed `flask` entry point, its exit code and output."""
    env = {**os.environ, "IDP_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "IDP_INSTANCE_DIR": str(tmp_path),
           "IDP_KEYS_DIR": str(tmp_path / "keys"), "IDP_MASTER_KEY": "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s="}
    flask = [sys.executable, "-m", "flask", "--app", "app", "idp", "analyze"]
    bad = subprocess.run([*flask, "validate", policy_file("bad.json", MISSPELLED)], cwd=REPO_ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    good = subprocess.run([*flask, "check-no-new-access", policy_file("a.json", WIDER), policy_file("b.json", GOOD)],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert (bad.returncode, "INVALID_ACTION" in bad.stdout) == (1, True)
    assert (good.returncode, good.stdout.split(":")[0]) == (0, "PASS")
