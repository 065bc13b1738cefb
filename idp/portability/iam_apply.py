"""Bringing IAM entities to what an import file says, through the IAM services (so IAM's rules and
policy validation hold exactly as for the API): create or reconcile one entity, or delete it (--prune)."""
from __future__ import annotations

import json

from idp.errors import NotFound, ValidationError
from idp.iam import account_settings, accounts, attachments, boundaries, groups, inline_policies
from idp.iam import instance_profiles, oidc_providers, policies, policy_versions, roles, users
from idp.iam.attachments import HolderKind
from idp.iam.aws_managed import ensure_aws_managed_policies
from idp.iam.tags import Tag
from idp.portability.document import policy_text
from idp.portability.plan import Change


def _tags(entry: dict) -> list[Tag]:
    return [Tag(t["Key"], t["Value"]) for t in entry["tags"]]


def _retag(module, entity, entry: dict) -> None:
    wanted = {t["Key"] for t in entry["tags"]}
    module.untag(entity, [t["Key"] for t in entity.tags or [] if t["Key"] not in wanted])
    module.tag(entity, _tags(entry))


def _boundary(account_id: str, entity, arn: str | None) -> None:
    if boundaries.current_arn(entity) == arn:
        return
    if arn is None:
        boundaries.delete(entity)
    else:
        boundaries.put(entity, policies.get_attachable(account_id, arn))


def _holdings(kind: HolderKind, account_id: str, holder, entry: dict) -> None:
    wanted = set(entry["attached_policies"])
    for policy in list(holder.attached_policies):
        if policy.arn not in wanted:
            attachments.detach(holder, policy.arn)
    for arn in sorted(wanted):
        attachments.attach(kind, holder, policies.get_attachable(account_id, arn))
    for name in inline_policies.names(holder):
        if name not in entry["inline_policies"]:
            inline_policies.delete(kind, holder, name)
    for name, document in sorted(entry["inline_policies"].items()):
        existing = inline_policies.find(holder, name)
        if existing is None or json.loads(existing.document) != document:
            inline_policies.put(kind, holder, name, policy_text(document))


def _unchangeable(change: Change, entity, *fields: str) -> None:
    # AWS has no call that changes these; the import must not invent one.
    for name in fields:
        if name in change.fields and getattr(entity, name) != change.wanted[name]:
            raise ValidationError(f"the {name} of {change.section.word} {change.name} cannot be changed; "
                                  "delete it first (or import with --prune after removing it from the file)")


def account(change: Change) -> list[str]:
    """Create the account (root credentials reported once) or set its alias and password policy."""
    wanted, notices = change.wanted, []
    if change.action == "create":
        no_default = _no_default_account()
        created = accounts.create_account(account_id=wanted["id"], alias=wanted["alias"], is_default=no_default)
        ensure_aws_managed_policies()
        notices.append(f"account {created.account_id}: root access key {created.access_key_id}, secret "
                       f"{created.secret_access_key}, root password {created.root_password} (shown once)")
    elif account_settings.account(wanted["id"]).alias != wanted["alias"]:
        if wanted["alias"] is None:
            account_settings.delete_alias(wanted["id"], account_settings.account(wanted["id"]).alias)
        else:
            account_settings.create_alias(wanted["id"], wanted["alias"])
    if account_settings.password_policy(wanted["id"]) != wanted["password_policy"]:
        if wanted["password_policy"] is None:
            account_settings.delete_password_policy(wanted["id"])
        else:
            account_settings.set_password_policy(wanted["id"], wanted["password_policy"])
    return notices


def _no_default_account() -> bool:
    try:
        accounts.default_account_id()
    except NotFound:  # an empty database: the imported account becomes its default
        return True
    return False


def policy(account_id: str, change: Change) -> None:
    """A customer-managed policy with exactly the file's versions (ids kept) and default."""
    wanted = change.wanted
    found = policies.find_by_arn(account_id, _policy_arn(account_id, wanted))
    versions = {v["version_id"]: policy_text(v["document"]) for v in wanted["versions"]}
    if wanted["default_version"] not in versions:
        raise ValidationError(f"policy {change.name}: default_version {wanted['default_version']} is not a version")
    if found is None:
        first = wanted["versions"][0]
        found = policies.create(account_id, wanted["name"], wanted["path"], versions[first["version_id"]],
                                wanted["description"], _tags(wanted))
        # The service numbers a new policy's first version v1; a fresh row may take the exported id instead.
        found.versions[0].version_id = found.default_version_id = first["version_id"]
        found.last_version_number = int(first["version_id"][1:])
    else:
        _unchangeable(change, found, "path", "description")
        _retag(policies, found, wanted)
    have = {v.version_id: v for v in found.versions}
    for version_id, version in have.items():
        if version_id in versions and json.loads(version.document) != json.loads(versions[version_id]):
            raise ValidationError(f"policy {change.name}: version {version_id} differs from the file, and a "
                                  "policy version cannot change; give the new document a new version id")
        if version_id not in versions and not version.is_default:
            policy_versions.delete(found, version_id)
    for version_id in sorted(set(versions) - set(have), key=lambda v: int(v[1:])):
        number = int(version_id[1:])
        if number <= max(found.last_version_number, *(int(v.version_id[1:]) for v in found.versions)):
            raise ValidationError(f"policy {change.name}: version {version_id} cannot be recreated after a later one")
        found.last_version_number = number - 1  # the service gives the next version this number
        policy_versions.create(found, versions[version_id], set_as_default=False)
    policy_versions.set_default(found, wanted["default_version"])
    for version in list(found.versions):
        if version.version_id not in versions:
            policy_versions.delete(found, version.version_id)


