"""The planner's own service inventory (Bestand) per region: stored, edited, exported.

An imported service list (:func:`geo.services.import_services`) becomes the region's
inventory in the cache (``<cache>/inventory/<region>.json``). Every change – an import,
an edited field, a new status, a location set by hand – is written atomically (the
old file or the new one, never half of it) together with a change log of time, service,
field, old and new value (no user names). Bad input raises a German
:class:`~geo._errors.InputError` and changes nothing.

The coverage statement (:func:`coverage`) says which Kreise and Gemeinden the
inventory covers, so that shares are not read as region-wide when services were listed
for only part of it (``thueringen`` has services for 2 of 22 Kreise);
:func:`restrict_to_covered` and :func:`label_covered` apply it to per-Gemeinde tables
or cells.

Typical use::

    store = InventoryStore("default")
    store.replace(services.import_services(path, region.gemeinden, region.outline))
    store.edit("a-1f3c9e0b", {"status": "geschlossen"})
    store.move("a-1f3c9e0b", 51.3712, 10.8702, outline=region.outline)
    store.export("bestand.xlsx")
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import _crs, _tables, geocode, services, settings
from ._errors import CacheError, InputError
from ._io import write_json_atomic
from ._text import de_number

FORMAT = "nahraum-inventory"
VERSION = 1
#: Fields a planner may edit (the id stays; the location is set with ``move``).
EDITABLE_FIELDS: tuple[str, ...] = (
    "name",
    "category",
    "subcategory",
    "provider",
    "street",
    "postcode",
    "town",
    "ortsteil",
    "capacity",
    "opening_hours",
    "outreach_days",
    "target_groups",
    "source",
    "status",
)
#: Suggested status values (the field stays free text).
STATUSES: tuple[str, ...] = ("aktiv", "geplant", "pausiert", "geschlossen", "unklar")
MAX_FIELD_CHARS = 1000
MANUAL_PRECISIONS: tuple[str, ...] = ("manual", "street")
DAMAGED_MARK = "beschädigt"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass
class Inventory:
    """A region's inventory.

    Attributes
    ----------
    region : str
    services : GeoDataFrame
        EPSG:3035, the service schema plus ``precision``/``geocode_note`` (as from
        :func:`geo.services.import_services`); ``not_found`` rows have no geometry.
    log : list of dict
        Changes, oldest first: ``time``, ``action``, ``id``, ``field``, ``old``, ``new``.
    meta : dict
        ``source_file``, ``imported_at``, ``updated_at``.
    """

    region: str
    services: gpd.GeoDataFrame
    log: list[dict] = field(default_factory=list)
    meta: dict = field(default_factory=dict)

    def row_of(self, service_id: str) -> Any:
        """Index label of a service (InputError naming the id if unknown)."""
        hits = self.services.index[self.services["id"].astype(str) == str(service_id)]
        if len(hits) == 0:
            raise InputError(f"Angebot „{_tables.short(service_id)}“ ist nicht im Bestand.")
        return hits[0]


# ---------------------------------------------------------------------------
# Serialisation (one JSON document: services, log and meta together)
# ---------------------------------------------------------------------------
def _json_value(v: object) -> object:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    return v if isinstance(v, int | bool) else str(v)


def _records(gdf: gpd.GeoDataFrame) -> list[dict]:
    geom_col = gdf.geometry.name
    table = pd.DataFrame(gdf.drop(columns=geom_col))
    geo = gdf.geometry
    has = geo.notna().to_numpy() & ~geo.is_empty.to_numpy()
    if has.any():
        wgs = _crs.to_display(geo[has])
        lat = table["lat"].to_numpy(float).copy()
        lon = table["lon"].to_numpy(float).copy()
        fill = has.copy()
        fill[has] = np.isnan(lat[has]) | np.isnan(lon[has])
        lat[fill] = np.round(wgs.y.to_numpy()[fill[has]], 6)
        lon[fill] = np.round(wgs.x.to_numpy()[fill[has]], 6)
        table["lat"], table["lon"] = lat, lon
    cols = [c for c in table.columns if not str(c).startswith("_")]
    return [
        {c: _json_value(v) for c, v in zip(cols, rec, strict=True)}
        for rec in table[cols].itertuples(index=False, name=None)
    ]


def _frame(records: list[dict]) -> gpd.GeoDataFrame:
    cols = list(services.SCHEMA_COLUMNS)
    for rec in records:
        cols += [k for k in rec if k not in cols]
    for c in services.DERIVED_COLUMNS:
        if c not in cols:
            cols.append(c)
    df = pd.DataFrame.from_records(records, columns=cols) if records else pd.DataFrame(columns=cols)
    for c in df.columns:
        if c in services.NUMERIC_COLUMNS:
            df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
        else:
            df[c] = df[c].astype(object).where(df[c].notna(), np.nan).astype("str")
    df["precision"] = df["precision"].fillna("not_found")
    located = (
        (df["precision"] != "not_found").to_numpy()
        & df["lat"].notna().to_numpy()
        & df["lon"].notna().to_numpy()
    )
    pts = gpd.GeoSeries(
        gpd.points_from_xy(df["lon"].fillna(0), df["lat"].fillna(0)), crs=settings.CRS_DISPLAY
    ).to_crs(settings.CRS_METRIC)
    geoms = [g if ok else None for g, ok in zip(pts, located, strict=True)]
    return gpd.GeoDataFrame(
        df, geometry=gpd.GeoSeries(geoms, crs=settings.CRS_METRIC), crs=settings.CRS_METRIC
    )


# ---------------------------------------------------------------------------
# Store
# ---------------------------------------------------------------------------
class InventoryStore:
    """The inventory of one region in the cache; every change is saved atomically.

    Parameters
    ----------
    region : str
        Region name (``geo.region.Region.name``); only letters, digits, ``-``, ``_``, ``,``.
    cache_dir : path, optional
        Default ``settings.cache_dir()``.
    """

    def __init__(self, region: str, cache_dir: str | os.PathLike | None = None):
        safe = "".join(ch for ch in str(region) if ch.isalnum() or ch in "-_,")
        if not safe:
            raise InputError(f"Ungültiger Regionsname „{_tables.short(region)}“.")
        self.region = str(region)
        self.path = settings.cache_dir(cache_dir) / "inventory" / f"{safe}.json"

    # -- reading and writing --------------------------------------------
    def exists(self) -> bool:
        """True when the region has a stored inventory."""
        return self.path.is_file()

    def load(self) -> Inventory | None:
        """The stored inventory, or ``None`` if there is none.

        A damaged file is set aside as ``<name>.beschädigt-<time>.json`` and a
        CacheError says so (the planner can re-import the list).
        """
        if not self.path.is_file():
            return None
        try:
            doc = json.loads(self.path.read_text("utf-8"))
            if not isinstance(doc, dict) or doc.get("format") != FORMAT:
                raise ValueError("format")
            inv = Inventory(
                self.region,
                _frame(list(doc["services"])),
                list(doc.get("log", [])),
                dict(doc.get("meta", {})),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            aside = self.path.with_name(f"{self.path.stem}.{DAMAGED_MARK}-{stamp}.json")
            try:
                os.replace(self.path, aside)
            except OSError:
                aside = self.path
            raise CacheError(
                f"Der gespeicherte Angebotsbestand der Region „{self.region}“ ist "
                f"beschädigt und wurde als {aside.name} beiseitegelegt. Bitte die "
                "Angebotsliste erneut importieren."
            ) from exc
        return inv

    def save(self, inv: Inventory) -> Path:
        """Write the inventory atomically; returns the file."""
        inv.meta["updated_at"] = _now()
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "region": self.region,
            "meta": inv.meta,
            "log": inv.log,
            "services": _records(inv.services),
        }
        write_json_atomic(self.path, doc)
        return self.path

    def _require(self) -> Inventory:
        inv = self.load()
        if inv is None:
            raise InputError(
                f"Für die Region „{self.region}“ ist noch kein eigener "
                "Angebotsbestand gespeichert. Bitte zuerst eine Angebotsliste "
                "importieren (nahraum services import DATEI --save)."
            )
        return inv

    # -- operations -----------------------------------------------------
    def replace(self, result: services.ImportResult) -> Path:
        """Make an import the region's inventory (the old one is replaced, logged)."""
        old = self.load() if self.exists() else None
        log = list(old.log) if old is not None else []
        log.append(
            {
                "time": _now(),
                "action": "import",
                "id": None,
                "field": None,
                "old": int(len(old.services)) if old is not None else None,
                "new": int(len(result.services)),
                "file": result.file,
                "layer": result.layer,
            }
        )
        meta = {
            "source_file": result.file,
            "layer": result.layer,
            "imported_at": _now(),
            "notes": [p.to_dict() for p in result.notes],
            "errors": [p.to_dict() for p in result.problems],
        }
        gdf = result.services.copy()
        gdf.attrs = {}
        return self.save(Inventory(self.region, gdf.reset_index(drop=True), log, meta))

    def edit(self, service_id: str, changes: dict[str, object]) -> Inventory:
        """Change fields of one service (``EDITABLE_FIELDS``); logged per field.

        Text is cleaned of control characters; ``capacity`` must be a number ≥ 0 (or
        empty); ``name`` must stay non-empty; the category is resolved again from
        ``subcategory``/``category`` and must be valid. Nothing is saved on error.
        """
        inv = self._require()
        key = inv.row_of(service_id)
        sv = inv.services
        clean: dict[str, object] = {}
        for col, value in changes.items():
            if col not in EDITABLE_FIELDS:
                raise InputError(
                    f"Feld „{_tables.short(col)}“ kann nicht bearbeitet werden; "
                    f"erlaubt: {', '.join(EDITABLE_FIELDS)}."
                )
            clean[col] = _check_field(col, value)
        if "name" in clean and not clean["name"]:
            raise InputError("Der Name darf nicht leer sein.")
        sub = clean.get("subcategory", sv.at[key, "subcategory"])
        cat = clean.get("category", sv.at[key, "category"])
        if "category" in clean or "subcategory" in clean:
            resolved = services.resolve_category(sub, cat)
            if resolved is None:
                raise InputError(
                    f"Kategorie „{_tables.short(cat)}“ unbekannt; erwartet eine "
                    f"von: {', '.join(settings.CATEGORIES)}.",
                )
            clean["category"] = resolved
        now = _now()
        for col, new in clean.items():
            old = sv.at[key, col] if col in sv.columns else None
            if _same(old, new):
                continue
            if col not in sv.columns:
                sv[col] = (
                    np.nan
                    if col in services.NUMERIC_COLUMNS
                    else pd.Series(np.nan, index=sv.index, dtype="str")
                )
            sv.at[key, col] = np.nan if new in ("", None) else new
            inv.log.append(
                {
                    "time": now,
                    "action": "edit",
                    "id": str(sv.at[key, "id"]),
                    "field": col,
                    "old": _json_value(old),
                    "new": _json_value(new),
                }
            )
        self.save(inv)
        return inv

    def set_status(self, service_id: str, status: str) -> Inventory:
        """Set a service's status (e.g. one of ``STATUSES``)."""
        return self.edit(service_id, {"status": status})

    def move(
        self,
        service_id: str,
        lat: float,
        lon: float,
        precision: str = "manual",
        outline: shapely.Geometry | None = None,
        buffer_m: float = settings.REGION_BUFFER_M,
    ) -> Inventory:
        """Set a service's location by hand (a map click or a dragged marker).

        Parameters
        ----------
        lat, lon : float
            WGS84 degrees.
        precision : {"manual", "street"}
            ``"street"`` when the point is the building of the street address.
        outline : shapely geometry, optional
            Region outline (EPSG:3035); the point must lie within ``buffer_m`` of it.
        """
        if precision not in MANUAL_PRECISIONS:
            raise InputError(
                f"Genauigkeit „{_tables.short(precision)}“ unbekannt; erwartet: "
                f"{', '.join(MANUAL_PRECISIONS)}."
            )
        try:
            lat, lon = float(lat), float(lon)
        except (TypeError, ValueError) as exc:
            raise InputError("Breite und Länge müssen Zahlen sein (Dezimalgrad).") from exc
        if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
            raise InputError(
                f"Breite {lat:g} / Länge {lon:g} außerhalb des gültigen Bereichs "
                "(Breite −90…90, Länge −180…180)."
            )
        point = (
            gpd.GeoSeries([shapely.Point(lon, lat)], crs=settings.CRS_DISPLAY)
            .to_crs(settings.CRS_METRIC)
            .iloc[0]
        )
        if outline is not None:
            d = float(shapely.distance(point, outline))
            if d > buffer_m:
                raise InputError(
                    f"Der Punkt liegt {de_number(d / 1000, 1)} km außerhalb der "
                    "Region; bitte innerhalb der Region setzen."
                )
        inv = self._require()
        key = inv.row_of(service_id)
        sv = inv.services
        old = {
            "lat": sv.at[key, "lat"],
            "lon": sv.at[key, "lon"],
            "precision": sv.at[key, "precision"],
        }
        new_lat, new_lon = round(lat, 6), round(lon, 6)
        sv.at[key, "lat"], sv.at[key, "lon"] = new_lat, new_lon
        sv.at[key, "precision"] = precision
        sv.at[key, "geocode_note"] = (
            "Lage von Hand gesetzt (Straße/Hausnummer)"
            if precision == "street"
            else "Lage von Hand gesetzt"
        )
        geoms = sv.geometry.to_numpy().copy()
        geoms[sv.index.get_loc(key)] = point
        sv.set_geometry(
            gpd.GeoSeries(list(geoms), index=sv.index, crs=settings.CRS_METRIC), inplace=True
        )
        now = _now()
        for col, new in (("lat", new_lat), ("lon", new_lon), ("precision", precision)):
            if not _same(old[col], new):
                inv.log.append(
                    {
                        "time": now,
                        "action": "move",
                        "id": str(sv.at[key, "id"]),
                        "field": col,
                        "old": _json_value(old[col]),
                        "new": new,
                    }
                )
        self.save(inv)
        return inv

    def add(
        self,
        record: dict[str, object],
        lat: float | None = None,
        lon: float | None = None,
        outline: shapely.Geometry | None = None,
    ) -> str:
        """Add a new service (fields as for :meth:`edit`); returns its id.

        Without ``id`` one is generated from name and address
        (:func:`geo.services.service_id`). With ``lat``/``lon`` it is placed by hand.
        """
        inv = self._require()
        fields = {k: _check_field(k, v) for k, v in record.items() if k != "id"}
        for k in fields:
            if k not in EDITABLE_FIELDS:
                raise InputError(
                    f"Feld „{_tables.short(k)}“ unbekannt; erlaubt: {', '.join(EDITABLE_FIELDS)}."
                )
        name = str(fields.get("name") or "")
        if not name:
            raise InputError("Ein neues Angebot braucht einen Namen.")
        cat = services.resolve_category(fields.get("subcategory"), fields.get("category"))
        if cat is None:
            raise InputError(
                f"Kategorie fehlt oder unbekannt; erwartet eine von: "
                f"{', '.join(settings.CATEGORIES)}."
            )
        ident = str(
            record.get("id")
            or services.service_id(
                name,
                str(fields.get("street") or ""),
                str(fields.get("postcode") or ""),
                str(fields.get("town") or ""),
            )
        )
        if (inv.services["id"].astype(str) == ident).any():
            raise InputError(f"Kennung „{_tables.short(ident)}“ ist schon vergeben.")
        row: dict[str, Any] = {
            c: np.nan for c in inv.services.columns if c != inv.services.geometry.name
        }
        row.update({k: (np.nan if v in ("", None) else v) for k, v in fields.items()})
        row.update(
            id=ident,
            category=cat,
            precision="not_found",
            geocode_note="Neu angelegt, noch nicht verortet",
        )
        add = _frame([{k: _json_value(v) for k, v in row.items()}])
        inv.services = pd.concat([inv.services, add], ignore_index=True)
        inv.log.append(
            {"time": _now(), "action": "add", "id": ident, "field": None, "old": None, "new": name}
        )
        self.save(inv)
        if lat is not None and lon is not None:
            self.move(ident, lat, lon, outline=outline)
        return ident

    def remove(self, service_id: str) -> Inventory:
        """Delete a service from the inventory (logged with its name)."""
        inv = self._require()
        key = inv.row_of(service_id)
        name = inv.services.at[key, "name"]
        inv.services = inv.services.drop(index=key).reset_index(drop=True)
        inv.log.append(
            {
                "time": _now(),
                "action": "remove",
                "id": str(service_id),
                "field": None,
                "old": _json_value(name),
                "new": None,
            }
        )
        self.save(inv)
        return inv

    def export(self, path: str | os.PathLike) -> Path:
        """Write the inventory as CSV, XLSX, GeoJSON or GeoPackage (by suffix)."""
        return services.export_services(self._require().services, path)


