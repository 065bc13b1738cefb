"""Identities: just-in-time provisioning, mappings re-applied at every sign-in, audit, linking from /account/links,
and email that links only when the upstream verifies it and the administrator allowed it."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests

from models.audit import AuditEvent
from models.federation import FederatedIdentity
from models.user import User
from tests.federation import flows
from tests.support.signin import DEFAULT_PASSWORD, create_user_with_password, csrf_token, http_login, stored

MAPPED = {
    "groups": [{"claim": "groups", "match": "exact", "value": "eng", "group": "engineering"},
               {"claim": "groups", "match": "regex", "value": "team-(red|blue)", "group": "teams"},
               {"claim": "groups", "match": "exact", "value": "nobody-made-this", "group": "missing"}],
    "tags": [{"claim": "department", "tag": "dept"}],
}


def _groups(iam, name: str) -> list[str]:
    return sorted(group["GroupName"] for group in iam.list_groups_for_user(UserName=name)["Groups"])


def test_first_sign_in_provisions_and_later_sign_ins_reapply_the_mapping(
        app, live_server, iam, upstream_op, token_endpoint, add_upstream):
    for group in ("engineering", "teams", "handmade"):
        iam.create_group(GroupName=group)
    add_upstream(flows.scripted_upstream(upstream_op, token_endpoint, **MAPPED))
    first = flows.sign_in(requests.Session(), live_server.url, upstream_op, token_endpoint, sub="u-42",
                          preferred_username="Zoë Smith", groups=["eng", "team-red", "nobody-made-this"],
                          department="R&D-7")
    assert first.status_code == 302
    [user] = stored(app, User, User.path == "/federated/scripted/")
    assert user.name == "Zo--Smith"  # IAM-safe characters only
    assert _groups(iam, user.name) == ["engineering", "teams"]  # `missing` does not exist here: skipped
    tags = iam.list_user_tags(UserName=user.name)["Tags"]
    assert tags == []  # "R&D-7" is not a valid tag value: no tag rather than a wrong one
    iam.add_user_to_group(GroupName="handmade", UserName=user.name)
    iam.add_user_to_group(GroupName="teams", UserName=user.name)  # already a mapped member: stays mapped

    second = flows.sign_in(requests.Session(), live_server.url, upstream_op, token_endpoint, sub="u-42",
                           preferred_username="renamed-upstream", groups=["team-blue"], department="R-D")
    assert second.status_code == 302
    [again] = stored(app, User, User.path == "/federated/scripted/")
    assert again.id == user.id and again.name == "Zo--Smith"  # linked by sub, not by name
    assert _groups(iam, user.name) == ["handmade", "teams"]  # engineering was removed upstream, handmade stays
    assert iam.list_user_tags(UserName=user.name)["Tags"] == [{"Key": "dept", "Value": "R-D"}]

    third = flows.sign_in(requests.Session(), live_server.url, upstream_op, token_endpoint, sub="u-42", groups=[])
    assert third.status_code == 302
    assert _groups(iam, user.name) == ["handmade"]
    assert iam.list_user_tags(UserName=user.name)["Tags"] == []
    events = stored(app, AuditEvent, AuditEvent.action == "federation_signin")
    assert [event.detail["how"] for event in events] == ["provisioned", "linked", "linked"]
    assert events[0].detail["groups_missing"] == ["missing"] and events[0].detail["subject"] == "u-42"
    assert events[1].detail["groups_removed"] == ["engineering"]


def test_a_federated_sign_in_session_has_amr_fed(app, live_server, upstream_op, token_endpoint, add_upstream):
    add_upstream(flows.scripted_upstream(upstream_op, token_endpoint))
    session = requests.Session()
    flows.sign_in(session, live_server.url, upstream_op, token_endpoint, preferred_username="fern")
    page = session.get(f"{live_server.url}/account", timeout=30)
    assert page.status_code == 200 and "with fed" in page.text and "/federated/scripted/fern" in page.text
    assert 'id="password-title"' not in page.text  # no password of its own to change


def test_login_page_offers_each_enabled_upstream(app, live_server, upstream_op, token_endpoint, add_upstream):
    add_upstream(flows.scripted_upstream(upstream_op, token_endpoint, name="corp", display_name="Corp"))
    add_upstream(flows.scripted_upstream(upstream_op, token_endpoint, name="hidden", enabled=False))
    page = requests.get(f"{live_server.url}/login", params={"next": "/account/apps"}, timeout=30).text
    assert 'data-upstream="corp"' in page and "Sign in with Corp" in page
    assert "/login/upstream/corp?next=%2Faccount%2Fapps" in page
    assert 'data-upstream="hidden"' not in page
    hidden = requests.get(f"{live_server.url}/login/upstream/hidden", allow_redirects=False, timeout=30)
    assert hidden.status_code == 404


def _query(url: str) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def _link_form(session, base_url: str, name: str, password: str) -> requests.Response:
    page = session.get(f"{base_url}/account/links", timeout=30)
    return session.post(f"{base_url}/account/links/{name}", allow_redirects=False, timeout=30,
                        data={"csrf_token": csrf_token(page.text), "current_password": password})


def test_a_local_user_links_an_upstream_identity_after_reentering_the_password(
        app, live_server, root, iam, upstream_op, token_endpoint, add_upstream):
    add_upstream(flows.scripted_upstream(upstream_op, token_endpoint, **MAPPED))
    iam.create_group(GroupName="engineering")
    bob = create_user_with_password(iam, "bob")
    session = requests.Session()
    assert http_login(session, live_server.url, root.account_id, "bob", DEFAULT_PASSWORD).status_code == 302
    wrong = _link_form(session, live_server.url, "scripted", "not-my-password")
    assert wrong.status_code == 400 and "current password is incorrect" in wrong.text
    started = _link_form(session, live_server.url, "scripted", DEFAULT_PASSWORD)
    assert started.status_code == 302
    assert started.headers["Location"].startswith(f"{upstream_op.issuer}/oauth2/authorize")
    params = _query(started.headers["Location"])
    token_endpoint.reply = (200, {"access_token": "at", "token_type": "Bearer", "id_token": flows.id_token(
        upstream_op, params["nonce"], sub="bob-at-corp", groups=["eng"])})
    done = flows.callback(session, live_server.url, "scripted", code="c", state=params["state"], iss=upstream_op.issuer)
    assert done.status_code == 302 and done.headers["Location"] == "/account/links?linked=scripted"
    page = session.get(f"{live_server.url}{done.headers['Location']}", timeout=30).text
    assert 'data-linked-upstream="scripted"' in page and "bob-at-corp" in page
    [link] = stored(app, FederatedIdentity)
    assert link.subject == "bob-at-corp" and link.user_id == stored(app, User, User.name == "bob")[0].id
    assert _groups(iam, "bob") == ["engineering"]

    # Signing in through the upstream now signs in as bob; nobody new is provisioned.
    other = requests.Session()
    flows.sign_in(other, live_server.url, upstream_op, token_endpoint, sub="bob-at-corp", groups=[])
    linked_page = other.get(f"{live_server.url}/account", timeout=30).text
    assert bob["Arn"] in linked_page and 'id="password-title"' in linked_page  # bob keeps his password
    assert stored(app, User, User.path.startswith("/federated/")) == []
    assert _groups(iam, "bob") == []

    # Unlinking removes the link and what its mapping granted.
    links_page = session.get(f"{live_server.url}/account/links", timeout=30).text
    removed = session.post(f"{live_server.url}/account/links/remove/{link.id}", timeout=30,
                           data={"csrf_token": csrf_token(links_page)})
    assert removed.status_code == 200 and "was removed" in removed.text
    assert stored(app, FederatedIdentity) == []


def test_a_link_needs_the_same_signed_in_user_at_the_callback(
        app, live_server, root, iam, upstream_op, token_endpoint, add_upstream):
    add_upstream(flows.scripted_upstream(upstream_op, token_endpoint))
    create_user_with_password(iam, "carol")
    session = requests.Session()
    http_login(session, live_server.url, root.account_id, "carol", DEFAULT_PASSWORD)
    started = _link_form(session, live_server.url, "scripted", DEFAULT_PASSWORD)
    params = _query(started.headers["Location"])
    session.post(f"{live_server.url}/logout", timeout=30,
                 data={"csrf_token": csrf_token(session.get(f"{live_server.url}/account/links", timeout=30).text)})
    token_endpoint.reply = (200, {"access_token": "at", "token_type": "Bearer",
                                  "id_token": flows.id_token(upstream_op, params["nonce"], sub="carol-upstream")})
    done = flows.callback(session, live_server.url, "scripted", code="c", state=params["state"], iss=upstream_op.issuer)
    assert done.status_code == 403 and "Sign in again" in done.text
    assert stored(app, FederatedIdentity) == []


def test_email_links_only_when_verified_by_a_trusted_upstream_with_linking_enabled(
        app, live_server, upstream_op, token_endpoint, add_upstream):
    add_upstream(flows.scripted_upstream(upstream_op, token_endpoint, name="hr", trust_email=True,
                                         link_verified_email=True))
    add_upstream(flows.scripted_upstream(upstream_op, token_endpoint, name="untrusted"))
    email = {"email": "dana@corp.example"}
    flows.sign_in(requests.Session(), live_server.url, upstream_op, token_endpoint, name="hr", sub="dana-1",
                  preferred_username="dana", email_verified=True, **email)
    [dana] = stored(app, User, User.name == "dana")
    assert dana.email == "dana@corp.example" and dana.email_verified is True

    # The same address, not verified: a separate identity, never dana's account.
    flows.sign_in(requests.Session(), live_server.url, upstream_op, token_endpoint, name="hr", sub="dana-2",
                  preferred_username="dana", email_verified=False, **email)
    # Verified, but by an upstream not trusted for email: a separate identity too.
    flows.sign_in(requests.Session(), live_server.url, upstream_op, token_endpoint, name="untrusted", sub="dana-3",
                  preferred_username="dana", email_verified=True, **email)
    links = {row.subject: row.user_id for row in stored(app, FederatedIdentity)}
    assert links["dana-2"] != dana.id and links["dana-3"] != dana.id
    assert all(not user.email_verified for user in stored(app, User, User.id.in_([links["dana-2"], links["dana-3"]])))

    # Verified by the trusted upstream: links to dana.
    flows.sign_in(requests.Session(), live_server.url, upstream_op, token_endpoint, name="hr", sub="dana-4",
                  preferred_username="dana-again", email_verified=True, **email)
    links = {row.subject: row.user_id for row in stored(app, FederatedIdentity)}
    assert links["dana-4"] == dana.id
    [event] = [e for e in stored(app, AuditEvent, AuditEvent.action == "federation_signin")
               if e.detail["subject"] == "dana-4"]
    assert event.detail["how"] == "email"


def test_the_sign_in_returns_to_a_local_next_and_never_to_another_site(
        app, live_server, upstream_op, token_endpoint, add_upstream):
    add_upstream(flows.scripted_upstream(upstream_op, token_endpoint))
    for wanted, landed in (("/account/apps", "/account/apps"), ("https://evil.example/", "/account")):
        session = requests.Session()
        request = flows.start(session, live_server.url, "scripted", next=wanted)
        token_endpoint.reply = (200, {"access_token": "at", "token_type": "Bearer",
                                      "id_token": flows.id_token(upstream_op, request["nonce"], sub="nina")})
        done = flows.callback(session, live_server.url, "scripted", code="c", state=request["state"],
                              iss=upstream_op.issuer)
        assert done.status_code == 302 and done.headers["Location"] == landed


def test_a_first_sign_in_racing_another_tab_uses_the_link_the_other_one_made(
        app, live_server, upstream_op, token_endpoint, add_upstream, monkeypatch):
    """Two first sign-ins of one identity at once: the one that loses the (upstream, sub) race is undone in its
    savepoint alone and signs in through the winner's link; no second user, no second link."""
    from idp.federation import identities

    add_upstream(flows.scripted_upstream(upstream_op, token_endpoint))
    first = flows.sign_in(requests.Session(), live_server.url, upstream_op, token_endpoint, sub="u-race")
    assert first.status_code == 302
    [winner] = stored(app, User, User.path == "/federated/scripted/")
    real_find_link = identities.find_link
    looked = []

    def not_yet_visible(upstream, subject):
        looked.append(subject)
        return None if len(looked) == 1 else real_find_link(upstream, subject)  # the other tab had not committed

    monkeypatch.setattr(identities, "find_link", not_yet_visible)
    browser = requests.Session()
    request = flows.start(browser, live_server.url, "scripted")
    token_endpoint.reply = (200, {"access_token": "at", "token_type": "Bearer", "expires_in": 300,
                                  "id_token": flows.id_token(upstream_op, request["nonce"], sub="u-race")})
    answer = flows.callback(browser, live_server.url, "scripted", code="the-code", state=request["state"],
                            iss=upstream_op.issuer)

    assert answer.status_code == 302 and len(looked) == 2  # refused by the unique link, then signed in again
    assert [user.id for user in stored(app, User, User.path == "/federated/scripted/")] == [winner.id]
    assert len(stored(app, FederatedIdentity, FederatedIdentity.subject == "u-race")) == 1
    events = stored(app, AuditEvent, AuditEvent.action == "federation_signin")
    assert [event.detail["how"] for event in events] == ["provisioned", "linked"]
    assert browser.get(f"{live_server.url}/account", allow_redirects=False, timeout=30).status_code == 200
