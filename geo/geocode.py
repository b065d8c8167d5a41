"""Offline geocoding of services: GeoNames places, postcodes, Gemeinde points.

No street-level geocoder is available offline. A service without coordinates
is placed, in this order, at

1. the GeoNames place named by its ``ortsteil`` or ``town`` (precision
   ``"village"``), preferring places inside the region's Gemeinden;
2. the GeoNames postcode point of its ``postcode`` (``"postcode"``);
3. the representative point of the Gemeinde named by its ``town``
   (``"gemeinde"``);

else it is ``"not_found"`` and ``geocode_note`` says why (in German). Rows
with valid ``lat``/``lon`` keep them (``"coordinates"``). Nothing is guessed
from phone numbers or e-mail addresses.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import _crs, _tables, settings
from ._errors import DataFileError
from ._io import require_file

PLACES_FILE = "th/settlements/geonames_cities500_th.csv"
POSTCODES_FILE = "th/settlements/geonames_postalcodes_th.csv"

STREET_NOTE = "Adresse vorhanden, Straße offline nicht geokodierbar"
_STREET_FALLBACK = {
    "village": "Ortslage verwendet",
    "postcode": "PLZ-Gebiet verwendet",
    "gemeinde": "Gemeinde-Mittelpunkt verwendet",
}
# Precisions that may be carried over from an earlier export (lat/lon + precision).
_CARRIED_PRECISIONS = ("manual", "street", "village", "postcode", "gemeinde")

# Town values that mean "no place given".
_PLACEHOLDERS = {
    "",
    "unbekannt",
    "unknown",
    "k a",
    "ka",
    "keine angabe",
    "ohne",
    "n n",
    "nn",
    "offen",
    "tbd",
    "nicht bekannt",
    "nicht genannt",
    "ort nicht genannt",
    "x",
}
# Words dropped from place names before matching ("Stadt Sömmerda", "Sondershausen, Stadt").
_DROP_WORDS = {"stadt", "gemeinde", "landgemeinde"}
_PAREN_RE = re.compile(r"\s*[(\[][^)\]]*[)\]]?")
_OT_RE = re.compile(r"\s*(?:,|-)?\s*\b(?:OT|Ortsteil)\b\.?:?\s*", re.IGNORECASE)
_VG_RE = re.compile(r"^(?:vg|verwaltungsgemeinschaft)\b", re.IGNORECASE)
_PLZ_PREFIX_RE = re.compile(r"^\s*(\d{5})\s+(.+)$")
_NUMBER_CLEAN_RE = re.compile(r"[\s\u00a0\u202f']")
_NUMBER_RE = re.compile(
    r"[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|[+-]?(?:inf|infinity|nan)", re.IGNORECASE
)


# ---------------------------------------------------------------------------
# Parsing helpers (shared with geo.services)
# ---------------------------------------------------------------------------
def parse_number(value: object) -> float:
    """Parse a number written with decimal point or decimal comma.

    Returns ``nan`` for empty values and raises ``ValueError`` for text that
    is not a number. ``"51,37"``, ``"51.37"``, ``"1.234,5"`` and ``"1,234.5"``
    are understood; ``"nan"`` and ``"inf"`` are returned as such (the caller
    decides whether non-finite values are allowed).

    Deliberately not :func:`geo.indicators.parse_value`: coordinates and
    capacities are read one cell at a time, and a lone dot is a decimal point
    (``"51.372"`` is a latitude, never 51372). Indicator tables from official
    statistics write thousands with dots, so ``parse_value`` reads ``"1.234"``
    as 1234 unless the column shows decimal points, and it knows suppression
    markers (``*``, ``-``) that would be errors here.
    """
    if _tables.is_blank(value):
        return math.nan
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = _NUMBER_CLEAN_RE.sub("", str(value))
    if not text:
        return math.nan
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif text.count(",") == 1:
        text = text.replace(",", ".")
    if not _NUMBER_RE.fullmatch(text):
        raise ValueError(text)
    return float(text)


def parse_coordinates(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse the ``lat``/``lon`` columns of a raw service table.

    Returns
    -------
    (lat, lon, status)
        Float arrays and an object array of status codes per row: ``"ok"``,
        ``"empty"`` (neither given), ``"half"`` (only one given),
        ``"unparsable_lat"``, ``"unparsable_lon"``, ``"nonfinite"``,
        ``"range"`` (outside ±90/±180).
    """
    n = len(df)
    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    status = np.full(n, "empty", dtype=object)
    lat_raw = df["lat"].tolist() if "lat" in df.columns else [None] * n
    lon_raw = df["lon"].tolist() if "lon" in df.columns else [None] * n
    for i, (a, b) in enumerate(zip(lat_raw, lon_raw, strict=True)):
        blank_a, blank_b = _tables.is_blank(a), _tables.is_blank(b)
        if blank_a and blank_b:
            continue
        if blank_a or blank_b:
            status[i] = "half"
            continue
        try:
            la = parse_number(a)
        except ValueError:
            status[i] = "unparsable_lat"
            continue
        try:
            lo = parse_number(b)
        except ValueError:
            status[i] = "unparsable_lon"
            continue
        lat[i], lon[i] = la, lo
        if not (math.isfinite(la) and math.isfinite(lo)):
            status[i] = "nonfinite"
        elif abs(la) > 90 or abs(lo) > 180:
            status[i] = "range"
        else:
            status[i] = "ok"
    return lat, lon, status


