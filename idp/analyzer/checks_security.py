"""SECURITY_WARNING checks: grants wider than their author likely meant."""
from __future__ import annotations

import re

from idp.analyzer.review import PolicyReview, StatementUnderReview
from idp.policy import Effect, PolicyKind

# Identity providers named in Federated without an `oidc-provider/` ARN, whose claims are keyed by name.
WELL_KNOWN_OIDC = ("cognito-identity.amazonaws.com", "accounts.google.com", "graph.facebook.com", "www.amazon.com")
GITHUB = "token.actions.githubusercontent.com"
_GITHUB_WILD_REPO = re.compile(r"repo:[^/]*[*?]")


def check_not_elements(review: PolicyReview, statement: StatementUnderReview) -> None:
    """ALLOW_WITH_NOT_ACTION / ALLOW_WITH_NOT_RESOURCE / ALLOW_WITH_NOT_PRINCIPAL."""
    if statement.parsed is None or statement.parsed.effect is not Effect.ALLOW:
        return
    sentences = {
        "NotAction": "allows every action except those listed, including actions added to services later",
        "NotResource": "allows every resource except those listed, including resources created later",
        "NotPrincipal": "allows every principal except those listed, anonymous callers included",
    }
    for element, sentence in sentences.items():
        if element in statement.raw:
            code = "ALLOW_WITH_" + re.sub(r"(?<!^)(?=[A-Z])", "_", element).upper()
            review.security_warning(code, f"Allow with {element} {sentence}; list what is allowed instead.",
                                    statement.at(("key", element)))


def check_pass_role(review: PolicyReview, statement: StatementUnderReview) -> None:
    """PASS_ROLE_WITH_STAR_IN_RESOURCE: iam:PassRole on every role lets the caller hand any role to a service."""
    parsed = statement.parsed
    if parsed is None or parsed.effect is not Effect.ALLOW or not parsed.actions.applies("iam:passrole"):
        return
    if parsed.resources is None:
        return
    if parsed.resources.negated:
        stars = [statement.at(("key", "NotResource"))]
    else:
        stars = [path for path, value in statement.element_paths("Resource") if value == "*"]
    if stars:
        review.security_warning(
            "PASS_ROLE_WITH_STAR_IN_RESOURCE",
            "Using the iam:PassRole action with wildcards (*) in the resource can be overly permissive because it "
            "allows iam:PassRole permissions on multiple resources. Name the roles and add an "
            "iam:PassedToService condition.", *stars)


def check_trust_star(review: PolicyReview, statement: StatementUnderReview) -> None:
    """TRUST_POLICY_PRINCIPAL_STAR_WITHOUT_CONDITION: anyone anywhere may assume the role."""
    parsed = statement.parsed
    if review.kind is not PolicyKind.TRUST or parsed is None or parsed.effect is not Effect.ALLOW:
        return
    principals = parsed.principals
    if principals is None or principals.negated or not principals.everyone or parsed.condition is not None:
        return
    review.security_warning(
        "TRUST_POLICY_PRINCIPAL_STAR_WITHOUT_CONDITION",
        "The trust policy allows any principal of any account (Principal \"*\") to assume the role without a "
        "condition. Name the principals, or restrict with a condition such as aws:PrincipalOrgID.",
        statement.at(("value", "Principal")))


def oidc_key_prefix(provider: str) -> str | None:
    """The condition-key prefix of an OIDC provider named in Federated (`host/path` of its ARN)."""
    if ":oidc-provider/" in provider:
        return provider.split(":oidc-provider/", 1)[1]
    return provider if provider in WELL_KNOWN_OIDC else None


def check_web_identity(review: PolicyReview, statement: StatementUnderReview) -> None:
    """WEB_IDENTITY_TRUST_MISSING_AUD and WEB_IDENTITY_TRUST_WILDCARD_SUB."""
    parsed = statement.parsed
    if parsed is None or parsed.effect is not Effect.ALLOW or parsed.principals is None:
        return
    if not parsed.actions.applies("sts:assumerolewithwebidentity") or parsed.principals.negated:
        return
    clauses = parsed.condition.clauses if parsed.condition is not None else ()
    where = statement.at(("value", "Principal"), ("value", "Federated"))
    for provider in sorted(parsed.principals.federated):
        prefix = oidc_key_prefix(provider)
        if prefix is None:
            continue
        positive = [c for c in clauses if c.base is not None and not c.base.negated]
        audiences = [c for c in positive if c.key.lower() == f"{prefix}:aud".lower()]
        if not audiences:
            review.security_warning(
                "WEB_IDENTITY_TRUST_MISSING_AUD",
                f"The trust policy lets tokens of {prefix} assume the role without a condition on {prefix}:aud, so "
                f"a token issued to any client of that provider is accepted. Add StringEquals {prefix}:aud.", where)
        subjects = [c for c in positive if c.key.lower() == f"{prefix}:sub".lower()]
        wild = [c for c in subjects if c.base.name.startswith("StringLike") and any(
            _wild_subject(prefix, str(value)) for value in c.values)]
        if wild:
            paths = [statement.at(("value", "Condition"), ("value", c.operator), ("value", c.key)) for c in wild]
            review.security_warning(
                "WEB_IDENTITY_TRUST_WILDCARD_SUB",
                f"The condition on {prefix}:sub uses a wildcard that matches subjects of every owner (for GitHub "
                "Actions, every repository); name the subject, e.g. repo:ORG/REPO:ref:refs/heads/main.", *paths)
        elif not subjects and prefix == GITHUB:
            review.security_warning(
                "WEB_IDENTITY_TRUST_WILDCARD_SUB",
                f"The trust policy has no condition on {prefix}:sub, so a workflow of any GitHub repository can "
                "assume the role. Add StringEquals/StringLike on the sub claim naming your repository.", where)


def _wild_subject(prefix: str, value: str) -> bool:
    if value.startswith(("*", "?")):
        return True
    return prefix == GITHUB and _GITHUB_WILD_REPO.match(value) is not None