def _check_field(col: str, value: object) -> object:
    if col == "capacity":
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            num = geocode.parse_number(value)
        except ValueError:
            num = math.nan
        if num is None or not math.isfinite(num) or num < 0:
            raise InputError(f"Kapazität „{_tables.short(value)}“ ist keine Zahl ≥ 0.")
        return float(num)
    text, _ = _tables.clean_text("" if value is None else str(value))
    limit = settings.MAX_NAME_CHARS if col == "name" else MAX_FIELD_CHARS
    if len(text) > limit:
        raise InputError(f"„{col}“ hat {len(text)} Zeichen; erlaubt sind höchstens {limit}.")
    if col == "postcode":
        text = text.zfill(5) if text.isdigit() and len(text) == 4 else text
    return text


def _same(a: object, b: object) -> bool:
    blank_a = a is None or _tables.is_blank(a)
    blank_b = b is None or _tables.is_blank(b)
    if blank_a or blank_b:
        return blank_a and blank_b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    return str(a) == str(b)


def active_services(region: Any, cache_dir: str | os.PathLike | None = None) -> gpd.GeoDataFrame:
    """The planner's inventory of the region if one is stored, else the region's list."""
    inv = InventoryStore(region.name, cache_dir).load()
    return inv.services if inv is not None else region.services


