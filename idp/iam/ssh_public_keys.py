"""SSH public keys of IAM users (the keys CodeCommit-style services authenticate): upload, read, list,
(de)activate, delete.

IAM takes RSA keys of at least 2048 bits, as an OpenSSH `ssh-rsa` line or a PEM public key; a key is
stored as its OpenSSH line and handed back in either encoding. Its fingerprint is the MD5 of the SSH
wire encoding in colon-separated hex, as `ssh-keygen -E md5 -l` prints it and as AWS shows it.
"""
from __future__ import annotations

import base64
import hashlib

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from idp import clock
from idp.errors import DuplicateSSHPublicKey, InvalidPublicKey, LimitExceeded, NotFound, UnrecognizedPublicKeyEncoding
from models import db
from models.ids import access_key_id
from models.user import User
from models.user_certificate import SshPublicKey

MAX_KEYS_PER_USER = 5  # SSHPublicKeysPerUser
MIN_RSA_BITS = 2048
ID_PREFIX = "APKA"
STATUSES = ("Active", "Inactive")
ENCODINGS = ("SSH", "PEM")
UNRECOGNIZED = "The public key encoding format is unsupported or unrecognized: use ssh-rsa or PEM."


def parse(body: str) -> rsa.RSAPublicKey:
    """The RSA key of an `ssh-rsa` line or a PEM public key; AWS's refusals otherwise."""
    text = body.strip().encode("latin-1", "replace")
    try:
        if text.startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(text)
        elif text.startswith(b"ssh-") or text.startswith(b"ecdsa-"):
            key = serialization.load_ssh_public_key(text)
        else:
            raise UnrecognizedPublicKeyEncoding(UNRECOGNIZED)
    except UnsupportedAlgorithm:
        raise UnrecognizedPublicKeyEncoding(UNRECOGNIZED) from None
    except ValueError:
        raise InvalidPublicKey("The public key is malformed or otherwise invalid.") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise UnrecognizedPublicKeyEncoding(UNRECOGNIZED)
    if key.key_size < MIN_RSA_BITS:
        raise InvalidPublicKey(f"The public key must be at least {MIN_RSA_BITS} bits long.")
    return key


def openssh_line(key: rsa.RSAPublicKey) -> str:
    """`ssh-rsa AAAA...`, without a comment."""
    return key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def fingerprint(key: rsa.RSAPublicKey) -> str:
    """MD5 of the SSH wire encoding, as colon-separated lower-case hex (47 characters)."""
    blob = base64.b64decode(openssh_line(key).split()[1])
    return ":".join(f"{byte:02x}" for byte in hashlib.md5(blob, usedforsecurity=False).digest())


def encoded(stored: SshPublicKey, encoding: str) -> str:
    """The key's body in `encoding`: SSH (the OpenSSH line) or PEM (a SubjectPublicKeyInfo block)."""
    if encoding == "SSH":
        return stored.body
    key = serialization.load_ssh_public_key(stored.body.encode())
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def owned(user: User) -> list[SshPublicKey]:
    """The user's keys, oldest first."""
    query = select(SshPublicKey).where(SshPublicKey.user_id == user.id)
    return list(db.session.scalars(query.order_by(SshPublicKey.created_at, SshPublicKey.id)))


def upload(account_id: str, user: User, body: str) -> SshPublicKey:
    """Add an active key for `user`; each key once per user, at most five."""
    key = parse(body)
    digest = fingerprint(key)
    held = owned(user)
    if any(existing.fingerprint == digest for existing in held):
        raise DuplicateSSHPublicKey("The SSH public key is already associated with the specified IAM user.")
    if len(held) >= MAX_KEYS_PER_USER:
        raise LimitExceeded(f"Cannot exceed quota for SSHPublicKeysPerUser: {MAX_KEYS_PER_USER}")
    stored = SshPublicKey(
        account_id=account_id, user=user, ssh_public_key_id=access_key_id(ID_PREFIX), body=openssh_line(key),
        fingerprint=digest, status="Active", created_at=clock.now(),
    )
    db.session.add(stored)
    db.session.flush()
    return stored


def get_owned(user: User, key_id: str) -> SshPublicKey:
    """The key `key_id` of `user`, or NoSuchEntity when it is not theirs."""
    stored = db.session.scalar(select(SshPublicKey).where(
        SshPublicKey.ssh_public_key_id == key_id, SshPublicKey.user_id == user.id))
    if stored is None:
        raise NotFound(f"The Public Key with id {key_id} cannot be found.")
    return stored


def set_status(stored: SshPublicKey, status: str) -> None:
    """Activate or deactivate a key."""
    stored.status = status
    db.session.flush()


def delete(stored: SshPublicKey) -> None:
    """Delete a key."""
    db.session.delete(stored)
    db.session.flush()
