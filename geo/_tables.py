"""Reading uploaded tables: CSV, XLSX, GeoJSON and GeoPackage into a header and text rows.

The one reader behind :mod:`geo.services` (service lists), :mod:`geo.indicators`
(indicator tables) and :mod:`geo.planning` (planning regions):

- the size limit (``settings.MAX_UPLOAD_BYTES``) is checked before anything is parsed;
- the format comes from the content (ZIP, SQLite, old Excel) and else the file suffix;
- CSV is decoded as UTF-8 (with or without BOM) or Windows-1252 (:func:`geo._io.decode_text`),
  the delimiter (``;``, ``,`` or tab) is sniffed from the header line;
- XLSX is read without evaluating anything: formulas come back as their text;
- GeoJSON/GeoPackage features become rows, their point (or representative point) lat/lon;
- cells are text (:func:`cell_text`); an apostrophe that an export put before a
  formula-like value is removed again (:func:`undefuse`).

Also the small helpers that every table reader needs: header keys for matching column
names, blank cells, 1-based row numbers, unique column labels, data rows cut to the
header's width, and short excerpts of cell values for German messages.
All messages are German and name the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import _crs, settings
from ._errors import DataFileError, InputError, Problem
from ._io import decode_text

#: Text starting with one of these is a formula to a spreadsheet.
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
MAX_ROWS = 100_000  # safety limit against spreadsheet bombs

SourceLike = str | os.PathLike | bytes | IO[bytes]


# ---------------------------------------------------------------------------
# Cells, headers, rows
# ---------------------------------------------------------------------------
def cell_text(value: object) -> str:
    """Text of a spreadsheet/GIS cell, without evaluating anything."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def is_blank(value: object) -> bool:
    """True for None, NaN (a missing cell) and whitespace-only strings."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, str):
        return not value.strip()
    return bool(pd.isna(value)) if np.ndim(value) == 0 else False


def column_texts(df: pd.DataFrame, col: str) -> list[str]:
    """The stripped text of every cell of ``col`` (``""`` for blanks or a missing column)."""
    if col not in df.columns:
        return [""] * len(df)
    return ["" if is_blank(v) else str(v).strip() for v in df[col].tolist()]


def undefuse(text: str) -> str:
    """Drop the apostrophe that an export put before a formula-like value."""
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        return text[1:]
    return text


def defuse_formula(text: str) -> str:
    """Prefix formula-like text (``=``, ``+``, ``-``, ``@``) with an apostrophe.

    Spreadsheets would otherwise evaluate such cells (CSV/formula injection).
    """
    return "'" + text if text and text.startswith(FORMULA_PREFIXES) else text


def header_key(text: object) -> str:
    """Key of a column header for matching: case-, umlaut- and punctuation-insensitive.

    ``"Gemeindeschlüssel"``, ``"GEMEINDE-SCHLUESSEL"`` and ``"gemeinde schlüssel"``
    all give ``"gemeindeschluessel"``.
    """
    s = unicodedata.normalize("NFC", str(text)).casefold()
    s = s.translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}))
    return re.sub(r"[^0-9a-z]+", "", s)


def short(text: object, n: int = 40) -> str:
    """A cell value for a message: control characters as blanks, at most ``n`` characters."""
    s = re.sub(r"[\x00-\x1f\x7f]+", " ", str(text)).strip()
    return s if len(s) <= n else s[: n - 1] + "…"


def unique_label(label: str, used: set[str]) -> str:
    """``label``, or ``"label (2)"``, ``"label (3)"``, … if taken; added to ``used``."""
    base, k = label, 2
    while label in used:
        label, k = f"{base} ({k})", k + 1
    used.add(label)
    return label


def data_rows(
    rows: Sequence[Sequence[object]], width: int, keep: Callable[[int], bool] | None = None
) -> Iterator[tuple[int, list[str], list[str], int]]:
    """The data rows under a header of ``width`` columns, blank rows skipped.

    Yields ``(row, cells, extra, n_fields)``: the 1-based row number, the cells
    (stripped, :func:`undefuse`-d, padded or cut to ``width``), the non-empty
    cells beyond the header (see :func:`extra_fields_message`) and the number
    of fields of the row. ``keep(row)`` keeps a row that is otherwise blank
    (e.g. a feature with a geometry but no attributes).
    """
    for r, row in enumerate(rows, start=1):
        cells = [undefuse(str(c).strip()) for c in row]
        extra = [c for c in cells[width:] if c]
        cells = (cells + [""] * width)[:width]
        if not any(cells) and not extra and not (keep is not None and keep(r)):
            continue  # blank line
        yield r, cells, extra, len(row)


def extra_fields_message(n_fields: int, width: int, extra: Sequence[str]) -> str:
    """German row problem: more fields than the header, values not taken."""
    return (
        f"Zeile hat {n_fields} Felder, die Kopfzeile nur {width}; überzählige Werte "
        f"({short(', '.join(extra[:3]))}) nicht übernommen. Bitte Trennzeichen und "
        "Anführungszeichen prüfen."
    )


def row_numbers(df: pd.DataFrame) -> list[int]:
    """The file's 1-based data row of each row (the ``row`` index of a read table)."""
    if df.index.name == "row" and pd.api.types.is_integer_dtype(df.index):
        return [int(i) for i in df.index]
    return list(range(1, len(df) + 1))


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------
def read_source(
    source: SourceLike,
    filename: str | None,
    *,
    default_name: str = "Upload",
    advice: str = "Bitte die Liste aufteilen oder unnötige Spalten entfernen.",
) -> tuple[bytes, str]:
    """Return the bytes of a path, bytes object or file-like, checking the size first.

    ``filename`` names the data in messages (default: the path's or file's name,
    else ``default_name``); ``advice`` follows the message of a file that is too big.
    """
    limit = settings.MAX_UPLOAD_BYTES
    too_big = (
        f"Die Datei ist größer als {limit // (1024 * 1024)} MB und wird nicht eingelesen. {advice}"
    ).strip()
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        name = filename or default_name
    elif hasattr(source, "read"):
        name = filename or Path(str(getattr(source, "name", default_name))).name
        if getattr(source, "seekable", lambda: False)():
            source.seek(0)
        size = getattr(source, "size", None)
        if isinstance(size, int) and size > limit:
            raise InputError(f"{name}: {too_big}")
        data = source.read(limit + 1)
        data = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    else:
        path = Path(source)
        name = filename or path.name
        if not path.is_file():
            raise InputError(f"{name}: Datei nicht gefunden ({path}).")
        if path.stat().st_size > limit:
            raise InputError(f"{name}: {too_big}")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{name}: Datei kann nicht gelesen werden ({exc.strerror}).") from exc
    if len(data) > limit:
        raise InputError(f"{name}: {too_big}")
    return data, name


