"""The package's shape: import-linter's layer contracts, no import cycles, no textual without the TUI."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "xrbvo"


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))


# -- import-linter -------------------------------------------------------------------------

def test_import_linter_contracts_hold():
    """``lint-imports`` with the contracts of pyproject.toml ([tool.importlinter])."""
    exe = Path(sys.executable).parent / "lint-imports"
    from conftest import require

    require(exe.exists(), "import-linter", f"pip install import-linter (next to {sys.executable})")
    r = subprocess.run([str(exe), "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")], capture_output=True,
                       text=True, cwd=ROOT, env=_env(), timeout=600)
    assert r.returncode == 0, f"import-linter contracts broken:\n{r.stdout[-6000:]}{r.stderr[-2000:]}"


def _contract(name: str) -> dict:
    import tomllib

    doc = tomllib.loads((ROOT / "pyproject.toml").read_text())
    found = [c for c in doc["tool"]["importlinter"]["contracts"] if c["name"] == name]
    assert found, f"pyproject.toml has no import-linter contract {name!r}"
    return found[0]


def test_interfaces_call_workflows_only():
    """The command line and the terminal UI import neither the pipeline nor a stage (imports inside functions
    counted); the contract saying so is in pyproject.toml, so lint-imports checks it too."""
    c = _contract("interfaces call workflows only")
    assert c["type"] == "forbidden" and set(c["source_modules"]) == {"xrbvo.cli", "xrbvo.tui"}
    assert set(c["forbidden_modules"]) == {"xrbvo.stages", "xrbvo.pipeline"}
    graph = import_graph()
    bad = [f"{m} (line {line}) -> {t}" for m, targets in sorted(graph.items()) if m.startswith(("xrbvo.cli", "xrbvo.tui"))
           for t, line in sorted(targets.items()) if t == "xrbvo.pipeline" or t.startswith("xrbvo.stages")]
    assert bad == [], "interfaces import below the workflows (go through xrbvo.workflows):\n  " + "\n  ".join(bad)


# -- import cycles, imports inside functions included ----------------------------------------

def _modules() -> dict[str, Path]:
    """Dotted name -> file of every module of the package (a package is its ``__init__``)."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, modules) -> list[str]:
    """The package's modules ``node`` imports: ``from a.b import c`` is a.b.c when that is a module, else a.b."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
        return [_deepest(n, modules) for n in names if _deepest(n, modules)]
    if node.level:  # relative: from the module's package, one level up per extra dot
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[:len(base) - (node.level - 1)]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    out = []
    for alias in node.names:
        target = f"{source}.{alias.name}"
        if target in modules:
            out.append(target)
        elif _deepest(source, modules):
            out.append(_deepest(source, modules))
    return out


def _deepest(name: str, modules) -> str | None:
    """``name`` or its closest enclosing module that belongs to the package."""
    parts = name.split(".")
    while parts:
        if ".".join(parts) in modules:
            return ".".join(parts)
        parts.pop()
    return None


def import_graph() -> dict[str, dict[str, int]]:
    """Module -> {imported module: line of the first such import}, every import statement in the file counted."""
    modules = _modules()
    graph: dict[str, dict[str, int]] = {m: {} for m in modules}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in _imported(node, module, path.name == "__init__.py", modules):
                    if target != module:
                        graph[module].setdefault(target, node.lineno)
    return graph


def _cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """One cycle through each strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                components.append(sorted(comp))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(graph) + 100))
    try:
        for v in sorted(graph):
            if v not in index:
                visit(v)
    finally:
        sys.setrecursionlimit(limit)
    out = []
    for comp in components:  # shortest way from the first module back to itself, inside its component
        members, start = set(comp), comp[0]
        previous: dict[str, str] = {}
        frontier = [start]
        while frontier and start not in previous:
            nxt = []
            for v in frontier:
                for w in sorted(graph[v]):
                    if w in members and w not in previous:
                        previous[w] = v
                        nxt.append(w)
            frontier = nxt
        path = [start]
        while True:
            path.append(previous[path[-1]])
            if path[-1] == start:
                break
        out.append(path[::-1])
    return out


def _describe(cycle: list[str], graph) -> str:
    steps = [f"{a} (line {graph[a][b]}) -> {b}" for a, b in zip(cycle, cycle[1:])]
    return "\n    ".join(steps)


def test_cycle_finder_finds_cycles_and_passes_parent_to_child():
    graph = {"p": {"p.a": 1}, "p.a": {"p.b": 2}, "p.b": {"p.c": 3}, "p.c": {"p.a": 4}, "q": {}}
    assert _cycles(graph) == [["p.a", "p.b", "p.c", "p.a"]]
    assert _cycles({"p": {"p.a": 1}, "p.a": {"p.b": 1}, "p.b": {}}) == []


def test_import_graph_counts_imports_inside_functions():
    graph = import_graph()
    # xrbvo.workflows.demo imports the TAP provider inside run_demo only (not at the top of the module)
    import ast

    top = {n.module for n in ast.parse((ROOT / "xrbvo" / "workflows" / "demo.py").read_text()).body
           if isinstance(n, ast.ImportFrom)}
    assert "xrbvo.stages.neighbourhoods.tap" not in top
    assert "xrbvo.stages.neighbourhoods.tap" in graph["xrbvo.workflows.demo"]
    assert "xrbvo.workflows.bundle" in graph["xrbvo.workflows.demo"]


def test_no_import_cycles():
    graph = import_graph()
    cycles = _cycles(graph)
    assert cycles == [], (f"{len(cycles)} import cycle(s) in xrbvo (imports inside functions counted):\n  "
                          + "\n  ".join(_describe(c, graph) for c in cycles))


# -- no textual without the TUI ------------------------------------------------------------

_WHO_IMPORTS_TEXTUAL = r"""
import importlib, json, pkgutil, sys, traceback

chain = []

class Watch:
    def find_spec(self, name, path=None, target=None):
        if name == "textual" and not chain:
            chain.extend(f"{f.filename}:{f.lineno}" for f in traceback.extract_stack() if "xrbvo" in f.filename)
        return None

sys.meta_path.insert(0, Watch())
import xrbvo.workflows, xrbvo.pipeline
for m in pkgutil.walk_packages(xrbvo.workflows.__path__, "xrbvo.workflows."):
    importlib.import_module(m.name)
print(json.dumps({"textual": "textual" in sys.modules, "chain": chain}))
"""


def test_headless_workflows_and_pipeline_leave_textual_out():
    r = subprocess.run([sys.executable, "-c", _WHO_IMPORTS_TEXTUAL], capture_output=True, text=True, env=_env(),
                       cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    seen = json.loads(r.stdout.strip().splitlines()[-1])
    assert not seen["textual"], "importing xrbvo.workflows and xrbvo.pipeline imports textual, via:\n  " + \
        "\n  ".join(seen["chain"])
