"""The map's derived files (``geo._derived``) keyed with the code that produces them.

The cell grid, the base map's display data and the rendered base map depend on more than
the region: on the code of ``geo``, ``layers``, ``present`` (with its translations) and the
map's ``ui`` modules, and on library versions. :func:`stored` adds their digest
(:func:`code_digest`) to the key.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from geo import _derived

T = TypeVar("T")
_ROOT = Path(__file__).resolve().parents[1]
_CODE = ("geo", "layers", "present")  # packages whose code shapes the derived data
_UI = ("_stored.py", "basemap.py", "mapview.py", "state.py")
_LIBRARIES = ("folium", "branca", "streamlit-folium", "numpy", "shapely", "pyproj")


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """Digest of the code behind the derived files (``geo``, ``layers``, ``present`` with
    its translations, the map's ``ui`` modules) and the versions of the libraries."""
    h = hashlib.sha256()
    files = [p for pkg in _CODE for p in (_ROOT / pkg).rglob("*") if p.suffix in (".py", ".po")]
    files += [_ROOT / "ui" / name for name in _UI]
    for path in sorted(files):
        h.update(path.relative_to(_ROOT).as_posix().encode())
        h.update(path.read_bytes())
    for lib in _LIBRARIES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            h.update(f"{lib}={metadata.version(lib)}".encode())
    return h.hexdigest()


def stored(
    folder: str | Path,
    kind: str,
    key: str,
    compute: Callable[[], T],
    read: Callable[[Path], T] | None = None,
    write: Callable[[T, Path], Any] | None = None,
    suffix: str = ".pickle",
) -> T:
    """:func:`geo._derived.stored` with :func:`code_digest` in the key."""
    return _derived.stored(folder, kind, f"{key}|{code_digest()}", compute, read, write, suffix)
