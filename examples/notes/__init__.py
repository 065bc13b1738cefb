"""An example resource server: a small notes store whose every request is decided by the IdP.

Run it beside the IdP: `python -m examples.notes --idp http://127.0.0.1:5000 --port 5001`.
See README.md in this directory for a walkthrough.
"""
from examples.notes.app import create_app

__all__ = ["create_app"]
