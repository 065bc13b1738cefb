"""Signing and session keys, stored encrypted in the database so every instance agrees.

Each (purpose, alg) has one `current` key that signs, one `next` key that is
already published in the JWKS but signs nothing yet, and `retired` keys that
stay published until every token they signed has expired. Rotation promotes
`next` to `current`, so a key is always published before it signs.

`ensure` and `rotate` are units of work of their own, not part of a caller's
(`idp.work`): they commit their rows at once, so the row locks `rotate` takes
(instances rotating together agree) are held only for the rotation, every
instance sees the new keys as soon as the call returns, and this process's
cached view, shared by every thread, is dropped only after the commit (dropped
before it, another thread could reload the old rows and keep them for
`refresh_seconds`). They run outside requests (bootstrap, before its own unit;
`idp keys rotate`, `idp.housekeeping`), with nothing else pending in the session.
A rotation writes its audit record (`keys:RotateKeys`) in the same transaction.
"""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from joserfc import jwk
from sqlalchemy import select

from idp import audit, clock
from idp.clock import as_utc
from idp.errors import ConfigError
from idp.keys.master import MasterKey
from models import db
from models.keys import SigningKey

TOKEN_ALGS = ("ES256", "RS256", "EdDSA")
SESSION_ALG = "A256GCM"
DEFAULT_ALG = "ES256"
KEY_TYPES = {"ES256": "EC", "RS256": "RSA", "EdDSA": "OKP"}
# Longest STS session (GetSessionToken, 36 h): session keys stay usable that long.
SESSION_KEY_GRACE = timedelta(seconds=129_600)
# A `next` key must be published this long (the JWKS cache max-age) before it signs.
MIN_PUBLISH = timedelta(seconds=60)


@dataclass(frozen=True)
class LoadedKey:
    """A decrypted key, as the process caches it."""

    kid: str
    purpose: str
    alg: str
    status: str
    key: jwk.Key | bytes
    public_jwk: dict | None


def _generate(alg: str) -> tuple[str, bytes, dict | None]:
    """A new key as (kid, private material, public JWK)."""
    if alg == SESSION_ALG:
        return secrets.token_hex(8), secrets.token_bytes(32), None
    if alg == "ES256":
        key = jwk.ECKey.generate_key("P-256", private=True)
    elif alg == "RS256":
        key = jwk.RSAKey.generate_key(2048, private=True)
    elif alg == "EdDSA":
        key = jwk.OKPKey.generate_key("Ed25519", private=True)
    else:
        raise ConfigError(f"unsupported key algorithm {alg}")
    kid = key.thumbprint()
    public = {**key.as_dict(private=False), "kid": kid, "alg": alg, "use": "sig"}
    return kid, key.as_pem(private=True), public


def _signed_since(row: SigningKey | None, cutoff: datetime) -> bool:
    """Whether the current key `row` became current at or before `cutoff`."""
    if row is None:
        return False
    return as_utc(row.activated_at or row.created_at) <= cutoff


