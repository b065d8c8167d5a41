"""Travel times from cells to services: on an OSM network or straight-line × detour.

All coordinates are EPSG:3035 metres, shape ``(n, 2)``; all results are minutes.

Network model
    Points are snapped to the nearest routable node (``Network.snap``); the
    straight-line distance to it is walked (access time, also in car mode) at
    4.5 km/h (3.5 km/h for ``walk_slow``). Points farther than
    ``settings.SNAP_LIMIT_M`` from every node are flagged ``off_network`` and
    get no time. Times are *towards* the service: the search runs on the
    reversed graph, so one-way streets count in the direction of travel.
    The nearest-service field is one multi-source Dijkstra: every service is a
    virtual node with one arc (its own access time) to its snap node.
Fallback model (no network)
    ``minutes = straight-line metres × settings.DETOUR_FACTORS[mode] ÷ speed``
    with the mode speed (car: ``settings.FALLBACK_CAR_SPEED_KMH``); the factors
    are calibrated on the real OSM network north of Bayreuth
    (:func:`calibrate_detour`, docs/traveltime.md).

Every result carries its model as data (:func:`model_info`; words: ``present.describe``).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist

from . import _tables, settings
from ._errors import InputError, NetworkError, Report
from ._text import de_decimal, de_number
from .network import Network, access_speed_mps, lonlat_to_xy, shortest_times

#: Offset (seconds) on the virtual service arcs, subtracted again afterwards,
#: so that a zero access time never becomes a zero-weight arc.
_VIRTUAL_OFFSET_S = 1.0
#: Stored instead of 0 minutes in catchment matrices, so that a service at
#: distance zero stays an explicit (non-pruned) entry.
CATCHMENT_ZERO_MIN = 1e-9
_CHUNK_FLOATS = 20_000_000
MODEL_NETWORK = "network:osm"
MODEL_FALLBACK = "fallback:straight-line×detour"
MAX_OD_PAIRS = 50_000_000


# ---------------------------------------------------------------------------
# Results and labels
# ---------------------------------------------------------------------------
@dataclass
class TravelField:
    """Nearest-service travel time per cell.

    Attributes
    ----------
    minutes : float array
        Minutes to the nearest service, ``inf`` where none is reachable
        (off the network, beyond ``max_minutes`` or no service).
    nearest : int array
        Index into the services array of the nearest service, -1 if none.
    model : dict
        The travel-time model as data (see :func:`model_info`); its words are
        ``present.describe.model_words``.
    off_network : bool array
        Cells farther than ``settings.SNAP_LIMIT_M`` from the network.
    service_off_network : bool array
        Services that could not be snapped (never nearest).
    """

    minutes: np.ndarray
    nearest: np.ndarray
    model: dict
    off_network: np.ndarray
    service_off_network: np.ndarray | None = None

    @property
    def model_kind(self) -> str:
        """``"network:osm"``, ``"fallback:straight-line×detour"`` or the timetable's kind."""
        return str(self.model.get("kind", ""))

    @property
    def info(self) -> dict:
        """The model as data (:attr:`model`)."""
        return self.model

    @property
    def routable_share(self) -> float:
        """Share of cells that lie on (within snap distance of) the network."""
        n = self.off_network.size
        return 1.0 if n == 0 else float(1.0 - self.off_network.mean())

    def coverage(self) -> dict[str, Any] | None:
        """Partial network coverage as a note code (``off_network``), None if all cells route."""
        share = self.routable_share
        if share >= 1.0:
            return None
        return {
            "code": "off_network",
            "share": share,
            "cells": int(self.off_network.sum()),
            "limit_m": settings.SNAP_LIMIT_M,
        }


def fallback_speed_kmh(mode: str) -> float:
    """Speed of the straight-line model (car: effective average speed)."""
    check_mode(mode)
    if mode == "car":
        return float(settings.FALLBACK_CAR_SPEED_KMH)
    return float(settings.MODES[mode].speed_kmh)


