"""The console's group and role pages over HTTP: each main path, the audit row of each change, CSRF refusals, and a
delegated administrator refused in place with AWS's reason."""
from __future__ import annotations

import json

from models.audit import AuditEvent
from models.group import Group
from models.role import Role
from tests.console.conftest import make_user, post_form, sign_in
from tests.support.signin import stored

READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def _trust(account_id: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:user/alice"},
        "Action": "sts:AssumeRole"}]})


def _allowed(app, account_id: str, action: str) -> list[AuditEvent]:
    return stored(app, AuditEvent, AuditEvent.account_id == account_id, AuditEvent.action == action,
                  AuditEvent.decision == "Allow")


def test_groups_are_listed_in_keyset_pages_created_filled_and_deleted(as_root, root, app):
    for name in ("alpha", "bravo"):
        assert post_form(as_root, "/console/groups", "/console/groups", GroupName=name).status_code == 303
    make_user(app, root.account_id, "alice", password=None)

    first = as_root.get("/console/groups?after=alpha").get_data(as_text=True)
    assert "bravo" in first and ">alpha<" not in first
    page = "/console/groups/alpha"
    assert post_form(as_root, page, page + "/members", UserName="alice").status_code == 303
    assert post_form(as_root, page, page + "/attached", PolicyArn=READ_ONLY).status_code == 303
    html = as_root.get(page).get_data(as_text=True)
    assert "alice" in html and "ReadOnlyAccess" in html

    refused = post_form(as_root, page, page + "/delete")
    assert refused.status_code == 409 and "must remove users from group first" in refused.get_data(as_text=True)
    for url, field in ((page + "/members/remove", {"UserName": "alice"}),
                       (page + "/attached/remove", {"PolicyArn": READ_ONLY})):
        assert post_form(as_root, page, url, **field).status_code == 303
    assert post_form(as_root, page, page + "/delete").status_code == 303

    assert [g.name for g in stored(app, Group)] == ["bravo"]
    for action in ("iam:CreateGroup", "iam:AddUserToGroup", "iam:AttachGroupPolicy", "iam:RemoveUserFromGroup",
                   "iam:DetachGroupPolicy", "iam:DeleteGroup"):
        assert _allowed(app, root.account_id, action), action


def test_a_refused_inline_policy_comes_back_with_its_findings_and_nothing_is_stored(as_root, root, app):
    post_form(as_root, "/console/groups", "/console/groups", GroupName="ops")
    page = "/console/groups/ops"
    bad = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser"}]}'

    answer = post_form(as_root, page, page + "/inline", PolicyName="p1", PolicyDocument=bad)

    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "Policy statement must contain resources." in html
    assert "iam:GetUser" in html  # the typed document is shown again, not lost
    assert 'data-issue-code="MISSING_RESOURCE">line 1, column 41: ERROR MISSING_RESOURCE' in html
    assert stored(app, AuditEvent, AuditEvent.action == "iam:PutGroupPolicy", AuditEvent.decision == "Allow")
    with app.app_context():
        from models import db
        assert db.session.get(Group, stored(app, Group)[0].id).inline_policies == []
    good = bad.replace('"iam:GetUser"', '"iam:GetUser", "Resource": "*"')
    assert post_form(as_root, page, page + "/inline", PolicyName="p1", PolicyDocument=good).status_code == 303
    assert "p1" in as_root.get(page).get_data(as_text=True)


def test_roles_are_created_with_a_trust_policy_edited_and_deleted(as_root, root, app):
    account = root.account_id
    make_user(app, account, "alice", password=None)
    created = post_form(as_root, "/console/roles", "/console/roles", RoleName="deployer",
                        AssumeRolePolicyDocument=_trust(account), Description="ships builds", MaxSessionDuration="7200")
    assert created.status_code == 303 and created.headers["Location"].endswith("/console/roles/deployer")
    page = "/console/roles/deployer"
    html = as_root.get(page).get_data(as_text=True)
    assert "ships builds" in html and f"arn:aws:iam::{account}:user/alice" in html

    changes = [
        ("/settings", {"Description": "ships everything", "MaxSessionDuration": "3600"}),
        ("/tags", {"Tags.member.1.Key": "team", "Tags.member.1.Value": "platform"}),
        ("/boundary", {"PermissionsBoundary": READ_ONLY}),
        ("/boundary/remove", {}),
        ("/tags/remove", {"TagKeys.member.1": "team"}),
        ("/trust", {"AssumeRolePolicyDocument": _trust(account).replace("user/alice", "root")}),
    ]
    for suffix, form in changes:
        answer = post_form(as_root, page, page + suffix, **form)
        assert answer.status_code == 303, (suffix, answer.get_data(as_text=True)[:2000])
    [role] = stored(app, Role)
    assert role.description == "ships everything" and role.tags == [] and role.boundary_policy_id is None
    assert f"arn:aws:iam::{account}:root" in role.trust_policy
    assert post_form(as_root, page, page + "/delete").status_code == 303 and stored(app, Role) == []
    for action in ("iam:CreateRole", "iam:UpdateRole", "iam:TagRole", "iam:PutRolePermissionsBoundary",
                   "iam:DeleteRolePermissionsBoundary", "iam:UntagRole", "iam:UpdateAssumeRolePolicy",
                   "iam:DeleteRole"):
        assert _allowed(app, account, action), action


