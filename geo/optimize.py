"""Suggested sites: maximal covering location with the existing sites kept (MCLP).

"Where would k new sites of this kind reach the most people of the target
group within the threshold?" The demand is the target group per 100 m cell,
optionally multiplied by a need weight per Gemeinde; cells already within the
threshold of an existing site count no more. Candidate c *covers* cell i if i
reaches c within the threshold (``traveltime.catchment_matrix``).

- :func:`greedy` picks, k times, the candidate with the largest marginal gain
  (vectorised: one sparse product per pick); it reaches at least 1 − 1/e of
  the optimum and its first pick is the best single site.
- :func:`exact` solves the integer programme with PuLP + CBC on a reduced
  problem (:func:`reduce_problem`: cells covered by nothing or without weight
  dropped, identical cells merged, identical and dominated candidates
  dropped); None if CBC cannot prove optimality within the time limit.
- :func:`suggest` runs both for a region and returns a :class:`Suggestion`
  whose :meth:`Suggestion.to_changes` gives the scenario changes (one click).

>>> s = suggest(region, AnalysisParams(kinds=("Familie",), target="u10"), k=3)
>>> s.sites()                        # rank, name, Gemeinde, people newly reached
>>> history.do(history.current.with_changes(s.to_changes()))
"""

from __future__ import annotations

import itertools
import math
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from . import analysis, settings, traveltime
from ._errors import InputError
from .network import to_lonlat
from .scenario import AddSite, resolve_kind

#: Kinds of candidate sites (words: catalog ``candidates.<code>``).
CANDIDATE_KINDS: tuple[str, ...] = ("villages", "cells", "both")
#: Candidates of a reduced problem above which dominated candidates are not searched.
DOMINANCE_MAX_CANDIDATES = 3000
#: Chunk of subsets evaluated at once by :func:`brute_force`.
_BRUTE_CHUNK = 20_000


# ---------------------------------------------------------------------------
# Solutions and the reduced problem
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Solution:
    """A set of candidate sites.

    Attributes
    ----------
    sites : tuple of int
        Candidate indices (columns of the coverage matrix), in pick order
        (exact: ordered greedily within the set, largest gain first).
    marginal_gains : tuple of float
        Weight newly covered by each site, given the ones before it.
    total : float
        Weight covered by all sites (= sum of the gains).
    method : str
        ``"greedy"``, ``"exact"`` or ``"brute_force"``.
    status : str
        ``"heuristic"`` or ``"optimal"``.
    seconds : float
        Compute time.
    """

    sites: tuple[int, ...]
    marginal_gains: tuple[float, ...]
    total: float
    method: str
    status: str
    seconds: float = 0.0


def _pattern(coverage: Any) -> sp.csr_matrix:
    """Cells × candidates 0/1 matrix: every stored entry of a sparse input counts."""
    if sp.issparse(coverage):
        cm = sp.csr_matrix(coverage)
        cm.sum_duplicates()
        return sp.csr_matrix((np.ones(cm.nnz), cm.indices.copy(), cm.indptr.copy()), shape=cm.shape)
    dense = np.asarray(coverage)
    if dense.ndim != 2:
        raise InputError("Abdeckung: Matrix Zellen × Kandidaten erwartet.")
    return sp.csr_matrix((dense != 0).astype(float))


def _check(coverage: Any, weights: Any, k: int) -> tuple[sp.csr_matrix, np.ndarray, int]:
    cov = _pattern(coverage)
    w = np.asarray(weights, dtype=float).ravel()
    if w.size != cov.shape[0]:
        raise InputError(f"Gewichte: {w.size} Werte für {cov.shape[0]} Zellen.")
    if not np.isfinite(w).all() or (w < 0).any():
        raise InputError("Gewichte: nur endliche Zahlen ≥ 0.")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError(f"Zahl der Standorte: ganze Zahl ≥ 1 erwartet (angegeben: {k!r}).")
    return cov, w, int(k)


def _gains_in_order(
    cov_t: sp.csr_matrix, w: np.ndarray, sites: list[int]
) -> tuple[list[int], list[float]]:
    """Order ``sites`` greedily (largest marginal gain first) and return the gains."""
    w = w.copy()
    rest, order, gains = list(sites), [], []
    while rest:
        g = cov_t[rest] @ w
        i = int(np.argmax(g))
        j = rest.pop(i)
        order.append(j)
        gains.append(float(g[i]))
        w[cov_t.indices[cov_t.indptr[j] : cov_t.indptr[j + 1]]] = 0.0
    return order, gains