def detect_format(data: bytes, name: str) -> str:
    """``"csv"``, ``"xlsx"``, ``"geojson"`` or ``"gpkg"`` (InputError for old .xls)."""
    suffix = Path(name).suffix.lower()
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if suffix == ".xls" or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(
            f"{name}: Das alte Excel-Format (.xls) wird nicht unterstützt. "
            "Bitte in Excel als .xlsx oder als CSV speichern."
        )
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix == ".gpkg":
        return "gpkg"
    if suffix in (".geojson", ".json"):
        return "geojson"
    if suffix in (".csv", ".txt", ".tsv"):
        return "csv"
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return "geojson" if head.startswith(b"{") else "csv"


def decode(data: bytes, name: str) -> str:
    """Text of a CSV/JSON upload (UTF-8 or Windows-1252), BOM removed."""
    try:
        text, _ = decode_text(data, name)
    except DataFileError as exc:
        raise InputError(exc.message) from exc
    return text.lstrip("\ufeff")


def sniff_delimiter(text: str) -> str:
    """Pick ``;``, ``,`` or tab by counting them in the header line (outside quotes)."""
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    counts = dict.fromkeys((";", ",", "\t"), 0)
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda c: (counts[c], c == ","))
    return best if counts[best] else ","


def _csv_rows(text: str, delimiter: str, name: str, limit: int | None = None) -> list[list[str]]:
    """Rows of CSV text (``limit`` rows at most); German error with the line number."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append(row)
            if limit is not None and len(rows) >= limit:
                break
            if len(rows) > MAX_ROWS + settings.HEADER_SEARCH_ROWS:
                raise InputError(f"{name}: Mehr als {MAX_ROWS} Zeilen; bitte aufteilen.")
    except csv.Error as exc:
        raise InputError(
            f"{name}: CSV-Datei ist in Zeile {reader.line_num} nicht lesbar. "
            "Bitte Anführungszeichen und Trennzeichen prüfen."
        ) from exc
    return rows


def parse_csv(data: bytes, name: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV file (all text); the header is the first line."""
    table = read_csv_table(data, name)
    return table.header, table.rows


