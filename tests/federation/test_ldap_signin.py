"""LDAP sign-in against a real OpenLDAP (Debian's slapd): the login form's password checked by a bind as the
directory user, JIT provisioning and group mapping as for OIDC upstreams, the refusals."""
from __future__ import annotations

import base64
import json

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from ldap3 import MODIFY_ADD, MODIFY_DELETE, MODIFY_REPLACE

from models.audit import AuditEvent
from models.user import User
from tests.support import slapd as directory
from tests.support.servers import free_port
from tests.support.signin import DEFAULT_PASSWORD, client_login, stored

FAILURE = "Incorrect account, user name or password."


@pytest.fixture(scope="session")
def ldap_server(tmp_path_factory):
    """One slapd for the whole session (per worker); tests that change it put it back."""
    if not directory.available():
        pytest.fail("slapd is missing: apt-get install slapd ldap-utils")
    server = directory.Slapd(tmp_path_factory.mktemp("slapd")).start()
    yield server
    server.stop()


@pytest.mark.parametrize("attributes, refused", [
    ({"userAccountControl": 514}, True),  # Active Directory: NORMAL_ACCOUNT | ACCOUNTDISABLE
    ({"userAccountControl": ["66050"]}, True),
    ({"userAccountControl": 512}, False),
    ({"pwdAccountLockedTime": ["000001010000Z"]}, True),  # OpenLDAP ppolicy
    ({"nsAccountLock": ["TRUE"]}, True),  # 389-ds
    ({"nsAccountLock": ["false"], "pwdAccountLockedTime": []}, False),
    ({}, False),
])
def test_disabled_entries_of_each_directory_kind_are_recognised(attributes, refused):
    from idp.federation.ldap.directory import disabled

    assert disabled(attributes) is refused


def ldap_document(server, name: str = "corp", **extra) -> dict:
    return {
        "name": name, "type": "ldap", "url": server.ldaps_url, "ca_file": server.ca_file,
        "bind_dn": directory.ADMIN_DN, "bind_password": directory.ADMIN_PASSWORD,
        "user_base": directory.PEOPLE, "group_base": directory.GROUPS, "connect_timeout": 2, "receive_timeout": 3,
        "groups": [{"claim": "groups", "match": "exact", "value": "engineers", "group": "eng"},
                   {"claim": "groups", "match": "exact", "value": "admins", "group": "admins"}],
        "tags": [{"claim": "mail", "tag": "email"}], **extra,
    }


@pytest.fixture
def register(app, root, tmp_path):
    """`idp upstreams add --file` for an LDAP upstream file."""
    runner = app.test_cli_runner()

    def add(document: dict) -> dict:
        path = tmp_path / f"{document['name']}.json"
        path.write_text(json.dumps(document))
        result = runner.invoke(args=["idp", "upstreams", "add", "--json", "--file", str(path)])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    return add


@pytest.fixture
def groups(app, root):
    """The IAM groups the directory's groups map to."""
    from idp.iam import groups as iam_groups
    from models import db

    with app.app_context():
        for name in ("eng", "admins"):
            iam_groups.create(root.account_id, name, "/")
        db.session.commit()


