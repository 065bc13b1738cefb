"""CreateOpenIDConnectProvider, GetOpenIDConnectProvider, ListOpenIDConnectProviders, DeleteOpenIDConnectProvider,
Add/RemoveClientID..., UpdateOpenIDConnectProviderThumbprint, Tag/Untag/ListOpenIDConnectProviderTags."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from idp.aws import params
from idp.aws.api import Call, query_action
from idp.aws.iam.shapes import page
from idp.aws.validation import refuse_later
from idp.errors import ValidationError
from idp.iam import oidc_providers
from idp.iam import tags as tagging

if TYPE_CHECKING:
    from models.oidc_provider import OidcProvider

ARN_PATTERN = re.compile(r"arn:aws:iam::\d{12}:oidc-provider/\S+", re.ASCII)


def _arn(call: Call) -> str:
    value = params.string(call.params, "OpenIDConnectProviderArn", required=True, min_len=20, max_len=2048)
    if not ARN_PATTERN.fullmatch(value):
        refuse_later(ValidationError(f"ARN {value} is not valid.", code="InvalidInput"))
    return value


def _client_id(call: Call) -> str:
    return params.string(call.params, "ClientID", required=True, min_len=1, max_len=255)


def _thumbprints(call: Call, *, required: bool = False) -> list[str]:
    return params.member_list(call.params, "ThumbprintList", required=required, min_len=40, max_len=40)


def _authorized(call: Call, arn: str, context: dict | None = None) -> OidcProvider:
    """Authorize on the provider's ARN (with its resource tags), then fetch it or raise NoSuchEntity."""
    provider = oidc_providers.find(call.account_id, arn)
    keys = {**(context or {}), **tagging.resource_keys(provider.tags if provider else None)}
    call.authorize(arn, context=keys)
    return oidc_providers.get(call.account_id, arn)


def provider_shape(provider: OidcProvider) -> dict:
    """GetOpenIDConnectProvider's result: the URL without its scheme, as AWS answers it."""
    return {
        "Url": provider.url, "ClientIDList": list(provider.client_ids), "ThumbprintList": list(provider.thumbprints),
        "CreateDate": provider.created_at, "Tags": provider.tags or None,
    }


@query_action("iam", "CreateOpenIDConnectProvider")
def create_open_id_connect_provider(call: Call) -> dict:
    p = call.params
    url = params.string(p, "Url", required=True, min_len=1, max_len=255)
    client_ids = params.member_list(p, "ClientIDList", min_len=1, max_len=255)
    thumbprints = _thumbprints(call)
    new_tags = params.tags(p)
    arn = oidc_providers.provider_arn(call.account_id, oidc_providers.stored_url(url))
    call.authorize(arn, context=tagging.request_keys(new_tags))
    provider = oidc_providers.create(call.account_id, url, client_ids, thumbprints, new_tags)
    return {"OpenIDConnectProviderArn": provider.arn, "Tags": provider.tags or None}


@query_action("iam", "GetOpenIDConnectProvider")
def get_open_id_connect_provider(call: Call) -> dict:
    return provider_shape(_authorized(call, _arn(call)))


@query_action("iam", "ListOpenIDConnectProviders")
def list_open_id_connect_providers(call: Call) -> dict:
    # No resource-level permission at AWS: the policy must allow "*".
    call.authorize("*")
    return {"OpenIDConnectProviderList": [{"Arn": p.arn} for p in oidc_providers.listed(call.account_id)]}


@query_action("iam", "DeleteOpenIDConnectProvider")
def delete_open_id_connect_provider(call: Call) -> None:
    arn = _arn(call)
    provider = oidc_providers.find(call.account_id, arn)
    call.authorize(arn, context=tagging.resource_keys(provider.tags if provider else None))
    # Idempotent, as at AWS: deleting a provider that is not there is not an error.
    if provider is not None:
        oidc_providers.delete(provider)


@query_action("iam", "AddClientIDToOpenIDConnectProvider")
def add_client_id_to_open_id_connect_provider(call: Call) -> None:
    arn, client_id = _arn(call), _client_id(call)
    oidc_providers.add_client_id(_authorized(call, arn), client_id)


@query_action("iam", "RemoveClientIDFromOpenIDConnectProvider")
def remove_client_id_from_open_id_connect_provider(call: Call) -> None:
    arn, client_id = _arn(call), _client_id(call)
    oidc_providers.remove_client_id(_authorized(call, arn), client_id)


@query_action("iam", "UpdateOpenIDConnectProviderThumbprint")
def update_open_id_connect_provider_thumbprint(call: Call) -> None:
    arn, thumbprints = _arn(call), _thumbprints(call, required=True)
    oidc_providers.update_thumbprints(_authorized(call, arn), thumbprints)


@query_action("iam", "TagOpenIDConnectProvider")
def tag_open_id_connect_provider(call: Call) -> None:
    arn = _arn(call)
    new_tags = params.tags_to_add(call.params)
    oidc_providers.tag(_authorized(call, arn, tagging.request_keys(new_tags)), new_tags)


@query_action("iam", "UntagOpenIDConnectProvider")
def untag_open_id_connect_provider(call: Call) -> None:
    arn = _arn(call)
    keys = params.tag_keys_to_remove(call.params)
    oidc_providers.untag(_authorized(call, arn, tagging.tag_keys_only(keys)), keys)


@query_action("iam", "ListOpenIDConnectProviderTags")
def list_open_id_connect_provider_tags(call: Call) -> dict:
    arn = _arn(call)
    params.pagination(call.params)
    provider = _authorized(call, arn)
    return page(call.params, provider.tags or [], "Tags", lambda tag: tag)
