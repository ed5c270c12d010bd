"""The layers of docs/dev/architecture.md hold: imports point down only, no module imports
another that imports it back, and an import inside a function says why."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

# Lowest first; a package may import its own layer and the ones before it.
LAYERS = ("simulator", "tracks", "league", "racing", "ladder", "nights", "live", "web", "config")


def _modules() -> dict[str, Path]:
    found = {}
    for package in LAYERS:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, ast.stmt, bool]]:
    """(imported module, statement, inside a function) for each import of our modules."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    in_function = {
        id(node)
        for fn in ast.walk(tree)
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
        for node in ast.walk(fn)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            if target in MODULES and target != name:
                found.append((target, node, id(node) in in_function))
    return found


EDGES = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(module: str) -> int:
    return LAYERS.index(module.split(".")[0])


def test_imports_point_down():
    upward = [
        f"{name} imports {target}"
        for name, imports in EDGES.items()
        for target, _, _ in imports
        if _layer(target) > _layer(name)
    ]
    assert not upward, "\n".join(upward)


def test_no_import_cycles():
    graph = {name: {target for target, _, _ in imports} for name, imports in EDGES.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(path[path.index(nxt):] + [node, nxt]) if nxt in path else f"{node} -> {nxt}")
            elif nxt not in state:
                visit(nxt, path + [node])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])
    assert not cycles, "\n".join(cycles)


def test_the_simulator_never_imports_django():
    offenders = []
    for name, path in MODULES.items():
        if name.startswith("simulator"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level:
                    names = [node.module or ""]
                offenders += [f"{name}: {n}" for n in names if n.split(".")[0] in ("django", "rest_framework", "channels")]
    assert not offenders, offenders


@pytest.mark.parametrize("name", sorted(MODULES))
def test_an_import_inside_a_function_says_why(name):
    source = MODULES[name].read_text()
    lines = source.splitlines()
    silent = []
    for fn in ast.walk(ast.parse(source)):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(fn):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                # One comment may speak for a block of imports: look up to its start.
                first = node.lineno - 1
                while first > 0 and "#" not in lines[first] and lines[first - 1].strip().startswith(("import ", "from ")):
                    first -= 1
                if "#" not in lines[first] and not lines[first - 1].strip().startswith("#"):
                    silent.append(f"line {node.lineno}: {lines[node.lineno - 1].strip()}")
    assert not silent, f"{name}: imports inside functions need a comment saying why:\n" + "\n".join(sorted(set(silent)))
