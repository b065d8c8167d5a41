"""Service inventory (Bestand): import, taxonomy, validation and export.

Planners keep their service lists in Excel, CSV or a GIS. This module reads
them (CSV in UTF-8/Windows-1252 with comma or semicolon, XLSX, GeoJSON,
GeoPackage, all through :mod:`geo._tables`), maps German column headers to the
schema in ``docs/services_schema.md``, resolves each row's category from its
subcategory, validates rows against the region and writes the inventory back
in any of these formats. A bad row never costs the good ones: it is listed
with row, column and what was expected, and the rest is imported.

Typical use::

    result = import_services(path, gemeinden, outline, data_dir)
    result.services      # GeoDataFrame, EPSG:3035, with precision/geocode_note
    result.summary()     # {"imported": 62, "by_precision": {...}, "errors": [...]}
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import _crs, _tables, geocode, settings
from ._errors import InputError, Problem
from ._io import atomic_path, write_bytes_atomic
from ._tables import column_texts, short
from ._text import de_decimal, de_number

DEFAULT_SERVICES_FILE = "th/services/services_kyf_soem.csv"

SCHEMA_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "category",
    "subcategory",
    "provider",
    "street",
    "postcode",
    "town",
    "ortsteil",
    "lat",
    "lon",
    "capacity",
    "opening_hours",
    "outreach_days",
    "target_groups",
    "source",
    "status",
)
NUMERIC_COLUMNS: tuple[str, ...] = ("lat", "lon", "capacity")
DERIVED_COLUMNS: tuple[str, ...] = ("category_source", "precision", "geocode_note")
EXPORT_SUFFIXES: tuple[str, ...] = (".csv", ".xlsx", ".geojson", ".json", ".gpkg")

# Accepted headers per schema column (matched case-, umlaut- and punctuation-insensitively).
_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("nr", "nummer", "kennung", "angebots-id", "angebotsnummer", "lfd. nr.", "schlüssel"),
    "name": (
        "bezeichnung",
        "angebot",
        "einrichtung",
        "name des angebots",
        "titel",
        "title",
        "name der einrichtung",
        "einrichtungsname",
        "bezeichnung der einrichtung",
        "bezeichnung des angebots",
        "angebotsname",
    ),
    "category": ("kategorie", "hauptkategorie", "bereich", "handlungsfeld"),
    "subcategory": ("unterkategorie", "angebotsart", "art", "art des angebots", "typ", "type"),
    "provider": (
        "träger",
        "anbieter",
        "trägerschaft",
        "betreiber",
        "träger der einrichtung",
        "trägername",
        "name des trägers",
    ),
    "street": (
        "straße",
        "str.",
        "straße und hausnummer",
        "adresse",
        "anschrift",
        "address",
        "straße, hausnummer",
        "straße/hausnummer",
        "straße und hausnr.",
        "straße, hausnr.",
        "str. und hausnr.",
        "straße u. hausnummer",
    ),
    "postcode": ("plz", "postleitzahl", "zip", "postal code", "postal_code", "zip code"),
    "town": ("ort", "stadt", "gemeinde", "city", "place", "wohnort"),
    "ortsteil": ("ot", "stadtteil", "ortsteil/stadtteil", "district_part"),
    "lat": ("latitude", "breite", "breitengrad", "geogr. breite", "y_wgs84"),
    "lon": ("lng", "long", "longitude", "länge", "längengrad", "geogr. länge", "x_wgs84"),
    "capacity": ("kapazität", "plätze", "platzzahl", "anzahl plätze"),
    "opening_hours": ("öffnungszeiten", "sprechzeiten", "öffnungszeit", "opening hours"),
    "outreach_days": ("außensprechtage", "außensprechtag", "sprechtage vor ort", "outreach"),
    "target_groups": ("zielgruppen", "zielgruppe", "target group", "target groups"),
    "source": ("quelle", "quellen", "url"),
    "status": ("stand", "zustand"),
    # Pseudo columns, split or merged into schema columns while reading:
    "_postcode_town": (
        "plz ort",
        "plz/ort",
        "plz und ort",
        "plz, ort",
        "postleitzahl und ort",
        "postleitzahl, ort",
        "plz u. ort",
    ),
    "_housenumber": ("hausnummer", "hausnr.", "hausnr", "hnr."),
}


HEADER_ALIASES: dict[str, str] = {
    _tables.header_key(alias): col for col, aliases in _ALIASES.items() for alias in (col, *aliases)
}


# ---------------------------------------------------------------------------
# Reading (the file formats are read by geo._tables)
# ---------------------------------------------------------------------------
def _normalise_postcode_text(value: str) -> str:
    """Restore the leading zero of a 4-digit postcode; other text stays as written.

    Unlike :func:`geo.geocode.normalize_postcode` (which extracts a postcode for the
    lookup, or ``""``), the table keeps what the planner wrote.
    """
    m = re.fullmatch(r"(\d{4,5})(?:\.0+)?", value)
    return m.group(1).zfill(5) if m else value


def header_score(cells) -> int:
    """Number of distinct schema columns a candidate header row names (header search)."""
    return len(
        {HEADER_ALIASES[k] for k in (_tables.header_key(c) for c in cells) if k in HEADER_ALIASES}
    )


def _canonical_columns(header: list[str]) -> list[str]:
    columns: list[str] = []
    used: set[str] = set()
    for i, h in enumerate(header):
        label = h or f"Spalte {i + 1}"
        canon = HEADER_ALIASES.get(_tables.header_key(label))
        if canon and canon not in used:
            label = canon
        columns.append(_tables.unique_label(label, used))
    return columns


def _ranges(rows: list[int]) -> str:
    """``"3, 7–9"`` for rows 3, 7, 8, 9."""
    parts, i = [], 0
    while i < len(rows):
        j = i
        while j + 1 < len(rows) and rows[j + 1] == rows[j] + 1:
            j += 1
        parts.append(str(rows[i]) if i == j else f"{rows[i]}–{rows[j]}")
        i = j + 1
    return ", ".join(parts)


_PLZ_ORT_RE = re.compile(r"^\s*(?:D-)?(\d{4,5})\s*,?\s+(\S.*)$")
_ADDRESS_RE = re.compile(r"^(.*?\S)\s*[,;]?\s+(?:D-)?(\d{5})\s+(\D\S.*)$")


def _note(
    notes: list[Problem], name: str, message: str, row: int | None = None, column: str | None = None
) -> None:
    notes.append(Problem(message, row, column, name))


def _build_frame(table: _tables.Table, name: str) -> pd.DataFrame:
    """Canonicalise headers, tidy cells and return the raw string table.

    Skipped and repaired rows are listed in ``attrs["notes"]`` (Problem per row).
    """
    rows, latlon = table.rows, table.latlon
    if len(rows) > _tables.MAX_ROWS:
        raise InputError(f"{name}: Mehr als {_tables.MAX_ROWS} Zeilen; bitte aufteilen.")
    notes: list[Problem] = list(table.notes)
    header = []
    for h in table.header:
        text, _ = _tables.clean_text(_tables.undefuse(str(h).strip().lstrip("\ufeff")))
        header.append(text)
    width = len(header)
    columns = _canonical_columns(header)

    data: dict[str, list[str]] = {c: [] for c in columns}
    problems: list[str] = []
    index: list[int] = []
    coords: list[tuple[str, str]] = []
    blank: list[int] = []
    has_geom = (lambda r: bool(latlon[r - 1][0])) if latlon else None
    last = 0
    for r, cells, extra, n_fields in _tables.data_rows(rows, width, keep=has_geom):
        blank.extend(range(last + 1, r))
        last = r
        cleaned = [_tables.clean_text(c) for c in cells]
        cells = [c for c, _ in cleaned]
        if not any(cells) and not extra and not (has_geom and has_geom(r)):
            _note(notes, name, "Zeile enthält nur Steuerzeichen; übersprungen.", r)
            continue
        if _tables.is_total_row(cells):
            _note(
                notes,
                name,
                f"Summenzeile („{short(next(c for c in cells if c))}“) übersprungen.",
                r,
            )
            continue
        if any(rep for _, rep in cleaned):
            cols = [c for c, (_, rep) in zip(columns, cleaned, strict=True) if rep]
            _note(
                notes,
                name,
                "Steuerzeichen (z. B. NUL) entfernt in " + ", ".join(f"„{c}“" for c in cols) + ".",
                r,
                cols[0],
            )
        index.append(r)
        for c, v in zip(columns, cells, strict=True):
            data[c].append(v)
        problems.append(_tables.extra_fields_message(n_fields, width, extra) if extra else "")
        if latlon:
            coords.append(latlon[r - 1])
    if blank:
        _note(notes, name, f"Leere Zeile(n) übersprungen: {_ranges(blank)}.")

    df = pd.DataFrame(data, index=pd.Index(index, name="row"), dtype="str")
    # Columns without a header and without values are dropped.
    df = df[[c for c, h in zip(columns, header, strict=True) if h or df[c].str.len().gt(0).any()]]
    if latlon and any(a for a, _ in coords):
        lat = [a for a, _ in coords]
        lon = [b for _, b in coords]
        has = np.array([bool(a) for a in lat])
        for col, vals in (("lat", lat), ("lon", lon)):
            if col not in df.columns:
                df[col] = ""
            df.loc[has, col] = np.array(vals, dtype=object)[has]
    if any(problems):
        df["_problem"] = problems
    _split_address_columns(df, name, notes)
    _require_columns(df.columns, name)
    if "postcode" in df.columns:
        df["postcode"] = df["postcode"].map(_normalise_postcode_text)
    for col in SCHEMA_COLUMNS:
        if col not in df.columns:
            df[col] = ""
    _limit_names(df, name, notes)
    _fill_ids(df, name, notes)
    order = list(SCHEMA_COLUMNS) + [c for c in df.columns if c not in SCHEMA_COLUMNS]
    df = df[order].astype("str").replace("", np.nan)
    df.attrs["notes"] = notes
    return df


def _split_address_columns(df: pd.DataFrame, name: str, notes: list[Problem]) -> None:
    """ "PLZ Ort" into postcode + town, a house-number column into street, and a full
    address ("Markt 1, 99706 Sondershausen") in the street column into its parts."""
    rows = _tables.row_numbers(df)
    if "_housenumber" in df.columns:
        if "street" not in df.columns:
            df["street"] = ""
        street = df["street"].to_numpy(dtype=object)
        num = df["_housenumber"].to_numpy(dtype=object)
        df["street"] = [
            f"{s} {h}".strip() if h and not str(s).endswith(str(h)) else s
            for s, h in zip(street, num, strict=True)
        ]
        del df["_housenumber"]
    if "_postcode_town" in df.columns:
        for col in ("postcode", "town"):
            if col not in df.columns:
                df[col] = ""
        pc, town = df["postcode"].tolist(), df["town"].tolist()
        for i, text in enumerate(df["_postcode_town"].tolist()):
            if not text:
                continue
            m = _PLZ_ORT_RE.match(text)
            p_new, t_new = (m.group(1), m.group(2).strip()) if m else ("", text)
            pc[i] = pc[i] or p_new
            town[i] = town[i] or t_new
        df["postcode"], df["town"] = pc, town
        del df["_postcode_town"]
        _note(notes, name, "Spalte „PLZ Ort“ in Postleitzahl (postcode) und Ort (town) aufgeteilt.")
    if "street" in df.columns and df["street"].str.match(_ADDRESS_RE).any():
        for col in ("postcode", "town"):
            if col not in df.columns:
                df[col] = ""
        street, pc, town = df["street"].tolist(), df["postcode"].tolist(), df["town"].tolist()
        for i, text in enumerate(street):
            m = _ADDRESS_RE.match(text) if text else None
            if m is None or (pc[i] and town[i]):
                continue
            street[i] = m.group(1).rstrip(",; ")
            pc[i] = pc[i] or m.group(2)
            town[i] = town[i] or m.group(3).strip()
            _note(
                notes,
                name,
                f"Anschrift „{short(text)}“ in Straße, PLZ und Ort aufgeteilt.",
                rows[i],
                "street",
            )
        df["street"], df["postcode"], df["town"] = street, pc, town


def _limit_names(df: pd.DataFrame, name: str, notes: list[Problem]) -> None:
    """Cut names longer than ``settings.MAX_NAME_CHARS`` (with a note per row)."""
    limit = settings.MAX_NAME_CHARS
    names = df["name"].tolist()
    rows = _tables.row_numbers(df)
    for i, text in enumerate(names):
        if len(text) > limit:
            names[i] = text[: limit - 1].rstrip() + "…"
            _note(
                notes, name, f"Name hat {len(text)} Zeichen; auf {limit} gekürzt.", rows[i], "name"
            )
    df["name"] = names


def _id_key(text: str) -> str:
    return _tables.header_key(text)


def service_id(name: str, street: str = "", postcode: str = "", town: str = "") -> str:
    """A stable id from name and address: ``"a-"`` + 8 hex digits of a hash.

    Case, umlaut spelling, blanks and punctuation do not change it, so the same
    service gets the same id in every re-import of a list without ids.
    """
    import hashlib

    key = "|".join(
        _id_key(t) for t in (name, street, _normalise_postcode_text(postcode.strip()), town)
    )
    return "a-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:8]


def _fill_ids(df: pd.DataFrame, name: str, notes: list[Problem]) -> None:
    """Generate stable ids where the file has none (whole column or single rows)."""
    ids = df["id"].tolist()
    missing = [i for i, v in enumerate(ids) if not v]
    if not missing:
        return
    texts = {c: df[c].tolist() for c in ("name", "street", "postcode", "town")}
    taken = {v for v in ids if v}
    rows = _tables.row_numbers(df)
    whole = len(missing) == len(ids)
    for i in missing:
        if not texts["name"][i]:
            continue  # no name: the row is rejected by the validation anyway
        base = service_id(
            texts["name"][i], texts["street"][i], texts["postcode"][i], texts["town"][i]
        )
        ident, k = base, 2
        while ident in taken:
            ident, k = f"{base}-{k}", k + 1
        taken.add(ident)
        ids[i] = ident
        if not whole:
            _note(
                notes,
                name,
                f"Kennung fehlt; „{ident}“ aus Name und Anschrift erzeugt.",
                rows[i],
                "id",
            )
    df["id"] = ids
    if whole:
        _note(
            notes,
            name,
            "Die Datei hat keine Kennungsspalte (id); Kennungen aus Name und "
            "Anschrift erzeugt (gleich bei erneutem Import).",
            column="id",
        )


def _missing_columns(columns) -> list[Problem]:
    cols = set(columns)
    out: list[Problem] = []
    if "name" not in cols:
        out.append(
            Problem(
                f"Pflichtspalte „name“ (Name) fehlt. Erlaubte Überschriften "
                f"z. B.: {', '.join(('name', *_ALIASES['name'][:3]))}.",
                column="name",
            )
        )
    if not cols & {"category", "subcategory"}:
        out.append(
            Problem(
                "Spalte „category“ (Kategorie) oder „subcategory“ (Unterkategorie) "
                "fehlt; eine von beiden ist Pflicht.",
                column="category",
            )
        )
    if not ({"lat", "lon"} <= cols or cols & {"town", "postcode"}):
        out.append(
            Problem(
                "Keine Ortsangabe: erwartet werden die Spalten „lat“ und „lon“ "
                "(Breite/Länge) oder „town“ (Ort) oder „postcode“ (PLZ).",
                column="town",
            )
        )
    return out


def _require_columns(columns, name: str) -> None:
    missing = _missing_columns(columns)
    if missing:
        for p in missing:
            p.file = name
        raise InputError(f"{name}: Pflichtspalten fehlen (Kopfzeile nicht erkannt?).", missing)


def read_services(
    path_or_bytes: str | os.PathLike | bytes | IO[bytes],
    filename: str | None = None,
    layer: str | None = None,
) -> pd.DataFrame:
    """Read a service list into a raw, schema-normalised string table.

    Parameters
    ----------
    path_or_bytes : path, bytes or binary file-like
        CSV/text (UTF-8 with/without BOM, Windows-1252 or UTF-16 as Excel's
        "Unicode-Text"; comma, semicolon or tab), XLSX, GeoJSON or GeoPackage.
        Point geometry gives ``lat``/``lon``. The header may stand below title
        rows (the first ``settings.HEADER_SEARCH_ROWS`` rows are searched);
        merged XLSX cells are unmerged.
    filename : str, optional
        Name used in messages and for the format (by suffix); needed for
        uploads given as bytes.
    layer : str, optional
        Sheet (XLSX) or layer (GeoPackage) to read. Without it the only one
        with a service table is read; with several the InputError lists them.

    Returns
    -------
    DataFrame
        All schema columns first (missing ones empty), then unknown columns in
        file order. All values are strings or missing; formulas are kept as
        text. The index (named ``row``) is the 1-based data row below the
        header; blank and sum rows are skipped. A ``_problem`` column carries
        row-level parsing problems (e.g. too many fields) for
        :func:`validate_services`. ``attrs["notes"]`` lists every skipped or
        repaired row and file-level notes (title rows, generated ids, …).

    Raises
    ------
    InputError
        File too big, unreadable, wrong encoding, no data or required columns
        missing (German message).
    """
    data, name = _tables.read_source(path_or_bytes, filename)
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise InputError(f"{name}: Die Datei ist leer.")
    table = _tables.read_table(data, name, header_score, layer)
    if not table.rows:
        raise InputError(f"{name}: Keine Datenzeilen unter der Kopfzeile gefunden.")
    df = _build_frame(table, name)
    if df.empty:
        raise InputError(f"{name}: Keine Datenzeilen unter der Kopfzeile gefunden.")
    df.attrs["source_file"] = name
    df.attrs["layer"] = table.layer
    return df


# ---------------------------------------------------------------------------
# Taxonomy
# ---------------------------------------------------------------------------
def category_from_subcategory(subcategory: object) -> str | None:
    """Category of a subcategory by ``settings.SUBCATEGORY_RULES`` (first match)."""
    if subcategory is None or (isinstance(subcategory, float) and math.isnan(subcategory)):
        return None
    text = unicodedata.normalize("NFC", str(subcategory)).lower()
    for keyword, category in settings.SUBCATEGORY_RULES:
        if keyword in text:
            return category
    return None


def match_category(value: object) -> str | None:
    """The ``settings.CATEGORIES`` code named by ``value`` (code or label, any case)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    key = _tables.header_key(str(value))
    for code, cat in settings.CATEGORIES.items():
        if key and key in {
            _tables.header_key(code),
            _tables.header_key(cat.label_de),
            _tables.header_key(cat.label_en),
        }:
            return code
    return None


