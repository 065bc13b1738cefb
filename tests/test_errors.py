"""One error hierarchy, rendered once per protocol: AWS XML, OAuth JSON, HTML."""
import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from flask import Blueprint

from idp import errors
from idp.oidc.endpoints.errors import render_error as render_oauth
from idp.web.errors import render_error as render_html


def test_aws_clients_read_our_error_xml(live_server):
    iam = boto3.client(
        "iam", endpoint_url=live_server.url, region_name="us-east-1",
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x" * 40,
        config=Config(retries={"max_attempts": 1}),
    )
    with pytest.raises(ClientError) as caught:
        iam.get_user(UserName="alice")
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidClientTokenId" and error["Type"] == "Sender"
    assert error["Message"] == "The security token included in the request is invalid."
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert caught.value.response["ResponseMetadata"]["RequestId"]


def test_query_endpoint_requires_action_and_version(client):
    missing = client.post("/", data={"Version": "2010-05-08"})
    assert missing.status_code == 400 and b"<Code>MissingParameter</Code>" in missing.data
    assert b'xmlns="https://iam.amazonaws.com/doc/2010-05-08/"' in missing.data
    unsigned = client.post("/", data={"Action": "Nope", "Version": "2011-06-15"})
    assert unsigned.status_code == 403
    assert b'xmlns="https://sts.amazonaws.com/doc/2011-06-15/"' in unsigned.data
    assert b"<Code>MissingAuthenticationToken</Code>" in unsigned.data


@pytest.fixture
def app(app):
    probe = Blueprint("probe", __name__)
    probe.register_error_handler(errors.IdpError, render_oauth)
    pages = Blueprint("pages", __name__)
    pages.register_error_handler(errors.IdpError, render_html)

    @probe.get("/probe/oauth")
    def oauth_failure():
        raise errors.OAuthError("invalid_client", "client authentication failed", status=401)

    @pages.get("/probe/page")
    def page_failure():
        raise errors.AccessDenied("You may not <script>do this</script>.")

    @pages.get("/probe/crash")
    def page_crash():
        raise errors.IdpError("database password is hunter2")

    app.register_blueprint(probe)
    app.register_blueprint(pages)
    return app


def test_oauth_errors_are_json_with_no_store_and_www_authenticate(client):
    response = client.get("/probe/oauth")
    assert response.status_code == 401
    assert response.get_json() == {"error": "invalid_client", "error_description": "client authentication failed"}
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_client"'


def test_html_errors_escape_and_hide_server_internals(client):
    denied = client.get("/probe/page")
    assert denied.status_code == 403 and denied.mimetype == "text/html"
    assert b"&lt;script&gt;" in denied.data and b"<script>" not in denied.data
    crash = client.get("/probe/crash")
    assert crash.status_code == 500 and b"hunter2" not in crash.data


def test_every_error_maps_to_a_status_and_aws_code():
    assert (errors.NotFound().status, errors.NotFound.code) == (404, "NoSuchEntity")
    assert (errors.DeleteConflict().status, errors.DeleteConflict.code) == (409, "DeleteConflict")
    assert errors.MalformedPolicyDocument("x").sender_fault is True
    assert errors.ServiceUnavailable().sender_fault is False
