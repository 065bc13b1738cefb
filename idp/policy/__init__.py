"""The IAM policy language: parse, match, evaluate, explain. Pure stdlib, no I/O.

The authorizer parses each document once (`parse_policy`), groups a
principal's policies in a `PolicySet` (cached per principal), and asks
`evaluate(RequestContext, PolicySet)` or `evaluate_trust(...)` for a `Decision`.
"""

from .conditions import ConditionBlock, ConditionClause, SetOperator
from .context import ContextKeys, PrincipalType, RequestContext, RequestPrincipal
from .decision import Decision, DecisionEffect, PolicyType, StatementRef
from .document import VERSION_2008, VERSION_2012, Effect, Policy, Statement
from .errors import MalformedPolicyDocument, Stage
from .evaluate import ASSUME_ROLE_ACTIONS, evaluate, evaluate_trust
from .introspect import context_keys, matching_statements
from .grammar import matches_nothing
from .kinds import MAX_NESTING_DEPTH, PolicyKind
from .parser import parse_policy
from .policy_set import PolicySet
from .principals import Grant, PrincipalSet
from .reserved import protection

__all__ = [
    "ASSUME_ROLE_ACTIONS",
    "MAX_NESTING_DEPTH",
    "VERSION_2008",
    "VERSION_2012",
    "ConditionBlock",
    "ConditionClause",
    "ContextKeys",
    "Decision",
    "DecisionEffect",
    "Effect",
    "Grant",
    "MalformedPolicyDocument",
    "Policy",
    "PolicyKind",
    "PolicySet",
    "PolicyType",
    "PrincipalSet",
    "PrincipalType",
    "RequestContext",
    "RequestPrincipal",
    "SetOperator",
    "Stage",
    "Statement",
    "StatementRef",
    "context_keys",
    "evaluate",
    "evaluate_trust",
    "matches_nothing",
    "matching_statements",
    "parse_policy",
    "protection",
]