def resolve_category(subcategory: object, category: object) -> str | None:
    """Resolve a row's category: subcategory rule, else a valid file category."""
    return category_from_subcategory(subcategory) or match_category(category)


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------
def _empty_result() -> gpd.GeoDataFrame:
    cols = list(SCHEMA_COLUMNS) + list(DERIVED_COLUMNS)
    return gpd.GeoDataFrame(
        {c: pd.Series(dtype="str") for c in cols},
        geometry=gpd.GeoSeries([], crs=settings.CRS_METRIC),
        crs=settings.CRS_METRIC,
    )


def validate_services(
    df: pd.DataFrame,
    gemeinden_gdf_3035: gpd.GeoDataFrame | None,
    region_outline_3035: shapely.Geometry | None,
    buffer_m: float = settings.REGION_BUFFER_M,
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Check every row and return the clean services and the problems.

    Parameters
    ----------
    df : DataFrame or GeoDataFrame
        Raw table from :func:`read_services`, or its geocoded form from
        :func:`geo.geocode.geocode_services` (then its ``precision``,
        ``geocode_note`` and geometry are used).
    gemeinden_gdf_3035 : GeoDataFrame or None
        Region Gemeinden; their union is the outline if none is given.
    region_outline_3035 : shapely geometry or None
        Region outline in EPSG:3035. With neither outline nor Gemeinden the
        region check is skipped.
    buffer_m : float
        Located services may lie this far outside the outline.

    Returns
    -------
    (GeoDataFrame, list of Problem)
        Clean rows (EPSG:3035; schema columns with ``lat``/``lon``/``capacity``
        as floats, unknown columns, ``category_source``, ``precision``,
        ``geocode_note``; the index keeps the data row). Rows without a
        location are kept with ``precision == "not_found"`` and no geometry.
        Problems are errors only: each names row and column and the excluded
        row; file-level problems have ``row=None``.
    """
    if region_outline_3035 is None and gemeinden_gdf_3035 is not None and len(gemeinden_gdf_3035):
        region_outline_3035 = shapely.union_all(
            _crs.to_metric(gemeinden_gdf_3035).geometry.to_numpy()
        )
    missing = _missing_columns(df.columns)
    if missing:
        return _empty_result(), missing
    n = len(df)
    rows = _tables.row_numbers(df)
    errors: list[list[Problem]] = [[] for _ in range(n)]

    def err(i: int, column: str | None, message: str) -> None:
        errors[i].append(Problem(message, rows[i], column))

    for i, msg in enumerate(column_texts(df, "_problem")):
        if msg:
            err(i, None, msg)

    ids, names = column_texts(df, "id"), column_texts(df, "name")
    first_seen: dict[str, int] = {}
    for i, ident in enumerate(ids):
        if not ident:
            err(i, "id", "Kennung (id) fehlt; jede Zeile braucht eine eindeutige Kennung.")
        elif ident in first_seen:
            err(
                i,
                "id",
                f"Kennung „{short(ident)}“ ist doppelt: schon in Zeile "
                f"{rows[first_seen[ident]]} vergeben; Zeile {rows[i]} wird nicht "
                "übernommen. Bitte eindeutige Kennungen vergeben.",
            )
        else:
            first_seen[ident] = i
        if not names[i]:
            err(i, "name", "Name fehlt; erwartet wird die Bezeichnung des Angebots.")

    # Category
    subs, cats = column_texts(df, "subcategory"), column_texts(df, "category")
    allowed = ", ".join(settings.CATEGORIES)
    resolved: list[str | None] = []
    for i in range(n):
        cat = resolve_category(subs[i], cats[i])
        resolved.append(cat)
        if cat is None:
            if cats[i]:
                err(
                    i,
                    "category",
                    f"Kategorie „{short(cats[i])}“ unbekannt; erwartet eine von: "
                    f"{allowed} (oder eine zuordenbare Unterkategorie).",
                )
            elif subs[i]:
                err(
                    i,
                    "subcategory",
                    f"Unterkategorie „{short(subs[i])}“ lässt sich keiner "
                    f"Kategorie zuordnen und „category“ ist leer; erwartet: "
                    f"{allowed}.",
                )
            else:
                err(i, "category", f"Kategorie fehlt; erwartet eine von: {allowed}.")
    # The file's own category, where it differs from the resolved one. A re-imported
    # export carries it in "category_source" (its "category" is already resolved).
    category_source = []
    for c, prev, r in zip(cats, column_texts(df, "category_source"), resolved, strict=True):
        if c and match_category(c) != r:
            category_source.append(c)
        else:
            category_source.append(prev if prev and match_category(prev) != r else "")

    # Coordinates
    lat, lon, status = geocode.parse_coordinates(df)
    lat_txt, lon_txt = column_texts(df, "lat"), column_texts(df, "lon")
    for i, st in enumerate(status):
        if st == "half":
            col = "lon" if lat_txt[i] else "lat"
            err(
                i,
                col,
                (
                    "Länge (lon) fehlt, Breite (lat) ist angegeben"
                    if col == "lon"
                    else "Breite (lat) fehlt, Länge (lon) ist angegeben"
                )
                + "; erwartet beide oder keine.",
            )
        elif st == "unparsable_lat":
            err(
                i,
                "lat",
                f"Breite (lat) „{short(lat_txt[i])}“ ist keine Zahl; erwartet "
                "Dezimalgrad, z. B. 51,37 oder 51.37.",
            )
        elif st == "unparsable_lon":
            err(
                i,
                "lon",
                f"Länge (lon) „{short(lon_txt[i])}“ ist keine Zahl; erwartet "
                "Dezimalgrad, z. B. 10,87 oder 10.87.",
            )
        elif st == "nonfinite":
            err(
                i,
                "lat" if not math.isfinite(lat[i]) else "lon",
                "Koordinate ist keine endliche Zahl (NaN/unendlich); erwartet Dezimalgrad.",
            )
        elif st == "range":
            col = "lat" if abs(lat[i]) > 90 else "lon"
            swapped = abs(lon[i]) <= 90 and abs(lat[i]) <= 180 and col == "lat"
            err(
                i,
                col,
                ("Breite und Länge vertauscht? " if swapped else "")
                + f"Breite {lat_txt[i]} / Länge {lon_txt[i]} außerhalb des gültigen Bereichs "
                "(Breite −90…90, Länge −180…180); erwartet WGS84-Dezimalgrad, keine Meter.",
            )

    # Capacity
    cap = np.full(n, np.nan)
    for i, text in enumerate(column_texts(df, "capacity")):
        if not text:
            continue
        try:
            value = geocode.parse_number(text)
        except ValueError:
            value = None
        if value is None or not math.isfinite(value) or value < 0:
            err(
                i,
                "capacity",
                f"Kapazität „{short(text)}“ ist keine Zahl ≥ 0; erwartet z. B. "
                "12 oder 12,5 (leer lassen, wenn unbekannt).",
            )
        else:
            cap[i] = value

    # Location: from geocoding if done, else only the file's coordinates.
    if isinstance(df, gpd.GeoDataFrame) and "precision" in df.columns:
        geo_s = _crs.to_metric(df.geometry) if df.crs else df.geometry
        geoms = np.array(list(geo_s), dtype=object)
        precision = np.array(column_texts(df, "precision"), dtype=object)
        notes = np.array(column_texts(df, "geocode_note"), dtype=object)
    else:
        geoms = np.full(n, None, dtype=object)
        precision = np.full(n, "not_found", dtype=object)
        notes = np.full(
            n, "Nicht geokodiert: keine gültigen Koordinaten in der Datei.", dtype=object
        )
        ok = status == "ok"
        if ok.any():
            pts = gpd.GeoSeries(
                gpd.points_from_xy(lon[ok], lat[ok]), crs=settings.CRS_DISPLAY
            ).to_crs(settings.CRS_METRIC)
            geoms[ok] = np.array(list(pts), dtype=object)
            precision[ok] = "coordinates"
            notes[ok] = "Koordinaten aus der Datei"
    bad_prec = ~np.isin(precision, list(settings.PRECISIONS))
    precision[bad_prec] = "not_found"
    located = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    precision[~located] = "not_found"
    geoms[~located] = None

    if region_outline_3035 is not None and located.any():
        _check_region(
            df, geoms, located, precision, lat, lon, status, region_outline_3035, buffer_m, err
        )

    # Assemble the clean table
    keep = np.array([not e for e in errors], dtype=bool)
    problems = [p for e in errors for p in e]
    out = df.loc[
        keep,
        [
            c
            for c in df.columns
            if not str(c).startswith("_")
            and c not in DERIVED_COLUMNS
            and c != getattr(df, "_geometry_column_name", None)
        ],
    ].copy()
    out = pd.DataFrame(out)
    out["category"] = pd.Series(
        np.array(resolved, dtype=object)[keep], index=out.index, dtype="str"
    )
    # Coordinates: exact from the file, else the geocoded point (6 decimals ≈ 0.1 m).
    wgs = _crs.to_display(gpd.GeoSeries(list(geoms), crs=settings.CRS_METRIC))
    geo_lat = np.where(located, np.round(wgs.y.to_numpy(), 6), np.nan)
    geo_lon = np.where(located, np.round(wgs.x.to_numpy(), 6), np.nan)
    own = (status == "ok") & located
    out["lat"] = np.where(own, lat, geo_lat)[keep]
    out["lon"] = np.where(own, lon, geo_lon)[keep]
    out["capacity"] = cap[keep]
    out["category_source"] = pd.Series(
        np.array(category_source, dtype=object)[keep], index=out.index, dtype="str"
    ).replace("", np.nan)
    out["precision"] = pd.Series(precision[keep], index=out.index, dtype="str")
    out["geocode_note"] = pd.Series(notes[keep], index=out.index, dtype="str").replace("", np.nan)
    text_cols = [c for c in out.columns if c not in NUMERIC_COLUMNS]
    out[text_cols] = out[text_cols].astype("str")
    gdf = gpd.GeoDataFrame(
        out, geometry=gpd.GeoSeries(list(geoms[keep]), index=out.index, crs=settings.CRS_METRIC)
    )
    return gdf, problems


def _check_region(df, geoms, located, precision, lat, lon, status, outline, buffer_m, err) -> None:
    """Flag located rows farther than ``buffer_m`` from the region outline."""
    idx = np.flatnonzero(located)
    dist = shapely.distance(np.array(list(geoms[idx]), dtype=object), outline)
    towns = column_texts(df, "town")
    for i, d in zip(idx, dist, strict=True):
        if not d > buffer_m:
            continue
        km = de_number(d / 1000, 1)
        allowed = de_decimal(buffer_m / 1000, 6)
        if precision[i] == "coordinates" and status[i] == "ok":
            swapped = gpd.GeoSeries(
                gpd.points_from_xy([lat[i]], [lon[i]]), crs=settings.CRS_DISPLAY
            ).to_crs(settings.CRS_METRIC)
            sw_dist = shapely.distance(swapped.iloc[0], outline) if abs(lon[i]) <= 90 else math.inf
            if sw_dist <= buffer_m or (5 <= lat[i] <= 16 and 47 <= lon[i] <= 56):
                err(
                    i,
                    "lat",
                    f"Breite und Länge vertauscht? Breite {lat[i]:g} / Länge "
                    f"{lon[i]:g} liegt {km} km außerhalb der Region; in Thüringen ist "
                    "die Breite etwa 50–52 und die Länge etwa 10–12.",
                )
            else:
                err(
                    i,
                    "lat",
                    f"Koordinaten (Breite {lat[i]:g}, Länge {lon[i]:g}) liegen {km} km "
                    f"außerhalb der Region (erlaubt: {allowed} km Puffer). Bitte "
                    "Koordinaten prüfen.",
                )
        else:
            label = settings.PRECISIONS.get(str(precision[i]), ("",))[0]
            err(
                i,
                "town",
                f"Ort „{short(towns[i])}“ wurde gefunden ({label}), liegt aber {km} "
                f"km außerhalb der Region (erlaubt: {allowed} km Puffer).",
            )


# ---------------------------------------------------------------------------
# Import result
# ---------------------------------------------------------------------------
@dataclass
class ImportResult:
    """Services imported from one file, with the problems found.

    Attributes
    ----------
    services : GeoDataFrame
        Clean rows, EPSG:3035, with ``precision`` and ``geocode_note``.
        Rows with ``precision == "not_found"`` have no geometry; use
        :func:`located` before spatial analysis.
    problems : list of Problem
        Errors: rows listed here were not imported.
    file : str or None
        File name (for messages).
    notes : list of Problem
        Rows skipped (blank, sums) or repaired (control characters, long names,
        generated ids, split addresses) and file-level notes (title rows, sheet).
    layer : str or None
        The sheet or layer read.
    """

    services: gpd.GeoDataFrame
    problems: list[Problem] = field(default_factory=list)
    file: str | None = None
    notes: list[Problem] = field(default_factory=list)
    layer: str | None = None

    @property
    def not_found(self) -> list[Problem]:
        """Imported rows without a location, each with the German reason."""
        sv = self.services
        lost = sv[sv["precision"] == "not_found"]
        rows = _tables.row_numbers(sv)
        pos = {k: r for k, r in zip(sv.index, rows, strict=True)}
        return [
            Problem(
                f"{r['id']} „{r['name']}“ nicht verortet: {r['geocode_note']}",
                pos[k],
                "town",
                self.file,
            )
            for k, r in lost.iterrows()
        ]

    def summary(self) -> dict:
        """Counts for the user: imported rows, rows per precision, errors, not found."""
        counts = self.services["precision"].value_counts()
        return {
            "file": self.file,
            "imported": int(len(self.services)),
            "by_precision": {k: int(counts.get(k, 0)) for k in settings.PRECISIONS},
            "errors": [
                {"row": p.row, "column": p.column, "message": p.message} for p in self.problems
            ],
            "not_found": [
                {"row": p.row, "column": p.column, "message": p.message} for p in self.not_found
            ],
            "notes": [{"row": p.row, "column": p.column, "message": p.message} for p in self.notes],
            "layer": self.layer,
        }

    def report(self) -> pd.DataFrame:
        """The validation report row by row: Zeile, Spalte, Art, Meldung (German).

        Art is „Fehler“ (row not imported), „Hinweis“ (row skipped or repaired, or a
        note on the whole file) or „nicht verortet“ (imported without a location).
        """
        recs = [
            (p.row, p.column, kind, p.message)
            for kind, group in (
                ("Fehler", self.problems),
                ("Hinweis", self.notes),
                ("nicht verortet", self.not_found),
            )
            for p in group
        ]
        df = pd.DataFrame(recs, columns=["Zeile", "Spalte", "Art", "Meldung"])
        df["Zeile"] = df["Zeile"].astype("Int64")
        return df.sort_values("Zeile", kind="stable", na_position="first", ignore_index=True)


def located(services: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The services that have a location (drops ``not_found`` rows)."""
    mask = services.geometry.notna() & ~services.geometry.is_empty
    return services[mask & (services["precision"] != "not_found")]


def import_services(
    path: str | os.PathLike | bytes | IO[bytes] | None,
    gemeinden: gpd.GeoDataFrame,
    outline: shapely.Geometry | None,
    data_dir: str | os.PathLike | None = None,
    *,
    filename: str | None = None,
    places: gpd.GeoDataFrame | None = None,
    postcodes: pd.DataFrame | None = None,
    buffer_m: float = settings.REGION_BUFFER_M,
    layer: str | None = None,
) -> ImportResult:
    """Read, geocode and validate a service list for a region.

    Parameters
    ----------
    path : path, bytes, file-like or None
        The service list; ``None`` reads ``DEFAULT_SERVICES_FILE`` from the
        data directory.
    gemeinden : GeoDataFrame
        Region Gemeinden in EPSG:3035 (``ags``, ``name``, polygons).
    outline : shapely geometry or None
        Region outline in EPSG:3035.
    data_dir : path, optional
        Raw data directory (GeoNames files); default ``settings.data_dir()``.
    filename : str, optional
        Name of an upload given as bytes.
    places, postcodes : optional
        Preloaded :func:`geo.geocode.load_places` / ``load_postcodes`` tables.
    buffer_m : float
        Tolerance outside the outline.
    layer : str, optional
        Sheet (XLSX) or layer (GeoPackage) to read (see :func:`read_services`).

    Returns
    -------
    ImportResult

    Raises
    ------
    InputError
        For file-level problems (see :func:`read_services`).
    """
    if path is None:
        path = settings.data_dir(data_dir) / DEFAULT_SERVICES_FILE
    raw = read_services(path, filename, layer)
    name = raw.attrs.get("source_file")
    notes = list(raw.attrs.get("notes", []))
    if places is None:
        places = geocode.load_places(data_dir)
    if postcodes is None:
        postcodes = geocode.load_postcodes(data_dir)
    coded = geocode.geocode_services(raw, gemeinden, places, postcodes)
    services, problems = validate_services(coded, gemeinden, outline, buffer_m)
    for p in problems:
        p.file = name
    services.attrs["source_file"] = name
    services.attrs.pop("notes", None)
    return ImportResult(services, problems, name, notes, raw.attrs.get("layer"))


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------
def _export_table(gdf: pd.DataFrame) -> pd.DataFrame:
    """Columns for export: schema, unknown columns, derived; lat/lon filled."""
    geom_col = gdf.geometry.name if isinstance(gdf, gpd.GeoDataFrame) else None
    extras = [
        c
        for c in gdf.columns
        if c not in SCHEMA_COLUMNS
        and c not in DERIVED_COLUMNS
        and c != geom_col
        and not str(c).startswith("_")
    ]
    cols = list(SCHEMA_COLUMNS) + extras + [c for c in DERIVED_COLUMNS if c in gdf.columns]
    table = pd.DataFrame(index=gdf.index)
    for c in cols:
        table[c] = gdf[c] if c in gdf.columns else np.nan
    for c in NUMERIC_COLUMNS:
        if not pd.api.types.is_numeric_dtype(table[c]):
            table[c] = [_to_float(v) for v in table[c].tolist()]
        table[c] = table[c].astype(float)
    if geom_col and gdf.crs is not None:
        geo = gdf.geometry
        has = geo.notna().to_numpy() & ~geo.is_empty.to_numpy()
        fill = has & (table["lat"].isna().to_numpy() | table["lon"].isna().to_numpy())
        if fill.any():
            wgs = _crs.to_display(geo[fill])
            table.loc[fill, "lat"] = np.round(wgs.y.to_numpy(), 6)
            table.loc[fill, "lon"] = np.round(wgs.x.to_numpy(), 6)
    return table


def _to_float(value: object) -> float:
    try:
        return geocode.parse_number(value)
    except ValueError:
        return math.nan


def _text_cell(value: object) -> str:
    return "" if _tables.is_blank(value) else str(value)


def _number_text(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return _tables.cell_text(float(value))


def _csv_bytes(table: pd.DataFrame) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([_tables.defuse_formula(str(c)) for c in table.columns])
    for rec in table.itertuples(index=False, name=None):
        writer.writerow(
            [
                _number_text(v) if c in NUMERIC_COLUMNS else _tables.defuse_formula(_text_cell(v))
                for c, v in zip(table.columns, rec, strict=True)
            ]
        )
    return buf.getvalue().encode("utf-8-sig")


def _xlsx_bytes(table: pd.DataFrame) -> bytes:
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def clean(text: str) -> str:
        return _tables.defuse_formula(ILLEGAL_CHARACTERS_RE.sub("", text))

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Angebote")
    ws.append([clean(str(c)) for c in table.columns])
    for rec in table.itertuples(index=False, name=None):
        ws.append(
            [
                (None if math.isnan(v) else float(v))
                if c in NUMERIC_COLUMNS
                else (clean(_text_cell(v)) or None)
                for c, v in zip(table.columns, rec, strict=True)
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _geojson_bytes(table: pd.DataFrame) -> bytes:
    features = []
    for rec in table.to_dict("records"):
        props = {
            k: (
                None
                if (isinstance(v, float) and math.isnan(v))
                or v is None
                or (not isinstance(v, float) and _tables.is_blank(v))
                else v
            )
            for k, v in rec.items()
        }
        geom = None
        if props.get("lat") is not None and props.get("lon") is not None:
            geom = {"type": "Point", "coordinates": [props["lon"], props["lat"]]}
        features.append({"type": "Feature", "properties": props, "geometry": geom})
    fc = {"type": "FeatureCollection", "features": features}
    return json.dumps(fc, ensure_ascii=False, indent=1).encode("utf-8")


def export_services(gdf: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write services to CSV, XLSX, GeoJSON or GeoPackage (by file suffix).

    CSV is UTF-8 with BOM (so that Excel recognises the encoding) and comma
    delimiter; GeoJSON and GeoPackage are in EPSG:4326. All schema and unknown
    columns are written, plus ``category_source``, ``precision`` and
    ``geocode_note``; ``lat``/``lon`` hold each service's location. In CSV and
    XLSX, text starting with ``=``, ``+``, ``-`` or ``@`` gets a leading
    apostrophe so that spreadsheets never evaluate it; :func:`read_services`
    removes it again, so exports re-import unchanged.

    Returns
    -------
    Path
        The written file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise InputError(
            f"Unbekanntes Exportformat „{suffix or path.name}“; erwartet: "
            f"{', '.join(EXPORT_SUFFIXES)}."
        )
    table = _export_table(gdf)
    if suffix == ".csv":
        write_bytes_atomic(path, _csv_bytes(table))
    elif suffix == ".xlsx":
        write_bytes_atomic(path, _xlsx_bytes(table))
    elif suffix in (".geojson", ".json"):
        write_bytes_atomic(path, _geojson_bytes(table))
    else:
        has = table["lat"].notna() & table["lon"].notna()
        geoms = [
            shapely.Point(x, y) if h else None
            for x, y, h in zip(table["lon"], table["lat"], has, strict=True)
        ]
        text_cols = [c for c in table.columns if c not in NUMERIC_COLUMNS]
        out = table.copy()
        out[text_cols] = out[text_cols].astype(object).where(out[text_cols].notna(), None)
        out = gpd.GeoDataFrame(out.reset_index(drop=True), geometry=geoms, crs=settings.CRS_DISPLAY)
        with atomic_path(path) as tmp:
            staging = tmp.with_name(tmp.name + ".gpkg")  # the driver wants a .gpkg name
            try:
                out.to_file(staging, driver="GPKG", layer="services", engine="pyogrio")
                os.replace(staging, tmp)
            finally:
                staging.unlink(missing_ok=True)
    return path
