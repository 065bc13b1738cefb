"""STS actions on the Query protocol: thin adapters (parse, authorize, call a service, shape the result).

Every module of this package registers its actions with `idp.aws.api.query_action`
when imported; `register_all` imports them all.
"""
from __future__ import annotations

import importlib
import pkgutil


def register_all() -> None:
    """Import every action module so its actions are registered."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
