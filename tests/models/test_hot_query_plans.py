"""No hot request scans a large table: every SELECT that the signed-call, token and authorizer paths run is EXPLAINed
on PostgreSQL with tens of thousands of users, roles and audit rows, and none plans a sequential scan of them.

The rows are copied from template rows with `INSERT ... SELECT generate_series` (every column copied, so the test
follows the schema) and ANALYZEd, so the planner sees the sizes a large account has.
"""
from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import event

from tests.support.aws_clients import client_for
from tests.support.bulk import copy_rows

pytestmark = pytest.mark.postgres

LARGE_TABLES = ("users", "roles", "groups", "group_memberships", "audit_events", "access_keys")
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})
READER = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["iam:Get*", "iam:List*", "sts:AssumeRole", "notes:GetNote"], "Resource": "*"}]})


def _fill(engine, account: str) -> None:
    with engine.begin() as connection:
        copy_rows(connection, "users", "name = 'u0'", 20_000, {
            "name": "'bulk' || g", "name_lower": "'bulk' || g", "user_id": "'AIDA' || lpad(g::text, 17, '0')",
            "arn": f"'arn:aws:iam::{account}:user/bulk' || g"})
        copy_rows(connection, "roles", "name = 'r0'", 5_000, {
            "name": "'bulk' || g", "name_lower": "'bulk' || g", "role_id": "'AROA' || lpad(g::text, 17, '0')",
            "arn": f"'arn:aws:iam::{account}:role/bulk' || g"})
        copy_rows(connection, "groups", "name = 'g0'", 2_000, {
            "name": "'bulk' || g", "name_lower": "'bulk' || g", "group_id": "'AGPA' || lpad(g::text, 17, '0')",
            "arn": f"'arn:aws:iam::{account}:group/bulk' || g"})
        connection.exec_driver_sql(
            "INSERT INTO group_memberships (group_id, user_id, added_at) SELECT g.id, u.id, now() FROM users u "
            "JOIN groups g ON g.name = 'bulk' || (1 + mod(u.id, 2000)) WHERE u.name LIKE 'bulk%%'")
        copy_rows(connection, "access_keys", "id = (SELECT min(id) FROM access_keys)", 20_000, {
            "access_key_id": "'AKIA' || lpad(g::text, 16, '0')"})
        copy_rows(connection, "audit_events", "id = (SELECT max(id) FROM audit_events)", 50_000, {
            "occurred_at": "occurred_at - g * interval '1 minute'", "request_id": "md5(g::text)"})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE")


@pytest.fixture
def plans(db):
    """The plan of every SELECT the app runs while the fixture is recording: (statement, plan text) pairs."""
    recorded: list[tuple[str, str]] = []
    explaining = [False]
    state = {"on": False}

    def explain(connection, _cursor, statement, parameters, _context, executemany):
        if not state["on"] or explaining[0] or executemany or not statement.lstrip().upper().startswith("SELECT"):
            return
        explaining[0] = True
        try:
            rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters).scalars().all()
            recorded.append((statement, "\n".join(rows)))
        finally:
            explaining[0] = False

    event.listen(db.engine, "after_cursor_execute", explain)
    yield state, recorded
    event.remove(db.engine, "after_cursor_execute", explain)


def test_the_hot_paths_use_indexes_at_scale(app, db, live_server, root, iam, plans):
    iam.create_user(UserName="u0")
    iam.create_group(GroupName="g0")
    iam.add_user_to_group(GroupName="g0", UserName="u0")
    iam.create_role(RoleName="r0", AssumeRolePolicyDocument=TRUST)
    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="read", PolicyDocument=READER)
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    made = app.test_cli_runner().invoke(args=["idp", "clients", "create", "--json", "--name", "plans",
                                              "--grant-type", "client_credentials"])
    client = json.loads(made.output)
    _fill(db.engine, root.account_id)

    reader_iam = client_for(live_server, "iam", key["AccessKeyId"], key["SecretAccessKey"])
    reader_sts = client_for(live_server, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    state, recorded = plans
    state["on"] = True
    reader_iam.get_user(UserName="bulk777")
    assert len(reader_iam.list_users(MaxItems=100)["Users"]) == 100
    page = reader_iam.list_users(MaxItems=50, Marker=reader_iam.list_users(MaxItems=50)["Marker"])
    assert len(page["Users"]) == 50
    assert reader_iam.list_roles(MaxItems=100)["IsTruncated"]
    reader_iam.list_groups_for_user(UserName="bulk777")
    reader_iam.get_role(RoleName="bulk4321")
    credentials = reader_sts.assume_role(RoleArn=f"arn:aws:iam::{root.account_id}:role/r0",
                                         RoleSessionName="plans")["Credentials"]
    client_for(live_server, "sts", credentials["AccessKeyId"], credentials["SecretAccessKey"],
               credentials["SessionToken"]).get_caller_identity()
    basic = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode()).decode()
    token = app.test_client().post("/oauth2/token", data={"grant_type": "client_credentials"},
                                   headers={"Authorization": f"Basic {basic}"})
    assert token.status_code == 200
    state["on"] = False

    assert len(recorded) > 20  # the requests above really ran their queries through this engine
    scans = [(statement, plan) for statement, plan in recorded
             if any(f"Seq Scan on {table} " in plan + " " for table in LARGE_TABLES)]
    assert not scans, "\n\n".join(f"{statement}\n{plan}" for statement, plan in scans)
