"""Validation findings: what is wrong with a policy, how bad, and where."""
from __future__ import annotations

from dataclasses import dataclass

from idp.analyzer.issues import LEARN_MORE, FindingType, learn_more_link
from idp.analyzer.locations import Location

__all__ = ["LEARN_MORE", "SEVERITY", "Finding", "FindingType", "ordered"]


@dataclass(frozen=True)
class Finding:
    """One ValidatePolicy finding."""

    finding_type: FindingType
    issue_code: str
    details: str
    locations: tuple[Location, ...]

    @property
    def learn_more_link(self) -> str:
        """AWS's policy-check reference, anchored at the issue code's section."""
        return learn_more_link(self.issue_code)

    def as_json(self) -> dict:
        """Access Analyzer's ValidatePolicyFinding shape."""
        return {
            "findingDetails": self.details,
            "findingType": self.finding_type.value,
            "issueCode": self.issue_code,
            "learnMoreLink": self.learn_more_link,
            "locations": [location.as_json() for location in self.locations],
        }


SEVERITY = {kind: rank for rank, kind in enumerate(FindingType)}


def ordered(findings: list[Finding]) -> list[Finding]:
    """Most severe first, then in document order."""
    return sorted(findings, key=lambda f: (SEVERITY[f.finding_type],
                                           f.locations[0].start.offset if f.locations else 0))
