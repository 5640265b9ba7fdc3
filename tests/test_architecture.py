"""The package's shape, read from its source: imports go one way, stages only look back.

The import graph is built with ``ast`` from every module of ``sitegen/``,
counting imports inside functions too (they run, just later). Importing
``a.b.c`` also runs the packages ``a.b`` and ``a`` above it, so those count as
well, unless the importer lives inside them (they are already being loaded).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sitegen"


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imported(name: str, path: Path) -> set[str]:
    """The package's modules that module ``name`` imports, anywhere in its code."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    wanted: set[str] = set()
    for target in names:
        while target and target in MODULES:
            # A package the importer lives in is already loaded; others run on import.
            if target != name and not name.startswith(target + "."):
                wanted.add(target)
            target = target.rpartition(".")[0]
    return wanted


GRAPH = {name: _imported(name, path) for name, path in MODULES.items()}


def _reach(name: str) -> set[str]:
    """Every module that importing ``name`` may load."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        for target in GRAPH[todo.pop()] - seen:
            seen.add(target)
            todo.append(target)
    return seen


def _cycle() -> list[str] | None:
    """One import cycle of the package, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        path.append(name)
        for target in sorted(GRAPH[name]):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[name] = 2
        return None

    for name in sorted(GRAPH):
        if name not in state and (found := visit(name)):
            return found
    return None


def test_the_graph_sees_the_imports_it_should() -> None:
    """The reader of imports works: known edges, including ones made inside functions."""
    assert "sitegen.derive" in GRAPH["sitegen.site"]
    assert "sitegen.outputs.bibtex" in GRAPH["sitegen.derive"]
    assert "sitegen.outputs" in GRAPH["sitegen.derive"]  # the package runs first
    assert "sitegen.outputs" not in GRAPH["sitegen.outputs.search"]  # it lives there
    assert "sitegen.serve" in GRAPH["sitegen.cli"]  # imported inside a function
    assert "sitegen.site" in _reach("sitegen.cli")


def test_there_is_no_import_cycle() -> None:
    assert _cycle() is None, " -> ".join(_cycle() or [])


# Each stage's modules must not load a later stage's (or the commands that run them).
LATER = {
    "sitegen.content": ["sitegen.markup", "sitegen.derive", "sitegen.views", "sitegen.pages",
                        "sitegen.render", "sitegen.writer", "sitegen.site"],
    "sitegen.cache": ["sitegen.derive", "sitegen.pages", "sitegen.render", "sitegen.site"],
    "sitegen.derive": ["sitegen.cache", "sitegen.pages", "sitegen.render", "sitegen.writer",
                       "sitegen.outputs.jobs", "sitegen.outputs.search", "sitegen.site"],
    "sitegen.pages": ["sitegen.render", "sitegen.writer", "sitegen.outputs.search",
                      "sitegen.site"],
    "sitegen.outputs.jobs": ["sitegen.render", "sitegen.writer", "sitegen.site"],
    "sitegen.writer": ["sitegen.derive", "sitegen.pages", "sitegen.outputs.search",
                       "sitegen.site"],
    "sitegen.outputs.search": ["sitegen.site", "sitegen.writer"],
    "sitegen.site": ["sitegen.serve", "sitegen.check", "sitegen.cli", "sitegen.commands"],
}


@pytest.mark.parametrize("module", sorted(LATER))
def test_stages_only_look_back(module: str) -> None:
    reached = _reach(module)
    assert not reached & set(LATER[module]), sorted(reached & set(LATER[module]))


def _nodes(kind: type[ast.AST]) -> list[str]:
    """``file:line`` of every node of ``kind`` in the package."""
    found = []
    for path in MODULES.values():
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            if isinstance(node, kind):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    return found


def test_no_module_global_is_rewritten() -> None:
    """Work is handed to workers as values, not through module globals."""
    assert _nodes(ast.Global) == []


def test_nothing_runs_between_fork_and_exec() -> None:
    """``preexec_fn`` runs Python in a forked child of a possibly threaded process."""
    uses = [f"{path.relative_to(PACKAGE.parent)}" for path in MODULES.values()
            if "preexec_fn" in path.read_text("utf-8")]
    assert uses == [] and _calls_with("preexec_fn") == []


def _calls_with(keyword: str) -> list[str]:
    found = []
    for path in MODULES.values():
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            if isinstance(node, ast.Call) and any(k.arg == keyword for k in node.keywords):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    return found


def test_a_paper_is_a_plain_record() -> None:
    """What is derived from a paper lives in the derive stage's results, not in the paper."""
    from dataclasses import fields

    from sitegen.model import Paper

    names = {f.name for f in fields(Paper)}
    assert not names & {"derived", "cache", "views"}
    assert not hasattr(Paper, "remember")
