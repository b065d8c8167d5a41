"""Routing networks per travel mode, stored as CSR arrays.

A :class:`Network` is a directed graph in compressed sparse row form: for
node ``i`` its outgoing arcs are ``indices[indptr[i]:indptr[i+1]]`` with travel
times ``weights`` (seconds) and lengths ``lengths`` (metres). Node coordinates
are EPSG:3035 metres, node ids are OSM ids. Each network keeps only its
largest strongly connected component, so every node can reach every other.

>>> nets = build_networks("north-bayreuth.osm.gz", modes=("walk", "car"))
>>> nets["car"].save("cache/network/car.npz")
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components, dijkstra, reverse_cuthill_mckee
from scipy.spatial import cKDTree

from . import _crs, _osm, settings
from ._errors import CacheError, NetworkError
from ._io import atomic_path, file_digest, write_json_atomic
from ._text import de_decimal, de_number

log = logging.getLogger(__name__)

ALL_MODES: tuple[str, ...] = tuple(settings.MODES)
FORMAT_VERSION = 1
#: Bump when access or speed rules change: cached networks are then rebuilt.
RULES_VERSION = 1
_SNAP_CACHE_SIZE = 4
_CHUNK_FLOATS = 20_000_000  # dense rows per Dijkstra chunk: at most ~160 MB


def _to_metric():
    return _crs.transformer(settings.CRS_DISPLAY, settings.CRS_METRIC)


def _to_display():
    return _crs.transformer(settings.CRS_METRIC, settings.CRS_DISPLAY)


def to_xy(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat → EPSG:3035 x, y."""
    x, y = _to_metric().transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def to_lonlat(x, y) -> tuple[np.ndarray, np.ndarray]:
    """EPSG:3035 x, y → WGS84 lon/lat."""
    lon, lat = _to_display().transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def lonlat_to_xy(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Project WGS84 lon/lat to EPSG:3035; returns an (n, 2) array."""
    return np.column_stack(to_xy(lon, lat))


def access_speed_mps(mode: str) -> float:
    """Walking speed (m/s) for the way from a point to the network."""
    kmh = settings.WALK_SLOW_SPEED_KMH if mode == "walk_slow" else settings.WALK_SPEED_KMH
    return kmh / 3.6


@dataclass
class Snap:
    """Points snapped to their nearest network node.

    ``node`` is -1 and ``off`` is True where the nearest node is farther
    than the snap limit; ``dist_m`` is the straight-line distance to the
    nearest node (also where off).
    """

    node: np.ndarray
    dist_m: np.ndarray
    off: np.ndarray


@dataclass(eq=False)
class Network:
    """A routable network for one travel mode (CSR arrays, EPSG:3035 nodes).

    Attributes
    ----------
    mode : str
        Key of ``settings.MODES``.
    indptr, indices : int32 arrays
        CSR structure of the directed arcs.
    weights : float64 array
        Travel time of each arc in seconds.
    lengths : float64 array
        Length of each arc in metres.
    x, y : float64 arrays
        Node coordinates in EPSG:3035.
    osm_ids : int64 array
        OSM node id of each node.
    meta : dict
        Source file, parser, build time, share of nodes kept, …
    """

    mode: str
    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray
    lengths: np.ndarray
    x: np.ndarray
    y: np.ndarray
    osm_ids: np.ndarray
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._snaps: OrderedDict[tuple, Snap] = OrderedDict()
        self._lock = threading.Lock()  # the app may call from several threads

    # -- basic properties ------------------------------------------------
    @property
    def n_nodes(self) -> int:
        return int(self.x.size)

    @property
    def n_edges(self) -> int:
        return int(self.indices.size)

    @property
    def source(self) -> str:
        return str(self.meta.get("source", "OSM"))

    @property
    def xy(self) -> np.ndarray:
        return np.column_stack([self.x, self.y])

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (float(self.x.min()), float(self.y.min()), float(self.x.max()), float(self.y.max()))

    @cached_property
    def csr(self) -> sp.csr_matrix:
        """Arc travel times (seconds) as a sparse matrix, row = from node."""
        n = self.n_nodes
        return sp.csr_matrix((self.weights, self.indices, self.indptr), shape=(n, n))

    @cached_property
    def csr_reverse(self) -> sp.csr_matrix:
        """Transposed graph: searches on it give times *to* the start nodes."""
        rev = self.csr.T.tocsr()
        rev.sort_indices()
        return rev

    def length_csr(self) -> sp.csr_matrix:
        """Arc lengths (metres) as a sparse matrix."""
        n = self.n_nodes
        return sp.csr_matrix((self.lengths, self.indices, self.indptr), shape=(n, n))

    @cached_property
    def tree(self) -> cKDTree:
        return cKDTree(self.xy)

    def edge_list(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Arcs as ``(from, to, seconds)`` arrays."""
        rows = np.repeat(np.arange(self.n_nodes), np.diff(self.indptr))
        return rows, self.indices.astype(np.int64), self.weights

    # -- snapping --------------------------------------------------------
    def snap(self, xy: np.ndarray, limit_m: float | None = None) -> Snap:
        """Snap points (EPSG:3035, shape (n, 2)) to the nearest node.

        Points farther than ``limit_m`` (default ``settings.SNAP_LIMIT_M``)
        are flagged ``off`` and get node -1. Results for the last few point
        arrays are cached, so repeated fields for the same cells are cheap.
        """
        xy = np.ascontiguousarray(np.asarray(xy, dtype=float).reshape(-1, 2))
        limit = settings.SNAP_LIMIT_M if limit_m is None else float(limit_m)
        key = (xy.shape[0], limit, hashlib.blake2b(xy.tobytes(), digest_size=16).digest())
        with self._lock:
            hit = self._snaps.get(key)
            if hit is not None:
                self._snaps.move_to_end(key)
                return hit
        if xy.shape[0] == 0:
            snap = Snap(np.zeros(0, np.int64), np.zeros(0), np.zeros(0, bool))
        else:
            dist, node = self.tree.query(xy, workers=-1)
            off = ~(dist <= limit)
            node = np.where(off, -1, node).astype(np.int64)
            snap = Snap(node, dist, off)
        for arr in (snap.node, snap.dist_m, snap.off):
            arr.setflags(write=False)
        with self._lock:
            self._snaps[key] = snap
            if len(self._snaps) > _SNAP_CACHE_SIZE:
                self._snaps.popitem(last=False)
        return snap

    # -- persistence -----------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the network to an ``.npz`` file atomically."""
        path = Path(path)
        arrays = {
            "indptr": self.indptr,
            "indices": self.indices,
            "weights": self.weights,
            "lengths": self.lengths,
            "x": self.x,
            "y": self.y,
            "osm_ids": self.osm_ids,
            "mode": np.array(self.mode),
            "meta": np.array(
                json.dumps({**self.meta, "format": FORMAT_VERSION}, ensure_ascii=False, default=str)
            ),
        }
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path) -> Network:
        """Read a network written by :meth:`save`."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
            meta = json.loads(str(arrays.pop("meta")))
            mode = str(arrays.pop("mode"))
            net = cls(mode=mode, meta=meta, **arrays)
        except FileNotFoundError as exc:
            raise NetworkError(f"Straßennetz-Datei nicht gefunden: {path}") from exc
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CacheError(
                f"Die Straßennetz-Datei {path.name} ist beschädigt. "
                "Bitte das Netz neu erstellen (nahraum network build)."
            ) from exc
        if meta.get("format") != FORMAT_VERSION or net.indptr.size != net.n_nodes + 1:
            raise CacheError(
                f"Die Straßennetz-Datei {path.name} hat ein veraltetes Format. "
                "Bitte das Netz neu erstellen (nahraum network build)."
            )
        return net

    @classmethod
    def from_arcs(
        cls, mode: str, u, v, seconds, x, y, lengths=None, osm_ids=None, meta: dict | None = None
    ) -> Network:
        """Build a network directly from arcs (for tests and synthetic graphs).

        Parallel arcs keep the fastest; no component filtering is done.
        """
        u, v = np.asarray(u, dtype=np.int64), np.asarray(v, dtype=np.int64)
        w = np.asarray(seconds, dtype=float)
        length = w.copy() if lengths is None else np.asarray(lengths, dtype=float)
        n = int(np.asarray(x).size)
        order = np.lexsort((w, v, u))
        u, v, w, length = u[order], v[order], w[order], length[order]
        first = np.r_[True, (u[1:] != u[:-1]) | (v[1:] != v[:-1])] if u.size else u.astype(bool)
        u, v, w, length = u[first], v[first], w[first], length[first]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(u, minlength=n), out=indptr[1:])
        ids = np.arange(n, dtype=np.int64) if osm_ids is None else np.asarray(osm_ids, np.int64)
        return cls(
            mode=mode,
            indptr=indptr.astype(np.int32),
            indices=v.astype(np.int32),
            weights=w,
            lengths=length,
            x=np.asarray(x, dtype=float).copy(),
            y=np.asarray(y, dtype=float).copy(),
            osm_ids=ids,
            meta={"mode": mode, "source": "synthetisch", **(meta or {})},
        )

    def reordered(self, order: np.ndarray | None = None) -> Network:
        """Copy with the nodes renumbered for cache-friendly searches.

        The default order is reverse Cuthill–McKee, which puts neighbours
        close together in memory; Dijkstra on an OSM network in OSM-id order
        is several times slower than on the same network in this order.
        """
        if order is None:
            order = reverse_cuthill_mckee(self.csr, symmetric_mode=False)
        order = np.asarray(order, dtype=np.int64)
        new = np.empty_like(order)
        new[order] = np.arange(order.size)
        rows, cols, w = self.edge_list()
        u, v = new[rows], new[cols]
        arc = np.lexsort((v, u))
        indptr = np.zeros(self.n_nodes + 1, dtype=np.int64)
        np.cumsum(np.bincount(u, minlength=self.n_nodes), out=indptr[1:])
        return Network(
            mode=self.mode,
            indptr=indptr.astype(np.int32),
            indices=v[arc].astype(np.int32),
            weights=w[arc],
            lengths=self.lengths[arc],
            x=self.x[order],
            y=self.y[order],
            osm_ids=self.osm_ids[order],
            meta=dict(self.meta),
        )

    def __repr__(self) -> str:
        return (
            f"Network(mode={self.mode!r}, nodes={self.n_nodes:,}, arcs={self.n_edges:,}, "
            f"source={self.source!r})"
        )


# ---------------------------------------------------------------------------
# Shortest paths between nodes
# ---------------------------------------------------------------------------
def shortest_times(
    net: Network,
    sources: Iterable[int],
    targets: Iterable[int] | None = None,
    *,
    limit: float = np.inf,
    lengths: bool = False,
) -> np.ndarray:
    """Travel times (seconds) from each source node to each target node.

    Runs one single-source Dijkstra per *unique* source (in chunks that keep
    the dense rows below ~160 MB). Returns shape ``(len(sources), len(targets))``
    (all nodes if ``targets`` is None); unreachable pairs are ``inf``. With
    ``lengths=True`` the arcs are weighted by metres instead.
    """
    src = np.asarray(
        list(sources) if not isinstance(sources, np.ndarray) else sources, dtype=np.int64
    ).ravel()
    tgt = (
        None
        if targets is None
        else np.asarray(
            list(targets) if not isinstance(targets, np.ndarray) else targets, dtype=np.int64
        ).ravel()
    )
    graph = net.length_csr() if lengths else net.csr
    uniq, inverse = np.unique(src, return_inverse=True)
    width = net.n_nodes if tgt is None else tgt.size
    out = np.empty((uniq.size, width))
    chunk = max(1, _CHUNK_FLOATS // max(net.n_nodes, 1))
    for start in range(0, uniq.size, chunk):
        d = dijkstra(graph, indices=uniq[start : start + chunk], limit=limit)
        out[start : start + chunk] = d if tgt is None else d[:, tgt]
    return out[inverse]


# ---------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------
def _as_clip(clip) -> shapely.Geometry | None:
    if clip is None:
        return None
    if isinstance(clip, (tuple, list)) and len(clip) == 4:
        return shapely.box(*clip)
    geom = clip if isinstance(clip, shapely.Geometry) else shapely.geometry.shape(clip)
    return shapely.make_valid(geom)


def _mode_speed_kmh(mode: str, ways: _osm.OsmWays, fwd: np.ndarray, bwd: np.ndarray) -> np.ndarray:
    if mode == "car":
        kmh = ways.car_kmh()
        return np.concatenate([kmh[fwd], kmh[bwd]])
    speed = settings.MODES[mode].speed_kmh
    return np.full(int(fwd.sum() + bwd.sum()), float(speed))


def _build_mode(
    ways: _osm.OsmWays, mode: str, seg_len: np.ndarray, xy: np.ndarray, inside: np.ndarray | None
) -> Network:
    label = settings.MODES[mode].label_de
    fwd, bwd = ways.access(mode)
    u = np.concatenate([ways.seg_u[fwd], ways.seg_v[bwd]])
    v = np.concatenate([ways.seg_v[fwd], ways.seg_u[bwd]])
    length = np.concatenate([seg_len[fwd], seg_len[bwd]])
    weight = length / (_mode_speed_kmh(mode, ways, fwd, bwd) / 3.6)
    if inside is not None:
        keep = inside[u] & inside[v]
        u, v, length, weight = u[keep], v[keep], length[keep], weight[keep]
    if u.size == 0:
        where = " im gewählten Gebiet" if inside is not None else ""
        raise NetworkError(
            f"{ways.source}: Kein befahrbares bzw. begehbares Netz für „{label}“{where} "
            "(keine passenden Straßen oder Wege, oder alle gesperrt)."
        )
    # parallel arcs (two ways over the same node pair): keep the fastest
    order = np.lexsort((weight, v, u))
    u, v, length, weight = u[order], v[order], length[order], weight[order]
    first = np.r_[True, (u[1:] != u[:-1]) | (v[1:] != v[:-1])]
    u, v, length, weight = u[first], v[first], length[first], weight[first]
    # largest strongly connected component
    n_all = ways.node_ids.size
    graph = sp.csr_matrix((np.ones(u.size), (u, v)), shape=(n_all, n_all))
    _, labels = connected_components(graph, directed=True, connection="strong")
    used = np.zeros(n_all, dtype=bool)
    used[u] = used[v] = True
    biggest = np.bincount(labels[used]).argmax()
    keep_node = used & (labels == biggest)
    n_used, n_kept = int(used.sum()), int(keep_node.sum())
    keep = keep_node[u] & keep_node[v]
    u, v, length, weight = u[keep], v[keep], length[keep], weight[keep]
    new_id = np.cumsum(keep_node) - 1
    u, v = new_id[u], new_id[v]  # still sorted by (u, v)
    indptr = np.zeros(n_kept + 1, dtype=np.int64)
    np.cumsum(np.bincount(u, minlength=n_kept), out=indptr[1:])
    share = n_kept / n_used
    meta = {
        "mode": mode,
        "source": ways.source,
        "parser": ways.parser,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "nodes_total": n_used,
        "nodes_kept": n_kept,
        "share_kept": round(share, 6),
        "arcs": int(u.size),
        "notes": list(ways.notes),
        "speed_kmh": settings.MODES[mode].speed_kmh,
        "rules_version": RULES_VERSION,
    }
    if share < 0.95:
        meta["notes"].append(
            f"Nur {_pct(share)} der Knoten liegen im größten zusammenhängenden Netz "
            f"(„{label}“); der Rest ist nicht erreichbar und wurde entfernt."
        )
    net = Network(
        mode=mode,
        indptr=indptr.astype(np.int32),
        indices=v.astype(np.int32),
        weights=weight.astype(np.float64),
        lengths=length.astype(np.float64),
        x=xy[keep_node, 0].copy(),
        y=xy[keep_node, 1].copy(),
        osm_ids=ways.node_ids[keep_node].copy(),
        meta=meta,
    )
    return net.reordered()


def read_source(source) -> _osm.OsmWays:
    """Turn a path, an osmnx graph or :class:`~geo._osm.OsmWays` into ``OsmWays``."""
    if isinstance(source, _osm.OsmWays):
        return source
    if isinstance(source, (str, Path)):
        return _osm.read_osm(source)
    if hasattr(source, "edges") and hasattr(source, "nodes"):
        return _osm.from_osmnx_graph(source, "osmnx-Graph")
    raise TypeError(f"unsupported network source: {type(source).__name__}")


def build_networks(source, modes: Iterable[str] = ALL_MODES, clip=None) -> dict[str, Network]:
    """Build one routable network per mode from OSM data.

    Parameters
    ----------
    source : path, osmnx graph or OsmWays
        ``.osm``/``.osm.gz``/``.osm.bz2`` (osmnx) or ``.osm.pbf`` (pyosmium).
    modes : iterable of str
        Keys of ``settings.MODES``.
    clip : shapely geometry or (minx, miny, maxx, maxy), EPSG:3035, optional
        Keep only arcs with both ends inside.

    Returns
    -------
    dict
        ``{mode: Network}``, each reduced to its largest strongly connected
        component (``meta["share_kept"]`` says how many nodes survived).
    """
    modes = tuple(modes)
    unknown = [m for m in modes if m not in settings.MODES]
    if unknown:
        raise NetworkError(
            f"Unbekannte Verkehrsart: {', '.join(unknown)} (möglich: {', '.join(settings.MODES)})."
        )
    ways = read_source(source)
    if ways.n_segments == 0:
        raise NetworkError(f"{ways.source}: Die Straßen der Datei haben keine Knotenkoordinaten.")
    xy = lonlat_to_xy(ways.lon, ways.lat)
    inside = None
    geom = _as_clip(clip)
    if geom is not None:
        shapely.prepare(geom)
        inside = shapely.contains_xy(geom, xy[:, 0], xy[:, 1])
        if not inside.any():
            raise NetworkError(
                f"{ways.source}: Das Gebiet liegt außerhalb des Straßennetzes der Datei "
                f"(Netz-Ausdehnung {_extent_text(xy)}). Bitte einen passenden OSM-Ausschnitt wählen."
            )
    seg_len = ways.segment_lengths()
    return {m: _build_mode(ways, m, seg_len, xy, inside) for m in modes}


def _pct(share: float) -> str:
    """German percentage with one decimal, trailing ",0" dropped: 0.948 → "94,8 %"."""
    return f"{de_decimal(share * 100, 1)} %"


def _extent_text(xy: np.ndarray) -> str:
    lon, lat = to_lonlat(xy[:, 0], xy[:, 1])
    return (
        f"{de_number(np.min(lon), 3)}–{de_number(np.max(lon), 3)} °O, "
        f"{de_number(np.min(lat), 3)}–{de_number(np.max(lat), 3)} °N"
    )


# ---------------------------------------------------------------------------
# Region cache
# ---------------------------------------------------------------------------
def network_dir(region_cache_dir: str | Path) -> Path:
    """Folder of a region's cached networks."""
    return Path(region_cache_dir) / "network"