# ---------------------------------------------------------------------------
# Coverage
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Coverage:
    """Which part of the region the inventory covers.

    A Kreis counts as covered when at least one located service lies in it.

    Attributes
    ----------
    kreise : dict
        Kreis code → name, all Kreise of the region.
    covered_kreise : tuple of str
        Codes of the covered Kreise.
    gemeinden, gemeinden_in_covered, gemeinden_with_services : int
    population, population_in_covered : float
        Official population of the region and of its covered Kreise.
    services, services_located : int
    """

    kreise: dict[str, str]
    covered_kreise: tuple[str, ...]
    gemeinden: int
    gemeinden_in_covered: int
    gemeinden_with_services: int
    population: float
    population_in_covered: float
    services: int
    services_located: int

    @property
    def complete(self) -> bool:
        """True when every Kreis of the region has services."""
        return set(self.covered_kreise) == set(self.kreise)

    def to_dict(self) -> dict:
        return {
            "kreise": self.kreise,
            "covered_kreise": list(self.covered_kreise),
            "complete": self.complete,
            "gemeinden": self.gemeinden,
            "gemeinden_in_covered": self.gemeinden_in_covered,
            "gemeinden_with_services": self.gemeinden_with_services,
            "population": self.population,
            "population_in_covered": self.population_in_covered,
            "services": self.services,
            "services_located": self.services_located,
        }