def audited(app, action: str) -> list[AuditEvent]:
    return [event for event in stored(app, AuditEvent) if event.action == action]


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_a_directory_user_signs_in_gets_mapped_groups_and_roles_and_a_group_change_is_followed(
        app, root, live_server, iam, groups, register, ldap_server, page):
    from tests.oidc.flow import REDIRECT_URI, Browser, callback_params, pkce_pair

    register(ldap_document(ldap_server))
    page.goto(f"{live_server.url}/login")  # Chromium, through our login page's password form
    assert page.locator("[data-upstream]").count() == 0  # no button for an LDAP upstream
    page.fill("#account", root.account_id)
    page.fill("#username", "alice")
    page.fill("#password", directory.USERS["alice"][0])
    page.click("form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/account")
    assert ":user/federated/corp/alice" in page.inner_text("#principal-arn")

    url = live_server.url.split("://", 1)[1]
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{root.account_id}:oidc-provider/{url}"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"ForAnyValue:StringEquals": {f"{url}:groups": ["admins"]}}}]}
    role = iam.create_role(RoleName="directory-admins", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    made = app.test_cli_runner().invoke(args=["idp", "clients", "create", "--json", "--name", "Notes",
                                              "--redirect-uri", REDIRECT_URI, "--trusted"])
    client = json.loads(made.output)

    def id_token() -> dict:
        import requests

        browser = Browser(live_server.url, root.account_id, "alice", password=directory.USERS["alice"][0])
        verifier, challenge = pkce_pair()
        code = callback_params(browser.authorize(client["client_id"], challenge=challenge))["code"]
        answer = requests.post(f"{live_server.url}/oauth2/token", auth=(client["client_id"], client["client_secret"]),
                               data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
                                     "code_verifier": verifier}, timeout=30)
        token = answer.json()["id_token"]
        return {**claims_of(token), "raw": token}

    first = id_token()
    assert first["preferred_username"] == "alice" and sorted(first["groups"]) == ["admins", "eng"]
    assert first["roles"] == [role]
    sts = boto3.client("sts", endpoint_url=live_server.url, region_name="us-east-1",
                       config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))
    assumed = sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="alice",
                                                WebIdentityToken=first["raw"])
    assert assumed["AssumedRoleUser"]["Arn"].endswith(":assumed-role/directory-admins/alice")
    alice = iam.get_user(UserName="alice")["User"]
    assert alice["Path"] == "/federated/corp/" and first["sub"] == alice["UserId"]
    assert {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName="alice")["Tags"]} == {
        "email": "alice@example.org"}

    with ldap_server.connection() as admin:  # the directory takes alice out of admins
        admin.modify(directory.group_dn("admins"), {"member": [(MODIFY_DELETE, [directory.user_dn("alice")])]})
    try:
        second = id_token()
    finally:
        with ldap_server.connection() as admin:
            admin.modify(directory.group_dn("admins"), {"member": [(MODIFY_ADD, [directory.user_dn("alice")])]})
    assert second["groups"] == ["eng"] and second["roles"] == [] and second["sub"] == first["sub"]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="alice")["Groups"]] == ["eng"]
    [provisioned, _, again] = audited(app, "federation_signin")
    assert provisioned.detail["how"] == "provisioned" and again.detail["groups_removed"] == ["admins"]

    # Between sign-ins, the housekeeping sync removes what the directory removed (and adds nothing).
    from idp import housekeeping

    with ldap_server.connection() as admin:
        admin.modify(directory.group_dn("engineers"), {"member": [(MODIFY_DELETE, [directory.user_dn("alice")])]})
    try:
        report = housekeeping.run_once(app)
    finally:
        with ldap_server.connection() as admin:
            admin.modify(directory.group_dn("engineers"), {"member": [(MODIFY_ADD, [directory.user_dn("alice")])]})
    assert report["directories_synced"] == {"checked": 1, "groups_removed": 1, "sessions_ended": 0,
                                            "unavailable": 0}, report
    assert iam.list_groups_for_user(UserName="alice")["Groups"] == []  # admins is not added back by the sync
    [synced] = audited(app, "directory_synced")
    assert synced.detail["groups_removed"] == ["eng"]


def test_wrong_passwords_locked_accounts_and_injection_get_the_generic_answer_and_are_throttled(
        app, root, client, register, ldap_server):
    # StartTLS on the plain port this time.
    register(ldap_document(ldap_server, url=ldap_server.ldap_url, groups=[], tags=[]))
    account = root.account_id
    refused = {
        "wrong password": ("bob", "not-bobs-password", "directory_wrong_password"),
        "empty password": ("bob", "", "directory_empty_password"),
        "locked account": ("carol", directory.USERS["carol"][0], "directory_account_disabled"),
        "unknown user": ("nobody", "whatever-1", "unknown_user"),
        "wildcard": ("*", "whatever-1", "directory_refused_username"),
        "filter break-out": ("alice)(uid=*", directory.USERS["alice"][0], "directory_refused_username"),
        "backslash": ("al\\69ce", directory.USERS["alice"][0], "directory_refused_username"),
    }
    for case, (username, password, _) in refused.items():
        answer = client_login(client, account, username, password)
        assert answer.status_code == 401 and FAILURE in answer.get_data(as_text=True), case
    nul = client_login(client, account, "alice\x00", directory.USERS["alice"][0])
    assert nul.status_code == 400  # the input guard refuses NUL in any value
    reasons = [event.detail["reason"] for event in audited(app, "signin_failed")]
    assert reasons == [reason for _, _, reason in refused.values()]
    assert stored(app, User, User.path.like("/federated/%")) == []  # nothing provisioned

    for _ in range(4):  # after bob's 5 free failures (2 above), the sixth sets a back-off, as for a local user
        client_login(client, account, "bob", "not-bobs-password")
    throttled = client_login(client, account, "bob", directory.USERS["bob"][0])
    assert throttled.status_code == 429 and "Retry-After" in throttled.headers

    signed_in = client_login(client, account, "alice", directory.USERS["alice"][0])
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/account"
    with ldap_server.connection() as admin:  # the directory locks alice: her next sign-in is refused
        admin.modify(directory.user_dn("alice"), {"pwdAccountLockedTime": [(MODIFY_REPLACE, ["000001010000Z"])]})
    try:
        locked = client_login(client, account, "alice", directory.USERS["alice"][0])
    finally:
        with ldap_server.connection() as admin:
            admin.modify(directory.user_dn("alice"), {"pwdAccountLockedTime": [(MODIFY_DELETE, [])]})
    assert locked.status_code == 401 and FAILURE in locked.get_data(as_text=True)
    assert audited(app, "signin_failed")[-1].detail["reason"] == "directory_account_disabled"


