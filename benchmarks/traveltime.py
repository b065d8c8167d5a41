"""Benchmark of the travel-time engine.

Usage::

    .venv/bin/python benchmarks/traveltime.py [--quick]

Part 1 — real data (run second, after part 2): builds the walk/bike/car networks of
``north-bayreuth.osm.gz`` (XML via osmnx, and the same data as .osm.pbf via
pyosmium), then times nearest-service fields, catchments and OD matrices, and
the straight-line fallback for 100,000 cells × 100 services.

Part 2 — synthetic graph (not real data): a 548 × 548 grid of nodes 100 m
apart, each moved by up to ±30 m at random, with all horizontal and vertical
links plus random diagonals: 300,304 nodes and 800,000 undirected edges
(1.6 million directed arcs), bike speed 15 km/h. 50 services on random nodes,
30,000 cells at random points, cut-off 30 minutes. Our nearest_field (one
multi-source Dijkstra) is compared, in the same run, with the naive approach:
one ``networkx.ego_graph`` per service (radius = cut-off, on the reversed
graph), a Dijkstra inside each ego graph for the times, then the minimum over
services. Both results are checked to be equal.

The last line is::

    nearest_field_speedup=X nearest_field_seconds=S peak_mb=M

``S`` is the median of 5 calls after one warm-up call (the cells' snapping is
cached per network, as in the app; the cold first call is printed above).
``M`` is the peak resident set size of the process (``resource.getrusage``,
``ru_maxrss``) measured right after our field computations and before the
networkx graph is built, so it bounds the memory of graph + field computation.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo import settings
from geo import traveltime as tt
from geo.network import Network, access_speed_mps, build_networks
from geo.osmpoi import read_osm_services

GRID = 548
N_EDGES = 800_000
N_SERVICES = 50
N_CELLS = 30_000
CUTOFF_MIN = 30.0


def timed(fn, *args, repeat: int = 1, **kwargs):
    """Run ``fn`` ``repeat`` times; return (last result, median seconds)."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn(*args, **kwargs)
        times.append(time.perf_counter() - t0)
    return result, statistics.median(times)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


