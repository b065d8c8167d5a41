"""Derived files in a region's bundle folder (``derived/``): computed once, read later.

What a server start would otherwise compute again (the region outline here; the cell grid,
the base map's display data and the rendered base map in ``ui._stored``) is written next
to the bundle. A file's name carries a digest of its key – the caller puts in everything
the value depends on (content hash, variant, code) – so a rebuilt region or changed code
never reads an old file. A region build replaces the bundle folder, ``derived/`` with it.
An unreadable file is computed again, an unwritable folder only means computing it.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ._errors import NahraumError
from ._io import atomic_path

T = TypeVar("T")
DERIVED = "derived"


def stored(
    folder: str | Path,
    kind: str,
    key: str,
    compute: Callable[[], T],
    read: Callable[[Path], T] | None = None,
    write: Callable[[T, Path], Any] | None = None,
    suffix: str = ".pickle",
) -> T:
    """``compute()``, kept as ``<folder>/derived/<kind>-<digest of key>``.

    ``read``/``write`` default to pickle (our own files in our own cache folder). Files
    of the same ``kind`` with another digest (earlier builds or code) are removed when
    the new one is written. ``read`` may raise ``OSError``/``ValueError``/``KeyError``
    (or pickle's errors) for a file it does not accept: it is computed again.
    """
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
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
