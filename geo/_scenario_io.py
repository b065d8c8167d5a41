"""Scenario exchange: GeoJSON and GeoPackage export and import.

One point per touched site and per pin (WGS84), with the columns
``SITE_COLUMNS`` (``nahraum_type`` one of ``SITE_TYPES``), plus the scenario's
metadata (``META_KEYS``): a ``nahraum`` member in GeoJSON, a ``scenario_meta``
table in GeoPackage. :func:`import_scenario` reads both back and reports every
bad row and column in German (:class:`geo.scenario.ScenarioFileError`)::

    export_scenario(history.current, "variante-nord.gpkg", services=region.services)
    scenario = import_scenario(upload_bytes, filename="variante-nord.gpkg", extent=extent)
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import _crs, _tables, settings
from ._errors import InputError, Problem
from ._io import write_bytes_atomic
from .network import to_lonlat, to_xy
from .scenario import (
    FORMAT,
    SCHEMA_VERSION,
    AddSite,
    Change,
    CloseSite,
    Extent,
    MobileService,
    MobileStop,
    MoveSite,
    OutreachDay,
    Pin,
    PlannedService,
    Scenario,
    ScenarioFileError,
    check_number,
    ids_xy,
    load_json,
    now_iso,
    strict_json,
)

SITE_COLUMNS: tuple[str, ...] = (
    "nahraum_type",
    "seq",
    "change_id",
    "site_id",
    "service_id",
    "name",
    "category",
    "subcategory",
    "target_groups",
    "capacity",
    "hours",
    "weekdays",
    "stop",
    "place",
    "pin_kind",
    "text",
    "created",
    "description",
    "x",
    "y",
)
SITE_TYPES: tuple[str, ...] = (
    "add_site",
    "move_site",
    "close_site",
    "outreach_day",
    "mobile_stop",
    "pin",
)
META_KEYS: tuple[str, ...] = (
    "format",
    "version",
    "name",
    "region",
    "params",
    "description",
    "created",
    "modified",
    "next_number",
    "exported",
)


def _site_rows(
    scenario: Scenario, services: gpd.GeoDataFrame | None
) -> list[tuple[dict, tuple[float, float] | None]]:
    known: dict[str, tuple[float, float]] = {}
    if services is not None and len(services):
        ids, xy = ids_xy(services)
        for sid, (x, y) in zip(ids, xy, strict=True):
            if math.isfinite(x) and math.isfinite(y):
                known.setdefault(sid, (float(x), float(y)))
    rows = []

    def row(seq, c, **kw):
        base = dict.fromkeys(SITE_COLUMNS)
        base.update(
            nahraum_type=c.TYPE,
            seq=seq,
            change_id=c.id,
            created=c.created or None,
            description=c.describe(),
        )
        if isinstance(c, PlannedService):
            base.update(
                name=c.name,
                category=c.category,
                subcategory=c.subcategory or None,
                target_groups=",".join(c.target_groups) or None,
                capacity=c.capacity,
            )
        base.update(kw)
        return base

    for seq, c in enumerate(scenario.changes, start=1):
        if isinstance(c, AddSite):
            rows.append((row(seq, c, site_id=c.id, x=c.x, y=c.y), (c.x, c.y)))
        elif isinstance(c, MoveSite):
            rows.append((row(seq, c, service_id=c.service_id, x=c.x, y=c.y), (c.x, c.y)))
        elif isinstance(c, CloseSite):
            rows.append((row(seq, c, service_id=c.service_id), known.get(c.service_id)))
        elif isinstance(c, OutreachDay):
            pos = (c.x, c.y) if c.at_site is None else known.get(c.at_site)
            rows.append(
                (
                    row(
                        seq,
                        c,
                        site_id=c.id,
                        service_id=c.at_site,
                        hours=c.hours,
                        weekdays=",".join(c.weekdays) or None,
                        place=c.place or None,
                        x=c.x,
                        y=c.y,
                    ),
                    pos,
                )
            )
        elif isinstance(c, MobileService):
            for k, (sid, s) in enumerate(zip(c.site_ids(), c.stops, strict=True), start=1):
                rows.append(
                    (
                        row(
                            seq,
                            c,
                            nahraum_type="mobile_stop",
                            site_id=sid,
                            stop=k,
                            hours=s.hours,
                            weekdays=",".join(s.weekdays) or None,
                            place=s.place or None,
                            x=s.x,
                            y=s.y,
                        ),
                        (s.x, s.y),
                    )
                )
    for seq, p in enumerate(scenario.pins, start=1):
        r = dict.fromkeys(SITE_COLUMNS)
        r.update(
            nahraum_type="pin",
            seq=seq,
            change_id=p.id,
            pin_kind=p.kind,
            text=p.text,
            created=p.created or None,
            description=p.label,
            x=p.x,
            y=p.y,
        )
        rows.append((r, (p.x, p.y)))
    return rows


def _meta(scenario: Scenario) -> dict:
    d = scenario.to_dict()
    return {
        "format": FORMAT,
        "version": SCHEMA_VERSION,
        "name": d["name"],
        "region": d["region"],
        "params": d["params"],
        "description": d["description"],
        "created": d["created"],
        "modified": d["modified"],
        "next_number": d["next_number"],
        "exported": now_iso(),
    }


def to_geojson(scenario: Scenario, services: gpd.GeoDataFrame | None = None) -> dict:
    """FeatureCollection (WGS84) of the touched sites and pins + a ``nahraum`` member.

    ``services`` (the status quo) places closed sites and outreach days at
    existing sites; without it their geometry is null.
    """
    rows = _site_rows(scenario, services)
    pts = [p for _, p in rows if p is not None]
    lon, lat = to_lonlat([p[0] for p in pts], [p[1] for p in pts]) if pts else ([], [])
    features, k = [], 0
    for props, p in rows:
        geom = None
        if p is not None:
            geom = {
                "type": "Point",
                "coordinates": [round(float(lon[k]), 8), round(float(lat[k]), 8)],
            }
            k += 1
        features.append({"type": "Feature", "geometry": geom, "properties": props})
    return {"type": "FeatureCollection", "nahraum": _meta(scenario), "features": features}


def export_scenario(
    scenario: Scenario, path: str | os.PathLike, services: gpd.GeoDataFrame | None = None
) -> Path:
    """Write a scenario as GeoJSON (``.geojson``/``.json``) or GeoPackage (``.gpkg``), atomically.

    GeoPackage: layer ``scenario_sites`` (points, EPSG:4326, columns
    ``SITE_COLUMNS``) and table ``scenario_meta`` (key, value; values JSON).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        data = json.dumps(
            to_geojson(scenario, services), ensure_ascii=False, indent=1, allow_nan=False
        ).encode("utf-8")
        write_bytes_atomic(path, data)
        return path
    if suffix != ".gpkg":
        raise InputError(f"{path.name}: Format nicht unterstützt (.geojson, .json oder .gpkg).")
    write_bytes_atomic(path, geopackage_bytes(scenario, services))
    return path