def load_networks(
    region_cache_dir: str | Path, modes: Iterable[str] | None = None
) -> dict[str, Network]:
    """Load the cached networks of a region (only those that exist)."""
    folder = network_dir(region_cache_dir)
    wanted = ALL_MODES if modes is None else tuple(modes)
    return {m: Network.load(folder / f"{m}.npz") for m in wanted if (folder / f"{m}.npz").is_file()}


def coverage_share(net: Network, outline_3035) -> float:
    """Share of the outline's area inside the convex hull of the network's nodes."""
    outline = _as_clip(outline_3035)
    if outline is None or outline.area == 0:
        return 1.0
    hull = shapely.convex_hull(shapely.multipoints(net.xy))
    return float(shapely.intersection(outline, hull).area / outline.area)


def _signature(osm_path: Path | None, outline, modes: tuple[str, ...]) -> dict:
    sig = {
        "rules_version": RULES_VERSION,
        "format": FORMAT_VERSION,
        "speeds": {m: settings.MODES[m].speed_kmh for m in modes},
        "car_defaults": settings.CAR_SPEED_DEFAULTS_KMH,
        "buffer_m": settings.REGION_BUFFER_M,
    }
    if osm_path is not None:
        sig["source"] = osm_path.name
        sig["digest"] = file_digest(osm_path)
    else:
        sig["source"] = "Overpass-Download"
    if outline is not None:
        sig["outline"] = hashlib.sha256(shapely.to_wkb(_as_clip(outline))).hexdigest()
    return sig