# ---------------------------------------------------------------------------
# Name normalisation
# ---------------------------------------------------------------------------
_UMLAUTS_AE = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_UMLAUTS_A = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})


def strip_parenthetical(text: str) -> tuple[str, str | None]:
    """Remove text in parentheses; return the rest and what was removed."""
    removed = [m.group(0).strip() for m in _PAREN_RE.finditer(text) if m.group(0).strip()]
    rest = _PAREN_RE.sub(" ", text)
    rest = re.sub(r"\s+", " ", rest).strip(" ,;/-")
    return rest, ("; ".join(removed) or None)


def normalize_name(text: object, umlauts: str = "ae") -> str:
    """Normalise a place name for matching.

    Case-folds, maps umlauts to ``ae``/``oe``/``ue`` (or to plain vowels with
    ``umlauts="plain"``) and ß to ``ss``, drops text in parentheses, the part
    after a comma (GV100AD's ``", Stadt"``), the words "Stadt"/"Gemeinde" and
    punctuation. The prefix "Bad" is kept: "Bad Frankenhausen" is not
    "Frankenhausen".
    """
    if isinstance(text, str):
        return _normalize_cached(text, umlauts)
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return _normalize_cached(str(text), umlauts)


@functools.lru_cache(maxsize=1 << 16)
def _normalize_cached(text: str, umlauts: str) -> str:
    s = unicodedata.normalize("NFC", text).casefold()
    s, _ = strip_parenthetical(s)
    s = s.split(",")[0]
    s = s.translate(_UMLAUTS_AE if umlauts == "ae" else _UMLAUTS_A)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = re.sub(r"\bst\.\s*", "sankt ", s)
    words = re.sub(r"[^0-9a-z]+", " ", s).split()
    kept = [w for w in words if w not in _DROP_WORDS]
    return " ".join(kept or words)


def _name_keys(name: object) -> list[str]:
    """All lookup keys of a name (both umlaut forms, and each part of 'A/B')."""
    keys: list[str] = []
    raw = "" if name is None else str(name)
    variants = [raw]
    base = raw.split(",")[0]
    if "/" in base:
        variants += [p for p in base.split("/") if p.strip()]
    for v in variants:
        for mode in ("ae", "plain"):
            k = normalize_name(v, mode)
            if k and k not in keys:
                keys.append(k)
    return keys


def _lookup(index: dict[str, list[int]], name: str) -> list[int]:
    for mode in ("ae", "plain"):
        hit = index.get(normalize_name(name, mode))
        if hit:
            return hit
    return []


# ---------------------------------------------------------------------------
# Reference data
# ---------------------------------------------------------------------------
def _match_ags(ags: pd.Series, ags_set: Iterable[str] | None) -> pd.Series:
    if ags_set is None:
        return pd.Series(True, index=ags.index)
    codes = {str(a) for a in ags_set}
    kreise = {c for c in codes if len(c) == 5}
    return ags.isin(codes) | ags.str[:5].isin(kreise)


