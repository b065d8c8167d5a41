"""Full recompute of the accessibility measures (``geo.analysis.analyze``).

For ``default`` and ``thueringen`` (straight-line fallback; region build and
load excluded) and on a road network: ``bayreuth-nord`` (if its bundle can be
built) and the real north-Bayreuth car network with synthetic cells and
services of the default region's size (6,300 cells on network nodes, 60
services). Each recompute is split into its parts:
nearest-service field, catchment matrix (cells × services within the
threshold), and measures + Gemeinde aggregation (the rest of ``analyze``).

Baselines, measured in the same run on the same inputs:

- ``loop``: a naive per-cell Python loop (``math.hypot`` to every service,
  nearest, count, 2SFCA step 1 and 2, gap) timed on a sample of cells and
  extrapolated linearly to all cells; no Gemeinde aggregation (so the ratio
  is conservative).
- ``dense``: the same cell measures with a dense cells × services NumPy
  matrix instead of the sparse catchment (no Gemeinde aggregation either).
- network case: ``dense OD``, the full cells × services matrix from one
  unlimited Dijkstra per service (``traveltime.od_matrix``) plus the dense
  cell measures, instead of the nearest field + the cut-off catchment.

Run: ``.venv/bin/python benchmarks/analysis.py``
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _timing import median_seconds, summary_line

from geo import analysis, region, settings, traveltime
from present import describe

REPEAT = 7
LOOP_SAMPLE = 400


def naive_loop(cells_xy, services_xy, demand, capacity, T, mode, sample: int) -> float:
    """Seconds of the per-cell Python loop, extrapolated from ``sample`` cells."""
    mpm = traveltime.metres_per_minute(mode)
    n = len(cells_xy)
    idx = np.linspace(0, n - 1, min(sample, n)).astype(int)
    cx, cy = cells_xy[idx, 0].tolist(), cells_xy[idx, 1].tolist()
    sx, sy = services_xy[:, 0].tolist(), services_xy[:, 1].tolist()
    d = demand[idx].tolist()
    cap = capacity.tolist()
    t0 = time.perf_counter()
    load = [0.0] * len(sx)
    times = []
    for i in range(len(cx)):  # step 1: nearest, count and demand per service
        row = [math.hypot(cx[i] - sx[j], cy[i] - sy[j]) / mpm for j in range(len(sx))]
        times.append(row)
        for j, t in enumerate(row):
            if t <= T:
                load[j] += d[i]
    ratio = [c / dj if dj > 0 else 0.0 for c, dj in zip(cap, load, strict=True)]
    out = []
    for i, row in enumerate(times):  # step 2: access, nearest, gap
        nearest = min(row) if row else math.inf
        acc = sum(ratio[j] for j, t in enumerate(row) if t <= T)
        count = sum(1 for t in row if t <= T)
        gap = d[i] * max(0.0, min(nearest, 3 * T) - T)
        out.append((nearest, count, acc, gap))
    return (time.perf_counter() - t0) * n / len(cx)


def dense(cells_xy, services_xy, demand, capacity, T, mode, network=None) -> None:
    """Cell measures with a dense cells × services matrix (OD matrix with a network)."""
    if network is None:
        diff = cells_xy[:, None, :] - services_xy[None, :, :]
        t = np.sqrt((diff**2).sum(axis=2)) / traveltime.metres_per_minute(mode)
    else:
        t = traveltime.od_matrix(cells_xy, services_xy, mode, network)
    nearest = t.min(axis=1) if t.shape[1] else np.full(len(t), np.inf)
    inside = t <= T
    w = analysis.decay_weights(t, T, "step")
    for weights in (inside.astype(float), w):
        dj = weights.T @ demand
        r = np.divide(capacity, dj, out=np.zeros_like(dj), where=dj > 0)
        _ = weights @ r
    _ = inside.sum(axis=1), analysis.gap_score(nearest, demand, T)


def bench(
    label: str, reg, params: analysis.AnalysisParams, networks=None, baselines: bool = True
) -> dict[str, float]:
    """Print the figures of one case; returns ``full_s`` and the baseline ratio."""
    cells_xy = reg.cells[["x", "y"]].to_numpy(dtype=float)
    sel = analysis.service_selection(reg.services, params.kinds)
    services_xy = analysis.points_xy(sel)
    demand = reg.cells[params.target].to_numpy(dtype=float)
    capacity, _ = analysis.service_capacity(sel)
    net = (networks or {}).get(params.mode)
    T = params.threshold_min

    total = median_seconds(lambda: analysis.analyze(reg, params, networks), REPEAT)
    t_field = median_seconds(
        lambda: traveltime.nearest_field(cells_xy, services_xy, params.mode, net), REPEAT
    )
    t_catch = median_seconds(
        lambda: traveltime.catchment_matrix(cells_xy, services_xy, params.mode, T, net), REPEAT
    )
    res = analysis.analyze(reg, params, networks)
    rest = max(total - t_field - t_catch, 0.0)
    model = describe.model_text(res)
    print(
        f"{label}: cells={len(cells_xy):,} services={len(services_xy)} "
        f"catchment_pairs={res.catchment.nnz:,} mode={params.mode} T={T:g} min "
        f"target={params.target}"
    )
    print(f"{label}:   model: {model}")
    print(f"{label}:   full_recompute_s={total:.4f} (median of {REPEAT}, after warm-up)")
    print(
        f"{label}:     nearest_field_s={t_field:.4f} catchment_matrix_s={t_catch:.4f} "
        f"measures_and_aggregation_s={rest:.4f}"
    )
    if not baselines:
        return {"full_s": total}
    if net is not None:
        t_od = median_seconds(
            lambda: dense(cells_xy, services_xy, demand, capacity, T, params.mode, net), 3
        )
        print(
            f"{label}:   baseline dense OD (one unlimited Dijkstra per service, dense "
            f"cells × services, cell measures only): {t_od:.4f} s → ratio baseline/full = "
            f"{t_od / total:.2f}"
        )
        return {"full_s": total, "dense_od_ratio": t_od / total}
    t_loop = naive_loop(cells_xy, services_xy, demand, capacity, T, params.mode, LOOP_SAMPLE)
    t_dense = median_seconds(
        lambda: dense(cells_xy, services_xy, demand, capacity, T, params.mode), 3
    )
    print(
        f"{label}:   baseline loop (per-cell Python loop, {LOOP_SAMPLE} cells extrapolated, "
        f"cell measures only): {t_loop:.3f} s → ratio baseline/full = {t_loop / total:.1f}"
    )
    print(
        f"{label}:   baseline dense (NumPy cells × services matrix, cell measures only): "
        f"{t_dense:.4f} s → ratio baseline/full = {t_dense / total:.2f}"
    )
    return {"full_s": total, "loop_ratio": t_loop / total, "dense_ratio": t_dense / total}


def _network_cases() -> list[tuple[str, object, dict]]:
    """bayreuth-nord with its network (if buildable) and synthetic default-sized cells on it."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    from geo import network

    cases = []
    try:
        reg = region.load_region("bayreuth-nord")
        nets = reg.networks(("car",))
        if nets and len(reg.services):
            cases.append(("bayreuth-nord (network)", reg, nets))
    except Exception as exc:  # the bundle may not be buildable in this checkout
        print(f"bayreuth-nord: region not available ({exc.__class__.__name__}: {exc})")
        nets = network.build_networks(
            settings.data_dir() / "osm" / "north-bayreuth.osm.gz", modes=("car",)
        )
    net = nets["car"]
    rng = np.random.default_rng(0)
    nodes = rng.choice(net.n_nodes, 6300, replace=False)
    xy = np.round((net.xy[nodes] - 50) / 100) * 100 + 50
    cells = pd.DataFrame(
        {"x": xy[:, 0], "y": xy[:, 1], "ags": "X", "pop": rng.gamma(2.0, 12.0, xy.shape[0])}
    )
    s_nodes = rng.choice(net.n_nodes, 60, replace=False)
    services = gpd.GeoDataFrame(
        {
            "id": [f"s{i}" for i in range(60)],
            "name": "Angebot",
            "category": "Familie",
            "subcategory": "Familienzentrum",
            "capacity": np.nan,
            "precision": "coordinates",
        },
        geometry=shapely.points(net.xy[s_nodes]),
        crs=settings.CRS_METRIC,
    )
    hull = shapely.convex_hull(shapely.multipoints(net.xy))
    gem = gpd.GeoDataFrame(
        {"ags": ["X"], "name": ["Testgebiet"]}, geometry=[hull], crs=settings.CRS_METRIC
    )
    reg = SimpleNamespace(
        name="synthetic",
        label="synthetisch",
        cells=cells,
        gemeinden=gem,
        services=services,
        meta={},
    )
    cases.append(("north-bayreuth network, synthetic 6,300 cells / 60 services", reg, nets))
    return cases


def main() -> None:
    params = analysis.AnalysisParams(kinds=(), target="pop", mode="car")  # all services, 20 min
    out: dict[str, float] = {}
    for name in ("default", "thueringen"):
        reg = region.load_region(name)  # built/loaded outside the timing
        out.update({f"{name}_{k}": v for k, v in bench(name, reg, params).items()})
        walk = bench(
            f"{name} (walk 15 min, Familie, single parents)",
            reg,
            analysis.AnalysisParams(kinds=("Familie",), target="single_parent_hh", mode="walk"),
            baselines=False,
        )
        out[f"{name}_walk_full_s"] = walk["full_s"]
    for i, (label, reg, nets) in enumerate(_network_cases()):
        case = "network" if i == 0 else f"network{i + 1}"
        out.update({f"{case}_{k}": v for k, v in bench(label, reg, params, nets).items()})
    print(summary_line(out))


if __name__ == "__main__":
    main()