def _policy_arn(account_id: str, wanted: dict) -> str:
    return f"arn:aws:iam::{account_id}:policy{wanted['path']}{wanted['name']}"


def group(account_id: str, change: Change) -> None:
    """A group with its path and policies."""
    wanted = change.wanted
    found = groups.find(account_id, change.name) or groups.create(account_id, change.name, wanted["path"])
    if found.path != wanted["path"]:
        groups.update(found, None, wanted["path"])
    _holdings(attachments.GROUP, account_id, found, wanted)


def user(account_id: str, change: Change) -> None:
    """A user with its path, tags, boundary, memberships and policies (never a credential)."""
    wanted = change.wanted
    found = users.find(account_id, change.name)
    if found is None:
        found = users.create(account_id, change.name, wanted["path"], _tags(wanted))
    elif found.path != wanted["path"]:
        users.update(found, None, wanted["path"])
    _retag(users, found, wanted)
    _boundary(account_id, found, wanted["permissions_boundary"])
    for member_of in list(found.groups):
        if member_of.name not in wanted["groups"]:
            groups.remove_user(member_of, found)
    for name in wanted["groups"]:
        groups.add_user(groups.get(account_id, name), found)
    _holdings(attachments.USER, account_id, found, wanted)


def role(account_id: str, change: Change) -> None:
    """A role with its trust policy, settings, tags, boundary and policies."""
    wanted = change.wanted
    trust = policy_text(wanted["trust_policy"])
    found = roles.find(account_id, change.name)
    if found is None:
        found = roles.create(account_id, change.name, wanted["path"], trust, description=wanted["description"],
                             max_session_duration=wanted["max_session_duration"], tags=_tags(wanted))
    else:
        _unchangeable(change, found, "path")
        roles.update(found, wanted["description"], wanted["max_session_duration"])
        if "trust_policy" in change.fields:
            roles.set_trust_policy(found, trust)
        _retag(roles, found, wanted)
    _boundary(account_id, found, wanted["permissions_boundary"])
    _holdings(attachments.ROLE, account_id, found, wanted)


def instance_profile(account_id: str, change: Change) -> None:
    """An instance profile and the one role it holds."""
    wanted = change.wanted
    found = instance_profiles.find(account_id, change.name)
    if found is None:
        found = instance_profiles.create(account_id, change.name, wanted["path"], _tags(wanted))
    else:
        _unchangeable(change, found, "path")
        _retag(instance_profiles, found, wanted)
    held = found.role.name if found.role else None
    if held != wanted["role"]:
        if found.role is not None:
            instance_profiles.remove_role(found, found.role)
        if wanted["role"] is not None:
            instance_profiles.add_role(found, roles.get(account_id, wanted["role"]))


def oidc_provider(account_id: str, change: Change) -> None:
    """An IAM OIDC provider with exactly the file's client ids, thumbprints and tags."""
    wanted = change.wanted
    found = oidc_providers.find(account_id, oidc_providers.provider_arn(account_id, change.name))
    if found is None:
        host = change.name.split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
        scheme = "http" if host in oidc_providers.LOOPBACK_HOSTS else "https"
        oidc_providers.create(account_id, f"{scheme}://{change.name}", wanted["client_ids"], wanted["thumbprints"],
                              _tags(wanted))
        return
    for client_id in list(found.client_ids):
        if client_id not in wanted["client_ids"]:
            oidc_providers.remove_client_id(found, client_id)
    for client_id in wanted["client_ids"]:
        oidc_providers.add_client_id(found, client_id)
    oidc_providers.update_thumbprints(found, wanted["thumbprints"])
    _retag(oidc_providers, found, wanted)


def delete(account_id: str, change: Change) -> None:
    """Delete an IAM entity the file no longer holds, letting go of its policies, members and role first."""
    word = change.section.word
    if word == "instance-profile":
        found = instance_profiles.get(account_id, change.name)
        if found.role is not None:
            instance_profiles.remove_role(found, found.role)
        instance_profiles.delete(found)
    elif word in ("user", "group", "role"):
        kind = {"user": attachments.USER, "group": attachments.GROUP, "role": attachments.ROLE}[word]
        found = kind.get(account_id, change.name)
        _holdings(kind, account_id, found, {"attached_policies": [], "inline_policies": {}})
        if word == "user":
            for member_of in list(found.groups):
                groups.remove_user(member_of, found)
        if word == "group":
            for member in list(found.users):
                groups.remove_user(found, member)
        {"user": users.delete, "group": groups.delete, "role": roles.delete}[word](found)
    elif word == "policy":
        found = next(p for p, _ in policies.listed(account_id, "Local", "/", False, None) if p.name == change.name)
        for version in list(found.versions):
            if not version.is_default:
                policy_versions.delete(found, version.version_id)
        policies.delete(found)
    elif word == "oidc-provider":
        oidc_providers.delete(oidc_providers.get(account_id, oidc_providers.provider_arn(account_id, change.name)))
