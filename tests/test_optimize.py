"""Suggested sites (geo/optimize.py): greedy and exact against enumeration, the reduction,
hand-computed suggestions on a tiny region, the default region, the scenario hand-over."""

from __future__ import annotations

import itertools
import math
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from geo import analysis, optimize, settings
from geo._errors import InputError
from geo.analysis import AnalysisParams
from geo.compare import compare
from geo.optimize import brute_force, coverage_value, exact, greedy, reduce_problem, suggest
from geo.scenario import Scenario
from present import describe


def enumerate_optimum(cover: np.ndarray, w: np.ndarray, k: int) -> float:
    """Plain-Python optimum over all subsets of at most k candidates (independent check)."""
    n, m = cover.shape
    sets = [frozenset(np.flatnonzero(cover[:, j])) for j in range(m)]
    best = 0.0
    for r in range(1, min(k, m) + 1):
        for combo in itertools.combinations(range(m), r):
            covered = frozenset().union(*(sets[j] for j in combo))
            best = max(best, float(sum(w[i] for i in covered)))
    return best


@st.composite
def instances(draw):
    n = draw(st.integers(1, 12))
    m = draw(st.integers(1, 7))
    cover = np.array(
        draw(st.lists(st.lists(st.booleans(), min_size=m, max_size=m), min_size=n, max_size=n)),
        dtype=bool,
    )
    w = np.array(draw(st.lists(st.integers(0, 30), min_size=n, max_size=n)), dtype=float)
    k = draw(st.integers(1, 4))
    return cover, w, k


@given(instances())
@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_exact_and_greedy_against_enumeration(inst):
    cover, w, k = inst
    opt = enumerate_optimum(cover, w, k)
    ex = exact(sp.csr_matrix(cover), w, k, time_limit_s=10)
    assert ex is not None and ex.status == "optimal"
    assert ex.total == pytest.approx(opt)
    assert len(ex.sites) <= k and len(set(ex.sites)) == len(ex.sites)
    assert coverage_value(cover, w, ex.sites) == pytest.approx(opt)
    g = greedy(cover, w, k)
    assert g.total <= opt + 1e-9
    assert g.total >= (1 - 1 / math.e) * opt - 1e-9
    assert coverage_value(cover, w, g.sites) == pytest.approx(g.total)
    best_single = max((float(w[cover[:, j]].sum()) for j in range(cover.shape[1])), default=0.0)
    if best_single > 0:
        assert g.marginal_gains[0] == pytest.approx(best_single)
        first = g.sites[0]
        assert float(w[cover[:, first]].sum()) == pytest.approx(best_single)
    assert list(g.marginal_gains) == sorted(g.marginal_gains, reverse=True)  # submodular
    assert brute_force(cover, w, k).total == pytest.approx(opt)


@given(instances())
@hsettings(max_examples=60, deadline=None)
def test_reduction_keeps_the_optimum(inst):
    cover, w, k = inst
    red = reduce_problem(sp.csr_matrix(cover), w)
    reduced_opt = (
        enumerate_optimum(red.matrix.toarray().astype(bool), red.weights, k)
        if red.matrix.shape[1]
        else 0.0
    )
    assert reduced_opt == pytest.approx(enumerate_optimum(cover, w, k))
    assert red.weights.sum() == pytest.approx(w[cover.any(axis=1)].sum())
    assert (red.columns < cover.shape[1]).all() and len(set(red.columns)) == len(red.columns)


def test_reduction_merges_and_drops():
    # c1 = c0 (identical), c2 ⊂ c3 (dominated), c4 covers only a cell without weight;
    # cell 4 is covered by nothing
    cover = np.array(
        [[1, 1, 0, 0, 0], [1, 1, 0, 1, 0], [0, 0, 1, 1, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]],
        dtype=bool,
    )
    w = np.array([2.0, 3.0, 4.0, 0.0, 7.0])
    red = reduce_problem(cover, w)
    assert red.stats["cells_with_demand"] == 3 and red.stats["cell_groups"] == 3
    assert red.stats["candidates_distinct"] == 3  # c0 (for c1), c2, c3
    assert list(red.columns) == [0, 3]
    assert sorted(red.weights) == [2.0, 3.0, 4.0]
    assert list(reduce_problem(cover, w, drop_dominated=False).columns) == [0, 2, 3]
    # merging identical cells
    red = reduce_problem(np.array([[1, 0], [1, 0], [0, 1]], dtype=bool), [1.0, 2.0, 5.0])
    assert red.stats["cell_groups"] == 2 and sorted(red.weights) == [3.0, 5.0]


