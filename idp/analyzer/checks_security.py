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
    """ALLOW_WITH_NOT_PRINCIPAL (AWS's); ALLOW_WITH_NOT_ACTION / ALLOW_WITH_NOT_RESOURCE (this product's)."""
    if statement.parsed is None or statement.parsed.effect is not Effect.ALLOW:
        return
    sentences = {
        "NotAction": "Using Allow with NotAction allows every action except those listed, including actions added "
                     "to services later. We recommend that you use Action instead.",
        "NotResource": "Using Allow with NotResource allows every resource except those listed, including resources "
                       "created later. We recommend that you use Resource instead.",
        "NotPrincipal": "Using Allow with NotPrincipal can be overly permissive. We recommend that you use Principal "
                        "instead.",
    }
    for element, sentence in sentences.items():
        if element in statement.raw:
            code = "ALLOW_WITH_" + re.sub(r"(?<!^)(?=[A-Z])", "_", element).upper()
            review.report(code, sentence, statement.at(("key", element)))


_PASS = ("can be overly permissive because it allows iam:PassRole permissions", " We recommend that you specify "
         "resource ARNs or add the iam:PassedToService condition key to your statement.")
_PASS_NOT = "can be overly permissive because it can allow iam:PassRole permissions on multiple resources."
_SLR = "can allow creation of unintended service-linked roles"
_SLR_ALL = f"{_SLR} because it allows iam:CreateServiceLinkedRole permissions on all resources."
_INSTEAD = " We recommend that you specify resource ARNs instead."
# AWS's findingDetails for iam:PassRole (SECURITY_WARNING) and iam:CreateServiceLinkedRole (WARNING) granted on
# every role, by how the action is named (the action, a wildcard, NotAction) and the resource (a "*", NotResource).
_GRANTS: dict[tuple[str, str, bool], str] = {
    ("iam:passrole", "named", False): f"Using the iam:PassRole action with wildcards (*) in the resource {_PASS[0]} "
                                      f"on multiple resources.{_PASS[1]}",
    ("iam:passrole", "star", False): f"Using wildcards (*) in the action and the resource {_PASS[0]} on all "
                                     f"resources.{_PASS[1]}",
    ("iam:passrole", "not", False): f"Using a resource with wildcards (*) and NotAction {_PASS[0]} on all "
                                    f"resources.{_PASS[1]}",
    ("iam:passrole", "named", True): f"Using the iam:PassRole action with NotResource {_PASS_NOT}{_INSTEAD}",
    ("iam:passrole", "star", True): f"Using an action with a wildcard (*) and NotResource {_PASS_NOT}{_INSTEAD}",
    ("iam:passrole", "not", True): f"Using NotAction with NotResource {_PASS_NOT}{_INSTEAD}",
    ("iam:createservicelinkedrole", "named", False): "Using the iam:CreateServiceLinkedRole action with wildcards "
                                                     f"(*) in the resource {_SLR}.{_INSTEAD}",
    ("iam:createservicelinkedrole", "star", False): f"Using wildcards (*) in the action and the resource {_SLR_ALL}"
                                                    f"{_INSTEAD}",
    ("iam:createservicelinkedrole", "not", False): f"Using a resource with wildcards (*) and NotAction {_SLR_ALL}"
                                                   f"{_INSTEAD}",
    ("iam:createservicelinkedrole", "named", True): "Using the iam:CreateServiceLinkedRole action with NotResource "
                                                    f"{_SLR} for multiple resources.{_INSTEAD}",
    ("iam:createservicelinkedrole", "star", True): f"Using an action with a wildcard(*) and NotResource {_SLR} because "
                                                   "it can allow iam:CreateServiceLinkedRole permissions on multiple "
                                                   f"resources.{_INSTEAD}",
    ("iam:createservicelinkedrole", "not", True): f"Using NotAction with NotResource {_SLR} because it allows "
                                                  "iam:CreateServiceLinkedRole permissions on multiple resources."
                                                  f"{_INSTEAD}",
}
_CODES = {("named", False): "WITH_STAR_IN_RESOURCE", ("star", False): "WITH_STAR_IN_ACTION_AND_RESOURCE",
          ("not", False): "WITH_STAR_IN_RESOURCE_AND_NOT_ACTION", ("named", True): "WITH_NOT_RESOURCE",
          ("star", True): "WITH_STAR_IN_ACTION_AND_NOT_RESOURCE", ("not", True): "WITH_NOT_ACTION_AND_NOT_RESOURCE"}
