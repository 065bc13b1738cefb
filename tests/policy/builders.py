"""Small constructors for policies, principals and requests used across the policy tests."""

from __future__ import annotations

from typing import Any

from idp.policy import PolicyKind, PolicySet, RequestContext, RequestPrincipal, parse_policy

A = "111111111111"
B = "222222222222"


def user(name: str = "alice", account: str = A, **extra: Any) -> RequestPrincipal:
    """An IAM user principal."""
    extra.setdefault("user_id", f"AIDA{name.upper():0<16}")
    return RequestPrincipal.of(f"arn:aws:iam::{account}:user/{name}", account, "User", **extra)


def session(role: str = "Admin", name: str = "s1", account: str = A, **extra: Any) -> RequestPrincipal:
    """An assumed-role session of `role`."""
    return RequestPrincipal.of(
        f"arn:aws:sts::{account}:assumed-role/{role}/{name}",
        account,
        "AssumedRole",
        role_arn=f"arn:aws:iam::{account}:role/{role}",
        user_id=f"AROA{role.upper():0<16}:{name}",
        **extra,
    )


def root(account: str = A) -> RequestPrincipal:
    """The account root user."""
    return RequestPrincipal.of(f"arn:aws:iam::{account}:root", account, "Account")


def web_identity(provider: str = "accounts.google.com") -> RequestPrincipal:
    """An unauthenticated web-identity caller of AssumeRoleWithWebIdentity."""
    return RequestPrincipal.of("", "", "WebIdentityUser", provider=provider)


def statement(effect: str = "Allow", action: Any = "*", resource: Any = "*", **elements: Any) -> dict[str, Any]:
    """A statement dict; extra elements (Condition, Principal, Sid...) by keyword."""
    body: dict[str, Any] = {"Effect": effect}
    body["NotAction" if elements.pop("not_action", False) else "Action"] = action
    if resource is not None:
        body["NotResource" if elements.pop("not_resource", False) else "Resource"] = resource
    body.update(elements)
    return body


def policy(*statements: dict[str, Any], kind: PolicyKind = PolicyKind.MANAGED, id: str = "P", version: str | None = "2012-10-17"):  # noqa: A002
    """Parse a policy made of `statements`."""
    document: dict[str, Any] = {"Statement": list(statements)}
    if version:
        document["Version"] = version
    return parse_policy(document, kind, id)


def resource_policy(*statements: dict[str, Any], id: str = "R"):  # noqa: A002
    """Parse a resource-based policy."""
    return policy(*statements, kind=PolicyKind.RESOURCE, id=id)


def request(
    principal: RequestPrincipal,
    action: str,
    resource: str = "*",
    context: dict[str, Any] | None = None,
    resource_account: str = "",
) -> RequestContext:
    """A request of `principal` for `action` on `resource` with context keys."""
    return RequestContext(principal, action, resource, context or {}, resource_account)


def identity_only(*statements: dict[str, Any]) -> PolicySet:
    """A PolicySet holding one identity policy."""
    return PolicySet(identity=[policy(*statements)])


def decide(statements: list[dict[str, Any]], req: RequestContext):  # type: ignore[no-untyped-def]
    """Evaluate `req` against one identity policy of `statements`."""
    from idp.policy import evaluate

    return evaluate(req, identity_only(*statements))
