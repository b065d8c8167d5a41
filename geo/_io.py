"""File helpers: atomic writes, hashing, text decoding with encoding detection."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ._errors import CacheError, DataFileError

ENCODINGS = ("utf-8-sig", "cp1252")


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; move it into place on success.

    The temporary file lives in the same directory, so the final
    ``os.replace`` is atomic: readers see the old file or the new one,
    never a half-written one.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise CacheError(
            f"Der Ordner {target.parent} kann nicht beschrieben werden ({exc.strerror}). "
            "Bitte Schreibrechte prüfen, Speicherplatz freigeben oder mit NAHRAUM_CACHE "
            "einen anderen Cache-Ordner angeben."
        ) from exc
    os.close(fd)
    tmp_path = Path(tmp)
    # mkstemp creates 0600 files; give the result the usual permissions (umask applied).
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, target)
    except OSError as exc:
        tmp_path.unlink(missing_ok=True)
        raise CacheError(
            f"{target.name} konnte nicht gespeichert werden ({exc.strerror}). "
            "Bitte Schreibrechte und freien Speicherplatz prüfen."
        ) from exc
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def write_bytes_atomic(target: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_json_atomic(target: str | os.PathLike, obj) -> None:
    """Write ``obj`` as pretty UTF-8 JSON atomically."""
    data = json.dumps(obj, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    write_bytes_atomic(target, data)


def file_digest(path: str | os.PathLike, algo: str = "sha256") -> str:
    """Return the hex digest of a file's content."""
    h = hashlib.new(algo)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def decode_text(data: bytes, name: str = "Datei") -> tuple[str, str]:
    """Decode bytes as UTF-16 (with BOM, or ASCII-like without), UTF-8 (with or without
    BOM), else Windows-1252.

    Excel's "Unicode-Text" export is UTF-16 LE with BOM (tab-separated).

    Returns
    -------
    (text, encoding)
    """
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise DataFileError(
            f"{name}: Die Datei ist in UTF-32 gespeichert; das wird nicht unterstützt. "
            "Bitte als UTF-8, Windows-1252 oder Unicode-Text (UTF-16) speichern."
        )
    utf16 = _utf16_encoding(data)
    if utf16:
        try:
            return data.decode(utf16).lstrip("\ufeff"), "utf-16"
        except UnicodeDecodeError as exc:
            raise DataFileError(
                f"{name}: Die Datei sieht nach UTF-16 aus, ist aber nicht lesbar (Byte "
                f"{exc.start}). Bitte als UTF-8 oder erneut als Unicode-Text speichern."
            ) from exc
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    if b"\x00" in data[:4096]:
        raise DataFileError(
            f"{name}: Die Datei ist keine Textdatei (Binärdaten gefunden). "
            "Erwartet wird CSV in UTF-8 oder Windows-1252."
        )
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise DataFileError(
            f"{name}: Zeichenkodierung nicht erkannt (Byte {exc.start}). "
            "Bitte als UTF-8 oder Windows-1252 speichern."
        ) from exc


def _utf16_encoding(data: bytes) -> str | None:
    """``"utf-16"`` for a BOM, ``"utf-16-le"``/``"-be"`` for BOM-less ASCII-like UTF-16."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = data[:4096]
    if len(head) >= 4 and len(head) % 2 == 0:
        even, odd = head[0::2], head[1::2]
        # Mostly ASCII text: every second byte is NUL.
        if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
            return "utf-16-be"
    return None


def require_file(path: Path, what: str) -> Path:
    """Raise a German error if a raw data file is missing."""
    if not path.is_file():
        raise DataFileError(
            f"Datendatei fehlt: {path} ({what}). Bitte den Datenordner prüfen "
            "(Umgebungsvariable NAHRAUM_DATA oder Option --data)."
        )
    return path
