"""The request being authorized: who, what action, which resource, which keys."""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

ContextValue = str | tuple[str, ...]


class PrincipalType(str, enum.Enum):
    """The kind of caller, spelled as aws:PrincipalType spells it."""

    USER = "User"
    ASSUMED_ROLE = "AssumedRole"
    FEDERATED_USER = "FederatedUser"
    ACCOUNT = "Account"
    WEB_IDENTITY_USER = "WebIdentityUser"
    SAML_USER = "SAMLUser"
    SERVICE = "Service"
    ANONYMOUS = "Anonymous"


# Callers that live in an AWS account and so carry identity-based policies.
ACCOUNT_PRINCIPALS = frozenset(
    {PrincipalType.USER, PrincipalType.ASSUMED_ROLE, PrincipalType.FEDERATED_USER, PrincipalType.ACCOUNT}
)


def context_value(value: object) -> ContextValue:
    """A request value as the engine compares it: text, or a tuple of texts."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(_scalar_text(item) for item in value)
    return _scalar_text(value)


def _scalar_text(value: object) -> str:
    # JSON booleans compare as the strings AWS puts in the request context.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class ContextKeys(Mapping[str, ContextValue]):
    """Condition keys of a request; key names are case-insensitive as at AWS."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, object] | None = None) -> None:
        self._values: dict[str, ContextValue] = {
            key.lower(): context_value(value) for key, value in (values or {}).items()
        }

    def __getitem__(self, key: str) -> ContextValue:
        return self._values[key.lower()]

    def get_lower(self, key: str) -> ContextValue | None:
        """Lookup with a key already lowercased (the evaluation hot path)."""
        return self._values.get(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __hash__(self) -> int:
        return hash(frozenset(self._values.items()))

    def __repr__(self) -> str:
        return f"ContextKeys({self._values!r})"


@dataclass(frozen=True, slots=True)
class RequestPrincipal:
    """The authenticated caller, as the authorizer resolved it."""

    arn: str
    account: str
    type: PrincipalType
    user_id: str = ""
    tags: tuple[tuple[str, str], ...] = ()
    # For a role session: the role's ARN (with its path), which a Principal
    # element naming the role matches.
    role_arn: str | None = None
    # For web identity and SAML callers: the provider named in `Federated`.
    provider: str | None = None
    username: str | None = None
    # For a federated user (GetFederationToken): the IAM user whose keys made the session. A Principal element
    # naming that user lets the session in as a role ARN does: still bounded by the session policy.
    federating_arn: str | None = None

    @classmethod
    def of(cls, arn: str, account: str, type: PrincipalType | str, **extra: object) -> RequestPrincipal:
        """A principal with tags given as a mapping (the convenient spelling)."""
        tags = extra.pop("tags", None) or {}
        pairs = tuple(sorted(dict(tags).items())) if isinstance(tags, Mapping) else tuple(tags)  # type: ignore[arg-type]
        return cls(arn, account, PrincipalType(type), tags=pairs, **extra)  # type: ignore[arg-type]

    def derived_keys(self) -> dict[str, ContextValue]:
        """Global condition keys AWS fills in from the principal."""
        keys: dict[str, ContextValue] = {
            "aws:principalaccount": self.account,
            "aws:principaltype": self.type.value,
            "aws:principalarn": self.role_arn if self.role_arn else self.arn,
        }
        if self.user_id:
            keys["aws:userid"] = self.user_id
        if self.type is PrincipalType.USER:
            keys["aws:username"] = self.username or self.arn.rsplit("/", 1)[-1]
        for key, value in self.tags:
            keys[f"aws:principaltag/{key.lower()}"] = value
        return keys


@dataclass(frozen=True, slots=True)
class RequestContext:
    """One authorization question; built once per request by the authorizer."""

    principal: RequestPrincipal
    action: str
    resource: str = "*"
    context: Mapping[str, object] = field(default_factory=dict)
    # Empty means: the account segment of the resource ARN, or the caller's
    # own account when the ARN has none (S3 buckets).
    resource_account: str = ""
    keys: ContextKeys = field(init=False, repr=False, compare=False)
    action_lower: str = field(init=False, repr=False, compare=False)
    service: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys = ContextKeys(self.context)
        for key, value in self.principal.derived_keys().items():
            # What the caller put in the context wins over what we derive.
            keys._values.setdefault(key, value)
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "context", keys)
        action_lower = self.action.lower()
        object.__setattr__(self, "action_lower", action_lower)
        object.__setattr__(self, "service", action_lower.split(":", 1)[0])
        if not self.resource_account:
            object.__setattr__(self, "resource_account", _resource_account(self.resource, self.principal.account))

    def with_action(self, action: str) -> RequestContext:
        """The same request for another action (trust checks of sts:TagSession)."""
        return RequestContext(self.principal, action, self.resource, self.keys, self.resource_account)

    @property
    def is_cross_account(self) -> bool:
        """True when the caller's account does not own the resource."""
        return self.principal.account != self.resource_account


def _resource_account(resource: str, fallback: str) -> str:
    parts = resource.split(":", 5)
    # `aws` owns AWS-managed policies, which every account may read and attach:
    # they are not another account's resources.
    if len(parts) == 6 and parts[4] and parts[4] != "aws":
        return parts[4]
    return fallback
