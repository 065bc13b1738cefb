"""CreateSAMLProvider, GetSAMLProvider, ListSAMLProviders, UpdateSAMLProvider, DeleteSAMLProvider,
Tag/Untag/ListSAMLProviderTags."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from idp.aws import params
from idp.aws.api import Call, query_action
from idp.aws.iam.shapes import page
from idp.aws.validation import refuse_later
from idp.errors import ValidationError
from idp.iam import saml_providers
from idp.iam import tags as tagging

if TYPE_CHECKING:
    from models.saml import SamlProvider

ARN_PATTERN = re.compile(r"arn:aws:iam::\d{12}:saml-provider/[\w._-]{1,128}", re.ASCII)


def _arn(call: Call) -> str:
    value = params.string(call.params, "SAMLProviderArn", required=True, min_len=20, max_len=2048)
    if not ARN_PATTERN.fullmatch(value):
        refuse_later(ValidationError(f"ARN {value} is not valid.", code="InvalidInput"))
    return value


def _document(call: Call) -> str:
    # The 1,000-character minimum is the service's InvalidInput, not the parameter's ValidationError (as at AWS).
    return params.string(call.params, "SAMLMetadataDocument", required=True, min_len=1,
                         max_len=saml_providers.MAX_DOCUMENT)


def _authorized(call: Call, arn: str, context: dict | None = None) -> SamlProvider:
    """Authorize on the provider's ARN (with its resource tags), then fetch it or raise NoSuchEntity."""
    provider = saml_providers.find(call.account_id, arn)
    keys = {**(context or {}), **tagging.resource_keys(provider.tags if provider else None)}
    call.authorize(arn, context=keys)
    return saml_providers.get(call.account_id, arn)


@query_action("iam", "CreateSAMLProvider")
def create_saml_provider(call: Call) -> dict:
    p = call.params
    document = _document(call)
    name = params.string(p, "Name", required=True, min_len=1, max_len=128)
    new_tags = params.tags(p)
    call.authorize(saml_providers.provider_arn(call.account_id, name), context=tagging.request_keys(new_tags))
    provider = saml_providers.create(call.account_id, name, document, new_tags)
    return {"SAMLProviderArn": provider.arn, "Tags": provider.tags or None}


@query_action("iam", "GetSAMLProvider")
def get_saml_provider(call: Call) -> dict:
    provider = _authorized(call, _arn(call))
    return {"SAMLMetadataDocument": provider.metadata_document, "CreateDate": provider.created_at,
            "ValidUntil": provider.valid_until, "Tags": provider.tags or None}


@query_action("iam", "ListSAMLProviders")
def list_saml_providers(call: Call) -> dict:
    # No resource-level permission at AWS: the policy must allow "*".
    call.authorize("*")
    return {"SAMLProviderList": [{"Arn": p.arn, "ValidUntil": p.valid_until, "CreateDate": p.created_at}
                                 for p in saml_providers.listed(call.account_id)]}


@query_action("iam", "UpdateSAMLProvider")
def update_saml_provider(call: Call) -> dict:
    arn, document = _arn(call), _document(call)
    provider = _authorized(call, arn)
    saml_providers.update(provider, document)
    return {"SAMLProviderArn": provider.arn}


@query_action("iam", "DeleteSAMLProvider")
def delete_saml_provider(call: Call) -> None:
    saml_providers.delete(_authorized(call, _arn(call)))


@query_action("iam", "TagSAMLProvider")
def tag_saml_provider(call: Call) -> None:
    arn = _arn(call)
    new_tags = params.tags_to_add(call.params)
    saml_providers.tag(_authorized(call, arn, tagging.request_keys(new_tags)), new_tags)


@query_action("iam", "UntagSAMLProvider")
def untag_saml_provider(call: Call) -> None:
    arn = _arn(call)
    keys = params.tag_keys_to_remove(call.params)
    saml_providers.untag(_authorized(call, arn, tagging.tag_keys_only(keys)), keys)


@query_action("iam", "ListSAMLProviderTags")
def list_saml_provider_tags(call: Call) -> dict:
    arn = _arn(call)
    params.pagination(call.params)
    provider = _authorized(call, arn)
    return page(call.params, provider.tags or [], "Tags", lambda tag: tag)
