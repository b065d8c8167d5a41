"""Services from OpenStreetMap POIs (amenity, healthcare, office tags).

Streams any OSM file that pyosmium reads (.osm, .osm.gz, .osm.bz2, .osm.pbf)
in at most three passes: tagged objects, then the member ways of multipolygon
relations, then the nodes those ways reference. Nodes keep their position;
ways and multipolygons are placed at their centroid. The result is a
DataFrame in the service schema (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from . import services
from ._errors import DataFileError

SCHEMA_COLUMNS = list(services.SCHEMA_COLUMNS)  # the service schema, in its order
SOURCE = "OpenStreetMap"
STATUS = "ungeprüft"  # OSM entries must be checked by the planner
POI_KEYS = ("amenity", "healthcare", "office", "social_facility")
_READ_TAGS = (
    "amenity",
    "healthcare",
    "healthcare:counselling",
    "office",
    "government",
    "social_facility",
    "social_facility:for",
    "community_centre",
    "community_centre:for",
    "name",
    "official_name",
    "operator",
    "addr:street",
    "addr:housenumber",
    "addr:postcode",
    "addr:city",
    "addr:place",
    "addr:suburb",
    "addr:hamlet",
    "capacity",
    "opening_hours",
    "type",
)
_GOVERNMENT = {
    "social_services": "Sozialamt",
    "tax": "Finanzamt",
    "register_office": "Standesamt",
    "youth_welfare": "Jugendamt",
    "health": "Gesundheitsamt",
    "education": "Schulamt",
    "administrative": "Verwaltung",
    "employment_agency": "Arbeitsagentur",
}
#: ``amenity`` values with one (category, subcategory) each.
_AMENITY: dict[str, tuple[str, str]] = {
    "nursing_home": ("Senioren", "Pflegeheim"),
    "kindergarten": ("Familie", "Kita"),
    "childcare": ("Familie", "Kinderbetreuung"),
    "school": ("Bildung", "Schule"),
    "library": ("Bildung", "Bibliothek"),
    "college": ("Bildung", "Berufs- oder Volkshochschule"),
    "townhall": ("Behörde", "Rathaus"),
    "youth_centre": ("Jugend", "Jugendzentrum"),
    "family_centre": ("Familie", "Familienzentrum"),
    "social_centre": ("Familie", "Soziales Zentrum"),
    "refugee_site": ("Integration", "Flüchtlingsunterkunft"),
}
_COUNSELLING = {
    "addiction": "Suchtberatung",
    "drugs": "Suchtberatung",
    "family": "Familienberatung",
    "couple": "Paar- und Familienberatung",
    "child_guidance": "Erziehungsberatung",
    "antenatal": "Schwangerschaftsberatung",
    "pregnancy": "Schwangerschaftsberatung",
    "violence": "Beratung bei Gewalt",
    "sexual_abuse": "Beratung bei Gewalt",
    "victim": "Opferberatung",
    "immigrants": "Migrationsberatung",
    "debt": "Schuldnerberatung",
}


def _has(value: str | None, *words: str) -> bool:
    return value is not None and any(w in value.lower() for w in words)


def classify(tags: Mapping[str, str]) -> tuple[str, str] | None:
    """Map OSM tags to ``(category, subcategory)`` of ``settings.CATEGORIES``.

    Returns None for objects that are not social services.
    """
    amenity = tags.get("amenity")
    sf, sf_for = tags.get("social_facility"), tags.get("social_facility:for")
    if amenity == "social_facility" or (sf and amenity is None):
        if sf in ("nursing_home", "assisted_living") or _has(sf_for, "senior"):
            return "Senioren", {
                "nursing_home": "Pflegeheim",
                "assisted_living": "Betreutes Wohnen",
            }.get(sf, "Seniorenhilfe")
        if _has(sf_for, "juvenile", "child", "youth"):
            return "Jugend", "Kinder- und Jugendhilfe"
        if _has(sf_for, "migrant", "refugee"):
            return "Integration", "Migrations- und Flüchtlingshilfe"
        if _has(sf_for, "family"):
            return "Familie", "Familienhilfe"
        return "Beratung", {
            "food_bank": "Tafel",
            "shelter": "Notunterkunft",
            "outreach": "Aufsuchende Sozialarbeit",
        }.get(sf, "Soziale Einrichtung")
    if amenity in _AMENITY:
        return _AMENITY[amenity]
    if amenity == "community_centre":
        cc, cc_for = tags.get("community_centre"), tags.get("community_centre:for")
        if cc == "youth_centre" or _has(cc_for, "juvenile", "child", "youth"):
            return "Jugend", "Jugendzentrum"
        if cc == "senior_centre" or _has(cc_for, "senior"):
            return "Senioren", "Seniorentreff"
        if cc == "family_centre" or _has(cc_for, "family"):
            return "Familie", "Familienzentrum"
        return "Familie", "Gemeinschaftszentrum"
    if tags.get("healthcare") == "counselling":
        kind = (tags.get("healthcare:counselling") or "").split(";")[0].strip()
        sub = _COUNSELLING.get(kind, "Beratungsstelle")
        return ("Integration" if kind == "immigrants" else "Beratung"), sub
    office = tags.get("office")
    if office == "government":
        return "Behörde", _GOVERNMENT.get(tags.get("government", ""), "Behörde")
    if office == "employment_agency":
        return "Behörde", "Arbeitsagentur/Jobcenter"
    return None


def _row(
    kind: str, osm_id: int, tags: Mapping[str, str], cat: str, sub: str, lon: float, lat: float
) -> dict:
    street = tags.get("addr:street", "")
    if street and tags.get("addr:housenumber"):
        street = f"{street} {tags['addr:housenumber']}"
    capacity = pd.to_numeric(tags.get("capacity"), errors="coerce")
    return {
        "id": f"osm-{kind}-{osm_id}",
        "name": tags.get("name") or tags.get("official_name") or f"{sub} (ohne Namen)",
        "category": cat,
        "subcategory": sub,
        "provider": tags.get("operator", ""),
        "street": street,
        "postcode": tags.get("addr:postcode", ""),
        "town": tags.get("addr:city") or tags.get("addr:place", ""),
        "ortsteil": tags.get("addr:suburb") or tags.get("addr:hamlet", ""),
        "lat": round(float(lat), 7),
        "lon": round(float(lon), 7),
        "capacity": capacity,
        "opening_hours": tags.get("opening_hours", ""),
        "outreach_days": "",
        "target_groups": "",
        "source": SOURCE,
        "status": STATUS,
    }


def _centroid(lines: list[np.ndarray]) -> tuple[float, float] | None:
    """Centroid of closed rings (as polygons) or, failing that, of the lines."""
    lines = [ln for ln in lines if len(ln) >= 2]
    if not lines:
        return None
    geoms = shapely.linestrings(lines) if len(lines) > 1 else [shapely.linestrings(lines[0])]
    polys = shapely.get_parts(shapely.polygonize(geoms))
    geom = shapely.union_all(polys) if len(polys) else shapely.union_all(geoms)
    c = shapely.centroid(geom)
    if c.is_empty:
        return None
    return float(c.x), float(c.y)


def _drop_duplicates(frame: pd.DataFrame, within_m: float) -> pd.DataFrame:
    """Drop a POI mapped twice (node and building) with the same name and category."""
    if frame.empty or within_m <= 0:
        return frame
    key = frame["category"] + "|" + frame["name"].str.strip().str.lower()
    lat0 = np.deg2rad(frame["lat"].to_numpy())
    x = np.deg2rad(frame["lon"].to_numpy()) * np.cos(lat0) * 6_371_000.0
    y = lat0 * 6_371_000.0
    drop = np.zeros(len(frame), dtype=bool)
    for _, idx in frame.groupby(key, sort=False).indices.items():
        for a, i in enumerate(idx):
            if drop[i]:
                continue
            for j in idx[a + 1 :]:
                if np.hypot(x[i] - x[j], y[i] - y[j]) <= within_m:
                    drop[j] = True
    return frame[~drop].reset_index(drop=True)


def read_osm_services(path: str | Path, dedupe_m: float = 100.0) -> pd.DataFrame:
    """Import social services from the POIs of an OSM file.

    Parameters
    ----------
    path : path
        OSM XML (.osm, .osm.gz, .osm.bz2) or PBF file.

    Returns
    -------
    DataFrame
        Service schema columns (``SCHEMA_COLUMNS``), one row per POI; ids are
        ``osm-node-…``, ``osm-way-…`` or ``osm-relation-…``. A service mapped
        twice (e.g. as node and as building) with the same name and category
        within ``dedupe_m`` metres is kept once (nodes first).
    """
    import osmium

    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"OSM-Datei nicht gefunden: {path}")
    rows: list[dict] = []
    ways: dict[int, tuple[dict, tuple[str, str], list[int]]] = {}
    rels: dict[int, tuple[dict, tuple[str, str], list[int]]] = {}
    try:
        objs = osmium.FileProcessor(str(path)).with_filter(osmium.filter.KeyFilter(*POI_KEYS))
        for obj in objs:
            tags = {k: obj.tags[k] for k in _READ_TAGS if k in obj.tags}
            cls = classify(tags)
            if cls is None:
                continue
            if obj.is_node():
                if obj.location.valid():
                    rows.append(
                        _row("node", obj.id, tags, *cls, obj.location.lon, obj.location.lat)
                    )
            elif obj.is_way():
                ways[obj.id] = (tags, cls, [n.ref for n in obj.nodes])
            elif obj.is_relation() and tags.get("type") == "multipolygon":
                members = [m.ref for m in obj.members if m.type == "w" and m.role != "inner"]
                rels[obj.id] = (tags, cls, members)
        member_refs: dict[int, list[int]] = {}
        wanted = {w for _, _, ms in rels.values() for w in ms}
        if wanted:
            for way in osmium.FileProcessor(str(path), osmium.osm.WAY).with_filter(
                osmium.filter.IdFilter(sorted(wanted))
            ):
                member_refs[way.id] = [n.ref for n in way.nodes]
        need = {r for _, _, refs in ways.values() for r in refs}
        need.update(r for refs in member_refs.values() for r in refs)
        loc: dict[int, tuple[float, float]] = {}
        if need:
            for node in osmium.FileProcessor(str(path), osmium.osm.NODE).with_filter(
                osmium.filter.IdFilter(sorted(need))
            ):
                if node.location.valid():
                    loc[node.id] = (node.location.lon, node.location.lat)
    except (RuntimeError, OSError, ValueError, osmium.InvalidLocationError) as exc:
        raise DataFileError(
            f"{path.name}: Die OSM-Datei kann nicht gelesen werden ({exc})."
        ) from exc

    def coords(refs: list[int]) -> np.ndarray:
        return np.array([loc[r] for r in refs if r in loc], dtype=float).reshape(-1, 2)

    for kind, items, get_lines in (
        ("way", ways, lambda refs: [coords(refs)]),
        ("relation", rels, lambda members: [coords(member_refs.get(w, [])) for w in members]),
    ):
        for osm_id, (tags, cls, refs) in items.items():
            c = _centroid(get_lines(refs))
            if c is not None:
                rows.append(_row(kind, osm_id, tags, *cls, *c))
    frame = pd.DataFrame(rows, columns=SCHEMA_COLUMNS)
    kind_order = frame["id"].str.split("-").str[1].map({"node": 0, "way": 1, "relation": 2})
    frame = frame.assign(_k=kind_order).sort_values(["_k", "id"], kind="stable")
    return _drop_duplicates(frame.drop(columns="_k").reset_index(drop=True), dedupe_m)
