"""`/console/access-analyzer`: analyzers and their findings (active, archived, resolved; archive and unarchive),
the access graph with a search, and the unused-access report.

Each is the Access Analyzer action its API asks for, on the same resource: `access-analyzer:ListAnalyzers` on
`*`, `access-analyzer:CreateAnalyzer` on the new analyzer's ARN, `access-analyzer:ListFindingsV2` and
`access-analyzer:UpdateFindings` on the analyzer's ARN (the findings are rescanned first, as ListFindingsV2
does), `access-analyzer:GetAccessGraph` as the graph page asks it. The services are `idp.analyzer.analyzers`
(which audits every finding's change) and the graph page's own drawing (`idp.web.analyzer_graph.picture`). The
unused-access report is the findings of the account's `ACCOUNT_UNUSED_ACCESS` analyzer
(`idp.analyzer.unused`): roles, access keys, passwords and service permissions unused within its age.
"""
from __future__ import annotations

from flask import request

from idp.analyzer import analyzers
from idp.aws import params
from idp.errors import ValidationError
from idp.web.analyzer_graph import picture
from idp.web.console import blueprint, fields
from idp.web.console.common import check, console_principal, done, render, require

STATUSES = ("ACTIVE", "ARCHIVED", "RESOLVED")
EXTERNAL, UNUSED = "ACCOUNT", "ACCOUNT_UNUSED_ACCESS"
DEFAULT_REGION = "us-east-1"


def _region() -> str:
    caller = console_principal().caller
    return caller.region if caller is not None else DEFAULT_REGION


def _analyzers(kind: str) -> tuple[list, str | None]:
    """The account's analyzers of `kind`, or the reason `access-analyzer:ListAnalyzers` is refused."""
    reason = check("access-analyzer:ListAnalyzers", "*")
    return ([] if reason else analyzers.listed(console_principal().account_id, kind)), reason


def _findings_of(listed: list, chosen_name: str | None) -> tuple[object | None, list, str | None]:
    """The chosen analyzer (or the first), its findings freshly scanned, or the reason ListFindingsV2 is refused."""
    analyzer = next((a for a in listed if a.name == chosen_name), listed[0] if listed else None)
    if analyzer is None:
        return None, [], None
    reason = check("access-analyzer:ListFindingsV2", analyzer.arn)
    if reason is not None:
        return analyzer, [], reason
    analyzers.scan(analyzer)
    return analyzer, sorted(analyzer.findings, key=lambda f: (f.resource, f.id)), None


def _report(kind: str, template: str, title: str) -> str:
    listed, list_refused = _analyzers(kind)
    analyzer, found, findings_refused = _findings_of(listed, request.args.get("analyzer"))
    status = request.args.get("status") if request.args.get("status") in STATUSES else "ACTIVE"
    counts = {name: sum(1 for f in found if f.status == name) for name in STATUSES}
    return render(template, title=title, analyzers=listed, list_refused=list_refused, analyzer=analyzer,
                  findings=[f for f in found if f.status == status], findings_refused=findings_refused,
                  status=status, counts=counts, statuses=STATUSES, kind=kind)


@blueprint.get("/access-analyzer")
def analyzer_findings() -> str:
    """External-access findings of an analyzer (`?analyzer=<name>&status=ACTIVE|ARCHIVED|RESOLVED`)."""
    return _report(EXTERNAL, "console/analyzer.html", "Access analyzer")


@blueprint.get("/access-analyzer/unused")
def unused_access() -> str:
    """The unused-access report: the findings of the account's unused-access analyzer."""
    return _report(UNUSED, "console/analyzer_unused.html", "Unused access")


@blueprint.post("/access-analyzer/analyzers")
def create_analyzer():
    """Create an analyzer (`access-analyzer:CreateAnalyzer` on its ARN); it is scanned at once."""
    account_id = console_principal().account_id
    name = params.string(fields.form(), "analyzerName", required=True, min_len=1, max_len=255,
                         pattern=r"[A-Za-z][A-Za-z0-9_.-]*")
    kind = fields.text("type", max_len=64)
    if kind not in (EXTERNAL, UNUSED):
        raise ValidationError(f"type must be {EXTERNAL} or {UNUSED}.")
    age = fields.text("unused_access_age", max_len=4)
    require("access-analyzer:CreateAnalyzer", analyzers.analyzer_arn(_region(), account_id, name))
    analyzers.create(account_id, _region(), name, kind, None, int(age) if age.isdigit() else None)
    return done()


@blueprint.post("/access-analyzer/findings")
def update_finding():
    """Archive or unarchive a finding (`access-analyzer:UpdateFindings` on its analyzer)."""
    account_id = console_principal().account_id
    name = fields.text("analyzer", max_len=256)
    status = fields.text("status", max_len=16)
    finding_id = fields.text("finding_id", max_len=64)
    found = analyzers.find(account_id, name)
    arn = found.arn if found is not None else analyzers.analyzer_arn(_region(), account_id, name)
    require("access-analyzer:UpdateFindings", arn)
    analyzer = analyzers.get(account_id, name)
    analyzers.scan(analyzer)
    analyzers.update_status(analyzer, status, [finding_id], None)
    return done()


@blueprint.get("/access-analyzer/graph")
def access_graph() -> str:
    """Who can reach what (`?principal=<ARN>` or `?resource=<ARN>`), with the edges searchable (`?q=`)."""
    principal = request.args.get("principal", "").strip() or None
    resource = request.args.get("resource", "").strip() or None
    search = request.args.get("q", "").strip()
    require("access-analyzer:GetAccessGraph", resource or principal or "*")
    svg, graph, title = picture(console_principal().account_id, principal, resource)
    edges = [edge for edge in graph["edges"] if not search or any(
        search.lower() in text.lower() for text in (edge["from"], edge["to"], *edge["actions"]))]
    return render("console/analyzer_graph.html", title="Access graph", svg=svg, graph=graph, graph_title=title,
                  edges=edges, principal=principal or "", resource=resource or "", search=search)