class Keystore:
    """The process's view of the keys table, refreshed every few seconds."""

    def __init__(self, master: MasterKey, *, refresh_seconds: int, token_lifetime: int):
        self.master = master
        self.refresh_seconds = refresh_seconds
        self.token_lifetime = timedelta(seconds=token_lifetime)
        self._lock = threading.Lock()
        self._decrypted: dict[str, LoadedKey] = {}
        self._live: dict[str, LoadedKey] = {}
        self._loaded_at = float("-inf")
        self._jwks: dict = {"keys": []}

    # -- writing -----------------------------------------------------------
    def ensure(self) -> list[str]:
        """Create the missing current and next keys and commit them (a unit of its own, see module); the new kids."""
        created = []
        for purpose, alg in [("token", a) for a in TOKEN_ALGS] + [("session", SESSION_ALG)]:
            have = {k.status for k in self._rows(purpose, alg)}
            for status in ("current", "next"):
                if status not in have:
                    created.append(self._insert(purpose, alg, status))
        db.session.commit()
        self.invalidate()
        return created

    def rotate(self, purpose: str = "token", *, force: bool = False, older_than: timedelta | None = None,
               actor: str | None = None) -> list[str]:
        """Promote each `next` key, retire the old `current`, publish a new `next`; audited; commits (see module).

        With `older_than`, only the algorithms whose current key has signed at least that long rotate: checked
        under the row locks, so instances rotating together rotate once.
        """
        now = clock.now()
        algs = TOKEN_ALGS if purpose == "token" else (SESSION_ALG,)
        grace = self.token_lifetime if purpose == "token" else SESSION_KEY_GRACE
        created, retired = [], []
        for alg in algs:
            rows = {k.status: k for k in self._rows(purpose, alg, lock=True)}
            if older_than is not None and not _signed_since(rows.get("current"), now - older_than):
                continue
            pending = rows.get("next")
            if pending is None:
                raise ConfigError(f"no next {alg} key to promote; run bootstrap first")
            if not force and now - as_utc(pending.created_at) < MIN_PUBLISH:
                raise ConfigError(
                    f"the next {alg} key was published less than {MIN_PUBLISH.seconds}s ago; "
                    "caches may not have it yet (use --force to rotate anyway)"
                )
            if "current" in rows:
                old = rows["current"]
                old.status, old.retired_at, old.expires_at = "retired", now, now + grace
                retired.append(old.kid)
            pending.status, pending.activated_at = "current", now
            created.append(self._insert(purpose, alg, "next"))
        if created:
            audit.record("keys:RotateKeys", actor=actor, decision="Allow",
                         detail={"purpose": purpose, "published": created, "retired": retired})
        db.session.commit()
        self.invalidate()
        return created

    def due(self, purpose: str, now: datetime, days: int) -> bool:
        """Whether a current key of `purpose` has signed for `days` days (never when `days` is 0)."""
        if days <= 0:
            return False
        cutoff = now - timedelta(days=days)
        rows = db.session.scalars(select(SigningKey).where(
            SigningKey.purpose == purpose, SigningKey.status == "current"))
        return any(_signed_since(row, cutoff) for row in rows)

    def listed(self) -> list[dict]:
        """Every key with its purpose, algorithm, status and expiry (never the private part)."""
        return [
            {"kid": k.kid, "purpose": k.purpose, "alg": k.alg, "status": k.status,
             "expires_at": k.expires_at.isoformat() if k.expires_at else None}
            for k in db.session.scalars(select(SigningKey).order_by(SigningKey.id))
        ]

    def _rows(self, purpose: str, alg: str, lock: bool = False) -> list[SigningKey]:
        query = select(SigningKey).where(
            SigningKey.purpose == purpose, SigningKey.alg == alg, SigningKey.status != "retired"
        )
        if lock:
            query = query.with_for_update()
        return list(db.session.scalars(query))

    def _insert(self, purpose: str, alg: str, status: str) -> str:
        kid, private, public = _generate(alg)
        now = clock.now()
        db.session.add(
            SigningKey(
                kid=kid, purpose=purpose, alg=alg, public_jwk=public, status=status,
                encrypted_private=self.master.seal(private, f"signing-key:{kid}"),
                created_at=now, activated_at=now if status == "current" else None,
            )
        )
        return kid

    # -- reading -----------------------------------------------------------
    def invalidate(self) -> None:
        """Forget the cached view so the next read reloads from the database."""
        self._loaded_at = float("-inf")

    def _fresh(self) -> dict[str, LoadedKey]:
        if time.monotonic() - self._loaded_at < self.refresh_seconds:
            return self._live
        with self._lock:
            if time.monotonic() - self._loaded_at >= self.refresh_seconds:
                self._reload()
        return self._live

    def _reload(self) -> None:
        now = clock.now()
        live = {}
        for row in db.session.scalars(select(SigningKey).order_by(SigningKey.id)):
            if row.status == "retired" and row.expires_at and as_utc(row.expires_at) <= now:
                continue
            cached = self._decrypted.get(row.kid)
            if cached is None or cached.status != row.status:
                cached = LoadedKey(row.kid, row.purpose, row.alg, row.status, self._decrypt(row), row.public_jwk)
                self._decrypted[row.kid] = cached
            live[row.kid] = cached
        self._live = live
        self._jwks = {"keys": [k.public_jwk for k in live.values() if k.purpose == "token" and k.public_jwk]}
        self._loaded_at = time.monotonic()

    def _decrypt(self, row: SigningKey) -> jwk.Key | bytes:
        private = self.master.open(row.encrypted_private, f"signing-key:{row.kid}")
        if row.alg == SESSION_ALG:
            return private
        key_type = KEY_TYPES[row.alg]
        return jwk.import_key(private, key_type, parameters={"kid": row.kid, "alg": row.alg})

    def signing_key(self, alg: str = DEFAULT_ALG) -> LoadedKey:
        """The key that signs tokens of `alg` now."""
        for key in self._fresh().values():
            if key.purpose == "token" and key.alg == alg and key.status == "current":
                return key
        raise ConfigError(f"no current {alg} signing key; run `flask --app app idp bootstrap`")

    def verification_key(self, kid: str) -> LoadedKey | None:
        """The published token key with this kid; reloads once when the kid is unknown."""
        key = self._fresh().get(kid)
        if key is None:
            with self._lock:
                self._reload()
            key = self._live.get(kid)
        return key if key is not None and key.purpose == "token" else None

    def session_key(self, kid: str | None = None) -> LoadedKey:
        """The current session-token AEAD key, or the one named by `kid`."""
        for key in self._fresh().values():
            if key.purpose == "session" and (key.kid == kid if kid else key.status == "current"):
                return key
        if kid and kid not in self._live:
            with self._lock:
                self._reload()
            if kid in self._live and self._live[kid].purpose == "session":
                return self._live[kid]
        raise ConfigError(f"no session key {kid or 'current'}")

    def jwks(self) -> dict:
        """The public JWK Set: current, next and not yet expired retired token keys."""
        self._fresh()
        return self._jwks
