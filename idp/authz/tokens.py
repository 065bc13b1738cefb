"""Bearer JWTs signed by this IdP -> the caller they stand for.

A token whose `sub` is the unique id (AIDA...) of an IAM user of the account
named by its `account` claim stands for that user: the user's identity
policies apply and its tags become `aws:PrincipalTag/*`. Any other token stands
for a web-identity subject of this IdP's own OIDC provider, which only
resource-based policies can let in; its claims become the condition keys
`<provider-url>:sub`, `:aud`, `:amr`, `:<claim>` as AssumeRoleWithWebIdentity
would carry them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from idp.authz.principals import Caller, user_principal
from idp.keys import verify_own_token
from idp.keys.jwt import ACCESS_TOKEN, InvalidToken
from idp.policy import PrincipalType, RequestPrincipal
from models import db
from models.account import Account
from models.user import User

_ACCOUNT_ID = re.compile(r"\d{12}")
_USER_ID = re.compile(r"AIDA[A-Z0-9]{1,124}")
# Registered claims describe the token, not the subject; they are not condition keys.
_NOT_CONDITION_KEYS = frozenset({"iss", "exp", "nbf", "iat", "jti"})


@dataclass(frozen=True)
class TokenIdentity:
    """The caller a bearer token stands for, and the condition keys it brings."""

    caller: Caller
    context: dict[str, object] = field(default_factory=dict)
    claims: dict = field(default_factory=dict)


def provider_url() -> str:
    """This IdP's issuer as IAM names an OIDC provider: without the scheme."""
    return current_app.config["IDP_SETTINGS"].issuer.split("://", 1)[1]


def _default_account() -> str:
    cached = current_app.extensions.get("idp.default_account")
    if cached is None:
        cached = db.session.scalar(select(Account.id).where(Account.is_default.is_(True))) or ""
        if cached:  # the default account never changes once bootstrapped
            current_app.extensions["idp.default_account"] = cached
    return cached


def identity_for_token(token: str) -> TokenIdentity:
    """Verify a bearer JWT of this issuer (signature, exp/nbf/iat, iss) and resolve its subject."""
    # RFC 9068 section 4: only an access token is a bearer credential; an ID token (typ JWT) is not.
    claims = verify_own_token(token, kind=ACCESS_TOKEN)
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise InvalidToken("token has no subject")
    account = claims.get("account")
    if isinstance(account, str) and _ACCOUNT_ID.fullmatch(account) and _USER_ID.fullmatch(subject):
        user = db.session.scalar(select(User).where(User.user_id == subject, User.account_id == account))
        if user is None:
            # Never fall back to a web identity: the user this token named is gone.
            raise InvalidToken("the user this token was issued to no longer exists")
        return TokenIdentity(Caller(user_principal(user), user_pk=user.id), {}, claims)
    return _web_identity(claims, account if isinstance(account, str) and _ACCOUNT_ID.fullmatch(account) else None)


def _web_identity(claims: dict, account: str | None) -> TokenIdentity:
    url = provider_url()
    account = account or _default_account()
    provider = f"arn:aws:iam::{account}:oidc-provider/{url}"
    principal = RequestPrincipal.of(
        provider, account, PrincipalType.WEB_IDENTITY_USER, user_id=f"{url}:{claims['sub']}", provider=provider
    )
    context: dict[str, object] = {"aws:FederatedProvider": provider}
    for name, value in claims.items():
        if name in _NOT_CONDITION_KEYS:
            continue
        if isinstance(value, (str, int, float, bool)):
            context[f"{url}:{name}"] = value
        elif isinstance(value, list) and all(isinstance(item, (str, int, float, bool)) for item in value):
            context[f"{url}:{name}"] = value
    return TokenIdentity(Caller(principal), context, claims)
