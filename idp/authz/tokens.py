"""Bearer access tokens of this IdP -> the bounded session they stand for.

A bearer token is accepted only for a named audience: the caller (a resource
server) says which registered API it is, and that identifier must be in the
token's `aud` (RFC 8707, RFC 9068 4). The token must be live
(`idp.authz.liveness.check_live`). Its authority is then bounded by the
policies of its granted scopes that this API defines, evaluated like the
session policy of an assumed-role session:

- a token whose `sub` is the unique id (AIDA...) of an IAM user of the account
  named by its `account` claim stands for that user: the user's identity
  policies and boundary apply, the scopes' policies are its session policies,
  and the user's tags become `aws:PrincipalTag/*`;
- a client credentials token (`sub` = `client_id`) stands for the client,
  `arn:aws:iam::<account>:oidc-client/<client_id>`, whose identity policies
  are exactly its granted scopes' policies;
- any other token stands for a web-identity subject of this IdP's own OIDC
  provider, which only resource-based policies can let in; its claims become
  the condition keys `<provider-url>:sub`, `:aud`, `:amr`, `:<claim>` as
  AssumeRoleWithWebIdentity would carry them: only the claims this IdP
  asserts itself (`trusted_claims`, the one rule for both).

Whatever the subject, `bound` holds the scopes' policies: the authorizer
refuses anything they do not allow, even what a resource-based policy naming
the principal would allow on its own (`idp.authz.authorizer.decide`). A token
with no scope of this API has no authority over it. Every bearer request also
carries `oidc:ClientId`, `oidc:Scope` (multi-valued) and `oidc:Audience`.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from idp.authz.liveness import BOUND_JTI_CLAIM, check_live
from idp.authz.policy_store import parsed, policies_for_user
from idp.authz.principals import Caller, client_arn, user_principal
from idp.keys import verify_own_token
from idp.keys.jwt import ACCESS_TOKEN, InvalidToken
from idp.policy import Policy, PolicyKind, PolicySet, PrincipalType, RequestPrincipal
from models import db
from models.account import Account
from models.api_resource import ApiResource
from models.oauth_client import OAuthClient, admits
from models.user import User

_ACCOUNT_ID = re.compile(r"\d{12}")
_USER_ID = re.compile(r"AIDA[A-Z0-9]{1,124}")
# Registered claims describe the token, not the subject; they are not condition keys.
_NOT_CONDITION_KEYS = frozenset({"iss", "exp", "nbf", "iat", "jti"})
# Claims of our own tokens that this IdP asserts, never the user: registered and session claims, the account, the
# groups, the IAM user name, the grant. `email` joins them only while `email_verified` is true (`trusted_claims`).
IDP_ASSERTED_CLAIMS = frozenset({
    "iss", "sub", "aud", "azp", "exp", "nbf", "iat", "jti", "auth_time", "acr", "amr", "sid", "at_hash", "gid",
    "account", "groups", "preferred_username", "email_verified", "client_id", "scope", "subject_issuer",
    BOUND_JTI_CLAIM,
})
MAX_AUDIENCE = 2048
# Condition keys every bearer request carries (catalogued in idp/analyzer/catalog/oidc.json).
CLIENT_ID_KEY, SCOPE_KEY, AUDIENCE_KEY = "oidc:ClientId", "oidc:Scope", "oidc:Audience"
# A token with no scope of the API: a session policy that allows nothing.
_NOTHING = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"*","Resource":"*"}]}'


class WrongAudience(InvalidToken):
    """A bearer token presented without an audience, or for one its `aud` does not name; `claims` are verified."""

    def __init__(self, message: str, claims: dict | None = None):
        super().__init__(message)
        self.claims = claims or {}


@dataclass(frozen=True)
class TokenIdentity:
    """The caller a bearer token stands for, the condition keys it brings, and the bound of its scopes."""

    caller: Caller
    context: dict[str, object] = field(default_factory=dict)
    claims: dict = field(default_factory=dict)
    bound: PolicySet | None = None


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


def verified_claims(token: str, audience: object) -> dict:
    """The claims of a live access token of this issuer whose `aud` names `audience`; InvalidToken otherwise."""
    # RFC 9068 section 4: only an access token is a bearer credential; an ID token (typ JWT) is not.
    claims = verify_own_token(token, kind=ACCESS_TOKEN)
    if not isinstance(audience, str) or not audience or len(audience) > MAX_AUDIENCE:
        raise WrongAudience("a bearer token is accepted only for a named audience (the API's identifier)", claims)
    aud = claims.get("aud")
    if audience not in ([aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []):
        raise WrongAudience(f"the token's audience does not include {audience}", claims)
    check_live(claims)
    return claims


def identity_for_token(token: str, audience: object) -> TokenIdentity:
    """Verify a bearer access token for the API `audience` and resolve the bounded session it stands for."""
    claims = verified_claims(token, audience)
    api = db.session.scalar(select(ApiResource).where(ApiResource.identifier == audience))
    if api is None:
        raise WrongAudience(f"{audience} is not a registered API", claims)
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise InvalidToken("token has no subject")
    scopes = _live_scopes(claims)
    limits = scope_policies(api, scopes)
    bound = PolicySet(session=limits)
    keys: dict[str, object] = {CLIENT_ID_KEY: str(claims.get("client_id", "")), SCOPE_KEY: scopes,
                               AUDIENCE_KEY: api.identifier}
    account = claims.get("account")
    account = account if isinstance(account, str) and _ACCOUNT_ID.fullmatch(account) else None
    if account is not None and _USER_ID.fullmatch(subject):
        user = db.session.scalar(select(User).where(User.user_id == subject, User.account_id == account))
        if user is None:
            # Never fall back to a web identity: the user this token named is gone.
            raise InvalidToken("the user this token was issued to no longer exists")
        base = policies_for_user(user.id, user.account_id, user.arn)
        policies = PolicySet(identity=base.identity.policies, boundary=base.boundary.policies, session=limits)
        return TokenIdentity(Caller(user_principal(user), user_pk=user.id, policies=policies), keys, claims, bound)
    if account is not None and subject == claims.get("client_id") and "gid" not in claims:
        identity = scope_policies(api, scopes, PolicyKind.MANAGED)
        return TokenIdentity(_client_caller(account, subject, identity), keys, claims, bound)
    identity = _web_identity(claims, account)
    return TokenIdentity(identity.caller, {**identity.context, **keys}, claims, bound)


def scope_policies(api: ApiResource, scopes: list[str], kind: PolicyKind = PolicyKind.SESSION) -> list[Policy]:
    """The documents of the token's scopes that the API defines (one allowing nothing if none), parsed as `kind`."""
    wanted = set(scopes)
    found = [parsed(text, kind, f"{api.identifier}#{name}") for name, text in (api.scopes or {}).items()
             if name in wanted]
    return found or [parsed(_NOTHING, kind, f"{api.identifier}#no-scope")]


