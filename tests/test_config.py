"""Settings are read once and refused clearly when malformed."""
import base64

import pytest

from idp.config import load_settings
from idp.errors import ConfigError


def test_defaults_point_at_the_repo_instance_folder():
    settings = load_settings({}, environ={})
    assert settings.database_url.endswith("/instance/idp.db") and settings.database_url.startswith("sqlite:///")
    assert settings.issuer == "http://127.0.0.1:5000"
    assert settings.redis_url is None and settings.account_id is None and settings.master_key is None


def test_overrides_beat_the_environment():
    settings = load_settings({"IDP_ISSUER": "https://id.example/"}, environ={"IDP_ISSUER": "http://other"})
    assert settings.issuer == "https://id.example"


@pytest.mark.parametrize(
    "name, value, fragment",
    [
        ("IDP_ACCOUNT_ID", "12345", "IDP_ACCOUNT_ID must be 12 digits"),
        ("IDP_ACCOUNT_ID", "12345678901a", "IDP_ACCOUNT_ID must be 12 digits"),
        ("IDP_ROOT_ACCESS_KEY_ID", "ASIAEXAMPLEEXAMPLE12", "IDP_ROOT_ACCESS_KEY_ID must be AKIA"),
        ("IDP_ROOT_ACCESS_KEY_ID", "AKIAshort", "IDP_ROOT_ACCESS_KEY_ID must be AKIA"),
        ("IDP_MASTER_KEY", base64.b64encode(b"x" * 16).decode(), "must decode to 32 bytes, got 16"),
        ("IDP_MASTER_KEY", "not base64!!", "IDP_MASTER_KEY must be base64"),
        ("IDP_ISSUER", "ftp://x", "IDP_ISSUER must be an http(s) URL"),
        ("IDP_ISSUER", "https://x/?q=1", "IDP_ISSUER must be an http(s) URL"),
        ("IDP_TOKEN_LIFETIME", "-5", "IDP_TOKEN_LIFETIME must be positive"),
    ],
)
def test_malformed_settings_are_refused_by_name(name, value, fragment):
    with pytest.raises(ConfigError) as caught:
        load_settings({name: value}, environ={})
    assert fragment in caught.value.message


def test_root_key_id_and_secret_come_together():
    with pytest.raises(ConfigError, match="must be set together"):
        load_settings({"IDP_ROOT_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE"}, environ={})
    settings = load_settings(
        {"IDP_ROOT_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
         "IDP_ROOT_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
        environ={},
    )
    assert settings.root_access_key_id == "AKIAIOSFODNN7EXAMPLE"


def test_master_key_accepts_standard_and_url_safe_base64():
    raw = bytes(range(32))
    assert load_settings({"IDP_MASTER_KEY": base64.b64encode(raw).decode()}, environ={}).master_key == raw
    assert load_settings({"IDP_MASTER_KEY": base64.urlsafe_b64encode(raw).decode().rstrip("=")}, environ={}).master_key == raw