def service_ags(services_gdf: gpd.GeoDataFrame, gemeinden: gpd.GeoDataFrame) -> np.ndarray:
    """AGS of the Gemeinde containing each service (``""`` if none or not located)."""
    out = np.full(len(services_gdf), "", dtype=object)
    if not len(services_gdf) or not len(gemeinden):
        return out
    geo = _crs.to_metric(services_gdf.geometry)
    has = geo.notna().to_numpy() & ~geo.is_empty.to_numpy()
    if not has.any():
        return out
    polys = _crs.to_metric(gemeinden).geometry.to_numpy()
    tree = shapely.STRtree(polys)
    pts = geo.to_numpy()[has]
    idx_pt, idx_poly = tree.query(pts, predicate="within")
    hit = np.full(len(pts), -1)
    hit[idx_pt[::-1]] = idx_poly[::-1]  # first polygon per point
    miss = hit < 0
    if miss.any():  # on a border or in the buffer: the nearest Gemeinde
        hit[miss] = tree.query_nearest(pts[miss], return_distance=False, all_matches=False)[1]
    ags = gemeinden["ags"].astype(str).to_numpy()
    out[np.flatnonzero(has)] = ags[hit]
    return out


def coverage(services_gdf: gpd.GeoDataFrame, gemeinden: gpd.GeoDataFrame) -> Coverage:
    """The coverage statement of an inventory for a region's Gemeinden.

    Parameters
    ----------
    services_gdf : GeoDataFrame
        Services (any CRS); ``not_found`` rows count as not located.
    gemeinden : GeoDataFrame
        ``ags``, ``kreis`` (5-digit code), ``kreis_name``, ``pop``, polygons.
    """
    g = gemeinden
    kreis = g["kreis"].astype(str) if "kreis" in g.columns else g["ags"].astype(str).str[:5]
    names = g["kreis_name"].astype(str) if "kreis_name" in g.columns else kreis
    kreise = dict(sorted(zip(kreis, names, strict=True)))
    sv = services_gdf
    if "precision" in sv.columns:
        sv = sv[sv["precision"].astype(str) != "not_found"]
    ags = service_ags(sv, g)
    with_services = {a for a in ags if a}
    ags_to_kreis = dict(zip(g["ags"].astype(str), kreis, strict=True))
    covered = tuple(sorted({ags_to_kreis[a] for a in with_services if a in ags_to_kreis}))
    in_cov = kreis.isin(covered).to_numpy()
    pop = g["pop"].to_numpy(float) if "pop" in g.columns else np.zeros(len(g))
    return Coverage(
        kreise=kreise,
        covered_kreise=covered,
        gemeinden=int(len(g)),
        gemeinden_in_covered=int(in_cov.sum()),
        gemeinden_with_services=int(len(with_services)),
        population=float(np.nansum(pop)),
        population_in_covered=float(np.nansum(pop[in_cov])),
        services=int(len(services_gdf)),
        services_located=int(len(sv)),
    )


def covered_mask(ags: pd.Series | np.ndarray, cov: Coverage) -> np.ndarray:
    """True for each AGS (Gemeinde or cell) in a covered Kreis."""
    return np.isin(np.asarray(pd.Series(ags).astype(str).str[:5]), list(cov.covered_kreise))


def restrict_to_covered(
    frame: pd.DataFrame, cov: Coverage, ags_column: str = "ags"
) -> pd.DataFrame:
    """Rows (Gemeinden or cells) in covered Kreise only; ``attrs["coverage"]`` says which.

    Shares computed on the result refer to the covered Kreise
    (``present.describe.coverage_text`` says so in words).
    """
    out = frame.loc[covered_mask(frame[ags_column], cov)].copy()
    out.attrs["coverage"] = cov.to_dict()
    return out


def label_covered(
    frame: pd.DataFrame, cov: Coverage, ags_column: str = "ags", column: str = "im_bestand"
) -> pd.DataFrame:
    """A copy with a boolean ``column`` (row in a covered Kreis) and ``attrs["coverage"]``."""
    out = frame.copy()
    out[column] = covered_mask(frame[ags_column], cov)
    out.attrs["coverage"] = cov.to_dict()
    return out
