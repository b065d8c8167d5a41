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
from pathlib import Path
from typing import IO

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import settings
from ._errors import DataFileError, InputError
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


def data_rows(rows: Sequence[Sequence[object]], width: int,
              keep: Callable[[int], bool] | None = None
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
    return (f"Zeile hat {n_fields} Felder, die Kopfzeile nur {width}; überzählige Werte "
            f"({short(', '.join(extra[:3]))}) nicht übernommen. Bitte Trennzeichen und "
            "Anführungszeichen prüfen.")


def row_numbers(df: pd.DataFrame) -> list[int]:
    """The file's 1-based data row of each row (the ``row`` index of a read table)."""
    if df.index.name == "row" and pd.api.types.is_integer_dtype(df.index):
        return [int(i) for i in df.index]
    return list(range(1, len(df) + 1))


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------
def read_source(source: SourceLike, filename: str | None, *, default_name: str = "Upload",
                advice: str = "Bitte die Liste aufteilen oder unnötige Spalten entfernen."
                ) -> tuple[bytes, str]:
    """Return the bytes of a path, bytes object or file-like, checking the size first.

    ``filename`` names the data in messages (default: the path's or file's name,
    else ``default_name``); ``advice`` follows the message of a file that is too big.
    """
    limit = settings.MAX_UPLOAD_BYTES
    too_big = (f"Die Datei ist größer als {limit // (1024 * 1024)} MB und wird nicht "
               f"eingelesen. {advice}").strip()
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
            raise InputError(f"{name}: Datei kann nicht gelesen werden ({exc.strerror}).") \
                from exc
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
        raise InputError(f"{name}: Das alte Excel-Format (.xls) wird nicht unterstützt. "
                         "Bitte in Excel als .xlsx oder als CSV speichern.")
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


def parse_csv(data: bytes, name: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV file (all text)."""
    text = decode(data, name)
    delimiter = sniff_delimiter(text)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise InputError(f"{name}: CSV-Datei ist nicht lesbar ({exc}). Bitte Anführungszeichen "
                         "und Trennzeichen prüfen.") from exc
    if not rows:
        raise InputError(f"{name}: Die Datei ist leer.")
    return rows[0], rows[1:]


def parse_xlsx(data: bytes, name: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the first sheet with data (formulas as text, never evaluated)."""
    import openpyxl  # local: only needed for Excel files

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise InputError(f"{name}: Keine gültige Excel-Datei (.xlsx) ({type(exc).__name__}). "
                         "Bitte in Excel neu speichern oder als CSV exportieren.") from exc
    try:
        for ws in wb.worksheets:
            rows: list[list[str]] = []
            for row in ws.iter_rows(values_only=True):
                if len(rows) > MAX_ROWS:
                    raise InputError(f"{name}: Mehr als {MAX_ROWS} Zeilen; bitte aufteilen.")
                rows.append([cell_text(v) for v in row])
            while rows and not any(c.strip() for c in rows[0]):
                rows.pop(0)
            if rows:
                return rows[0], rows[1:]
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{name}: Excel-Datei ist beschädigt ({type(exc).__name__}).") from exc
    finally:
        wb.close()
    raise InputError(f"{name}: Die Excel-Datei enthält keine Daten.")


def _point_latlon(geom: shapely.Geometry | None) -> tuple[str, str]:
    """Lat/lon text of a point (or the representative point of another geometry)."""
    if geom is None or geom.is_empty:
        return "", ""
    pt = geom if geom.geom_type == "Point" else geom.representative_point()
    return repr(float(pt.y)), repr(float(pt.x))


def _frame_from_records(records: list[dict], latlon: list[tuple[str, str]]
                        ) -> tuple[list[str], list[list[str]], list[tuple[str, str]]]:
    header: list[str] = []
    for rec in records:
        for key in rec:
            if key not in header:
                header.append(key)
    rows = [[cell_text(rec.get(k)) for k in header] for rec in records]
    return header, rows, latlon


def parse_geojson(data: bytes, name: str
                  ) -> tuple[list[str], list[list[str]], list[tuple[str, str]]]:
    """Header, rows (feature properties) and WGS84 lat/lon text of each feature."""
    text = decode(data, name)
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{name}: Keine gültige GeoJSON-Datei ({exc}).") from exc
    if isinstance(obj, dict) and obj.get("type") == "Feature":
        features = [obj]
    elif isinstance(obj, dict) and obj.get("type") == "FeatureCollection" \
            and isinstance(obj.get("features"), list):
        features = obj["features"]
    else:
        raise InputError(f"{name}: GeoJSON muss eine FeatureCollection sein "
                         "(„type“: „FeatureCollection“ mit „features“).")
    transformer = None
    crs_name = ((obj.get("crs") or {}).get("properties") or {}).get("name") \
        if isinstance(obj.get("crs"), dict) else None
    if crs_name and not re.search(r"CRS84|4326", str(crs_name)):
        try:
            from pyproj import CRS, Transformer
            transformer = Transformer.from_crs(CRS.from_user_input(crs_name),
                                               settings.CRS_DISPLAY, always_xy=True)
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


def parse_gpkg(data: bytes, name: str
               ) -> tuple[list[str], list[list[str]], list[tuple[str, str]]]:
    """Header, rows and WGS84 lat/lon text of the first spatial layer of a GeoPackage."""
    import pyogrio

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.gpkg"
        path.write_bytes(data)
        try:
            layers = pyogrio.list_layers(path)
            if len(layers) == 0:
                raise InputError(f"{name}: Das GeoPackage enthält keine Ebene.")
            spatial = [row[0] for row in layers if row[1]]
            layer = spatial[0] if spatial else layers[0][0]
            gdf = pyogrio.read_dataframe(path, layer=layer)
        except InputError:
            raise
        except Exception as exc:
            raise InputError(f"{name}: Kein lesbares GeoPackage ({type(exc).__name__}).") \
                from exc
    geoms: list = [None] * len(gdf)
    if isinstance(gdf, gpd.GeoDataFrame) and gdf.geometry.name in gdf.columns:
        g = gdf.geometry
        if g.crs is not None and not g.crs.equals(settings.CRS_DISPLAY):
            g = g.to_crs(settings.CRS_DISPLAY)
        geoms = list(g)
        gdf = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    records = gdf.astype(object).where(gdf.notna(), None).to_dict("records")
    return _frame_from_records(records, [_point_latlon(g) for g in geoms])