def load_places(
    data_dir: str | Path | None = None, ags_set: Iterable[str] | None = None
) -> gpd.GeoDataFrame:
    """Load GeoNames settlements (cities500, Thuringia) as points in EPSG:3035.

    Parameters
    ----------
    data_dir : path, optional
        Raw data directory (default: ``settings.data_dir()``).
    ags_set : iterable of str, optional
        Keep only places whose 8-digit AGS is in the set; 5-digit codes
        select whole Kreise. ``None`` keeps all of Thuringia.

    Returns
    -------
    GeoDataFrame
        Columns ``name, ags, kreis, population, feature_code, geonameid,
        geometry`` (EPSG:3035).
    """
    path = require_file(settings.data_dir(data_dir) / PLACES_FILE, "GeoNames-Orte")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        raw = raw[raw["feature_class"] == "P"]
        df = pd.DataFrame(
            {
                "name": raw["name"].str.strip(),
                "ags": raw["admin4_code"].str.strip().str.zfill(8),
                "population": pd.to_numeric(raw["population"], errors="coerce")
                .fillna(0)
                .astype("int64"),
                "feature_code": raw["feature_code"],
                "geonameid": raw["geonameid"],
            }
        )
        lat = pd.to_numeric(raw["latitude"], errors="raise")
        lon = pd.to_numeric(raw["longitude"], errors="raise")
    except (KeyError, ValueError, pd.errors.ParserError) as exc:
        raise DataFileError(
            f"{path.name}: Datei ist beschädigt oder hat unerwartete Spalten ({exc})."
        ) from exc
    df["kreis"] = df["ags"].str[:5]
    gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(lon, lat), crs=settings.CRS_DISPLAY)
    gdf = _crs.to_metric(gdf[_match_ags(gdf["ags"], ags_set).to_numpy()])
    cols = ["name", "ags", "kreis", "population", "feature_code", "geonameid", "geometry"]
    return gdf[cols].reset_index(drop=True)


