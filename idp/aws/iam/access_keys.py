"""CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey, GetAccessKeyLastUsed."""
from __future__ import annotations

from typing import TYPE_CHECKING

from idp.aws import params
from idp.aws.api import Call, query_action
from idp.aws.iam import names
from idp.aws.iam.shapes import page
from idp.aws.iam.subjects import authorize_user, authorized_subject
from idp.errors import ClientError
from idp.iam import access_keys
from idp.iam.accounts import root_arn

if TYPE_CHECKING:
    from models.access_key import AccessKey

KEY_ID_PATTERN = r"[\w]+"
STATUS_VALUES = ("Active", "Inactive", "Expired")


def _user_name(call: Call) -> str | None:
    return names.name(call.params, "UserName", max_len=128, required=False)


def _key_id(call: Call) -> str:
    return params.string(call.params, "AccessKeyId", required=True, min_len=16, max_len=128, pattern=KEY_ID_PATTERN)


def metadata_shape(key: AccessKey) -> dict:
    """`AccessKeyMetadata`; a root key has no UserName."""
    return {
        "UserName": key.user.name if key.user else None, "AccessKeyId": key.access_key_id,
        "Status": key.status, "CreateDate": key.created_at,
    }


@query_action("iam", "CreateAccessKey")
def create_access_key(call: Call) -> dict:
    name = _user_name(call)
    user = authorized_subject(call, name)
    issued = access_keys.create(call.account_id, user)
    shape = metadata_shape(issued.key)
    shape["SecretAccessKey"] = issued.secret_access_key
    return {"AccessKey": shape}


@query_action("iam", "ListAccessKeys")
def list_access_keys(call: Call) -> dict:
    name = _user_name(call)
    params.pagination(call.params)  # bad Marker/MaxItems are refused before anything else
    user = authorized_subject(call, name)
    found = access_keys.owned(call.account_id, user)
    return page(call.params, found, "AccessKeyMetadata", metadata_shape, key=lambda k: k.id)


@query_action("iam", "UpdateAccessKey")
def update_access_key(call: Call) -> None:
    name = _user_name(call)
    key_id = _key_id(call)
    status = params.enum(call.params, "Status", STATUS_VALUES, required=True)
    user = authorized_subject(call, name)
    key = access_keys.get_owned(call.account_id, user, key_id)
    if status not in access_keys.STATUSES:
        raise ClientError("An access key can only be set to Active or Inactive.", code="InvalidInput")
    access_keys.set_status(key, status)


@query_action("iam", "DeleteAccessKey")
def delete_access_key(call: Call) -> None:
    name = _user_name(call)
    key_id = _key_id(call)
    user = authorized_subject(call, name)
    access_keys.delete(access_keys.get_owned(call.account_id, user, key_id))


@query_action("iam", "GetAccessKeyLastUsed")
def get_access_key_last_used(call: Call) -> dict:
    key_id = _key_id(call)
    key = access_keys.find(call.account_id, key_id)
    if key is None:
        # No owner to authorize on: only a caller allowed on every user learns that it does not exist.
        call.authorize(names.arn(call.account_id, "user", "/", "*"))
        raise access_keys.not_found(key_id)
    if key.user is not None:
        authorize_user(call, key.user.name)
    else:
        call.authorize(root_arn(call.account_id))
    if key.last_used_at is None:
        last_used = {"ServiceName": "N/A", "Region": "N/A"}
    else:
        last_used = {
            "LastUsedDate": key.last_used_at, "ServiceName": key.last_used_service, "Region": key.last_used_region,
        }
    return {"UserName": key.user.name if key.user else None, "AccessKeyLastUsed": last_used}
