"""Account export and import (docs/export-format.md): one account's configuration as one JSON document.

`export_account(account_id)` gives the document (no secret of any kind); `plan_import(document)` checks a
document and compares it with the database, giving the `Plan` (create / update / delete per entity);
`apply(plan)` makes the changes through the IAM, OIDC and federation services, inside the caller's one
unit of work: an error anywhere leaves nothing written. `apply(plan, dry_run=True)` makes them inside a
savepoint and rolls it back, so a dry run is refused exactly where the real import would be.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from idp.authz.policy_store import bump_authz_version
from idp.errors import IdpError, ValidationError
from idp.portability import iam_apply, oidc_apply
from idp.portability.document import FORMAT, VERSION, dumps
from idp.portability.plan import Change, Plan, plan_import
from idp.portability.snapshot import export_account
from models import db

__all__ = ["FORMAT", "VERSION", "Plan", "apply", "dumps", "export_account", "plan_import", "read_json"]

_IAM = {"policy": iam_apply.policy, "group": iam_apply.group, "user": iam_apply.user, "role": iam_apply.role,
        "instance-profile": iam_apply.instance_profile, "oidc-provider": iam_apply.oidc_provider}


def read_json(path: str | Path, what: str) -> Any:
    """A JSON file's content; ValidationError (one line) when it cannot be read or parsed."""
    try:
        return json.loads(Path(path).read_text())
    except OSError as error:
        raise ValidationError(f"cannot read the {what} {path}: {error.strerror}") from None
    except ValueError as error:
        raise ValidationError(f"the {what} {path} is not valid JSON: {error}") from None


def apply(plan: Plan, *, dry_run: bool = False) -> list[str]:
    """Make the plan's changes; the notices to show once (new root credentials, new client secrets)."""
    if not dry_run:
        return _changed(plan)
    savepoint = db.session.begin_nested()
    try:
        _changed(plan)
    finally:
        savepoint.rollback()
    return []


def _changed(plan: Plan) -> list[str]:
    notices: list[str] = []
    if plan.account is not None:
        notices += _named(plan.account, lambda: iam_apply.account(plan.account))
    for change in plan.changes:
        notices += _named(change, lambda: _one(plan, change))
    if not plan.empty:
        bump_authz_version(plan.account_id)  # every instance re-reads the account's policies
    return notices


def _one(plan: Plan, change: Change) -> list[str]:
    word, account_id = change.section.word, plan.account_id
    if change.action == "delete":
        (iam_apply.delete(account_id, change) if word in _IAM else oidc_apply.delete(change))
        return []
    if word in _IAM:
        _IAM[word](account_id, change)
        return []
    if word == "client":
        return oidc_apply.client(account_id, change)
    if word == "api":
        oidc_apply.api(account_id, change)
    else:
        oidc_apply.upstream(account_id, change, plan.upstream_secrets)
    return []


def _named(change: Change, step) -> list[str]:
    """Run one change; a refusal says which entity of the file it concerns."""
    try:
        return step() or []
    except IdpError as error:
        message = getattr(error, "message", "") or str(error)
        raise ValidationError(f"{change.action} {change.section.word} {change.name}: {message}") from error