def load_postcodes(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Load the GeoNames postcode points of Thuringia.

    Returns
    -------
    DataFrame
        Columns ``postcode`` (5-digit string), ``place_name``, ``kreis``,
        ``lat``, ``lon`` (WGS84).
    """
    path = require_file(settings.data_dir(data_dir) / POSTCODES_FILE, "GeoNames-Postleitzahlen")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        return pd.DataFrame(
            {
                "postcode": raw["postal_code"].str.strip().str.zfill(5),
                "place_name": raw["place_name"].str.strip(),
                "kreis": raw["admin_code3"].str.strip(),
                "lat": pd.to_numeric(raw["latitude"], errors="raise"),
                "lon": pd.to_numeric(raw["longitude"], errors="raise"),
            }
        )
    except (KeyError, ValueError, pd.errors.ParserError) as exc:
        raise DataFileError(
            f"{path.name}: Datei ist beschädigt oder hat unerwartete Spalten ({exc})."
        ) from exc


# ---------------------------------------------------------------------------
# Geocoder
# ---------------------------------------------------------------------------
class _Gazetteer:
    """Lookup tables over places, postcodes and Gemeinden (all EPSG:3035)."""

    def __init__(
        self, gemeinden: gpd.GeoDataFrame, places: gpd.GeoDataFrame, postcodes: pd.DataFrame
    ):
        gem = _crs.to_metric(gemeinden) if gemeinden.crs else gemeinden
        self.gem_ags = gem["ags"].astype(str).tolist()
        self.gem_name = dict(zip(self.gem_ags, gem["name"].astype(str), strict=True))
        rep = gem.geometry.representative_point()
        self.gem_point = dict(zip(self.gem_ags, rep, strict=True))
        self.region_ags = set(self.gem_ags)
        self.gem_index: dict[str, list[str]] = {}
        self.gem_keys: dict[str, set[str]] = {ags: set() for ags in self.gem_ags}
        name_cols = [
            c
            for c in gem.columns
            if c == "name" or c.startswith("name_") or c in ("gen", "gv100_name")
        ]
        for col in name_cols:
            for ags, name in zip(self.gem_ags, gem[col].tolist(), strict=True):
                for key in _name_keys(name):
                    self.gem_keys[ags].add(key)
                    lst = self.gem_index.setdefault(key, [])
                    if ags not in lst:
                        lst.append(ags)

        pl = _crs.to_metric(places) if places.crs else places
        self.pl_name = pl["name"].astype(str).tolist()
        self.pl_ags = pl["ags"].astype(str).tolist()
        self.pl_pop = (
            pl["population"].fillna(0).astype(float).tolist()
            if "population" in pl.columns
            else [0.0] * len(pl)
        )
        self.pl_geom = list(pl.geometry)
        self.pl_index: dict[str, list[int]] = {}
        for i, name in enumerate(self.pl_name):
            for key in _name_keys(name):
                self.pl_index.setdefault(key, []).append(i)

        pc = postcodes.reset_index(drop=True)
        pts = gpd.GeoSeries(
            gpd.points_from_xy(pc["lon"], pc["lat"]), crs=settings.CRS_DISPLAY
        ).to_crs(settings.CRS_METRIC)
        self.pc_rows: dict[str, list[int]] = {}
        for i, code in enumerate(pc["postcode"].astype(str)):
            self.pc_rows.setdefault(code.strip().zfill(5), []).append(i)
        self.pc_name = pc["place_name"].astype(str).tolist()
        self.pc_kreis = (
            pc["kreis"].astype(str).tolist() if "kreis" in pc.columns else [""] * len(pc)
        )
        self.pc_xy = (
            np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()]) if len(pc) else np.empty((0, 2))
        )

    # -- candidate selection -------------------------------------------------
    def gemeinden_named(self, name: str) -> list[str]:
        return _lookup(self.gem_index, name) if name else []

    def best_place(self, name: str, within: list[str], postcode: str) -> tuple[int | None, str]:
        """Pick the best place named ``name``; return its index and a note."""
        cands = _lookup(self.pl_index, name) if name else []
        if not cands:
            return None, ""
        pc_kreise = {self.pc_kreis[i] for i in self.pc_rows.get(postcode, [])}

        def score(i: int) -> tuple:
            ags = self.pl_ags[i]
            seat = bool(set(_name_keys(self.pl_name[i])) & self.gem_keys.get(ags, set()))
            return (
                ags in self.region_ags,
                ags in within,
                ags[:5] in pc_kreise,
                seat,
                self.pl_pop[i],
            )

        ranked = sorted(cands, key=score, reverse=True)
        best = ranked[0]
        note = ""
        in_region = [i for i in ranked if self.pl_ags[i] in self.region_ags]
        if len(in_region) > 1:
            where = ", ".join(
                f"Gemeinde {self.gem_name.get(self.pl_ags[i], self.pl_ags[i])}" for i in in_region
            )
            note = (
                f"Ortsname mehrdeutig ({len(in_region)} Orte „{name}“: {where}); "
                f"gewählt: Gemeinde {self.gem_name.get(self.pl_ags[best], self.pl_ags[best])}"
            )
        return best, note

    def seat(self, ags: str) -> int | None:
        """The place that carries the Gemeinde's name (its seat), if listed."""
        keys = self.gem_keys.get(ags, set())
        cands = [
            i
            for i, a in enumerate(self.pl_ags)
            if a == ags and set(_name_keys(self.pl_name[i])) & keys
        ]
        return max(cands, key=lambda i: self.pl_pop[i]) if cands else None

    def postcode_point(self, postcode: str, names: list[str]) -> tuple[shapely.Point, str] | None:
        rows = self.pc_rows.get(postcode)
        if not rows:
            return None
        wanted = {normalize_name(n) for n in names if n}
        for i in rows:
            if normalize_name(self.pc_name[i]) in wanted:
                x, y = self.pc_xy[i]
                return shapely.Point(x, y), f"PLZ {postcode}, Ort „{self.pc_name[i]}“"
        x, y = self.pc_xy[rows].mean(axis=0)
        names_txt = ", ".join(self.pc_name[i] for i in rows[:6])
        more = " …" if len(rows) > 6 else ""
        return shapely.Point(x, y), (
            f"PLZ {postcode}: Mittelpunkt der {len(rows)} PLZ-Orte ({names_txt}{more})"
        )


def _split_town(town: str) -> tuple[str, str, str, str | None]:
    """Split a town cell into (town, ortsteil, postcode, removed parenthetical)."""
    postcode = ""
    m = _PLZ_PREFIX_RE.match(town)
    if m:
        postcode, town = m.group(1), m.group(2)
    clean, removed = strip_parenthetical(town)
    ortsteil = ""
    parts = _OT_RE.split(clean, maxsplit=1)
    if len(parts) == 2 and parts[0].strip() and parts[1].strip():
        clean, ortsteil = parts[0].strip(" ,-"), parts[1].strip()
    return clean, ortsteil, postcode, removed


def normalize_postcode(value: object) -> str:
    """Return a 5-digit postcode or ``""``.

    Restores the leading zero that spreadsheets drop (``6556`` → ``06556``)
    and accepts ``"99706.0"`` and ``"D-99706"``.
    """
    if _tables.is_blank(value):
        return ""
    text = str(value).strip()
    m = re.fullmatch(r"(\d{4,5})(?:\.0+)?", text)
    if m:
        return m.group(1).zfill(5)
    m = re.search(r"(?<!\d)(\d{5})(?!\d)", text)
    return m.group(1) if m else ""


def _geocode_row(
    gz: _Gazetteer, town_raw: str, ortsteil_raw: str, postcode_raw: str, street: str
) -> tuple[str, shapely.Point | None, str]:
    """Geocode one row without coordinates: (precision, point, note)."""
    notes: list[str] = []
    town, ot_from_town, pc_from_town, removed = _split_town(town_raw)
    ortsteil, _ = strip_parenthetical(ortsteil_raw) if ortsteil_raw else ("", None)
    ortsteil = ortsteil or ot_from_town
    postcode = normalize_postcode(postcode_raw) or pc_from_town
    if removed:
        notes.append(f"Klammerzusatz {removed} im Ort nicht ausgewertet")
    town_norm = normalize_name(town)
    placeholder = town_norm in _PLACEHOLDERS and bool(town_raw)
    is_vg = bool(_VG_RE.match(town))
    if placeholder or is_vg:
        town = ""

    within = gz.gemeinden_named(town) if town else []
    if town and not within:  # a town that is a place but not a Gemeinde (e.g. "Roßleben")
        idx, _ = gz.best_place(town, [], postcode)
        within = [gz.pl_ags[idx]] if idx is not None else []
    precision, point = "not_found", None

    def place_note(i: int) -> str:
        return (
            f"GeoNames-Ort „{gz.pl_name[i]}“ "
            f"(Gemeinde {gz.gem_name.get(gz.pl_ags[i], gz.pl_ags[i])})"
        )

    # (a) GeoNames place: Ortsteil first (inside the town's Gemeinde), then the town.
    if ortsteil:
        idx, amb = gz.best_place(ortsteil, within, postcode)
        if idx is None:
            notes.append(
                f"Ortsteil „{ortsteil}“ nicht im Ortsverzeichnis (GeoNames, Orte ab "
                "500 Einw. und Gemeindesitze)"
            )
        elif within and gz.pl_ags[idx] not in within:
            notes.append(
                f"Ortsteil „{ortsteil}“ liegt laut GeoNames nicht in der Gemeinde "
                f"„{town}“; nicht verwendet"
            )
        else:
            precision, point = "village", gz.pl_geom[idx]
            notes += [n for n in (amb, place_note(idx)) if n]
    if precision == "not_found" and town:
        idx, amb = gz.best_place(town, within, postcode)
        if idx is None and len(within) == 1:  # e.g. "Bad Frankenhausen/Kyffhäuser, Stadt"
            idx = gz.seat(within[0])
        if idx is not None:
            precision, point = "village", gz.pl_geom[idx]
            notes += [n for n in (amb, place_note(idx)) if n]
            if ortsteil:
                notes.append(f"Lage des Orts „{gz.pl_name[idx]}“ statt des Ortsteils verwendet")
    # (b) postcode
    if precision == "not_found" and postcode:
        hit = gz.postcode_point(postcode, [ortsteil, town])
        if hit:
            precision, point = "postcode", hit[0]
            notes.append(hit[1])
    # (c) Gemeinde named by the town
    if precision == "not_found" and within:
        ags = within[0]
        precision, point = "gemeinde", gz.gem_point[ags]
        notes.append(f"Gemeinde {gz.gem_name[ags]} ({ags}): Mittelpunkt der Gemeindefläche")

    if precision == "not_found":
        given = town_raw or ortsteil_raw
        if placeholder:
            reason = f"Kein Ort angegeben („{town_raw}“)"
        elif is_vg:
            reason = (
                f"Nur eine Verwaltungsgemeinschaft angegeben („{town_raw}“), weder Ort "
                "noch Gemeinde"
            )
        elif given:
            reason = (
                f"Ort „{town or ortsteil}“ weder im Ortsverzeichnis (GeoNames) noch als "
                "Gemeinde gefunden"
            )
        else:
            reason = "Weder Koordinaten noch Ort noch Postleitzahl angegeben"
        if postcode_raw:
            reason += f"; PLZ „{postcode_raw}“ unbekannt"
        return "not_found", None, reason + ". Bitte Ort, PLZ oder Koordinaten (lat/lon) ergänzen."
    if street:
        notes.insert(0, f"{STREET_NOTE}; {_STREET_FALLBACK[precision]}")
    return precision, point, "; ".join(notes)


def geocode_services(
    df: pd.DataFrame,
    gemeinden_gdf_3035: gpd.GeoDataFrame,
    places_gdf_3035: gpd.GeoDataFrame,
    postcodes_df: pd.DataFrame,
) -> gpd.GeoDataFrame:
    """Locate every service: own coordinates, else place, postcode or Gemeinde.

    Parameters
    ----------
    df : DataFrame
        Raw service table from :func:`geo.services.read_services`.
    gemeinden_gdf_3035 : GeoDataFrame
        Region Gemeinden with ``ags``, ``name`` (further ``name_*`` columns,
        e.g. the GV100AD name, are used too) and polygons.
    places_gdf_3035 : GeoDataFrame
        GeoNames places from :func:`load_places`.
    postcodes_df : DataFrame
        Postcode points from :func:`load_postcodes`.

    Returns
    -------
    GeoDataFrame
        ``df``'s columns plus ``precision`` (a key of ``settings.PRECISIONS``),
        ``geocode_note`` (German) and point geometry in EPSG:3035 (``None``
        where not found or where the given coordinates are invalid).
    """
    gz = _Gazetteer(gemeinden_gdf_3035, places_gdf_3035, postcodes_df)
    lat, lon, status = parse_coordinates(df)
    n = len(df)
    precision = np.full(n, "not_found", dtype=object)
    notes = np.full(n, "", dtype=object)
    geoms: list[shapely.Point | None] = [None] * n

    ok = status == "ok"
    if ok.any():
        pts = gpd.GeoSeries(gpd.points_from_xy(lon[ok], lat[ok]), crs=settings.CRS_DISPLAY).to_crs(
            settings.CRS_METRIC
        )
        for i, p in zip(np.flatnonzero(ok), pts, strict=True):
            geoms[i] = p
        precision[ok] = "coordinates"
        notes[ok] = "Koordinaten aus der Datei"
        # Coordinates written by an earlier export keep their original precision.
        prev = _tables.column_texts(df, "precision")
        prev_note = _tables.column_texts(df, "geocode_note")
        for i in np.flatnonzero(ok):
            if prev[i] in _CARRIED_PRECISIONS:
                precision[i], notes[i] = prev[i], prev_note[i]
    bad = (status != "ok") & (status != "empty")
    notes[bad] = "Koordinaten ungültig (siehe Fehlerliste); nicht verortet"

    towns, ortsteile = _tables.column_texts(df, "town"), _tables.column_texts(df, "ortsteil")
    postcodes, streets = _tables.column_texts(df, "postcode"), _tables.column_texts(df, "street")
    for i in np.flatnonzero(status == "empty"):
        precision[i], geoms[i], notes[i] = _geocode_row(
            gz, towns[i], ortsteile[i], postcodes[i], streets[i]
        )
    out = df.copy()
    out["precision"] = pd.Series(precision, index=df.index, dtype="str")
    out["geocode_note"] = pd.Series(notes, index=df.index, dtype="str")
    return gpd.GeoDataFrame(
        out,
        geometry=gpd.GeoSeries(geoms, index=df.index, crs=settings.CRS_METRIC),
        crs=settings.CRS_METRIC,
    )
