"""SigV4 authentication against stored access keys: signature -> `Caller`."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from idp import clock
from idp.authz import sigv4
from idp.authz.principals import Caller, root_principal, user_principal
from idp.errors import AuthenticationError
from idp.iam.accounts import open_secret
from models import db
from models.access_key import AccessKey

# Writing last-used on every request would make every read a write.
LAST_USED_GRANULARITY = timedelta(minutes=1)


def invalid_token() -> AuthenticationError:
    return AuthenticationError("The security token included in the request is invalid.",
                               code="InvalidClientTokenId", status=403)


def authenticate(request: sigv4.SignedRequest, services: frozenset[str], *, unsigned_payload: bool = True) -> Caller:
    """Verify the request's signature with the stored key it names; return the caller."""
    found: dict[str, AccessKey] = {}

    def secret_for(access_key_id: str) -> str | None:
        key = db.session.scalar(
            select(AccessKey).options(selectinload(AccessKey.user)).where(AccessKey.access_key_id == access_key_id)
        )
        if key is None or key.status != "Active":
            return None
        found["key"] = key
        return open_secret(key)

    verified = sigv4.verify(request, clock.now(), secret_for, services, allow_unsigned_payload=unsigned_payload)
    if verified.session_token is not None:
        # Temporary credentials arrive with the STS issue; until then none is valid.
        raise invalid_token()
    key = found["key"]
    _touch(key, verified)
    principal = user_principal(key.user) if key.user is not None else root_principal(key.account_id)
    return Caller(principal, access_key_id=key.access_key_id, user_pk=key.user_id, region=verified.region)


def _touch(key: AccessKey, verified: sigv4.VerifiedSignature) -> None:
    now = clock.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_GRANULARITY:
        key.last_used_at, key.last_used_service, key.last_used_region = now, verified.service, verified.region
