"""Social indicators per Gemeinde: import, validation, need weights, choropleth.

Planners get SGB-II-Quoten, Kinderarmut (SGB-II-Quote unter 15 Jahren) or
Arbeitslosenquoten per Gemeinde from the Statistik der Bundesagentur für Arbeit
(BA) or the Regionalstatistik, as CSV or Excel tables keyed by the Amtlicher
Gemeindeschlüssel (AGS). This module reads such tables with the upload readers
of :mod:`geo._tables` (size limit before parsing, UTF-8/Windows-1252,
delimiter sniffing, XLSX without evaluating formulas), finds the header row
below title lines, normalises the keys (AGS that lost a leading zero, 12-digit
Regionalschlüssel), parses German numbers (decimal comma, thousands dots,
percent signs, suppression markers such as ``*``) and validates every row
against the region. A bad cell never costs the good ones: it is listed with
row, column and what was expected, and the rest is imported.

Typical use::

    table = import_indicators(upload, region.gemeinden, filename="sgb2.csv")
    table.summary()      # indicators, Gemeinden matched/missing, errors, warnings
    w = need_weights(table, "SGB II-Quote in %", region.gemeinden)   # {ags: weight}
    demand = region.cells["u10"] * cell_weights(region.cells["ags"], w)
    s = choropleth_values(table, "SGB II-Quote in %", region.gemeinden)
    save_indicators(table, folder)   # parquet + JSON, atomic; load_indicators(folder)

See ``docs/indicators.md`` for the accepted layouts and the weight formula.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import math
import os
import re
import time
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import _tables, settings
from ._errors import CacheError, InputError, Problem
from ._io import write_bytes_atomic, write_json_atomic
from ._tables import SourceLike, header_key, short

METHODS: dict[str, str] = {
    "relative": "Gewicht = Indikatorwert ÷ Mittelwert der Region",
}
META_FILE = "indicators.json"
DATA_PREFIX = "indicators-"
_DATA_NAME_RE = re.compile(r"indicators-[0-9a-f]{16}\.parquet")
FORMAT_VERSION = 1
_OUTSIDE_PER_ROW = 20  # more rows outside the region are reported in one warning
_CLEANUP_AGE_S = 60.0  # older unreferenced parquet files are removed on save


# ---------------------------------------------------------------------------
# Column roles
# ---------------------------------------------------------------------------
_NAME_KEYS = frozenset(
    header_key(a)
    for a in (
        "name",
        "gemeinde",
        "gemeindename",
        "gemeindenamen",
        "gemeindebezeichnung",
        "bezeichnung",
        "region",
        "regionalname",
        "regionalbezeichnung",
        "gebiet",
        "gebietseinheit",
        "ort",
        "kreise und gemeinden",
        "gemeinden",
    )
)
# Descriptive columns that are never indicators, even when they hold numbers.
_META_KEYS = frozenset(
    header_key(a)
    for a in (
        "kreis",
        "kreisname",
        "landkreis",
        "land",
        "bundesland",
        "regierungsbezirk",
        "rb",
        "vg",
        "verwaltungsgemeinschaft",
        "gemeindeverband",
        "verband",
        "jahr",
        "stand",
        "datum",
        "berichtsmonat",
        "berichtsjahr",
        "monat",
        "stichtag",
        "plz",
        "postleitzahl",
        "bemerkung",
        "bemerkungen",
        "hinweis",
        "hinweise",
        "fußnote",
        "fußnoten",
        "quelle",
        "lfd. nr.",
        "nr",
    )
)
_POPULATION_RE = re.compile(
    r"(einwohner(innen)?(undeinwohner)?|bevoelkerung|ew|pop|population)"
    r"(insgesamt|gesamt|zahl)?(am|stand)?[0-9]*"
)
_KEY_STOP = ("kreis", "land", "verband", "bezirk", "plz", "post")


def _key_rank(label: object) -> int | None:
    """Rank of an AGS-like column header (0 is best) or None.

    0: AGS / Gemeindeschlüssel, 1: Gemeindekennziffer (GKZ), 2: Regionalschlüssel
    (ARS), 3: Kennziffer / Schlüssel.
    """
    text = unicodedata.normalize("NFC", str(label)).casefold()
    key = header_key(text)
    if not key:
        return None
    tokens = set(re.findall(r"[0-9a-zäöüß]+", text))
    if "ags" in tokens or "gemeindeschluessel" in key:
        return 0
    if "gkz" in tokens or "gemeindekennziffer" in key:
        return 1
    if "ars" in tokens or "regionalschluessel" in key:
        return 2
    if any(stop in key for stop in _KEY_STOP):
        return None
    if "kennziffer" in key or key.endswith("schluessel") or key == "schluesselnummer":
        return 3
    return None


def _is_header(cells: Sequence[object]) -> bool:
    """At least two cells, one of them a short AGS-like name (not a sentence of a title)."""
    filled = [str(c).strip() for c in cells if str(c).strip()]
    return len(filled) >= 2 and any(len(c) <= 40 and _key_rank(c) is not None for c in filled)


def _no_header(name: str, xlsx: bool = False) -> InputError:
    where = " (gelesen wird das erste Tabellenblatt mit Daten)" if xlsx else ""
    return InputError(
        f"{name}: Keine Kopfzeile mit einer Schlüsselspalte gefunden{where}. Erwartet wird in "
        f"den ersten {settings.INDICATOR_HEADER_SEARCH_ROWS} Zeilen eine Kopfzeile mit einer "
        "Spalte „AGS“, „Gemeindeschlüssel“, „Regionalschlüssel“ (ARS), „Kennziffer“ oder "
        "„Schlüssel“ und mindestens einer Indikatorspalte."
    )


def _safe_name(name: object) -> str:
    """A file name for messages and metadata: no folders, no control or markup characters."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", str(name)))[-1]
    base = "".join(ch if ch.isprintable() else "_" for ch in base)
    base = re.sub(r"[<>:\"|?*`$]", "_", base).strip(" .")
    return base[:120] or "Upload"


# ---------------------------------------------------------------------------
# Keys and numbers
# ---------------------------------------------------------------------------
_KEY_CLEAN_RE = re.compile(r"[\s\u00a0\u202f]")
_LEVELS = {
    1: "ein Land",
    2: "ein Land",
    3: "einen Regierungsbezirk",
    4: "einen Kreis",
    5: "einen Kreis",
    9: "einen Gemeindeverband",
}


