"""The import graph of warroom/, read with ast (nothing is imported): no loops, and each layer
imports only the layers below it.

    warroom.base  <-  warroom.store  <-  warroom.core  <-  warroom.app, warroom.cli, warroom.demo

Every import counts, wherever it is written: at the top of a module, inside a function (a lazy
import is still a dependency) or under ``if TYPE_CHECKING:``.

``warroom.locations`` (where files live on this machine: platformdirs and environment variables)
imports nothing of warroom, so it counts as part of the bottom layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "warroom"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def collect() -> tuple[dict[str, Path], dict[str, set[str]]]:
    """Every module under warroom/, and the names each one imports (warroom's and others')."""
    files = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for alias in node.names:
                    # "from warroom.store import feed" imports the module warroom.store.feed;
                    # "from warroom.store import Store" imports (the package) warroom.store.
                    sub = f"{target}.{alias.name}"
                    found.add(sub if sub in files else target)
        graph[name] = found
    return files, graph


FILES, GRAPH = collect()
BASE = ("warroom.base", "warroom.locations")


def within(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def imports_of(*packages: str) -> dict[str, set[str]]:
    return {m: deps for m, deps in GRAPH.items() if within(m, *packages)}


def offenders(sources: tuple[str, ...], forbidden) -> list[str]:
    return sorted(f"{m} imports {d}" for m, deps in imports_of(*sources).items()
                  for d in deps if forbidden(d))


def find_cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (or a module importing itself),
    over warroom's own modules (Tarjan)."""
    edges = {m: sorted(d for d in deps if d in FILES) for m, deps in GRAPH.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in edges[v]:
                cycles.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return cycles


def test_the_graph_is_read():
    # A guard for the test itself: the walk finds the layers and the edges between them.
    assert {"warroom.base", "warroom.store", "warroom.core", "warroom.app", "warroom.cli"} <= set(FILES)
    assert any(within(d, "warroom.base") for d in GRAPH["warroom.store.store"])
    assert "textual" in {d.split(".")[0] for deps in imports_of("warroom.app").values() for d in deps}


def test_no_import_loops():
    assert find_cycles() == []


def test_base_imports_nothing_of_warroom_above_it():
    bad = offenders(BASE, lambda d: within(d, "warroom") and not within(d, "warroom.base"))
    assert bad == []


def test_store_imports_only_base_and_store():
    bad = offenders(("warroom.store",),
                    lambda d: within(d, "warroom") and not within(d, *BASE, "warroom.store"))
    assert bad == []


def test_core_imports_only_base_store_and_core():
    bad = offenders(("warroom.core",), lambda d: within(d, "warroom")
                    and not within(d, *BASE, "warroom.store", "warroom.core"))
    assert bad == []


def test_the_lower_layers_know_nothing_of_the_app_cli_or_textual():
    bad = offenders((*BASE, "warroom.store", "warroom.core"),
                    lambda d: within(d, "warroom.app", "warroom.cli", "textual"))
    assert bad == []


def test_app_cli_and_demo_go_through_the_domain_api_not_the_store():
    bad = offenders(("warroom.app", "warroom.cli", "warroom.demo"), lambda d: within(d, "warroom.store"))
    assert bad == []
