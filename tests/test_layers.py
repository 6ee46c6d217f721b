"""The package's layers: a module imports only from its own folder and the folders below it, and no
import chain comes back to where it started."""

from __future__ import annotations

import ast
from pathlib import Path

import dialer

PACKAGE = Path(dialer.__file__).parent

# Lowest first; folders on one level do not import each other.
LAYERS = {
    "core": 0,
    "windows": 0,
    "calllist": 1,
    "campaign": 2,
    "journal": 3,
    "switch": 3,
    "planning": 4,
    "run": 5,
    "reporting": 6,
    "commands": 7,
    "simulator": 8,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts).removesuffix(".__init__")


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(path: Path) -> set[str]:
    """The dialer modules a file imports (``from pkg import sub`` counts as the submodule)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("dialer"):
            subs = {f"{node.module}.{alias.name}" for alias in node.names} & MODULES.keys()
            found |= subs or {node.module}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("dialer.")}
    return {name for name in found if name in MODULES}


GRAPH = {name: imports_of(path) - {name} for name, path in MODULES.items()}


def folder(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in LAYERS) else None


def test_every_folder_is_placed_in_a_layer():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == set(LAYERS)


def test_no_module_imports_from_a_higher_layer():
    upward = [
        (name, imported)
        for name, imported_names in GRAPH.items()
        for imported in imported_names
        if folder(name) and folder(imported) and LAYERS[folder(imported)] > LAYERS[folder(name)]
    ]
    assert not upward


def test_no_import_cycle():
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for imported in sorted(GRAPH[name]):
            if state.get(imported) == 1:
                cycles.append([*path[path.index(imported) :], imported])
            elif imported not in state:
                visit(imported, [*path, imported])
        state[name] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])
    assert not cycles


def test_no_test_imports_from_a_test_module():
    """What tests share lives in tests/helpers or a conftest, not in a file named like a test."""
    importing = {}
    for path in Path(__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if any(name.split(".")[-1].startswith("test_") for name in names):
                importing[str(path)] = names
    assert importing == {}
