"""Planning regions: definition, build into a cached bundle, load, summary.

A region is a set of Thuringian Kreise (Kreisschlüssel) or Gemeinden (AGS),
or, for areas without official boundaries here, a bounding box. Definitions
live in ``data/regions/NAME.toml``; ad-hoc regions are given as keys
(``"16065,16068"``). ``build_region`` writes a bundle (GeoParquet + JSON
metadata) into the cache folder; it is rebuilt only when an input file, the
definition or the building code changes (content hash).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import _crs, _derived, boundaries, geocode, population, services, settings, stops
from ._errors import CacheError, DataFileError, NahraumError, RegionError
from ._io import atomic_path, file_digest, write_json_atomic

BUNDLE_VERSION = 2
_LAYERS = ("gemeinden", "cells", "services", "stops", "places")
# Modules whose code shapes the bundle: a change to them rebuilds it.
_CODE_MODULES = (
    "boundaries",
    "population",
    "services",
    "geocode",
    "stops",
    "region",
    "settings",
    "osmpoi",
)


@dataclass
class RegionDef:
    """What a region consists of and which raw files it is built from."""

    name: str
    label: str
    kreise: list[str] = field(default_factory=list)
    gemeinden: list[str] = field(default_factory=list)
    land: str | None = None
    bbox: list[float] | None = None  # lon/lat: west, south, east, north
    boundaries: str = boundaries.VG250_FILE
    census: str = "th/zensus2022"
    services: str | None = services.DEFAULT_SERVICES_FILE
    stops: str | None = stops.STOPS_FILE
    osm: str | None = None
    services_from_osm: bool = False
    age_table: str | None = settings.AGE_TABLE_FILE

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


def _read_wkb(path: Path) -> shapely.Geometry:
    try:
        return shapely.from_wkb(path.read_bytes())
    except shapely.errors.GEOSException as exc:  # damaged: computed again
        raise ValueError(f"{path.name}: {exc}") from exc


def _write_wkb(geometry: shapely.Geometry, path: Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(shapely.to_wkb(geometry))


@dataclass
class Region:
    """A loaded region bundle (see docs/architecture.md)."""

    name: str
    label: str
    gemeinden: gpd.GeoDataFrame
    cells: pd.DataFrame
    services: gpd.GeoDataFrame
    stops: gpd.GeoDataFrame
    places: gpd.GeoDataFrame
    meta: dict
    cache_path: Path
    definition: RegionDef
    _outline: shapely.Geometry | None = None

    @property
    def outline(self) -> shapely.Geometry:
        """Union of the region's Gemeinden (EPSG:3035).

        Kept in the bundle's ``derived/`` folder (``geo._derived``; thueringen: 0.2–0.5 s
        to compute on every server start, 1 ms to read).
        """
        if self._outline is None:
            self._outline = _derived.stored(
                self.cache_path,
                "outline",
                str(self.meta.get("content_hash", ""))[:64],  # demand/inventory: same Gemeinden
                lambda: shapely.union_all(self.gemeinden.geometry.values),
                read=_read_wkb,
                write=_write_wkb,
                suffix=".wkb",
            )
        return self._outline

    @property
    def has_official_gemeinden(self) -> bool:
        return bool(self.meta.get("official_gemeinden", True))

    def networks(self, modes=None) -> dict:
        """Road networks stored with this region (``{}`` when none was built)."""
        from . import network

        return network.load_networks(self.cache_path, modes)

    def info(self) -> dict:
        """Summary for ``nahraum region info`` (see module docstring)."""
        return region_info(self)


# ---------------------------------------------------------------------------
# Definitions
# ---------------------------------------------------------------------------


def list_regions() -> dict[str, str]:
    """Names and labels of the region definitions shipped in ``data/regions``."""
    out = {}
    for path in sorted(settings.REGIONS_DIR.glob("*.toml")):
        try:
            out[path.stem] = tomllib.loads(path.read_text("utf-8")).get("label", path.stem)
        except (OSError, tomllib.TOMLDecodeError):
            continue
    return out


def get_definition(name: str) -> RegionDef:
    """Resolve a region name or a list of keys into a :class:`RegionDef`.

    Parameters
    ----------
    name : str
        A definition in ``data/regions`` (``"default"``, ``"thueringen"``,
        ``"bayreuth-nord"``) or comma-separated Kreisschlüssel (5 digits) and
        AGS (8 digits), e.g. ``"16065,16068"``.
    """
    name = (name or "default").strip()
    path = settings.REGIONS_DIR / f"{name}.toml"
    if path.is_file():
        try:
            raw = tomllib.loads(path.read_text("utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise RegionError(f"Regionsdefinition {path.name} ist fehlerhaft: {exc}") from exc
        known = set(RegionDef.__dataclass_fields__)
        unknown = set(raw) - known
        if unknown:
            raise RegionError(
                f"Regionsdefinition {path.name}: unbekannte Einträge {', '.join(sorted(unknown))}."
            )
        raw.setdefault("label", name)
        return RegionDef(name=name, **raw)
    keys = [k.strip() for k in re.split(r"[,;\s]+", name) if k.strip()]
    if not keys or not all(re.fullmatch(r"\d{5}|\d{8}", k) for k in keys):
        known_names = ", ".join(list_regions()) or "–"
        raise RegionError(
            f"Unbekannte Region „{name}“. Erwartet wird ein Regionsname ({known_names}) oder eine "
            "kommagetrennte Liste von Kreisschlüsseln (5 Ziffern, z. B. 16065) oder "
            "Gemeindeschlüsseln (8 Ziffern)."
        )
    slug = "keys-" + "-".join(sorted(keys))
    return RegionDef(
        name=slug if len(slug) < 80 else "keys-" + hashlib.sha1(slug.encode()).hexdigest()[:12],
        label="Region " + ", ".join(keys),
        kreise=[k for k in keys if len(k) == 5],
        gemeinden=[k for k in keys if len(k) == 8],
    )


def select_units(defn: RegionDef, data_dir: Path) -> tuple[gpd.GeoDataFrame, bool]:
    """Reporting units of a region (EPSG:3035) and whether they are official Gemeinden."""
    if defn.bbox is not None:
        if len(defn.bbox) != 4:
            raise RegionError(f"Region {defn.name}: bbox braucht 4 Zahlen (West, Süd, Ost, Nord).")
        poly = gpd.GeoSeries([shapely.box(*defn.bbox)], crs=settings.CRS_DISPLAY).to_crs(
            settings.CRS_METRIC
        )
        units = gpd.GeoDataFrame(
            {
                "ags": [defn.name],
                "name": [defn.label],
                "name_official": [defn.label],
                "kreis": [""],
                "kreis_name": [""],
                "vg_name": [None],
                "vg_kind": [None],
                "pop": [np.nan],
                "pop_vg250": [pd.NA],
                "pop_gv100": [pd.NA],
                "area_km2": [poly.area.iloc[0] / 1e6],
            },
            geometry=poly.values,
            crs=settings.CRS_METRIC,
        )
        return units, False
    gem = boundaries.read_gemeinden(data_dir)
    if defn.land:
        sel = gem.loc[gem["ags"].str.startswith(defn.land)]
    else:
        known_kreise = set(gem["kreis"])
        bad = [k for k in defn.kreise if k not in known_kreise]
        if bad:
            raise RegionError(
                f"Unbekannter Kreisschlüssel {', '.join(bad)}. In den Daten gibt es die Kreise "
                f"{', '.join(sorted(known_kreise))} (Thüringen)."
            )
        bad = [a for a in defn.gemeinden if a not in set(gem["ags"])]
        if bad:
            raise RegionError(f"Unbekannter Gemeindeschlüssel (AGS) {', '.join(bad)}.")
        sel = gem.loc[gem["kreis"].isin(defn.kreise) | gem["ags"].isin(defn.gemeinden)]
    if sel.empty:
        raise RegionError(f"Region {defn.name} enthält keine Gemeinde.")
    return sel.sort_values("ags").reset_index(drop=True), True


# ---------------------------------------------------------------------------
# Cache key
# ---------------------------------------------------------------------------


def _inputs(defn: RegionDef, data_dir: Path) -> list[Path]:
    files: list[Path] = []
    if defn.bbox is None:
        files += [
            data_dir / defn.boundaries,
            data_dir / boundaries.GV100AD_FILE,
            data_dir / geocode.PLACES_FILE,
            data_dir / geocode.POSTCODES_FILE,
        ]
    census = data_dir / defn.census
    if not census.is_dir():
        raise DataFileError(
            f"Zensus-Ordner fehlt: {census}. Bitte den Datenordner prüfen (NAHRAUM_DATA oder --data)."
        )
    files += sorted(census.rglob("*.parquet"))
    for rel in (defn.services, defn.stops, defn.osm, defn.age_table if defn.bbox is None else None):
        if rel:
            files.append(data_dir / rel)
    return files


def content_hash(defn: RegionDef, data_dir: Path) -> tuple[str, list[dict]]:
    """Hash of the definition, the input files and the building code."""
    h = hashlib.sha256()
    h.update(json.dumps(defn.to_dict(), sort_keys=True).encode())
    h.update(str(BUNDLE_VERSION).encode())
    pkg = Path(__file__).resolve().parent
    for mod in _CODE_MODULES:
        p = pkg / f"{mod}.py"
        if p.is_file():
            h.update(p.read_bytes())
    sources = []
    for path in _inputs(defn, data_dir):
        if not path.is_file():
            raise DataFileError(
                f"Datendatei fehlt: {path}. Bitte den Datenordner prüfen (NAHRAUM_DATA oder --data)."
            )
        digest = file_digest(path)
        h.update(path.name.encode() + digest.encode())
        sources.append(
            {
                "file": str(path.relative_to(data_dir)),
                "sha256": digest,
                "bytes": path.stat().st_size,
            }
        )
    return h.hexdigest(), sources


# ---------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------


def _source_notes(defn: RegionDef, official: bool) -> list[dict]:
    notes = []
    if official:
        notes += [
            {
                "name": "Gemeindegrenzen und Einwohner VG250-EW",
                "date": boundaries.VG250_POP_DATE,
                "attribution": settings.ATTRIBUTION["vg250"],
            },
            {
                "name": "Gemeindeverzeichnis GV100AD",
                "date": f"Stand {boundaries.GV100AD_STAND}, "
                f"Einwohner {boundaries.GV100AD_POP_DATE}",
                "attribution": settings.ATTRIBUTION["gv100ad"],
            },
            {
                "name": "GeoNames Orte und Postleitzahlen",
                "date": "2025",
                "attribution": settings.ATTRIBUTION["geonames"],
            },
        ]
    notes.append(
        {
            "name": "Zensus 2022 Gitterzellen 100 m und 1 km",
            "date": "15.05.2022",
            "attribution": settings.ATTRIBUTION["zensus"],
        }
    )
    if defn.services and not defn.services_from_osm:
        notes.append(
            {
                "name": "Angebotsliste (Beratung, Jugend, Familie)",
                "date": "2012–2025",
                "attribution": settings.ATTRIBUTION["services"],
            }
        )
    if defn.stops:
        notes.append(
            {
                "name": "Haltestellen (db-hafas-stations)",
                "date": "10/2025",
                "attribution": settings.ATTRIBUTION["stops"],
            }
        )
    if official and defn.age_table:
        notes.append(
            {
                "name": "Bevölkerung nach Altersgruppen je Kreis (Regionaldatenbank, GENESIS 12411)",
                "date": "Stichtag in der Datei nicht angegeben",
                "attribution": settings.ATTRIBUTION["age_table"],
            }
        )
    if defn.osm:
        notes.append(
            {
                "name": "OpenStreetMap-Ausschnitt",
                "date": "Objekte 2006–2014",
                "attribution": settings.ATTRIBUTION["osm"],
            }
        )
    return notes


def _load_services(
    defn: RegionDef,
    data_dir: Path,
    units: gpd.GeoDataFrame,
    outline: shapely.Geometry,
    places: gpd.GeoDataFrame,
) -> tuple[gpd.GeoDataFrame, list[dict]]:
    if defn.services_from_osm and defn.osm:
        from . import osmpoi

        raw = osmpoi.read_osm_services(data_dir / defn.osm)
        postcodes = pd.DataFrame(
            {
                "postcode": pd.Series([], dtype=str),
                "place_name": pd.Series([], dtype=str),
                "kreis": pd.Series([], dtype=str),
                "lat": pd.Series([], dtype=float),
                "lon": pd.Series([], dtype=float),
            }
        )
        coded = geocode.geocode_services(raw, units, places, postcodes)
        svc, problems = services.validate_services(coded, units, outline)
    else:
        res = services.import_services(data_dir / defn.services, units, outline, data_dir)
        svc, problems = res.services, res.problems
    return svc, [p.to_dict() for p in problems]


def build_region(
    name: str = "default",
    data_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    force: bool = False,
) -> Path:
    """Build a region's bundle into the cache unless an identical one exists.

    Returns
    -------
    Path of the bundle folder.
    """
    ddir = settings.data_dir(data_dir)
    if not ddir.is_dir():
        raise DataFileError(
            f"Datenordner {ddir} nicht gefunden. Bitte mit --data oder der Umgebungsvariable "
            f"{settings.DATA_ENV_VAR} auf den Ordner mit den Rohdaten zeigen (Standard: ../shared/data)."
        )
    cdir = settings.cache_dir(cache_dir)
    defn = get_definition(name)
    digest, sources = content_hash(defn, ddir)
    target = cdir / defn.name
    meta_path = target / "meta.json"
    if not force and meta_path.is_file():
        try:
            if json.loads(meta_path.read_text("utf-8")).get("content_hash") == digest:
                _ensure_networks(defn, ddir, target)
                _ensure_orientation(defn, ddir, target)
                return target
        except (OSError, json.JSONDecodeError):
            pass  # damaged bundle: rebuild
    t0 = time.perf_counter()
    units, official = select_units(defn, ddir)
    outline = shapely.union_all(units.geometry.values)
    age_table = (
        population.read_age_table(ddir / defn.age_table) if defn.age_table and official else None
    )
    cells, report = population.build_surface(units, ddir / defn.census, age_table)
    if official:
        places = geocode.load_places(ddir, set(units["ags"]))
    else:
        places = gpd.GeoDataFrame(
            {
                "name": [],
                "ags": [],
                "kreis": [],
                "population": [],
                "feature_code": [],
                "geonameid": [],
            },
            geometry=gpd.GeoSeries([], crs=settings.CRS_METRIC),
        )
    svc, svc_problems = _load_services(defn, ddir, units, outline, places)
    stop_gdf = stops.read_stops(ddir, outline) if defn.stops else stops.empty_stops()
    meta = {
        "bundle_version": BUNDLE_VERSION,
        "region": defn.name,
        "label": defn.label,
        "definition": defn.to_dict(),
        "official_gemeinden": official,
        "content_hash": digest,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "build_seconds": round(time.perf_counter() - t0, 2),
        "inputs": sources,
        "sources": _source_notes(defn, official),
        "population": {
            "reference": "VG250-EW (Einwohnerzahl je Gemeinde)"
            if official
            else "Zensus 2022, 1-km-Gitter (keine amtlichen Gemeinden im Gebiet)",
            "method": "Dasymetrische Verteilung der 1-km-Einwohner auf 100-m-Zellen nach Wohnungen "
            "(sonst Gebäuden), skaliert auf die amtliche Einwohnerzahl je Gemeinde; "
            "Altersgruppen je Kreis an die amtliche Altersstruktur angepasst",
            "report": report.to_dict(),
        },
        "service_problems": svc_problems,
        "attribution": [s["attribution"] for s in _source_notes(defn, official)],
    }
    _write_bundle(
        target,
        {"gemeinden": units, "cells": cells, "services": svc, "stops": stop_gdf, "places": places},
        meta,
    )
    _ensure_networks(defn, ddir, target, outline)
    _ensure_orientation(defn, ddir, target, outline)
    return target


def _ensure_networks(
    defn: RegionDef, data_dir: Path, target: Path, outline: shapely.Geometry | None = None
) -> None:
    """Build the road networks of a region whose definition names an OSM file."""
    if not defn.osm:
        return
    from . import network

    if outline is None:
        outline = shapely.union_all(gpd.read_parquet(target / "gemeinden.parquet").geometry.values)
    network.build_for_region(target, osm_path=data_dir / defn.osm, outline_3035=outline)


def _ensure_orientation(
    defn: RegionDef, data_dir: Path, target: Path, outline: shapely.Geometry | None = None
) -> None:
    """The settlement footprint (the map's default background) cached in the bundle, so the
    first map does not compute it (``thueringen``: ~7 s). Kept when it exists: its own
    signature (census files, outline) is checked where it is read
    (:func:`geo.orientation.settlement_footprint`)."""
    from types import SimpleNamespace

    from . import orientation

    if (target / orientation.FOOTPRINT_FILE).is_file():
        return
    if outline is None:
        outline = shapely.union_all(gpd.read_parquet(target / "gemeinden.parquet").geometry.values)
    stand_in = SimpleNamespace(outline=outline, cache_path=target, definition=defn, meta={})
    # without census cells of buildings the map falls back to no background
    with contextlib.suppress(NahraumError, OSError, ValueError):
        orientation.settlement_footprint(stand_in, data_dir)


def _write_bundle(target: Path, layers: dict, meta: dict) -> None:
    """Write all layers into a temp folder, then swap it in (never half-written)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as exc:
        raise CacheError(
            f"Cache-Ordner {target.parent} ist nicht beschreibbar ({exc.strerror}). Bitte "
            f"Schreibrechte prüfen oder mit {settings.CACHE_ENV_VAR} einen anderen Ordner angeben."
        ) from exc
    try:
        for key, df in layers.items():
            if isinstance(df, gpd.GeoDataFrame):
                df.to_parquet(tmp / f"{key}.parquet", index=False)
            else:
                df.to_parquet(tmp / f"{key}.parquet", index=False)
        write_json_atomic(tmp / "meta.json", meta)
        old = None
        if (target / "network").is_dir():  # road networks survive a bundle rebuild
            os.replace(target / "network", tmp / "network")
        if target.exists():
            old = target.parent / f".{target.name}.old-{os.getpid()}-{time.time_ns()}"
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise CacheError(
            f"Regionspaket {target.name} konnte nicht geschrieben werden ({exc.strerror}). "
            "Bitte freien Speicherplatz und Schreibrechte prüfen."
        ) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# ---------------------------------------------------------------------------
# Load and summarise
# ---------------------------------------------------------------------------


def load_region(
    name: str = "default",
    data_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    build: bool = True,
) -> Region:
    """Load a region bundle, building it first when missing or out of date."""
    if build:
        path = build_region(name, data_dir, cache_dir)
    else:
        path = settings.cache_dir(cache_dir) / get_definition(name).name
    meta_path = path / "meta.json"
    if not meta_path.is_file():
        raise CacheError(
            f"Regionspaket {path} fehlt. Bitte „nahraum region build --region {name}“ ausführen."
        )
    meta = json.loads(meta_path.read_text("utf-8"))
    try:
        layers = {}
        for key in _LAYERS:
            p = path / f"{key}.parquet"
            layers[key] = _crs.short(gpd.read_parquet(p)) if key != "cells" else pd.read_parquet(p)
    except Exception as exc:
        raise CacheError(
            f"Regionspaket {path} ist beschädigt ({exc}). Bitte mit "
            f"„nahraum region build --region {name} --force“ neu erstellen."
        ) from exc
    defn = RegionDef(**meta["definition"])
    return Region(
        name=meta["region"],
        label=meta["label"],
        meta=meta,
        cache_path=path,
        definition=defn,
        **layers,
    )


def region_info(region: Region) -> dict:
    """Key figures of a region (JSON-serialisable)."""
    g = region.gemeinden
    cells = region.cells
    svc = region.services
    by_precision = {k: int((svc["precision"] == k).sum()) for k in settings.PRECISIONS}
    unresolved = svc.loc[svc["precision"] == "not_found", ["id", "name", "town", "geocode_note"]]
    official = region.has_official_gemeinden
    return {
        "region": region.name,
        "label": region.label,
        "gemeinden": int(len(g)) if official else 0,
        "kreise": sorted(set(g["kreis"])) if official else [],
        "population_official": int(g["pop"].sum()) if official else None,
        "population_official_gv100": int(g["pop_gv100"].sum()) if official else None,
        "population_surface": round(float(cells["pop"].sum()), 1),
        "cells": int(len(cells)),
        "target_groups": {
            code: round(float(cells[code].sum()), 1) for code in settings.TARGET_GROUPS
        },
        "target_group_notes": {code: g.quality_de for code, g in settings.TARGET_GROUPS.items()},
        "services": {
            "total": int(len(svc)),
            "by_precision": by_precision,
            "by_category": {k: int(v) for k, v in svc["category"].value_counts().items()},
            "unresolved": [
                {k: (None if pd.isna(v) else str(v)) for k, v in r.items()}
                for r in unresolved.to_dict("records")
            ],
            "problems": region.meta.get("service_problems", []),
        },
        "stops": int(len(region.stops)),
        "stops_inside": int(region.stops["inside"].sum()) if len(region.stops) else 0,
        "population_method": region.meta["population"],
        "sources": region.meta["sources"],
        "built_at": region.meta["built_at"],
        "content_hash": region.meta["content_hash"],
        "cache_path": str(region.cache_path),
    }