def test_a_malformed_trust_policy_is_refused_as_the_api_refuses_it(as_root, root, app):
    answer = post_form(as_root, "/console/roles", "/console/roles", RoleName="broken",
                       AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}')

    assert answer.status_code == 400 and stored(app, Role) == []
    assert "Statement" in answer.get_data(as_text=True)


def test_the_role_page_shows_who_can_assume_it_and_simulates_what_it_can_do(as_root, root, app):
    account = root.account_id
    make_user(app, account, "alice", password=None,
              policy=json.dumps({"Version": "2012-10-17", "Statement": [
                  {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    post_form(as_root, "/console/roles", "/console/roles", RoleName="reader",
              AssumeRolePolicyDocument=_trust(account))
    page = "/console/roles/reader"
    post_form(as_root, page, page + "/attached", PolicyArn=READ_ONLY)

    allowed = as_root.get(page + "?graph=1&action=iam:GetUser&resource=*").get_data(as_text=True)
    denied = as_root.get(page + "?action=iam:CreateUser&resource=*").get_data(as_text=True)

    assert 'id="sim-decision">allowed<' in allowed and "arn:aws:iam::aws:policy/ReadOnlyAccess" in allowed
    assert 'id="sim-decision">implicitDeny<' in denied
    assert f"arn:aws:iam::{account}:user/alice</code></td><td>sts:AssumeRole" in allowed.replace("\n", "")
    assert _allowed(app, account, "iam:SimulatePrincipalPolicy")


def test_a_delegated_admin_sees_group_and_role_changes_refused_with_aws_reason(client, root, app):
    account = root.account_id
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"}]})
    make_user(app, account, "helpdesk", policy=policy)
    sign_in(client, account, "helpdesk")

    answer = post_form(client, "/console/groups", "/console/groups", GroupName="admins")

    html = answer.get_data(as_text=True)
    assert answer.status_code == 403 and stored(app, Group) == []
    assert (f"User: arn:aws:iam::{account}:user/helpdesk is not authorized to perform: iam:CreateGroup on resource: "
            f"arn:aws:iam::{account}:group/admins because no identity-based policy allows the iam:CreateGroup "
            "action") in html
    assert 'id="create-group"' in html  # the control stays, with the reason beside it
    assert stored(app, AuditEvent, AuditEvent.action == "iam:CreateGroup", AuditEvent.decision == "ImplicitDeny")


FORMS = [
    ("/console/groups", "/console/groups", {"GroupName": "g"}),
    ("/console/roles", "/console/roles", {"RoleName": "r", "AssumeRolePolicyDocument": "{}"}),
    ("/console/groups/g", "/console/groups/g/members", {"UserName": "u"}),
    ("/console/groups/g", "/console/groups/g/members/remove", {"UserName": "u"}),
    ("/console/groups/g", "/console/groups/g/attached", {"PolicyArn": READ_ONLY}),
    ("/console/groups/g", "/console/groups/g/attached/remove", {"PolicyArn": READ_ONLY}),
    ("/console/groups/g", "/console/groups/g/inline", {"PolicyName": "p", "PolicyDocument": "{}"}),
    ("/console/groups/g", "/console/groups/g/inline/remove", {"PolicyName": "p"}),
    ("/console/groups/g", "/console/groups/g/delete", {}),
    ("/console/roles/r", "/console/roles/r/trust", {"AssumeRolePolicyDocument": "{}"}),
    ("/console/roles/r", "/console/roles/r/settings", {"Description": "x"}),
    ("/console/roles/r", "/console/roles/r/boundary", {"PermissionsBoundary": READ_ONLY}),
    ("/console/roles/r", "/console/roles/r/boundary/remove", {}),
    ("/console/roles/r", "/console/roles/r/tags", {"Tags.member.1.Key": "k", "Tags.member.1.Value": "v"}),
    ("/console/roles/r", "/console/roles/r/tags/remove", {"TagKeys.member.1": "k"}),
    ("/console/roles/r", "/console/roles/r/delete", {}),
]


def test_every_group_and_role_form_refuses_a_post_without_a_valid_csrf_token(as_root, app):
    # One signed-in session for every form (a test each would spend the suite's time budget on set-up).
    for page, url, form in FORMS:
        for token in ({}, {"csrf_token": "IjAwMDAi.AAAAAA.forged"}):
            answer = as_root.post(url, data={"back": page, **token, **form})

            html = answer.get_data(as_text=True)
            assert answer.status_code == 400 and "The form was not sent from this site" in html, url
    assert stored(app, AuditEvent, AuditEvent.action.like("iam:%")) == []
