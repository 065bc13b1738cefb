"""UploadSSHPublicKey, GetSSHPublicKey, ListSSHPublicKeys, UpdateSSHPublicKey, DeleteSSHPublicKey."""
from __future__ import annotations

from typing import TYPE_CHECKING

from idp.aws import params
from idp.aws.api import Call, query_action
from idp.aws.iam import names
from idp.aws.iam.shapes import page
from idp.aws.iam.subjects import authorized_subject
from idp.errors import ClientError
from idp.iam import ssh_public_keys, users

if TYPE_CHECKING:
    from models.user import User
    from models.user_certificate import SshPublicKey

KEY_ID_PATTERN = r"[\w]+"
BODY_PATTERN = r"[\u0009\u000A\u000D\u0020-\u00FF]+"
STATUS_VALUES = ("Active", "Inactive", "Expired")
# Nothing the authorizer caches (keys, policies, principals) changes: no authz version bump.
NO_AUTHZ_CHANGE = False


def _user_name(call: Call, *, required: bool = True) -> str | None:
    return names.name(call.params, "UserName", max_len=64, required=required)


def _key_id(call: Call) -> str:
    return params.string(call.params, "SSHPublicKeyId", required=True, min_len=20, max_len=128, pattern=KEY_ID_PATTERN)


def _authorized_user(call: Call, name: str) -> User:
    call.authorize(users.resource_arn(call.account_id, name))
    return users.get(call.account_id, name)


def key_shape(stored: SshPublicKey, encoding: str = "SSH") -> dict:
    """`SSHPublicKey`: the key in `encoding`, its fingerprint and status."""
    return {
        "UserName": stored.user.name, "SSHPublicKeyId": stored.ssh_public_key_id, "Fingerprint": stored.fingerprint,
        "SSHPublicKeyBody": ssh_public_keys.encoded(stored, encoding), "Status": stored.status,
        "UploadDate": stored.created_at,
    }


def metadata_shape(stored: SshPublicKey) -> dict:
    """`SSHPublicKeyMetadata`: what ListSSHPublicKeys shows, no body."""
    return {
        "UserName": stored.user.name, "SSHPublicKeyId": stored.ssh_public_key_id, "Status": stored.status,
        "UploadDate": stored.created_at,
    }


@query_action("iam", "UploadSSHPublicKey", mutates=NO_AUTHZ_CHANGE)
def upload_ssh_public_key(call: Call) -> dict:
    name = _user_name(call)
    body = params.string(call.params, "SSHPublicKeyBody", required=True, min_len=1, max_len=16384,
                         pattern=BODY_PATTERN)
    user = _authorized_user(call, name)
    return {"SSHPublicKey": key_shape(ssh_public_keys.upload(call.account_id, user, body))}


@query_action("iam", "GetSSHPublicKey")
def get_ssh_public_key(call: Call) -> dict:
    name, key_id = _user_name(call), _key_id(call)
    encoding = params.enum(call.params, "Encoding", ssh_public_keys.ENCODINGS, required=True)
    user = _authorized_user(call, name)
    return {"SSHPublicKey": key_shape(ssh_public_keys.get_owned(user, key_id), encoding)}


@query_action("iam", "ListSSHPublicKeys")
def list_ssh_public_keys(call: Call) -> dict:
    name = _user_name(call, required=False)
    params.pagination(call.params)
    # Without a name: the calling user's keys; the root user holds none and must name a user.
    user = authorized_subject(call, name, allow_root=False)
    return page(call.params, ssh_public_keys.owned(user), "SSHPublicKeys", metadata_shape, key=lambda k: k.id)


@query_action("iam", "UpdateSSHPublicKey", mutates=NO_AUTHZ_CHANGE)
def update_ssh_public_key(call: Call) -> None:
    name, key_id = _user_name(call), _key_id(call)
    status = params.enum(call.params, "Status", STATUS_VALUES, required=True)
    stored = ssh_public_keys.get_owned(_authorized_user(call, name), key_id)
    if status not in ssh_public_keys.STATUSES:
        raise ClientError("An SSH public key can only be set to Active or Inactive.", code="InvalidInput")
    ssh_public_keys.set_status(stored, status)


@query_action("iam", "DeleteSSHPublicKey", mutates=NO_AUTHZ_CHANGE)
def delete_ssh_public_key(call: Call) -> None:
    name, key_id = _user_name(call), _key_id(call)
    ssh_public_keys.delete(ssh_public_keys.get_owned(_authorized_user(call, name), key_id))
