"""Every failed member constraint of a Query request, reported at once, as AWS reports them.

AWS checks a request against its API model before the service looks at it,
and names every member that fails in one `ValidationError`:
`2 validation errors detected: Value '2' at 'minimumPasswordLength' failed to
satisfy constraint: ...; Value '0' at 'maxPasswordAge' failed to satisfy
constraint: ...`. The dispatcher (`idp.aws.api`) runs each action inside
`collecting()`: while it reads its parameters, a failed constraint is noted
instead of raised, and so is a service-level refusal of a parameter (an ARN
that is no ARN: `InvalidInput`), which AWS only reaches once the model checks
passed. `checkpoint()` (before the first authorization, and again when the
action returns) raises what was noted. Outside `collecting()` (direct calls,
unit tests) the first failure is raised at once.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from idp.errors import IdpError, ValidationError


@dataclass
class Findings:
    """What one request's parameters failed: AWS's constraint texts in order, and the first later refusal."""

    constraints: list[str] = field(default_factory=list)
    refusal: IdpError | None = None

    def error(self) -> IdpError | None:
        """The error the request gets: every failed constraint at once, else the first refusal, else None."""
        if self.constraints:
            return combined(self.constraints)
        return self.refusal


_findings: ContextVar[Findings | None] = ContextVar("idp_aws_findings", default=None)


def combined(constraints: list[str]) -> ValidationError:
    """`N validation error(s) detected: ...; ...` as AWS words it."""
    count = len(constraints)
    noun = "error" if count == 1 else "errors"
    return ValidationError(f"{count} validation {noun} detected: {'; '.join(constraints)}")


def failed_constraint(value: str | None, member: str, constraint: str) -> None:
    """Note (or, outside a request, raise) that `member` fails `constraint`; a None value is not echoed."""
    shown = "Value" if value is None else f"Value '{value}'"
    text = f"{shown} at '{member}' failed to satisfy constraint: {constraint}"
    findings = _findings.get()
    if findings is None:
        raise combined([text])
    if text not in findings.constraints:  # a member read twice (checked, then used) fails once
        findings.constraints.append(text)


def refuse_later(error: IdpError) -> None:
    """Note (or, outside a request, raise) a refusal AWS makes only after the model's constraints passed."""
    findings = _findings.get()
    if findings is None:
        raise error
    if findings.refusal is None:
        findings.refusal = error


def checkpoint() -> None:
    """Raise what the request's parameters failed so far, if anything."""
    findings = _findings.get()
    error = findings.error() if findings is not None else None
    if error is not None:
        raise error


@contextmanager
def collecting() -> Iterator[Findings]:
    """Collect the failures of one action's parameters (the dispatcher wraps every action in it)."""
    findings = Findings()
    token = _findings.set(findings)
    try:
        yield findings
    finally:
        _findings.reset(token)
