"""Accounts are a boundary: which accounts' principals a client may sign in, and where that is asked.

A client signs in the principals of its own account only, unless an operator
registered it as multi-account (`idp clients create --multi-account ID|*`,
stored in `oauth_clients.admitted_accounts`: None = own account only, `["*"]`
= every account, else a list of account ids). Dynamic registration never sets
it. The one rule is `admits`; every place a principal meets a client asks it
through `require`: the authorization endpoint (and so the consent answer and
upstream federation, whose sign-ins end there), the device verification page,
token exchange (the subject token's account) and the redemption of codes,
device codes and refresh tokens (an operator may narrow the list later).

The same boundary holds at STS: `idp.sts.web_identity.web_identity_admitted`
says whether one of our tokens is accepted by an IAM OIDC provider of another
account than its subject's (AssumeRoleWithWebIdentity, and so the derived
`roles` claim).
"""
from __future__ import annotations

from idp import audit
from idp.errors import AccessDenied
from idp.oidc.errors import InvalidClientMetadata
from models.oauth_client import ANY_ACCOUNT, OAuthClient, admits  # noqa: F401 (the rule lives with the model)


class AccountNotAdmitted(AccessDenied):
    """The principal's account is not one the client signs in (OAuth `access_denied`)."""

    def __init__(self, client_id: str, account_id: str):
        super().__init__(f"This application does not sign in principals of account {account_id}; "
                         "sign in with an account of the application's own, or one it admits.")
        self.client_id = client_id
        self.account_id = account_id


def require(client, account_id: str | None, *, actor: str | None, surface: str) -> None:
    """AccountNotAdmitted unless `admits`; the refusal is audited even when the request's work is rolled back."""
    if admits(client, account_id):
        return
    audit.note("oauth:AccountNotAdmitted", actor=actor, resource=client.client_id, decision="Deny",
               account_id=account_id if isinstance(account_id, str) else None,
               detail={"surface": surface, "client_account": client.account_id})
    raise AccountNotAdmitted(client.client_id, str(account_id))


def checked_accounts(values: list[str] | tuple[str, ...] | None, own_account: str) -> list[str] | None:
    """The stored form of `--multi-account` values: None (own account only), ["*"], or account ids."""
    if values is None:
        return None
    wanted = list(dict.fromkeys(v.strip() for v in values))
    if ANY_ACCOUNT in wanted:
        return [ANY_ACCOUNT]
    for value in wanted:
        if not (len(value) == 12 and value.isdigit()):
            raise InvalidClientMetadata("{admitted_accounts} takes a 12-digit account id or '*', not {value}",
                                        field="admitted_accounts", value=repr(value))
    others = [v for v in wanted if v != own_account]
    return others or None
