"""The plan of an import: what it creates, updates and deletes, one line per entity, before anything is written."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from idp.portability import document as doc
from idp.portability import snapshot


@dataclass(frozen=True)
class Change:
    """One entity the import touches: `action` is create, update, delete or keep (absent, not pruned)."""

    action: str
    section: doc.Section
    name: str
    wanted: dict | None = None
    fields: tuple[str, ...] = ()

    def line(self) -> str:
        """The plan line: `create  user alice`, `update  role app (tags, trust_policy)`."""
        said = f"{self.action:<7} {self.section.word} {self.name}"
        if self.fields:
            said += f" ({', '.join(self.fields)})"
        if self.action == "keep":
            said += " (not in the file; --prune deletes it)"
        return said


@dataclass
class Plan:
    """Every change an import makes to one account, in the order it makes them."""

    account_id: str
    account: Change | None
    changes: list[Change] = field(default_factory=list)
    kept: list[Change] = field(default_factory=list)
    upstream_secrets: Mapping[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """Whether applying the plan changes nothing."""
        return self.account is None and not self.changes

    def lines(self) -> list[str]:
        """The plan as printed: the account, then each change, then what stays without --prune."""
        shown = ([self.account] if self.account else []) + self.changes + self.kept
        return [change.line() for change in shown] or ["no changes"]


def _differing(have: dict, want: dict) -> tuple[str, ...]:
    return tuple(sorted(name for name in want if have.get(name) != want[name]))


def plan_import(document: Any, *, prune: bool = False, upstream_secrets: Mapping[str, str] | None = None) -> Plan:
    """Compare a file's document with the database: ValidationError for a malformed file, else the plan."""
    wanted = doc.canonical(document)
    account_id = wanted["account"]["id"]
    have = snapshot.current(account_id)
    account = None
    if have["account"] is None:
        account = Change("create", doc.ACCOUNT, account_id, wanted["account"])
    elif fields := _differing(have["account"], wanted["account"]):
        account = Change("update", doc.ACCOUNT, account_id, wanted["account"], fields)
    plan = Plan(account_id, account, upstream_secrets=dict(upstream_secrets or {}))
    for section in doc.SECTIONS:
        present, desired = have[section.key], wanted[section.key]
        for name, entry in desired.items():
            if name not in present:
                plan.changes.append(Change("create", section, name, entry))
            elif fields := _differing(present[name], entry):
                plan.changes.append(Change("update", section, name, entry, fields))
    # Deleting runs last and in reverse order: an entity is let go of before what it refers to.
    for section in reversed(doc.SECTIONS):
        for name in sorted(set(have[section.key]) - set(wanted[section.key])):
            (plan.changes if prune else plan.kept).append(Change("delete" if prune else "keep", section, name))
    return plan
