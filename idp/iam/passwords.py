"""Password hashing: argon2id with OWASP's parameters (m = 19 MiB, t = 2, p = 1)."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16)
# Hashed once so that a login for an unknown user costs the same as a real check.
_DUMMY_HASH = _HASHER.hash("dummy password that never matches")


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; hashes a dummy when there is no stored hash."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
