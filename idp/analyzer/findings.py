"""Validation findings: what is wrong with a policy, how bad, and where."""
from __future__ import annotations

import enum
from dataclasses import dataclass

from idp.analyzer.locations import Location

LEARN_MORE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html"


class FindingType(str, enum.Enum):
    """Access Analyzer's ValidatePolicyFindingType, in order of severity."""

    ERROR = "ERROR"
    SECURITY_WARNING = "SECURITY_WARNING"
    WARNING = "WARNING"
    SUGGESTION = "SUGGESTION"


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
        anchor = self.finding_type.value.lower().replace("_", "-") + "-" + self.issue_code.lower().replace("_", "-")
        return f"{LEARN_MORE}#access-analyzer-reference-policy-checks-{anchor}"

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
