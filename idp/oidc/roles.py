"""The `roles` claim: exactly the roles this token's subject may assume with AssumeRoleWithWebIdentity.

Derived, not configured. The claims of the ID token about to be issued are
signed (without `roles`) and put through the same verification STS applies
(`idp.sts.web_identity.verify_web_identity`: provider, client-id list,
signature, times), then each candidate role's trust policy is evaluated by
the shared engine (`idp.sts.trust.trust_policy` + `evaluate_trust`) with the
condition keys that verification produced. Candidates are the roles of every
account whose IAM provider for this issuer lists the client as an audience,
and whose trust policy names that provider or any principal, so a subject with
many roles only carries those trusting this client.

Accounts are a boundary here as at sign-in: a provider of an account other
than the subject's accepts the token only through a client of its own account
that admits the subject's account (`idp.sts.web_identity.web_identity_admitted`,
applied inside `verify_web_identity`, so this claim and STS cannot disagree),
and the subject's account is the condition key `<provider-url>:account`.

Not knowable here, so not part of the decision: the `RoleSessionName`,
source address and user agent of the later STS call.
"""
from __future__ import annotations

from sqlalchemy import or_, select

from idp.authz.context import time_keys
from idp.authz.tokens import provider_url
from idp.errors import ClientError
from idp.keys import sign_token
from idp.policy import RequestContext, evaluate_trust
from idp.sts.trust import trust_policy
from idp.sts.web_identity import verify_web_identity
from models import db
from models.oidc_provider import OidcProvider
from models.role import Role

ACTION = "sts:AssumeRoleWithWebIdentity"


def assumable_roles(claims: dict, client_id: str, alg: str) -> list[str]:
    """Role ARNs whose trust policy allows AssumeRoleWithWebIdentity with a token carrying `claims`."""
    accounts = _accounts_trusting(client_id)
    if not accounts:
        return []
    probe = sign_token({k: v for k, v in claims.items() if k != "roles"}, alg)
    now_keys = time_keys()
    found: list[str] = []
    for account_id, provider_arn in accounts:
        try:
            identity = verify_web_identity(probe, account_id)
        except ClientError:
            continue
        for role in _candidates(account_id, provider_arn):
            request = RequestContext(identity.principal(account_id), ACTION, role.arn,
                                     {**now_keys, **identity.trust_context})
            if evaluate_trust(request, trust_policy(role), None).allowed:
                found.append(role.arn)
    return sorted(found)


def _accounts_trusting(client_id: str) -> list[tuple[str, str]]:
    """(account, provider ARN) of each IAM provider for this issuer whose client-id list has the client."""
    rows = db.session.execute(select(OidcProvider.account_id, OidcProvider.arn, OidcProvider.client_ids)
                              .where(OidcProvider.url == provider_url()))
    return [(account, arn) for account, arn, client_ids in rows if client_id in (client_ids or [])]


def _candidates(account_id: str, provider_arn: str) -> list[Role]:
    # A cheap textual filter; the engine makes the decision.
    return list(db.session.scalars(select(Role).where(
        Role.account_id == account_id,
        or_(Role.trust_policy.contains(provider_arn), Role.trust_policy.contains('"*"')),
    ).order_by(Role.id)))
