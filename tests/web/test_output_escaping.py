"""Issue 13 class 9: every user-chosen string that reaches a page or an SVG is escaped for its context.

`"'<>&` goes through each name a user or operator chooses where the product
allows those characters (IAM paths and trust-policy conditions, client names,
upstream display names, the analyzer's own query parameters) and each page or
picture that shows it. The SVG is parsed as XML and its attributes must give
back exactly the string that went in; no page may hold the payload unescaped.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
import requests

from tests.oidc.flow import REDIRECT_URI, Browser, pkce_pair
from tests.support.signin import DEFAULT_PASSWORD, csrf_token, http_login

PAYLOAD = "\"'<>&"
ESCAPED = "&#34;&#39;&lt;&gt;&amp;"   # Jinja's (markupsafe's) escaping of PAYLOAD
PATH = f"/{PAYLOAD}/"                  # IAM paths allow any printable ASCII between slashes
SVG = "{http://www.w3.org/2000/svg}"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def assert_escaped(html: str) -> None:
    assert PAYLOAD not in html
    assert ESCAPED in html


def svg_of(html: str) -> ET.Element:
    """The inline SVG picture of an analyzer page, parsed as XML (an attribute injection does not parse)."""
    start, end = html.index("<svg"), html.index("</svg>") + len("</svg>")
    return ET.fromstring(html[start:end])


@pytest.fixture
def payload_user(iam) -> dict:
    """An IAM user whose path (so whose ARN) carries the payload, with a console password."""
    user = iam.create_user(UserName="esc", Path=PATH)["User"]
    iam.create_login_profile(UserName="esc", Password=DEFAULT_PASSWORD, PasswordResetRequired=False)
    iam.put_user_policy(UserName="esc", PolicyName="assume", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}))
    return user


@pytest.fixture
def payload_role(iam, payload_user) -> dict:
    """A role under the payload path that the payload user may assume on a payload condition."""
    return iam.create_role(RoleName="mirror", Path=PATH, AssumeRolePolicyDocument=policy(
        {"Effect": "Allow", "Principal": {"AWS": payload_user["Arn"]}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"sts:ExternalId": PAYLOAD}}}))["Role"]


@pytest.fixture
def root_browser(live_server, root) -> requests.Session:
    browser = requests.Session()
    answer = http_login(browser, live_server.url, root.account_id, "root", root.root_password)
    assert answer.status_code in (302, 303)
    return browser


def test_the_access_graph_keeps_names_inside_their_attributes(live_server, root_browser, payload_user,
                                                              payload_role):
    answer = root_browser.get(f"{live_server.url}/analyzer/graph", params={"principal": payload_user["Arn"]},
                              timeout=30)
    assert answer.status_code == 200
    picture = svg_of(answer.text)
    nodes = {g.get("data-id") for g in picture.iter(f"{SVG}g") if g.get("class") == "node"}
    assert nodes == {payload_user["Arn"], payload_role["Arn"]}
    [edge] = [g for g in picture.iter(f"{SVG}g") if g.get("class") == "edge"]
    assert (edge.get("data-from"), edge.get("data-to")) == (payload_user["Arn"], payload_role["Arn"])
    titles = {t.text for t in picture.iter(f"{SVG}title")}
    assert f"Reachable from {payload_user['Arn']}" in titles and payload_role["Arn"] in titles
    assert_escaped(answer.text)
    assert f"sts:ExternalId = {ESCAPED}" in answer.text  # the condition, in the table


@pytest.mark.parametrize("name", ["principal", "resource"])
def test_the_access_graph_escapes_its_own_parameters(live_server, root, root_browser, name):
    asked = f"arn:aws:iam::{root.account_id}:user{PATH}x\x01y"
    answer = root_browser.get(f"{live_server.url}/analyzer/graph", params={name: asked}, timeout=30)
    assert answer.status_code == 200
    picture = svg_of(answer.text)
    [title] = [t.text for t in picture.iter(f"{SVG}title") if t.get("id") == "graph-title"]
    assert title.endswith(f"arn:aws:iam::{root.account_id}:user{PATH}x\ufffdy")  # XML cannot carry U+0001
    assert_escaped(answer.text)


def test_the_account_page_escapes_the_principal_arn(live_server, root, payload_user):
    browser = Browser(live_server.url, root.account_id, "esc")
    browser.sign_in()
    answer = browser.get("/account")
    assert answer.status_code == 200
    assert_escaped(answer.text)


@pytest.fixture
def payload_client(app, root) -> dict:
    result = app.test_cli_runner().invoke(args=[
        "idp", "clients", "create", "--json", "--name", f"App {PAYLOAD}", "--redirect-uri", REDIRECT_URI,
        "--grant-type", "authorization_code", "--grant-type", DEVICE_GRANT])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_consent_and_applications_pages_escape_the_client_name(live_server, root, payload_user, payload_client):
    browser = Browser(live_server.url, root.account_id, "esc")
    browser.sign_in()
    _, challenge = pkce_pair()
    consent = browser.authorize(payload_client["client_id"], challenge=challenge, scope="openid", consent=None)
    assert consent.status_code == 200 and 'id="consent-title"' in consent.text
    assert_escaped(consent.text)
    allowed = browser.authorize(payload_client["client_id"], challenge=challenge, scope="openid")
    assert allowed.status_code == 302
    apps = browser.get("/account/apps")
    assert apps.status_code == 200
    assert_escaped(apps.text)


def test_the_device_page_escapes_the_client_name(live_server, root, payload_user, payload_client):
    started = requests.post(f"{live_server.url}/oauth2/device_authorization", data={"scope": "openid"},
                            auth=(payload_client["client_id"], payload_client["client_secret"]), timeout=30)
    assert started.status_code == 200, started.text
    browser = Browser(live_server.url, root.account_id, "esc")
    browser.sign_in()
    entry = browser.get("/device", user_code=started.json()["user_code"])
    confirm = browser.http.post(f"{live_server.url}/device", allow_redirects=False, timeout=30, data={
        "csrf_token": csrf_token(entry.text), "user_code": started.json()["user_code"]})
    assert confirm.status_code == 200
    assert_escaped(confirm.text)


def test_the_login_page_escapes_upstream_display_names(app, root, live_server, tmp_path):
    document = {"name": "corp", "display_name": f"Corp {PAYLOAD}", "issuer": "https://login.corp.example",
                "client_id": "our-client", "client_secret": "s3cret!", "scopes": ["openid"]}
    path = tmp_path / "upstream.json"
    path.write_text(json.dumps(document))
    result = app.test_cli_runner().invoke(args=["idp", "upstreams", "add", "--json", "--file", str(path)])
    assert result.exit_code == 0, result.output
    page = requests.get(f"{live_server.url}/login", timeout=30)
    assert page.status_code == 200 and "corp" in page.text
    assert_escaped(page.text)


@pytest.mark.parametrize("call, kwargs", [
    ("create_user", {"UserName": "tagged", "Tags": [{"Key": "team", "Value": f"a\x01{PAYLOAD}"}]}),
    ("create_user", {"UserName": "pathed", "Path": f"/a\x01{PAYLOAD}/"}),
])
def test_query_errors_that_echo_input_stay_well_formed_xml(iam, call, kwargs):
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as refused:  # a parse failure (ResponseParserError) would be something else
        getattr(iam, call)(**kwargs)
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "\x01" not in refused.value.response["Error"]["Message"]
    assert iam.list_users()["Users"] == []
