"""Workshop mode: "add site → updated figures" and suggested sites (k = 3) on ``default``.

Scenario comparison (``geo.compare.compare`` with the status quo reused):

- ``incremental``: what the app does after a click, the status-quo result at
  hand; only the new site's nearest-time field and catchment column are
  computed, then the measures and the Gemeinde/region deltas (median of ≥ 20
  runs, a different village each run).
- baseline ``full``: the same comparison with ``incremental=False``, i.e. a full
  ``analysis.analyze`` of the changed service list plus the same deltas, in the
  same run on the same inputs; printed as the ratio full ÷ incremental.
- ``chain``: one more change on top of the previous comparison (``previous=``).

Suggested sites (``geo.optimize``), villages and thinned grid cells as candidates:

- greedy and exact (PuLP + CBC on the reduced problem) for k = 3;
- baselines: brute force over all 3-subsets of the distinct candidates (no
  dominance pruning), and spopt's MCLP on the unreduced problem (same PuLP/CBC).

Run: ``.venv/bin/python benchmarks/scenario.py``
"""

from __future__ import annotations

import math
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo import analysis, compare, optimize, region, scenario, traveltime
from present import describe

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import summary_line

RUNS = 25
K = 3
BRUTE_MAX_SUBSETS = 2_000_000


def _median_ms(fn, runs: int = RUNS, warmup: int = 1) -> float:
    for i in range(warmup):
        fn(i)
    out = []
    for i in range(runs):
        t = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - t)
    return statistics.median(out) * 1000


def bench_compare(reg, params, networks=None) -> dict[str, float]:
    base = analysis.analyze(reg, params, networks)
    rng = np.random.default_rng(0)
    pick = rng.choice(len(reg.cells), 200, replace=False)  # new sites at populated cells
    xs = reg.cells["x"].to_numpy(dtype=float)[pick]
    ys = reg.cells["y"].to_numpy(dtype=float)[pick]
    cat = params.kinds[0] if params.kinds else "Familie"

    def scen(i: int) -> scenario.Scenario:
        j = (7 * i) % len(xs)
        return scenario.Scenario("Bench").with_change(
            scenario.AddSite(x=xs[j], y=ys[j], name=f"Neu {j}", category=cat)
        )

    scenarios = [scen(i) for i in range(RUNS + 1)]
    inc = _median_ms(
        lambda i: compare.compare(reg, params, scenarios[i], networks, base_result=base)
    )
    full = _median_ms(
        lambda i: compare.compare(
            reg, params, scenarios[i], networks, base_result=base, incremental=False
        )
    )
    analyze = _median_ms(lambda i: analysis.analyze(reg, params, networks), runs=7)
    first = compare.compare(reg, params, scenarios[0], networks, base_result=base)
    more = [
        scenarios[0].with_change(
            scenario.AddSite(
                x=xs[(7 * i + 3) % len(xs)], y=ys[(7 * i + 3) % len(xs)], name="Zwei", category=cat
            )
        )
        for i in range(RUNS + 1)
    ]
    chain = _median_ms(
        lambda i: compare.compare(reg, params, more[i], networks, base_result=base, previous=first)
    )
    label = (
        f"{reg.name}: {cat if params.kinds else 'alle'}/{params.target}/{params.mode} "
        f"{params.threshold_min:g} min"
    )
    print(
        f"compare [{label}]: cells={len(reg.cells):,} services={len(base.services)} "
        f"model: {describe.model_text(base)}"
    )
    print(
        f"  add site → updated figures (incremental): {inc:.1f} ms (median of {RUNS}, "
        f"target < 100 ms)"
    )
    print(
        f"  baseline full recompute (analyze + deltas): {full:.1f} ms → ratio "
        f"{full / inc:.1f}× slower"
    )
    print(
        f"  second change on top (previous=): {chain:.1f} ms; plain analysis.analyze: "
        f"{analyze:.1f} ms"
    )
    return {"add_site_ms": inc, "full_over_incremental": full / inc}