def coverage_value(coverage: Any, weights: Any, sites: list[int] | tuple[int, ...]) -> float:
    """Weight of the cells covered by at least one of ``sites``."""
    cov = _pattern(coverage)
    w = np.asarray(weights, dtype=float)
    if not len(sites):
        return 0.0
    hit = np.asarray(cov[:, list(sites)].sum(axis=1)).ravel() > 0
    return float(w[hit].sum())


def greedy(coverage: Any, weights: Any, k: int) -> Solution:
    """Greedy maximal covering: k times the candidate with the largest marginal gain.

    Parameters
    ----------
    coverage : sparse or dense (cells × candidates)
        Stored entries (sparse) or non-zeros (dense) mean "candidate covers cell".
    weights : array (cells,)
        Demand not yet covered (≥ 0).
    k : int
        Number of sites. Stops early when no candidate adds anything.

    Returns
    -------
    Solution
        Ties go to the lowest candidate index.
    """
    t0 = time.perf_counter()
    cov, w, k = _check(coverage, weights, k)
    cov_t = cov.T.tocsr()
    w = w.copy()
    sites, gains = [], []
    for _ in range(min(k, cov.shape[1])):
        g = cov_t @ w
        j = int(np.argmax(g))
        if g[j] <= 0:
            break
        sites.append(j)
        gains.append(float(g[j]))
        w[cov_t.indices[cov_t.indptr[j] : cov_t.indptr[j + 1]]] = 0.0
    return Solution(
        tuple(sites),
        tuple(gains),
        float(sum(gains)),
        "greedy",
        "heuristic",
        time.perf_counter() - t0,
    )


@dataclass
class Reduced:
    """A reduced covering problem with the same optimum.

    Attributes
    ----------
    matrix : csr (groups × candidates)
        Coverage of the merged demand groups by the kept candidates.
    weights : array (groups,)
        Summed weight of each group of identical cells.
    columns : int array (candidates kept,)
        Original index of each kept candidate (the lowest of identical ones).
    stats : dict
        Sizes before and after each step.
    """

    matrix: sp.csr_matrix
    weights: np.ndarray
    columns: np.ndarray
    stats: dict = field(default_factory=dict)