def _live_scopes(claims: dict) -> list[str]:
    """The token's scopes that its client still holds; InvalidToken when the client is gone or disabled, or no
    longer admits the account of the token's subject (an operator narrowed it: its grants end at once)."""
    client = db.session.execute(select(OAuthClient.account_id, OAuthClient.admitted_accounts, OAuthClient.enabled,
                                       OAuthClient.scopes).where(OAuthClient.client_id == claims.get("client_id"))
                                ).first()
    if client is None or not client.enabled:
        raise InvalidToken("the client this token was issued to no longer exists or is disabled")
    account = claims.get("account")
    if isinstance(account, str) and not admits(client, account):
        raise InvalidToken(f"the client this token was issued to no longer admits account {account}")
    scope = claims.get("scope")
    held = set(client.scopes or ())
    return [s for s in dict.fromkeys(scope.split()) if s in held] if isinstance(scope, str) else []


def _client_caller(account: str, client_id: str, identity: list[Policy]) -> Caller:
    client = db.session.scalar(select(OAuthClient.enabled).where(OAuthClient.client_id == client_id,
                                                                 OAuthClient.account_id == account))
    if not client:
        raise InvalidToken("the client this token was issued to no longer exists or is disabled")
    principal = RequestPrincipal.of(client_arn(account, client_id), account, PrincipalType.USER,
                                    user_id=client_id, username=client_id)
    return Caller(principal, policies=PolicySet(identity=identity))


def trusted_claims(claims: Mapping[str, object]) -> dict[str, object]:
    """The claims of one of our own tokens that may become condition keys: those this IdP asserts itself.

    A user writes their own `name`, `given_name`, ... and an unproven `email` (`idp.iam.profiles`); no
    policy may match on them, at STS (`idp.sts.web_identity`, and so the derived `roles` claim) or here.
    `email` counts only when `email_verified` is true.
    """
    trusted = {name: value for name, value in claims.items() if name in IDP_ASSERTED_CLAIMS}
    if claims.get("email_verified") is True and "email" in claims:
        trusted["email"] = claims["email"]
    return trusted


def _web_identity(claims: dict, account: str | None) -> TokenIdentity:
    url = provider_url()
    account = account or _default_account()
    provider = f"arn:aws:iam::{account}:oidc-provider/{url}"
    principal = RequestPrincipal.of(
        provider, account, PrincipalType.WEB_IDENTITY_USER, user_id=f"{url}:{claims['sub']}", provider=provider
    )
    context: dict[str, object] = {"aws:FederatedProvider": provider}
    for name, value in trusted_claims(claims).items():
        if name in _NOT_CONDITION_KEYS:
            continue
        if isinstance(value, (str, int, float, bool)):
            context[f"{url}:{name}"] = value
        elif isinstance(value, list) and all(isinstance(item, (str, int, float, bool)) for item in value):
            context[f"{url}:{name}"] = value
    return TokenIdentity(Caller(principal), context, claims)
