"""The layer map holds: imports point down `layers.toml` and no packages import each other round a cycle."""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))

import check_layers  # noqa: E402


def test_the_code_follows_the_layer_map():
    assert check_layers.check() == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return tmp_path


LAYERS = """
[[layer]]
name = "adapters"
packages = ["idp.web"]
[[layer]]
name = "services"
packages = ["idp.iam", "idp.sts"]
[[layer]]
name = "policy"
packages = ["idp.policy"]
imports = "stdlib"
[[layer]]
name = "models"
packages = ["models"]
"""


def test_an_import_pointing_up_is_reported(tmp_path):
    root = _tree(tmp_path, {
        "layers.toml": LAYERS, "models/__init__.py": "", "idp/__init__.py": "", "idp/web/__init__.py": "",
        "idp/iam/__init__.py": "", "idp/sts/__init__.py": "", "idp/policy/__init__.py": "",
        "idp/iam/users.py": "def f():\n    from idp.web import views\n", "idp/web/views.py": "",
    })
    problems = check_layers.check(root)
    assert any("idp.iam.users (services) imports idp.web.views (adapters)" in p for p in problems)
    assert any("idp: belongs to no layer" in p for p in problems)  # every module has a layer


def test_a_cycle_between_packages_of_one_layer_is_reported(tmp_path):
    root = _tree(tmp_path, {
        "layers.toml": LAYERS, "models/__init__.py": "", "idp/web/__init__.py": "", "idp/policy/__init__.py": "",
        "idp/iam/__init__.py": "from idp.sts import sessions\n", "idp/sts/__init__.py": "",
        "idp/sts/sessions.py": "from idp.iam import users\n", "idp/iam/users.py": "",
    })
    assert [p for p in check_layers.check(root) if p.startswith("cycle")] == [
        "cycle between packages: {idp.iam, idp.sts}: idp.iam -> idp.sts.sessions; idp.sts.sessions -> idp.iam.users"]


def test_the_policy_engine_may_import_the_standard_library_only(tmp_path):
    root = _tree(tmp_path, {
        "layers.toml": LAYERS, "models/__init__.py": "", "idp/web/__init__.py": "", "idp/iam/__init__.py": "",
        "idp/sts/__init__.py": "", "idp/policy/__init__.py": "import json\nfrom . import parser\n",
        "idp/policy/parser.py": "import flask\nfrom models import db\n",
    })
    problems = check_layers.check(root)
    assert problems == [
        "idp.policy.parser imports flask: layer policy imports the standard library only",
        "idp.policy.parser imports models: layer policy imports the standard library only",
    ]


def test_a_layer_imports_only_the_layers_it_names(tmp_path):
    layers = LAYERS.replace('packages = ["idp.web"]', 'packages = ["idp.web"]\nmay_import = ["services"]')
    root = _tree(tmp_path, {
        "layers.toml": layers, "models/__init__.py": "", "idp/__init__.py": "", "idp/iam/__init__.py": "",
        "idp/sts/__init__.py": "", "idp/policy/__init__.py": "", "idp/web/__init__.py": "",
        "idp/web/views.py": "from idp.iam import users\nfrom models import db\n", "idp/iam/users.py": "",
    })
    problems = [p for p in check_layers.check(root) if p.startswith("idp.web")]
    assert problems == ["idp.web.views (adapters) imports models (models): layer adapters may import only services"]


def test_imports_for_annotations_only_are_no_dependency(tmp_path):
    layers = LAYERS.replace('packages = ["idp.web"]', 'packages = ["idp.web"]\nmay_import = ["services"]')
    root = _tree(tmp_path, {
        "layers.toml": layers, "models/__init__.py": "", "idp/iam/__init__.py": "", "idp/sts/__init__.py": "",
        "idp/policy/__init__.py": "", "idp/web/__init__.py": "",
        "idp/web/views.py": """\
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from models.user import User
            else:
                from models import db
            """,
        "models/user.py": "",
    })
    assert [p for p in check_layers.check(root) if p.startswith("idp.web")] == [
        "idp.web.views (adapters) imports models (models): layer adapters may import only services"]


def test_may_import_names_only_layers_below(tmp_path):
    layers = LAYERS.replace('packages = ["idp.iam", "idp.sts"]', 'packages = ["idp.iam", "idp.sts"]\nmay_import = ["adapters"]')
    root = _tree(tmp_path, {"layers.toml": layers, "models/__init__.py": ""})
    with pytest.raises(ValueError, match=r"may_import names no layer below it: \['adapters'\]"):
        check_layers.check(root)
