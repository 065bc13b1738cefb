"""Keys live in the database; rotation publishes before it signs; retired keys stay until expiry."""
from datetime import datetime, timezone

import pytest

from idp.clock import FixedClock
from idp.errors import ConfigError
from idp.keys import jwt, keystore, sign_token, verify_own_token


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc))


@pytest.fixture
def app_config(app_config, clock):
    return {**app_config, "IDP_CLOCK": clock, "IDP_KEY_REFRESH_SECONDS": "1", "IDP_TOKEN_LIFETIME": "600"}


def _kids(db):
    return {k["kid"] for k in keystore().jwks()["keys"]}


def test_ensure_creates_current_and_next_keys_once(db):
    created = keystore().ensure()
    assert len(created) == 8  # ES256, RS256, EdDSA, session: current + next each
    assert keystore().ensure() == []
    jwks = keystore().jwks()["keys"]
    assert {k["alg"] for k in jwks} == {"ES256", "RS256", "EdDSA"} and len(jwks) == 6
    assert all("d" not in k and "p" not in k for k in jwks), "private parts must never be published"
    es = keystore().signing_key("ES256")
    assert es.kid == es.key.thumbprint(), "kid is the RFC 7638 thumbprint"


def test_private_material_is_encrypted_at_rest(db):
    from models.keys import SigningKey

    keystore().ensure()
    row = db.session.query(SigningKey).filter_by(alg="ES256", status="current").one()
    assert b"PRIVATE KEY" not in row.encrypted_private


def test_rotation_publishes_before_signing_and_keeps_retired_keys_until_expiry(db, clock):
    store = keystore()
    store.ensure()
    old = store.signing_key("ES256").kid
    issuer = keystore_issuer()
    token = sign_token({"iss": issuer, "sub": "s", "aud": "c", "exp": int(clock.now().timestamp()) + 600,
                        "iat": int(clock.now().timestamp())})
    upcoming = next(k["kid"] for k in store.jwks()["keys"] if k["alg"] == "ES256" and k["kid"] != old)

    with pytest.raises(ConfigError, match="published less than 60s ago"):
        store.rotate()
    clock.advance(61)
    published = store.rotate()

    assert store.signing_key("ES256").kid == upcoming, "the key that signs next was already published"
    kids = _kids(db)
    assert {old, upcoming} <= kids and set(published) <= kids
    assert verify_own_token(token, kind=jwt.ID_TOKEN)["sub"] == "s", "tokens of the retired key still verify"

    clock.advance(601)
    store.invalidate()
    assert old not in _kids(db), "retired keys leave the JWKS once their tokens have expired"


def test_unknown_kid_forces_a_reload_so_other_instances_keys_are_seen(db, clock):
    store = keystore()
    store.ensure()
    store.jwks()
    from models import db as database
    from models.keys import SigningKey

    database.session.query(SigningKey).filter_by(alg="ES256", status="next").one()
    clock.advance(61)
    store.rotate(force=True)
    new_next = database.session.query(SigningKey).filter_by(alg="ES256", status="next").one().kid
    store._loaded_at = float("inf")  # pretend the cache is fresh
    assert store.verification_key(new_next) is not None
    assert store.verification_key("no-such-kid") is None


def test_session_keys_are_never_published(db):
    store = keystore()
    store.ensure()
    session = store.session_key()
    assert len(session.key) == 32 and session.kid not in _kids(db)


def keystore_issuer() -> str:
    from flask import current_app

    return current_app.config["IDP_SETTINGS"].issuer
