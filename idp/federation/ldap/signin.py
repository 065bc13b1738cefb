"""The password form's directory users: a user name no local user of the account has, tried against the
account's LDAP upstreams in order (`authenticate`, which the login form hands to `idp.signin.passwords`).

The first directory that knows the name decides: its verdict (wrong password,
disabled account, refused user name) ends the attempt. A directory that
answers nothing is skipped and, when no other one knew the name, the verdict
is `directory_unavailable` (audited with the upstreams' names): the form
answers it as a wrong password, because "unavailable" would tell the caller
that the name is not a local user's. One deadline (`DEADLINE_SECONDS`) bounds
the directory work of one attempt, across upstreams and their URLs. An accepted password signs the
directory user in exactly as an OIDC upstream's identity is: the attributes
are the claims (the groups the `groups` claim), the upstream's allow/deny rules
apply, the user is provisioned under `/federated/<upstream>/` on first use and
its mapped groups and tags follow the directory at every sign-in
(`idp.federation.identities`).
"""
from __future__ import annotations

from dataclasses import dataclass

from idp import audit
from idp.errors import DirectoryUnavailable
from idp.federation import identities, registry
from idp.federation.ldap import directory
from idp.federation.ldap.connection import Deadline
from idp.federation.relying_party import UpstreamIdentity
from models.user import User

DEADLINE_SECONDS = 10


@dataclass(frozen=True)
class Verdict:
    """A directory's answer: `user` (signed in) or the reason it was refused, and the upstream that gave it."""

    user: User | None
    reason: str
    upstream: str | None = None


def authenticate(account_id: str, username: str, password: str) -> Verdict | None:
    """The account's directories' verdict on (user name, password): None when the account has no LDAP upstream,
    `directory_unavailable` (audited) when none knew the name and one of them did not answer."""
    upstreams = registry.of_type(account_id, "ldap")
    if not upstreams:
        return None
    if not directory.acceptable_username(username):
        return Verdict(None, "directory_refused_username")
    unavailable = []
    deadline = Deadline.after(DEADLINE_SECONDS)
    for upstream in upstreams:
        try:
            outcome = directory.check_password(upstream.settings or {}, registry.client_secret(upstream), username,
                                               password, deadline)
        except DirectoryUnavailable:
            unavailable.append(upstream.name)
            continue
        if outcome.reason != "unknown_user":
            return _verdict(upstream, outcome)
    if unavailable:
        audit.note("directory_unavailable", decision="Deny", account_id=account_id,
                   detail={"upstreams": unavailable, "username": username[:64]})
        return Verdict(None, "directory_unavailable")
    return Verdict(None, "unknown_user")


def _verdict(upstream, outcome: directory.Outcome) -> Verdict:
    if not outcome.accepted:
        return Verdict(None, f"directory_{outcome.reason}", upstream.name)
    identity = UpstreamIdentity(upstream.name, outcome.claims["sub"], outcome.claims)
    try:
        user = identities.sign_in_once(upstream, identity)
    except identities.SignInRefused:  # audited by the rules' check; the form answers as for a wrong password
        return Verdict(None, "directory_refused_by_rules", upstream.name)
    return Verdict(user, "ok", upstream.name)
