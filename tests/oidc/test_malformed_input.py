"""Issue 13 class 11, the cases the property tests found: malformed input is refused, never a server error.

HTTP Basic credentials that are not base64 of UTF-8 text, and a `resource`
Authlib would have to quote with characters an `error_description` cannot
hold, at every endpoint that authenticates clients. Nothing is written.
"""
from __future__ import annotations

import pytest
import requests
from sqlalchemy import func, select

from models.audit import AuditEvent
from models.oauth_grant import DeviceAuthorization
from tests.support.signin import stored

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
ENDPOINTS = ["/oauth2/token", "/oauth2/device_authorization", "/oauth2/introspect", "/oauth2/revoke"]


def device_authorizations(app) -> int:
    from models import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(DeviceAuthorization))


@pytest.fixture
def device_client(make_client):
    return make_client("--name", "TV", "--grant-type", DEVICE_GRANT, "--grant-type", "client_credentials")


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("header", ["Basic ", "Basic 0w==", "Basic //79/Q=="])  # nothing; bytes that are not UTF-8
def test_unreadable_basic_credentials_are_invalid_client(app, live_server, device_client, path, header):
    answer = requests.post(f"{live_server.url}{path}", headers={"Authorization": header}, timeout=30, data={
        "grant_type": "client_credentials", "token": "x", "scope": "openid"})
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"
    assert device_authorizations(app) == 0
    [event] = stored(app, AuditEvent, AuditEvent.action == "oauth:AuthenticateClient")
    assert event.decision == "Deny" and event.detail == {"reason": "unreadable_basic_credentials"}


@pytest.mark.parametrize("resource", ["https://api.example/\x1f", 'https://api.example/"\\', "https://api.example/é"])
def test_a_resource_that_cannot_be_quoted_is_invalid_target(app, live_server, device_client, resource):
    answer = requests.post(f"{live_server.url}/oauth2/device_authorization", timeout=30,
                           auth=(device_client["client_id"], device_client["client_secret"]),
                           data={"scope": "openid", "resource": resource})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_target"
    assert answer.json()["error_description"].isascii()
    assert device_authorizations(app) == 0
