"""The README's examples run as written (against a live server instead of port 5000)."""
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


def test_readme_python_examples_run_against_the_server(live_server):
    blocks = readme_blocks("python")
    assert blocks, "the README has tested Python examples"
    for block in blocks:
        code = block.replace("http://127.0.0.1:5000", live_server.url)
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert live_server.url in result.stdout  # the issuer the server names