def parse_xlsx(data: bytes, name: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the first sheet with data (formulas as text, never evaluated)."""
    sheets = _xlsx_sheets(data, name)
    for _, rows in sheets:
        while rows and not any(c.strip() for c in rows[0]):
            rows.pop(0)
        if rows:
            return rows[0], rows[1:]
    raise InputError(f"{name}: Die Excel-Datei enthält keine Daten.")


# ---------------------------------------------------------------------------
# Tables below title rows, in one of several sheets or layers
# ---------------------------------------------------------------------------
#: Scores a candidate header row: the number of distinct known columns it names.
HeaderScore = Callable[[Sequence[str]], int]
MIN_HEADER_SCORE = 2  # a header names at least two known columns

_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200e\u200f\ufeff]")
_BREAK_RE = re.compile(r"[\t\r\n\u2028\u2029]+")
_TOTAL_RE = re.compile(r"(summe|gesamtsumme|gesamt|insgesamt|zusammen)\b(?!-)")


@dataclass
class Table:
    """A table read from a file: header, text rows and what was skipped or repaired.

    Attributes
    ----------
    header : list of str
    rows : list of list of str
        The rows below the header (raw text; blank rows kept so that row numbers hold).
    latlon : list of (lat, lon) text or None
        WGS84 point of each row (GeoJSON/GeoPackage features).
    notes : list of Problem
        Notes for the validation report (title rows skipped, sheet chosen, …).
    layer : str or None
        The sheet or layer read.
    header_row : int
        1-based line (CSV) or sheet row (XLSX) of the header.
    """

    header: list[str]
    rows: list[list[str]]
    latlon: list[tuple[str, str]] | None = None
    notes: list[Problem] = field(default_factory=list)
    layer: str | None = None
    header_row: int = 1


def clean_text(text: str) -> tuple[str, bool]:
    """Text without control characters; line breaks and tabs become one blank.

    Returns ``(text, repaired)``; ``repaired`` is True when NUL or other control
    characters were removed (line breaks inside a cell are normal and not reported).
    """
    s = _BREAK_RE.sub(" ", text)
    t = _CONTROL_RE.sub("", s)
    return t.strip(), t != s


def is_total_row(cells: Sequence[str]) -> bool:
    """True for a sum row: its first non-empty cell starts with „Summe“, „Gesamt“, …."""
    first = next((c for c in cells if str(c).strip()), "")
    return bool(_TOTAL_RE.match(str(first).strip().casefold()))


def find_header(
    rows: Sequence[Sequence[str]], score: HeaderScore, search_rows: int | None = None
) -> int | None:
    """Index of the header row: the best-scoring of the first rows (first on ties).

    ``None`` if no row reaches :data:`MIN_HEADER_SCORE`.
    """
    n = settings.HEADER_SEARCH_ROWS if search_rows is None else search_rows
    best, best_i = MIN_HEADER_SCORE - 1, None
    for i, row in enumerate(rows[:n]):
        sc = score([clean_text(str(c))[0] for c in row])
        if sc > best:
            best, best_i = sc, i
    return best_i


def _header_note(name: str, skipped: int, where: str, layer: str | None = None) -> list[Problem]:
    if not skipped:
        return []
    sheet = f" (Blatt „{short(layer)}“)" if layer else ""
    return [
        Problem(
            f"Kopfzeile in {where} {skipped + 1}{sheet} gefunden; "
            f"{skipped} Titelzeile(n) darüber übersprungen.",
            None,
            None,
            name,
        )
    ]


def read_csv_table(data: bytes, name: str, score: HeaderScore | None = None) -> Table:
    """A CSV/text table (UTF-8, Windows-1252, UTF-16; ``;``, ``,`` or tab).

    With ``score`` the header is sought below title lines (:func:`find_header`) and the
    delimiter is the one that gives the best header; else the first line is the header.
    """
    text = decode(data, name)
    delimiter = sniff_delimiter(text)
    start = 0
    if score is not None:
        best = (-1, 0, delimiter)
        for delim in (delimiter, ";", "\t", ","):
            head = _csv_rows(text, delim, name, limit=settings.HEADER_SEARCH_ROWS)
            i = find_header(head, score)
            if i is not None:
                sc = score([clean_text(c)[0] for c in head[i]])
                if sc > best[0]:
                    best = (sc, i, delim)
        if best[0] >= 0:
            _, start, delimiter = best
    rows = _csv_rows(text, delimiter, name)
    if not rows:
        raise InputError(f"{name}: Die Datei ist leer.")
    return Table(
        rows[start],
        rows[start + 1 :],
        notes=_header_note(name, start, "Zeile"),
        header_row=start + 1,
    )


def _xlsx_merges(data: bytes) -> dict[str, list[tuple[int, int, int, int]]]:
    """Merged ranges per sheet name: (min_row, min_col, max_row, max_col), 1-based.

    Read from the sheet XML (read-only workbooks do not expose merged cells).
    """
    import zipfile

    from openpyxl.utils.cell import range_boundaries

    out: dict[str, list[tuple[int, int, int, int]]] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
            return out
        wb_xml = zf.read("xl/workbook.xml").decode("utf-8", "replace")
        rels_xml = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
        targets = {
            m.group(1): m.group(2)
            for m in re.finditer(
                r'<Relationship\b[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels_xml
            )
        }
        targets.update(
            {
                m.group(2): m.group(1)
                for m in re.finditer(
                    r'<Relationship\b[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels_xml
                )
            }
        )
        for m in re.finditer(r"<(?:\w+:)?sheet\b([^>]*)/?>", wb_xml):
            attrs = m.group(1)
            sheet = re.search(r'\bname="([^"]*)"', attrs)
            rid = re.search(r'\br:id="([^"]*)"', attrs) or re.search(r'\bid="([^"]*)"', attrs)
            if not sheet or not rid or rid.group(1) not in targets:
                continue
            target = targets[rid.group(1)].lstrip("/")
            path = target if target.startswith("xl/") else f"xl/{target}"
            if path not in names:
                continue
            xml = zf.read(path).decode("utf-8", "replace")
            ranges = []
            for ref in re.findall(
                r'<(?:\w+:)?mergeCell\b[^>]*\bref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"', xml
            ):
                c1, r1, c2, r2 = range_boundaries(ref)
                ranges.append((r1, c1, r2, c2))
            from html import unescape

            out[unescape(sheet.group(1))] = ranges
    return out


def _unmerge(rows: list[list[str]], ranges: list[tuple[int, int, int, int]]) -> int:
    """Copy each merged range's top-left value into all its cells; number of ranges."""
    n = 0
    for r1, c1, r2, c2 in ranges:
        if r1 > len(rows) or r2 - r1 > 1000 or c2 - c1 > 200:
            continue
        top = rows[r1 - 1]
        value = top[c1 - 1] if c1 - 1 < len(top) else ""
        if not value.strip():
            continue
        n += 1
        for r in range(r1, min(r2, len(rows)) + 1):
            row = rows[r - 1]
            if len(row) < c2:
                row.extend([""] * (c2 - len(row)))
            for c in range(c1, c2 + 1):
                if not row[c - 1].strip():
                    row[c - 1] = value
    return n


def _xlsx_sheets(
    data: bytes, name: str, unmerge: bool = False
) -> list[tuple[str, list[list[str]]]]:
    """All sheets as (name, text rows); formulas as text, never evaluated."""
    import openpyxl  # local: only needed for Excel files

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise InputError(
            f"{name}: Keine gültige Excel-Datei (.xlsx). "
            "Bitte in Excel neu speichern oder als CSV exportieren."
        ) from exc
    out: list[tuple[str, list[list[str]]]] = []
    try:
        for ws in wb.worksheets:
            rows: list[list[str]] = []
            for row in ws.iter_rows(values_only=True):
                if len(rows) > MAX_ROWS + settings.HEADER_SEARCH_ROWS:
                    raise InputError(f"{name}: Mehr als {MAX_ROWS} Zeilen; bitte aufteilen.")
                rows.append([cell_text(v) for v in row])
            while rows and not any(c.strip() for c in rows[-1]):
                rows.pop()
            out.append((ws.title, rows))
    except InputError:
        raise
    except Exception as exc:
        raise InputError(
            f"{name}: Excel-Datei ist beschädigt. Bitte in Excel neu speichern "
            "oder als CSV exportieren."
        ) from exc
    finally:
        wb.close()
    if unmerge:
        try:
            merges = _xlsx_merges(data)
        except Exception:  # damaged XML: read without unmerging
            merges = {}
        for title, rows in out:
            _unmerge(rows, merges.get(title, []))
    return out


def _pick_layer(
    name: str,
    kind: str,
    available: Sequence[str],
    candidates: Sequence[str],
    layer: str | None,
    counts: dict[str, int],
) -> str:
    """The sheet/layer to read: the one asked for, else the only candidate, else ask."""
    flag = "--layer NAME" if kind == "Ebene" else "--layer BLATTNAME"
    listing = ", ".join(f"„{short(a)}“ ({counts.get(a, 0)} Zeilen)" for a in available)
    if layer is not None:
        wanted = str(layer).strip()
        for a in available:
            if a == wanted or a.casefold() == wanted.casefold():
                return a
        if wanted.isdigit() and 1 <= int(wanted) <= len(available):
            return available[int(wanted) - 1]
        raise InputError(f"{name}: {kind} „{short(wanted)}“ nicht gefunden; vorhanden: {listing}.")
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise InputError(f"{name}: Die Datei enthält keine Daten.")
    plural = "Tabellenblätter" if kind == "Blatt" else "Ebenen"
    raise InputError(
        f"{name}: Die Datei hat mehrere {plural} mit Daten: {listing}. Bitte "
        f"eines auswählen (Kommandozeile: {flag}); es wird nicht stillschweigend "
        "das erste gelesen."
    )


def read_xlsx_table(
    data: bytes, name: str, score: HeaderScore | None = None, layer: str | None = None
) -> Table:
    """A table of an XLSX workbook: merged cells unmerged, header below title rows.

    The sheet is ``layer`` (name or 1-based number); without it the only sheet with
    data (with ``score``: the only one with a recognisable header) is read, and a
    workbook with several such sheets raises an InputError that lists them.
    """
    sheets = _xlsx_sheets(data, name, unmerge=True)
    titles = [t for t, _ in sheets]
    by_title = dict(sheets)
    counts = {t: sum(1 for r in rows if any(c.strip() for c in r)) for t, rows in sheets}
    heads: dict[str, int | None] = {}
    for t, rows in sheets:
        if counts[t]:
            first = next(i for i, r in enumerate(rows) if any(c.strip() for c in r))
            heads[t] = find_header(rows, score) if score is not None else first
    candidates = [t for t, h in heads.items() if h is not None] or list(heads)
    chosen = _pick_layer(name, "Blatt", titles, candidates, layer, counts)
    rows = by_title[chosen]
    if not counts[chosen]:
        raise InputError(f"{name}: Das Blatt „{short(chosen)}“ enthält keine Daten.")
    start = heads.get(chosen)
    if start is None:
        start = next(i for i, r in enumerate(rows) if any(c.strip() for c in r))
    notes = _header_note(name, start, "Zeile", chosen if len(titles) > 1 else None)
    skipped = [t for t in titles if t != chosen and counts[t]]
    if skipped and layer is None:
        notes.append(
            Problem(
                f"Blatt „{short(chosen)}“ gelesen; "
                + ", ".join(f"„{short(t)}“" for t in skipped)
                + " ohne erkennbare Kopfzeile nicht gelesen.",
                None,
                None,
                name,
            )
        )
    return Table(rows[start], rows[start + 1 :], notes=notes, layer=chosen, header_row=start + 1)


def list_layers(data: bytes, name: str) -> list[tuple[str, int]]:
    """Sheets (XLSX) or layers (GeoPackage) of a file with their number of rows/features.

    For the app's choice; CSV and GeoJSON have one unnamed layer (an empty list).
    """
    fmt = detect_format(data, name)
    if fmt == "xlsx":
        return [
            (t, sum(1 for r in rows if any(c.strip() for c in r)))
            for t, rows in _xlsx_sheets(data, name)
        ]
    if fmt == "gpkg":
        return [(n, c) for n, c, _ in _gpkg_layers(data, name)]
    return []


def _point_latlon(geom: shapely.Geometry | None) -> tuple[str, str]:
    """Lat/lon text of a point (or the representative point of another geometry)."""
    if geom is None or geom.is_empty:
        return "", ""
    pt = geom if geom.geom_type == "Point" else geom.representative_point()
    return repr(float(pt.y)), repr(float(pt.x))


def _frame_from_records(
    records: list[dict], latlon: list[tuple[str, str]]
) -> tuple[list[str], list[list[str]], list[tuple[str, str]]]:
    header: list[str] = []
    for rec in records:
        for key in rec:
            if key not in header:
                header.append(key)
    rows = [[cell_text(rec.get(k)) for k in header] for rec in records]
    return header, rows, latlon


def parse_geojson(
    data: bytes, name: str
) -> tuple[list[str], list[list[str]], list[tuple[str, str]]]:
    """Header, rows (feature properties) and WGS84 lat/lon text of each feature."""
    text = decode(data, name)
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{name}: Keine gültige GeoJSON-Datei (Fehler in Zeile {exc.lineno}, "
            f"Spalte {exc.colno})."
        ) from exc
    except (ValueError, RecursionError) as exc:
        raise InputError(
            f"{name}: Keine gültige GeoJSON-Datei (zu tief verschachtelt oder ungültige Zahl)."
        ) from exc
    if isinstance(obj, dict) and obj.get("type") == "Feature":
        features = [obj]
    elif (
        isinstance(obj, dict)
        and obj.get("type") == "FeatureCollection"
        and isinstance(obj.get("features"), list)
    ):
        features = obj["features"]
    else:
        raise InputError(
            f"{name}: GeoJSON muss eine FeatureCollection sein "
            "(„type“: „FeatureCollection“ mit „features“)."
        )
    transformer = None
    crs_name = (
        ((obj.get("crs") or {}).get("properties") or {}).get("name")
        if isinstance(obj.get("crs"), dict)
        else None
    )
    if crs_name and not re.search(r"CRS84|4326", str(crs_name)):
        try:
            from pyproj import CRS, Transformer

            transformer = Transformer.from_crs(
                CRS.from_user_input(crs_name), settings.CRS_DISPLAY, always_xy=True
            )
        except Exception as exc:
            raise InputError(f"{name}: Koordinatensystem „{crs_name}“ unbekannt.") from exc
    records, latlon = [], []
    for feat in features:
        if not isinstance(feat, dict):
            raise InputError(f"{name}: Ungültiges Feature in der FeatureCollection.")
        props = feat.get("properties")
        records.append(props if isinstance(props, dict) else {})
        geom = None
        if isinstance(feat.get("geometry"), dict):
            try:
                geom = shapely.geometry.shape(feat["geometry"])
                if transformer is not None and not geom.is_empty:
                    geom = shapely.ops.transform(transformer.transform, geom)
            except Exception:
                geom = None
        latlon.append(_point_latlon(geom))
    return _frame_from_records(records, latlon)


def _gpkg_layers(data: bytes, name: str) -> list[tuple[str, int, bool]]:
    """(layer, features, spatial) of a GeoPackage."""
    import pyogrio

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.gpkg"
        path.write_bytes(data)
        try:
            out = []
            for row in pyogrio.list_layers(path):
                info = pyogrio.read_info(path, layer=row[0])
                out.append((str(row[0]), int(info.get("features") or 0), bool(row[1])))
            return out
        except Exception as exc:
            raise InputError(
                f"{name}: Kein lesbares GeoPackage. Bitte im GIS neu speichern."
            ) from exc


def parse_gpkg(
    data: bytes, name: str, layer: str | None = None
) -> tuple[list[str], list[list[str]], list[tuple[str, str]]]:
    """Header, rows and WGS84 lat/lon text of one layer of a GeoPackage.

    ``layer`` names it; without it the only spatial layer is read, and a GeoPackage
    with several spatial layers raises an InputError that lists them.
    """
    table = read_gpkg_table(data, name, layer)
    return table.header, table.rows, table.latlon or []


def read_gpkg_table(data: bytes, name: str, layer: str | None = None) -> Table:
    """One layer of a GeoPackage as a :class:`Table` (see :func:`parse_gpkg`)."""
    import pyogrio

    layers = _gpkg_layers(data, name)
    if not layers:
        raise InputError(f"{name}: Das GeoPackage enthält keine Ebene.")
    counts = {n: c for n, c, _ in layers}
    spatial = [n for n, _, sp in layers if sp]
    chosen = _pick_layer(
        name, "Ebene", [n for n, _, _ in layers], spatial or [layers[0][0]], layer, counts
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.gpkg"
        path.write_bytes(data)
        try:
            gdf = pyogrio.read_dataframe(path, layer=chosen)
        except Exception as exc:
            raise InputError(
                f"{name}: Die Ebene „{short(chosen)}“ des GeoPackages ist nicht "
                "lesbar. Bitte im GIS neu speichern."
            ) from exc
    geoms: list = [None] * len(gdf)
    if isinstance(gdf, gpd.GeoDataFrame) and gdf.geometry.name in gdf.columns:
        g = gdf.geometry
        if g.crs is not None and not g.crs.equals(settings.CRS_DISPLAY):
            g = _crs.to_display(g)
        geoms = list(g)
        gdf = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    records = gdf.astype(object).where(gdf.notna(), None).to_dict("records")
    header, rows, latlon = _frame_from_records(records, [_point_latlon(g) for g in geoms])
    notes = []
    others = [n for n, _, _ in layers if n != chosen]
    if others and layer is None:
        notes.append(
            Problem(
                f"Ebene „{short(chosen)}“ gelesen; "
                + ", ".join(f"„{short(o)}“" for o in others)
                + " ohne Geometrie nicht gelesen.",
                None,
                None,
                name,
            )
        )
    return Table(header, rows, latlon, notes, chosen)


def read_table(
    data: bytes, name: str, score: HeaderScore | None = None, layer: str | None = None
) -> Table:
    """Any supported table file as a :class:`Table` (format from content and name)."""
    fmt = detect_format(data, name)
    if fmt == "csv":
        table = read_csv_table(data, name, score)
    elif fmt == "xlsx":
        table = read_xlsx_table(data, name, score, layer)
    elif fmt == "geojson":
        header, rows, latlon = parse_geojson(data, name)
        table = Table(header, rows, latlon)
    else:
        table = read_gpkg_table(data, name, layer)
    if layer is not None and fmt in ("csv", "geojson"):
        table.notes.append(
            Problem(
                f"Die Datei hat nur eine Tabelle; die Angabe „{short(layer)}“ "
                "(Blatt/Ebene) wird nicht gebraucht.",
                None,
                None,
                name,
            )
        )
    return table
