"""One policy under review: its text, its statements as written and as the engine parsed them, its findings."""
from __future__ import annotations

from dataclasses import dataclass, field

from idp.analyzer.catalog import Catalog
from idp.analyzer.findings import Finding
from idp.analyzer.issues import finding_type
from idp.analyzer.locations import DocumentMap, Path
from idp.policy import PolicyKind, Statement


@dataclass
class StatementUnderReview:
    """A statement as written (`raw`, at `path`) and, when the engine accepted it, as parsed."""

    index: int
    raw: object
    path: Path
    parsed: Statement | None = None

    def at(self, *steps: tuple[str, object]) -> Path:
        """A path inside this statement."""
        return (*self.path, *steps)

    def element_paths(self, name: str) -> list[tuple[Path, object]]:
        """(path, value) of each entry of a string-or-list element such as Action."""
        value = self.raw.get(name) if isinstance(self.raw, dict) else None
        if isinstance(value, list):
            return [(self.at(("value", name), ("index", i)), item) for i, item in enumerate(value)]
        return [] if value is None else [(self.at(("value", name)), value)]


@dataclass
class PolicyReview:
    """The state of one ValidatePolicy run."""

    text: str
    kind: PolicyKind
    catalog: Catalog
    policy_type: str = "IDENTITY_POLICY"
    document: dict = field(default_factory=dict)
    statements: list[StatementUnderReview] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    spans: DocumentMap | None = None

    def report(self, code: str, details: str, *paths: Path) -> None:
        """Record a finding located at `paths` (the document itself when none); its type is the code's."""
        spans = self.spans or DocumentMap(self.text)
        located = tuple(spans.locate(p) for p in (paths or ((),)))
        self.findings.append(Finding(finding_type(code), code, details, located))

    @property
    def parsed(self) -> list[StatementUnderReview]:
        """The statements the engine accepted."""
        return [s for s in self.statements if s.parsed is not None]
