"""The catalogue of actions, resource types and condition keys the analyzer knows.

Bundled as one JSON file per service under `catalog/` (IAM, STS and Access
Analyzer generated from botocore's models by `tools/build_action_catalog.py`; the notes
example and the global `aws:` keys written by hand). More services load from
extra files in the same shape: `load_catalog(paths)`, the Flask setting
`ANALYZER_CATALOG_FILES`, or any `*.json` in `<instance>/analyzer-catalog/`.
"""
from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from idp.errors import ConfigError
from idp.policy.patterns import glob_regex, literal

BUNDLED_DIR = Path(__file__).resolve().parent / "catalog"
_TEMPLATE = re.compile(r"\$\{[^}]*\}")
MULTI_VALUED_PREFIX = "ArrayOf"


@dataclass(frozen=True)
class ActionEntry:
    """One action: its resource types and the service-specific condition keys it supplies."""

    service: str
    name: str
    access_level: str
    resource_types: tuple[str, ...]
    condition_keys: tuple[str, ...]

    @property
    def full_name(self) -> str:
        """`service:Name` as policies spell it."""
        return f"{self.service}:{self.name}"


@dataclass(frozen=True)
class ServiceEntry:
    """One service prefix of the catalogue."""

    prefix: str
    name: str
    actions: dict[str, ActionEntry]  # by lowercased action name
    resource_types: dict[str, str]  # type -> ARN template
    condition_keys: dict[str, str]  # key as written (may hold ${TagKey}) -> type
    web_identity_keys: bool = False


@dataclass
class Catalog:
    """Every known service; lookups are case-insensitive as IAM's are."""

    services: dict[str, ServiceEntry] = field(default_factory=dict)
    # Real service prefixes whose actions are not catalogued: never INVALID_SERVICE, actions unchecked.
    prefixes: set[str] = field(default_factory=set)

    def add(self, document: dict, source: str) -> None:
        """Merge one catalogue document (a later file extends or replaces a service's actions)."""
        if isinstance(document, dict) and "servicePrefixes" in document:
            self.prefixes.update(str(prefix).lower() for prefix in document["servicePrefixes"])
            return
        try:
            prefix = document["service"].lower()
            actions = {
                name.lower(): ActionEntry(prefix, name, spec.get("accessLevel", "Write"),
                                          tuple(spec.get("resourceTypes", ())), tuple(spec.get("conditionKeys", ())))
                for name, spec in document.get("actions", {}).items()
            }
            entry = ServiceEntry(prefix, document.get("name", prefix), actions,
                                 dict(document.get("resourceTypes", {})), dict(document.get("conditionKeys", {})),
                                 bool(document.get("webIdentityKeys", False)))
        except (KeyError, AttributeError, TypeError) as error:
            raise ConfigError(f"{source}: not an analyzer catalogue file ({error})") from None
        known = self.services.get(prefix)
        if known is not None:
            entry = ServiceEntry(prefix, entry.name, {**known.actions, **entry.actions},
                                 {**known.resource_types, **entry.resource_types},
                                 {**known.condition_keys, **entry.condition_keys},
                                 known.web_identity_keys or entry.web_identity_keys)
        self.services[prefix] = entry

    def exists(self, prefix: str) -> bool:
        """Whether the service prefix is real (catalogued or merely known)."""
        return prefix.lower() in self.services or prefix.lower() in self.prefixes

    def service(self, prefix: str) -> ServiceEntry | None:
        """The service with this prefix, or None."""
        return self.services.get(prefix.lower())

    def actions(self) -> list[ActionEntry]:
        """Every action of every service."""
        return [action for service in self.services.values() for action in service.actions.values()]

    def matching(self, pattern: str) -> list[ActionEntry]:
        """The actions an Action element pattern (`iam:Get*`, `*`) names."""
        regex = glob_regex(literal(pattern.lower()))
        prefix = pattern.split(":", 1)[0].lower()
        services = [self.services[prefix]] if prefix in self.services else self.services.values()
        return [action for service in services for action in service.actions.values()
                if regex.fullmatch(action.full_name.lower())]

    def suggestion(self, action: str) -> str | None:
        """The closest real action to a misspelled one ("iam:GetUsr" -> "iam:GetUser")."""
        prefix = action.split(":", 1)[0].lower()
        service = self.services.get(prefix)
        names = [a.full_name for a in (service.actions.values() if service else self.actions())]
        lowered = {name.lower(): name for name in names}
        close = difflib.get_close_matches(action.lower(), list(lowered), n=1, cutoff=0.6)
        return lowered[close[0]] if close else None

    def suggest_service(self, prefix: str) -> str | None:
        """The closest known service prefix."""
        candidates = sorted({*self.services, *self.prefixes} - {"aws"})
        close = difflib.get_close_matches(prefix.lower(), candidates, n=1, cutoff=0.6)
        return close[0] if close else None

    def key_type(self, key: str) -> str | None:
        """The type of a condition key (`String`, `ArrayOfString`, ...), None when unknown."""
        prefix = key.split(":", 1)[0].lower()
        service = self.services.get(prefix)
        if service is None:
            return None
        for written, kind in service.condition_keys.items():
            if _key_matches(written, key):
                return kind
        return None

    def action_supports(self, action: ActionEntry, key: str) -> bool:
        """Whether the action supplies this service-specific condition key."""
        return any(_key_matches(written, key) for written in action.condition_keys)

    def resource_templates(self, prefix: str) -> dict[str, str]:
        """Resource type -> ARN template for a service (empty when unknown)."""
        service = self.services.get(prefix.lower())
        return service.resource_types if service else {}


def _key_matches(written: str, key: str) -> bool:
    # `aws:RequestTag/${TagKey}` names every `aws:RequestTag/<anything>`.
    if "${" not in written:
        return written.lower() == key.lower()
    head = _TEMPLATE.split(written, 1)[0]
    return key.lower().startswith(head.lower()) and len(key) > len(head)


def load_catalog(extra: Iterable[Path | str] = ()) -> Catalog:
    """The bundled catalogue plus extra files (each a service document or a list of them)."""
    catalog = Catalog()
    for path in [*sorted(BUNDLED_DIR.glob("*.json")), *(Path(p) for p in extra)]:
        try:
            loaded = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ConfigError(f"cannot read analyzer catalogue {path}: {error}") from None
        for document in loaded if isinstance(loaded, list) else [loaded]:
            catalog.add(document, str(path))
    return catalog


@lru_cache(maxsize=1)
def bundled() -> Catalog:
    """The bundled catalogue, loaded once per process."""
    return load_catalog()


def for_app(app) -> Catalog:
    """The app's catalogue: bundled, `ANALYZER_CATALOG_FILES`, and `<instance>/analyzer-catalog/*.json`."""
    cached = app.extensions.get("idp.analyzer_catalog")
    if cached is None:
        extra = [*app.config.get("ANALYZER_CATALOG_FILES", ()),
                 *sorted(Path(app.instance_path, "analyzer-catalog").glob("*.json"))]
        cached = load_catalog(extra) if extra else bundled()
        app.extensions["idp.analyzer_catalog"] = cached
    return cached
