"""The notes server's HTTP API; every view is guarded by the IdP's authorizer over `POST /authorize`.

Resources: `arn:aws:notes:::notebook/NAME` and `arn:aws:notes:::notebook/NAME/note/ID`.
Actions: notes:CreateNotebook, notes:GetNotebookPolicy, notes:PutNotebookPolicy,
notes:ListNotes, notes:GetNote, notes:PutNote, notes:DeleteNote. Each request is
authorized before the server looks anything up, as AWS does, so a caller
learns whether a notebook exists only if it may act on it.
"""
from __future__ import annotations

from flask import Flask, g, jsonify, request

from examples.notes.store import NotesStore
from idp.authz.decorator import RemoteAuthorizer


def notebook_arn(notebook: str, **_: str) -> str:
    """The ARN of a notebook."""
    return f"arn:aws:notes:::notebook/{notebook}"


def note_arn(notebook: str, note: str, **_: str) -> str:
    """The ARN of a note."""
    return f"arn:aws:notes:::notebook/{notebook}/note/{note}"


def _missing(what: str):
    return jsonify(error="NotFound", message=f"{what} does not exist."), 404


API_IDENTIFIER = "urn:example:notes"


def create_app(idp_url: str, *, authorizer: RemoteAuthorizer | None = None, audience: str = API_IDENTIFIER) -> Flask:
    """A notes server that asks the IdP at `idp_url` to authorize every request.

    `audience` is the identifier the notes API is registered under (`idp apis create --identifier`): bearer
    tokens are accepted only when issued for it (`resource=` at the IdP), and only within their scopes.
    """
    app = Flask(__name__)
    store = NotesStore()
    authz = authorizer or RemoteAuthorizer(idp_url)
    app.extensions["notes.store"] = store

    def policy_of(notebook: str, **_: str) -> dict | None:
        return store.policy(notebook)

    def caller() -> str:
        return g.authorization.principal.get("arn", "")

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.post("/notebooks/<notebook>")
    @authz.require("notes:CreateNotebook", resource=notebook_arn, audience=audience)
    def create_notebook(notebook: str):
        if not store.create(notebook):
            return jsonify(error="Conflict", message=f"Notebook {notebook} already exists."), 409
        return jsonify(notebook=notebook, created_by=caller()), 201

    @app.get("/notebooks/<notebook>/policy")
    @authz.require("notes:GetNotebookPolicy", resource=notebook_arn, resource_policy=policy_of, audience=audience)
    def get_policy(notebook: str):
        if store.get(notebook) is None:
            return _missing(f"Notebook {notebook}")
        return jsonify(policy=store.policy(notebook))

    @app.put("/notebooks/<notebook>/policy")
    @authz.require("notes:PutNotebookPolicy", resource=notebook_arn, resource_policy=policy_of, audience=audience)
    def put_policy(notebook: str):
        if store.get(notebook) is None:
            return _missing(f"Notebook {notebook}")
        policy = request.get_json(force=True, silent=True)
        if not isinstance(policy, dict) or not isinstance(policy.get("Statement"), (list, dict)):
            return jsonify(error="MalformedPolicyDocument", message="The policy must be a JSON object with a Statement."), 400
        store.set_policy(notebook, policy)
        return jsonify(notebook=notebook, policy=policy)

    @app.get("/notebooks/<notebook>/notes")
    @authz.require("notes:ListNotes", resource=notebook_arn, resource_policy=policy_of, audience=audience)
    def list_notes(notebook: str):
        found = store.get(notebook)
        if found is None:
            return _missing(f"Notebook {notebook}")
        return jsonify(notes=sorted(found.notes))

    @app.get("/notebooks/<notebook>/notes/<note>")
    @authz.require("notes:GetNote", resource=note_arn, resource_policy=policy_of, audience=audience)
    def get_note(notebook: str, note: str):
        found = store.get(notebook)
        if found is None or note not in found.notes:
            return _missing(f"Note {notebook}/{note}")
        return jsonify(note=note, text=found.notes[note], read_by=caller())

    @app.put("/notebooks/<notebook>/notes/<note>")
    @authz.require("notes:PutNote", resource=note_arn, resource_policy=policy_of, audience=audience)
    def put_note(notebook: str, note: str):
        if store.get(notebook) is None:
            return _missing(f"Notebook {notebook}")
        store.put_note(notebook, note, request.get_data(as_text=True))
        return jsonify(note=note, written_by=caller())

    @app.delete("/notebooks/<notebook>/notes/<note>")
    @authz.require("notes:DeleteNote", resource=note_arn, resource_policy=policy_of, audience=audience)
    def delete_note(notebook: str, note: str):
        if store.get(notebook) is None or not store.delete_note(notebook, note):
            return _missing(f"Note {notebook}/{note}")
        return "", 204

    return app