def geopackage_bytes(scenario: Scenario, services: gpd.GeoDataFrame | None = None) -> bytes:
    """The GeoPackage export as bytes (for a download button)."""
    import pyogrio

    rows = _site_rows(scenario, services)
    df = pd.DataFrame([r for r, _ in rows], columns=list(SITE_COLUMNS))
    for col in ("seq", "stop"):
        df[col] = pd.array(df[col], dtype="Int64")
    for col in ("capacity", "hours", "x", "y"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    for col in SITE_COLUMNS:
        if col not in ("seq", "stop", "capacity", "hours", "x", "y"):
            df[col] = df[col].astype(object)
    pts = [shapely.Point(p) if p is not None else None for _, p in rows]
    sites = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(pts, crs=settings.CRS_METRIC))
    sites = _crs.to_display(sites)
    meta = pd.DataFrame(
        {
            "key": list(META_KEYS),
            "value": [json.dumps(_meta(scenario)[k], ensure_ascii=False) for k in META_KEYS],
        }
    )
    with tempfile.TemporaryDirectory(prefix="nahraum-gpkg-") as tmp:
        p = Path(tmp) / "scenario.gpkg"
        pyogrio.write_dataframe(
            sites, p, layer="scenario_sites", driver="GPKG", geometry_type="Point"
        )
        pyogrio.write_dataframe(meta, p, layer="scenario_meta", driver="GPKG")
        return p.read_bytes()


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _import_rows(
    rows: list[tuple[dict, tuple[float, float] | None]],
    meta: Mapping,
    name: str,
    extent: Extent | None,
) -> Scenario:
    problems: list[Problem] = []

    def bad(msg: str, row: int | None = None, column: str | None = None) -> None:
        problems.append(Problem(msg, row, column, name))

    if not isinstance(meta, Mapping):
        raise ScenarioFileError(
            f"{name}: Die Angaben zum Szenario („nahraum“) fehlen; die Datei "
            "ist kein Nahraum-Szenario.",
            file=name,
        )
    if meta.get("format") != FORMAT:
        raise ScenarioFileError(
            f"{name}: kein Nahraum-Szenario (format „{meta.get('format')}“ statt „{FORMAT}“).",
            file=name,
        )
    version = meta.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        bad("„version“: ganze Zahl ≥ 1 erwartet.", column="version")
    elif version > SCHEMA_VERSION:
        raise ScenarioFileError(
            f"{name}: Szenario aus einer neueren Programmversion (Format "
            f"{version}); bitte Nahraum aktualisieren.",
            file=name,
        )
    groups: dict[str, list[tuple[int, dict, tuple[float, float] | None]]] = {}
    pins: list[tuple[int, dict, tuple[float, float] | None]] = []
    order: list[str] = []
    for r, (props, pos) in enumerate(rows, start=1):
        kind = props.get("nahraum_type")
        if kind not in SITE_TYPES:
            bad(f"unbekannte Art „{kind}“ (möglich: {', '.join(SITE_TYPES)}).", r, "nahraum_type")
            continue
        cid = props.get("change_id")
        if not isinstance(cid, str) or not cid.strip():
            bad("Text erwartet (id der Änderung bzw. des Pins).", r, "change_id")
            continue
        if kind == "pin":
            pins.append((r, props, pos))
            continue
        if cid not in groups:
            order.append(cid)
            groups[cid] = []
        groups[cid].append((r, props, pos))

    def pos_of(r, props, pos, required=True):
        x, y = props.get("x"), props.get("y")
        if pos is not None:
            if (
                isinstance(x, (int, float))
                and isinstance(y, (int, float))
                and not isinstance(x, bool)
                and math.isfinite(x)
                and math.isfinite(y)
                and math.hypot(x - pos[0], y - pos[1]) < 0.5
            ):
                return float(x), float(y)  # exact position of the export
            return pos
        if x is None and y is None:
            if required:
                bad("Punktgeometrie (oder x/y) fehlt.", r, "geometry")
            return None
        return (check_number(x, "x (EPSG:3035)"), check_number(y, "y (EPSG:3035)"))

    def kind_fields(props):
        return {
            "name": props.get("name"),
            "category": props.get("category") or "",
            "subcategory": props.get("subcategory") or "",
            "target_groups": props.get("target_groups") or (),
            "capacity": props.get("capacity"),
            "id": props.get("change_id"),
            "created": props.get("created") or "",
        }

    def number(props, key):
        v = props.get(key)
        return int(v) if isinstance(v, float) and v.is_integer() else v

    changes: list[tuple[int, Change]] = []
    for cid in order:
        items = groups[cid]
        r, props, pos = items[0]
        kind = props["nahraum_type"]
        try:
            seq = number(props, "seq")
            if isinstance(seq, bool) or not isinstance(seq, int):
                raise _ColumnError("seq", "ganze Zahl erwartet (Reihenfolge der Änderungen).")
            if kind == "mobile_stop":
                stops = []
                for rr, pp, ps in sorted(items, key=lambda t: number(t[1], "stop") or 0):
                    r = rr
                    xy = pos_of(rr, pp, ps)
                    if xy is None:
                        raise _SkipError
                    stops.append(
                        MobileStop(
                            x=xy[0],
                            y=xy[1],
                            hours=number(pp, "hours"),
                            weekdays=pp.get("weekdays") or (),
                            place=pp.get("place") or "",
                        )
                    )
                change = MobileService(stops=tuple(stops), **kind_fields(props))
            elif len(items) > 1:
                raise _ColumnError("change_id", f"„{cid}“ kommt mehrfach vor.")
            elif kind == "add_site":
                xy = pos_of(r, props, pos)
                if xy is None:
                    raise _SkipError
                change = AddSite(x=xy[0], y=xy[1], **kind_fields(props))
            elif kind == "outreach_day":
                at = props.get("service_id")
                xy = None if at else pos_of(r, props, pos)
                if not at and xy is None:
                    raise _SkipError
                change = OutreachDay(
                    hours=number(props, "hours"),
                    weekdays=props.get("weekdays") or (),
                    place=props.get("place") or "",
                    at_site=at or None,
                    x=None if xy is None else xy[0],
                    y=None if xy is None else xy[1],
                    **kind_fields(props),
                )
            elif kind == "move_site":
                xy = pos_of(r, props, pos)
                if xy is None:
                    raise _SkipError
                change = MoveSite(
                    service_id=props.get("service_id"),
                    x=xy[0],
                    y=xy[1],
                    id=cid,
                    created=props.get("created") or "",
                )
            else:
                change = CloseSite(
                    service_id=props.get("service_id"), id=cid, created=props.get("created") or ""
                )
            changes.append((seq, change))
        except _SkipError:
            continue
        except _ColumnError as exc:
            bad(exc.message, r, exc.column)
        except InputError as exc:
            bad(exc.message, r, _guess_column(exc.message))
    pin_objs = []
    for r, props, pos in sorted(pins, key=lambda t: number(t[1], "seq") or 0):
        try:
            xy = pos_of(r, props, pos)
            if xy is None:
                continue
            pin_objs.append(
                Pin(
                    x=xy[0],
                    y=xy[1],
                    kind=props.get("pin_kind"),
                    text=props.get("text") or "",
                    id=props.get("change_id"),
                    created=props.get("created") or "",
                )
            )
        except InputError as exc:
            bad(exc.message, r, _guess_column(exc.message) or "pin_kind")
    scenario = None
    if not problems:
        try:
            scenario = Scenario(
                name=meta.get("name"),
                changes=tuple(c for _, c in sorted(changes, key=lambda t: t[0])),
                pins=tuple(pin_objs),
                region=meta.get("region"),
                params=meta.get("params"),
                description=meta.get("description") or "",
                created=meta.get("created") or "",
                modified=meta.get("modified") or "",
                next_number=meta.get("next_number")
                if isinstance(meta.get("next_number"), int)
                else 1,
            )
        except InputError as exc:
            bad(exc.message)
    if scenario is not None:
        problems.extend(dataclasses.replace(p, file=name) for p in scenario.problems(extent))
    if problems:
        raise ScenarioFileError(
            f"{name}: Das Szenario kann nicht eingelesen werden ({len(problems)} Problem(e)).",
            problems,
            file=name,
        )
    return scenario


