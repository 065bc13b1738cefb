"""An audit row as a CloudTrail event: `userIdentity`, `eventSource`, `readOnly`, `errorCode` and the rest.

The audit log stores the action as `service:Name` (`iam:CreateUser`), the
actor as an ARN (or a client id, an access key id) and, for a denial, the
decision; CloudTrail's record is derived from those. Event ids are the row id
written as a UUID (version 8, RFC 9562), so an `EventId` lookup is a primary
key read and needs no column of its own.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable

from sqlalchemy import select

from models import db
from models.audit import AuditEvent
from models.role import Role
from models.user import User

EVENT_VERSION = "1.08"
# Services whose events CloudTrail names `<prefix>.amazonaws.com`; the IdP's own (oauth, oidc, federation,
# sigv4, maintenance, trail, ...) are `<prefix>.idp.internal`; sign-in events carry no prefix.
AWS_SERVICES = frozenset({"iam", "sts", "cloudtrail", "access-analyzer", "organizations"})
IDP_SOURCE_SUFFIX = ".idp.internal"
SIGNIN_SOURCE = "signin.amazonaws.com"
# Event names CloudTrail counts as read-only (the Query endpoint's read actions, and lookups).
READ_ONLY_PREFIXES = ("Get", "List", "Describe", "Lookup", "Simulate", "Decode")
# ARN resource kinds -> CloudTrail resource types.
RESOURCE_TYPES = {
    "user": "AWS::IAM::User",
    "role": "AWS::IAM::Role",
    "group": "AWS::IAM::Group",
    "policy": "AWS::IAM::Policy",
    "oidc-provider": "AWS::IAM::OIDCProvider",
    "saml-provider": "AWS::IAM::SAMLProvider",
    "instance-profile": "AWS::IAM::InstanceProfile",
    "server-certificate": "AWS::IAM::ServerCertificate",
    "mfa": "AWS::IAM::MFADevice",
    "assumed-role": "AWS::STS::AssumedRole",
    "federated-user": "AWS::STS::FederatedUser",
}

_VERSION_8 = (0x8 << 76) | (0b10 << 62)
_ID_BITS = (1 << 62) - 1


def event_id(row_id: int) -> str:
    """The CloudTrail event id of an audit row."""
    return str(uuid.UUID(int=_VERSION_8 | row_id))


def row_id(event: str) -> int | None:
    """The audit row an event id names, or None when it names none."""
    try:
        value = uuid.UUID(event).int
    except ValueError:
        return None
    return value & _ID_BITS if value & ~_ID_BITS == _VERSION_8 else None


def event_source(action: str) -> str:
    """`iam:CreateUser` -> `iam.amazonaws.com`; `oauth:IssueTokens` -> `oauth.idp.internal`; `signin` -> signin."""
    prefix, colon, _ = action.partition(":")
    if not colon:
        return SIGNIN_SOURCE
    return f"{prefix}.amazonaws.com" if prefix in AWS_SERVICES else f"{prefix}{IDP_SOURCE_SUFFIX}"


def event_name(action: str) -> str:
    """The action without its service prefix."""
    return action.rpartition(":")[2]


def is_read_only(action: str) -> bool:
    """Whether CloudTrail would mark the event read-only."""
    return ":" in action and event_name(action).startswith(READ_ONLY_PREFIXES)


def resource_type(resource: str) -> str | None:
    """The CloudTrail resource type of an ARN, when it is one this IdP has."""
    if not resource.startswith("arn:"):
        return None
    kind = resource.split(":", 5)[-1].partition("/")[0]
    return RESOURCE_TYPES.get(kind)


@dataclass(frozen=True)
class Identity:
    """Who acted, in CloudTrail's words: `userIdentity` and the event's `Username`."""

    document: dict
    username: str | None


def identity(actor: str | None, account_id: str | None, principal_ids: dict[str, str]) -> Identity:
    """`userIdentity` for an actor ARN (users, roles' sessions, root) or a bare id (a client, an access key)."""
    if not actor:
        return Identity({"type": "Unknown"}, None)
    if not actor.startswith("arn:"):
        return Identity({"type": "Unknown", "principalId": actor, "accountId": account_id}, actor)
    account = actor.split(":")[4] or account_id
    kind, _, path = actor.split(":", 5)[-1].partition("/")
    name = path.rsplit("/", 1)[-1]
    document = {"arn": actor, "accountId": account}
    if kind == "root":
        return Identity({"type": "Root", "principalId": account, **document}, "root")
    if kind == "user":
        return Identity({"type": "IAMUser", "principalId": principal_ids.get(actor), **document, "userName": name},
                        name)
    if kind == "assumed-role":
        role, _, session = path.partition("/")
        role_id = principal_ids.get(f"role:{account}:{role}")
        issuer = {"type": "Role", "principalId": role_id, "accountId": account, "userName": role}
        principal = f"{role_id}:{session}" if role_id else session
        return Identity({"type": "AssumedRole", "principalId": principal, **document,
                         "sessionContext": {"sessionIssuer": issuer}}, session)
    if kind == "federated-user":
        return Identity({"type": "FederatedUser", "principalId": f"{account}:{name}", **document}, name)
    return Identity({"type": "Unknown", "principalId": name, **document}, name)


def principal_ids(rows: Iterable[AuditEvent]) -> dict[str, str]:
    """The unique ids (AIDA..., AROA...) of the users and roles that acted in `rows`, in two queries."""
    actors = {row.actor for row in rows if row.actor and row.actor.startswith("arn:")}
    users = [actor for actor in actors if ":user/" in actor]
    roles = {(actor.split(":")[4], actor.split(":", 5)[-1].split("/")[1]) for actor in actors
             if ":assumed-role/" in actor and actor.count("/") >= 2}
    found: dict[str, str] = {}
    if users:
        found.update(db.session.execute(select(User.arn, User.user_id).where(User.arn.in_(users))).all())
    if roles:
        names = {name for _, name in roles}
        for account, name, role_id in db.session.execute(
                select(Role.account_id, Role.name, Role.role_id).where(Role.name.in_(names))):
            if (account, name) in roles:
                found[f"role:{account}:{name}"] = role_id
    return found


def cloudtrail_record(row: AuditEvent, ids: dict[str, str]) -> dict:
    """The CloudTrail record of one audit row (what `CloudTrailEvent` holds, and what an export line is)."""
    who = identity(row.actor, row.account_id, ids)
    detail = dict(row.detail or {}) if isinstance(row.detail, dict) else {}
    access_key_id = detail.pop("access_key_id", None)
    reason = detail.pop("reason", None)
    user_identity = {k: v for k, v in who.document.items() if v is not None}
    if access_key_id:
        user_identity["accessKeyId"] = access_key_id
    source = event_source(row.action)
    record = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": user_identity,
        "eventTime": _iso(row.occurred_at),
        "eventSource": source,
        "eventName": event_name(row.action),
        "awsRegion": "us-east-1",
        "sourceIPAddress": row.source_ip,
        "requestID": row.request_id,
        "eventID": event_id(row.id),
        "readOnly": is_read_only(row.action),
        "eventType": _event_type(source),
        "managementEvent": True,
        "recipientAccountId": row.account_id,
        "decision": row.decision,
    }
    if row.resource:
        record["resources"] = [_resource(row.resource, row.account_id)]
    if (row.decision or "").endswith("Deny"):  # Deny, and the authorizer's ImplicitDeny / ExplicitDeny
        record["errorCode"] = "AccessDenied"
        record["errorMessage"] = reason or _denial(row)
    elif reason:
        record["additionalEventData"] = {"reason": reason}
    if detail:
        record.setdefault("additionalEventData", {}).update(detail)
    return {k: v for k, v in record.items() if v is not None}


