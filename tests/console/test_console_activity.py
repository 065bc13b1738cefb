"""The activity page over HTTP: the audit log searched, paged by LookupEvents' sealed token, exported; refusals."""
from __future__ import annotations

import csv
import io
import json
import re

from tests.console.conftest import make_user, post_form, sign_in, team_a_admin_policy
from tests.support.signin import csrf_token

ROWS = re.compile(r"<tr>\s*<td><time")


def _next(html: str) -> str | None:
    found = re.search(r'<a href="([^"]+)" rel="next">Next page</a>', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_the_log_is_searched_paged_and_exported_with_each_denials_reason(client, app, root):
    make_user(app, root.account_id, "helpdesk", path="/team-a/", policy=team_a_admin_policy(root.account_id))
    make_user(app, root.account_id, "bob")
    sign_in(client, root.account_id, "helpdesk")
    me = f"arn:aws:iam::{root.account_id}:user/team-a/helpdesk"
    for _ in range(2):
        post_form(client, "/console/users/bob", "/console/users/bob/tags",
                  **{"Tags.member.1.Key": "k", "Tags.member.1.Value": "v"})
    refused_here = client.get("/console/activity").get_data(as_text=True)
    client = app.test_client()
    sign_in(client, root.account_id, "root", root.root_password)
    token = csrf_token(client.get("/console/users").get_data(as_text=True))
    for n in range(55):
        client.post("/console/users", data={"csrf_token": token, "UserName": f"u{n:02d}"})

    denied = client.get(f"/console/activity?principal={me}&action=iam:TagUser&decision=Deny").get_data(as_text=True)
    first = client.get("/console/activity?action=iam:CreateUser").get_data(as_text=True)
    second = client.get(_next(first)).get_data(as_text=True)
    jsonl = client.get(f"/console/activity/export?format=jsonl&action=iam:TagUser&principal={me}")
    table = client.get("/console/activity/export?format=csv&action=iam:CreateUser&resource=u54")

    reason = (f"User: {me} is not authorized to perform: iam:TagUser on resource: "
              f"arn:aws:iam::{root.account_id}:user/bob because no identity-based policy allows the iam:TagUser action")
    assert "is not authorized to perform: cloudtrail:LookupEvents on resource: *" in refused_here
    assert len(ROWS.findall(denied)) == 2 and denied.count(reason) == 2
    assert len(ROWS.findall(first)) == 50 and len(ROWS.findall(second)) == 5 and _next(second) is None
    assert "u54" in first and "u00" in second  # newest first
    records = [json.loads(line) for line in jsonl.get_data(as_text=True).splitlines()]
    assert jsonl.mimetype == "application/x-ndjson" and "attachment" in jsonl.headers["Content-Disposition"]
    assert [(r["eventName"], r["errorCode"], r["errorMessage"]) for r in records] == [("TagUser", "AccessDenied",
                                                                                        reason)] * 2
    lines = list(csv.DictReader(io.StringIO(table.get_data(as_text=True))))
    assert table.mimetype == "text/csv"
    assert [(r["action"], r["resource"], r["decision"]) for r in lines] == [
        ("iam:CreateUser", f"arn:aws:iam::{root.account_id}:user/u54", "Allow")]


def test_bad_searches_and_exports_without_permission_are_refused(client, app, root):
    make_user(app, root.account_id, "nobody")
    sign_in(client, root.account_id, "nobody")

    export = client.get("/console/activity/export?format=csv")
    bad_time = client.get("/console/activity?start=yesterday")
    bad_format = client.get("/console/activity/export?format=xml")

    assert export.status_code == 403 and export.mimetype == "text/html"
    assert "is not authorized to perform: cloudtrail:LookupEvents" in export.get_data(as_text=True)
    assert bad_time.status_code == 400 and "yesterday is not a date and time" in bad_time.get_data(as_text=True)
    assert bad_format.status_code == 400 and "format must be jsonl or csv." in bad_format.get_data(as_text=True)