def detour_factor(mode: str) -> float:
    """Calibrated detour factor of ``mode`` (``settings.DETOUR_FACTORS``)."""
    check_mode(mode)
    return float(settings.DETOUR_FACTORS[mode])


def model_info(mode: str, network: Network | None = None) -> dict[str, Any]:
    """The travel-time model as data, kept with every result.

    Road network: ``kind`` ``"network:osm"``, ``mode``, ``source`` (file name),
    ``speed_kmh`` (None for the car: speeds by road class). Straight line:
    ``kind`` ``"fallback:straight-line×detour"``, ``mode``, ``detour``,
    ``speed_kmh`` (car: the effective mean speed). Timetable: the model's
    own ``info`` (feed, date, window, statistic) with ``mode``.
    """
    check_mode(mode, network)
    if _is_transit(mode):
        return {**network.info, "mode": mode}
    if network is not None:
        return {
            "kind": MODEL_NETWORK,
            "mode": mode,
            "source": network.source,
            "speed_kmh": settings.MODES[mode].speed_kmh,
        }
    return {
        "kind": MODEL_FALLBACK,
        "mode": mode,
        "detour": detour_factor(mode),
        "speed_kmh": fallback_speed_kmh(mode),
    }


def check_mode(mode: str, network: Network | None = None) -> None:
    """Raise InputError (German) for an unknown mode or a network of another mode.

    Mode ``"transit"`` needs a timetable model (``geo.transit.TransitModel``)
    as ``network``.
    """
    if mode not in settings.TRAVEL_MODES:
        raise InputError(
            f"Unbekannte Verkehrsart „{mode}“ (möglich: {', '.join(settings.TRAVEL_MODES)})."
        )
    if mode == settings.TRANSIT_MODE.code and network is None:
        raise InputError(
            "Für „ÖPNV“ ist kein Fahrplan (GTFS) geladen. Bitte einen Fahrplan "
            "importieren (nahraum transit import FAHRPLAN.zip) oder die "
            "Haltestellen-Erschließung als Ersatzmaß verwenden."
        )
    if network is not None and network.mode != mode:
        raise InputError(f"Das Straßennetz gilt für „{network.mode}“, angefragt ist „{mode}“.")


