"""Account settings: the password policy, the account alias, GetAccountSummary. All authorized on `*`, as at AWS."""
from __future__ import annotations

from typing import Any

from idp.aws import params
from idp.aws.api import Call, query_action
from idp.aws.iam.shapes import page
from idp.iam import account_settings

ALIAS_PATTERN = r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$"
_BOOLEAN_SETTINGS = (  # in the API model's order, between MinimumPasswordLength and MaxPasswordAge
    "RequireSymbols", "RequireNumbers", "RequireUppercaseCharacters", "RequireLowercaseCharacters",
    "AllowUsersToChangePassword",
)


class QueryMap(dict):
    """A Query-protocol map (`<entry><key>K</key><value>V</value></entry>` per item).

    `idp.aws.xml` renders a dict's items as child elements; yielding every
    item as an `entry` element gives the map shape botocore and the other
    SDKs parse (GetAccountSummary's SummaryMap).
    """

    def items(self):  # type: ignore[override]
        return [("entry", {"key": key, "value": value}) for key, value in super().items()]


def policy_shape(policy: dict[str, Any]) -> dict:
    """`PasswordPolicy`, with ExpirePasswords derived from MaxPasswordAge as AWS does."""
    shape = {key: policy[key] for key in account_settings.POLICY_DEFAULTS}
    shape["ExpirePasswords"] = "MaxPasswordAge" in policy
    shape.update({key: policy[key] for key in account_settings.POLICY_OPTIONAL if key in policy})
    return shape


@query_action("iam", "UpdateAccountPasswordPolicy")
def update_account_password_policy(call: Call) -> None:
    p = call.params
    # Read in the API model's member order: a request failing several constraints hears of them in it.
    settings: dict[str, Any] = {
        "MinimumPasswordLength": params.integer(p, "MinimumPasswordLength", min_value=6, max_value=128)}
    settings.update({name: params.boolean(p, name) for name in _BOOLEAN_SETTINGS})
    settings["MaxPasswordAge"] = params.integer(p, "MaxPasswordAge", min_value=1, max_value=1095)
    settings["PasswordReusePrevention"] = params.integer(p, "PasswordReusePrevention", min_value=1, max_value=24)
    settings["HardExpiry"] = params.boolean(p, "HardExpiry")
    call.authorize("*")
    account_settings.set_password_policy(call.account_id, settings)


@query_action("iam", "GetAccountPasswordPolicy")
def get_account_password_policy(call: Call) -> dict:
    call.authorize("*")
    return {"PasswordPolicy": policy_shape(account_settings.get_password_policy(call.account_id))}


@query_action("iam", "DeleteAccountPasswordPolicy")
def delete_account_password_policy(call: Call) -> None:
    call.authorize("*")
    account_settings.delete_password_policy(call.account_id)


def _alias(call: Call) -> str:
    return params.string(call.params, "AccountAlias", required=True, min_len=3, max_len=63, pattern=ALIAS_PATTERN)


@query_action("iam", "CreateAccountAlias")
def create_account_alias(call: Call) -> None:
    alias = _alias(call)
    call.authorize("*")
    account_settings.create_alias(call.account_id, alias)


@query_action("iam", "DeleteAccountAlias")
def delete_account_alias(call: Call) -> None:
    alias = _alias(call)
    call.authorize("*")
    account_settings.delete_alias(call.account_id, alias)


@query_action("iam", "ListAccountAliases")
def list_account_aliases(call: Call) -> dict:
    params.pagination(call.params)
    call.authorize("*")
    return page(call.params, account_settings.aliases(call.account_id), "AccountAliases", lambda alias: alias)


@query_action("iam", "GetAccountSummary")
def get_account_summary(call: Call) -> dict:
    call.authorize("*")
    return {"SummaryMap": QueryMap(account_settings.summary(call.account_id))}
