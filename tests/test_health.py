"""Liveness and readiness."""


def test_healthz_answers_without_touching_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_is_unavailable_until_keys_exist(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "checks": {"database": "ok", "keys": "missing"}}


def test_readyz_after_bootstrap(client, root):
    response = client.get("/readyz")
    assert response.status_code == 200 and response.get_json()["checks"] == {"database": "ok", "keys": "ok"}
    assert root.secret_access_key not in response.get_data(as_text=True)
