"""Check that imports point down the layer map in `layers.toml` and that no packages import each other in a cycle.

`python tools/check_layers.py` prints each violation and exits 1 if there is one. Every import counts, including
those inside functions, except those under `if TYPE_CHECKING:`: a name used only in annotations (an adapter
naming the model class a service hands it) is no dependency at run time.
"""
from __future__ import annotations

import ast
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("idp", "models")


@dataclass(frozen=True)
class Entry:
    name: str          # a package (prefix) or an exact module
    layer: int         # 0 = top
    exact: bool
    stdlib_only: bool
    may_import: frozenset[int] | None = None  # the layers below it may import; None: every one below


def load_map(path: Path = ROOT / "layers.toml") -> tuple[list[str], list[Entry]]:
    data = tomllib.loads(path.read_text())
    names = [layer["name"] for layer in data["layer"]]
    entries = []
    for index, layer in enumerate(data["layer"]):
        stdlib_only = layer.get("imports") == "stdlib"
        allowed = layer.get("may_import")
        if allowed is not None:
            unknown = [name for name in allowed if name not in names[index + 1:]]
            if unknown:
                raise ValueError(f"layer {layer['name']}: may_import names no layer below it: {unknown}")
            allowed = frozenset(names.index(name) for name in allowed)
        entries += [Entry(m, index, True, stdlib_only, allowed) for m in layer.get("modules", [])]
        entries += [Entry(p, index, False, stdlib_only, allowed) for p in layer.get("packages", [])]
    return names, entries


def modules(root: Path = ROOT) -> dict[str, Path]:
    found = {}
    for top in SOURCES:
        for path in sorted((root / top).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if "migrations" in parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def entry_of(module: str, entries: list[Entry]) -> Entry | None:
    best = None
    for entry in entries:
        if module == entry.name or (not entry.exact and module.startswith(entry.name + ".")):
            if best is None or len(entry.name) > len(best.name):
                best = entry
    return best


def imports_of(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The modules of idp/ and models/ (and, for the stdlib check, top-level names) that `module` imports."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")
                parts = parts if is_package else parts[:-1]
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join(parts + ([base] if base else []))
            submodules = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in known]
            found.update(submodules)
            if len(submodules) < len(node.names):
                found.add(base)
    return found


def _runtime_nodes(tree: ast.AST):
    """Every node of `tree` except the bodies of `if TYPE_CHECKING:` blocks."""
    pending = [tree]
    while pending:
        node = pending.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            pending.extend(node.orelse)
            continue
        pending.extend(ast.iter_child_nodes(node))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def check(root: Path = ROOT, layers_file: Path | None = None) -> list[str]:
    names, entries = load_map(layers_file or root / "layers.toml")
    known = modules(root)
    problems: list[str] = []
    package_edges: dict[str, dict[str, str]] = {}
    for module, path in known.items():
        own = entry_of(module, entries)
        if own is None:
            problems.append(f"{module}: belongs to no layer in layers.toml")
            continue
        for target in sorted(imports_of(module, path, known)):
            top = target.split(".")[0]
            if own.stdlib_only and top not in sys.stdlib_module_names and not target.startswith(own.name):
                problems.append(f"{module} imports {target}: layer {names[own.layer]} imports the standard library only")
                continue
            if top not in SOURCES:
                continue
            other = entry_of(target, entries)
            if other is None or other == own:
                continue
            if other.layer < own.layer:
                problems.append(f"{module} ({names[own.layer]}) imports {target} ({names[other.layer]}): "
                                "imports point down only")
            elif other.layer > own.layer and own.may_import is not None and other.layer not in own.may_import:
                problems.append(f"{module} ({names[own.layer]}) imports {target} ({names[other.layer]}): "
                                f"layer {names[own.layer]} may import only "
                                + ", ".join(names[index] for index in sorted(own.may_import)))
            elif other.layer == own.layer:
                package_edges.setdefault(own.name, {}).setdefault(other.name, f"{module} -> {target}")
    problems += [f"cycle between packages: {cycle}" for cycle in _cycles(package_edges)]
    return problems


def _cycles(edges: dict[str, dict[str, str]]) -> list[str]:
    """Each strongly connected group of packages (Tarjan), shown with one import per edge inside it."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for succ in edges.get(node, {}):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return ["{" + ", ".join(group) + "}: " + "; ".join(
        sorted(why for a in group for b, why in edges.get(a, {}).items() if b in group)) for group in groups]


def main() -> int:
    problems = check()
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} import(s) break layers.toml")
        return 1
    print("imports follow layers.toml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
