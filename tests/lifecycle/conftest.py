"""The life-cycle tests: the app mails through a real loopback SMTP server; users are made through the IAM API."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from idp.clock import FixedClock
from tests.support.signin import DEFAULT_PASSWORD, csrf_token
from tests.support.smtp import _shared_smtp_server, smtp_server  # noqa: F401  (fixtures)


@pytest.fixture
def app_config(app_config, smtp_server):  # noqa: F811
    """Mail to the test's SMTP server; the app's clock is held at real time (SigV4 checks it), one second into a
    30-second TOTP step, and moves only when a test advances it."""
    now = int(datetime.now(UTC).timestamp())
    held = FixedClock(datetime.fromtimestamp(now - now % 30 + 1, UTC))
    return {**app_config, "IDP_SMTP_URL": smtp_server.url, "IDP_MAIL_FROM": "idp@example.test", "IDP_CLOCK": held}


@pytest.fixture
def clock(app_config) -> FixedClock:
    """The app's clock."""
    return app_config["IDP_CLOCK"]


@pytest.fixture
def mailbox(smtp_server):  # noqa: F811
    return smtp_server.mailbox


@pytest.fixture(autouse=True)
def _mail_settles(request):
    """Let a background delivery finish before the app is torn down."""
    app = request.getfixturevalue("app") if "app" in request.fixturenames else None
    yield
    if app is not None:
        from idp.mail.sender import kicker

        kicker(app).wait()


class Iam:
    """IAM over the Query protocol through the Flask test client, SigV4-signed (the `iam` fixture: as root).

    (The same requests boto3 makes; no server thread to start and stop per test.)
    """

    def __init__(self, client, key_id: str, secret: str):
        self.client, self.key_id, self.secret = client, key_id, secret

    def request(self, action: str, **params: str):
        """The raw response of one signed Query request."""
        body = urlencode({"Action": action, "Version": "2010-05-08", **params})
        signed = AWSRequest("POST", "http://localhost/", data=body,
                            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        credentials = Credentials(self.key_id, self.secret)
        SigV4Auth(credentials, "iam", "us-east-1").add_auth(signed)
        return self.client.post("/", data=body, headers=dict(signed.headers))

    def __call__(self, action: str, **params: str) -> str:
        """The XML answer of a successful action."""
        response = self.request(action, **params)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_data(as_text=True)

    def user_with_password(self, name: str, password: str = DEFAULT_PASSWORD) -> None:
        self("CreateUser", UserName=name)
        self("CreateLoginProfile", UserName=name, Password=password)

    def as_new_user(self, name: str) -> Iam:
        """A new user with an access key (no policy), and IAM as them."""
        self("CreateUser", UserName=name)
        created = self("CreateAccessKey", UserName=name)
        key_id = re.search(r"<AccessKeyId>([^<]+)<", created).group(1)
        return Iam(self.client, key_id, re.search(r"<SecretAccessKey>([^<]+)<", created).group(1))

    def set_email(self, name: str, address: str) -> None:
        """UpdateUserProfile (this product's extension), which mails the verification link."""
        self("UpdateUserProfile", UserName=name, Email=address)


@pytest.fixture
def iam(client, root) -> Iam:
    return Iam(app_client(client), root.access_key_id, root.secret_access_key)


def app_client(client):
    """Another test client of the same app (its own cookies): the administrator's requests carry none."""
    return client.application.test_client()


def local(url: str) -> str:
    """The path and query of a mailed link (for a Flask test client)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def post_form(client, path: str, form: dict, *, page: str | None = None):
    """GET `page` (default `path`) for its CSRF token, then POST `form` to `path` with it."""
    html = client.get(page or path).get_data(as_text=True)
    return client.post(path, data={**form, "csrf_token": csrf_token(html)})


def verified_user(iam: Iam, mailbox, client, name: str, address: str) -> None:
    """A user with a password and a verified email: the link followed from the received mail."""
    iam.user_with_password(name)
    before = len(mailbox.messages)
    iam.set_email(name, address)
    (message,) = mailbox.wait_for(before + 1)[before:]
    assert client.get(local(mailbox.link(message, "/account/verify-email"))).status_code == 200
