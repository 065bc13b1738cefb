"""Typed errors of the policy language; the app's error hierarchy wraps them.

IAM checks a document in stages and reports the first stage that fails, in
a fixed sentence ("Syntax errors in policy.", "The policy failed legacy
parsing", ...). The engine keeps that sentence first and adds where and why
in parentheses: `Syntax errors in policy. (Statement[0].Effect: must be Allow
or Deny)`.
"""

from __future__ import annotations

import enum

SYNTAX = "Syntax errors in policy."
VERSION = "Policy document must be version 2012-10-17 or greater."
LEGACY = "The policy failed legacy parsing"
DUPLICATE_SID = "Statement IDs (SID) in a single policy must be unique."
NO_ACTIONS = "Policy statement must contain actions."
NO_RESOURCES = "Policy statement must contain resources."
NO_VENDOR = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
ONE_COLON = "Actions/Condition can contain only one colon."
TRUST_ACTIONS = "AssumeRole policy may only specify STS AssumeRole actions."
NO_PRINCIPAL = "Missing required field Principal"


class Stage(enum.IntEnum):
    """The order IAM checks a document in (CreatePolicy's answers); the lowest failing stage is reported."""

    SYNTAX = 0
    VERSION = 1
    LEGACY = 2
    SID = 3
    ACTIONS = 4
    RESOURCES = 5
    RESOURCE_FORMAT = 6
    ACTION_FORMAT = 7
    # Rules of one kind of document (Principal, trust-policy actions, Resource in a trust policy).
    KIND = 8


class MalformedPolicyDocument(Exception):
    """A policy document that IAM would refuse: AWS's sentence, then where and why."""

    def __init__(self, problem: str, path: str = "", detail: str = "", stage: Stage = Stage.KIND) -> None:
        self.problem = problem
        self.path = path
        self.detail = detail
        self.stage = stage
        # AWS reports only the sentence; the JSON path and the detail are
        # ours, to point a policy author at the offending element.
        where = ": ".join(part for part in (path, detail) if part)
        self.message = f"{problem} ({where})" if where else problem
        super().__init__(self.message)


class Problems:
    """Refusals found while parsing one document; the lowest stage wins, as at IAM.

    A syntax error ends parsing at once (nothing outranks it); other stages are
    noted and parsing goes on, so a later syntax error can still win.
    """

    __slots__ = ("first",)

    def __init__(self) -> None:
        self.first: MalformedPolicyDocument | None = None

    def add(self, error: MalformedPolicyDocument) -> None:
        """Note a refusal (raise it at once when it is a syntax error)."""
        if error.stage is Stage.SYNTAX:
            raise error
        if self.first is None or error.stage < self.first.stage:
            self.first = error

    def note(self, problem: str, path: str, detail: str = "", stage: Stage = Stage.KIND) -> None:
        """Shorthand for `add(MalformedPolicyDocument(...))`."""
        self.add(MalformedPolicyDocument(problem, path, detail, stage))

    def raise_first(self) -> None:
        """Raise the refusal IAM would report, if any."""
        if self.first is not None:
            raise self.first


def syntax(path: str, detail: str) -> MalformedPolicyDocument:
    """A `Syntax errors in policy.` refusal."""
    return MalformedPolicyDocument(SYNTAX, path, detail, Stage.SYNTAX)
