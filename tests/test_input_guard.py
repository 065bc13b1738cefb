"""No request value carries a NUL: refused at the edge in each protocol's words, nothing written (PostgreSQL could
not even look such a value up)."""
from models.oauth_client import OAuthClient


def test_a_nul_in_a_query_parameter_is_an_oauth_error_page_not_a_server_error(client):
    answer = client.get("/oauth2/authorize?client_id=abc%00def&response_type=code")
    assert answer.status_code == 400


def test_a_nul_in_a_json_body_is_refused_by_the_authorizer_endpoint(client):
    answer = client.post("/authorize", json={"action": "notes:GetNote", "resource": "arn:aws:notes:::n",
                                             "token": "a.b.c", "audience": ["https://api.example/\x00"]})
    assert answer.status_code == 400 and answer.json["error"] == "ValidationError"
    assert "NUL" in answer.json["message"]


def test_a_nul_in_a_form_field_is_refused_and_writes_nothing(app, client, db):
    before = db.session.query(OAuthClient).count()
    answer = client.post("/oauth2/token", data={"grant_type": "client_credentials", "client_id": "x\x00y"})
    assert answer.status_code == 400 and answer.json["error"] == "invalid_request"
    assert db.session.query(OAuthClient).count() == before


def test_a_nul_in_an_aws_query_parameter_is_an_aws_validation_error(client):
    answer = client.post("/", data={"Action": "GetUser", "Version": "2010-05-08", "UserName": "a\x00b"})
    assert answer.status_code == 400 and b"<Code>ValidationError</Code>" in answer.data


def test_each_refusal_is_audited(client, db):
    from models.audit import AuditEvent

    client.get("/oauth2/authorize?response_type=code%00")
    [event] = db.session.query(AuditEvent).filter_by(action="request:RefuseInput").all()
    assert event.decision == "Deny" and event.detail == {"reason": "nul_character", "in": "query"}