def _merge_rows(mat: sp.csr_matrix, w: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """Merge rows with the same set of candidates (weights summed)."""
    mat = sp.csr_matrix(mat)
    mat.sort_indices()
    keys: dict[bytes, int] = {}
    group = np.empty(mat.shape[0], dtype=np.int64)
    for i in range(mat.shape[0]):
        key = mat.indices[mat.indptr[i] : mat.indptr[i + 1]].tobytes()
        group[i] = keys.setdefault(key, len(keys))
    n = len(keys)
    first = np.full(n, -1, dtype=np.int64)
    first[group[::-1]] = np.arange(mat.shape[0])[::-1]
    return mat[first], np.bincount(group, weights=w, minlength=n)


def reduce_problem(coverage: Any, weights: Any, drop_dominated: bool = True) -> Reduced:
    """Shrink a covering problem without changing its optimum.

    Drops cells with zero weight or covered by no candidate, merges cells
    covered by the same candidates (weights summed), keeps one of identical
    candidates (the lowest index), drops candidates covering nothing and,
    unless there are more than ``DOMINANCE_MAX_CANDIDATES``, candidates whose
    cells are a subset of another's.
    """
    cov, w, _ = _check(coverage, weights, 1)
    stats = {"cells": cov.shape[0], "candidates": cov.shape[1]}
    keep = (w > 0) & (np.diff(cov.indptr) > 0)
    mat, w = cov[keep], w[keep]
    stats["cells_with_demand"] = int(keep.sum())
    mat, w = _merge_rows(mat, w)
    stats["cell_groups"] = mat.shape[0]
    # candidates: drop empty, merge identical (keep lowest index)
    ct = mat.T.tocsr()
    ct.sort_indices()
    seen: dict[bytes, int] = {}
    keep_cols = []
    for j in range(ct.shape[0]):
        a, b = ct.indptr[j], ct.indptr[j + 1]
        if a == b:
            continue
        key = ct.indices[a:b].tobytes()
        if key not in seen:
            seen[key] = j
            keep_cols.append(j)
    keep_cols = np.asarray(keep_cols, dtype=np.int64)
    stats["candidates_distinct"] = int(keep_cols.size)
    ct = ct[keep_cols]
    if drop_dominated and 1 < keep_cols.size <= DOMINANCE_MAX_CANDIDATES:
        inter = (ct @ ct.T).tocoo()
        size = np.diff(ct.indptr)
        off = inter.row != inter.col
        sub = off & (inter.data == size[inter.row]) & (size[inter.col] > size[inter.row])
        dominated = np.zeros(keep_cols.size, dtype=bool)
        dominated[inter.row[sub]] = True
        ct, keep_cols = ct[~dominated], keep_cols[~dominated]
    stats["candidates_kept"] = int(keep_cols.size)
    mat, w = _merge_rows(ct.T.tocsr(), w)
    stats["cell_groups_final"] = mat.shape[0]
    return Reduced(mat.tocsr(), w, keep_cols, stats)


def exact(
    coverage: Any, weights: Any, k: int, time_limit_s: float = settings.MCLP_TIME_LIMIT_S
) -> Solution | None:
    """Optimal maximal covering with PuLP + CBC on the reduced problem.

    maximise Σ w_i y_i  subject to  y_i ≤ Σ_(j covers i) x_j,  Σ x_j ≤ k,
    x binary, 0 ≤ y ≤ 1.

    Returns
    -------
    Solution or None
        None if CBC does not prove optimality within ``time_limit_s`` seconds.
    """
    import pulp

    t0 = time.perf_counter()
    cov, w, k = _check(coverage, weights, k)
    red = reduce_problem(cov, w)
    cov_t = cov.T.tocsr()
    m = red.columns.size
    if m <= k:  # every useful candidate fits
        chosen = red.columns.tolist()
    else:
        prob = pulp.LpProblem("mclp", pulp.LpMaximize)
        x = [prob.add_variable(f"x{j}", cat=pulp.LpBinary) for j in range(m)]
        y = [prob.add_variable(f"y{i}", lowBound=0, upBound=1) for i in range(red.matrix.shape[0])]
        prob += pulp.lpSum(float(wi) * yi for wi, yi in zip(red.weights, y, strict=True))
        mat = red.matrix
        for i, yi in enumerate(y):
            prob += yi <= pulp.lpSum(x[j] for j in mat.indices[mat.indptr[i] : mat.indptr[i + 1]])
        prob += pulp.lpSum(x) <= k
        with warnings.catch_warnings():  # PuLP 3.3 flags PULP_CBC_CMD for its 4.0 release
            warnings.simplefilter("ignore", DeprecationWarning)
            solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=max(1, math.ceil(float(time_limit_s))))
        try:
            prob.solve(solver)
        except pulp.PulpSolverError:
            return None
        if prob.sol_status != pulp.LpSolutionOptimal:
            return None
        chosen = [int(red.columns[j]) for j in range(m) if (x[j].value() or 0) > 0.5]
    order, gains = _gains_in_order(cov_t, w, chosen)
    keep = [(j, g) for j, g in zip(order, gains, strict=True) if g > 0]
    return Solution(
        tuple(j for j, _ in keep),
        tuple(g for _, g in keep),
        float(sum(g for _, g in keep)),
        "exact",
        "optimal",
        time.perf_counter() - t0,
    )


def brute_force(
    coverage: Any, weights: Any, k: int, max_subsets: int = 5_000_000, drop_dominated: bool = True
) -> Solution:
    """Optimum by enumerating all k-subsets of the reduced candidates (tests, benchmarks)."""
    t0 = time.perf_counter()
    cov, w, k = _check(coverage, weights, k)
    red = reduce_problem(cov, w, drop_dominated=drop_dominated)
    m = red.columns.size
    size = min(k, m)
    if math.comb(m, size) > max_subsets:
        raise InputError(f"Zu viele Teilmengen ({math.comb(m, size):,}).")
    dense = red.matrix.toarray().astype(bool)  # groups × candidates
    best_val, best = 0.0, ()
    combos = itertools.combinations(range(m), size)
    while True:
        chunk = np.array(list(itertools.islice(combos, _BRUTE_CHUNK)), dtype=np.int64)
        if chunk.size == 0:
            break
        covered = np.zeros((dense.shape[0], chunk.shape[0]), dtype=bool)
        for c in range(size):
            covered |= dense[:, chunk[:, c]]
        values = red.weights @ covered
        i = int(np.argmax(values))
        if values[i] > best_val + 1e-12:
            best_val, best = float(values[i]), tuple(int(red.columns[j]) for j in chunk[i])
    order, gains = _gains_in_order(cov.T.tocsr(), w, list(best))
    keep = [(j, g) for j, g in zip(order, gains, strict=True) if g > 0]
    return Solution(
        tuple(j for j, _ in keep),
        tuple(g for _, g in keep),
        float(sum(g for _, g in keep)),
        "brute_force",
        "optimal",
        time.perf_counter() - t0,
    )