def lookup_event(row: AuditEvent, ids: dict[str, str]) -> dict:
    """The `Events` member LookupEvents answers for one audit row."""
    record = cloudtrail_record(row, ids)
    event = {
        "EventId": record["eventID"],
        "EventName": record["eventName"],
        "ReadOnly": "true" if record["readOnly"] else "false",
        "AccessKeyId": record["userIdentity"].get("accessKeyId"),
        "EventTime": row.occurred_at,
        "EventSource": record["eventSource"],
        "Username": identity(row.actor, row.account_id, ids).username,
        "Resources": [{"ResourceName": r["ARN"], **({"ResourceType": r["type"]} if "type" in r else {})}
                      for r in record.get("resources", [])],
        "CloudTrailEvent": json.dumps(record, separators=(",", ":")),
    }
    return {k: v for k, v in event.items() if v is not None}


def _resource(resource: str, account_id: str | None) -> dict:
    found = {"ARN": resource, "accountId": account_id, "type": resource_type(resource)}
    return {k: v for k, v in found.items() if v is not None}


def _event_type(source: str) -> str:
    if source == SIGNIN_SOURCE:
        return "AwsConsoleSignIn"
    return "AwsApiCall" if source.endswith(".amazonaws.com") else "AwsServiceEvent"


def _denial(row: AuditEvent) -> str:
    """AWS's sentence, when the row kept no reason of its own."""
    who = row.actor or "anonymous"
    if row.resource and ":" in row.action:
        return f"User: {who} is not authorized to perform: {row.action} on resource: {row.resource}"
    return f"User: {who} was denied {row.action}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
