"""Atlas on Dask: thueringen on 1 and 2 local workers, and a scaled plan for 400 Kreise.

1. ``thueringen`` (23 Kreise) × ``--modes`` × every category × every target group, once
   with 1 and once with 2 local worker processes (fresh output folders): wall time,
   speed-up, peak memory per worker (the largest ``ru_maxrss`` a partition reported on
   that worker's process) and the time per partition.
2. Growth with the number of Kreise: synthetic Kreise made by replicating the real ones
   (each replica is a real partition computed again into its own folder) for
   23, 46 and 92 Kreise on 2 workers; wall time per Kreis and the extrapolation to 400.
3. Growth with network size: the per-partition routing step (``geo.traveltime``
   nearest field plus catchment for one category) on synthetic street grids of
   increasing node count over the Kyffhäuserkreis, next to the straight-line fallback the
   atlas uses for Thuringia today (no road network loaded). 100 million nodes for
   Germany are about 250,000 per Kreis.

Summary line: ``atlas_1w_s=… atlas_2w_s=… speedup_2w=… peak_mb_worker=… partitions=…
kreise_400_est_min=… route_250k_nodes_s=…``.

Run: ``.venv/bin/python benchmarks/atlas.py [--modes walk,bike,car] [--quick]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from geo import atlas, network, region, settings, traveltime  # noqa: E402


def run(spec, out: Path, workers: int, task=atlas.compute_partition) -> tuple[float, list[dict]]:
    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    report = atlas.run_atlas(spec, out, workers=workers, progress=None, task=task)
    wall = time.perf_counter() - t
    if not report.ok:
        raise SystemExit(f"Atlas fehlgeschlagen: {report.failed}")
    return wall, report.computed


def peak_per_worker(markers: list[dict]) -> float:
    by_pid: dict[int, float] = {}
    for m in markers:
        by_pid[m["pid"]] = max(by_pid.get(m["pid"], 0.0), m["peak_rss_mb"])
    return max(by_pid.values())


def replica_task(copies: int):
    """A partition function computing each real partition ``copies`` times (synthetic Kreise)."""

    def task(spec, part, out, code):
        marker = {}
        for i in range(copies):
            marker = atlas.compute_partition(spec, part, str(Path(out) / f"replica-{i}"), code)
        # the real folder gets the marker so that the run counts the partition as done
        atlas.write_bytes_atomic(
            atlas.marker_path(Path(out), part),
            json.dumps(marker).encode(),
        )
        return marker

    return task


def grid_network(bounds, n_nodes: int) -> network.Network:
    """A 4-neighbour street grid of about ``n_nodes`` nodes over ``bounds`` (walk speed)."""
    x0, y0, x1, y1 = bounds
    ratio = (x1 - x0) / (y1 - y0)
    ny = max(int(np.sqrt(n_nodes / ratio)), 2)
    nx = max(int(n_nodes / ny), 2)
    xs, ys = np.linspace(x0, x1, nx), np.linspace(y0, y1, ny)
    gx, gy = np.meshgrid(xs, ys)
    idx = np.arange(nx * ny).reshape(ny, nx)
    a = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    b = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    src, dst = np.concatenate([a, b]), np.concatenate([b, a])
    length = np.hypot(gx.ravel()[src] - gx.ravel()[dst], gy.ravel()[src] - gy.ravel()[dst])
    order = np.lexsort((dst, src))
    src, dst, length = src[order], dst[order], length[order]
    indptr = np.zeros(nx * ny + 1, dtype=np.int32)
    np.add.at(indptr, src + 1, 1)
    indptr = np.cumsum(indptr).astype(np.int32)
    speed = settings.WALK_SPEED_KMH / 3.6
    return network.Network(
        mode="walk",
        indptr=indptr,
        indices=dst.astype(np.int32),
        weights=length / speed,
        lengths=length,
        x=gx.ravel(),
        y=gy.ravel(),
        osm_ids=np.arange(nx * ny, dtype=np.int64),
        meta={"source": "synthetic grid"},
    )


def route_seconds(reg, net) -> float:
    cells = reg.cells[["x", "y"]].to_numpy(dtype=float)
    svc = reg.services.loc[reg.services["category"] == "Jugend"]
    xy = np.column_stack([svc.geometry.x, svc.geometry.y])
    t = time.perf_counter()
    traveltime.nearest_field(cells, xy, "walk", net)
    traveltime.catchment_matrix(cells, xy, "walk", 15, net)
    return time.perf_counter() - t


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--modes", default="walk,bike,car")
    p.add_argument("--quick", action="store_true", help="nur 2 Kategorien und 2 Zielgruppen")
    args = p.parse_args()
    kinds = "Jugend,Beratung" if args.quick else "all"
    targets = "pop,u18" if args.quick else "all"
    spec = atlas.make_spec("thueringen", kinds, args.modes, targets)
    tmp = Path(tempfile.mkdtemp(prefix="nahraum-atlas-bench-"))
    n_kreise = len(atlas.kreise_of(spec))
    for k, _ in atlas.kreise_of(spec):  # bundles built before timing (cache)
        region.build_region(k)
    combos = len(spec.kinds) * len(spec.targets)
    print(
        f"thueringen: {n_kreise} Kreise × {len(spec.modes)} Verkehrsarten, "
        f"je {combos} Kategorie×Zielgruppe-Analysen"
    )

    wall1, m1 = run(spec, tmp / "w1", 1)
    wall2, m2 = run(spec, tmp / "w2", 2)
    per_part = [m["seconds"] for m in m1]
    peak = max(peak_per_worker(m1), peak_per_worker(m2))
    print(
        f"1 Worker: {wall1:.1f} s; 2 Worker: {wall2:.1f} s (Beschleunigung {wall1 / wall2:.2f}×); "
        f"{len(m1)} Teile, je Teil Median {statistics.median(per_part):.2f} s, "
        f"max {max(per_part):.2f} s; Spitzenspeicher je Worker {peak:.0f} MB"
    )

    # growth with the number of Kreise (replicas of the real ones), 2 workers
    growth = []
    for copies in (1, 2, 4):
        wall, _ = run(spec, tmp / f"rep{copies}", 2, task=replica_task(copies))
        growth.append((n_kreise * copies, wall))
        print(
            f"{n_kreise * copies} Kreise (synthetisch): {wall:.1f} s, "
            f"{wall / (n_kreise * copies):.2f} s je Kreis"
        )
    (k_a, w_a), (k_b, w_b) = growth[0], growth[-1]
    slope = (w_b - w_a) / (k_b - k_a)
    est_400 = (w_a + slope * (400 - k_a)) / 60
    print(
        f"Zuwachs {slope:.2f} s je weiterem Kreis (2 Worker) → 400 Kreise ≈ {est_400:.1f} min "
        "(Luftlinien-Modell, ohne Straßennetz)"
    )

    # growth with network size (per partition routing step)
    reg = region.load_region("16065")
    b = reg.cells[["x", "y"]].to_numpy()
    bounds = (*(b.min(0) - 2000), *(b.max(0) + 2000))
    fallback = route_seconds(reg, None)
    print(f"Routing je Teil (Kyffhäuserkreis, Jugend, zu Fuß): Luftlinie {fallback:.3f} s")
    sizes, times = [], []
    for n in (25_000, 100_000, 400_000):
        net = grid_network(bounds, n)
        s = route_seconds(reg, net)
        sizes.append(len(net.x))
        times.append(s)
        print(f"  Gitternetz {len(net.x):,} Knoten: {s:.3f} s")
    coef = np.polyfit(np.log(sizes), np.log(times), 1)
    at_250k = float(np.exp(np.polyval(coef, np.log(250_000))))
    print(
        f"  Wachstum ~ Knoten^{coef[0]:.2f}; 250.000 Knoten (Deutschland: 100 Mio. / 400 Kreise) "
        f"≈ {at_250k:.2f} s je Kategorie und Verkehrsart"
    )
    shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"atlas_1w_s={wall1:.1f} atlas_2w_s={wall2:.1f} speedup_2w={wall1 / wall2:.2f} "
        f"peak_mb_worker={peak:.0f} partitions={len(m1)} kreise_400_est_min={est_400:.1f} "
        f"route_250k_nodes_s={at_250k:.2f}"
    )


if __name__ == "__main__":
    main()
