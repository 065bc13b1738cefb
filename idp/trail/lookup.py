"""CloudTrail LookupEvents over the audit log: one lookup attribute, a time range, newest first, sealed paging.

Pages follow the (occurred_at, id) order of the indexes the audit table has
for this (`ix_audit_events_account_time`, `ix_audit_events_account_actor_time`):
a page is one index range read, however deep the caller pages. The NextToken
is the last event's position sealed with the master key (`idp.keys`), bound to
the account and to the question it answers, so it can be neither forged nor
replayed against another query.
"""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, not_, or_, select, true, tuple_
from sqlalchemy.sql import bindparam

from idp.errors import ClientError, ConfigError
from idp.keys import master_key
from idp.trail import events
from models import db
from models.audit import AuditEvent
from models.columns import UtcDateTime
from models.user import User

ATTRIBUTE_KEYS = ("EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource",
                  "AccessKeyId")
MAX_RESULTS = 50
MAX_VALUE_CHARS = 2000
MAX_TOKEN_CHARS = 1024
TOKEN_PURPOSE = "cloudtrail-next-token"


@dataclass(frozen=True)
class LookupQuery:
    """What LookupEvents asks: at most one attribute, a time range, a page size and where the last page ended."""

    account_id: str
    attributes: tuple[tuple[str, str], ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    max_results: int = MAX_RESULTS
    next_token: str | None = None

    def fingerprint(self) -> str:
        """The question without its paging: a NextToken answers only the query that made it."""
        asked = [self.attributes, self.start and self.start.isoformat(), self.end and self.end.isoformat()]
        return hashlib.sha256(json.dumps(asked).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class LookupPage:
    """One page of events (newest first) and the token for the next one, if there are more."""

    events: list[dict]
    next_token: str | None


def invalid(code: str, message: str) -> ClientError:
    """A CloudTrail client error (`InvalidLookupAttributesException`, ...)."""
    return ClientError(message, code=code)


def lookup_events(query: LookupQuery) -> LookupPage:
    """Answer LookupEvents for the caller's account (the adapter has authorized `cloudtrail:LookupEvents`)."""
    condition = _attribute_condition(query)
    if not 1 <= query.max_results <= MAX_RESULTS:
        raise invalid("InvalidMaxResultsException", f"MaxResults must be between 1 and {MAX_RESULTS}.")
    if query.start and query.end and query.start > query.end:
        raise invalid("InvalidTimeRangeException", "Start time must be earlier than or equal to the end time.")
    statement = select(AuditEvent).where(AuditEvent.account_id == query.account_id, condition)
    if query.start:
        statement = statement.where(AuditEvent.occurred_at >= query.start)
    if query.end:
        statement = statement.where(AuditEvent.occurred_at <= query.end)
    if query.next_token is not None:
        moment, row = _open_token(query)
        statement = statement.where(tuple_(AuditEvent.occurred_at, AuditEvent.id) < tuple_(
            bindparam("after_time", moment, type_=UtcDateTime), bindparam("after_id", row)))
    statement = statement.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(query.max_results + 1)
    rows = db.session.scalars(statement).all()
    more, rows = len(rows) > query.max_results, rows[: query.max_results]
    ids = events.principal_ids(rows)
    token = _seal_token(query, rows[-1]) if more else None
    return LookupPage([events.lookup_event(row, ids) for row in rows], token)


def _attribute_condition(query: LookupQuery) -> ColumnElement[bool]:
    if len(query.attributes) > 1:
        raise invalid("InvalidLookupAttributesException", "You cannot specify more than one lookup attribute.")
    if not query.attributes:
        return true()
    key, value = query.attributes[0]
    if key not in ATTRIBUTE_KEYS:
        raise invalid("InvalidLookupAttributesException",
                      f"AttributeKey {key!r} is not one of {', '.join(ATTRIBUTE_KEYS)}.")
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_VALUE_CHARS:
        raise invalid("InvalidLookupAttributesException",
                      f"AttributeValue must be 1 to {MAX_VALUE_CHARS} characters.")
    return CONDITIONS[key](value, query.account_id)


def _like_suffix(column, value: str) -> ColumnElement[bool]:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%{escaped}", escape="\\")


def _event_id(value: str, _account: str) -> ColumnElement[bool]:
    found = events.row_id(value)
    return AuditEvent.id == found if found is not None else false()


def _event_name(value: str, _account: str) -> ColumnElement[bool]:
    return or_(AuditEvent.action == value, _like_suffix(AuditEvent.action, f":{value}"))


def _read_only(value: str, _account: str) -> ColumnElement[bool]:
    if value not in ("true", "false"):
        raise invalid("InvalidLookupAttributesException", "The ReadOnly attribute takes true or false.")
    reads = or_(*(AuditEvent.action.like(f"%:{prefix}%") for prefix in events.READ_ONLY_PREFIXES))
    return reads if value == "true" else not_(reads)


def _username(value: str, account: str) -> ColumnElement[bool]:
    """An ARN as is; `root`; a user name: the default-path ARN and the ARN of the user of that name now."""
    if value.startswith("arn:"):
        return AuditEvent.actor == value
    if value == "root":
        return AuditEvent.actor == f"arn:aws:iam::{account}:root"
    current = db.session.scalars(select(User.arn).where(User.account_id == account, User.name == value)).all()
    return AuditEvent.actor.in_({f"arn:aws:iam::{account}:user/{value}", *current})


def _resource_name(value: str, _account: str) -> ColumnElement[bool]:
    return or_(AuditEvent.resource == value, _like_suffix(AuditEvent.resource, f"/{value}"))


def _resource_type(value: str, _account: str) -> ColumnElement[bool]:
    kinds = [kind for kind, name in events.RESOURCE_TYPES.items() if name == value]
    if not kinds:
        return false()
    return and_(AuditEvent.resource.like("arn:%"),
                or_(*(AuditEvent.resource.like(f"%:{kind}/%") for kind in kinds)))


def _event_source(value: str, _account: str) -> ColumnElement[bool]:
    if value == events.SIGNIN_SOURCE:
        return not_(AuditEvent.action.like("%:%"))
    for suffix in (".amazonaws.com", events.IDP_SOURCE_SUFFIX):
        prefix = value.removesuffix(suffix)
        if prefix != value and prefix and "%" not in prefix and "_" not in prefix:
            return AuditEvent.action.like(f"{prefix}:%")
    return false()


def _access_key_id(value: str, _account: str) -> ColumnElement[bool]:
    # Recorded by the authorizer in the entry's detail (idp.authz.authorizer.note).
    return AuditEvent.detail["access_key_id"].as_string() == value


CONDITIONS = {
    "EventId": _event_id, "EventName": _event_name, "ReadOnly": _read_only, "Username": _username,
    "ResourceName": _resource_name, "ResourceType": _resource_type, "EventSource": _event_source,
    "AccessKeyId": _access_key_id,
}


def _purpose(query: LookupQuery) -> str:
    return f"{TOKEN_PURPOSE}:{query.account_id}:{query.fingerprint()}"


def _seal_token(query: LookupQuery, last: AuditEvent) -> str:
    position = json.dumps([last.occurred_at.isoformat(), last.id]).encode()
    return base64.urlsafe_b64encode(master_key().seal(position, _purpose(query))).decode("ascii")


def _open_token(query: LookupQuery) -> tuple[datetime, int]:
    token = query.next_token or ""
    try:
        if len(token) > MAX_TOKEN_CHARS:
            raise ValueError("too long")
        moment, row = json.loads(master_key().open(base64.urlsafe_b64decode(token.encode("ascii")), _purpose(query)))
        return datetime.fromisoformat(moment), int(row)
    except (ConfigError, ValueError, TypeError, UnicodeEncodeError):
        raise invalid("InvalidNextTokenException",
                      "The NextToken is not valid, or was made for another query.") from None
