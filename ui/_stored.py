"""Derived files in a region's cache folder (``derived/``): computed once, read on later starts.

What every session shares and a server start would otherwise compute again – the cell
grid, the base map's display data, the rendered base map – is written here next to the
region bundle. A file's name carries a digest of its key: the region's content hash, the
variant (language, options) and :func:`code_digest` (the code and library versions that
produce it), so a rebuilt region or changed code never reads an old file. A region build
replaces the bundle folder, ``derived/`` with it. An unreadable file is computed again,
an unwritable folder only means computing on every start.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import pickle
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from geo._errors import NahraumError
from geo._io import atomic_path

T = TypeVar("T")
DERIVED = "derived"
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
    """``compute()``, kept as ``<folder>/derived/<kind>-<digest of key and code>``.

    ``read``/``write`` default to pickle (our own files in our own cache folder). Files
    of the same ``kind`` with another digest (earlier builds or code) are removed when
    the new one is written. ``read`` may raise ``OSError``/``ValueError``/``KeyError``
    (or pickle's errors) for a file it does not accept: it is computed again.
    """
    digest = hashlib.sha256(f"{key}|{code_digest()}".encode()).hexdigest()[:20]
    path = Path(folder) / DERIVED / f"{kind}-{digest}{suffix}"
    reader = read or _read_pickle
    with contextlib.suppress(OSError, ValueError, KeyError, EOFError, pickle.UnpicklingError):
        return reader(path)
    value = compute()
    with contextlib.suppress(OSError, NahraumError, pickle.PicklingError, TypeError):
        (write or _write_pickle)(value, path)
        for old in path.parent.glob(f"{kind}-*{suffix}"):
            if old != path and len(old.name) == len(path.name):  # same kind, other digest
                old.unlink(missing_ok=True)
    return value


def _read_pickle(path: Path) -> Any:
    return pickle.loads(path.read_bytes())


def _write_pickle(value: Any, path: Path) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