def test_an_unreachable_directory_answers_as_a_wrong_password_is_counted_and_audited_and_local_users_sign_in(
        app, root, client, register, ldap_server):
    from idp.iam import login_profiles, users
    from models import db
    from models.throttle import SigninThrottle

    register(ldap_document(ldap_server, url=f"ldaps://127.0.0.1:{free_port()}"))
    with app.app_context():
        login_profiles.create(users.create(root.account_id, "local-dave", "/", []), DEFAULT_PASSWORD, False)
        db.session.commit()
    down = client_login(client, root.account_id, "alice", directory.USERS["alice"][0])
    wrong = client_login(client, root.account_id, "local-dave", "not-daves-password")
    # "Unavailable" would say that alice is not a local user: both answers are the same.
    assert down.status_code == wrong.status_code == 401
    assert FAILURE in down.get_data(as_text=True) and FAILURE in wrong.get_data(as_text=True)
    assert "unavailable" not in down.get_data(as_text=True)
    [event] = audited(app, "directory_unavailable")
    assert event.detail == {"upstreams": ["corp"], "username": "alice"}
    assert [e.detail["reason"] for e in audited(app, "signin_failed")] == ["directory_unavailable", "wrong_password"]
    counted = {row.key: row.failures for row in stored(app, SigninThrottle)}
    assert counted[f"user:{root.account_id}:alice"] == 1 and counted["ip:127.0.0.1"] == 2
    local = client_login(client, root.account_id, "local-dave", DEFAULT_PASSWORD)
    assert local.status_code == 302 and local.headers["Location"] == "/account"


def settings_of(document: dict) -> dict:
    from idp.federation.ldap import config

    return config.parse(document)


def check(settings: dict, username: str, password: str, seconds: float = 10):
    from idp.federation.ldap import directory as ldap_directory
    from idp.federation.ldap.connection import Deadline

    return ldap_directory.check_password(settings, settings.get("bind_password"), username, password,
                                         Deadline.after(seconds))


def test_a_wrong_ca_a_host_name_mismatch_and_a_refused_start_tls_are_unavailable_and_send_no_password(
        ldap_server, tmp_path):
    from idp.errors import DirectoryUnavailable

    directory.Slapd(tmp_path)._certificates()  # a CA that did not sign the server's certificate
    other_ca = tmp_path / "other-ca.pem"
    other_ca.write_bytes((tmp_path / "ca.pem").read_bytes())
    plain = directory.Slapd(tmp_path / "plain", tls=False)  # answers StartTLS with an error
    (tmp_path / "plain").mkdir()
    plain.start()
    try:
        refused = {
            "wrong CA": {"ca_file": str(other_ca)},
            "host name": {"url": f"ldaps://localhost:{ldap_server.ldaps_port}"},  # the certificate names 127.0.0.1
            "StartTLS": {"url": plain.ldap_url},
        }
        for change in refused.values():
            with pytest.raises(DirectoryUnavailable):
                check(settings_of(ldap_document(ldap_server, **change)), "alice", directory.USERS["alice"][0])
        assert plain.operations(0) == []  # neither the service's nor alice's bind went out in clear
    finally:
        plain.stop()
    accepted = check(settings_of(ldap_document(ldap_server, url=f"ldaps://127.0.0.1:{ldap_server.ldaps_port}")),
                     "alice", directory.USERS["alice"][0])
    assert accepted.accepted