def bench_suggest(reg, params, candidates: str) -> dict[str, float]:
    s = optimize.suggest(reg, params, K, candidates=candidates)  # warm-up, coverage
    cov, w = s._coverage, s._demand_people
    g = _median_ms(lambda i: optimize.greedy(cov, w, K))
    e = _median_ms(lambda i: optimize.exact(cov, w, K), runs=5)
    ex = optimize.exact(cov, w, K)
    what = "distinct"
    red = optimize.reduce_problem(cov, w, drop_dominated=False)
    if math.comb(red.columns.size, K) > BRUTE_MAX_SUBSETS:  # enumerate the non-dominated
        what = "non-dominated"
        red = optimize.reduce_problem(cov, w)
    n_sub = math.comb(red.columns.size, K)
    bf = None
    if n_sub <= BRUTE_MAX_SUBSETS:
        t = time.perf_counter()
        bf = optimize.brute_force(
            cov, w, K, max_subsets=BRUTE_MAX_SUBSETS, drop_dominated=what != "distinct"
        )
        brute = (time.perf_counter() - t) * 1000
    gr = optimize.greedy(cov, w, K)
    print(
        f"suggest [{params.kinds[0]}/{params.target}/{params.mode}, {candidates}]: "
        f"candidates={len(s.candidates)} demand cells={cov.shape[0]:,} "
        f"reduced to {s.metadata['reduction']['candidates_kept']} candidates × "
        f"{s.metadata['reduction']['cell_groups_final']} cell groups"
    )
    print(
        f"  coverage matrix (catchment_matrix): {s.metadata['timings']['coverage_ms']:.1f} ms;"
        f" full suggest(): {s.metadata['timings']['total_ms']:.1f} ms"
    )
    print(f"  greedy k={K}: {g:.2f} ms (median of {RUNS}), people={gr.total:,.0f}")
    print(
        f"  exact k={K} (PuLP+CBC, reduced): {e:.1f} ms (median of 5), people={ex.total:,.0f}, "
        f"greedy/exact = {gr.total / ex.total:.4f}"
    )
    if bf is None:
        print(
            f"  baseline brute force: not run ({n_sub:,} {K}-subsets of {red.columns.size} "
            f"{what} candidates > {BRUTE_MAX_SUBSETS:,}; ~48 s measured once)"
        )
    else:
        print(
            f"  baseline brute force over all {K}-subsets of {red.columns.size} {what} "
            f"candidates ({n_sub:,} subsets): {brute:.0f} ms, people={bf.total:,.0f} → "
            f"ratio {brute / g:.0f}× greedy, {brute / e:.1f}× exact"
        )
    try:
        import pulp
        from spopt.locate import MCLP

        cand_xy = s.candidates[["x", "y"]].to_numpy(dtype=float)
        cells_xy = reg.cells[["x", "y"]].to_numpy(dtype=float)
        sel = analysis.service_selection(reg.services, params.kinds)
        near = traveltime.nearest_field(cells_xy, analysis.points_xy(sel), params.mode)
        demand = np.flatnonzero(
            ~(near.minutes <= params.threshold_min) & (reg.cells[params.target].to_numpy(float) > 0)
        )
        cost = traveltime.od_matrix(cells_xy[demand], cand_xy, params.mode)
        weights = reg.cells[params.target].to_numpy(float)[demand]
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = MCLP.from_cost_matrix(
                cost, weights, service_radius=params.threshold_min, p_facilities=K
            )
            m = m.solve(pulp.PULP_CBC_CMD(msg=False))
        sp_ms = (time.perf_counter() - t) * 1000
        print(
            f"  baseline spopt MCLP (unreduced, {cost.shape[0]:,} × {cost.shape[1]}): "
            f"{sp_ms:.0f} ms, people={m.problem.objective.value():,.0f} → ratio "
            f"{sp_ms / e:.1f}× exact"
        )
    except Exception as exc:  # pragma: no cover - optional baseline
        print(f"  baseline spopt MCLP: not run ({exc.__class__.__name__}: {exc})")
    return {"greedy_ms": g, "exact_ms": e, "greedy_over_exact": gr.total / ex.total}


def main() -> None:
    reg = region.load_region("default")  # built/loaded outside the timing
    out: dict[str, float] = {}
    for params in (
        analysis.AnalysisParams(kinds=("Familie",), target="u10", mode="walk"),
        analysis.AnalysisParams(kinds=("Jugend",), target="u18", mode="car"),
    ):
        got = bench_compare(reg, params)
        out.update({f"{params.mode}_{k}": v for k, v in got.items()})
    try:  # a real OSM road network: the incremental path saves the per-service Dijkstras
        net_reg = region.load_region("bayreuth-nord")
        nets = net_reg.networks(("car", "walk"))
        for mode in ("car", "walk"):
            if mode in nets:
                got = bench_compare(
                    net_reg, analysis.AnalysisParams(kinds=(), target="pop", mode=mode), nets
                )
                out.update({f"network_{mode}_{k}": v for k, v in got.items()})
    except Exception as exc:  # pragma: no cover - the bundle may not be buildable here
        print(f"bayreuth-nord (network): not run ({exc.__class__.__name__}: {exc})")
    p = analysis.AnalysisParams(kinds=("Familie",), target="u10", mode="walk")
    for candidates in ("villages", "cells"):
        got = bench_suggest(reg, p, candidates)
        out.update({f"suggest_{candidates}_{k}": v for k, v in got.items()})
    got = bench_suggest(
        reg,
        analysis.AnalysisParams(kinds=("Beratung",), target="single_parent_hh", mode="car"),
        "villages",
    )
    out.update({f"suggest_beratung_{k}": v for k, v in got.items()})
    print(summary_line(out))


if __name__ == "__main__":
    main()
