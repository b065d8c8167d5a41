"""Module layout (docs/architecture.md): packages in layers, no cycles, no private names, sizes.

Every package of the repository is checked: ``geo`` (analysis) < ``present`` (texts,
numbers, classes, tables) < ``layers`` (folium layers) < ``report`` (files and
figures) < ``ui`` (Streamlit page parts) < ``app.py``. A module imports only its own
package and the packages below it (imports inside functions included); the one
exception is ``geo/cli.py``, the console entry point, which sits at the top.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from geo import settings

ROOT = settings.REPO_ROOT
#: Packages from the bottom to the top.
PACKAGES: tuple[str, ...] = ("geo", "present", "layers", "report", "ui")
RANK = {p: i for i, p in enumerate(PACKAGES)} | {"app": len(PACKAGES)}
#: Modules at the top although they live in a package (may import every package).
TOP_MODULES = {"geo.cli"}
#: No module much larger than the others (PRODUCT.md, "Layout"); no exceptions.
MAX_LINES = 1500  # formatted by ruff format (one argument a line where a call is long)
#: What a package must never import, beyond the rank order.
NEVER = {
    "geo": ("streamlit", "streamlit_folium", "folium"),
    "present": ("streamlit", "streamlit_folium", "folium", "matplotlib"),
    "layers": ("streamlit", "streamlit_folium"),
    "report": ("streamlit", "streamlit_folium"),
}


def _module_names() -> list[str]:
    out = []
    for pkg in PACKAGES:
        out += [
            f"{pkg}.{p.stem}" for p in sorted((ROOT / pkg).glob("*.py")) if p.stem != "__init__"
        ]
    return [*out, "app"]


MODULES = _module_names()
GEO = [m.split(".")[1] for m in MODULES if m.startswith("geo.")]


def _path(module: str) -> Path:
    return ROOT / (module.replace(".", "/") + ".py")


def _imports(module: str) -> list[tuple[str, list[str], int]]:
    """Every import statement of a module (also inside functions): (target, names, line).

    ``target`` is the imported module, relative imports resolved within the package.
    """
    tree = ast.parse(_path(module).read_text("utf-8"))
    pkg = module.split(".", maxsplit=1)[0] if "." in module else ""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [a.name for a in node.names]
            if node.level == 0:
                base = node.module or ""
                # "from geo import analysis": the imported names are modules too
                out.append((base, names, node.lineno))
                out += [(f"{base}.{n}", [], node.lineno) for n in names if f"{base}.{n}" in MODULES]
            elif node.module:  # from .x import a, b
                out.append((f"{pkg}.{node.module}", names, node.lineno))
            else:  # from . import x, y
                out += [(f"{pkg}.{n}", [], node.lineno) for n in names]
    return out


def _graph() -> dict[str, set[str]]:
    graph = {}
    for m in MODULES:
        graph[m] = {t for t, _, _ in _imports(m) if t in MODULES} - {m}
    return graph


def test_every_module_imports_in_a_fresh_interpreter_without_streamlit():
    libs = [m for m in MODULES if m.split(".")[0] in ("geo", "present", "layers", "report")]
    code = (
        "import importlib, json, sys\n"
        f"for m in {libs!r}:\n"
        "    importlib.import_module(m)\n"
        "print(json.dumps(sorted(n for n in sys.modules if n.split('.')[0] in "
        "('streamlit', 'streamlit_folium', 'app', 'ui'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


@pytest.mark.parametrize("module", GEO)
def test_geo_never_imports_the_ui(module):
    """Kept by name: ``geo`` imports no view (``geo.cli`` only the report package)."""
    bad = [
        (t, line)
        for t, _, line in _imports(f"geo.{module}")
        if t.split(".")[0] in ("streamlit", "streamlit_folium", "folium", "layers", "ui", "app")
    ]
    assert not bad, f"geo/{module}.py imports the UI: {bad}"


@pytest.mark.parametrize("module", [m for m in MODULES if m not in TOP_MODULES])
def test_no_upward_imports(module):
    """A module imports its own package and those below it, never one above."""
    own = RANK[module.split(".")[0]]
    never = NEVER.get(module.split(".")[0], ())
    bad = []
    for target, _, line in _imports(module):
        top = target.split(".")[0]
        if top in RANK and RANK[top] > own:
            bad.append(f"{target} (line {line})")
        elif top in never:
            bad.append(f"{target} (line {line}, never in {module.split('.')[0]})")
    assert not bad, f"{module} imports upwards: {bad}"


def test_imports_have_no_cycles():
    """Also imports inside functions count: each module only uses those below it."""
    graph = _graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        path.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                cycle = [*path[path.index(n) :], n]
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
    """``from x import _y`` and ``x._y`` only for ``_``-prefixed modules (meant to be used)."""

    def private_module(target: str) -> bool:
        return target.rsplit(".", maxsplit=1)[-1].startswith("_")

    bad = [
        f"from {t} import {n} (line {line})"
        for t, names, line in _imports(module)
        if t in MODULES and not private_module(t)
        for n in names
        if n.startswith("_") and f"{t}.{n}" not in MODULES
    ]
    tree = ast.parse(_path(module).read_text("utf-8"))
    aliases = {}  # local name → module, for "from geo import analysis as a"
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for a in node.names:
                if f"{node.module}.{a.name}" in MODULES:
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and aliases[node.value.id] != module
            and not private_module(aliases[node.value.id])
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            bad.append(f"{node.value.id}.{node.attr} (line {node.lineno})")
    assert not bad, f"{module} uses private names of other modules: {bad}"


@pytest.mark.parametrize("module", MODULES)
def test_module_size(module):
    n = len(_path(module).read_text("utf-8").splitlines())
    assert n <= MAX_LINES, f"{module} has {n} lines (at most {MAX_LINES}); split it by concern"


def test_app_only_orders_the_page():
    """``app.py`` stays thin: under 100 lines, no computation of its own."""
    n = len((ROOT / "app.py").read_text("utf-8").splitlines())
    assert n < 100, f"app.py has {n} lines"