def test_one_deadline_bounds_a_sign_in_and_a_failed_server_is_skipped_for_a_while(ldap_server):
    import socket
    import time

    from idp.errors import DirectoryUnavailable

    silent = [socket.socket(), socket.socket()]  # accept TCP connections (backlog) and never answer
    for listener in silent:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
    try:
        settings = settings_of(ldap_document(
            ldap_server, url=[f"ldaps://127.0.0.1:{listener.getsockname()[1]}" for listener in silent],
            connect_timeout=1, receive_timeout=5))
        started = time.monotonic()
        with pytest.raises(DirectoryUnavailable):
            check(settings, "alice", "whatever-1", seconds=1.5)
        took = time.monotonic() - started
        assert 1.4 < took < 2.7, took  # not 2 x 5 s: the deadline cut the first wait and the second server's
        started = time.monotonic()
        with pytest.raises(DirectoryUnavailable):
            check(settings, "alice", "whatever-1")
        assert time.monotonic() - started < 0.3  # both servers are skipped now, no wait at all
    finally:
        for listener in silent:
            listener.close()


def test_member_of_groups_count_only_under_group_base_and_each_group_has_one_name(ldap_server):
    from idp.errors import ValidationError

    made = {f"cn=admins,{directory.OTHER_GROUPS}": ["admins"],  # anyone's group of the same name elsewhere
            directory.group_dn("helpdesk"): ["helpdesk", "admins"]}  # a second cn is no second name
    with ldap_server.connection() as admin:
        for dn, names in made.items():
            admin.add(dn, ["groupOfNames"], {"cn": names, "member": [directory.user_dn("bob")]})
    try:
        bob = directory.USERS["bob"][0]
        searched = check(settings_of(ldap_document(ldap_server)), "bob", bob)
        assert searched.claims["groups"] == ["engineers", "helpdesk"]
        member_of = check(settings_of(ldap_document(ldap_server, member_of_attribute="memberOf")), "bob", bob)
        # The memberof overlay lists the two groups added above: the one under group_base counts, by its RDN.
        assert member_of.claims["groups"] == ["helpdesk"] and "memberOf" not in member_of.claims
    finally:
        with ldap_server.connection() as admin:
            for dn in made:
                admin.delete(dn)
    with pytest.raises(ValidationError, match="member_of_attribute needs group_base"):
        settings_of(ldap_document(ldap_server, member_of_attribute="memberOf", group_base=None))


def test_the_subject_is_an_entry_id_and_never_a_reusable_dn_unless_allowed(ldap_server):
    from idp.federation.ldap.directory import subject_of

    dn = "uid=ann,ou=people,dc=example,dc=org"
    assert subject_of({}, {"dn": dn, "attributes": {"nsUniqueId": ["ab-cd"]}}) == "ab-cd"  # 389-ds
    assert subject_of({}, {"dn": dn, "attributes": {"nsUniqueId": ["ab-cd"], "ipaUniqueID": ["f00"]}}) == "f00"
    guid = bytes(range(16))
    assert subject_of({}, {"dn": dn, "attributes": {"objectGUID": ["x"]}, "raw_attributes": {"objectGUID": [guid]}}
                      ) == "03020100-0504-0706-0809-0a0b0c0d0e0f"  # Active Directory's byte order
    assert subject_of({}, {"dn": dn, "attributes": {}}) is None
    assert subject_of({"allow_dn_subject": True}, {"dn": dn, "attributes": {}}) == dn
    # On OpenLDAP: entryUUID by default; a configured attribute the entry lacks refuses the sign-in.
    alice = directory.USERS["alice"][0]
    assert len(check(settings_of(ldap_document(ldap_server)), "alice", alice).claims["sub"]) == 36
    assert check(settings_of(ldap_document(ldap_server, subject_attribute="employeeNumber")), "alice",
                 alice).reason == "no_subject"