def build_for_region(
    region_cache_dir: str | Path,
    osm_path: str | Path | None = None,
    download: bool = False,
    outline_3035=None,
    modes: Iterable[str] = ALL_MODES,
    force: bool = False,
) -> dict[str, Network]:
    """Build (or load cached) networks for a region and store them in its cache.

    Parameters
    ----------
    region_cache_dir : path
        The region's cache folder; networks go to ``<dir>/network/<mode>.npz``.
    osm_path : path, optional
        OSM file (XML or PBF). A state extract is fine: it is clipped.
    download : bool
        Download the network through Overpass (osmnx) instead; needs
        ``outline_3035`` and internet.
    outline_3035 : shapely geometry, optional
        Region outline in EPSG:3035; the network is clipped to it plus
        ``settings.REGION_BUFFER_M``.
    force : bool
        Rebuild even if the cache matches.

    Returns
    -------
    dict
        ``{mode: Network}``. Without ``osm_path`` and ``download`` the cached
        networks are returned (NetworkError if there are none).
    """
    modes = tuple(modes)
    folder = network_dir(region_cache_dir)
    if osm_path is None and not download:
        nets = load_networks(region_cache_dir, modes)
        if not nets:
            raise NetworkError(
                "Für diese Region ist noch kein Straßennetz vorhanden. Bitte mit "
                "„nahraum network build --region NAME --osm DATEI“ (oder --download) erstellen; "
                "bis dahin wird mit Luftlinie × Umwegfaktor gerechnet."
            )
        return nets
    if download and outline_3035 is None:
        raise NetworkError(
            "Für den Download des Straßennetzes wird der Umriss der Region benötigt."
        )
    osm_path = Path(osm_path) if osm_path is not None and not download else None
    if osm_path is not None and not osm_path.is_file():
        raise NetworkError(f"OSM-Datei nicht gefunden: {osm_path}")
    sig = _signature(osm_path, outline_3035, modes)
    if not force and osm_path is not None:
        cached = load_networks(region_cache_dir, modes)
        if len(cached) == len(modes) and all(
            n.meta.get("signature") == sig for n in cached.values()
        ):
            return cached
    clip = None
    if outline_3035 is not None:
        clip = _as_clip(outline_3035).buffer(settings.REGION_BUFFER_M)
    if download:
        poly = shapely.transform(
            clip, lambda c: np.column_stack(_to_display().transform(c[:, 0], c[:, 1]))
        )
        source = _osm.download(poly, cache_folder=folder / "overpass")
    else:
        source = osm_path
    nets = build_networks(source, modes=modes, clip=clip)
    summary = {}
    for mode, net in nets.items():
        net.meta["signature"] = sig
        if outline_3035 is not None:
            cov = coverage_share(net, outline_3035)
            net.meta["region_coverage"] = round(cov, 4)
            if cov < 0.99:
                net.meta["notes"].append(
                    f"Das Netz deckt nur {_pct(cov)} der Regionsfläche ab; Zellen außerhalb "
                    "werden als nicht erreichbar markiert."
                )
        net.save(folder / f"{mode}.npz")
        summary[mode] = {
            k: net.meta.get(k)
            for k in (
                "source",
                "parser",
                "nodes_total",
                "nodes_kept",
                "share_kept",
                "arcs",
                "region_coverage",
                "notes",
                "built_at",
            )
        }
    write_json_atomic(folder / "network.json", summary)
    return nets


def summary_table(nets: Mapping[str, Network]) -> list[dict]:
    """One row per mode for reports: nodes, arcs, share kept, notes."""
    return [
        {
            "mode": m,
            "nodes": n.n_nodes,
            "arcs": n.n_edges,
            "share_kept": n.meta.get("share_kept"),
            "source": n.source,
            "notes": "; ".join(n.meta.get("notes", [])),
        }
        for m, n in nets.items()
    ]