class _SkipError(Exception):
    pass


class _ColumnError(Exception):
    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column, self.message = column, message


_COLUMN_HINTS = (
    ("Kategorie", "category"),
    ("Angebotsart", "subcategory"),
    ("Zielgruppen", "target_groups"),
    ("Kapazität", "capacity"),
    ("Stunden", "hours"),
    ("Wochentage", "weekdays"),
    ("Name", "name"),
    ("Pin-Text", "text"),
    ("Pin-Art", "pin_kind"),
    ("Angebots-id", "service_id"),
    ("x (EPSG", "x"),
    ("y (EPSG", "y"),
    ("Ort", "place"),
)


def _guess_column(message: str) -> str | None:
    for hint, col in _COLUMN_HINTS:
        if hint in message:
            return col
    return None


def import_scenario(
    source: str | os.PathLike | bytes, filename: str | None = None, extent: Extent | None = None
) -> Scenario:
    """Read a scenario exported as GeoJSON or GeoPackage.

    Raises
    ------
    ScenarioFileError
        German message with one problem per row (feature) and column (property).
    """
    name = filename or ("Upload" if isinstance(source, bytes) else Path(source).name)
    try:
        data, name = _tables.read_source(source, name, advice="")
    except InputError as exc:
        raise ScenarioFileError(exc.message, file=name) from exc
    if data[:16].startswith(b"SQLite format 3"):
        return _import_gpkg(data, name, extent)
    obj = load_json(data, name)
    if (
        not isinstance(obj, Mapping)
        or obj.get("type") != "FeatureCollection"
        or not isinstance(obj.get("features"), list)
    ):
        raise ScenarioFileError(f"{name}: GeoJSON-FeatureCollection erwartet.", file=name)
    rows, problems = [], []
    for r, feat in enumerate(obj["features"], start=1):
        props = feat.get("properties") if isinstance(feat, Mapping) else None
        if not isinstance(props, Mapping):
            problems.append(Problem("Feature ohne Eigenschaften (properties).", r, None, name))
            continue
        unknown = [k for k in props if k not in SITE_COLUMNS]
        for k in unknown[:1]:
            problems.append(Problem(f"unbekannte Spalte „{k}“.", r, k, name))
        geom = feat.get("geometry")
        pos = None
        if geom is not None:
            coords = geom.get("coordinates") if isinstance(geom, Mapping) else None
            if not (
                isinstance(geom, Mapping)
                and geom.get("type") == "Point"
                and isinstance(coords, list)
                and len(coords) >= 2
                and all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                    for v in coords[:2]
                )
                and -180 <= coords[0] <= 180
                and -90 <= coords[1] <= 90
            ):
                problems.append(
                    Problem("Punkt mit Länge/Breite (WGS84) erwartet.", r, "geometry", name)
                )
                continue
            x, y = to_xy([coords[0]], [coords[1]])
            pos = (float(x[0]), float(y[0]))
        rows.append(({k: _cell(props.get(k)) for k in SITE_COLUMNS}, pos))
    if problems:
        raise ScenarioFileError(
            f"{name}: Das Szenario kann nicht eingelesen werden ({len(problems)} Problem(e)).",
            problems,
            file=name,
        )
    return _import_rows(rows, obj.get("nahraum"), name, extent)


