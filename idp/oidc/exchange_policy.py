"""Who may exchange what (RFC 8693): a client-attached IAM policy decided by the shared authorizer.

A client's token-exchange policy is an identity-based IAM policy document
(`idp clients create|update --token-exchange-policy`), parsed by the policy
engine like any other, so it is written, validated and analyzed the same way.
Each target of an exchange (every `audience` and `resource`, or this issuer
when none is named) is one request:

- principal `arn:aws:iam::<account>:oidc-client/<client_id>` (type User, so
  identity-based statements apply; `aws:username` is the client id),
- action `oidc:TokenExchange`,
- resource `arn:aws:oidc::<account>:audience/<target>`,
- condition keys `oidc:SubjectIssuer`, `oidc:SubjectTokenType`,
  `oidc:SubjectClient` (aud/client_id of the subject token), `oidc:SubjectAccount` (the
  account of one of our tokens' subject), `oidc:RequestedTokenType`,
  `oidc:Scope` (multi-valued), `oidc:ActorIssuer` and `oidc:ActorSubject` when
  an actor token is given, and for tokens of IAM OIDC providers the same
  `<provider-url>:sub|aud|amr` keys STS puts in a web identity request.
"""
from __future__ import annotations

from idp.authz.authorizer import decide
from idp.authz.policy_store import refusing_malformed
from idp.authz.principals import Caller, client_arn
from idp.policy import (
    Decision,
    PolicyKind,
    PolicySet,
    PrincipalType,
    RequestPrincipal,
    parse_policy,
)

ACTION = "oidc:TokenExchange"


def audience_arn(account_id: str, target: str) -> str:
    """The resource of one exchange target."""
    return f"arn:aws:oidc::{account_id}:audience/{target}"


def checked_document(document: str, client_id: str) -> str | None:
    """The document as stored once the engine has parsed it (MalformedPolicyDocument otherwise); '' detaches it."""
    if not document.strip():
        return None
    with refusing_malformed("token exchange policy"):
        parse_policy(document, PolicyKind.MANAGED, policy_id=_policy_id(client_id))
    return document


def decide_target(account_id: str, client_id: str, document: str, target: str, context: dict) -> Decision:
    """The shared authorizer's answer for one target of one exchange."""
    policy = parse_policy(document, PolicyKind.MANAGED, policy_id=_policy_id(client_id))
    principal = RequestPrincipal(client_arn(account_id, client_id), account_id, PrincipalType.USER,
                                 user_id=client_id, username=client_id)
    caller = Caller(principal, policies=PolicySet(identity=[policy]))
    return decide(caller, ACTION, audience_arn(account_id, target), context=context)


def _policy_id(client_id: str) -> str:
    return f"oidc-client/{client_id}/token-exchange"
