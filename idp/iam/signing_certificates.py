"""X.509 signing certificates of IAM users and of the account root user: upload, list, (de)activate, delete.

A certificate with `user` None is the root user's. The certificate id is the certificate's own
fingerprint (base32 of the SHA-1 of its DER), so the same certificate cannot be held twice in an
account. The PEM parsing here is shared with server certificates.
"""
from __future__ import annotations

import base64
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select

from idp import clock
from idp.errors import DuplicateCertificate, InvalidCertificate, LimitExceeded, MalformedCertificate, NotFound
from models import db
from models.user import User
from models.user_certificate import SigningCertificate

MAX_CERTIFICATES_PER_USER = 2  # SigningCertificatesPerUser; AWS's message calls it CertificatesPerUser
STATUSES = ("Active", "Inactive")
UNPARSABLE = "Unable to parse certificate. Please ensure the certificate is in PEM format."


def parse_certificates(pem: str, *, malformed: str = UNPARSABLE) -> list[x509.Certificate]:
    """Every certificate of a PEM text (at least one), or MalformedCertificate with `malformed`."""
    try:
        # The parameter pattern admits only U+0009..U+00FF: Latin-1 encodes every such text unchanged.
        found = x509.load_pem_x509_certificates(pem.encode("latin-1"))
    except (ValueError, UnicodeEncodeError):
        raise MalformedCertificate(malformed) from None
    return found


def parse_certificate(pem: str) -> x509.Certificate:
    """The one certificate of a PEM text, or MalformedCertificate."""
    found = parse_certificates(pem)
    if len(found) != 1:
        raise MalformedCertificate(UNPARSABLE)
    return found[0]


def refuse_outside_validity(certificate: x509.Certificate, error: type[Exception] = InvalidCertificate) -> None:
    """Refuse a certificate that is not yet valid or has expired."""
    now = clock.now()
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise error("The certificate is not valid at this time: it is outside its validity period.")


def certificate_id(certificate: x509.Certificate) -> str:
    """The certificate's IAM id: base32 (A-Z, 2-7) of the SHA-1 of its DER, 32 characters."""
    digest = hashlib.sha1(certificate.public_bytes(Encoding.DER)).digest()  # noqa: S324
    return base64.b32encode(digest).decode().rstrip("=")


def owned(account_id: str, user: User | None) -> list[SigningCertificate]:
    """The certificates of `user` (None: the account root user), oldest first."""
    owner = SigningCertificate.user_id.is_(None) if user is None else SigningCertificate.user_id == user.id
    query = select(SigningCertificate).where(SigningCertificate.account_id == account_id, owner)
    return list(db.session.scalars(query.order_by(SigningCertificate.created_at, SigningCertificate.id)))


def find(account_id: str, cert_id: str) -> SigningCertificate | None:
    """The certificate with that id in this account, whoever holds it."""
    return db.session.scalar(select(SigningCertificate).where(
        SigningCertificate.account_id == account_id, SigningCertificate.certificate_id == cert_id))


def upload(account_id: str, user: User | None, body: str) -> SigningCertificate:
    """Add an active certificate for `user` (None: root); at most two, each certificate once per account."""
    certificate = parse_certificate(body)
    refuse_outside_validity(certificate)
    cert_id = certificate_id(certificate)
    if find(account_id, cert_id) is not None:
        raise DuplicateCertificate(f"The Certificate with id {cert_id} already exists.")
    if len(owned(account_id, user)) >= MAX_CERTIFICATES_PER_USER:
        raise LimitExceeded(f"Cannot exceed quota for CertificatesPerUser: {MAX_CERTIFICATES_PER_USER}")
    stored = SigningCertificate(
        account_id=account_id, user=user, certificate_id=cert_id, body=body, status="Active",
        created_at=clock.now(),
    )
    db.session.add(stored)
    db.session.flush()
    return stored


def get_owned(account_id: str, user: User | None, cert_id: str) -> SigningCertificate:
    """The certificate `cert_id` of `user` (None: root), or NoSuchEntity when it is not theirs."""
    stored = find(account_id, cert_id)
    if stored is None or stored.user_id != (user.id if user else None):
        raise NotFound(f"The Certificate with id {cert_id} cannot be found.")
    return stored


def set_status(stored: SigningCertificate, status: str) -> None:
    """Activate or deactivate a certificate."""
    stored.status = status
    db.session.flush()


def delete(stored: SigningCertificate) -> None:
    """Delete a certificate."""
    db.session.delete(stored)
    db.session.flush()
