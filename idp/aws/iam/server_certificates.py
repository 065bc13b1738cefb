"""UploadServerCertificate, GetServerCertificate, ListServerCertificates, UpdateServerCertificate,
DeleteServerCertificate, Tag/Untag/ListServerCertificateTags."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from idp.aws import params
from idp.aws.api import Call, query_action
from idp.aws.iam import names
from idp.aws.iam.shapes import page
from idp.aws.validation import failed_constraint
from idp.iam import server_certificates
from idp.iam import tags as tagging

if TYPE_CHECKING:
    from models.user_certificate import ServerCertificate

PEM_PATTERN = r"[\u0009\u000A\u000D\u0020-\u00FF]+"
_PEM = re.compile(PEM_PATTERN)
MAX_BODY = 16384
MAX_CHAIN = 2097152
# Nothing the authorizer caches (keys, policies, principals) changes: no authz version bump.
NO_AUTHZ_CHANGE = False


def _name(call: Call, key: str = "ServerCertificateName", *, required: bool = True) -> str | None:
    return names.name(call.params, key, max_len=128, required=required)


def _pem(call: Call, key: str, *, max_len: int, required: bool = True) -> str | None:
    return params.string(call.params, key, required=required, min_len=1, max_len=max_len, pattern=PEM_PATTERN)


def _private_key(call: Call) -> str:
    """The PrivateKey parameter, checked without ever echoing it (it is a sensitive member)."""
    value = call.params.get("PrivateKey")
    if value is None:
        return params.string(call.params, "PrivateKey", required=True)
    if not value:
        failed_constraint(None, "privateKey", "Member must have length greater than or equal to 1")
    if len(value) > MAX_BODY:
        failed_constraint(None, "privateKey", f"Member must have length less than or equal to {MAX_BODY}")
    if not _PEM.fullmatch(value):
        failed_constraint(None, "privateKey", f"Member must satisfy regular expression pattern: {PEM_PATTERN}")
    return value


def _authorized(call: Call, name: str, context: dict | None = None) -> ServerCertificate:
    """Authorize on the certificate's ARN (with its resource tags), then fetch it or raise NoSuchEntity."""
    found = server_certificates.find(call.account_id, name)
    keys = {**(context or {}), **tagging.resource_keys(found.tags if found else None)}
    call.authorize(found.arn if found else server_certificates.arn(call.account_id, "/", name), context=keys)
    return server_certificates.get(call.account_id, name)


def metadata_shape(stored: ServerCertificate) -> dict:
    """`ServerCertificateMetadata`."""
    return {
        "Path": stored.path, "ServerCertificateName": stored.name, "ServerCertificateId": stored.server_certificate_id,
        "Arn": stored.arn, "UploadDate": stored.created_at, "Expiration": stored.expiration,
    }


@query_action("iam", "UploadServerCertificate", mutates=NO_AUTHZ_CHANGE)
def upload_server_certificate(call: Call) -> dict:
    name, path = _name(call), names.path(call.params)
    body = _pem(call, "CertificateBody", max_len=MAX_BODY)
    private_key = _private_key(call)
    chain = _pem(call, "CertificateChain", max_len=MAX_CHAIN, required=False)
    new_tags = params.tags(call.params)
    call.authorize(server_certificates.arn(call.account_id, path, name), context=tagging.request_keys(new_tags))
    stored = server_certificates.upload(call.account_id, name, path, body, private_key, chain, new_tags)
    return {"ServerCertificateMetadata": metadata_shape(stored), "Tags": stored.tags or None}


@query_action("iam", "GetServerCertificate")
def get_server_certificate(call: Call) -> dict:
    stored = _authorized(call, _name(call))
    return {"ServerCertificate": {
        "ServerCertificateMetadata": metadata_shape(stored), "CertificateBody": stored.body,
        "CertificateChain": stored.chain, "Tags": stored.tags or None,
    }}


@query_action("iam", "ListServerCertificates")
def list_server_certificates(call: Call) -> dict:
    prefix = names.path_prefix(call.params)
    params.pagination(call.params)
    call.authorize(server_certificates.arn(call.account_id, prefix, "*"))
    found = server_certificates.listed(call.account_id, prefix)
    return page(call.params, found, "ServerCertificateMetadataList", metadata_shape, key=lambda c: c.name_lower)


@query_action("iam", "UpdateServerCertificate", mutates=NO_AUTHZ_CHANGE)
def update_server_certificate(call: Call) -> None:
    name = _name(call)
    new_name = _name(call, "NewServerCertificateName", required=False)
    new_path = params.string(call.params, "NewPath", min_len=1, max_len=512, pattern=names.PATH_PATTERN)
    stored = _authorized(call, name)
    if new_name or new_path:
        # Moving or renaming creates the certificate anew under its new ARN: the caller must be allowed there too.
        new_arn = server_certificates.arn(call.account_id, new_path or stored.path, new_name or stored.name)
        call.authorize(new_arn, context=tagging.resource_keys(stored.tags))
    server_certificates.update(stored, new_name, new_path)


@query_action("iam", "DeleteServerCertificate", mutates=NO_AUTHZ_CHANGE)
def delete_server_certificate(call: Call) -> None:
    server_certificates.delete(_authorized(call, _name(call)))


@query_action("iam", "TagServerCertificate", mutates=NO_AUTHZ_CHANGE)
def tag_server_certificate(call: Call) -> None:
    name = _name(call)
    new_tags = params.tags_to_add(call.params)
    server_certificates.tag(_authorized(call, name, tagging.request_keys(new_tags)), new_tags)


@query_action("iam", "UntagServerCertificate", mutates=NO_AUTHZ_CHANGE)
def untag_server_certificate(call: Call) -> None:
    name = _name(call)
    keys = params.tag_keys_to_remove(call.params)
    server_certificates.untag(_authorized(call, name, tagging.tag_keys_only(keys)), keys)


@query_action("iam", "ListServerCertificateTags")
def list_server_certificate_tags(call: Call) -> dict:
    name = _name(call)
    params.pagination(call.params)
    stored = _authorized(call, name)
    return page(call.params, stored.tags or [], "Tags", lambda tag: tag)
