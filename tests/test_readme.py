"""The README's examples run as written (against a live server instead of port 5000)."""
import os
import re
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
README = (REPO_ROOT / "README.md").read_text()


def readme_blocks(language: str) -> list[str]:
    return re.findall(rf"<!-- readme-test: {language} -->\n```{language}\n(.*?)```", README, re.S)


def test_readme_quick_start_is_two_commands():
    quick_start = README.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^make (\w+)", quick_start, re.M)
    assert commands == ["run", "test"]


def as_run_here(block: str, live_server, app_config) -> str:
    """The README's text with this test's server URL and credentials file."""
    credentials = str(Path(app_config["IDP_INSTANCE_DIR"]) / "root-credentials.json")
    return block.replace("http://127.0.0.1:5000", live_server.url).replace("instance/root-credentials.json", credentials)


def test_readme_python_examples_run_against_the_server(live_server, app_config):
    discovery, iam_example = readme_blocks("python")
    result = subprocess.run([sys.executable, "-c", as_run_here(discovery, live_server, app_config)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert live_server.url in result.stdout  # the issuer the server names

    result = subprocess.run([sys.executable, "-c", as_run_here(iam_example, live_server, app_config)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    arn, denial = result.stdout.strip().splitlines()
    assert arn.endswith(":user/alice")
    assert denial.startswith(f"User: {arn} is not authorized to perform: iam:ListUsers")


def test_readme_cli_example_runs_against_the_server(live_server, app_config):
    [script] = readme_blocks("sh")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "IDP_"))}
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    result = subprocess.run(["bash", "-euc", as_run_here(script, live_server, app_config)], capture_output=True,
                            text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "implicitDeny"
