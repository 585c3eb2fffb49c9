"""The layering the code promises, read from its own imports: no import cycles; records, checks and
reports never reach git, the workspace or a front end."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "reviewvet"

# What each layer may never import (by module-name prefix), type-only imports included.
FORBIDDEN = {
    "reviewvet.model": ("reviewvet.",),  # records only: nothing of reviewvet beyond model itself
    "reviewvet.checks": ("reviewvet.git", "reviewvet.workspace", "reviewvet.resolve", "reviewvet.cli",
                         "reviewvet.api", "reviewvet.index.build", "reviewvet.index.cache", "reviewvet.audit"),
    "reviewvet.report": ("reviewvet.git", "reviewvet.workspace", "reviewvet.resolve", "reviewvet.cli",
                         "reviewvet.api", "reviewvet.index.build", "reviewvet.index.cache", "reviewvet.audit",
                         "reviewvet.pipeline"),
}
ALLOWED = {"reviewvet.model": ("reviewvet.model",)}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[str, bool]]:
    """Every module ``path`` imports, with whether the import is for type checking only."""
    tree = ast.parse(path.read_text("utf-8"))
    typing_only = {id(sub) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and "TYPE_CHECKING" in ast.unparse(node.test) for sub in ast.walk(node)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found += [(name, id(node) in typing_only) for name in names]
    return found


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def test_the_import_graph_has_no_cycles() -> None:
    graph = networkx.DiGraph()
    for name, path in MODULES.items():
        graph.add_node(name)
        for target, typing_only in imports(path):
            if target in MODULES and target != name and not typing_only:
                graph.add_edge(name, target)
    cycles = [" -> ".join(c) for c in networkx.simple_cycles(graph)]
    assert not cycles, cycles


def test_records_checks_and_reports_stay_off_git_and_the_front_ends() -> None:
    broken = []
    for name, path in MODULES.items():
        for layer, forbidden in FORBIDDEN.items():
            if not (name == layer or name.startswith(layer + ".")):
                continue
            for target, _ in imports(path):
                allowed = any(target == a or target.startswith(a + ".") for a in ALLOWED.get(layer, ()))
                if target.startswith(forbidden) and not allowed:
                    broken.append(f"{name} imports {target}")
    assert not broken, broken


def test_the_layers_exist() -> None:
    """The checks above would pass vacuously if a layer moved: each one holds modules."""
    for layer in FORBIDDEN:
        assert any(name.startswith(layer + ".") for name in MODULES), layer
