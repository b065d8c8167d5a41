"""OpenStreetMap parsing for the routing networks.

Reads highway ways from OSM files (XML through osmnx, PBF streamed through
pyosmium) or from an Overpass download (osmnx), and reduces every way to what
routing needs: its segments (consecutive node pairs in way order) and, per
travel mode, whether the way may be used forwards and backwards, plus the car
speed. Tags are evaluated once per way by :func:`way_profile` and then
dropped, so memory stays bounded by the road network, not by the file.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import socket
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

import numpy as np

from . import settings
from ._errors import NetworkError

log = logging.getLogger(__name__)

#: Travel modes with their own access rules (walk_slow uses the walk rules).
PROFILE_MODES = ("walk", "bike", "car")
#: OSM way tags that the access and speed rules read.
WAY_TAGS = (
    "highway",
    "area",
    "access",
    "foot",
    "bicycle",
    "vehicle",
    "motor_vehicle",
    "motorcar",
    "oneway",
    "oneway:bicycle",
    "oneway:foot",
    "junction",
    "maxspeed",
    "cycleway",
    "cycleway:left",
    "cycleway:right",
    "cycleway:both",
)
#: Overpass way filter for downloads: every highway in use (access decided locally).
OVERPASS_WAY_FILTER = (
    '["highway"]["area"!~"yes"]["highway"!~"abandoned|construction|no|planned|'
    'platform|proposed|raceway|razed|rest_area|services"]'
)

# Highway values that are never routable (not built, areas, rails for buses, …).
_NOT_ROUTABLE = frozenset(
    {
        "abandoned",
        "bus_guideway",
        "busway",
        "construction",
        "disused",
        "emergency_bay",
        "escape",
        "no",
        "planned",
        "platform",
        "proposed",
        "raceway",
        "razed",
        "rest_area",
        "services",
    }
)
_MOTORWAY = frozenset({"motorway", "motorway_link", "trunk", "trunk_link"})
# Closed to walking unless foot=yes/designated/…; motorways stay closed regardless.
_WALK_CONDITIONAL = frozenset({"cycleway", "trunk", "trunk_link"})
# Closed to cycling unless bicycle=yes/designated/…
_BIKE_CONDITIONAL = frozenset(
    {
        "footway",
        "pedestrian",
        "steps",
        "corridor",
        "bridleway",
        "elevator",
        "escalator",
        "trunk",
        "trunk_link",
    }
)
_ALWAYS_CLOSED = {
    "walk": frozenset({"motorway", "motorway_link"}),
    "bike": frozenset({"motorway", "motorway_link"}),
}
# Access tags from general to specific: the most specific tag present decides.
_ACCESS_KEYS = {
    "walk": ("access", "foot"),
    "bike": ("access", "vehicle", "bicycle"),
    "car": ("access", "vehicle", "motor_vehicle", "motorcar"),
}
_DENY = frozenset(
    {
        "no",
        "private",
        "agricultural",
        "forestry",
        "delivery",
        "emergency",
        "military",
        "use_sidepath",
        "restricted",
        "bus",
        "psv",
        "permit",
    }
)
_ALLOW = frozenset({"yes", "designated", "permissive", "official", "destination", "customers"})
_ONEWAY_YES = frozenset({"yes", "true", "1"})
_ONEWAY_REVERSE = frozenset({"-1", "reverse"})
_ONEWAY_NO = frozenset({"no", "false", "0"})
_CONTRAFLOW = frozenset({"opposite", "opposite_lane", "opposite_track", "opposite_share_busway"})
_SPEED_RE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(mph|km/h|kmh|kph)?\s*$")
_MPH = 1.609344


# ---------------------------------------------------------------------------
# Tag rules
# ---------------------------------------------------------------------------
def _access_value(tags: Mapping[str, str], mode: str) -> str | None:
    """Return the most specific access value for ``mode`` (or None)."""
    value = None
    for key in _ACCESS_KEYS[mode]:
        if key in tags:
            value = str(tags[key]).strip().lower()
    return value


def _denied(value: str | None) -> bool:
    if value is None:
        return False
    parts = {p.strip() for p in value.split(";") if p.strip()}
    return bool(parts) and parts <= _DENY


def _allowed_explicitly(value: str | None) -> bool:
    return value is not None and bool({p.strip() for p in value.split(";")} & _ALLOW)


def parse_maxspeed(value: str | None) -> float | None:
    """Parse an OSM ``maxspeed`` value into km/h (None if unusable).

    Numbers (``"50"``, ``"30 mph"``), German named limits from
    ``settings.MAXSPEED_NAMED_KMH`` (``"DE:urban"``) and lists (``"30;50"``,
    lowest wins) are understood; ``"signals"``, ``"variable"`` … are not.
    """
    if value is None:
        return None
    speeds = []
    for part in str(value).split(";"):
        part = part.strip()
        if part in settings.MAXSPEED_NAMED_KMH:
            speeds.append(settings.MAXSPEED_NAMED_KMH[part])
            continue
        match = _SPEED_RE.match(part)
        if match:
            kmh = float(match.group(1).replace(",", "."))
            speeds.append(kmh * _MPH if match.group(2) == "mph" else kmh)
    speeds = [s for s in speeds if s > 0]
    return min(speeds) if speeds else None


def _oneway(tags: Mapping[str, str], key: str = "oneway") -> int | None:
    """+1 forward only, -1 backward only, 0 both ways, None if untagged."""
    value = tags.get(key)
    if value is None:
        return None
    value = str(value).strip().lower()
    if value in _ONEWAY_YES:
        return 1
    if value in _ONEWAY_REVERSE:
        return -1
    if value in _ONEWAY_NO:
        return 0
    return None  # "reversible", "alternating": treat as untagged


def way_profile(tags: Mapping[str, str]) -> tuple[bool, bool, bool, bool, bool, bool, float]:
    """Evaluate a way's tags for routing.

    Parameters
    ----------
    tags : mapping
        OSM tags of the way (only the keys in :data:`WAY_TAGS` are read).

    Returns
    -------
    tuple
        ``(walk_fwd, walk_bwd, bike_fwd, bike_bwd, car_fwd, car_bwd, car_kmh)``;
        ``*_fwd`` means "in the direction of the way's node order";
        ``car_kmh`` is NaN where cars may not drive.
    """
    closed = (False, False, False, False, False, False, math.nan)
    highway = tags.get("highway")
    if not highway or highway in _NOT_ROUTABLE:
        return closed
    highway = str(highway).strip()
    if str(tags.get("area", "no")).lower() == "yes":
        return closed

    # one-way rules for vehicles (motorways and roundabouts imply oneway)
    oneway = _oneway(tags)
    if oneway is None:
        implied = highway == "motorway" or tags.get("junction") in ("roundabout", "circular")
        oneway = 1 if implied else 0

    out: list = []
    for mode in PROFILE_MODES:
        value = _access_value(tags, mode)
        if mode == "car":
            ok = highway in settings.CAR_SPEED_DEFAULTS_KMH and not _denied(value)
        elif highway in _ALWAYS_CLOSED[mode]:
            ok = False
        elif highway in (_WALK_CONDITIONAL if mode == "walk" else _BIKE_CONDITIONAL):
            ok = _allowed_explicitly(value)
        else:
            ok = not _denied(value)
        if not ok:
            out += [False, False]
            continue
        if mode == "walk":
            direction = _oneway(tags, "oneway:foot") or 0
        elif mode == "bike":
            direction = _oneway(tags, "oneway:bicycle")
            if direction is None:
                contraflow = any(
                    str(tags.get(k, "")).lower() in _CONTRAFLOW
                    for k in ("cycleway", "cycleway:left", "cycleway:right", "cycleway:both")
                )
                direction = 0 if contraflow else oneway
        else:
            direction = oneway
        out += [direction >= 0, direction <= 0]
    if out[4] or out[5]:
        kmh = parse_maxspeed(tags.get("maxspeed"))
        if kmh is None:
            kmh = settings.CAR_SPEED_DEFAULTS_KMH[highway]
        out.append(float(kmh))
    else:
        out.append(math.nan)
    return tuple(out)  # type: ignore[return-value]


# ---------------------------------------------------------------------------
# The parsed network: segments + per-way profiles
# ---------------------------------------------------------------------------
@dataclass
class OsmWays:
    """Highway segments of an OSM source, reduced to what routing needs.

    Attributes
    ----------
    node_ids : int64 array, sorted, unique OSM node ids used by segments
    lon, lat : float64 arrays aligned with ``node_ids`` (WGS84)
    seg_u, seg_v : int64 arrays, node positions of each segment in way order
    seg_way : int64 array, way position of each segment
    way_ids : int64 array, OSM way ids
    profile : float64 array (n_ways, 7), columns as returned by :func:`way_profile`
    source : str, file name (or "Overpass-Download") shown in model labels
    parser : str, which code read it
    """

    node_ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    seg_u: np.ndarray
    seg_v: np.ndarray
    seg_way: np.ndarray
    way_ids: np.ndarray
    profile: np.ndarray
    source: str
    parser: str
    notes: list[str] = field(default_factory=list)

    @property
    def n_segments(self) -> int:
        return int(self.seg_u.size)

    def segment_lengths(self) -> np.ndarray:
        """Great-circle length of each segment in metres (osmnx's formula)."""
        from osmnx.distance import great_circle

        return np.asarray(
            great_circle(
                self.lat[self.seg_u],
                self.lon[self.seg_u],
                self.lat[self.seg_v],
                self.lon[self.seg_v],
            ),
            dtype=float,
        )

    def access(self, mode: str) -> tuple[np.ndarray, np.ndarray]:
        """Per segment: may ``mode`` use it forwards / backwards."""
        col = {"walk": 0, "walk_slow": 0, "bike": 2, "car": 4}[mode]
        prof = self.profile[self.seg_way]
        return prof[:, col] > 0, prof[:, col + 1] > 0

    def car_kmh(self) -> np.ndarray:
        """Per segment car speed in km/h (NaN where cars may not drive)."""
        return self.profile[self.seg_way, 6]


def _assemble(
    way_ids: list[int],
    profiles: list[tuple],
    seg_u_osm: np.ndarray,
    seg_v_osm: np.ndarray,
    seg_way: np.ndarray,
    node_ids: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    source: str,
    parser: str,
) -> OsmWays:
    """Build :class:`OsmWays` from segment endpoints given as OSM ids."""
    order = np.argsort(node_ids, kind="stable")
    node_ids, lon, lat = node_ids[order], lon[order], lat[order]
    pu = np.searchsorted(node_ids, seg_u_osm)
    pv = np.searchsorted(node_ids, seg_v_osm)
    n = node_ids.size
    found = (pu < n) & (pv < n)
    found[found] = (node_ids[pu[found]] == seg_u_osm[found]) & (
        node_ids[pv[found]] == seg_v_osm[found]
    )
    notes = []
    missing = int((~found).sum())
    if missing:
        notes.append(f"{missing} Wegabschnitte ohne Knotenkoordinaten (Ausschnittsrand) verworfen")
    pu, pv, seg_way = pu[found], pv[found], seg_way[found]
    # keep only nodes used by a segment
    used = np.zeros(n, dtype=bool)
    used[pu] = True
    used[pv] = True
    remap = np.cumsum(used) - 1
    profile = np.asarray(profiles, dtype=float).reshape(-1, 7) if profiles else np.zeros((0, 7))
    return OsmWays(
        node_ids=node_ids[used],
        lon=lon[used],
        lat=lat[used],
        seg_u=remap[pu].astype(np.int64),
        seg_v=remap[pv].astype(np.int64),
        seg_way=seg_way.astype(np.int64),
        way_ids=np.asarray(way_ids, dtype=np.int64),
        profile=profile,
        source=source,
        parser=parser,
        notes=notes,
    )


def _no_highways(source: str) -> NetworkError:
    return NetworkError(
        f"{source}: Die OSM-Daten enthalten keine Straßen oder Wege (kein Objekt mit "
        "„highway“-Tag). Bitte einen OSM-Ausschnitt mit Straßennetz verwenden."
    )


# ---------------------------------------------------------------------------
# PBF (and any format libosmium reads), streamed with pyosmium
# ---------------------------------------------------------------------------
def read_pyosmium(path: str | Path) -> OsmWays:
    """Stream highway ways from an OSM file with pyosmium (two passes).

    Pass 1 reads only ways with a ``highway`` tag (their node references and a
    per-way profile); pass 2 reads only the nodes those ways reference. Memory
    is therefore bounded by the road network, not by the file.
    """
    import osmium

    path = Path(path)
    way_ids: list[int] = []
    profiles: list[tuple] = []
    seg_u, seg_v, seg_w = array("q"), array("q"), array("q")
    try:
        ways = osmium.FileProcessor(str(path), osmium.osm.WAY).with_filter(
            osmium.filter.KeyFilter("highway")
        )
        for way in ways:
            tags = {k: way.tags[k] for k in WAY_TAGS if k in way.tags}
            prof = way_profile(tags)
            if not any(prof[:6]):
                continue
            refs = [n.ref for n in way.nodes]
            refs = [r for i, r in enumerate(refs) if i == 0 or r != refs[i - 1]]
            if len(refs) < 2:
                continue
            w = len(way_ids)
            way_ids.append(way.id)
            profiles.append(prof)
            seg_u.extend(refs[:-1])
            seg_v.extend(refs[1:])
            seg_w.extend([w] * (len(refs) - 1))
        if not way_ids:
            raise _no_highways(path.name)
        u = np.frombuffer(seg_u, dtype=np.int64)
        v = np.frombuffer(seg_v, dtype=np.int64)
        needed = np.unique(np.concatenate([u, v]))
        ids, lons, lats = array("q"), array("d"), array("d")
        # feed the ids in chunks: no 10-million-element Python list for a state extract
        id_stream = chain.from_iterable(
            needed[i : i + 1_000_000].tolist() for i in range(0, needed.size, 1_000_000)
        )
        nodes = osmium.FileProcessor(str(path), osmium.osm.NODE).with_filter(
            osmium.filter.IdFilter(id_stream)
        )
        for node in nodes:
            loc = node.location
            if loc.valid():
                ids.append(node.id)
                lons.append(loc.lon)
                lats.append(loc.lat)
    except NetworkError:
        raise
    except (RuntimeError, OSError, ValueError, osmium.InvalidLocationError) as exc:
        raise NetworkError(
            f"{path.name}: Die OSM-Datei kann nicht gelesen werden ({exc})."
        ) from exc
    return _assemble(
        way_ids,
        profiles,
        u,
        v,
        np.frombuffer(seg_w, dtype=np.int64),
        np.frombuffer(ids, dtype=np.int64).copy(),
        np.frombuffer(lons).copy(),
        np.frombuffer(lats).copy(),
        path.name,
        "pyosmium",
    )


# ---------------------------------------------------------------------------
# osmnx: XML files and Overpass downloads
# ---------------------------------------------------------------------------
@contextlib.contextmanager
def osmnx_settings(**overrides) -> Iterator[None]:
    """Temporarily set ``osmnx.settings`` so every way keeps its raw form.

    ``all_oneway=True`` adds each way once, in node order, and keeps its
    original ``oneway`` tag (our per-mode rules decide directions);
    ``useful_tags_way`` carries the tags :func:`way_profile` reads. osmnx's
    DNS pinning (which replaces ``socket.getaddrinfo``) is undone afterwards.
    """
    import osmnx as ox

    values = {"all_oneway": True, "useful_tags_way": list(WAY_TAGS), **overrides}
    saved = {k: getattr(ox.settings, k) for k in values}
    getaddrinfo = socket.getaddrinfo
    try:
        for k, v in values.items():
            setattr(ox.settings, k, v)
        yield
    finally:
        for k, v in saved.items():
            setattr(ox.settings, k, v)
        socket.getaddrinfo = getaddrinfo


def from_osmnx_graph(G, source: str, parser: str = "osmnx") -> OsmWays:
    """Convert an osmnx graph built with :func:`osmnx_settings` to :class:`OsmWays`."""
    way_pos: dict[int, int] = {}
    way_ids: list[int] = []
    profiles: list[tuple] = []
    us, vs, ws = array("q"), array("q"), array("q")
    for u, v, data in G.edges(data=True):
        if "highway" not in data:
            continue  # graph_from_xml keeps ways without highway (landuse, buildings …)
        osmid = data["osmid"]
        pos = way_pos.get(osmid)
        if pos is None:
            prof = way_profile({k: data[k] for k in WAY_TAGS if k in data})
            pos = -1 if not any(prof[:6]) else len(way_ids)
            way_pos[osmid] = pos
            if pos >= 0:
                way_ids.append(osmid)
                profiles.append(prof)
        if pos >= 0 and u != v:
            us.append(u)
            vs.append(v)
            ws.append(pos)
    if not way_ids:
        raise _no_highways(source)
    u = np.frombuffer(us, dtype=np.int64)
    v = np.frombuffer(vs, dtype=np.int64)
    needed = np.unique(np.concatenate([u, v]))
    lon = np.array([G.nodes[n]["x"] for n in needed.tolist()], dtype=float)
    lat = np.array([G.nodes[n]["y"] for n in needed.tolist()], dtype=float)
    return _assemble(
        way_ids, profiles, u, v, np.frombuffer(ws, dtype=np.int64), needed, lon, lat, source, parser
    )


def read_xml(path: str | Path) -> OsmWays:
    """Read an OSM XML file (.osm, .osm.gz, .osm.bz2) with ``osmnx.graph_from_xml``.

    Files whose ways reference nodes that are not in the file (cut without
    ``complete_ways``) make osmnx fail; they are then streamed with pyosmium,
    which drops the incomplete segments.
    """
    import osmnx as ox

    path = Path(path)
    if not path.is_file():
        raise NetworkError(f"OSM-Datei nicht gefunden: {path}")
    try:
        with osmnx_settings():
            G = ox.graph_from_xml(path, bidirectional=False, simplify=False, retain_all=True)
    except ValueError as exc:  # osmnx: "Some edges missing nodes"
        log.info("osmnx could not read %s (%s); streaming with pyosmium", path.name, exc)
        ways = read_pyosmium(path)
        ways.notes.append("osmnx: unvollständige Wege, mit pyosmium gelesen")
        return ways
    except Exception as exc:
        if exc.__class__.__name__ == "InsufficientResponseError":
            raise _no_highways(path.name) from exc
        raise NetworkError(
            f"{path.name}: Die OSM-XML-Datei kann nicht gelesen werden "
            "(kein gültiges OSM-XML oder unvollständig). Bitte die Datei neu "
            "exportieren."
        ) from exc
    return from_osmnx_graph(G, path.name, "osmnx.graph_from_xml")


def download(polygon_4326, cache_folder: str | Path | None = None) -> OsmWays:
    """Download the highways inside a WGS84 polygon from Overpass with osmnx.

    Uses ``osmnx.graph_from_polygon`` and ``osmnx.settings.overpass_url``
    (set it to use another Overpass server). With ``cache_folder`` osmnx
    caches the raw responses there; otherwise nothing is cached.
    """
    import osmnx as ox

    extra = (
        {"use_cache": True, "cache_folder": str(cache_folder)}
        if cache_folder
        else {"use_cache": False}
    )
    try:
        with osmnx_settings(**extra):
            G = ox.graph_from_polygon(
                polygon_4326,
                custom_filter=OVERPASS_WAY_FILTER,
                simplify=False,
                retain_all=True,
                truncate_by_edge=True,
            )
    except Exception as exc:
        name = exc.__class__.__name__
        if name == "InsufficientResponseError":
            raise _no_highways("Overpass-Download") from exc
        raise NetworkError(
            f"Das Straßennetz konnte nicht von Overpass geladen werden ({name}: {exc}). "
            "Bitte Internetverbindung prüfen oder eine OSM-Datei angeben (--osm DATEI)."
        ) from exc
    return from_osmnx_graph(G, "Overpass-Download", "osmnx.graph_from_polygon")


def read_osm(path: str | Path) -> OsmWays:
    """Read highways from an OSM file: XML via osmnx, PBF (and o5m) via pyosmium."""
    path = Path(path)
    if not path.is_file():
        raise NetworkError(f"OSM-Datei nicht gefunden: {path}")
    name = path.name.lower()
    if name.endswith((".osm", ".osm.gz", ".osm.bz2", ".xml", ".xml.gz", ".xml.bz2")):
        return read_xml(path)
    if name.endswith((".pbf", ".o5m", ".opl")):
        return read_pyosmium(path)
    raise NetworkError(
        f"{path.name}: Unbekanntes OSM-Format. Erwartet wird .osm, .osm.gz, .osm.bz2 oder .osm.pbf."
    )
