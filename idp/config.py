"""Every IDP_* setting, read once, validated once."""
from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from idp.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
ACCOUNT_ID_RE = re.compile(r"^\d{12}$")
ACCESS_KEY_ID_RE = re.compile(r"^AKIA[A-Z0-9]{16}$")
SECRET_KEY_RE = re.compile(r"^[A-Za-z0-9/+=]{30,128}$")
MASTER_KEY_BYTES = 32
METRICS_TOKEN_RE = re.compile(r"^[A-Za-z0-9\-._~+/]{32,256}=*$")
MAIL_ADDRESS_RE = re.compile(r"^[^@\s<>\"(),;:]{1,64}@[A-Za-z0-9.-]{1,253}$")


@dataclass(frozen=True)
class Settings:
    """The validated configuration of one app instance."""

    database_url: str
    issuer: str
    redis_url: str | None
    account_id: str | None
    root_access_key_id: str | None
    root_secret_access_key: str | None
    root_password: str | None
    master_key: bytes | None
    keys_dir: Path
    instance_dir: Path
    auto_bootstrap: bool
    token_lifetime: int
    key_refresh_seconds: int
    authz_refresh_seconds: int
    dynamic_registration: bool = False
    upstreams_file: Path | None = None
    # Networks that server-side fetches for untrusted input may reach besides global addresses
    # (IDP_FETCH_ALLOWED_NETWORKS, comma-separated CIDRs; empty by default): see idp.fetch.
    fetch_allowed_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    # IDP_METRICS_TOKEN: the bearer token `GET /metrics` requires; unset, /metrics is off (404): idp.endpoints.metrics.
    metrics_token: str | None = None
    # IDP_LOG_FORMAT: `text` (console lines, the default for `make run`) or `json` (one object per line): idp.logs.
    log_format: str = "text"
    # Scheduled key rotation and purges inside the service (idp.housekeeping): IDP_HOUSEKEEPING=on|off, on by
    # default except in apps built with TESTING; IDP_KEY_ROTATION_DAYS=0 never rotates automatically.
    housekeeping: bool = False
    housekeeping_interval_seconds: int = 300
    key_rotation_days: int = 30
    # IDP_AUDIT_RETENTION_DAYS: audit events older than this are purged (idp.trail.retention); 0 keeps them forever.
    audit_retention_days: int = 365
    # Mail (idp.mail): IDP_SMTP_URL `smtp://[user:password@]host[:port]` (STARTTLS required, plain only to a
    # loopback host) or `smtps://...` (implicit TLS); unset, mail waits in the outbox. IDP_MAIL_FROM the sender
    # address, IDP_MAIL_SENDER_NAME its default display name (an account may set its own).
    smtp_url: str | None = None
    mail_from: str = "no-reply@localhost"
    mail_sender_name: str = "Identity provider"


def load_settings(overrides: Mapping | None = None, environ: Mapping | None = None) -> Settings:
    """Merge environment and explicit overrides into validated Settings."""
    source = dict(os.environ if environ is None else environ)
    source.update({k: v for k, v in (overrides or {}).items() if k.startswith("IDP_")})
    instance_dir = Path(source.get("IDP_INSTANCE_DIR") or REPO_ROOT / "instance")
    return Settings(
        database_url=source.get("IDP_DATABASE_URL") or f"sqlite:///{instance_dir / 'idp.db'}",
        issuer=_issuer(source.get("IDP_ISSUER") or "http://127.0.0.1:5000"),
        redis_url=source.get("IDP_REDIS_URL") or None,
        account_id=_matching(source, "IDP_ACCOUNT_ID", ACCOUNT_ID_RE, "12 digits"),
        root_access_key_id=_matching(
            source, "IDP_ROOT_ACCESS_KEY_ID", ACCESS_KEY_ID_RE, "AKIA followed by 16 upper-case letters or digits"
        ),
        root_secret_access_key=_root_secret(source),
        root_password=source.get("IDP_ROOT_PASSWORD") or None,
        master_key=_master_key(source.get("IDP_MASTER_KEY")),
        keys_dir=Path(source.get("IDP_KEYS_DIR") or REPO_ROOT / "keys"),
        instance_dir=instance_dir,
        auto_bootstrap=_flag(source.get("IDP_AUTO_BOOTSTRAP", "1")),
        token_lifetime=_positive_int(source, "IDP_TOKEN_LIFETIME", 3600),
        key_refresh_seconds=_positive_int(source, "IDP_KEY_REFRESH_SECONDS", 5),
        authz_refresh_seconds=_positive_int(source, "IDP_AUTHZ_REFRESH_SECONDS", 1),
        dynamic_registration=_on_off(source, "IDP_DYNAMIC_REGISTRATION"),
        upstreams_file=_existing_file(source, "IDP_UPSTREAMS_FILE"),
        audit_retention_days=_retention_days(source),
        fetch_allowed_networks=_networks(source, "IDP_FETCH_ALLOWED_NETWORKS"),
        metrics_token=_metrics_token(source),
        log_format=_one_of(source, "IDP_LOG_FORMAT", ("text", "json")),
        housekeeping=_on_off(source, "IDP_HOUSEKEEPING", default="off" if (overrides or {}).get("TESTING") else "on"),
        housekeeping_interval_seconds=_bounded_int(source, "IDP_HOUSEKEEPING_INTERVAL_SECONDS", 300, 1, 86_400),
        key_rotation_days=_bounded_int(source, "IDP_KEY_ROTATION_DAYS", 30, 0, 3650),
        smtp_url=_smtp_url(source),
        mail_from=_mail_from(source),
        mail_sender_name=(source.get("IDP_MAIL_SENDER_NAME") or "Identity provider").strip()[:128],
    )