# ---------------------------------------------------------------------------
# Part 1: north-bayreuth
# ---------------------------------------------------------------------------
def real_data(osm: Path) -> None:
    import osmium

    print(f"\n== Teil 1: echtes OSM-Netz {osm.name}")
    nets, t_xml = timed(build_networks, osm)
    print(f"build_networks (XML, osmnx, 4 modes): {t_xml:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        pbf = Path(tmp) / "north-bayreuth.osm.pbf"
        with osmium.SimpleWriter(str(pbf)) as writer:
            for obj in osmium.FileProcessor(str(osm)):
                writer.add(obj)
        _, t_pbf = timed(build_networks, pbf)
    print(f"build_networks (PBF, pyosmium, 4 modes): {t_pbf:.2f} s")
    services = read_osm_services(osm)
    from geo.network import lonlat_to_xy

    kitas = lonlat_to_xy(services["lon"], services["lat"])
    for mode, net in nets.items():
        x0, y0, x1, y1 = net.bounds
        xs, ys = np.meshgrid(np.arange(x0, x1, 100.0) + 50, np.arange(y0, y1, 100.0) + 50)
        cells = np.column_stack([xs.ravel(), ys.ravel()])
        tt.nearest_field(cells, kitas, mode, net)  # warm-up (KD-tree, snapping)
        f, t_f = timed(tt.nearest_field, cells, kitas, mode, net, repeat=5)
        m, t_c = timed(tt.catchment_matrix, cells, kitas, mode, 15, net)
        _od, t_od = timed(tt.od_matrix, cells[:200], cells[-200:], mode, net)
        print(
            f"{mode:9s} nodes={net.n_nodes:6d} arcs={net.n_edges:6d} "
            f"kept={net.meta['share_kept']:.3f} | {len(cells)} cells × {len(kitas)} services: "
            f"nearest_field {t_f * 1000:.1f} ms, catchment(15 min) {t_c * 1000:.1f} ms "
            f"({m.nnz} pairs), od 200×200 {t_od * 1000:.1f} ms; "
            f"routable {f.routable_share:.1%}, median {np.median(f.minutes[np.isfinite(f.minutes)]):.1f} min"
        )
    rng = np.random.default_rng(0)
    cells = rng.uniform(0, 60_000, (100_000, 2))
    svc = rng.uniform(0, 60_000, (100, 2))
    _, t1 = timed(tt.nearest_field, cells, svc, "walk", repeat=3)
    _, t2 = timed(tt.count_within, cells, svc, "walk", 30, repeat=3)
    m, t3 = timed(tt.catchment_matrix, cells, svc, "walk", 30, repeat=3)
    print(
        f"fallback 100,000 cells × 100 services: nearest_field {t1 * 1000:.0f} ms, "
        f"count_within {t2 * 1000:.0f} ms, catchment_matrix {t3 * 1000:.0f} ms ({m.nnz} pairs)"
    )


# ---------------------------------------------------------------------------
# Part 2: synthetic graph
# ---------------------------------------------------------------------------
def synthetic_network(seed: int = 0) -> Network:
    """Perturbed grid with random diagonals (documented above)."""
    rng = np.random.default_rng(seed)
    n = GRID
    idx = np.arange(n * n).reshape(n, n)
    jj, ii = np.meshgrid(np.arange(n), np.arange(n))
    x = (jj * 100.0 + rng.uniform(-30, 30, (n, n))).ravel() + 4_400_000
    y = (ii * 100.0 + rng.uniform(-30, 30, (n, n))).ravel() + 3_000_000
    u = [idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    v = [idx[:, 1:].ravel(), idx[1:, :].ravel()]
    n_diag = N_EDGES - sum(a.size for a in u)
    cells = rng.choice((n - 1) * (n - 1), n_diag, replace=False)
    ci, cj = np.divmod(cells, n - 1)
    slash = rng.random(n_diag) < 0.5
    u.append(np.where(slash, idx[ci, cj + 1], idx[ci, cj]))
    v.append(np.where(slash, idx[ci + 1, cj], idx[ci + 1, cj + 1]))
    u, v = np.concatenate(u), np.concatenate(v)
    length = np.hypot(x[u] - x[v], y[u] - y[v])
    seconds = length / (settings.BIKE_SPEED_KMH / 3.6)
    net = Network.from_arcs(
        "bike",
        np.r_[u, v],
        np.r_[v, u],
        np.r_[seconds, seconds],
        x,
        y,
        lengths=np.r_[length, length],
        meta={"source": "synthetisch"},
    )
    return net.reordered()  # node order as build_networks makes it (reverse Cuthill–McKee)


def naive_field(G_rev, service_nodes, cell_nodes, cell_access_s, cutoff_s, n_nodes):
    """One networkx ego_graph per service, then the minimum over services."""
    import networkx as nx

    best = np.full(n_nodes, np.inf)
    which = np.full(n_nodes, -1)
    for j, s in enumerate(service_nodes.tolist()):
        ego = nx.ego_graph(G_rev, s, radius=cutoff_s, distance="weight")
        times = nx.single_source_dijkstra_path_length(ego, s, weight="weight")
        nodes = np.fromiter(times.keys(), dtype=np.int64, count=len(times))
        secs = np.fromiter(times.values(), dtype=float, count=len(times))
        better = secs < best[nodes]
        best[nodes[better]] = secs[better]
        which[nodes[better]] = j
    t = best[cell_nodes] + cell_access_s
    t[t > cutoff_s] = np.inf
    return t / 60.0


def synthetic(quick: bool) -> tuple[float, float, float]:
    import networkx as nx

    print(f"== Teil 2: synthetisches Netz ({GRID}×{GRID}-Gitter mit Zufallsdiagonalen)")
    net, t_gen = timed(synthetic_network)
    print(
        f"generated: {net.n_nodes:,} nodes, {net.n_edges // 2:,} edges "
        f"({net.n_edges:,} arcs) in {t_gen:.2f} s"
    )
    rng = np.random.default_rng(1)
    services_idx = rng.choice(net.n_nodes, N_SERVICES, replace=False)
    services = net.xy[services_idx]
    x0, y0, x1, y1 = net.bounds
    cells = np.column_stack([rng.uniform(x0, x1, N_CELLS), rng.uniform(y0, y1, N_CELLS)])

    field, t_cold = timed(tt.nearest_field, cells, services, "bike", net, max_minutes=CUTOFF_MIN)
    field, t_ours = timed(
        tt.nearest_field, cells, services, "bike", net, max_minutes=CUTOFF_MIN, repeat=5
    )
    _, t_full = timed(tt.nearest_field, cells, services, "bike", net, repeat=3)
    peak = rss_mb()
    tracemalloc.start()
    tt.nearest_field(cells, services, "bike", net, max_minutes=CUTOFF_MIN)
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(
        f"nearest_field ({N_CELLS:,} cells, {N_SERVICES} services, cut-off {CUTOFF_MIN:g} min): "
        f"first call {t_cold:.3f} s (incl. KD-tree and snapping), then median {t_ours:.4f} s; "
        f"without cut-off {t_full:.4f} s"
    )
    print(
        f"reached: {np.isfinite(field.minutes).mean():.1%} of cells; peak RSS so far "
        f"{peak:.0f} MB; tracemalloc peak of one call {traced:.0f} MB"
    )

    t0 = time.perf_counter()
    u, v, w = net.edge_list()
    G_rev = nx.DiGraph()
    G_rev.add_weighted_edges_from(zip(v.tolist(), u.tolist(), w.tolist(), strict=True))
    print(f"networkx graph built in {time.perf_counter() - t0:.1f} s (not timed below)")
    snap = net.snap(cells)
    access = snap.dist_m / access_speed_mps("bike")
    n_naive = 10 if quick else N_SERVICES
    naive, t_naive = timed(
        naive_field, G_rev, services_idx[:n_naive], snap.node, access, CUTOFF_MIN * 60, net.n_nodes
    )
    if quick:
        t_naive *= N_SERVICES / n_naive
        print(f"(quick: naive run on {n_naive} services, time scaled to {N_SERVICES})")
    else:
        ok = np.isfinite(naive)
        assert np.array_equal(ok, np.isfinite(field.minutes))
        diff = np.abs(naive[ok] - field.minutes[ok]).max()
        assert diff < 1e-9, diff
        print(f"naive and ours agree (max |diff| = {diff:.1e} min)")
    print(f"naive (ego_graph per service + min): {t_naive:.2f} s")
    return t_naive / t_ours, t_ours, peak


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Nahraum travel-time benchmark")
    parser.add_argument("--osm", default=str(settings.data_dir() / "osm" / "north-bayreuth.osm.gz"))
    parser.add_argument("--quick", action="store_true", help="naive run on 10 services only")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    speedup, seconds, peak = synthetic(args.quick)  # first, so peak_mb is not osmnx's parse
    osm = Path(args.osm)
    if osm.is_file():
        real_data(osm)
    else:
        print(f"(skipped part 1: {osm} not found)")
    print(f"total runtime {time.perf_counter() - t0:.0f} s")
    print(
        f"nearest_field_speedup={speedup:.0f} nearest_field_seconds={seconds:.4f} "
        f"peak_mb={peak:.0f}"
    )


if __name__ == "__main__":
    main()