@pytest.mark.parametrize("seed", range(6))
def test_exact_with_cbc_on_random_instances(seed, monkeypatch):
    import pulp

    calls = []
    solve = pulp.LpProblem.solve
    monkeypatch.setattr(
        pulp.LpProblem, "solve", lambda self, *a, **kw: calls.append(1) or solve(self, *a, **kw)
    )
    rng = np.random.default_rng(seed)
    cover = rng.random((40, 14)) < 0.18
    w = rng.integers(0, 50, 40).astype(float)
    e = exact(sp.csr_matrix(cover), w, 3)
    assert calls, "CBC was not used"
    assert e.total == pytest.approx(enumerate_optimum(cover, w, 3))
    assert greedy(cover, w, 3).total >= (1 - 1 / math.e) * e.total


def test_greedy_is_not_always_optimal_but_exact_is():
    # classic: greedy takes the big middle set, two side sets are better
    cover = np.zeros((6, 3), dtype=bool)
    cover[[0, 1, 2], 0] = True
    cover[[3, 4, 5], 1] = True
    cover[[1, 2, 3, 4], 2] = True
    w = np.array([1, 1, 1, 1, 1, 1.0])
    g, e = greedy(cover, w, 2), exact(cover, w, 2)
    assert g.sites[0] == 2 and g.total == 5.0
    assert e.total == 6.0 and set(e.sites) == {0, 1}
    assert e.marginal_gains == (3.0, 3.0)


def test_greedy_stops_when_nothing_is_left():
    cover = np.array([[1, 0], [0, 0]], dtype=bool)
    g = greedy(cover, np.array([5.0, 9.0]), 2)
    assert g.sites == (0,) and g.total == 5.0


def test_exact_returns_none_without_proof(monkeypatch):
    import pulp

    def not_proven(self, solver=None, **kw):
        self.status, self.sol_status = 1, pulp.LpSolutionIntegerFeasible
        return 1

    monkeypatch.setattr(pulp.LpProblem, "solve", not_proven)
    cover = np.eye(4, dtype=bool)
    assert exact(cover, np.ones(4), 2, time_limit_s=1) is None


def test_input_checks():
    with pytest.raises(InputError, match="Gewichte"):
        greedy(np.eye(2), [1.0], 1)
    with pytest.raises(InputError, match="Gewichte"):
        greedy(np.eye(2), [1.0, -1.0], 1)
    with pytest.raises(InputError, match="ganze Zahl"):
        greedy(np.eye(2), [1.0, 1.0], 0)


# ---------------------------------------------------------------------------
# suggest() on a tiny region (1 min = 60 m on foot)
# ---------------------------------------------------------------------------
M = 60.0


@pytest.fixture
def tiny(unit_speed):
    """Cells at 0, 10, 20, 30, 40 min (100, 10, 20, 30, 25 people); Gemeinde A = [-5, 15),
    B = [15, 45). An existing Familie site at 0 covers c0. Villages V1 at 10 (covers c1),
    V2 at 25 (covers c2 and c3, both 5 min away), V3 at 40 (covers c4)."""
    cells = pd.DataFrame(
        {
            "x": [0 * M, 10 * M, 20 * M, 30 * M, 40 * M],
            "y": 0.0,
            "ags": ["A", "A", "B", "B", "B"],
            "pop": [100.0, 10.0, 20.0, 30.0, 25.0],
        }
    )
    gem = gpd.GeoDataFrame(
        {"ags": ["A", "B"], "name": ["Adorf", "Bstadt"]},
        geometry=[shapely.box(-5 * M, -M, 15 * M, M), shapely.box(15 * M, -M, 45 * M, M)],
        crs=settings.CRS_METRIC,
    )
    places = gpd.GeoDataFrame(
        {"name": ["V1", "V2", "V3"], "ags": ["A", "B", "B"], "population": [50, 80, 30]},
        geometry=[shapely.Point(10 * M, 0), shapely.Point(25 * M, 0), shapely.Point(40 * M, 0)],
        crs=settings.CRS_METRIC,
    )
    svc = gpd.GeoDataFrame(
        {
            "id": ["s0"],
            "name": ["FZ"],
            "category": ["Familie"],
            "subcategory": ["Familienzentrum"],
            "capacity": [np.nan],
            "precision": ["coordinates"],
        },
        geometry=[shapely.Point(0, 0)],
        crs=settings.CRS_METRIC,
    )
    return SimpleNamespace(
        name="tiny",
        label="Tiny",
        cells=cells,
        gemeinden=gem,
        places=places,
        services=svc,
        meta={"content_hash": "t", "sources": []},
    )


P = AnalysisParams(kinds=("Familie",), target="pop", mode="walk", threshold_min=6.0)