def _matching(source: Mapping, name: str, pattern: re.Pattern, shape: str) -> str | None:
    value = source.get(name) or None
    if value is not None and not pattern.match(value):
        raise ConfigError(f"{name} must be {shape}, got {value!r}")
    return value


def _root_secret(source: Mapping) -> str | None:
    secret = source.get("IDP_ROOT_SECRET_ACCESS_KEY") or None
    key_id = source.get("IDP_ROOT_ACCESS_KEY_ID") or None
    if secret is not None and not SECRET_KEY_RE.match(secret):
        raise ConfigError("IDP_ROOT_SECRET_ACCESS_KEY must be 30..128 characters of A-Z a-z 0-9 / + =")
    if bool(secret) != bool(key_id):
        raise ConfigError("IDP_ROOT_ACCESS_KEY_ID and IDP_ROOT_SECRET_ACCESS_KEY must be set together")
    return secret


def _master_key(value: str | None) -> bytes | None:
    if not value:
        return None
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_" if "-" in value or "_" in value else None, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError("IDP_MASTER_KEY must be base64") from None
    if len(raw) != MASTER_KEY_BYTES:
        raise ConfigError(f"IDP_MASTER_KEY must decode to {MASTER_KEY_BYTES} bytes, got {len(raw)}")
    return raw


def _issuer(value: str) -> str:
    if not re.match(r"^https?://[^\s/?#]+(/[^\s?#]*)?$", value):
        raise ConfigError(f"IDP_ISSUER must be an http(s) URL without query or fragment, got {value!r}")
    return value.rstrip("/")


def _on_off(source: Mapping, name: str, default: str = "off") -> bool:
    value = str(source.get(name) or default).strip().lower()
    if value not in ("on", "off"):
        raise ConfigError(f"{name} must be on or off, got {value!r}")
    return value == "on"


def _one_of(source: Mapping, name: str, choices: tuple[str, ...]) -> str:
    """One of `choices` (the first is the default), case-insensitive."""
    value = str(source.get(name) or choices[0]).strip().lower()
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _existing_file(source: Mapping, name: str) -> Path | None:
    value = source.get(name) or None
    if value is not None and not Path(value).is_file():
        raise ConfigError(f"{name} must name a readable file, got {value!r}")
    return Path(value) if value else None


def _networks(source: Mapping, name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Comma-separated CIDRs (`127.0.0.0/8,::1/128`); a bare address is its own /32 or /128."""
    raw = str(source.get(name) or "")
    networks = []
    for item in filter(None, (part.strip() for part in raw.split(","))):
        try:
            networks.append(ipaddress.ip_network(item, strict=True))
        except ValueError:
            raise ConfigError(f"{name} must be comma-separated networks like 10.0.0.0/8, got {item!r}") from None
    return tuple(networks)


def _metrics_token(source: Mapping) -> str | None:
    """A bearer token (RFC 6750 b64token characters) long enough not to be guessed."""
    value = source.get("IDP_METRICS_TOKEN") or None
    if value is not None and not METRICS_TOKEN_RE.match(value):
        raise ConfigError("IDP_METRICS_TOKEN must be 32..256 characters of A-Z a-z 0-9 - . _ ~ + / "
                          "(for example the output of `openssl rand -hex 32`)")
    return value


def _retention_days(source: Mapping) -> int:
    """0 (keep forever) or at least a week: the database refuses purge windows newer than a day anyway."""
    days = _bounded_int(source, "IDP_AUDIT_RETENTION_DAYS", 365, 0, 36500)
    if 0 < days < 7:
        raise ConfigError(f"IDP_AUDIT_RETENTION_DAYS must be 0 (keep forever) or at least 7, got {days}")
    return days


def _smtp_url(source: Mapping) -> str | None:
    """`smtp://` or `smtps://` with a host and an optional port (the mail sender reads its parts)."""
    value = source.get("IDP_SMTP_URL") or None
    if value is None:
        return None
    parts = urlsplit(value)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname or port == -1 or parts.path not in ("", "/"):
        raise ConfigError(f"IDP_SMTP_URL must be smtp://host[:port] or smtps://host[:port], got {parts.scheme}://...")
    return value


def _mail_from(source: Mapping) -> str:
    """A plain address (no display name: IDP_MAIL_SENDER_NAME and the account's setting give that)."""
    host = urlsplit(_issuer(source.get("IDP_ISSUER") or "http://127.0.0.1:5000")).hostname or "localhost"
    default = f"no-reply@{'localhost' if re.fullmatch(r'[0-9.]+|.*:.*', host) else host}"
    value = (source.get("IDP_MAIL_FROM") or default).strip()
    if not MAIL_ADDRESS_RE.match(value):
        raise ConfigError(f"IDP_MAIL_FROM must be an address like no-reply@example.com, got {value!r}")
    return value


def _flag(value: str) -> bool:
    return str(value).strip().lower() not in ("0", "false", "no", "off", "")


def _positive_int(source: Mapping, name: str, default: int) -> int:
    raw = source.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {value}")
    return value


def _bounded_int(source: Mapping, name: str, default: int, low: int, high: int) -> int:
    raw = source.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value