def as_points(xy, what: str) -> np.ndarray:
    """``xy`` as a finite (n, 2) float array; InputError naming ``what`` otherwise."""
    arr = np.asarray(xy, dtype=float)
    if arr.size == 0:
        return arr.reshape(0, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise InputError(
            f"{what}: erwartet werden Koordinaten als (n, 2)-Array (x, y in EPSG:3035)."
        )
    if not np.isfinite(arr).all():
        raise InputError(f"{what}: Koordinaten enthalten leere oder ungültige Werte.")
    return arr


# ---------------------------------------------------------------------------
# Network internals
# ---------------------------------------------------------------------------
def _with_virtual_sources(net: Network, nodes: np.ndarray, access_s: np.ndarray) -> sp.csr_matrix:
    """Reversed graph plus one virtual node per service (index n + j).

    The virtual node's only arc leads to the service's snap node with weight
    ``access time + offset``; searching from it on the reversed graph gives,
    for every node, the time to *reach* that service including its access.
    """
    rev = net.csr_reverse
    n, m = net.n_nodes, nodes.size
    indptr = np.concatenate(
        [rev.indptr, rev.indptr[-1] + np.arange(1, m + 1, dtype=rev.indptr.dtype)]
    )
    indices = np.concatenate([rev.indices, nodes.astype(rev.indices.dtype)])
    data = np.concatenate([rev.data, access_s + _VIRTUAL_OFFSET_S])
    return sp.csr_matrix((data, indices, indptr), shape=(n + m, n + m))


def node_field(
    net: Network, services_xy: np.ndarray, max_seconds: float = np.inf
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seconds from every node to its nearest service, in one Dijkstra.

    Returns
    -------
    seconds : float array (n_nodes,)
        ``inf`` where no service is within ``max_seconds``.
    service : int array (n_nodes,)
        Index into ``services_xy`` of the nearest service, -1 if none.
    service_off : bool array (n_services,)
        Services too far from the network (not used).
    """
    services_xy = as_points(services_xy, "Angebote")
    snap = net.snap(services_xy)
    valid = np.flatnonzero(~snap.off)
    n = net.n_nodes
    if valid.size == 0:
        return np.full(n, np.inf), np.full(n, -1, np.int64), snap.off.copy()
    graph = _with_virtual_sources(
        net, snap.node[valid], snap.dist_m[valid] / access_speed_mps(net.mode)
    )
    dist, _, src = dijkstra(
        graph,
        indices=np.arange(n, n + valid.size),
        min_only=True,
        return_predecessors=True,
        limit=max_seconds + _VIRTUAL_OFFSET_S,
    )
    seconds = dist[:n] - _VIRTUAL_OFFSET_S
    reached = np.isfinite(seconds)
    service = np.full(n, -1, np.int64)
    service[reached] = valid[src[:n][reached] - n]
    return seconds, service, snap.off.copy()


def _cell_access(net: Network, cells_xy: np.ndarray, what: str = "Zellen"):
    """Snap cells; raise if none of them is near the network (region outside it)."""
    snap = net.snap(cells_xy)
    if snap.off.size and snap.off.all():
        x0, y0, x1, y1 = (de_number(v, 0) for v in net.bounds)
        raise NetworkError(
            f"Alle {what} liegen mehr als {de_decimal(settings.SNAP_LIMIT_M, 0)} m vom Straßennetz "
            f"({net.source}, „{settings.MODES[net.mode].label_de}“) entfernt: Das Gebiet liegt "
            f"außerhalb des Netzes (Netz-Ausdehnung x {x0}–{x1} m, y {y0}–{y1} m, EPSG:3035). "
            "Bitte ein passendes Straßennetz laden."
        )
    return snap, snap.dist_m / access_speed_mps(net.mode)


def _network_nearest(
    cells_xy, services_xy, net: Network, max_minutes: float | None, mode: str
) -> TravelField:
    limit = np.inf if max_minutes is None else float(max_minutes) * 60.0
    snap, access = _cell_access(net, cells_xy)
    node_s, node_service, svc_off = node_field(net, services_xy, limit)
    seconds = np.full(len(cells_xy), np.inf)
    nearest = np.full(len(cells_xy), -1, np.int64)
    on = ~snap.off
    t = node_s[snap.node[on]] + access[on]
    ok = t <= limit
    idx = np.flatnonzero(on)[ok]
    seconds[idx] = t[ok]
    nearest[idx] = node_service[snap.node[idx]]
    return TravelField(seconds / 60.0, nearest, model_info(mode, net), snap.off.copy(), svc_off)


def _network_catchment(cells_xy, services_xy, net: Network, cutoff_min: float) -> sp.csr_matrix:
    cutoff = float(cutoff_min) * 60.0
    n_cells, m = len(cells_xy), len(services_xy)
    snap_c, access_c = _cell_access(net, cells_xy)
    snap_s = net.snap(services_xy)
    valid = np.flatnonzero(~snap_s.off)
    on = np.flatnonzero(~snap_c.off)
    if valid.size == 0 or on.size == 0:
        return sp.csr_matrix((n_cells, m))
    n = net.n_nodes
    graph = _with_virtual_sources(
        net, snap_s.node[valid], snap_s.dist_m[valid] / access_speed_mps(net.mode)
    )
    cell_nodes, cell_access = snap_c.node[on], access_c[on]
    rows, cols, vals = [], [], []
    chunk = max(1, _CHUNK_FLOATS // (n + valid.size + on.size))
    for start in range(0, valid.size, chunk):
        js = np.arange(start, min(start + chunk, valid.size))
        d = dijkstra(graph, indices=n + js, limit=cutoff + _VIRTUAL_OFFSET_S)
        t = d[:, cell_nodes] - _VIRTUAL_OFFSET_S + cell_access  # (k, cells on network)
        k, c = np.nonzero(t <= cutoff)
        rows.append(on[c])
        cols.append(valid[js[k]])
        vals.append(t[k, c] / 60.0)
    return _to_csr(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), n_cells, m)


def _to_csr(rows, cols, minutes, n_rows, n_cols) -> sp.csr_matrix:
    mat = sp.csr_matrix(
        (np.maximum(minutes, CATCHMENT_ZERO_MIN), (rows, cols)), shape=(n_rows, n_cols)
    )
    mat.sort_indices()
    return mat


# ---------------------------------------------------------------------------
# Fallback internals (vectorised with cKDTree)
# ---------------------------------------------------------------------------
def metres_per_minute(mode: str) -> float:
    """Straight-line metres covered per minute in the fallback model."""
    return fallback_speed_kmh(mode) / 3.6 * 60.0 / detour_factor(mode)


def _fallback_nearest(cells_xy, services_xy, mode, max_minutes) -> TravelField:
    n = len(cells_xy)
    minutes = np.full(n, np.inf)
    nearest = np.full(n, -1, np.int64)
    if len(services_xy) and n:
        mpm = metres_per_minute(mode)
        bound = np.inf if max_minutes is None else float(max_minutes) * mpm * (1 + 1e-9)
        d, j = cKDTree(services_xy).query(cells_xy, distance_upper_bound=bound, workers=-1)
        t = d / mpm
        ok = np.isfinite(t) if max_minutes is None else t <= float(max_minutes)
        minutes[ok], nearest[ok] = t[ok], j[ok]
    return TravelField(
        minutes, nearest, model_info(mode), np.zeros(n, bool), np.zeros(len(services_xy), bool)
    )


def _fallback_catchment(cells_xy, services_xy, mode, cutoff_min) -> sp.csr_matrix:
    n, m = len(cells_xy), len(services_xy)
    if n == 0 or m == 0:
        return sp.csr_matrix((n, m))
    mpm = metres_per_minute(mode)
    pairs = cKDTree(cells_xy).sparse_distance_matrix(
        cKDTree(services_xy), float(cutoff_min) * mpm * (1 + 1e-9), output_type="ndarray"
    )
    t = pairs["v"] / mpm
    ok = t <= float(cutoff_min)
    return _to_csr(pairs["i"][ok], pairs["j"][ok], t[ok], n, m)


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------
def _is_transit(mode: str) -> bool:
    return mode == settings.TRANSIT_MODE.code


def nearest_field(
    cells_xy: np.ndarray,
    services_xy: np.ndarray,
    mode: str,
    network: Network | None = None,
    max_minutes: float | None = None,
) -> TravelField:
    """Minutes from each cell to its nearest service, and which service that is.

    Parameters
    ----------
    cells_xy, services_xy : (n, 2) / (m, 2) arrays, EPSG:3035
    mode : str
        Key of ``settings.MODES``.
    network : Network, optional
        Network of ``mode``; without it the straight-line fallback is used.
    max_minutes : float, optional
        Search limit: cells farther than this get ``inf`` and -1.

    Returns
    -------
    TravelField
    """
    check_mode(mode, network)
    cells_xy = as_points(cells_xy, "Zellen")
    services_xy = as_points(services_xy, "Angebote")
    if _is_transit(mode):
        return network.nearest_field(cells_xy, services_xy, max_minutes)
    if network is None:
        return _fallback_nearest(cells_xy, services_xy, mode, max_minutes)
    return _network_nearest(cells_xy, services_xy, network, max_minutes, mode)


def catchment_matrix(
    cells_xy: np.ndarray,
    services_xy: np.ndarray,
    mode: str,
    cutoff_minutes: float,
    network: Network | None = None,
) -> sp.csr_matrix:
    """Sparse cells × services matrix of minutes for all pairs within the cut-off.

    The sparsity pattern *is* the catchment: an entry exists iff the service is
    reachable from the cell within ``cutoff_minutes``. Entries are minutes,
    with 0 stored as ``CATCHMENT_ZERO_MIN`` (1e-9) so that it is never pruned;
    use ``mat.getnnz(axis=1)`` or ``mat.indices`` for membership, not ``mat > 0``
    after arithmetic that may drop explicit zeros.
    """
    check_mode(mode, network)
    cells_xy = as_points(cells_xy, "Zellen")
    services_xy = as_points(services_xy, "Angebote")
    if _is_transit(mode):
        return network.catchment_matrix(cells_xy, services_xy, cutoff_minutes)
    if network is None:
        return _fallback_catchment(cells_xy, services_xy, mode, cutoff_minutes)
    return _network_catchment(cells_xy, services_xy, network, cutoff_minutes)


def count_within(
    cells_xy: np.ndarray,
    services_xy: np.ndarray,
    mode: str,
    minutes: float,
    network: Network | None = None,
) -> np.ndarray:
    """Number of services reachable from each cell within ``minutes``."""
    check_mode(mode, network)
    cells_xy = as_points(cells_xy, "Zellen")
    services_xy = as_points(services_xy, "Angebote")
    if _is_transit(mode):
        return (
            network.catchment_matrix(cells_xy, services_xy, minutes).getnnz(axis=1).astype(np.int64)
        )
    if network is None:
        if len(services_xy) == 0 or len(cells_xy) == 0:
            return np.zeros(len(cells_xy), np.int64)
        radius = float(minutes) * metres_per_minute(mode)
        return np.asarray(
            cKDTree(services_xy).query_ball_point(cells_xy, radius, return_length=True, workers=-1),
            dtype=np.int64,
        )
    return (
        _network_catchment(cells_xy, services_xy, network, minutes).getnnz(axis=1).astype(np.int64)
    )


def od_matrix(
    from_xy: np.ndarray, to_xy: np.ndarray, mode: str, network: Network | None = None
) -> np.ndarray:
    """Origin–destination matrix in minutes, shape ``(len(from_xy), len(to_xy))``.

    ``inf`` where a point is off the network (or unreachable).
    """
    check_mode(mode, network)
    a = as_points(from_xy, "Startpunkte")
    b = as_points(to_xy, "Zielpunkte")
    if len(a) * len(b) > MAX_OD_PAIRS:
        raise InputError(
            f"Zu viele Paare ({len(a)} × {len(b)}): höchstens "
            f"{de_number(MAX_OD_PAIRS, 0)} Reisezeiten auf einmal."
        )
    if _is_transit(mode):
        return network.od_matrix(a, b)
    out = np.full((len(a), len(b)), np.inf)
    if len(a) == 0 or len(b) == 0:
        return out
    if network is None:
        mpm = metres_per_minute(mode)
        rows = max(1, _CHUNK_FLOATS // len(b))
        for s in range(0, len(a), rows):
            out[s : s + rows] = cdist(a[s : s + rows], b) / mpm
        return out
    sa, acc_a = _cell_access(network, a, "Startpunkte")
    sb, acc_b = _cell_access(network, b, "Zielpunkte")
    ia, ib = np.flatnonzero(~sa.off), np.flatnonzero(~sb.off)
    if ia.size == 0 or ib.size == 0:
        return out
    na, nb = sa.node[ia], sb.node[ib]
    ua, inv_a = np.unique(na, return_inverse=True)
    ub, inv_b = np.unique(nb, return_inverse=True)
    chunk = max(1, _CHUNK_FLOATS // network.n_nodes)
    if ua.size <= ub.size:  # forward searches from the origins
        sec = np.empty((ua.size, ub.size))
        for s in range(0, ua.size, chunk):
            sec[s : s + chunk] = dijkstra(network.csr, indices=ua[s : s + chunk])[:, ub]
    else:  # backward searches from the destinations on the reversed graph
        sec = np.empty((ub.size, ua.size))
        for s in range(0, ub.size, chunk):
            sec[s : s + chunk] = dijkstra(network.csr_reverse, indices=ub[s : s + chunk])[:, ua]
        sec = sec.T
    full = sec[inv_a][:, inv_b] + acc_a[ia][:, None] + acc_b[ib][None, :]
    out[np.ix_(ia, ib)] = full / 60.0
    return out


# ---------------------------------------------------------------------------
# CSV origin–destination (for ``nahraum traveltime``)
# ---------------------------------------------------------------------------
_ALIASES = {
    "id": "id",
    "lat": "lat",
    "latitude": "lat",
    "breite": "lat",
    "lon": "lon",
    "lng": "lon",
    "longitude": "lon",
    "länge": "lon",
    "laenge": "lon",
}


def read_points_csv(source: str | os.PathLike | bytes, name: str | None = None) -> pd.DataFrame:
    """Read a CSV with columns ``id``, ``lat``, ``lon`` (WGS84).

    Comma, semicolon or tab separated, UTF-8 or Windows-1252, decimal comma
    allowed with semicolons. Problems are collected and raised together as one
    :class:`~geo._errors.InputError` that names file, row and column.
    """
    data, name = _tables.read_source(
        source, name, default_name="CSV", advice="Bitte die Punktliste aufteilen."
    )
    text = _tables.decode(data, name)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputError(f"{name}: Die Datei ist leer. Erwartet werden die Spalten id, lat, lon.")
    delim = _tables.sniff_delimiter(text)
    rows = list(csv.reader(io.StringIO(text), delimiter=delim))
    header = [h.strip().lower() for h in rows[0]]
    cols = {}
    for i, h in enumerate(header):
        if _ALIASES.get(h) and _ALIASES[h] not in cols:
            cols[_ALIASES[h]] = i
    missing = [c for c in ("id", "lat", "lon") if c not in cols]
    if missing:
        raise InputError(
            f"{name}: Spalte(n) {', '.join(missing)} fehlen. Erwartet werden id, lat, "
            f"lon (gefunden: {', '.join(rows[0])}).",
            [],
        )
    report = Report()
    ids, lats, lons, seen = [], [], [], {}
    for r, row in enumerate(rows[1:], start=1):
        if not any(v.strip() for v in row):
            continue
        cell = {c: (row[i].strip() if i < len(row) else "") for c, i in cols.items()}
        ident = cell["id"]
        if not ident:
            report.add("Die id fehlt.", r, "id", name)
        elif ident in seen:
            report.add(
                f"Die id „{ident}“ kommt doppelt vor (auch Zeile {seen[ident]}).", r, "id", name
            )
        seen.setdefault(ident, r)
        vals = {}
        for c, lo, hi in (("lat", -90, 90), ("lon", -180, 180)):
            raw = cell[c]
            try:
                v = float(raw.replace(",", ".")) if delim != "," else float(raw)
            except ValueError:
                report.add(f"„{raw}“ ist keine Zahl (Dezimalgrad erwartet).", r, c, name)
                continue
            if not (lo <= v <= hi) or not np.isfinite(v):
                report.add(f"{raw} liegt nicht zwischen {lo} und {hi}.", r, c, name)
                continue
            vals[c] = v
        ids.append(ident)
        lats.append(vals.get("lat", np.nan))
        lons.append(vals.get("lon", np.nan))
    if report:
        raise InputError(
            f"{name}: Die Datei enthält {len(report.problems)} fehlerhafte Angabe(n).",
            report.problems,
        )
    if not ids:
        raise InputError(f"{name}: Die Datei enthält keine Datenzeilen.")
    return pd.DataFrame({"id": ids, "lat": lats, "lon": lons})


def od_from_csv(
    from_csv: str | os.PathLike,
    to_csv: str | os.PathLike,
    mode: str,
    network: Network | None = None,
) -> pd.DataFrame:
    """Origin–destination minutes between two CSVs (columns id, lat, lon).

    Returns a wide DataFrame: one row per origin id, one column per
    destination id, minutes rounded to 0.1; ``NaN`` = not reachable (off the
    network). ``df.attrs`` holds ``model``, ``model_kind``, ``mode`` and the
    ids of points off the network (``off_network``).
    """
    check_mode(mode, network)
    a = read_points_csv(from_csv)
    b = read_points_csv(to_csv)
    transit = _is_transit(mode)
    project = network.timetable.to_metric if transit else lonlat_to_xy
    minutes = od_matrix(project(a["lon"], a["lat"]), project(b["lon"], b["lat"]), mode, network)
    df = pd.DataFrame(
        np.where(np.isfinite(minutes), np.round(minutes, 1), np.nan),
        index=pd.Index(a["id"], name="von"),
        columns=pd.Index(b["id"], name="nach"),
    )
    off: list[str] = []
    if network is not None and not transit:
        for pts in (a, b):
            snap = network.snap(lonlat_to_xy(pts["lon"], pts["lat"]))
            off += pts["id"][snap.off].tolist()
    info = model_info(mode, network)
    df.attrs.update(model=info, mode=mode, off_network=off, model_kind=info["kind"])
    return df


# ---------------------------------------------------------------------------
# Calibration of the fallback
# ---------------------------------------------------------------------------
DISTANCE_BANDS_KM: tuple[tuple[float, float], ...] = ((0, 1), (1, 2), (2, 5), (5, 10), (10, np.inf))


def calibrate_detour(
    networks: Mapping[str, Network],
    n_sources: int = 300,
    targets_per_source: int = 20,
    seed: int = 0,
    min_distance_m: float = 50.0,
) -> dict:
    """Detour factors (network ÷ straight-line distance) from random node pairs.

    For each mode, ``n_sources`` random nodes of its (strongly connected)
    network are each paired with ``targets_per_source`` random nodes; pairs
    closer than ``min_distance_m`` are skipped. The detour factor is the
    median of shortest-path metres ÷ straight-line metres. For car, the
    effective fallback speed is ``factor × median(straight-line m ÷ fastest
    time)``, so that the fallback matches the network's median time.

    Returns
    -------
    dict
        ``table`` (DataFrame: mode, band, n, median, p10, p25, p75, p90),
        ``detour`` ({mode: median}) and ``car_speed_kmh``.
    """
    rng = np.random.default_rng(seed)
    rows, detour, car_speed = [], {}, None
    for mode, net in networks.items():
        by_id = np.argsort(net.osm_ids, kind="stable")  # independent of the node numbering
        src = by_id[rng.choice(net.n_nodes, size=min(n_sources, net.n_nodes), replace=False)]
        tgt = by_id[rng.integers(0, net.n_nodes, size=(src.size, targets_per_source))]
        shortest_metres = shortest_times(net, src, lengths=True)
        dist = np.take_along_axis(shortest_metres, tgt, axis=1).ravel()
        s = np.repeat(src, targets_per_source)
        t = tgt.ravel()
        line = np.hypot(net.x[s] - net.x[t], net.y[s] - net.y[t])
        ok = (line >= min_distance_m) & np.isfinite(dist)
        ratio = dist[ok] / line[ok]
        detour[mode] = float(np.median(ratio))
        if mode == "car":
            secs = np.take_along_axis(shortest_times(net, src), tgt, axis=1).ravel()[ok]
            car_speed = float(detour[mode] * np.median(line[ok] / secs) * 3.6)
        km = line[ok] / 1000.0
        for lo, hi in (*DISTANCE_BANDS_KM, (0, np.inf)):
            sel = ratio[(km >= lo) & (km < hi)]
            band = (
                "alle"
                if (lo, hi) == (0, np.inf)
                else (f"{lo:g}–{hi:g} km" if np.isfinite(hi) else f"{lo:g}+ km")
            )
            q = np.percentile(sel, [10, 25, 50, 75, 90]) if sel.size else [np.nan] * 5
            rows.append(
                {
                    "mode": mode,
                    "band": band,
                    "n": int(sel.size),
                    "median": q[2],
                    "p10": q[0],
                    "p25": q[1],
                    "p75": q[3],
                    "p90": q[4],
                }
            )
    return {"table": pd.DataFrame(rows), "detour": detour, "car_speed_kmh": car_speed}


__all__ = [
    "TravelField",
    "nearest_field",
    "count_within",
    "catchment_matrix",
    "od_matrix",
    "od_from_csv",
    "read_points_csv",
    "model_info",
    "detour_factor",
    "fallback_speed_kmh",
    "calibrate_detour",
    "node_field",
    "check_mode",
    "as_points",
    "metres_per_minute",
]
