"""Benchmark of the timetable (ÖPNV) router on the real Cairns GTFS feed.

Usage::

    .venv/bin/python benchmarks/transit.py [--scale 5] [--days 50]

1. Import: ``gtfs.load_timetable`` of ``gtfs/cairns_gtfs.zip`` for Monday
   2014-06-02 (streamed stop_times, validation, calendar), no cache.
2. Field: ``TransitModel.nearest_field`` for 6,000 random cells in the feed's
   bounding box and 30 services (random stops + 50 m), departures 07:00–09:00
   (a 120-minute window, one departure per minute, median); median of 3 runs
   after one warm-up (numba compilation is cached on disk).
3. Reference: the router core (connection scan, all stops reached from one stop
   and time) against the brute-force time-expanded Dijkstra of
   ``tests/_transit_ref.py`` (scipy) on the same 100 queries; results checked
   equal; ``speedup`` = reference seconds ÷ ours.
4. Scaled cases: the feed replicated ``--scale`` times in space (copies shifted
   by 100 km, so n × stops and n × connections at the same times; the same
   field for 6,000 cells spread over the copies, n × 30 services) and ``--days``
   times in time (the day repeated on consecutive days).

The last line is::

    transit_field_s=S window_min=120 cells=6000 speedup_vs_bruteforce=X peak_mb=M
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._timing import median_seconds  # noqa: E402
from geo import _csa, gtfs, settings, transit  # noqa: E402
from tests._transit_ref import TimeExpanded  # noqa: E402

FEED = settings.data_dir() / "gtfs" / "cairns_gtfs.zip"
PARAMS = transit.TransitParams(depart_s=7 * 3600, window_min=120)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _points(tt, n_cells: int, n_services: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    lo, hi = tt.xy.min(0), tt.xy.max(0)
    cells = rng.uniform(lo, hi, (n_cells, 2))
    services = tt.xy[rng.choice(tt.n_stops, n_services, replace=False)] + 50.0
    return cells, services


def _scan_all(tt, fp, src, times):
    n = tt.n_stops
    eg = sp.identity(n, format="csr")
    return _csa.scan(
        src.astype(np.int64),
        times,
        tt.dep_stop.astype(np.int64),
        tt.arr_stop.astype(np.int64),
        tt.dep.astype(float),
        tt.arr.astype(float),
        tt.trip.astype(np.int64),
        tt.board,
        tt.alight,
        int(tt.trip.max()) + 1,
        fp.indptr.astype(np.int64),
        fp.indices.astype(np.int64),
        fp.data,
        eg.indptr.astype(np.int64),
        eg.indices.astype(np.int64),
        np.zeros(n),
        n,
        PARAMS.max_transfers + 40,
        2 * 86400.0,
    )[0]


def reference(tt) -> float:
    """Speed-up of the connection scan over the time-expanded Dijkstra (100 queries)."""
    model = transit.TransitModel(tt, PARAMS)
    fp = model._footpaths()
    rng = np.random.default_rng(1)
    src = rng.choice(tt.n_stops, 100)
    times = rng.uniform(7 * 3600, 9 * 3600, 100).round()
    _scan_all(tt, fp, src[:1], times[:1])  # compile / load
    t = time.perf_counter()
    ours = _scan_all(tt, fp, src, times)
    t_ours = time.perf_counter() - t
    t = time.perf_counter()
    ref = TimeExpanded(tt, fp, src, times)
    want = np.array(
        [ref.earliest_arrival(int(s), float(q)) for s, q in zip(src, times, strict=True)]
    )
    t_ref = time.perf_counter() - t
    same = np.isfinite(ours) == np.isfinite(want)
    both = np.isfinite(ours) & np.isfinite(want)
    diff = np.abs(ours[both] - want[both]).max()
    print(
        f"reference: 100 queries, ours {t_ours:.4f} s, time-expanded Dijkstra {t_ref:.2f} s "
        f"(incl. graph build), equal reachability {bool(same.all())}, max diff {diff:.1f} s"
    )
    return t_ref / t_ours


def replicated(tt, n: int, shift_m: float = 100_000.0):
    """The timetable copied ``n`` times, each copy shifted east by ``shift_m``."""
    s, c = tt.n_stops, tt.n_connections
    nt = int(tt.trip.max()) + 1
    k = np.repeat(np.arange(n), c)
    con = {
        "dep_stop": np.tile(tt.dep_stop, n) + k * s,
        "arr_stop": np.tile(tt.arr_stop, n) + k * s,
        "dep": np.tile(tt.dep, n),
        "arr": np.tile(tt.arr, n),
        "trip": np.tile(tt.trip, n) + k * nt,
        "board": np.tile(tt.board, n),
        "alight": np.tile(tt.alight, n),
    }
    order = np.argsort(con["dep"], kind="stable")
    con = {key: v[order] for key, v in con.items()}
    xy = np.vstack([tt.xy + [i * shift_m, 0] for i in range(n)])
    return replace(
        tt,
        **con,
        xy=xy,
        stop_ids=np.tile(tt.stop_ids, n),
        stop_names=np.tile(tt.stop_names, n),
        lon=np.tile(tt.lon, n),
        lat=np.tile(tt.lat, n),
        trip_ids=np.tile(tt.trip_ids, n),
    )


def in_time(tt, n: int):
    """The day's connections repeated on ``n`` consecutive days (n × connections)."""
    nt = int(tt.trip.max()) + 1
    k = np.repeat(np.arange(n), tt.n_connections)
    day = 86400 * k
    return replace(
        tt,
        dep_stop=np.tile(tt.dep_stop, n),
        arr_stop=np.tile(tt.arr_stop, n),
        dep=np.tile(tt.dep, n) + day,
        arr=np.tile(tt.arr, n) + day,
        trip=np.tile(tt.trip, n) + k * nt,
        board=np.tile(tt.board, n),
        alight=np.tile(tt.alight, n),
        trip_ids=np.tile(tt.trip_ids, n),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=5, help="copies of the feed in space")
    parser.add_argument("--days", type=int, default=50, help="copies of the feed in time")
    args = parser.parse_args(argv)
    t = time.perf_counter()
    tt = gtfs.load_timetable(FEED, "2014-06-02")
    print(
        f"import: {time.perf_counter() - t:.2f} s ({tt.n_stops} stops, "
        f"{tt.n_connections} connections on 2014-06-02)"
    )
    cells, services = _points(tt, 6000, 30)
    model = transit.TransitModel(tt, PARAMS)
    field_s = median_seconds(lambda: model.nearest_field(cells, services), 3)
    f = model.nearest_field(cells, services)
    ok = np.isfinite(f.minutes)
    print(
        f"field: 6000 cells × 30 services, window 120 min: {field_s:.3f} s; median "
        f"{np.median(f.minutes[ok]):.1f} min, reachable {ok.mean():.1%}"
    )
    peak = _peak_mb()
    speedup = reference(tt)
    big = replicated(tt, args.scale)
    rng = np.random.default_rng(2)
    bcells = rng.uniform(big.xy.min(0), big.xy.max(0), (6000, 2))
    bsvc = big.xy[rng.choice(big.n_stops, 30 * args.scale, replace=False)] + 50.0
    bmodel = transit.TransitModel(big, PARAMS)
    t = time.perf_counter()
    bmodel.nearest_field(bcells, bsvc)
    print(
        f"scaled ×{args.scale} in space ({big.n_stops} stops, {big.n_connections} "
        f"connections): field {time.perf_counter() - t:.2f} s "
        f"(×{(time.perf_counter() - t) / field_s:.0f} of the base case)"
    )
    long = in_time(tt, args.days)
    t = time.perf_counter()
    transit.TransitModel(long, PARAMS).nearest_field(cells, services)
    print(
        f"scaled ×{args.days} in time ({long.n_connections} connections): field "
        f"{time.perf_counter() - t:.2f} s (the scan only reads the window's connections)"
    )
    print(
        f"transit_field_s={field_s:.3f} window_min=120 cells=6000 "
        f"speedup_vs_bruteforce={speedup:.0f} peak_mb={peak:.0f}"
    )


if __name__ == "__main__":
    main()