def normalize_key(value: object) -> tuple[str, str]:
    """Classify and normalise a Gemeinde key.

    Digits only (spaces are dropped, a trailing ``.0`` from a spreadsheet
    too). 7–8 digits: an AGS, zero-padded to 8 (``1001000`` → ``01001000``).
    10–12 digits: a Regionalschlüssel (ARS), zero-padded to 12; the AGS is
    Land + Regierungsbezirk + Kreis (digits 1–5) + Gemeinde (digits 10–12).
    1–5 or 9 digits: a Land, Regierungsbezirk, Kreis or Gemeindeverband.

    Returns
    -------
    (kind, key)
        ``("ags", "16065003")``, ``("aggregate", "16065")`` or
        ``("invalid", text)``.
    """
    if isinstance(value, bool) or value is None:
        return "invalid", "" if value is None else str(value)
    if isinstance(value, int | np.integer):
        text = str(int(value))
    elif isinstance(value, float | np.floating):
        if not math.isfinite(value) or not float(value).is_integer():
            return "invalid", str(value)
        text = str(int(value))
    else:
        text = _KEY_CLEAN_RE.sub("", str(value)).lstrip("'")
        text = re.sub(r"^(\d+)\.0+$", r"\1", text)
    if not text.isascii() or not text.isdigit():
        return "invalid", str(value)
    n = len(text)
    if n in (7, 8):
        return "ags", text.zfill(8)
    if n in (10, 11, 12):
        ars = text.zfill(12)
        return "ags", ars[:5] + ars[9:]
    if n in _LEVELS:
        return "aggregate", text
    return "invalid", str(value)


def _norm_ags(value: object) -> str | None:
    kind, key = normalize_key(value)
    return key if kind == "ags" else None


