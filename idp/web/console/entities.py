"""What the group and role pages share: keyset pages of a list, and the policies an entity holds.

Attach, detach, put inline and delete inline are the IAM actions `iam:Attach<Kind>Policy`,
`iam:Detach<Kind>Policy`, `iam:Put<Kind>Policy` and `iam:Delete<Kind>Policy` on the entity's ARN, with the
condition keys the Query adapters give them (`iam:PolicyARN`, the entity's `aws:ResourceTag/*`, and for a role
the `iam:PermissionsBoundary` it has now), then the same services (`idp.iam.attachments`,
`idp.iam.inline_policies`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence, TypeVar

from flask import url_for

from idp.aws.iam import names
from idp.aws.iam.inline_policies import POLICY_NAME_MAX
from idp.aws.iam.policies import document
from idp.iam import attachments, boundaries, inline_policies, policies
from idp.iam import tags as tagging
from idp.iam.attachments import GROUP, ROLE, Holder, HolderKind
from idp.web.console import blueprint, fields
from idp.web.console.common import check, console_principal, done, require

PAGE_SIZE = 50
KINDS = {"groups": GROUP, "roles": ROLE}
Item = TypeVar("Item")


@dataclass(frozen=True)
class KeysetPage:
    """One page of a list ordered by a unique key: its items and the key the next page starts after."""

    items: list
    next_after: str | None


def keyset_page(fetch: Callable[[str | None, int], Sequence[Item]], after: str | None,
                key: Callable[[Item], str], size: int = PAGE_SIZE) -> KeysetPage:
    """The `size` items after the key `after`: `fetch(after, limit)` reads them in key order (a range read of an
    index for groups and roles, never OFFSET); one more tells whether a next page exists."""
    chosen = list(fetch(after, size + 1))
    more = len(chosen) > size
    chosen = chosen[:size]
    return KeysetPage(chosen, key(chosen[-1]) if more else None)


def next_url(endpoint: str, page: KeysetPage, **values) -> str | None:
    """The "Next page" link of a keyset page (None on the last page)."""
    if page.next_after is None:
        return None
    return url_for(endpoint, after=page.next_after, **{k: v for k, v in values.items() if v})


@dataclass(frozen=True)
class Holdings:
    """The policies an entity holds, as its page shows them; a part the principal may not list has a reason."""

    attached: list
    attached_refused: str | None
    inline: list[tuple[str, str]]
    inline_refused: str | None


def holdings(kind: HolderKind, holder: Holder) -> Holdings:
    """Attached and inline policies, each read only when `iam:ListAttached<Kind>Policies` / `List<Kind>Policies`
    (and `Get<Kind>Policy` for the documents) allow it."""
    keys = tagging.resource_keys(getattr(holder, "tags", None))
    attached_refused = check(f"iam:ListAttached{kind.title}Policies", holder.arn, keys)
    attached = attachments.attached(holder, "/") if attached_refused is None else []
    inline_refused = check(f"iam:List{kind.title}Policies", holder.arn, keys) or check(
        f"iam:Get{kind.title}Policy", holder.arn, keys)
    inline = [] if inline_refused else [(policy.name, policy.document) for policy in
                                        sorted(holder.inline_policies, key=lambda p: p.name)]
    return Holdings(attached, attached_refused, inline, inline_refused)


def _holder(section: str, name: str) -> tuple[HolderKind, Holder | None]:
    kind = KINDS[section]
    return kind, kind.find(console_principal().account_id, name)


def _require_on_holder(action: str, kind: HolderKind, holder: Holder | None, name: str,
                       context: dict | None = None) -> Holder:
    """Authorize `action` on the holder as `authorize_on_holder` of the Query adapters does; then the holder."""
    account_id = console_principal().account_id
    keys = {**(context or {}), **tagging.resource_keys(getattr(holder, "tags", None))}
    if kind is not GROUP and holder is not None:
        keys.update(boundaries.condition_keys(boundaries.current_arn(holder)))
    require(action, holder.arn if holder else kind.resource_arn(account_id, name), keys)
    return holder if holder is not None else kind.get(account_id, name)


@blueprint.post("/<any(groups, roles):section>/<name>/attached")
def attach_policy(section: str, name: str):
    """Attach a managed policy (`iam:Attach<Kind>Policy`)."""
    kind, holder = _holder(section, name)
    policy_arn = names.policy_arn(fields.form())
    holder = _require_on_holder(f"iam:Attach{kind.title}Policy", kind, holder, name, {"iam:PolicyARN": policy_arn})
    attachments.attach(kind, holder, policies.get_attachable(console_principal().account_id, policy_arn))
    return done()


@blueprint.post("/<any(groups, roles):section>/<name>/attached/remove")
def detach_policy(section: str, name: str):
    """Detach a managed policy (`iam:Detach<Kind>Policy`)."""
    kind, holder = _holder(section, name)
    policy_arn = names.policy_arn(fields.form())
    holder = _require_on_holder(f"iam:Detach{kind.title}Policy", kind, holder, name, {"iam:PolicyARN": policy_arn})
    attachments.detach(holder, policy_arn)
    return done()


@blueprint.post("/<any(groups, roles):section>/<name>/inline")
def put_inline_policy(section: str, name: str):
    """Add or replace an inline policy (`iam:Put<Kind>Policy`), checked as the API checks it."""
    kind, holder = _holder(section, name)
    form = fields.form()
    policy_name, text = names.name(form, "PolicyName", max_len=POLICY_NAME_MAX), document(form)
    holder = _require_on_holder(f"iam:Put{kind.title}Policy", kind, holder, name)
    inline_policies.put(kind, holder, policy_name, text)
    return done()


@blueprint.post("/<any(groups, roles):section>/<name>/inline/remove")
def delete_inline_policy(section: str, name: str):
    """Delete an inline policy (`iam:Delete<Kind>Policy`)."""
    kind, holder = _holder(section, name)
    policy_name = names.name(fields.form(), "PolicyName", max_len=POLICY_NAME_MAX)
    holder = _require_on_holder(f"iam:Delete{kind.title}Policy", kind, holder, name)
    inline_policies.delete(kind, holder, policy_name)
    return done()