def test_suggest_by_hand(tiny):
    s = suggest(tiny, P, 1)
    assert s.people_beyond == 85.0
    assert s.sites()["name"].tolist() == ["V2"]  # 20 + 30 = 50 people
    assert s.people == {"greedy": 50.0, "exact": 50.0}
    assert s.exact_status == "optimal" and s.difference["same_sites"]
    assert s.candidates.set_index("name")["reach"].to_dict() == {"V1": 10.0, "V2": 50.0, "V3": 25.0}
    s2 = suggest(tiny, P, 2)
    assert s2.sites()["name"].tolist() == ["V2", "V3"]
    assert s2.sites()["gain_people"].tolist() == [50.0, 25.0]
    s3 = suggest(tiny, P, 5)
    assert s3.people["exact"] == 85.0 and len(s3.best.sites) == 3
    assert "Nur 3 Standort(e)" in " ".join(describe.notes_text(s3.metadata["notes"]))


def test_need_weights_change_the_choice(tiny):
    s = suggest(tiny, P, 1, need_weights={"A": 6.0})  # c1: 10 × 6 = 60 > 50
    assert s.sites()["name"].tolist() == ["V1"]
    assert s.people["exact"] == 10.0 and s.best.total == 60.0
    with pytest.raises(InputError, match="unbekannter Gemeindeschlüssel „Z“"):
        suggest(tiny, P, 1, need_weights={"Z": 2.0})
    with pytest.raises(InputError, match="keine Zahl ≥ 0"):
        suggest(tiny, P, 1, need_weights={"A": -1})


def test_suggest_cells_and_validation(tiny):
    s = suggest(tiny, P, 1, candidates="cells", cell_grid_m=None)
    assert s.sites()["name"].iloc[0].startswith("Rasterzelle N0E1800 (Bstadt)")  # the 30 cell
    assert s.people["exact"] == 30.0
    both = suggest(tiny, P, 1, candidates="both")
    assert set(both.candidates["source"]) == {"Ort", "Rasterzelle"}
    with pytest.raises(InputError, match="1 bis 5"):
        suggest(tiny, P, 6)
    with pytest.raises(InputError, match="Unbekannte Kandidaten"):
        suggest(tiny, P, 1, candidates="dörfer")


def test_suggestion_becomes_scenario_changes(tiny):
    s = suggest(tiny, P, 2)
    changes = s.to_changes()
    assert [c.name for c in changes] == ["Vorschlag 1: V2", "Vorschlag 2: V3"]
    assert all(c.category == "Familie" and c.target_groups == ("pop",) for c in changes)
    c = compare(tiny, P, Scenario("Vorschlag").with_changes(changes))
    assert c.totals["newly_within"] == pytest.approx(s.people["exact"])


def test_time_limit_falls_back_to_greedy(tiny, monkeypatch):
    monkeypatch.setattr(optimize, "exact", lambda *a, **k: None)
    s = suggest(tiny, P, 2)
    assert s.exact is None and s.exact_status == "time_limit" and s.best is s.greedy
    assert any("nicht innerhalb von 10 s" in n for n in describe.notes_text(s.metadata["notes"]))


# ---------------------------------------------------------------------------
# The default region
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kinds,target,mode,cands,k",
    [
        (("Familie",), "u10", "walk", "villages", 3),
        (("Jugend",), "u18", "bike", "villages", 3),
        (("Beratung",), "single_parent_hh", "car", "cells", 2),
    ],
)
def test_default_region_exact_equals_brute_force(tmp_default_region, kinds, target, mode, cands, k):
    reg = tmp_default_region
    p = AnalysisParams(kinds=kinds, target=target, mode=mode)
    s = suggest(reg, p, k, candidates=cands)
    assert s.exact_status == "optimal"
    bf = brute_force(s._coverage, s._demand_people, k)  # no need weights: weights = people
    assert s.exact.total == pytest.approx(bf.total, rel=1e-9)
    assert s.greedy.total <= s.exact.total + 1e-6
    assert s.people["exact"] == pytest.approx(s.exact.total)
    # handing the sites to a scenario reaches exactly the people the suggestion promised
    base = analysis.analyze(reg, p)
    cmp = compare(reg, p, Scenario("V").with_changes(s.to_changes()), base_result=base)
    assert cmp.totals["newly_within"] == pytest.approx(s.people["exact"], rel=1e-9)
    assert cmp.totals["newly_beyond"] == 0.0


def test_default_region_greedy_first_pick_is_best_single_site(tmp_default_region):
    p = AnalysisParams(kinds=("Familie",), target="single_parent_hh", mode="walk")
    s = suggest(tmp_default_region, p, 5, candidates="both")
    reach = s.candidates["reach"].to_numpy()
    assert s.greedy.marginal_gains[0] == pytest.approx(reach.max())
    assert reach[s.greedy.sites[0]] == pytest.approx(reach.max())
    sites = s.sites("greedy")
    assert list(sites["rank"]) == [1, 2, 3, 4, 5]
    assert sites["lon"].between(10, 12).all() and sites["lat"].between(50.9, 51.6).all()
