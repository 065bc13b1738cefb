"""The admin console under `/console/`: server-rendered pages where every read and write is an IAM action.

A console action is the IAM action it is, asked of the ONE shared authorizer
(`idp.authz.authorizer`) for the browser session's principal, then done by the
same service function the Query API calls; a refusal shows AWS's reason in
place. `common` holds the framework every page uses (`console_principal`,
`check`, `require`, `render`); each other module of this package adds its
pages to `blueprint` just by existing (imported below, like
`idp.aws.iam.register_all`).
"""
from __future__ import annotations

import importlib
import pkgutil

from flask import Blueprint

blueprint = Blueprint("console", __name__, url_prefix="/console")


def _import_pages() -> None:
    """Import every module of the package, so each registers its routes on `blueprint`."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


_import_pages()
