"""Server certificates: TLS certificates with their private keys and chains, stored for the account.

The private key is checked against the certificate's public key, then sealed with the master key
(bound to the certificate's unique id, which never changes) and never handed back: AWS returns it
to no one either. Names are unique in the account regardless of case, as for other IAM names.
"""
from __future__ import annotations

from typing import Sequence

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from sqlalchemy import func, select

from idp import clock
from idp.errors import Conflict, KeyPairMismatch, LimitExceeded, MalformedCertificate, NotFound
from idp.iam import tags as tagging
from idp.iam.names import arn as iam_arn
from idp.iam.signing_certificates import parse_certificate, parse_certificates, refuse_outside_validity
from idp.iam.tags import Tag
from idp.keys import master_key
from models import db
from models.ids import unique_id
from models.user_certificate import ServerCertificate

KIND = "server-certificate"
ID_PREFIX = "ASCA"
MAX_PER_ACCOUNT = 20  # ServerCertificatesPerAccount, AWS's default quota
UNPARSABLE_KEY = "Unable to parse private key. Please ensure the private key is an unencrypted PEM key."
UNPARSABLE_CHAIN = "Unable to parse certificate chain. Please ensure the chain is in PEM format."
CHAIN_BROKEN = (
    "Unable to validate certificate chain. The certificate chain must start with the immediate signing "
    "certificate, followed by any intermediaries in order. The index within the chain of the invalid "
    "certificate is: {index}"
)


def arn(account_id: str, path: str, name: str) -> str:
    """`arn:aws:iam::<account>:server-certificate<path><name>`."""
    return iam_arn(account_id, KIND, path, name)


def find(account_id: str, name: str) -> ServerCertificate | None:
    """The server certificate of that name (case-insensitive), or None."""
    return db.session.scalar(select(ServerCertificate).where(
        ServerCertificate.account_id == account_id, ServerCertificate.name_lower == name.lower()))


def get(account_id: str, name: str) -> ServerCertificate:
    """The server certificate of that name, or NoSuchEntity in AWS's words."""
    found = find(account_id, name)
    if found is None:
        raise NotFound(f"The Server Certificate with name {name} cannot be found.")
    return found


def resource_arn(account_id: str, name: str) -> str:
    """The ARN a request about certificate `name` is authorized on (its path known only if it exists)."""
    found = find(account_id, name)
    return found.arn if found else arn(account_id, "/", name)


def _refuse_taken(account_id: str, name: str) -> None:
    if find(account_id, name) is not None:
        raise Conflict(f"The Server Certificate with name {name} already exists.")


def _check_private_key(certificate: x509.Certificate, private_key: str) -> None:
    try:
        key = serialization.load_pem_private_key(private_key.encode("latin-1"), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm, UnicodeEncodeError):
        # TypeError: an encrypted key, which cannot be used without its password.
        raise MalformedCertificate(UNPARSABLE_KEY) from None
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if key.public_key().public_bytes(*spki) != certificate.public_key().public_bytes(*spki):
        raise KeyPairMismatch("The private key did not match the public key in the certificate.")


def _check_chain(certificate: x509.Certificate, chain: str) -> None:
    """Each certificate must be issued (name and signature) by the next one of the chain."""
    links = [certificate, *parse_certificates(chain, malformed=UNPARSABLE_CHAIN)]
    for index in range(len(links) - 1):
        try:
            links[index].verify_directly_issued_by(links[index + 1])
        except (ValueError, TypeError, InvalidSignature):
            raise MalformedCertificate(CHAIN_BROKEN.format(index=index - 1)) from None


def upload(
    account_id: str, name: str, path: str, body: str, private_key: str, chain: str | None, tags: Sequence[Tag]
) -> ServerCertificate:
    """Store a certificate whose private key matches it and whose chain links up to it."""
    _refuse_taken(account_id, name)
    certificate = parse_certificate(body)
    _check_private_key(certificate, private_key)
    if chain is not None:
        _check_chain(certificate, chain)
    refuse_outside_validity(certificate, MalformedCertificate)
    if count(account_id) >= MAX_PER_ACCOUNT:
        raise LimitExceeded(f"Cannot exceed quota for ServerCertificatesPerAccount: {MAX_PER_ACCOUNT}")
    unique = unique_id(ID_PREFIX)
    stored = ServerCertificate(
        account_id=account_id, name=name, path=path, arn=arn(account_id, path, name),
        server_certificate_id=unique, body=body, chain=chain,
        private_key_encrypted=master_key().seal(private_key.encode("latin-1"), f"server-certificate:{unique}"),
        expiration=certificate.not_valid_after_utc, tags=tagging.as_stored(tags), created_at=clock.now(),
    )
    db.session.add(stored)
    db.session.flush()
    return stored


def listed(account_id: str, path_prefix: str) -> list[ServerCertificate]:
    """The account's server certificates under `path_prefix`, ordered by name."""
    query = select(ServerCertificate).where(ServerCertificate.account_id == account_id,
                                            ServerCertificate.path.startswith(path_prefix, autoescape=True))
    return list(db.session.scalars(query.order_by(ServerCertificate.name_lower)))


def count(account_id: str) -> int:
    """How many server certificates the account holds."""
    return db.session.scalar(
        select(func.count()).select_from(ServerCertificate).where(ServerCertificate.account_id == account_id))


def update(stored: ServerCertificate, new_name: str | None, new_path: str | None) -> None:
    """Rename and/or move a certificate (None keeps the name or path); the ARN follows."""
    if new_name and new_name.lower() != stored.name_lower:
        _refuse_taken(stored.account_id, new_name)
    stored.name = new_name or stored.name
    stored.path = new_path or stored.path
    stored.arn = arn(stored.account_id, stored.path, stored.name)
    db.session.flush()


def delete(stored: ServerCertificate) -> None:
    """Delete a certificate and its sealed private key."""
    db.session.delete(stored)
    db.session.flush()


def tag(stored: ServerCertificate, new: Sequence[Tag]) -> None:
    """Add or overwrite tags (at most 50)."""
    stored.tags = tagging.merged(stored.tags, new, "server certificate")


def untag(stored: ServerCertificate, keys: Sequence[str]) -> None:
    """Remove tags by key."""
    stored.tags = tagging.without(stored.tags, keys)
