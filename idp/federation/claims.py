"""What a federated identity adds to our tokens: the `upstream` claim, one namespaced object.

`{"upstream": {"name": "corp", "sub": "<upstream sub>", "amr": [...], "claims": {...}}}`, where `claims` holds
only the upstream claims its file lists under `claims` (passed through as they were at the last sign-in).
It is an object so no upstream claim can ever shadow one of ours (`sub`, `groups`, `roles`, ...).
"""
from __future__ import annotations

from sqlalchemy import select

from models import db
from models.federation import FederatedIdentity
from models.user import User

CLAIM = "upstream"


def upstream_claim(user: User) -> dict:
    """`{"upstream": {...}}` for a user whose latest sign-in was federated; `{}` for everyone else."""
    row = db.session.scalar(
        select(FederatedIdentity).where(FederatedIdentity.user_id == user.id,
                                        FederatedIdentity.last_login_at.is_not(None))
        .order_by(FederatedIdentity.last_login_at.desc(), FederatedIdentity.id.desc()).limit(1))
    if row is None:
        return {}
    last = row.last_claims or {}
    wanted = (row.upstream.mappings or {}).get("claims", [])
    value: dict = {"name": row.upstream.name, "sub": row.subject,
                   "claims": {name: last[name] for name in wanted if name in last}}
    if isinstance(last.get("amr"), list):
        value["amr"] = [item for item in last["amr"] if isinstance(item, str)]
    return {CLAIM: value}