def test_every_refusal_costs_one_search_one_bind_and_one_argon2_and_a_local_name_without_password_is_not_taken(
        app, root, client, register, ldap_server, groups, monkeypatch):
    from idp.iam import groups as iam_groups
    from idp.iam import users
    from idp.signin import passwords
    from models import db
    from models.federation import FederatedIdentity

    register(ldap_document(ldap_server))
    with app.app_context():  # a local bob with no password, in admins
        iam_groups.add_user(iam_groups.get(root.account_id, "admins"), users.create(root.account_id, "bob", "/", []))
        db.session.commit()
    verified = []
    real = passwords.verify_password
    monkeypatch.setattr(passwords, "verify_password", lambda *args: verified.append(1) or real(*args))
    service, people = ("BIND dn", directory.ADMIN_DN), ("SRCH base", directory.PEOPLE)
    dummy = ("BIND dn", f"cn=idp-no-such-user,{directory.PEOPLE}")
    attempts = {
        "unknown user": ("nobody", "whatever-1", dummy),
        "disabled": ("carol", directory.USERS["carol"][0], dummy),
        "wrong password": ("bob", "not-bobs-password", ("BIND dn", directory.user_dn("bob"))),
    }
    for case, (username, password, bind) in attempts.items():
        offset, verified[:] = ldap_server.log_offset(), []
        answer = client_login(client, root.account_id, username, password)
        assert answer.status_code == 401 and FAILURE in answer.get_data(as_text=True), case
        assert ldap_server.operations(offset) == [service, people, bind], case  # no group search before a bind
        assert verified == [1], case
    offset, verified[:] = ldap_server.log_offset(), []
    signed_in = client_login(client, root.account_id, "bob", directory.USERS["bob"][0])
    assert signed_in.status_code == 302 and verified == [1]
    assert ldap_server.operations(offset)[:4] == [service, people, ("BIND dn", directory.user_dn("bob")), service]
    [link] = stored(app, FederatedIdentity)
    [local] = stored(app, User, User.name == "bob")
    assert link.user_id != local.id  # the directory's bob got a user of its own; the local bob is untouched
    with app.app_context():
        federated = db.session.get(User, link.user_id)
        assert federated.name.startswith("bob-") and federated.path == "/federated/corp/"
        assert [g.name for g in db.session.get(User, local.id).groups] == ["admins"]


def test_a_recycled_dn_gets_a_new_user_and_the_sync_ends_the_old_entrys_and_a_locked_ones_sessions(
        app, root, register, ldap_server, groups):
    from idp import housekeeping

    register(ldap_document(ldap_server))
    dave = directory.user_dn("dave")
    entry = {"uid": "dave", "cn": "Dave Example", "sn": "Example", "mail": "dave@example.org",
             "userPassword": "dave-pw-1"}
    with ldap_server.connection() as admin:
        admin.add(dave, ["inetOrgPerson"], entry)
        admin.modify(directory.group_dn("engineers"), {"member": [(MODIFY_ADD, [dave])]})
    old_dave, bob = app.test_client(), app.test_client()
    try:
        assert client_login(old_dave, root.account_id, "dave", "dave-pw-1").status_code == 302
        assert client_login(bob, root.account_id, "bob", directory.USERS["bob"][0]).status_code == 302
        with ldap_server.connection() as admin:  # dave leaves, a new dave gets his name; bob is locked
            admin.delete(dave)
            admin.add(dave, ["inetOrgPerson"], {**entry, "userPassword": "new-dave-pw-1"})
            admin.modify(directory.user_dn("bob"), {"pwdAccountLockedTime": [(MODIFY_REPLACE, ["000001010000Z"])]})
        report = housekeeping.run_once(app)["directories_synced"]
        assert report == {"checked": 2, "groups_removed": 2, "sessions_ended": 2, "unavailable": 0}, report
        for signed_out in (old_dave, bob):
            assert signed_out.get("/account").status_code == 302  # back to the login page
        new_dave = app.test_client()
        assert client_login(new_dave, root.account_id, "dave", "new-dave-pw-1").status_code == 302
    finally:
        with ldap_server.connection() as admin:
            admin.delete(dave)
            admin.modify(directory.group_dn("engineers"), {"member": [(MODIFY_DELETE, [dave])]})
            admin.modify(directory.user_dn("bob"), {"pwdAccountLockedTime": [(MODIFY_DELETE, [])]})
    daves = stored(app, User, User.path == "/federated/corp/", User.name.like("dave%"))
    assert len(daves) == 2  # the new dave is not the old one's user (nor has his groups or sessions)
    [synced_dave, _] = [e for e in audited(app, "directory_synced")]
    assert synced_dave.detail["entry"] == "gone or disabled" and synced_dave.detail["groups_removed"] == ["eng"]