def _marker_key(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()


_MARKERS = frozenset(_marker_key(m) for m in settings.INDICATOR_MISSING_MARKERS)
_SPACE_RE = re.compile(r"[\s\u00a0\u202f']")
# ASCII digits only (``\d`` would accept other scripts' digits, and float() too).
_FLOAT_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_NONFINITE_RE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_DE_GROUPED_RE = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?", re.ASCII)
_EN_GROUPED_RE = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?", re.ASCII)
_AMBIGUOUS_RE = re.compile(r"[+-]?[1-9]\d{0,2}\.\d{3}", re.ASCII)  # "1.234": 1234 or 1,234?
_POINT_DECIMAL_RE = re.compile(
    r"[+-]?\d*\.\d+(?:[eE][+-]?\d+)?|[+-]?\d{1,3}(?:,\d{3})+\.\d+", re.ASCII
)


def parse_value(text: str, dot_thousands: bool = True) -> tuple[str, float, bool]:
    """Parse one indicator cell written the German or the English way.

    ``"12,5"``, ``"12,5 %"``, ``"1.234"`` (→ 1234 if ``dot_thousands``),
    ``"1.234,5"``, ``"1,234.5"``, ``"12.5"``, ``"-3"`` and ``"1e3"`` are numbers;
    markers of suppressed values (``settings.INDICATOR_MISSING_MARKERS``) are
    missing. Nothing is ever evaluated.

    Deliberately not :func:`geo.geocode.parse_number`: official statistics write
    thousands with dots, so ``"1.234"`` is 1234 here unless the column uses
    decimal points (:func:`_column_style`), and suppression markers are
    missing values, not errors.

    Returns
    -------
    (status, value, percent)
        status is ``"ok"``, ``"empty"``, ``"marker"``, ``"nonfinite"`` (NaN,
        inf, overflow such as ``1e999``), ``"formula"`` (non-numeric text
        starting with ``=``, ``+``, ``-``, ``@``) or ``"invalid"``; value is NaN
        unless ``"ok"``; percent tells whether a ``%`` sign was present.
    """
    s = str(text).strip()
    if not s:
        return "empty", math.nan, False
    if _marker_key(s) in _MARKERS:
        return "marker", math.nan, False
    t = _SPACE_RE.sub("", s)
    pct = t.endswith("%")
    if pct:
        t = t[:-1]
    if _NONFINITE_RE.fullmatch(t):
        return "nonfinite", math.nan, pct
    ok_form = True
    if "," in t and "." in t:
        if t.rfind(",") > t.rfind("."):
            ok_form = bool(_DE_GROUPED_RE.fullmatch(t))
            t = t.replace(".", "").replace(",", ".")
        else:
            ok_form = bool(_EN_GROUPED_RE.fullmatch(t))
            t = t.replace(",", "")
    elif t.count(",") == 1:
        t = t.replace(",", ".")
    elif t.count(",") > 1:
        ok_form = bool(_EN_GROUPED_RE.fullmatch(t))
        t = t.replace(",", "")
    elif t.count(".") > 1:
        ok_form = bool(_DE_GROUPED_RE.fullmatch(t))
        t = t.replace(".", "")
    elif dot_thousands and _AMBIGUOUS_RE.fullmatch(t):
        t = t.replace(".", "")
    if not ok_form or not _FLOAT_RE.fullmatch(t):
        return ("formula" if s.startswith(_tables.FORMULA_PREFIXES) else "invalid"), math.nan, pct
    value = float(t)
    if not math.isfinite(value):
        return "nonfinite", math.nan, pct
    return "ok", value, pct


def _column_style(texts: Iterable[str]) -> tuple[bool, bool]:
    """(dot_thousands, ambiguous) for the texts of one column.

    A column that writes any value with a decimal point (``12.5``, ``0.125``)
    uses dots as decimals; otherwise dots are German thousands separators.
    ``ambiguous`` tells that values like ``1.234`` occurred without any decimal
    comma in the column to confirm the German reading.
    """
    point = comma = ambiguous = False
    for s in texts:
        t = _SPACE_RE.sub("", s).rstrip("%")
        if _AMBIGUOUS_RE.fullmatch(t):
            ambiguous = True
        elif _POINT_DECIMAL_RE.fullmatch(t):
            point = True
        elif "," in t:
            comma = True
    return not point, ambiguous and not point and not comma


_MESSAGES = {
    "invalid": "„{v}“ ist keine Zahl; erwartet z. B. 12,5 oder 12,5 % oder 1.234 (fehlende "
    "Werte leer lassen oder „*“ eintragen).",
    "formula": "„{v}“ sieht wie eine Tabellenformel aus; Formeln werden nicht ausgewertet. "
    "Erwartet eine Zahl – bitte in Excel die Werte statt der Formeln speichern "
    "(Kopieren, Inhalte einfügen: Werte) oder als CSV exportieren.",
    "nonfinite": "„{v}“ ist keine endliche Zahl (NaN, unendlich oder zu groß); erwartet eine "
    "Zahl wie 12,5 (fehlende Werte leer lassen oder „*“ eintragen).",
}


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------
_LINE_RE = re.compile(r"\r\n|\r|\n")


def _csv_table(data: bytes, name: str) -> tuple[list[str], list[list[str]], int]:
    """Header, rows and number of preamble lines of a CSV file."""
    text = _tables.decode(data, name)
    n = settings.INDICATOR_HEADER_SEARCH_ROWS
    lines = _LINE_RE.split(text, maxsplit=n)
    start = None
    for i, line in enumerate(lines[:n]):
        for delimiter in (";", "\t", ","):
            try:
                cells = next(csv.reader([line], delimiter=delimiter), [])
            except csv.Error:
                continue
            if _is_header(cells):
                start = i
                break
        if start is not None:
            break
    if start is None:
        raise _no_header(name)
    # Hand the table from the header line on to the shared CSV reader (it sniffs
    # the delimiter on its first line, which is now the header).
    header, rows = _tables.parse_csv("\n".join(lines[start:]).encode("utf-8"), name)
    return header, rows, start


def _xlsx_table(data: bytes, name: str) -> tuple[list[str], list[list[str]], int]:
    header, rows = _tables.parse_xlsx(data, name)
    table = [header, *rows]
    for i, row in enumerate(table[: settings.INDICATOR_HEADER_SEARCH_ROWS]):
        if _is_header(row):
            return table[i], table[i + 1 :], i
    raise _no_header(name, xlsx=True)


def _column_labels(header: Sequence[object]) -> list[str]:
    labels: list[str] = []
    used: set[str] = set()
    for i, h in enumerate(header):
        label = re.sub(r"\s+", " ", _tables.undefuse(str(h).strip().lstrip("\ufeff"))).strip()
        labels.append(_tables.unique_label(label or f"Spalte {i + 1}", used))
    return labels


def read_indicators(source: SourceLike, filename: str | None = None) -> pd.DataFrame:
    """Read an indicator table (CSV or XLSX) into a raw string table.

    Parameters
    ----------
    source : path, bytes or binary file-like
        CSV (UTF-8 with/without BOM or Windows-1252; semicolon, comma or tab)
        or XLSX (first sheet with data; formulas are read as text, never
        evaluated). Title lines above the table are skipped: the header is the
        first of the first ``settings.INDICATOR_HEADER_SEARCH_ROWS`` rows that
        has at least two cells, one of them an AGS-like name (``AGS``,
        ``Gemeindeschlüssel``, ``Regionalschlüssel``/``ARS``, ``Kennziffer``,
        ``Schlüssel``).
    filename : str, optional
        Name for messages and for the format (by suffix); needed for uploads
        given as bytes. Only its last path component is used.

    Returns
    -------
    DataFrame
        One string column per header cell (cleaned, made unique; empty
        unnamed columns dropped), values as in the file (formulas as text),
        missing cells as NaN. The index (named ``row``) is the 1-based data
        row counted from the line below the header; blank lines are skipped.
        ``attrs``: ``source_file``, ``format`` (``"csv"``/``"xlsx"``),
        ``preamble_rows`` (rows skipped above the header) and
        ``row_problems`` (row → German message, e.g. too many fields).

    Raises
    ------
    InputError
        File too big (checked before parsing, ``settings.MAX_UPLOAD_BYTES``),
        empty, unreadable, wrong encoding or format, no header row, too many
        rows or columns (German message).
    """
    data, name = _tables.read_source(source, _safe_name(filename) if filename else None)
    name = _safe_name(name)
    if not data.strip():
        raise InputError(f"{name}: Die Datei ist leer.")
    fmt = _tables.detect_format(data, name)
    if fmt == "csv":
        header, rows, preamble = _csv_table(data, name)
    elif fmt == "xlsx":
        header, rows, preamble = _xlsx_table(data, name)
    else:
        raise InputError(
            f"{name}: Indikatortabellen werden als CSV- oder Excel-Datei (.xlsx) "
            f"erwartet, nicht als {fmt.upper()}."
        )
    if len(rows) > _tables.MAX_ROWS:
        raise InputError(f"{name}: Mehr als {_tables.MAX_ROWS} Zeilen; bitte aufteilen.")
    if len(header) > settings.INDICATOR_MAX_COLUMNS:
        raise InputError(
            f"{name}: Die Kopfzeile hat {len(header)} Spalten, erlaubt sind "
            f"höchstens {settings.INDICATOR_MAX_COLUMNS}. Bitte nur die "
            "benötigten Spalten exportieren."
        )
    labels = _column_labels(header)
    width = len(labels)
    columns: dict[str, list[str]] = {c: [] for c in labels}
    index: list[int] = []
    row_problems: dict[int, str] = {}
    for r, cells, extra, n_fields in _tables.data_rows(rows, width):
        index.append(r)
        for c, v in zip(labels, cells, strict=True):
            columns[c].append(v)
        if extra:
            row_problems[r] = _tables.extra_fields_message(n_fields, width, extra)
    df = pd.DataFrame(columns, index=pd.Index(index, name="row", dtype="int64"), dtype="str")
    unnamed = [c for c, h in zip(labels, header, strict=True) if not str(h).strip()]
    df = df.drop(columns=[c for c in unnamed if not df[c].str.len().gt(0).any()])
    df = df.replace("", np.nan)
    if df.empty:
        raise InputError(f"{name}: Keine Datenzeilen unter der Kopfzeile gefunden.")
    df.attrs.update(source_file=name, format=fmt, preamble_rows=preamble, row_problems=row_problems)
    return df


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------
@dataclass
class IndicatorTable:
    """Indicators per Gemeinde of the region, as imported from one file.

    Attributes
    ----------
    values : DataFrame
        Index ``ags`` (8-digit strings, the region's Gemeinden found in the
        file, file order); one float column per numeric column of the file
        (NaN: missing, suppressed or invalid).
    problems : list of Problem
        Errors (German, with row and column): rows or cells not imported.
    warnings : list of Problem
        Notes: missing Gemeinden, suppressed values, skipped rows and columns.
    labels : dict
        Column → label (the header as in the file).
    units : dict
        Column → unit (``"%"`` if the header or the values say so, else ``""``).
    population : str or None
        The column holding inhabitants (used to weight the region mean).
    missing : dict
        AGS → name of the region's Gemeinden that the file lacks.
    file : str or None
        Source file name (sanitised; never used as a path).
    imported_at : str or None
        ISO time of the import (UTC).
    n_gemeinden : int
        Number of Gemeinden in the region.
    """

    values: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    population: str | None = None
    missing: dict[str, str] = field(default_factory=dict)
    file: str | None = None
    imported_at: str | None = None
    n_gemeinden: int = 0

    @property
    def indicators(self) -> list[str]:
        """The indicator columns (all value columns except the population)."""
        return [c for c in self.values.columns if c != self.population]

    def summary(self) -> dict:
        """Counts for the user: indicators, Gemeinden matched and missing, errors, warnings."""
        return {
            "file": self.file,
            "imported_at": self.imported_at,
            "indicators": [
                {
                    "column": c,
                    "label": self.labels.get(c, c),
                    "unit": self.units.get(c, ""),
                    "values": int(self.values[c].notna().sum()),
                }
                for c in self.indicators
            ],
            "population": self.population,
            "gemeinden_matched": int(len(self.values)),
            "gemeinden_total": int(self.n_gemeinden),
            "missing": [{"ags": a, "name": n} for a, n in self.missing.items()],
            "errors": [p.to_dict() for p in self.problems],
            "warnings": [p.to_dict() for p in self.warnings],
        }


def _region_frame(gemeinden: pd.DataFrame) -> pd.DataFrame:
    """Region Gemeinden as a frame indexed by 8-digit AGS with ``name`` and ``pop``."""
    if not isinstance(gemeinden, pd.DataFrame) or "ags" not in gemeinden.columns:
        raise InputError(
            "Die Gemeinden der Region brauchen eine Spalte „ags“ (Amtlicher Gemeindeschlüssel)."
        )
    ags = [_norm_ags(a) or str(a) for a in gemeinden["ags"].tolist()]
    names = gemeinden["name"].astype(str).tolist() if "name" in gemeinden.columns else ags
    pop = (
        pd.to_numeric(gemeinden["pop"], errors="coerce").to_numpy(dtype=float)
        if "pop" in gemeinden.columns
        else np.full(len(ags), np.nan)
    )
    frame = pd.DataFrame({"name": names, "pop": pop}, index=pd.Index(ags, name="ags"))
    return frame[~frame.index.duplicated()]


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return _tables.cell_text(value).strip()


def _column_roles(columns: Sequence[str]) -> tuple[str | None, str | None, list[str]]:
    """(AGS column, name column, other columns) by header."""
    ranked = [(r, i) for i, c in enumerate(columns) if (r := _key_rank(c)) is not None]
    ags_col = columns[min(ranked)[1]] if ranked else None
    name_col = next(
        (
            c
            for c in columns
            if c != ags_col and (header_key(c) in _NAME_KEYS or header_key(c).startswith("name"))
        ),
        None,
    )
    rest = [c for c in columns if c not in (ags_col, name_col)]
    return ags_col, name_col, rest


def _names_match(a: str, b: str) -> bool:
    ka, kb = header_key(a), header_key(b)
    return bool(ka and kb) and (ka in kb or kb in ka)


def validate_indicators(df: pd.DataFrame, gemeinden: pd.DataFrame) -> IndicatorTable:
    """Check every row against the region and parse the indicator columns.

    Parameters
    ----------
    df : DataFrame
        Raw table from :func:`read_indicators`, or any table with an AGS-like
        column (string or numeric cells).
    gemeinden : DataFrame or GeoDataFrame
        The region's Gemeinden: ``ags``, optionally ``name`` and ``pop``.

    Returns
    -------
    IndicatorTable
        Rows of the region's Gemeinden (first row per AGS). Errors (in
        ``problems``): missing or invalid key, a key in one of the region's
        Kreise that is not a Gemeinde of the region, duplicate AGS (the first
        row is kept), non-numeric / formula / non-finite cells (the cell is
        NaN). Warnings: rows outside the region, Land/Kreis total rows, title
        and footnote rows, suppressed values, columns that are not indicators,
        Gemeinden missing from the file, names that differ from the region's.

    Raises
    ------
    InputError
        No AGS-like column, no row of a region Gemeinde, or no numeric column.
    """
    name = _safe_name(df.attrs.get("source_file") or "Tabelle")
    fmt = df.attrs.get("format", "csv")
    region = _region_frame(gemeinden)
    columns = [str(c) for c in df.columns]
    frame = df.copy()
    frame.columns = columns
    ags_col, name_col, others = _column_roles(columns)
    if ags_col is None:
        raise _no_header(name)
    problems: list[Problem] = []
    warnings: list[Problem] = []
    rows = _tables.row_numbers(frame)

    def problem(message: str, row: int | None = None, column: str | None = None) -> None:
        problems.append(Problem(message, row, column, name))

    def warn(message: str, row: int | None = None, column: str | None = None) -> None:
        warnings.append(Problem(message, row, column, name))

    preamble = int(df.attrs.get("preamble_rows") or 0)
    if preamble:
        warn(
            f"Kopfzeile unter {preamble} Titel-/Erläuterungszeile(n) erkannt; diese wurden "
            "übersprungen. Zeilenangaben zählen ab der ersten Zeile unter der Kopfzeile."
        )
    for r, msg in (df.attrs.get("row_problems") or {}).items():
        problem(msg, int(r))

    # --- rows: keys ------------------------------------------------------------
    keys = [_cell(v) for v in frame[ags_col].tolist()]
    other_text = [[_cell(v) for v in frame[c].tolist()] for c in others]
    kreise = {a[:5] for a in region.index}
    kept: list[int] = []
    kept_ags: list[str] = []
    first: dict[str, int] = {}
    outside: list[tuple[int, str]] = []
    for i, raw in enumerate(keys):
        row = rows[i]
        filled = any(col[i] for col in other_text)
        if not raw:
            if filled:
                problem(
                    "Gemeindeschlüssel fehlt; erwartet ein 8-stelliger AGS (z. B. 16065003) "
                    "oder ein 12-stelliger Regionalschlüssel. Zeile nicht übernommen.",
                    row,
                    ags_col,
                )
            else:
                label = _cell(frame[name_col].iloc[i]) if name_col else ""
                warn(f"Zeile ohne Schlüssel und ohne Werte übersprungen („{short(label)}“).", row)
            continue
        kind, key = normalize_key(raw)
        if kind == "invalid":
            if filled:
                problem(
                    f"„{short(raw)}“ ist kein gültiger Gemeindeschlüssel; erwartet 8 Ziffern "
                    "(AGS, z. B. 16065003) oder 12 Ziffern (Regionalschlüssel, z. B. "
                    "160650003003). Zeile nicht übernommen.",
                    row,
                    ags_col,
                )
            else:
                warn(
                    f"Zeile ohne Werte übersprungen (Erläuterung oder Fußnote?): „{short(raw)}“.",
                    row,
                )
            continue
        if kind == "aggregate":
            warn(
                f"Schlüssel {key} bezeichnet {_LEVELS[len(key)]}, keine Gemeinde; "
                "Summenzeile übersprungen.",
                row,
                ags_col,
            )
            continue
        if key not in region.index:
            if key[:5] in kreise:
                problem(
                    f"Gemeindeschlüssel {key} gehört zu keiner Gemeinde der Region, obwohl "
                    f"der Kreis {key[:5]} dazugehört: Tippfehler oder anderer Gebietsstand "
                    "(Gemeindefusion)? Zeile nicht übernommen.",
                    row,
                    ags_col,
                )
            else:
                outside.append((row, key))
            continue
        if key in first:
            problem(
                f"Gemeindeschlüssel {key} ({short(region.at[key, 'name'])}) ist doppelt: "
                f"schon in Zeile {first[key]}; diese Zeile wird nicht übernommen.",
                row,
                ags_col,
            )
            continue
        first[key] = row
        kept.append(i)
        kept_ags.append(key)
    if len(outside) <= _OUTSIDE_PER_ROW:
        for row, key in outside:
            warn(
                f"Gemeinde {key} liegt außerhalb der Region; Zeile nicht übernommen.", row, ags_col
            )
    else:  # e.g. a table of a whole Land: one note instead of thousands
        kreise_out = sorted({k[:5] for _, k in outside})
        warn(
            f"{len(outside)} Zeilen mit Gemeinden außerhalb der Region nicht übernommen "
            f"(Kreise {', '.join(kreise_out[:8])}{' …' if len(kreise_out) > 8 else ''}; "
            f"Zeilen {', '.join(str(r) for r, _ in outside[:5])} …).",
            None,
            ags_col,
        )
    if not kept:
        example = region.index[0] if len(region) else "16065003"
        raise InputError(
            f"{name}: Keine Zeile gehört zu einer Gemeinde der Region ({len(region)} Gemeinden). "
            f"Erwartet werden Gemeindeschlüssel der Region wie {example} in der Spalte "
            f"„{ags_col}“.",
            problems + warnings,
        )

    if name_col:
        for i, key in zip(kept, kept_ags, strict=True):
            text = _cell(frame[name_col].iloc[i])
            official = str(region.at[key, "name"])
            if text and not _names_match(text, official):
                warn(
                    f"Name „{short(text)}“ passt nicht zu Gemeinde {key} „{short(official)}“ "
                    "der Region; bitte den Gemeindeschlüssel prüfen.",
                    rows[i],
                    name_col,
                )

    # --- columns: indicators ----------------------------------------------------
    values: dict[str, np.ndarray] = {}
    labels: dict[str, str] = {}
    units: dict[str, str] = {}
    population = None
    ignored: list[str] = []
    for c, texts_all in zip(others, other_text, strict=True):
        key = header_key(c)
        if key in _META_KEYS or _key_rank(c) is not None:
            ignored.append(c)
            continue
        series = frame[c].iloc[kept]
        numeric_dtype = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(
            series
        )
        texts = [texts_all[i] for i in kept]
        dot_thousands, ambiguous = (
            (False, False) if fmt == "xlsx" or numeric_dtype else _column_style(texts_all)
        )  # the whole column shows the file's style
        parsed = (
            [_parse_number_cell(v) for v in series.tolist()]
            if numeric_dtype
            else [parse_value(t, dot_thousands) for t in texts]
        )
        n_ok = sum(p[0] == "ok" for p in parsed)
        n_bad = sum(p[0] in _MESSAGES for p in parsed)
        if n_ok == 0 or n_ok < n_bad:
            if n_ok or n_bad:
                example = next(
                    (t for t, p in zip(texts, parsed, strict=True) if p[0] in _MESSAGES), ""
                )
                warn(
                    f"Spalte enthält überwiegend keine Zahlen ({n_bad} von {n_ok + n_bad} "
                    f"Werten, z. B. „{short(example)}“) und wird nicht als Indikator "
                    "übernommen.",
                    None,
                    c,
                )
            continue
        arr = np.array([p[1] for p in parsed], dtype=float)
        for t, p, i in zip(texts, parsed, kept, strict=True):
            if p[0] in _MESSAGES:
                problem(_MESSAGES[p[0]].format(v=short(t)), rows[i], c)
        marked = [
            (rows[i], t) for t, p, i in zip(texts, parsed, kept, strict=True) if p[0] == "marker"
        ]
        if marked:
            signs = ", ".join(f"„{s}“" for s in dict.fromkeys(t for _, t in marked))
            where = ", ".join(str(r) for r, _ in marked[:10]) + (" …" if len(marked) > 10 else "")
            warn(
                f"{len(marked)} Wert(e) als geheim gehalten oder nicht vorhanden "
                f"gekennzeichnet ({signs}; Zeile {where}); als fehlend behandelt. Hinweis: „-“ "
                "bedeutet in der amtlichen Statistik oft „nichts vorhanden“ (0) – falls so "
                "gemeint, bitte 0 eintragen.",
                None,
                c,
            )
        if ambiguous:
            warn(
                "Werte wie „1.234“ als Tausender gelesen (1234, deutsche Schreibweise mit "
                "Tausenderpunkt). Falls Dezimalpunkte gemeint sind, bitte Dezimalkomma "
                "verwenden (1,234).",
                None,
                c,
            )
        is_pct = any(p[2] for p in parsed) or "%" in c or "prozent" in key
        units[c] = "%" if is_pct else ""
        if population is None and _POPULATION_RE.fullmatch(key):
            population = c
            units[c] = units[c] or "Personen"
            if np.nanmin(arr, initial=0.0) < 0:
                problem(
                    "Einwohnerzahlen dürfen nicht negativ sein; negative Werte werden "
                    "nicht verwendet.",
                    None,
                    c,
                )
                arr = np.where(arr < 0, np.nan, arr)
        if is_pct and ((arr < 0) | (arr > 100)).any():
            warn(
                "Prozentwerte außerhalb von 0–100 gefunden; bitte prüfen, ob die Spalte "
                "wirklich Prozent enthält.",
                None,
                c,
            )
        values[c] = arr
        labels[c] = c
    if ignored:
        warn(
            "Spalten nicht als Indikator übernommen (Schlüssel oder Beschreibung): "
            + ", ".join(f"„{short(c)}“" for c in ignored)
            + "."
        )
    if not values:
        raise InputError(
            f"{name}: Keine Indikatorspalte mit Zahlen gefunden. Erwartet wird "
            "neben der Schlüsselspalte mindestens eine Spalte mit Zahlen, z. B. "
            "„SGB II-Quote“ mit Werten wie 12,5.",
            problems + warnings,
        )

    missing = {a: str(n) for a, n in region["name"].items() if a not in first}
    if missing:
        listed = ", ".join(f"{short(n, 30)} ({a})" for a, n in list(missing.items())[:10])
        more = f" und {len(missing) - 10} weitere" if len(missing) > 10 else ""
        warn(
            f"{len(missing)} von {len(region)} Gemeinden der Region fehlen in der Datei: "
            f"{listed}{more}. Sie haben keinen Indikatorwert (Bedarfsgewicht 1,0)."
        )
    out = pd.DataFrame(values, index=pd.Index(kept_ags, name="ags", dtype="str"))
    return IndicatorTable(
        out, problems, warnings, labels, units, population, missing, name, None, len(region)
    )


def _parse_number_cell(value: object) -> tuple[str, float, bool]:
    """parse_value for a cell that is already numeric."""
    if value is None or value is pd.NA:
        return "empty", math.nan, False
    v = float(value)  # numeric dtype: never fails
    if math.isnan(v):
        return "empty", math.nan, False
    if not math.isfinite(v):
        return "nonfinite", math.nan, False
    return "ok", v, False


def import_indicators(
    source: SourceLike, gemeinden: pd.DataFrame, filename: str | None = None
) -> IndicatorTable:
    """Read and validate an indicator table for a region.

    Nothing is stored: call :func:`save_indicators` with the result. A failed
    import (an :class:`InputError`) therefore leaves any saved table unchanged.

    Parameters
    ----------
    source : path, bytes or binary file-like
        CSV or XLSX (see :func:`read_indicators`).
    gemeinden : DataFrame or GeoDataFrame
        The region's Gemeinden (``ags``, ``name``, optionally ``pop``).
    filename : str, optional
        Name of an upload given as bytes.

    Returns
    -------
    IndicatorTable

    Raises
    ------
    InputError
        File-level problems (see :func:`read_indicators` and
        :func:`validate_indicators`), always with a German message.
    """
    raw = read_indicators(source, filename)
    table = validate_indicators(raw, gemeinden)
    table.imported_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return table


# ---------------------------------------------------------------------------
# Use: need weights and choropleth
# ---------------------------------------------------------------------------
class NeedWeights(dict):
    """Need weight per AGS (``dict`` ags → float), with its formula and notes.

    Attributes
    ----------
    indicator, label, unit : str
        The indicator column, its label and unit.
    method : str
        Key of :data:`METHODS`.
    reference : float
        The region mean the values are divided by.
    weighting : dict
        How the mean was weighted: ``{"by": code}`` with a code of
        :data:`WEIGHTINGS` and, for ``file``/``column``, the ``column``.
    notes : list of dict
        Codes with their numbers (``nw_missing``, ``nw_no_pop``, ``nw_zero``,
        ``nw_source``); ``present.describe.need_notes`` puts them in words.
    missing : list of str
        AGS of Gemeinden without a value (weight 1.0).
    """

    indicator: str = ""
    label: str = ""
    unit: str = ""
    method: str = "relative"
    reference: float = math.nan

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.weighting: dict[str, str] = {"by": "unweighted"}
        self.notes: list[dict[str, Any]] = []
        self.missing: list[str] = []

    def info(self) -> dict[str, Any]:
        """What a result keeps of the weighting (``metadata["need_weighting"]``, no weights)."""
        return {
            "indicator": self.indicator,
            "label": self.label,
            "unit": self.unit,
            "method": self.method,
            "reference": self.reference,
            "weighting": dict(self.weighting),
        }


#: How the region mean of a need weight is weighted (codes of ``NeedWeights.weighting``).
WEIGHTINGS: tuple[str, ...] = ("unweighted", "mapping", "file", "region", "column")


def _resolve_indicator(table: IndicatorTable, indicator: str) -> str:
    cols = [str(c) for c in table.values.columns]
    if indicator in cols:
        return indicator
    key = header_key(indicator)
    for c in cols:
        if key and key in (header_key(c), header_key(table.labels.get(c, c))):
            return c
    raise InputError(
        f"Indikator „{short(indicator)}“ ist nicht in der Tabelle "
        f"{table.file or ''}; vorhanden: {', '.join(cols) or 'keine'}."
    )


def _aligned(table: IndicatorTable, column: str, ags: Sequence[str]) -> np.ndarray:
    s = table.values[column]
    s = s[~s.index.duplicated()]
    return s.reindex(pd.Index(ags, dtype="str")).to_numpy(dtype=float)


def choropleth_values(table: IndicatorTable, indicator: str, gemeinden: pd.DataFrame) -> pd.Series:
    """Indicator values aligned to the rows of ``gemeinden`` (for a Gemeinde map).

    Returns
    -------
    Series
        Same index as ``gemeinden``, float, NaN where the file has no value.
        ``attrs``: ``label``, ``unit``, ``source`` (file name), ``imported_at``.
    """
    col = _resolve_indicator(table, indicator)
    region = _region_frame(gemeinden)
    s = pd.Series(
        _aligned(table, col, list(region.index)), index=gemeinden.index, name=col, dtype=float
    )
    s.attrs.update(
        label=table.labels.get(col, col),
        unit=table.units.get(col, ""),
        source=table.file,
        imported_at=table.imported_at,
    )
    return s


def need_weights(
    table: IndicatorTable,
    indicator: str,
    gemeinden: pd.DataFrame,
    method: str = "relative",
    population: str | Mapping[str, float] | None = "auto",
) -> NeedWeights:
    """Need weight per Gemeinde from an indicator.

    ``relative``: ``w_g = x_g / x̄``, where ``x̄`` is the region mean of the
    indicator, weighted by population ``p_g``: ``x̄ = Σ p_g·x_g / Σ p_g`` over
    the Gemeinden with a value (and a population > 0). A Gemeinde at the region
    mean gets 1, one with twice the SGB-II-Quote 2, one with 0 gets 0.
    Gemeinden without a value (missing in the file, suppressed or invalid)
    get 1.0, with a note.

    Parameters
    ----------
    table : IndicatorTable
    indicator : str
        Column (or label) of the indicator.
    gemeinden : DataFrame
        The region's Gemeinden (``ags``, optionally ``name``, ``pop``).
    method : str
        Key of :data:`METHODS`.
    population : "auto", str, mapping or None
        Weights of the region mean. ``"auto"``: the file's population column,
        else ``gemeinden["pop"]``, else unweighted. A column name of the table
        or of ``gemeinden``, or a mapping ags → inhabitants. ``None``:
        unweighted mean.

    Returns
    -------
    NeedWeights
        ``dict`` ags → weight for every Gemeinde of ``gemeinden``, with
        ``reference``, ``weighting``, ``notes`` (codes) and ``missing``.

    Raises
    ------
    InputError
        Unknown indicator or method, negative values, or no usable value.
    """
    if method not in METHODS:
        raise InputError(
            f"Unbekannte Gewichtungsmethode „{short(method)}“ (möglich: {', '.join(METHODS)})."
        )
    col = _resolve_indicator(table, indicator)
    label = table.labels.get(col, col)
    region = _region_frame(gemeinden)
    ags = list(region.index)
    x = _aligned(table, col, ags)
    if (x[np.isfinite(x)] < 0).any():
        raise InputError(
            f"Indikator „{short(label)}“ hat negative Werte und taugt nicht als "
            "Bedarfsgewicht; erwartet Quoten oder Anzahlen ≥ 0."
        )
    p, weighting = _population(table, population, region, ags)
    has = np.isfinite(x)
    use = has & np.isfinite(p) & (p > 0)
    if not use.any():
        raise InputError(
            f"Indikator „{short(label)}“ hat für keine Gemeinde der Region einen "
            "Wert (mit Einwohnerzahl); ein Bedarfsgewicht ist nicht bestimmbar."
        )
    reference = float(np.sum(p[use] * x[use]) / np.sum(p[use]))
    if not reference > 0:
        raise InputError(
            f"Der Mittelwert von „{short(label)}“ in der Region ist 0; ein "
            "relatives Bedarfsgewicht ist nicht bestimmbar."
        )
    w = np.where(has, x / reference, 1.0)
    out = NeedWeights({a: float(v) for a, v in zip(ags, w, strict=True)})
    out.indicator, out.label, out.unit = col, label, table.units.get(col, "")
    out.method, out.reference, out.weighting = method, reference, weighting
    names = region["name"]
    out.missing = [a for a, h in zip(ags, has, strict=True) if not h]
    if out.missing:
        out.notes.append(
            {
                "code": "nw_missing",
                "n": len(out.missing),
                "names": [short(names[a], 30) for a in out.missing[:10]],
                "more": max(len(out.missing) - 10, 0),
            }
        )
    no_pop = has & ~use
    if weighting["by"] != "unweighted" and no_pop.any():
        out.notes.append({"code": "nw_no_pop", "n": int(no_pop.sum())})
    zero = has & (x == 0)
    if zero.any():
        out.notes.append({"code": "nw_zero", "n": int(zero.sum())})
    if table.file:
        out.notes.append(
            {"code": "nw_source", "file": table.file, "imported_at": table.imported_at or ""}
        )
    return out


def _population(
    table: IndicatorTable,
    population: str | Mapping[str, float] | None,
    region: pd.DataFrame,
    ags: list[str],
) -> tuple[np.ndarray, dict[str, str]]:
    ones = np.ones(len(ags))
    if population is None:
        return ones, {"by": "unweighted"}
    if isinstance(population, Mapping):
        lookup = {_norm_ags(k) or str(k): v for k, v in population.items()}
        p = pd.to_numeric(
            pd.Series([lookup.get(a) for a in ags], dtype=object), errors="coerce"
        ).to_numpy(dtype=float)
        return p, {"by": "mapping"}
    if population == "auto":
        if table.population is not None:
            column = table.labels.get(table.population, table.population)
            return _aligned(table, table.population, ags), {"by": "file", "column": column}
        if region["pop"].notna().any():
            return region["pop"].to_numpy(dtype=float), {"by": "region"}
        return ones, {"by": "unweighted"}
    if population in table.values.columns:
        return _aligned(table, population, ags), {"by": "column", "column": str(population)}
    if population == "pop" and region["pop"].notna().any():
        return region["pop"].to_numpy(dtype=float), {"by": "region"}
    raise InputError(f"Einwohnerspalte „{short(population)}“ nicht gefunden.")


def cell_weights(cells_ags: Any, weights: Mapping[Any, float], default: float = 1.0) -> np.ndarray:
    """Weight of each cell from its Gemeinde's weight (for per-cell multiplication).

    Parameters
    ----------
    cells_ags : array-like
        AGS per cell (strings or integers; normalised like the file keys).
    weights : mapping
        AGS → weight, e.g. :func:`need_weights`.
    default : float
        Weight of cells whose AGS is missing, unknown or has no finite weight.

    Returns
    -------
    ndarray of float, one weight per cell.
    """
    arr = (
        cells_ags.to_numpy(dtype=object)
        if isinstance(cells_ags, pd.Series | pd.Index)
        else np.asarray(cells_ags, dtype=object).ravel()
    )
    if arr.size == 0:
        return np.zeros(0, dtype=float)
    lookup: dict[str, float] = {}
    for k, v in weights.items():
        a = _norm_ags(k)
        try:
            fv = float(v)
        except (TypeError, ValueError):
            continue
        if a is not None and math.isfinite(fv):
            lookup[a] = fv
    codes, uniques = pd.factorize(pd.Series(arr, dtype=object), use_na_sentinel=True)
    uw = np.array([lookup.get(_norm_ags(u) or "", default) for u in uniques], dtype=float)
    out = np.full(arr.size, float(default))
    has = codes >= 0
    out[has] = uw[codes[has]]
    return out


# ---------------------------------------------------------------------------
# Persistence
# ---------------------------------------------------------------------------
def save_indicators(table: IndicatorTable, folder: str | os.PathLike) -> Path:
    """Store an indicator table in ``folder`` (parquet + JSON metadata), atomically.

    The values go to ``indicators-<hash>.parquet`` (written atomically), then
    ``indicators.json`` (source file name, import time, columns, labels,
    units, problems, warnings) is replaced atomically and points to it. A
    reader sees the old table or the new one, never a mix; a failed save
    leaves the previous table in place. Old data files are removed.

    Returns
    -------
    Path
        The metadata file.
    """
    folder = Path(folder)
    values = table.values.copy()
    values.columns = [str(c) for c in values.columns]
    values = values.astype(float)
    values.index = pd.Index([str(a) for a in values.index], name="ags", dtype="str")
    buf = io.BytesIO()
    values.to_parquet(buf, index=True)
    data = buf.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    data_name = f"{DATA_PREFIX}{digest[:16]}.parquet"
    write_bytes_atomic(folder / data_name, data)
    meta = {
        "format": FORMAT_VERSION,
        "kind": "nahraum-indicators",
        "file": _safe_name(table.file) if table.file else None,
        "imported_at": table.imported_at,
        "saved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "data": data_name,
        "sha256": digest,
        "columns": [
            {"name": c, "label": table.labels.get(c, c), "unit": table.units.get(c, "")}
            for c in values.columns
        ],
        "population": table.population,
        "n_gemeinden": int(table.n_gemeinden),
        "missing": dict(table.missing),
        "problems": [p.to_dict() for p in table.problems],
        "warnings": [p.to_dict() for p in table.warnings],
    }
    meta_path = folder / META_FILE
    write_json_atomic(meta_path, meta)
    _cleanup(folder, data_name)
    return meta_path


def _cleanup(folder: Path, keep: str) -> None:
    """Remove unreferenced data files older than a minute (another writer may be saving)."""
    current = None
    with contextlib.suppress(OSError, ValueError, AttributeError):
        current = json.loads((folder / META_FILE).read_text("utf-8")).get("data")
    now = time.time()
    for p in folder.glob(f"{DATA_PREFIX}*.parquet"):
        if p.name in (keep, current):
            continue
        try:
            if now - p.stat().st_mtime > _CLEANUP_AGE_S:
                p.unlink()
        except OSError:
            pass


def _damaged(folder: Path, why: str) -> CacheError:
    return CacheError(
        f"Die gespeicherte Indikatortabelle in {folder} ist beschädigt ({why}). "
        "Bitte die Indikatordatei erneut hochladen."
    )


def load_indicators(folder: str | os.PathLike) -> IndicatorTable | None:
    """Load the table stored by :func:`save_indicators`; None if there is none.

    Raises
    ------
    CacheError
        The stored files are damaged or inconsistent (German message).
    """
    folder = Path(folder)
    meta_path = folder / META_FILE
    if not meta_path.is_file():
        return None
    try:
        meta = json.loads(meta_path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise _damaged(folder, "Metadaten nicht lesbar") from exc
    if not isinstance(meta, dict) or meta.get("kind") != "nahraum-indicators":
        raise _damaged(folder, "keine Indikator-Metadaten")
    data_name = meta.get("data")
    if not isinstance(data_name, str) or not _DATA_NAME_RE.fullmatch(data_name):
        raise _damaged(folder, "Verweis auf die Datendatei ungültig")
    try:
        data = (folder / data_name).read_bytes()
    except OSError as exc:
        raise _damaged(folder, "Datendatei fehlt") from exc
    if hashlib.sha256(data).hexdigest() != meta.get("sha256"):
        raise _damaged(folder, "Prüfsumme stimmt nicht")
    try:
        values = pd.read_parquet(io.BytesIO(data))
        columns = meta["columns"]
        labels = {str(c["name"]): str(c["label"]) for c in columns}
        units = {str(c["name"]): str(c["unit"]) for c in columns}
        problems = [Problem(**p) for p in meta.get("problems", [])]
        warnings = [Problem(**p) for p in meta.get("warnings", [])]
    except Exception as exc:  # pyarrow and malformed metadata raise many types
        raise _damaged(folder, "Inhalt nicht lesbar") from exc
    values.index = pd.Index([str(a) for a in values.index], name="ags", dtype="str")
    return IndicatorTable(
        values.astype(float),
        problems,
        warnings,
        labels,
        units,
        meta.get("population"),
        dict(meta.get("missing") or {}),
        meta.get("file"),
        meta.get("imported_at"),
        int(meta.get("n_gemeinden") or 0),
    )


__all__ = [
    "METHODS",
    "IndicatorTable",
    "NeedWeights",
    "read_indicators",
    "validate_indicators",
    "import_indicators",
    "need_weights",
    "cell_weights",
    "choropleth_values",
    "save_indicators",
    "load_indicators",
    "normalize_key",
    "parse_value",
]
