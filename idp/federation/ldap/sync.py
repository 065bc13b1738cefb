"""The periodic directory sync (a housekeeping job): memberships the directory removed are removed here
between sign-ins.

For every enabled LDAP upstream, each linked identity's entry is read with the
service bind (by the DN of its last sign-in) and its groups mapped as a
sign-in would map them; a membership the mapping granted and no longer grants
is removed. An entry that is gone or disabled, or whose DN now names an entry
with another subject (a new person given a former one's name), keeps none, and
its user's browser sessions end with the refresh tokens and grants made in them
(`idp.iam.login_profiles.revoke_browser_sessions`). Nothing is added:
a new membership waits for the next sign-in, which proves the password.
Memberships an administrator made are never touched. A directory that does
not answer is skipped and counted.
"""
from __future__ import annotations

from sqlalchemy import select

from idp import audit
from idp.authz.policy_store import bump_authz_version
from idp.errors import DirectoryUnavailable
from idp.federation import mapping, registry
from idp.federation.ldap import directory
from idp.iam import groups as iam_groups
from idp.iam import login_profiles
from models import db
from models.federation import FederatedIdentity, UpstreamProvider


def sync_all(actor: str) -> dict[str, int]:
    """One pass over every enabled LDAP upstream: how many identities were checked, memberships removed,
    sessions ended and directories unavailable. Not committed."""
    report = {"checked": 0, "groups_removed": 0, "sessions_ended": 0, "unavailable": 0}
    for upstream in registry.listed():
        if upstream.type == "ldap" and upstream.enabled:
            _sync(upstream, actor, report)
    return report


def _sync(upstream: UpstreamProvider, actor: str, report: dict[str, int]) -> None:
    links = [link for link in db.session.scalars(select(FederatedIdentity).where(
        FederatedIdentity.upstream_id == upstream.id).order_by(FederatedIdentity.id))
        if isinstance((link.last_claims or {}).get("dn"), str)]
    if not links:
        return
    try:
        current = directory.current_entries(upstream.settings or {}, registry.client_secret(upstream),
                                            [link.last_claims["dn"] for link in links])
    except DirectoryUnavailable:
        report["unavailable"] += 1
        audit.record("directory_sync_failed", actor=actor, resource=upstream.name, decision="Deny",
                     account_id=upstream.account_id, detail={"upstream": upstream.name})
        return
    for link in links:
        report["checked"] += 1
        entry = current[link.last_claims["dn"]]
        # The DN now names another entry (a new person given an old name): the linked one is gone.
        groups = entry.groups if entry is not None and entry.subject == link.subject else None
        _follow(upstream, link, groups, actor, report)


def _follow(upstream: UpstreamProvider, link: FederatedIdentity, groups: list[str] | None, actor: str,
            report: dict[str, int]) -> None:
    """Remove the managed memberships the directory's groups no longer map to; an entry that is gone or disabled
    (`groups` None) keeps none and its user's browser sessions end, with the grants made in them."""
    claims = {**(link.last_claims or {}), "groups": groups or []}
    wanted = set(mapping.groups(upstream.mappings or {}, claims)) if groups is not None else set()
    removed = [group for group in list(link.user.groups)
               if group.group_id in set(link.managed_groups) and group.name not in wanted]
    for group in removed:
        iam_groups.remove_user(group, link.user)
    ended = login_profiles.revoke_browser_sessions(link.user.id) if groups is None else 0
    if not removed and not ended:
        return
    if removed:
        link.managed_groups = sorted(set(link.managed_groups) - {group.group_id for group in removed})
        link.last_claims = claims
        bump_authz_version(upstream.account_id)
    report["groups_removed"] += len(removed)
    report["sessions_ended"] += ended
    audit.record("directory_synced", actor=actor, resource=link.user.arn, decision="Allow",
                 account_id=upstream.account_id,
                 detail={"upstream": upstream.name, "subject": link.subject,
                         "groups_removed": [group.name for group in removed], "sessions_ended": ended,
                         "entry": "gone or disabled" if groups is None else "present"})
