"""The master key: AES-256-GCM over every secret the database stores.

It comes from `IDP_MASTER_KEY` (base64 of 32 bytes) or is generated once into
`keys/master.key` (mode 0600). Every instance sharing a database must share it.
"""
from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from idp.errors import ConfigError

SEAL_VERSION = b"\x01"
NONCE_BYTES = 12


class MasterKey:
    """Seals and opens secrets at rest; the `purpose` binds a ciphertext to its use."""

    def __init__(self, raw: bytes):
        if len(raw) != 32:
            raise ConfigError(f"the master key must be 32 bytes, got {len(raw)}")
        self._aead = AESGCM(raw)
        self._raw = raw

    def derive(self, purpose: str, length: int = 32) -> bytes:
        """A key for `purpose`, derived with HKDF; equal on every instance."""
        return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=purpose.encode()).derive(self._raw)

    def seal(self, plaintext: bytes, purpose: str) -> bytes:
        """Encrypt and authenticate `plaintext` for `purpose`."""
        nonce = os.urandom(NONCE_BYTES)
        return SEAL_VERSION + nonce + self._aead.encrypt(nonce, plaintext, purpose.encode())

    def open(self, sealed: bytes, purpose: str) -> bytes:
        """Decrypt what `seal` produced for the same purpose, or raise ConfigError."""
        if not sealed or sealed[:1] != SEAL_VERSION:
            raise ConfigError("sealed secret has an unknown format")
        nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, body, purpose.encode())
        except InvalidTag:
            raise ConfigError(
                "a stored secret does not decrypt under this master key "
                "(IDP_MASTER_KEY or keys/master.key differs from the one that wrote it)"
            ) from None


def load_master_key(configured: bytes | None, keys_dir: Path) -> MasterKey:
    """Use the configured key, else read or create `keys_dir/master.key`."""
    if configured is not None:
        return MasterKey(configured)
    path = keys_dir / "master.key"
    if not path.exists():
        keys_dir.mkdir(parents=True, exist_ok=True)
        encoded = base64.b64encode(secrets.token_bytes(32))
        # O_EXCL: two processes starting at once must not both write a key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(encoded + b"\n")
    try:
        raw = base64.b64decode(path.read_bytes().strip(), validate=True)
    except ValueError:
        raise ConfigError(f"{path} is not base64") from None
    if len(raw) != 32:
        raise ConfigError(f"{path} must hold 32 bytes, base64-encoded; it holds {len(raw)}")
    return MasterKey(raw)
