"""The mapping rules, by table: allow/deny, group matches, tags (pure functions, no app)."""
from __future__ import annotations

import pytest

from idp.federation import mapping

RULES = mapping.checked_rules({
    "allow": [{"claim": "hd", "equals": "corp.example"}, {"claim": "email_verified", "equals": True}],
    "deny": [{"claim": "groups", "regex": "contractor-.*"}],
    "groups": [{"claim": "groups", "match": "exact", "value": "eng", "group": "engineering"},
               {"claim": "groups", "match": "prefix", "value": "team-", "group": "teams"},
               {"claim": "roles", "match": "regex", "value": "admin|owner", "group": "Admins"}],
    "tags": [{"claim": "department", "tag": "dept"}, {"claim": "groups", "tag": "all-groups"},
             {"claim": "cost_center", "tag": "cc"}],
})
GOOD = {"hd": "corp.example", "email_verified": True}


@pytest.mark.parametrize("claims, refused", [
    (GOOD, None),
    ({**GOOD, "hd": "evil.example"}, "allow rule on claim 'hd' does not hold"),
    ({"hd": "corp.example"}, "allow rule on claim 'email_verified' does not hold"),
    ({**GOOD, "email_verified": "true"}, "allow rule on claim 'email_verified' does not hold"),
    ({**GOOD, "groups": ["eng", "contractor-acme"]}, "deny rule on claim 'groups' holds"),
    ({**GOOD, "groups": ["eng", "xcontractor-acme"]}, None),  # regexes match whole values
])
def test_who_may_sign_in(claims, refused):
    assert mapping.refusal(RULES, claims) == refused


@pytest.mark.parametrize("claims, groups", [
    ({"groups": ["eng"]}, ["engineering"]),
    ({"groups": ["engineering"]}, []),  # exact is exact
    ({"groups": ["team-a", "team-b"]}, ["teams"]),
    ({"groups": "eng"}, ["engineering"]),  # a single string counts as a one-value list
    ({"roles": ["owner"]}, ["Admins"]),
    ({"roles": ["owners"]}, []),
    ({"groups": [1, None, {"x": 1}]}, []),
    ({}, []),
])
def test_groups(claims, groups):
    assert mapping.groups(RULES, claims) == groups


def test_tags_take_values_joined_and_drop_what_is_not_a_valid_tag_value():
    assert mapping.tags(RULES, {"department": "R-D", "groups": ["eng", "team-a"], "cost_center": 4711}) == {
        "dept": "R-D", "all-groups": "eng:team-a", "cc": "4711"}
    assert mapping.tags(RULES, {"department": "R&D <script>"}) == {"dept": None, "all-groups": None, "cc": None}
    assert mapping.tags(RULES, {"department": "x" * 300})["dept"] is None
