"""`/console/activity`: the audit log, searched and paged as CloudTrail LookupEvents answers it, and exported.

Authorized as `cloudtrail:LookupEvents` on `*`, like the API. The query is `idp.trail.lookup_events`: LookupEvents
takes one lookup attribute, so the first filter given (principal → `Username`, action → `EventName`, resource →
`ResourceName`) goes to it, and the other filters (and the decision) are applied to each page it returns: a page may
hold fewer than 50 rows, and its "Next page" goes on where the lookup stopped (its sealed NextToken). Each
AccessDenied row shows the reason the authorizer gave. Export is the same search as JSON Lines (one CloudTrail
record a line) or CSV, at most `EXPORT_LIMIT` events.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterator

from flask import Response, request, url_for

from idp import trail
from idp.errors import ValidationError
from idp.web.console import blueprint
from idp.web.console.common import Refused, check, console_principal, render

ACTION = "cloudtrail:LookupEvents"
FILTERS = ("principal", "action", "resource", "decision", "start", "end")
# Which LookupEvents attribute each filter becomes, in the order the first given one is chosen.
ATTRIBUTES = (("principal", "Username"), ("action", "EventName"), ("resource", "ResourceName"))
DECISIONS = ("Allow", "Deny")
EXPORT_LIMIT = 10_000
# A cell starting with one of these is a formula to a spreadsheet: it is exported with a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = ("eventTime", "principal", "action", "resource", "decision", "reason", "sourceIPAddress", "requestID",
               "eventID")


@dataclass(frozen=True)
class Search:
    """The filters of one search, as the form sent them (empty ones left out)."""

    values: dict[str, str]
    start: datetime | None = None
    end: datetime | None = None

    @classmethod
    def from_request(cls) -> Search:
        """The query string's filters, checked (a bad decision or time is a 400 before anything is read)."""
        values = {key: value for key in FILTERS if (value := request.args.get(key, "").strip()[:2000])}
        if values.get("decision", DECISIONS[0]) not in DECISIONS:
            raise ValidationError("Decision must be Allow or Deny.")
        return cls(values, _moment(values.get("start")), _moment(values.get("end")))

    def query(self, account_id: str, next_token: str | None) -> trail.LookupQuery:
        """The LookupEvents question: the first filter as its attribute, the time range, where to go on."""
        attribute = next(((key, self.values[name]) for name, key in ATTRIBUTES if name in self.values), None)
        return trail.LookupQuery(account_id=account_id, attributes=(attribute,) if attribute else (),
                                 start=self.start, end=self.end,
                                 next_token=next_token)

    def matches(self, row: dict) -> bool:
        """Whether an event (a `Row`) passes every filter (the lookup attribute's too: it is cheap)."""
        wanted = self.values
        return all((
            "principal" not in wanted or wanted["principal"] in (row["principal"], row["username"]),
            "action" not in wanted or wanted["action"] in (row["action"], row["event_name"]),
            "resource" not in wanted or _names_resource(row["resource"], wanted["resource"]),
            "decision" not in wanted or (row["decision"] or "").endswith(wanted["decision"]),
        ))


def _moment(value: str | None) -> datetime | None:
    """A `datetime-local` field (or ISO 8601), read as UTC."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(f"{value} is not a date and time (YYYY-MM-DDTHH:MM).") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _names_resource(resource: str | None, wanted: str) -> bool:
    return resource is not None and (resource == wanted or resource.endswith(f"/{wanted}"))


def _row(event: dict) -> dict:
    """One LookupEvents event as the page and the export show it (its CloudTrail record under `record`)."""
    record = json.loads(event["CloudTrailEvent"])
    identity = record.get("userIdentity", {})
    service = record["eventSource"].split(".", 1)[0]
    resources = record.get("resources") or [{}]
    return {
        "time": event["EventTime"], "principal": identity.get("arn") or event.get("Username"),
        "username": event.get("Username"), "event_name": record["eventName"],
        "action": f"{service}:{record['eventName']}", "resource": resources[0].get("ARN"),
        "decision": record.get("decision"), "reason": record.get("errorMessage"),
        "source_ip": record.get("sourceIPAddress"), "record": record,
    }


def _pages(search: Search, account_id: str, next_token: str | None) -> Iterator[tuple[list[dict], str | None]]:
    """The matching rows page by page, with the token that goes on after each page."""
    while True:
        page = trail.lookup_events(search.query(account_id, next_token))
        yield [row for row in map(_row, page.events) if search.matches(row)], page.next_token
        if page.next_token is None:
            return
        next_token = page.next_token


@blueprint.get("/activity")
def activity() -> str:
    """One page of the search (newest first), the filters form, and the export links."""
    search = Search.from_request()
    reason = check(ACTION, "*")
    rows, next_url = [], None
    if reason is None:
        rows, token = next(_pages(search, console_principal().account_id, request.args.get("after") or None))
        if token is not None:
            next_url = url_for("console.activity", **search.values, after=token)
    exports = {kind: url_for("console.activity_export", **search.values, format=kind) for kind in ("jsonl", "csv")}
    return render("console/activity.html", title="Activity", search=search.values, refused=reason, action=ACTION,
                  rows=rows, next_url=next_url, exports=exports, decisions=DECISIONS)


@blueprint.get("/activity/export")
def activity_export() -> Response:
    """The whole search (at most `EXPORT_LIMIT` events) as JSON Lines (`format=jsonl`) or CSV (`format=csv`)."""
    search = Search.from_request()
    kind = request.args.get("format", "jsonl")
    if kind not in ("jsonl", "csv"):
        raise ValidationError("format must be jsonl or csv.")
    reason = check(ACTION, "*")
    if reason is not None:
        raise Refused(reason, action=ACTION)
    rows = _limited(_pages(search, console_principal().account_id, None))
    body = _jsonl(rows) if kind == "jsonl" else _csv(rows)
    mimetype = "application/x-ndjson" if kind == "jsonl" else "text/csv"
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="activity.{kind}"'})


def _limited(pages: Iterator[tuple[list[dict], str | None]]) -> list[dict]:
    found: list[dict] = []
    for rows, _token in pages:
        found.extend(rows)
        if len(found) >= EXPORT_LIMIT:
            return found[:EXPORT_LIMIT]
    return found


def _jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(row["record"], separators=(",", ":")) + "\n" for row in rows)


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        record = row["record"]
        writer.writerow([_cell(value) for value in (
            record["eventTime"], row["principal"], row["action"], row["resource"], row["decision"], row["reason"],
            record.get("sourceIPAddress"), record.get("requestID"), record["eventID"])])
    return out.getvalue()


def _cell(value: str | None) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = value or ""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