# ---------------------------------------------------------------------------
# Candidates, demand and the suggestion for a region
# ---------------------------------------------------------------------------
def candidate_sites(
    region: Any,
    kind: str = "villages",
    target: str = settings.DEFAULT_TARGET_GROUP,
    grid_m: int | None = settings.MCLP_CELL_GRID_M,
) -> gpd.GeoDataFrame:
    """Candidate positions: GeoNames villages and/or populated 100 m cells.

    Parameters
    ----------
    kind : {"villages", "cells", "both"}
    target : str
        Target group: thins the cells (per ``grid_m`` square the 100 m cell
        with most of the group, then most inhabitants).
    grid_m : int or None
        Thinning grid in metres; None keeps every populated 100 m cell.

    Returns
    -------
    GeoDataFrame (EPSG:3035)
        name, source ("Ort"/"Rasterzelle"), ags, gemeinde, people, x, y, geometry.
    """
    if kind not in CANDIDATE_KINDS:
        raise InputError(f"Unbekannte Kandidaten „{kind}“ (möglich: {', '.join(CANDIDATE_KINDS)}).")
    gem = region.gemeinden
    gem_name = dict(zip(gem["ags"].astype(str), gem["name"].astype(str), strict=True))
    frames = []
    if kind in ("villages", "both"):
        pl = region.places
        g = pl.geometry.values
        ok = ~(shapely.is_missing(g) | shapely.is_empty(g))
        pl, g = pl.loc[ok], g[ok]
        ags = pl["ags"].astype(str).to_numpy(dtype=object)
        frames.append(
            pd.DataFrame(
                {
                    "name": pl["name"].astype(str).to_numpy(dtype=object),
                    "source": "Ort",
                    "ags": ags,
                    "gemeinde": [gem_name.get(a) for a in ags],
                    "people": pd.to_numeric(pl.get("population"), errors="coerce").to_numpy(
                        dtype=float
                    )
                    if "population" in pl.columns
                    else np.nan,
                    "x": shapely.get_x(g),
                    "y": shapely.get_y(g),
                }
            )
        )
    if kind in ("cells", "both"):
        cells = region.cells
        x = cells["x"].to_numpy(dtype=float)
        y = cells["y"].to_numpy(dtype=float)
        people = np.nan_to_num(cells[target].to_numpy(dtype=float))
        pop = np.nan_to_num(cells["pop"].to_numpy(dtype=float)) if "pop" in cells else people
        idx = np.arange(len(cells))
        if grid_m:
            gx = np.floor(x / grid_m).astype(np.int64)
            gy = np.floor(y / grid_m).astype(np.int64)
            order = np.lexsort((idx, -pop, -people, gy, gx))
            key = np.stack([gx[order], gy[order]], axis=1)
            first = np.ones(order.size, dtype=bool)
            first[1:] = (key[1:] != key[:-1]).any(axis=1)
            idx = np.sort(order[first])
        ags = cells["ags"].astype(str).to_numpy(dtype=object)[idx]
        ll_x = (np.floor(x[idx] / 100) * 100).astype(np.int64)
        ll_y = (np.floor(y[idx] / 100) * 100).astype(np.int64)
        names = [
            f"Rasterzelle N{b}E{a} ({gem_name.get(g, g)})"
            for a, b, g in zip(ll_x, ll_y, ags, strict=True)
        ]
        frames.append(
            pd.DataFrame(
                {
                    "name": names,
                    "source": "Rasterzelle",
                    "ags": ags,
                    "gemeinde": [gem_name.get(a) for a in ags],
                    "people": people[idx],
                    "x": x[idx],
                    "y": y[idx],
                }
            )
        )
    df = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["name", "source", "ags", "gemeinde", "people", "x", "y"])
    )
    return gpd.GeoDataFrame(
        df, geometry=shapely.points(df[["x", "y"]].to_numpy(dtype=float)), crs=settings.CRS_METRIC
    )


