"""External access: for each role trust policy and registered resource policy, who outside the account gets in.

Pure analysis over parsed policies (the engine's Policy objects): principals
of other accounts, federated identity providers, and the public (`*` or
NotPrincipal that a condition does not pin to the owner's account). Each
`ExternalAccess` names the statement that grants it and its conditions.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from idp.analyzer import witnesses
from idp.policy import (
    Effect,
    Policy,
    PrincipalType,
    RequestContext,
    RequestPrincipal,
    Statement,
)
from idp.policy.variables import Template

ROLE_TYPE = "AWS::IAM::Role"


@dataclass(frozen=True)
class ExternalAccess:
    """One principal outside the owner's account that a statement lets reach a resource."""

    resource: str
    resource_type: str
    owner: str
    principal: dict[str, str]
    actions: tuple[str, ...]
    condition: dict[str, str]
    is_public: bool
    statement_index: int
    statement_id: str | None

    @property
    def fingerprint(self) -> str:
        """Stable identity of this access across rescans (statement order does not matter)."""
        key = [self.resource, self.principal, sorted(self.actions), self.condition]
        return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()

    def fill(self, finding) -> None:
        """Copy into a stored AnalyzerFinding."""
        finding.finding_type, finding.resource, finding.resource_type = "ExternalAccess", self.resource, \
            self.resource_type
        finding.resource_owner_account, finding.principal = self.owner, self.principal
        finding.action, finding.condition, finding.is_public = list(self.actions), self.condition, self.is_public
        finding.statement_index, finding.statement_id = self.statement_index, self.statement_id


def condition_map(statement: Statement) -> dict[str, str]:
    """Access Analyzer's ConditionKeyMap: each condition key and its values (comma-separated)."""
    found: dict[str, str] = {}
    for clause in statement.condition.clauses if statement.condition is not None else ():
        values = ",".join(v.source if isinstance(v, Template) else str(v) for v in clause.values)
        found[clause.key] = values if clause.key not in found else f"{found[clause.key]},{values}"
    return found


def external_access(policy: Policy, resource: str, resource_type: str, owner: str) -> list[ExternalAccess]:
    """Every external principal each Allow statement of a resource-based policy lets in."""
    found: list[ExternalAccess] = []
    for statement in policy.statements:
        if statement.effect is not Effect.ALLOW or statement.principals is None:
            continue
        for principal, public in _outsiders(statement, resource, owner):
            found.append(ExternalAccess(resource, resource_type, owner, principal, statement.actions.patterns,
                                        condition_map(statement), public, statement.index, statement.sid))
    return found


def _outsiders(statement: Statement, resource: str, owner: str) -> list[tuple[dict[str, str], bool]]:
    named = statement.principals
    if named.negated or named.everyone:
        return [({"AWS": "*"}, True)] if _stranger_allowed(statement, resource, owner) else []
    outsiders: list[tuple[dict[str, str], bool]] = []
    outsiders.extend(({"AWS": account}, False) for account in sorted(named.accounts) if account != owner)
    for arn in sorted(named.roles | named.direct):
        parts = arn.split(":")
        if len(parts) > 4 and parts[4] != owner:
            outsiders.append(({"AWS": arn}, False))
    outsiders.extend(({"Federated": provider}, False) for provider in sorted(named.federated))
    return outsiders


def _stranger_allowed(statement: Statement, resource: str, owner: str) -> bool:
    """Whether a caller from an account the policy never names passes the statement's conditions.

    Keys that identify the caller keep the stranger's own values; every other
    key may take whatever value satisfies the condition.
    """
    if statement.condition is None:
        return True
    context = witnesses.satisfying_context(statement, free_only=True)
    stranger = RequestPrincipal.of(f"arn:aws:iam::{witnesses.STRANGER_ACCOUNT}:user/{witnesses.WITNESS}",
                                   witnesses.STRANGER_ACCOUNT, PrincipalType.USER)
    request = RequestContext(stranger, "sts:AssumeRole", resource, context, owner)
    return statement.condition.holds(request.keys)
