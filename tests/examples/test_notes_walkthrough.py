"""The notes example, end to end: the IdP and the notes server as real servers, the README walkthrough as written."""
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.support.servers import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
README = (REPO_ROOT / "examples" / "notes" / "README.md").read_text()


def walkthrough() -> str:
    """The README's walkthrough blocks, in order, as one script."""
    blocks = re.findall(r"<!-- walkthrough: python -->\n```python\n(.*?)```", README, re.S)
    assert len(blocks) >= 4, "the README has a walkthrough"
    return "\n".join(blocks)


class NotesServer:
    """`python -m examples.notes` in its own process, on a free port."""

    def __init__(self, idp_url: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "examples.notes", "--idp", idp_url, "--port", str(self.port)],
            cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.process.stderr.read().decode()[-2000:])
            try:
                requests.get(f"{self.url}/healthz", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the notes server did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture
def notes_server(live_server):
    server = NotesServer(live_server.url)
    yield server
    server.stop()


def test_the_readme_walkthrough_runs_end_to_end(live_server, notes_server, app_config, root):
    credentials = str(Path(app_config["IDP_INSTANCE_DIR"]) / "root-credentials.json")
    script = (walkthrough().replace("http://127.0.0.1:5000", live_server.url)
              .replace("http://127.0.0.1:5001", notes_server.url)
              .replace("instance/root-credentials.json", credentials))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert [line.split(":", 1)[0] for line in lines] == ["Allow", "Allow", "Deny", "Decoded"]
    session = f"arn:aws:sts::{root.account_id}:assumed-role/notes-editor/alice"
    assert lines[0] == f"Allow: 200 Hello, team! read by {session}"
    assert lines[-1] == "Decoded: True role/notes-editor/read-only"
    assert lines[-2] == (
        f"Deny: User: {session} is not authorized to perform: notes:GetNote "
        "on resource: arn:aws:notes:::notebook/team/note/hello with an explicit deny in an identity-based policy")


def test_unsigned_requests_are_401_and_an_unreachable_idp_fails_closed(notes_server):
    answer = requests.get(f"{notes_server.url}/notebooks/team/notes/hello", timeout=10)
    assert answer.status_code == 401 and answer.json()["error"] == "MissingAuthenticationToken"
    orphan = NotesServer(f"http://127.0.0.1:{free_port()}")
    try:
        answer = requests.get(f"{orphan.url}/notebooks/team/notes/hello", timeout=10)
        assert answer.status_code == 503 and answer.json()["error"] == "AuthorizerUnavailable"
    finally:
        orphan.stop()


def test_a_bearer_token_is_accepted_only_for_the_notes_api_and_within_its_scopes(live_server, notes_server, app,
                                                                                  root, tmp_path):
    """A client_credentials token for `resource=urn:example:notes` (the example's default audience)."""
    import json

    runner = app.test_cli_runner()
    read = tmp_path / "read.json"
    read.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "notes:ListNotes", "Resource": "arn:aws:notes:::notebook/*"}]}))
    made = runner.invoke(args=["idp", "apis", "create", "--identifier", "urn:example:notes", "--name", "Notes",
                               "--scope", f"notes.read={read}"])
    assert made.exit_code == 0, made.output
    made = runner.invoke(args=["idp", "clients", "create", "--json", "--name", "indexer", "--grant-type",
                               "client_credentials", "--scope", "notes.read"])
    assert made.exit_code == 0, made.output
    client = json.loads(made.output)

    def token(**form) -> str:
        answer = requests.post(f"{live_server.url}/oauth2/token", timeout=10,
                               auth=(client["client_id"], client["client_secret"]),
                               data={"grant_type": "client_credentials", "scope": "notes.read", **form})
        assert answer.status_code == 200, answer.text
        return answer.json()["access_token"]

    for_notes = {"Authorization": f"Bearer {token(resource='urn:example:notes')}"}
    listed = requests.get(f"{notes_server.url}/notebooks/team/notes", headers=for_notes, timeout=10)
    # Authorized (the notebook simply does not exist yet); writing is beyond the scope.
    assert listed.status_code == 404
    written = requests.put(f"{notes_server.url}/notebooks/team/notes/n1", data="x", headers=for_notes, timeout=10)
    assert written.status_code == 403 and "no identity-based policy allows" in written.json()["message"]
    no_api = {"Authorization": f"Bearer {token()}"}
    assert requests.get(f"{notes_server.url}/notebooks/team/notes", headers=no_api, timeout=10).status_code == 401