def need_weights_per_cell(
    cells: pd.DataFrame,
    need_weights: Mapping[str, float] | None,
    gemeinden: pd.DataFrame | None = None,
) -> np.ndarray:
    """Indicator weight of each cell's Gemeinde (default 1; InputError for bad entries)."""
    out = np.ones(len(cells))
    if not need_weights:
        return out
    if not isinstance(need_weights, Mapping):
        raise InputError("Bedarfsgewichte: Zuordnung AGS → Gewicht erwartet.")
    known = set(gemeinden["ags"].astype(str)) if gemeinden is not None else None
    bad = []
    weights = {}
    for ags, v in need_weights.items():
        key = str(ags).strip()
        if known is not None and key not in known:
            bad.append(f"unbekannter Gemeindeschlüssel „{key}“")
            continue
        if (
            isinstance(v, bool)
            or not isinstance(v, (int, float, np.integer, np.floating))
            or not math.isfinite(float(v))
            or float(v) < 0
        ):
            bad.append(f"AGS {key}: Gewicht {v!r} ist keine Zahl ≥ 0")
            continue
        weights[key] = float(v)
    if bad:
        raise InputError("Bedarfsgewichte: " + "; ".join(bad[:5]) + (" …" if len(bad) > 5 else ""))
    ags = cells["ags"].astype(str)
    mapped = ags.map(weights).to_numpy(dtype=float)
    return np.where(np.isnan(mapped), 1.0, mapped)


@dataclass(eq=False)
class Suggestion:
    """Suggested new sites for one parameter set (greedy and, if solved, exact).

    Attributes
    ----------
    params : AnalysisParams
    k : int
    candidate_kind : str
    candidates : GeoDataFrame
        All candidates (:func:`candidate_sites`) with ``reach`` (people of the
        target group beyond the threshold today that the candidate alone would
        reach) and ``reach_weighted``.
    greedy : Solution
    exact : Solution or None
    exact_status : str
        ``"optimal"``, ``"time_limit"`` (not proven optimal in time) or ``"skipped"``.
    people_beyond : float
        Target group beyond the threshold of every existing site.
    people : dict
        People newly within reach: ``{"greedy": …, "exact": … or None}``.
    difference : dict
        exact − greedy: ``people``, ``weighted``, ``only_greedy``/``only_exact``
        (candidate names), ``same_sites``.
    metadata : dict
        Parameters, model, need weights, reduction sizes, timings (ms), German notes.
    """

    params: analysis.AnalysisParams
    k: int
    candidate_kind: str
    candidates: gpd.GeoDataFrame
    greedy: Solution
    exact: Solution | None
    exact_status: str
    people_beyond: float
    people: dict
    difference: dict
    metadata: dict
    _demand_people: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))
    _coverage: sp.csr_matrix | None = field(repr=False, default=None)

    @property
    def best(self) -> Solution:
        """The exact solution if CBC proved it optimal, else the greedy one."""
        return self.exact if self.exact is not None else self.greedy

    def _solution(self, which: str) -> Solution:
        if which == "best":
            return self.best
        if which == "greedy":
            return self.greedy
        if which == "exact":
            if self.exact is None:
                raise InputError("Es gibt keine exakte Lösung (nicht innerhalb der Zeitgrenze).")
            return self.exact
        raise InputError(f"Unbekannte Lösung „{which}“ (best, greedy oder exact).")

    def sites(self, which: str = "best") -> gpd.GeoDataFrame:
        """The suggested sites in rank order with the people each newly reaches."""
        sol = self._solution(which)
        idx = list(sol.sites)
        c = self.candidates.iloc[idx]
        order, gains = (
            _gains_in_order(self._coverage.T.tocsr(), self._demand_people, idx)
            if self._coverage is not None and idx
            else (idx, [0.0] * len(idx))
        )
        gain_people = dict(zip(order, gains, strict=True))
        lon, lat = to_lonlat(c["x"].to_numpy(), c["y"].to_numpy()) if len(c) else ([], [])
        out = gpd.GeoDataFrame(
            {
                "rank": np.arange(1, len(idx) + 1),
                "candidate": idx,
                "name": c["name"].to_numpy(dtype=object),
                "source": c["source"].to_numpy(dtype=object),
                "ags": c["ags"].to_numpy(dtype=object),
                "gemeinde": c["gemeinde"].to_numpy(dtype=object),
                "gain_people": [gain_people.get(j, 0.0) for j in idx],
                "gain_weighted": list(sol.marginal_gains),
                "x": c["x"].to_numpy(dtype=float),
                "y": c["y"].to_numpy(dtype=float),
                "lon": np.asarray(lon, dtype=float),
                "lat": np.asarray(lat, dtype=float),
            },
            geometry=c.geometry.values,
            crs=self.candidates.crs,
        )
        return out

    def to_changes(
        self,
        which: str = "best",
        *,
        category: str | None = None,
        subcategory: str | None = None,
        capacity: float | None = None,
        target_groups: tuple[str, ...] | None = None,
        services: gpd.GeoDataFrame | None = None,
    ) -> list[AddSite]:
        """The suggested sites as scenario changes (``AddSite``, one per site).

        The kind defaults to the analysed one: a category of ``params.kinds``,
        else the first subcategory with its category (from ``services`` or
        ``settings.SUBCATEGORY_RULES``).
        """
        if category is None and subcategory is None:
            category, subcategory = _kind_of(self.params, services)
        groups = (self.params.target,) if target_groups is None else tuple(target_groups)
        rows = self.sites(which)
        return [
            AddSite(
                x=float(r.x),
                y=float(r.y),
                name=f"Vorschlag {r.rank}: {r.name}",
                category=category or "",
                subcategory=subcategory or "",
                capacity=capacity,
                target_groups=groups,
            )
            for r in rows.itertuples()
        ]


