"""The Principal / NotPrincipal element: parsing and matching as AWS does."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from .context import ACCOUNT_PRINCIPALS, PrincipalType, RequestPrincipal
from .errors import MalformedPolicyDocument

PRINCIPAL_KEYS = ("AWS", "Federated", "Service", "CanonicalUser")

_ACCOUNT_ID = re.compile(r"\d{12}")
_PARTITION = r"arn:aws[a-z-]*"
_ROOT_ARN = re.compile(_PARTITION + r":iam::(\d{12}):root")
_ROLE_ARN = re.compile(_PARTITION + r":iam::\d{12}:role/.+")
_DIRECT_ARN = re.compile(
    _PARTITION + r":(?:iam::\d{12}:user/.+|sts::\d{12}:(?:assumed-role/[^/]+/.+|federated-user/.+))"
)
# Unique ids (AIDA... users, AROA... roles) are what AWS stores in place of
# ARNs; a role id stands for the role, so it grants like a role ARN.
_UNIQUE_ID = re.compile(r"A[A-Z0-9]{15,127}")


class Grant(enum.IntEnum):
    """How specifically a resource-based statement names the caller."""

    NONE = 0
    # The caller's account (12-digit id or :root): the account must delegate
    # through identity-based policies.
    ACCOUNT = 1
    # The caller's role (or the IAM user a federated user acts for): still bounded by the boundary and the
    # session policy.
    ROLE = 2
    # The user, the role session, `*`, a provider or a service: allowed as is.
    DIRECT = 3


@dataclass(frozen=True, slots=True)
class PrincipalSet:
    """Who a statement applies to; `negated` for NotPrincipal."""

    negated: bool
    everyone: bool = False
    accounts: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    direct: frozenset[str] = frozenset()
    federated: frozenset[str] = frozenset()
    services: frozenset[str] = frozenset()
    canonical: frozenset[str] = frozenset()

    def grant(self, principal: RequestPrincipal) -> Grant:
        """How this element names the caller (NONE when it does not apply)."""
        named = self._named(principal)
        if self.negated:
            # NotPrincipal applies to everyone it does not list, like `*`.
            return Grant.DIRECT if named is Grant.NONE else Grant.NONE
        return named

    def _named(self, principal: RequestPrincipal) -> Grant:
        if self.everyone:
            return Grant.DIRECT
        kind = principal.type
        if kind is PrincipalType.SERVICE:
            return Grant.DIRECT if principal.arn in self.services else Grant.NONE
        if kind in (PrincipalType.WEB_IDENTITY_USER, PrincipalType.SAML_USER):
            return Grant.DIRECT if principal.provider in self.federated else Grant.NONE
        if principal.arn in self.direct or principal.user_id in self.canonical:
            return Grant.DIRECT
        unique_id = principal.user_id.split(":", 1)[0]
        if unique_id and unique_id in self.direct:
            return Grant.DIRECT
        if principal.role_arn in self.roles or (unique_id and unique_id in self.roles):
            return Grant.ROLE
        if principal.federating_arn is not None and principal.federating_arn in self.direct:
            return Grant.ROLE
        if kind in ACCOUNT_PRINCIPALS and principal.account in self.accounts:
            return Grant.ACCOUNT
        return Grant.NONE

    def keys(self) -> tuple[str, ...]:
        """Every principal string this element lists (for analyzers)."""
        return tuple(sorted(self.accounts | self.roles | self.direct | self.federated | self.services | self.canonical))


def parse_principal(value: object, negated: bool, path: str) -> PrincipalSet:
    """A Principal/NotPrincipal element -> PrincipalSet, or MalformedPolicyDocument."""
    if value == "*":
        return PrincipalSet(negated, everyone=True)
    if not isinstance(value, dict) or not value:
        raise MalformedPolicyDocument("Invalid principal in policy: expected \"*\" or an object", path)
    buckets: dict[str, set[str]] = {
        name: set() for name in ("accounts", "roles", "direct", "federated", "services", "canonical")
    }
    everyone = False
    for key, entries in value.items():
        if key not in PRINCIPAL_KEYS:
            raise MalformedPolicyDocument(f"Invalid principal in policy: unknown principal type {key!r}", path)
        for position, entry in enumerate(_strings(entries, f"{path}.{key}")):
            where = f"{path}.{key}[{position}]"
            if key == "AWS":
                everyone |= _classify_aws(entry, buckets, where)
            elif "*" in entry or "?" in entry or not entry:
                raise MalformedPolicyDocument(f"Invalid principal in policy: {entry!r}", where)
            else:
                bucket = {"Federated": "federated", "Service": "services", "CanonicalUser": "canonical"}[key]
                buckets[bucket].add(entry)
    return PrincipalSet(negated, everyone, **{name: frozenset(items) for name, items in buckets.items()})


def _classify_aws(entry: str, buckets: dict[str, set[str]], where: str) -> bool:
    if entry == "*":
        return True
    root = _ROOT_ARN.fullmatch(entry)
    if _ACCOUNT_ID.fullmatch(entry) or root:
        buckets["accounts"].add(root.group(1) if root else entry)
    elif "*" in entry or "?" in entry:
        # AWS allows `*` only on its own, never inside a principal.
        raise MalformedPolicyDocument(f"Invalid principal in policy: wildcard in {entry!r}", where)
    elif _ROLE_ARN.fullmatch(entry):
        buckets["roles"].add(entry)
    elif _DIRECT_ARN.fullmatch(entry):
        buckets["direct"].add(entry)
    elif _UNIQUE_ID.fullmatch(entry):
        buckets["roles" if entry.startswith("AROA") else "direct"].add(entry)
    else:
        raise MalformedPolicyDocument(f"Invalid principal in policy: {entry!r}", where)
    return False


def _strings(entries: object, path: str) -> list[str]:
    if isinstance(entries, str):
        return [entries]
    if isinstance(entries, list) and entries and all(isinstance(entry, str) for entry in entries):
        return list(entries)
    raise MalformedPolicyDocument("Invalid principal in policy: expected a string or a list of strings", path)
