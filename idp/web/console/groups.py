"""`/console/groups`: the account's groups (keyset pages), create, and one group's page: members, attached and
inline policies, delete.

Each read and write is the IAM action the Query API asks for it, on the same resource (`iam:ListGroups` on
`arn:...:group<prefix>*`, `iam:CreateGroup` on the new group's ARN, `iam:GetGroup`, `iam:AddUserToGroup`,
`iam:RemoveUserFromGroup`, `iam:DeleteGroup` on the group's), then the same service (`idp.iam.groups`).
Policies held are `idp.web.console.entities`.
"""
from __future__ import annotations

from flask import request

from idp.aws.iam import names
from idp.aws.iam.groups import GROUP_NAME_MAX
from idp.iam import groups, users
from idp.iam.attachments import GROUP
from idp.web.console import blueprint, entities, fields
from idp.web.console.common import arn_for, console_principal, done, render, require
from idp.web.console.policies import draft_findings


@blueprint.get("/groups")
def groups_list() -> str:
    """The account's groups under a path prefix, a page at a time (`?after=<name>`)."""
    account_id = console_principal().account_id
    prefix = names.path_prefix({"PathPrefix": request.args["prefix"]} if request.args.get("prefix") else {})
    require("iam:ListGroups", arn_for("group", "*", prefix))
    page = entities.keyset_page(
        lambda after, limit: groups.listed(account_id, prefix, after=after and after.lower(), limit=limit),
        request.args.get("after"), key=lambda group: group.name_lower)
    return render("console/groups.html", title="Groups", page=page, prefix=prefix,
                  next_url=entities.next_url("console.groups_list", page, prefix=prefix if prefix != "/" else None))


@blueprint.post("/groups")
def create_group():
    """Create a group (`iam:CreateGroup` on its ARN)."""
    form = fields.form()
    name, path = names.name(form, "GroupName", max_len=GROUP_NAME_MAX), names.path(form)
    require("iam:CreateGroup", arn_for("group", name, path))
    group = groups.create(console_principal().account_id, name, path)
    return done("console.group_page", name=group.name)


@blueprint.get("/groups/<name>")
def group_page(name: str) -> str:
    """One group: members, policies, and the forms that change them."""
    account_id = console_principal().account_id
    require("iam:GetGroup", groups.resource_arn(account_id, name))
    group = groups.get(account_id, name)
    return render("console/groups_detail.html", title=f"Group {group.name}", group=group,
                  members=groups.members(group), holdings=entities.holdings(GROUP, group),
                  draft=fields.submitted("PolicyDocument"), draft_name=fields.submitted("PolicyName"),
                  findings=draft_findings(fields.submitted("PolicyDocument")))


def _group_for(action: str, name: str):
    account_id = console_principal().account_id
    require(action, groups.resource_arn(account_id, name))
    return groups.get(account_id, name)


@blueprint.post("/groups/<name>/members")
def add_member(name: str):
    """Add a user to the group (`iam:AddUserToGroup`)."""
    user_name = names.name(fields.form(), "UserName", max_len=128)
    group = _group_for("iam:AddUserToGroup", name)
    groups.add_user(group, users.get(group.account_id, user_name))
    return done()


@blueprint.post("/groups/<name>/members/remove")
def remove_member(name: str):
    """Remove a user from the group (`iam:RemoveUserFromGroup`)."""
    user_name = names.name(fields.form(), "UserName", max_len=128)
    group = _group_for("iam:RemoveUserFromGroup", name)
    groups.remove_user(group, users.get(group.account_id, user_name))
    return done()


@blueprint.post("/groups/<name>/delete")
def delete_group(name: str):
    """Delete the group (`iam:DeleteGroup`): AWS's DeleteConflict while it has members or policies."""
    groups.delete(_group_for("iam:DeleteGroup", name))
    return done("console.groups_list")
