"""The README's examples run as written (against a live server instead of port 5000)."""
import os
import re
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
README = (REPO_ROOT / "README.md").read_text()


def readme_blocks(language: str, label: str = "") -> list[str]:
    marker = f"{language} {label}".strip()
    return re.findall(rf"<!-- readme-test: {marker} -->\n```{language}\n(.*?)```", README, re.S)


def test_readme_quick_start_is_two_commands():
    quick_start = README.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^make (\w+)", quick_start, re.M)
    assert commands == ["run", "test"]


def as_run_here(block: str, live_server, app_config) -> str:
    """The README's text with this test's server URL and instance folder."""
    return block.replace("http://127.0.0.1:5000", live_server.url).replace(
        "instance/", str(Path(app_config["IDP_INSTANCE_DIR"])) + "/")


def run_python(block: str, live_server, app_config) -> list[str]:
    """Run one README Python block as a user would; its printed lines."""
    result = subprocess.run([sys.executable, "-c", as_run_here(block, live_server, app_config)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()


def test_readme_python_examples_run_against_the_server(live_server, app_config):
    discovery, iam_example, sts_example, _oidc, _analyzer = readme_blocks("python")
    assert live_server.url in run_python(discovery, live_server, app_config)[0]  # the issuer the server names

    arn, denial = run_python(iam_example, live_server, app_config)
    assert arn.endswith(":user/alice")
    assert denial.startswith(f"User: {arn} is not authorized to perform: iam:ListUsers")

    session_arn, roles = run_python(sts_example, live_server, app_config)
    assert session_arn.startswith("arn:aws:sts::") and session_arn.endswith(":assumed-role/deployer/ci")
    assert int(roles) == 1


def test_readme_oidc_example_signs_in_and_gets_tokens(live_server, app_config, root):
    [create_client] = readme_blocks("sh", "clients")
    env = {**os.environ, **{k: v for k, v in app_config.items() if k.startswith("IDP_") and v is not None}}
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    script = as_run_here(create_client, live_server, app_config).replace(".venv/bin/flask", "flask")
    result = subprocess.run(["bash", "-euc", script], capture_output=True, text=True, timeout=120, env=env,
                            cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr
    oidc_example = readme_blocks("python")[3]
    token_names, subject = run_python(oidc_example, live_server, app_config)
    assert token_names == str(sorted(["access_token", "expires_at", "expires_in", "id_token", "refresh_token",
                                      "scope", "token_type"]))
    assert subject == f"arn:aws:iam::{root.account_id}:root"  # root signed in; an IAM user's sub is its AIDA... id


def test_readme_analyzer_example_reports_the_findings(live_server, app_config):
    lines = run_python(readme_blocks("python")[4], live_server, app_config)
    assert "SECURITY_WARNING PASS_ROLE_WITH_STAR_IN_RESOURCE" in lines
    assert any(line.startswith("ERROR ") for line in lines)  # iam:GetUsr is no IAM action


def test_readme_cli_example_runs_against_the_server(live_server, app_config):
    [script] = readme_blocks("sh")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "IDP_"))}
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    result = subprocess.run(["bash", "-euc", as_run_here(script, live_server, app_config)], capture_output=True,
                            text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    *_, decision, profile = result.stdout.strip().splitlines()
    assert decision == "implicitDeny"
    assert profile.startswith("arn:aws:iam::") and profile.endswith(":instance-profile/web")


def test_readme_api_example_registers_an_api_and_bounds_the_token(live_server, app_config, root):
    [register] = readme_blocks("sh", "apis")
    env = {**os.environ, **{k: v for k, v in app_config.items() if k.startswith("IDP_") and v is not None}}
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    script = as_run_here(register, live_server, app_config).replace(".venv/bin/flask", "flask")
    result = subprocess.run(["bash", "-euc", script], capture_output=True, text=True, timeout=120, env=env,
                            cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr
    [ask] = readme_blocks("python", "apis")
    assert run_python(ask, live_server, app_config) == ["Allow", "Deny", "401"]