_STEMS = {"iam:passrole": "PASS_ROLE", "iam:createservicelinkedrole": "CREATE_SLR"}
_ALL_ROLES = re.compile(r"\*|arn:[^:]*:iam::[^:]*:(\*|role/\*)")


def check_pass_role(review: PolicyReview, statement: StatementUnderReview) -> None:
    """PASS_ROLE_WITH_* and CREATE_SLR_WITH_*: the action allowed on every role (Resource "*" or NotResource)."""
    parsed = statement.parsed
    if parsed is None or parsed.effect is not Effect.ALLOW or parsed.resources is None:
        return
    negated = parsed.resources.negated
    if negated:
        stars = [statement.at(("key", "NotResource"))]
    else:
        stars = [path for path, value in statement.element_paths("Resource")
                 if isinstance(value, str) and _ALL_ROLES.fullmatch(value)]
    if not stars:
        return
    named = {p.lower() for p in parsed.actions.patterns}
    for action, stem in _STEMS.items():
        if not parsed.actions.applies(action):
            continue
        if stem == "PASS_ROLE" and _passed_to_service(parsed):
            continue  # AWS's own advice: a condition on the receiving service scopes the grant
        how = "not" if parsed.actions.negated else "named" if action in named else "star"
        review.report(f"{stem}_{_CODES[how, negated]}", _GRANTS[action, how, negated], *stars)


def _passed_to_service(parsed) -> bool:
    clauses = parsed.condition.clauses if parsed.condition is not None else ()
    return any(c.key.lower() == "iam:passedtoservice" and c.base is not None and not c.base.negated for c in clauses)


def check_trust_star(review: PolicyReview, statement: StatementUnderReview) -> None:
    """TRUST_POLICY_PRINCIPAL_STAR_WITHOUT_CONDITION: anyone anywhere may assume the role."""
    parsed = statement.parsed
    if review.kind is not PolicyKind.TRUST or parsed is None or parsed.effect is not Effect.ALLOW:
        return
    principals = parsed.principals
    if principals is None or principals.negated or not principals.everyone or parsed.condition is not None:
        return
    review.report(
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
            review.report(
                "WEB_IDENTITY_TRUST_MISSING_AUD",
                f"The trust policy lets tokens of {prefix} assume the role without a condition on {prefix}:aud, so "
                f"a token issued to any client of that provider is accepted. Add StringEquals {prefix}:aud.", where)
        subjects = [c for c in positive if c.key.lower() == f"{prefix}:sub".lower()]
        wild = [c for c in subjects if c.base.name.startswith("StringLike") and any(
            _wild_subject(prefix, str(value)) for value in c.values)]
        if wild:
            paths = [statement.at(("value", "Condition"), ("value", c.operator), ("value", c.key)) for c in wild]
            review.report(
                "WEB_IDENTITY_TRUST_WILDCARD_SUB",
                f"The condition on {prefix}:sub uses a wildcard that matches subjects of every owner (for GitHub "
                "Actions, every repository); name the subject, e.g. repo:ORG/REPO:ref:refs/heads/main.", *paths)
        elif not subjects and prefix == GITHUB:
            review.report(
                "WEB_IDENTITY_TRUST_WILDCARD_SUB",
                f"The trust policy has no condition on {prefix}:sub, so a workflow of any GitHub repository can "
                "assume the role. Add StringEquals/StringLike on the sub claim naming your repository.", where)


def _wild_subject(prefix: str, value: str) -> bool:
    if value.startswith(("*", "?")):
        return True
    return prefix == GITHUB and _GITHUB_WILD_REPO.match(value) is not None