def _kind_of(params: analysis.AnalysisParams, services: gpd.GeoDataFrame | None) -> tuple[str, str]:
    if not params.kinds:
        raise InputError(
            "Für neue Standorte bitte eine Kategorie angeben (die Analyse umfasst "
            "alle Angebotsarten)."
        )
    for kind in params.kinds:
        try:
            return resolve_kind(kind, "")
        except InputError:
            continue
    kind = params.kinds[0]
    if services is not None and {"category", "subcategory"} <= set(services.columns):
        hit = services.loc[
            services["subcategory"].astype(str).str.casefold() == kind.casefold(), "category"
        ].dropna()
        if len(hit):
            return resolve_kind(str(hit.mode().iloc[0]), kind)
    return resolve_kind("", kind)


def _names(candidates: pd.DataFrame, sites: tuple[int, ...]) -> list[str]:
    return [str(candidates["name"].iloc[j]) for j in sites]


def suggest(
    region: Any,
    params: analysis.AnalysisParams,
    k: int,
    candidates: str = "villages",
    need_weights: Mapping[str, float] | None = None,
    networks: Mapping[str, Any] | None = None,
    time_limit_s: float = settings.MCLP_TIME_LIMIT_S,
    *,
    services: gpd.GeoDataFrame | None = None,
    cell_grid_m: int | None = settings.MCLP_CELL_GRID_M,
    run_exact: bool = True,
) -> Suggestion:
    """Where would k new sites of the analysed kind reach the most uncovered people?

    Parameters
    ----------
    region : Region
    params : AnalysisParams
        Kind (``kinds``), target group, mode and threshold.
    k : int
        1 … ``settings.MCLP_MAX_K`` new sites.
    candidates : {"villages", "cells", "both"}
        GeoNames villages of the region and/or populated 100 m cells (thinned
        to one per ``cell_grid_m`` square; None keeps all).
    need_weights : mapping AGS → float, optional
        Indicator weight per Gemeinde (default 1): demand = target group × weight.
    networks : mapping mode → Network, optional
    time_limit_s : float
        Time limit of the exact solution.
    services : GeoDataFrame, optional
        The sites kept (default ``region.services``; pass a scenario's
        ``geo.compare.Comparison.services`` to plan on top of it).
    run_exact : bool
        False skips CBC.

    Returns
    -------
    Suggestion
    """
    t0 = time.perf_counter()
    if not isinstance(params, analysis.AnalysisParams):
        raise TypeError("params must be an AnalysisParams")
    if (
        isinstance(k, bool)
        or not isinstance(k, (int, np.integer))
        or not 1 <= k <= settings.MCLP_MAX_K
    ):
        raise InputError(f"Zahl neuer Standorte: 1 bis {settings.MCLP_MAX_K} (angegeben: {k!r}).")
    k = int(k)
    cells = region.cells
    group = settings.TARGET_GROUPS[params.target]
    if params.target not in cells.columns:
        raise InputError(f"Die Zielgruppe „{group.label_de}“ fehlt in den Zellen der Region.")
    people = np.clip(np.nan_to_num(cells[params.target].to_numpy(dtype=float)), 0.0, None)
    need = need_weights_per_cell(cells, need_weights, region.gemeinden)
    svc = region.services if services is None else services
    existing = analysis.service_selection(svc, params.kinds)
    T, mode = params.threshold_min, params.mode
    net = (networks or {}).get(mode)
    cells_xy = cells[["x", "y"]].to_numpy(dtype=float)
    field_ = traveltime.nearest_field(
        cells_xy, analysis.points_xy(existing), mode, net, max_minutes=T
    )
    covered = field_.minutes <= T
    people_beyond = float(people[~covered].sum())
    demand = people * need
    rows = np.flatnonzero(~covered & (demand > 0))
    cand = candidate_sites(region, candidates, params.target, cell_grid_m)
    if len(cand) == 0:
        raise InputError("Keine Kandidaten: die Region enthält keine Orte bzw. Rasterzellen.")
    t1 = time.perf_counter()
    cov = traveltime.catchment_matrix(
        cells_xy[rows], cand[["x", "y"]].to_numpy(dtype=float), mode, T, net
    )
    cov = _pattern(cov)
    t_cov = time.perf_counter() - t1
    w, u = demand[rows], people[rows]
    cov_t = cov.T.tocsr()
    cand = cand.copy()
    cand["reach"] = cov_t @ u
    cand["reach_weighted"] = cov_t @ w
    g = greedy(cov, w, k)
    e, status = None, "skipped"
    if run_exact:
        e = exact(cov, w, k, time_limit_s)
        status = "optimal" if e is not None else "time_limit"
    red = reduce_problem(cov, w)

    def reached(sol: Solution | None) -> float | None:
        return None if sol is None else coverage_value(cov, u, sol.sites)

    people_ = {"greedy": reached(g), "exact": reached(e)}
    diff: dict[str, Any] = {
        "people": None,
        "weighted": None,
        "only_greedy": [],
        "only_exact": [],
        "same_sites": None,
    }
    if e is not None:
        diff = {
            "people": people_["exact"] - people_["greedy"],
            "weighted": e.total - g.total,
            "only_greedy": _names(cand, tuple(j for j in g.sites if j not in e.sites)),
            "only_exact": _names(cand, tuple(j for j in e.sites if j not in g.sites)),
            "same_sites": set(g.sites) == set(e.sites),
        }
    # Notes as codes with their numbers (present.describe.note_text puts them in words).
    notes: list[dict[str, Any]] = [
        {"code": "candidates", "kind": candidates, "n": len(cand)},
        {"code": "already_served", "minutes": T},
        {"code": "not_served", "n": people_beyond, "target": params.target},
    ]
    if need_weights:
        notes.append({"code": "sites_need_weighted"})
    if len(g.sites) < k:
        notes.append({"code": "fewer_sites", "n": len(g.sites)})
    if status == "time_limit":
        notes.append({"code": "exact_time_limit", "seconds": time_limit_s})
    metadata = {
        "params": params.to_dict(),
        "k": k,
        "candidates": candidates,
        "cell_grid_m": cell_grid_m,
        "model": traveltime.model_info(mode, net),
        "need_weights": dict(need_weights or {}),
        "existing_sites": int(len(existing)),
        "demand_cells": int(rows.size),
        "reduction": red.stats,
        "notes": notes,
        "timings": {
            "coverage_ms": round(t_cov * 1000, 2),
            "greedy_ms": round(g.seconds * 1000, 2),
            "exact_ms": None if e is None else round(e.seconds * 1000, 2),
            "total_ms": round((time.perf_counter() - t0) * 1000, 2),
        },
    }
    return Suggestion(
        params, k, candidates, cand, g, e, status, people_beyond, people_, diff, metadata, u, cov
    )


__all__ = [
    "Solution",
    "Reduced",
    "Suggestion",
    "greedy",
    "exact",
    "brute_force",
    "reduce_problem",
    "coverage_value",
    "candidate_sites",
    "need_weights_per_cell",
    "suggest",
    "CANDIDATE_KINDS",
]
