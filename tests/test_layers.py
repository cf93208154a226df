"""The layout holds: each module imports only from its own layer of the pipeline or the ones
below it, no two packages import each other (no cycle), and no class outgrows 300 lines.

The layers (:data:`LAYERS`, bottom up) are the pipeline's stages (fetch -> extract ->
store -> diff -> report -> schedule), with what they share beneath them and what runs them
on top. A module may import from its own layer (without a cycle) or any layer below.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "monitor"

LAYERS: tuple[frozenset[str], ...] = tuple(
    frozenset(names.split())
    for names in (
        "errors clock models urls pace logs samplesite",  # shared by every stage
        "config request",  # config.toml; how pages are requested (headers, proxy, render)
        "fetch classify extract diff excerpt identity",  # the stages that need no database
        "analyse learn worker workers",  # the CPU part of a check, what it learns, its workers
        "store",
        "history report atom notify",  # reading back and rendering what was stored
        "compare revalidate notices",  # what a check found; its validators; its notices
        "pipeline commits reextract outbox feeds",  # checks, their commits, delivery, feed polls
        "add follow schedule wiring",  # what runs checks and polls
        "service web demo",  # the daemon, the web UI, the demo
        "cli __main__",
    )
)
LAYER_OF = {unit: number for number, units in enumerate(LAYERS) for unit in units}
MAX_CLASS_LINES = 300


def _unit(module: str) -> str:
    """The top-level module or package of ``monitor`` that ``module`` belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "monitor"


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "monitor" or name.startswith("monitor.")}


def _graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for path in ROOT.rglob("*.py"):
        source = _unit(_module(path))
        edges[source] |= {_unit(name) for name in _imports(path)} - {source, "monitor"}
    return edges


def test_every_module_has_a_layer() -> None:
    units = {_unit(_module(path)) for path in ROOT.rglob("*.py")} - {"monitor"}
    assert units <= LAYER_OF.keys(), sorted(units - LAYER_OF.keys())


def test_no_import_from_a_later_stage() -> None:
    upward = [
        f"{source} (layer {LAYER_OF[source]}) imports {target} (layer {LAYER_OF[target]})"
        for source, targets in _graph().items()
        for target in targets
        if LAYER_OF[target] > LAYER_OF[source]
    ]
    assert upward == []


def test_no_cycle_between_packages() -> None:
    graph = _graph()
    cycles = [f"{a} <-> {b}" for a, targets in graph.items() for b in targets if a in graph[b]]
    assert cycles == []
    seen: set[str] = set()

    def visit(unit: str, path: tuple[str, ...]) -> None:
        assert unit not in path, " -> ".join((*path, unit))
        if unit in seen:
            return
        for target in graph.get(unit, ()):
            visit(target, (*path, unit))
        seen.add(unit)

    for unit in list(graph):
        visit(unit, ())


def test_no_class_over_300_lines() -> None:
    long = []
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.end_lineno is not None:
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_CLASS_LINES:
                    long.append(f"{_module(path)}.{node.name}: {lines} lines")
    assert long == []


def test_tests_import_helpers_not_other_tests() -> None:
    """What tests share lives in helper modules beside conftest.py (harness, server, daemon,
    webdb, ...), never in another test module: a test file can be moved or run alone."""
    tests = Path(__file__).resolve().parent
    shared = []
    for path in tests.rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            shared += [f"{path.relative_to(tests)}: {n}" for n in names if "test_" in n]
    assert shared == []
