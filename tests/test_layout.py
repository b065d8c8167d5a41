"""Module layout (docs/architecture.md): layers without cycles, no Streamlit in geo, sizes."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest

from geo import settings

GEO = settings.REPO_ROOT / "geo"
MODULES = sorted(p.stem for p in GEO.glob("*.py") if p.stem != "__init__")
#: No module much larger than the others (PRODUCT.md, "Layout"); no exceptions.
MAX_LINES = 1200
#: Packages geo must never import (the UI is built on geo, not the other way round).
FORBIDDEN = ("streamlit", "streamlit_folium", "folium", "layers", "app")


def _imports(module: str) -> list[tuple[str, list[str], int]]:
    """Every import statement of a geo module (also inside functions): (target, names, line).

    ``target`` is the imported module, relative imports resolved to ``geo.<name>``.
    """
    tree = ast.parse((GEO / f"{module}.py").read_text("utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [a.name for a in node.names]
            if node.level == 0:
                out.append((node.module or "", names, node.lineno))
            elif node.module:  # from .x import a, b
                out.append((f"geo.{node.module}", names, node.lineno))
            else:  # from . import x, y
                out += [(f"geo.{n}", [], node.lineno) for n in names]
    return out


def _geo_graph() -> dict[str, set[str]]:
    graph = {}
    for m in MODULES:
        graph[m] = {t.split(".")[1] for t, _, _ in _imports(m)
                    if t.startswith("geo.") and t.split(".")[1] in MODULES} - {m}
    return graph


def test_all_geo_modules_import_in_a_fresh_interpreter_without_streamlit():
    code = (
        "import importlib, json, sys\n"
        f"for m in {MODULES!r}:\n"
        "    importlib.import_module('geo.' + m)\n"
        f"print(json.dumps(sorted(n for n in sys.modules if n.split('.')[0] in {FORBIDDEN!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=settings.REPO_ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


@pytest.mark.parametrize("module", MODULES)
def test_geo_never_imports_the_ui(module):
    bad = [(t, line) for t, _, line in _imports(module) if t.split(".")[0] in FORBIDDEN]
    assert not bad, f"geo/{module}.py imports the UI: {bad}"


def test_geo_imports_have_no_cycles():
    """Also imports inside functions count: each module only uses those below it."""
    graph = _geo_graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        path.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                cycle = path[path.index(n):] + [n]
                pytest.fail("import cycle: " + " → ".join(cycle))
            if n not in state:
                visit(n)
        path.pop()
        state[m] = 2

    for m in MODULES:
        if m not in state:
            visit(m)


@pytest.mark.parametrize("module", MODULES)
def test_no_private_names_of_other_public_modules(module):
    """``from .x import _y`` and ``x._y`` only for ``_``-prefixed modules (meant to be used)."""
    bad = [f"from {t} import {n} (line {line})" for t, names, line in _imports(module)
           if t.startswith("geo.") and not t.split(".")[1].startswith("_")
           for n in names if n.startswith("_")]
    tree = ast.parse((GEO / f"{module}.py").read_text("utf-8"))
    public = {m for m in MODULES if not m.startswith("_")}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in public and node.value.id != module \
                and node.attr.startswith("_") and not node.attr.startswith("__"):
            bad.append(f"{node.value.id}.{node.attr} (line {node.lineno})")
    assert not bad, f"geo/{module}.py uses private names of other modules: {bad}"


@pytest.mark.parametrize("module", MODULES)
def test_module_size(module):
    n = len((GEO / f"{module}.py").read_text("utf-8").splitlines())
    assert n <= MAX_LINES, \
        f"geo/{module}.py has {n} lines (at most {MAX_LINES}); split it by concern"
