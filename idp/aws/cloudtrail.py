"""CloudTrail on the JSON 1.1 protocol: `LookupEvents` over the audit log (botocore's `cloudtrail`, 2013-11-01)."""
from __future__ import annotations

from idp import trail
from idp.aws.json_protocol import JsonCall, invalid_member, json_operation
from idp.errors import ClientError

TARGET_PREFIX = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101"
SIGNING_NAME = "cloudtrail"


@json_operation(TARGET_PREFIX, SIGNING_NAME, "LookupEvents")
def lookup_events(call: JsonCall) -> dict:
    """LookupEvents: the caller's account's events, newest first, authorized as cloudtrail:LookupEvents on `*`."""
    call.authorize("*")
    category = call.member("EventCategory", str)
    if category not in (None, "insight"):
        raise ClientError("EventCategory must be insight.", code="InvalidEventCategoryException")
    query = trail.LookupQuery(
        account_id=call.account_id,
        attributes=_attributes(call.member("LookupAttributes", list, default=[])),
        start=call.timestamp("StartTime"),
        end=call.timestamp("EndTime"),
        max_results=call.member("MaxResults", int, default=trail.lookup.MAX_RESULTS),
        next_token=call.member("NextToken", str),
    )
    page = trail.lookup_events(query)
    if category == "insight":  # no Insights events are recorded here; the query is still checked
        return {"Events": []}
    return {"Events": page.events, "NextToken": page.next_token}


def _attributes(items: list) -> tuple[tuple[str, str], ...]:
    attributes = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("AttributeKey"), str) \
                or not isinstance(item.get("AttributeValue"), str):
            raise invalid_member("LookupAttributes")
        attributes.append((item["AttributeKey"], item["AttributeValue"]))
    return tuple(attributes)
