"""UploadSigningCertificate, ListSigningCertificates, UpdateSigningCertificate, DeleteSigningCertificate."""
from __future__ import annotations

from typing import TYPE_CHECKING

from idp.aws import params
from idp.aws.api import Call, query_action
from idp.aws.iam import names
from idp.aws.iam.shapes import page
from idp.aws.iam.subjects import authorized_subject
from idp.errors import ClientError
from idp.iam import signing_certificates

if TYPE_CHECKING:
    from models.user_certificate import SigningCertificate

CERTIFICATE_ID_PATTERN = r"[\w]+"
BODY_PATTERN = r"[\u0009\u000A\u000D\u0020-\u00FF]+"
STATUS_VALUES = ("Active", "Inactive", "Expired")
# Nothing the authorizer caches (keys, policies, principals) changes: no authz version bump.
NO_AUTHZ_CHANGE = False


def _user_name(call: Call) -> str | None:
    return names.name(call.params, "UserName", max_len=128, required=False)


def _certificate_id(call: Call) -> str:
    return params.string(
        call.params, "CertificateId", required=True, min_len=24, max_len=128, pattern=CERTIFICATE_ID_PATTERN
    )


def certificate_shape(stored: SigningCertificate) -> dict:
    """`SigningCertificate`; the root user's certificates carry the account id as UserName."""
    return {
        "UserName": stored.user.name if stored.user else stored.account_id,
        "CertificateId": stored.certificate_id, "CertificateBody": stored.body, "Status": stored.status,
        "UploadDate": stored.created_at,
    }


@query_action("iam", "UploadSigningCertificate", mutates=NO_AUTHZ_CHANGE)
def upload_signing_certificate(call: Call) -> dict:
    name = _user_name(call)
    body = params.string(call.params, "CertificateBody", required=True, min_len=1, max_len=16384,
                         pattern=BODY_PATTERN)
    user = authorized_subject(call, name)
    return {"Certificate": certificate_shape(signing_certificates.upload(call.account_id, user, body))}


@query_action("iam", "ListSigningCertificates")
def list_signing_certificates(call: Call) -> dict:
    name = _user_name(call)
    params.pagination(call.params)  # bad Marker/MaxItems are refused before anything else
    user = authorized_subject(call, name)
    found = signing_certificates.owned(call.account_id, user)
    return page(call.params, found, "Certificates", certificate_shape, key=lambda c: c.id)


@query_action("iam", "UpdateSigningCertificate", mutates=NO_AUTHZ_CHANGE)
def update_signing_certificate(call: Call) -> None:
    name = _user_name(call)
    cert_id = _certificate_id(call)
    status = params.enum(call.params, "Status", STATUS_VALUES, required=True)
    user = authorized_subject(call, name)
    stored = signing_certificates.get_owned(call.account_id, user, cert_id)
    if status not in signing_certificates.STATUSES:
        raise ClientError("A signing certificate can only be set to Active or Inactive.", code="InvalidInput")
    signing_certificates.set_status(stored, status)


@query_action("iam", "DeleteSigningCertificate", mutates=NO_AUTHZ_CHANGE)
def delete_signing_certificate(call: Call) -> None:
    name = _user_name(call)
    cert_id = _certificate_id(call)
    user = authorized_subject(call, name)
    signing_certificates.delete(signing_certificates.get_owned(call.account_id, user, cert_id))
