"""Public transport travel times on a GTFS timetable: connection scan (CSA).

Algorithm (docs/traveltime.md, "ÖPNV"):

1. *Queries.* For every stop ``s`` and every departure of a connection at
   ``s`` within ``[t0, t0 + window + max access walk]`` one query "at ``s``
   at that time" is run. Arrival at ``s`` at any time ``x`` is answered by
   the first query of ``s`` at or after ``x`` – exact, because nothing
   departs from ``s`` in between.
2. *Connection scan* (Dibbelt et al. 2013), compiled with numba: connections
   in departure order from the query time up to ``TRANSIT_MAX_TRIP_MIN``;
   earliest arrival per stop and number of vehicle legs (at most
   ``TRANSIT_MAX_TRANSFERS + 1``); after alighting one walking transfer to
   stops within ``TRANSIT_TRANSFER_MAX_MIN``; targets (services, destination
   points) are reached by an egress walk within ``TRANSIT_ACCESS_MAX_MIN``.
3. *Door to door.* For each origin and departure minute ``t`` of the window:
   minimum of the direct walk and, over the access stops (walk within
   ``TRANSIT_ACCESS_MAX_MIN``), arrival of the first query after the walk
   minus ``t`` (so waiting counts). Over the departure minutes the median
   (and optionally the 25th/75th percentile) is reported, as Conveyal R5.

Walks use the walking road network when one is given (``geo.traveltime``
catchments), else straight line × ``DETOUR_FACTORS["walk"]`` at walking speed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from . import _csa, settings, traveltime
from ._errors import InputError
from .gtfs import Timetable
from .network import Network

MODEL_TRANSIT = "transit:gtfs+csa"
_CHUNK_VALUES = 20_000_000  # origins are evaluated in blocks of about this many values
STATISTIC_NAMES = {25: "p25", 50: "median", 75: "p75"}


@dataclass(frozen=True)
class TransitParams:
    """Departure window, statistic and limits of a transit query.

    Attributes
    ----------
    depart_s : int
        First departure, seconds after midnight of the timetable's date.
    window_min : int
        Departure minutes ``depart_s + 60 k`` for ``k < window_min``; 0 = one departure.
    percentiles : tuple of float
        Statistics over the departures; the first one is the reported time.
    """

    depart_s: int = 8 * 3600
    window_min: int = settings.TRANSIT_WINDOW_MIN
    percentiles: tuple[float, ...] = (settings.TRANSIT_DEFAULT_STATISTIC,)
    max_transfers: int = settings.TRANSIT_MAX_TRANSFERS
    access_max_min: float = settings.TRANSIT_ACCESS_MAX_MIN
    transfer_max_min: float = settings.TRANSIT_TRANSFER_MAX_MIN
    max_trip_min: float = settings.TRANSIT_MAX_TRIP_MIN

    def __post_init__(self) -> None:
        if self.window_min < 0 or self.max_transfers < 0 or not self.percentiles:
            raise InputError("Zeitfenster und Umstiege dürfen nicht negativ sein.")
        if any(not 0 <= p <= 100 for p in self.percentiles):
            raise InputError("Perzentile liegen zwischen 0 und 100.")

    def departures(self) -> np.ndarray:
        """Departure times (seconds) of the window."""
        return self.depart_s + 60.0 * np.arange(max(1, int(self.window_min)))


@dataclass
class TransitModel:
    """A timetable plus query parameters and an optional walking network.

    Pass it as the ``network`` of mode ``"transit"`` to the functions of
    :mod:`geo.traveltime` (and so to :func:`geo.analysis.analyze` via
    ``networks={"transit": model}``).
    """

    timetable: Timetable
    params: TransitParams = field(default_factory=TransitParams)
    walk_network: Network | None = None
    mode: str = "transit"

    @property
    def info(self) -> dict:
        """Model description as data (feed, date, window, statistic, limits)."""
        p, m = self.params, self.timetable.meta
        return {
            "kind": MODEL_TRANSIT,
            "feed": m.get("feed"),
            "date": m.get("date"),
            "depart": _hhmm(p.depart_s),
            "window_min": int(p.window_min),
            "statistic": [STATISTIC_NAMES.get(int(q), f"p{q:g}") for q in p.percentiles],
            "max_transfers": p.max_transfers,
            "access_max_min": p.access_max_min,
            "transfer_max_min": p.transfer_max_min,
            "walk": "network:osm" if self.walk_network is not None else "fallback",
            "walk_speed_kmh": traveltime.fallback_speed_kmh("walk"),
            "scenario": m.get("scenario"),
        }

    # ------------------------------------------------------------------
    def _walk(self, a: np.ndarray, b: np.ndarray, cutoff_min: float) -> sp.csr_matrix:
        """Walking seconds (sparse, within ``cutoff_min``) from points ``a`` to ``b``."""
        m = traveltime.catchment_matrix(a, b, "walk", cutoff_min, self.walk_network).tocsr()
        m.data = np.where(m.data <= traveltime.CATCHMENT_ZERO_MIN, 0.0, m.data) * 60.0
        return m

    def _direct(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return traveltime.od_matrix(a, b, "walk", self.walk_network) * 60.0

    def _footpaths(self) -> sp.csr_matrix:
        xy = self.timetable.xy
        fp = self._walk(xy, xy, self.params.transfer_max_min).tolil()
        fp.setdiag(0)
        fp = fp.tocsr()
        fp.eliminate_zeros()
        return fp

    def _queries(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Query stops/times, grouped by stop, and the per-stop offsets.

        Every boarding departure within the window plus the longest access
        walk, and per stop the first departure after that (for late arrivals).
        """
        tt, p = self.timetable, self.params
        deps = p.departures()
        lo, hi = deps[0], deps[-1] + p.access_max_min * 60.0
        ok = tt.board & (tt.dep >= lo)
        inside = ok & (tt.dep <= hi)
        after = np.flatnonzero(ok & (tt.dep > hi))
        after = after[np.lexsort((tt.dep[after], tt.dep_stop[after]))]
        first = after[np.r_[True, np.diff(tt.dep_stop[after]) != 0]] if after.size else after
        stops = np.concatenate([tt.dep_stop[inside], tt.dep_stop[first]])
        times = np.concatenate([tt.dep[inside], tt.dep[first]])
        pairs = np.unique(np.column_stack([stops, times]).astype(np.int64), axis=0).reshape(-1, 2)
        ptr = np.searchsorted(pairs[:, 0], np.arange(tt.n_stops + 1))
        return pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.float64), ptr.astype(np.int64)

    def _scan(self, egress: sp.csr_matrix):
        tt, p = self.timetable, self.params
        q_stop, q_time, q_ptr = self._queries()
        fp = self._footpaths()
        res, via = _csa.scan(
            q_stop,
            q_time,
            tt.dep_stop.astype(np.int64),
            tt.arr_stop.astype(np.int64),
            tt.dep.astype(np.float64),
            tt.arr.astype(np.float64),
            tt.trip.astype(np.int64),
            tt.board,
            tt.alight,
            int(tt.trip.max()) + 1 if tt.n_connections else 1,
            fp.indptr.astype(np.int64),
            fp.indices.astype(np.int64),
            fp.data,
            egress.indptr.astype(np.int64),
            egress.indices.astype(np.int64),
            egress.data.astype(np.float64),
            egress.shape[1],
            p.max_transfers + 1,
            p.max_trip_min * 60.0,
        )
        return res, via, q_time, q_ptr

    def travel_seconds(
        self,
        origins_xy: np.ndarray,
        targets_xy: np.ndarray,
        egress: sp.csr_matrix | None = None,
        direct: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Percentiles of door-to-door seconds, shape ``(origins, targets, percentiles)``.

        ``egress`` (stops × targets seconds) and ``direct`` (origins × targets
        seconds) default to walks to ``targets_xy``.
        """
        a = traveltime.as_points(origins_xy, "Startpunkte")
        b = traveltime.as_points(targets_xy, "Zielpunkte")
        if egress is None:
            egress = self._walk(self.timetable.xy, b, self.params.access_max_min)
        res, _, q_time, q_ptr = self._scan(egress.tocsr())
        step = max(1, _CHUNK_VALUES // max(1, egress.shape[1] * len(self.params.departures())))
        parts = [
            self._evaluate(
                a[i : i + step],
                b,
                res,
                q_time,
                q_ptr,
                None if direct is None else direct[i : i + step],
            )
            for i in range(0, max(len(a), 1), step)
        ]
        return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))

    def _evaluate(self, a, b, res, q_time, q_ptr, direct):
        """Door-to-door percentiles for one block of origins."""
        if direct is None:
            direct = self._direct(a, b)
        acc = self._walk(a, self.timetable.xy, self.params.access_max_min)
        return _csa.evaluate(
            acc.indptr.astype(np.int64),
            acc.indices.astype(np.int64),
            acc.data,
            q_ptr,
            q_time,
            res,
            np.ascontiguousarray(direct),
            self.params.departures(),
            np.asarray(self.params.percentiles, float),
        )

    # ------------------------------------------------------------------
    # The interface of geo.traveltime for mode "transit"
    # ------------------------------------------------------------------
    def nearest_field(
        self, cells_xy: np.ndarray, services_xy: np.ndarray, max_minutes: float | None = None
    ) -> traveltime.TravelField:
        """Minutes from each cell to its nearest service (first percentile)."""
        cells = traveltime.as_points(cells_xy, "Zellen")
        svc = traveltime.as_points(services_xy, "Angebote")
        n = len(cells)
        minutes, nearest = np.full(n, np.inf), np.full(n, -1, np.int64)
        if n and len(svc):
            eg = self._walk(self.timetable.xy, svc, self.params.access_max_min)
            eg_min, _ = _row_min(eg)
            one = sp.csr_matrix(
                (
                    eg_min[np.isfinite(eg_min)],
                    (
                        np.flatnonzero(np.isfinite(eg_min)),
                        np.zeros(int(np.isfinite(eg_min).sum()), np.int64),
                    ),
                ),
                shape=(self.timetable.n_stops, 1),
            )
            walk = traveltime.nearest_field(cells, svc, "walk", self.walk_network)
            stats, _ = self.travel_seconds(cells, svc[:1], one, walk.minutes[:, None] * 60.0)
            minutes = stats[:, 0, 0] / 60.0
            nearest = self._nearest_service(cells, svc, walk, minutes)
            if max_minutes is not None:
                far = minutes > float(max_minutes)
                minutes[far], nearest[far] = np.inf, -1
        return traveltime.TravelField(
            minutes,
            nearest,
            {**self.info, "mode": "transit"},
            np.zeros(n, bool),
            np.zeros(len(svc), bool),
        )

    def _nearest_service(self, cells, svc, walk, minutes) -> np.ndarray:
        """Service reached at the reported time: the walk's if walking is as fast."""
        out = np.where(np.isfinite(minutes), walk.nearest, -1)
        by_transit = np.isfinite(minutes) & (minutes < walk.minutes - 1e-9)
        if by_transit.any():
            stats, _ = self.travel_seconds(cells[by_transit], svc)
            out[by_transit] = np.argmin(stats[:, :, 0], axis=1)
        return out

    def catchment_matrix(
        self, cells_xy: np.ndarray, services_xy: np.ndarray, cutoff_minutes: float
    ) -> sp.csr_matrix:
        """Sparse cells × services minutes within the cut-off (as ``traveltime``)."""
        cells = traveltime.as_points(cells_xy, "Zellen")
        svc = traveltime.as_points(services_xy, "Angebote")
        if len(cells) == 0 or len(svc) == 0:
            return sp.csr_matrix((len(cells), len(svc)))
        stats, _ = self.travel_seconds(cells, svc)
        t = stats[:, :, 0] / 60.0
        r, c = np.nonzero(t <= float(cutoff_minutes))
        mat = sp.csr_matrix(
            (np.maximum(t[r, c], traveltime.CATCHMENT_ZERO_MIN), (r, c)), shape=t.shape
        )
        mat.sort_indices()
        return mat

    def od_matrix(self, from_xy: np.ndarray, to_xy: np.ndarray) -> np.ndarray:
        """Origin–destination minutes (first percentile), ``inf`` = not reachable."""
        a = traveltime.as_points(from_xy, "Startpunkte")
        b = traveltime.as_points(to_xy, "Zielpunkte")
        if len(a) == 0 or len(b) == 0:
            return np.full((len(a), len(b)), np.inf)
        stats, _ = self.travel_seconds(a, b)
        return stats[:, :, 0] / 60.0


def _row_min(m: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Minimum and its column per row of a sparse matrix (``inf``/-1 for empty rows)."""
    n = m.shape[0]
    vals, arg = np.full(n, np.inf), np.full(n, -1, np.int64)
    rows = np.repeat(np.arange(n), np.diff(m.indptr))
    order = np.lexsort((m.data, rows))
    first = order[np.r_[0, np.flatnonzero(np.diff(rows[order])) + 1]] if order.size else order
    vals[rows[first]] = m.data[first]
    arg[rows[first]] = m.indices[first]
    return vals, arg


def _hhmm(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


__all__ = ["TransitModel", "TransitParams", "MODEL_TRANSIT"]