def _import_gpkg(data: bytes, name: str, extent: Extent | None) -> Scenario:
    import pyogrio

    with tempfile.TemporaryDirectory(prefix="nahraum-gpkg-") as tmp:
        p = Path(tmp) / "upload.gpkg"
        p.write_bytes(data)
        try:
            layers = {str(row[0]) for row in pyogrio.list_layers(p)}
            missing = [x for x in ("scenario_sites", "scenario_meta") if x not in layers]
            if missing:
                raise ScenarioFileError(
                    f"{name}: Ebene „{missing[0]}“ fehlt; die Datei ist kein Nahraum-Szenario.",
                    file=name,
                )
            sites = pyogrio.read_dataframe(p, layer="scenario_sites")
            meta_df = pyogrio.read_dataframe(p, layer="scenario_meta", read_geometry=False)
        except ScenarioFileError:
            raise
        except Exception as exc:
            raise ScenarioFileError(
                f"{name}: kein lesbares GeoPackage. Bitte im GIS neu speichern.", file=name
            ) from exc
    meta: dict[str, Any] = {}
    if not {"key", "value"} <= set(meta_df.columns):
        raise ScenarioFileError(
            f"{name}: Tabelle „scenario_meta“ braucht die Spalten key und value.", file=name
        )
    for r, (k, v) in enumerate(zip(meta_df["key"], meta_df["value"], strict=True), start=1):
        try:
            meta[str(k)] = strict_json(v) if isinstance(v, str) else None
        except ValueError as exc:
            raise ScenarioFileError(
                f"{name}: scenario_meta Zeile {r} („{k}“): kein gültiger Wert.",
                [Problem("kein gültiger JSON-Wert.", r, "value", name)],
                file=name,
            ) from exc
    unknown = [c for c in sites.columns if c not in SITE_COLUMNS and c != sites.geometry.name]
    if unknown:
        raise ScenarioFileError(
            f"{name}: unbekannte Spalte „{unknown[0]}“ in scenario_sites.",
            [Problem(f"unbekannte Spalte „{unknown[0]}“.", None, unknown[0], name)],
            file=name,
        )
    g = sites.geometry
    if g.crs is not None and not g.crs.equals(settings.CRS_METRIC):
        g = _crs.to_metric(g)
    rows, problems = [], []
    records = sites.drop(columns=sites.geometry.name).to_dict("records")
    for r, (rec, geom) in enumerate(zip(records, g.values, strict=True), start=1):
        if geom is not None and not geom.is_empty and geom.geom_type != "Point":
            problems.append(
                Problem(f"Punkt erwartet (gefunden: {geom.geom_type}).", r, "geometry", name)
            )
            continue
        pos = None if geom is None or geom.is_empty else (float(geom.x), float(geom.y))
        rows.append(({k: _cell(rec.get(k)) for k in SITE_COLUMNS}, pos))
    if problems:
        raise ScenarioFileError(
            f"{name}: Das Szenario kann nicht eingelesen werden ({len(problems)} Problem(e)).",
            problems,
            file=name,
        )
    return _import_rows(rows, meta, name, extent)


__all__ = [
    "to_geojson",
    "export_scenario",
    "geopackage_bytes",
    "import_scenario",
    "SITE_COLUMNS",
    "SITE_TYPES",
    "META_KEYS",
]
