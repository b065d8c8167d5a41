"""Comparing a planning scenario with the status quo (workshop mode).

:func:`compare` answers "what changes for the target group if this scenario
happens?": figures before, after and their difference for the region, per
Gemeinde and per 100 m cell (:class:`Comparison`); :func:`comparison_table`
gives the planner-facing German table. The scenario model (changes,
:class:`geo.scenario.Scenario`, :func:`geo.scenario.apply`) lives in
:mod:`geo.scenario`::

    from geo.compare import compare, comparison_table
    cmp = compare(region, params, history.current, base_result=base)   # ~5 ms
    cmp.totals["newly_within"], cmp.gemeinden, cmp.cells               # figures, before/after map
    cmp = compare(region, params, next_scenario, base_result=base, previous=cmp)

``compare`` reuses the status-quo result and updates only what a change
touches (incremental path, equal to a full :func:`geo.analysis.analyze` of the
changed service list; see ``docs/scenarios.md``).
"""

from __future__ import annotations

import copy
import dataclasses
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from . import analysis, indicators, settings, transit_lever, traveltime
from ._errors import InputError
from .scenario import CloseSite, Scenario, apply, ids_xy, resolve

#: Per-cell change classes of the before/after map (codes; words: ``change_class.<code>``).
CELL_CHANGES: tuple[str, ...] = ("newly_within", "newly_beyond", "faster", "slower", "unchanged")
#: Minutes below which a change of the nearest time counts as "unchanged".
MINUTES_EPS = 0.05


# ---------------------------------------------------------------------------
# Incremental state (only the sites that differ are recomputed)
# ---------------------------------------------------------------------------
@dataclass
class _State:
    """Everything the measures need for one service selection (incremental updates)."""

    ids: np.ndarray  # object, unique
    xy: np.ndarray  # (m, 2)
    capacity: np.ndarray  # (m,)
    minutes: np.ndarray  # (n,)
    nearest: np.ndarray  # (n,) index into ids, -1 = none
    catchment: sp.csr_matrix  # (n, m) minutes within the threshold

    @classmethod
    def from_result(cls, result: analysis.AnalysisResult) -> _State | None:
        svc = result.services
        ids = svc["id"].astype(str).to_numpy(dtype=object) if "id" in svc.columns else None
        if ids is None or len(set(ids)) != len(ids):
            return None
        sid = result.cells["service_id"]
        cat = getattr(sid, "cat", None)
        if cat is not None and list(cat.categories) == list(ids):
            nearest = cat.codes.to_numpy(dtype=np.int64)
        else:
            nearest = pd.Index(ids).get_indexer(sid.astype(object).where(sid.notna(), None))
        return cls(
            ids,
            analysis.points_xy(svc),
            svc["capacity_used"].to_numpy(dtype=float),
            result.cells["minutes"].to_numpy(dtype=float),
            np.asarray(nearest, np.int64),
            sp.csr_matrix(result.catchment),
        )


def _update(
    state: _State,
    ids: np.ndarray,
    xy: np.ndarray,
    cap: np.ndarray,
    cells_xy: np.ndarray,
    params: analysis.AnalysisParams,
    net: Any,
) -> _State | None:
    """The state for the selected sites (ids, positions, capacity used), recomputing
    only the sites that differ from ``state``; None if ids are not unique."""
    if len(set(ids)) != len(ids):
        return None
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    old = {s: i for i, s in enumerate(state.ids)}
    kept_old, kept_new, added = [], [], []
    for j, s in enumerate(ids):
        i = old.get(s)
        if (
            i is not None
            and state.xy[i, 0] == xy[j, 0]
            and state.xy[i, 1] == xy[j, 1]
            and state.capacity[i] == cap[j]
        ):
            kept_old.append(i)
            kept_new.append(j)
        else:
            added.append(j)
    kept_old_a = np.asarray(kept_old, dtype=np.int64)
    added_a = np.asarray(added, dtype=np.int64)
    n_kept, n = kept_old_a.size, len(cells_xy)
    T, mode = params.threshold_min, params.mode
    # catchment: kept columns + new columns
    identity = n_kept == state.ids.size and bool((kept_old_a == np.arange(n_kept)).all())
    cols = state.catchment if identity else state.catchment[:, kept_old_a]
    if added_a.size:
        new_cols = traveltime.catchment_matrix(cells_xy, xy[added_a], mode, T, net)
        cols = sp.hstack([cols, new_cols], format="csr")
    catchment = sp.csr_matrix(cols)
    catchment.sort_indices()
    # nearest: drop removed sites, then the added ones compete
    remap = np.full(state.ids.size + 1, -1, dtype=np.int64)
    remap[kept_old_a] = np.arange(n_kept)
    nearest = np.where(state.nearest >= 0, remap[state.nearest], -1)
    minutes = state.minutes.copy()
    lost = (state.nearest >= 0) & (nearest < 0)
    if lost.any():
        if n_kept:
            f = traveltime.nearest_field(
                cells_xy[lost], xy[np.asarray(kept_new, np.int64)], mode, net
            )
            minutes[lost], nearest[lost] = f.minutes, f.nearest
        else:
            minutes[lost], nearest[lost] = np.inf, -1
    if added_a.size:
        f = traveltime.nearest_field(cells_xy, xy[added_a], mode, net)
        better = f.minutes < minutes
        minutes[better] = f.minutes[better]
        nearest[better] = n_kept + f.nearest[better]
    order = np.concatenate([np.asarray(kept_new, np.int64), added_a])
    assert catchment.shape == (n, order.size)
    return _State(
        ids[order],
        xy[order] if order.size else np.empty((0, 2)),
        cap[order],
        minutes,
        nearest,
        catchment,
    )


#: Service columns of ``Comparison.selection``.
LIGHT_COLUMNS: tuple[str, ...] = ("id", "name", "category", "subcategory", "capacity", "precision")


@dataclass(eq=False)
class _Sites:
    """A service list as arrays (what the measures need), before or after a scenario."""

    ids: np.ndarray
    names: np.ndarray
    category: np.ndarray
    subcategory: np.ndarray
    precision: np.ndarray
    capacity: np.ndarray  # raw: NaN = unknown
    xy: np.ndarray  # NaN = no location
    text: np.ndarray
    change_id: np.ndarray
    active: np.ndarray  # status counts as provision (``analysis._active_mask``)

    @classmethod
    def from_services(cls, services: gpd.GeoDataFrame) -> _Sites:
        ids, xy = ids_xy(services)
        n = len(services)

        def col(name: str) -> np.ndarray:
            if name not in services.columns:
                return np.full(n, None, dtype=object)
            v = services[name]
            return v.astype(object).where(v.notna(), None).to_numpy(dtype=object)

        cap = (
            pd.to_numeric(services["capacity"], errors="coerce").to_numpy(dtype=float)
            if "capacity" in services.columns
            else np.full(n, np.nan)
        )
        none = np.full(n, None, dtype=object)
        return cls(
            ids,
            col("name"),
            col("category"),
            col("subcategory"),
            col("precision"),
            cap,
            xy,
            none,
            none.copy(),
            analysis._active_mask(services),
        )

    def after(self, scenario: Scenario, strict: bool = True) -> _Sites:
        """The sites after the scenario (same semantics as :func:`apply`)."""
        res = resolve(self.ids, self.xy, scenario, strict)
        idx = np.flatnonzero(res.alive)
        xy, prec = self.xy[idx].copy(), self.precision[idx].copy()
        for i, p in res.moved.items():
            j = int(np.searchsorted(idx, i))
            xy[j], prec[j] = p, "coordinates"
        rows = list(res.planned.values())

        def cat(a: np.ndarray, key: str) -> np.ndarray:
            return np.concatenate([a, np.array([r[key] for r in rows], dtype=object)])

        return _Sites(
            cat(self.ids[idx], "id"),
            cat(self.names[idx], "name"),
            cat(self.category[idx], "category"),
            cat(self.subcategory[idx], "subcategory"),
            np.concatenate([prec, np.full(len(rows), "coordinates", dtype=object)]),
            np.concatenate(
                [self.capacity[idx], np.array([r["capacity"] for r in rows], dtype=float)]
            ),
            np.concatenate(
                [xy, np.array([[r["_x"], r["_y"]] for r in rows], dtype=float).reshape(-1, 2)]
            ),
            cat(res.text[idx], "scenario_change"),
            cat(res.change_id[idx], "change_id"),
            np.concatenate([self.active[idx], np.ones(len(rows), dtype=bool)]),
        )

    def selected(self, kinds: tuple[str, ...]) -> np.ndarray:
        """Rows ``analysis.service_selection`` would keep (located, active, of the kinds)."""
        located = np.isfinite(self.xy).all(axis=1) & (self.precision != "not_found")
        return located & self.active & _kind_mask(kinds, self.category, self.subcategory)

    def frame(self, mask: np.ndarray) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(
            {
                "id": self.ids[mask],
                "name": self.names[mask],
                "category": self.category[mask],
                "subcategory": self.subcategory[mask],
                "capacity": self.capacity[mask],
                "precision": self.precision[mask],
                "scenario_change": self.text[mask],
                "change_id": self.change_id[mask],
            },
            geometry=shapely.points(self.xy[mask]),
            crs=settings.CRS_METRIC,
        )


_KIND_CACHE: dict[tuple, frozenset] = {}


def _kind_mask(kinds: tuple[str, ...], category: np.ndarray, subcategory: np.ndarray) -> np.ndarray:
    """Kind filter of ``analysis.service_selection``, evaluated once per distinct
    (category, subcategory) pair set and cached (a kind that matches nothing: empty)."""
    pairs = list(
        zip(
            (c if isinstance(c, str) else None for c in category),
            (c if isinstance(c, str) else None for c in subcategory),
            strict=True,
        )
    )
    distinct = tuple(dict.fromkeys(pairs))
    key = (kinds, distinct)
    hit = _KIND_CACHE.get(key)
    if hit is None:
        probe = gpd.GeoDataFrame(
            {
                "category": [p[0] for p in distinct],
                "subcategory": [p[1] for p in distinct],
                "precision": "coordinates",
            },
            geometry=shapely.points(np.zeros((len(distinct), 2))),
            crs=settings.CRS_METRIC,
        )
        try:
            chosen = analysis.service_selection(probe, kinds).index
        except InputError:
            chosen = []
        hit = frozenset(distinct[i] for i in chosen)
        if len(_KIND_CACHE) > 512:
            _KIND_CACHE.clear()
        _KIND_CACHE[key] = hit
    return np.fromiter((p in hit for p in pairs), dtype=bool, count=len(pairs))


#: Figures compared per Gemeinde and for the region (before, after, delta).
FIGURES: tuple[str, ...] = (
    "people_within",
    "share_within",
    "people_unreachable",
    "minutes_mean",
    "gap",
    "2sfca_mean",
    "e2sfca_mean",
)


def _figures(
    codes: np.ndarray,
    n: int,
    people: np.ndarray,
    minutes: np.ndarray,
    within: np.ndarray,
    a2: np.ndarray,
    ae: np.ndarray,
    gap: np.ndarray,
) -> dict[str, np.ndarray]:
    """Per-group sums and means as in ``analysis`` (2SFCA arrays per 1,000 already)."""
    ok = codes >= 0
    g = codes[ok]

    def tot(v):
        return np.bincount(g, weights=np.asarray(v, dtype=float)[ok], minlength=n)[:n]

    def div(a, b):
        out = np.full(n, np.nan)
        np.divide(a, b, out=out, where=b > 0)
        return out

    reach = np.isfinite(minutes)
    people_all = tot(people)
    p_within = tot(people * within)
    return {
        "people": people_all,
        "people_within": p_within,
        "share_within": div(p_within, people_all),
        "people_unreachable": tot(people * ~reach),
        "minutes_mean": div(tot(people * np.where(reach, minutes, 0.0)), tot(people * reach)),
        "gap": tot(gap),
        "2sfca_mean": div(tot(people * a2), people_all),
        "e2sfca_mean": div(tot(people * ae), people_all),
    }


@dataclass(eq=False)
class Comparison:
    """A scenario against the status quo.

    Attributes
    ----------
    scenario : Scenario
    params : AnalysisParams
    totals : dict
        Region figures: ``people``, ``newly_within``, ``newly_beyond`` and, for
        each of ``FIGURES``, ``<fig>_before``, ``<fig>_after``, ``<fig>_delta``;
        ``services_before``/``services_after`` (selected sites).
    gemeinden : DataFrame
        The same per Gemeinde (``ags``, ``name`` first; order of ``region.gemeinden``).
    cells : DataFrame
        Per cell (index of ``region.cells``): x, y, ags, people, minutes_before,
        minutes_after, minutes_delta (NaN unless both finite), within_before,
        within_after, change (a ``CELL_CHANGES`` code), count_before/after,
        2sfca_before/after, e2sfca_before/after, gap_before/after, service_id_after.
    selection : GeoDataFrame
        The selected services after the scenario (what the measures used):
        ``LIGHT_COLUMNS`` + scenario_change, change_id, geometry.
    services : GeoDataFrame
        The whole service list after the scenario (property, all columns).
    base : AnalysisResult
        The status quo.
    method : str
        ``"incremental"`` or ``"full"``.
    metadata : dict
        Parameters, model, scenario, notes (changes without effect), timings (ms).
    """

    scenario: Scenario
    params: analysis.AnalysisParams
    totals: dict
    gemeinden: pd.DataFrame
    cells: pd.DataFrame
    base: analysis.AnalysisResult
    method: str
    metadata: dict
    _after: _State | None = field(default=None, repr=False)
    _status_quo: gpd.GeoDataFrame | None = field(default=None, repr=False)
    _sites: _Sites | None = field(default=None, repr=False)
    _mask: np.ndarray | None = field(default=None, repr=False)
    _services: gpd.GeoDataFrame | None = field(default=None, repr=False)
    _selection: gpd.GeoDataFrame | None = field(default=None, repr=False)

    @property
    def selection(self) -> gpd.GeoDataFrame:
        """The selected services after the scenario (computed on first use)."""
        if self._selection is None:
            self._selection = self._sites.frame(self._mask)
        return self._selection

    @property
    def services(self) -> gpd.GeoDataFrame:
        """The whole service list after the scenario (:func:`apply`, computed on first use)."""
        if self._services is None:
            self._services = apply(self._status_quo, self.scenario)
        return self._services


def with_services(region: Any, services: gpd.GeoDataFrame) -> Any:
    """A shallow copy of ``region`` whose ``services`` are replaced (for ``analyze``)."""
    out = copy.copy(region)
    out.services = services
    return out


def _weights_key(need_weights: Mapping[str, float] | None) -> dict | None:
    return None if need_weights is None else {str(k): float(v) for k, v in need_weights.items()}


def _base_ok(
    base: Any,
    region: Any,
    params: analysis.AnalysisParams,
    need_weights: Mapping[str, float] | None = None,
) -> bool:
    """Whether ``base`` is the status quo of ``region`` for ``params`` and ``need_weights``."""
    if not (
        isinstance(base, analysis.AnalysisResult)
        and base.params == params
        and len(base.cells) == len(region.cells)
    ):
        return False
    if base.metadata.get("content_hash") != (getattr(region, "meta", None) or {}).get(
        "content_hash"
    ):
        return False
    used = (base.metadata.get("need_weighting") or {}).get("weights")
    return used == _weights_key(need_weights)


_CELL_KEYS = ("minutes", "within", "count", "2sfca", "e2sfca", "gap")
_FIGURE_KEYS = ("minutes", "within", "2sfca", "e2sfca", "gap")


@dataclass(eq=False)
class _BaseCache:
    """What every comparison against one status-quo result shares."""

    people: np.ndarray
    cells_xy: np.ndarray
    codes: np.ndarray
    zeros: np.ndarray
    ags: np.ndarray
    names: np.ndarray
    before: dict
    figures: dict
    region_figures: dict
    state: _State | None
    services: gpd.GeoDataFrame | None = None
    sites: _Sites | None = None

    def status_quo(self, services: gpd.GeoDataFrame) -> _Sites:
        if self.sites is None or self.services is not services:
            self.services, self.sites = services, _Sites.from_services(services)
        return self.sites


_BASE_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _base_cache(base: analysis.AnalysisResult, region: Any) -> _BaseCache:
    hit = _BASE_CACHE.get(base)
    gem = region.gemeinden
    if hit is not None and len(hit.ags) == len(gem):
        return hit
    bc = base.cells
    people = bc["people"].to_numpy(dtype=float)
    before = {k: bc[k].to_numpy() for k in _CELL_KEYS}
    before["minutes"] = before["minutes"].astype(float)
    before["within"] = before["within"].astype(bool)
    codes = np.asarray(
        pd.Index(gem["ags"].astype(str)).get_indexer(bc["ags"].astype(str)), dtype=np.int64
    )
    zeros = np.zeros(len(people), dtype=np.int64)
    args = [before[k] for k in _FIGURE_KEYS]
    hit = _BaseCache(
        people,
        bc[["x", "y"]].to_numpy(dtype=float),
        codes,
        zeros,
        gem["ags"].astype(str).to_numpy(dtype=object),
        gem["name"].astype(str).to_numpy(dtype=object),
        before,
        _figures(codes, len(gem), people, *args),
        _figures(zeros, 1, people, *args),
        _State.from_result(base),
    )
    _BASE_CACHE[base] = hit
    return hit


def compare(
    region: Any,
    params: analysis.AnalysisParams,
    scenario: Scenario,
    networks: Mapping[str, Any] | None = None,
    base_result: analysis.AnalysisResult | None = None,
    *,
    previous: Comparison | None = None,
    incremental: bool = True,
    need_weights: Mapping[str, float] | None = None,
) -> Comparison:
    """Compare a scenario with the status quo.

    Parameters
    ----------
    region : Region
    params : AnalysisParams
    scenario : Scenario
    networks : mapping mode → Network, optional
        As for :func:`geo.analysis.analyze` (fallback without).
    base_result : AnalysisResult, optional
        The status quo for ``params`` (computed when missing or not matching).
    previous : Comparison, optional
        An earlier comparison with the same parameters and status quo: only the
        sites that differ from it are recomputed (workshop: one change at a time).
    incremental : bool
        False forces a full :func:`geo.analysis.analyze` of the changed list.
    need_weights : mapping AGS → weight, optional
        As for :func:`geo.analysis.analyze`: the gap score of each cell is
        multiplied by its Gemeinde's weight (before and after alike).

    Returns
    -------
    Comparison
    """
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    if not isinstance(params, analysis.AnalysisParams):
        raise TypeError("params must be an AnalysisParams")
    base = (
        base_result
        if _base_ok(base_result, region, params, need_weights)
        else analysis.analyze(region, params, networks, need_weights)
    )
    lever_networks = transit_lever.scenario_networks(networks, scenario)
    timetable_changed = lever_networks is not networks  # then every catchment changes
    networks = lever_networks
    b = _base_cache(base, region)
    timings["base_ms"] = (time.perf_counter() - t0) * 1000
    t1 = time.perf_counter()
    status_quo = region.services
    sq = b.status_quo(status_quo)
    sites = sq.after(scenario)
    mask = sites.selected(params.kinds)
    people = b.people
    T = params.threshold_min
    state = None
    if (incremental or not mask.any()) and not timetable_changed:
        start = b.state
        if (
            previous is not None
            and previous.base is base
            and previous._after is not None
            and previous.params == params
        ):
            start = previous._after
        if start is not None:
            cap = analysis.service_capacity(pd.DataFrame({"capacity": sites.capacity[mask]}))[0]
            state = _update(
                start,
                sites.ids[mask],
                sites.xy[mask],
                cap,
                b.cells_xy,
                params,
                (networks or {}).get(params.mode),
            )
    if state is not None:
        m = analysis.cell_measures(
            state.minutes,
            state.catchment,
            people,
            state.capacity,
            T,
            params.decay,
            params.gap_cap_factor,
        )
        per = settings.ACCESS_PER_PEOPLE
        gap = (
            m.gap
            if need_weights is None
            else m.gap
            * indicators.cell_weights(base.cells["ags"].astype(str).to_numpy(), need_weights)
        )
        after = {
            "minutes": m.minutes,
            "within": m.within,
            "count": m.count,
            "2sfca": m.access_2sfca * per,
            "e2sfca": m.access_e2sfca * per,
            "gap": gap,
        }
        ids = state.ids
        service_after = (
            pd.Categorical.from_codes(state.nearest, categories=pd.Index(ids, dtype="str"))
            if len(ids)
            else pd.Categorical([None] * len(people), categories=pd.Index([], dtype="str"))
        )
        method = "incremental"
    else:
        res = analysis.analyze(
            with_services(region, apply(status_quo, scenario)), params, networks, need_weights
        )
        after = {k: res.cells[k].to_numpy() for k in _CELL_KEYS}
        service_after = res.cells["service_id"].array
        method = "full"
    timings["scenario_ms"] = (time.perf_counter() - t1) * 1000
    before, codes, n_gem = b.before, b.codes, len(b.ags)
    fb, rb = b.figures, b.region_figures
    fa = _figures(codes, n_gem, people, *(after[k] for k in _FIGURE_KEYS))
    ra = _figures(b.zeros, 1, people, *(after[k] for k in _FIGURE_KEYS))
    wb, wa = before["within"], after["within"].astype(bool)
    new_in, new_out = people * (wa & ~wb), people * (wb & ~wa)
    ok = codes >= 0

    def by_gem(v):
        return np.bincount(codes[ok], weights=v[ok], minlength=n_gem)[:n_gem]

    table = {
        "ags": b.ags,
        "name": b.names,
        "people": fb["people"],
        "newly_within": by_gem(new_in),
        "newly_beyond": by_gem(new_out),
    }
    totals: dict[str, Any] = {
        "people": float(rb["people"][0]),
        "newly_within": float(new_in.sum()),
        "newly_beyond": float(new_out.sum()),
    }
    for f in FIGURES:
        table[f"{f}_before"], table[f"{f}_after"] = fb[f], fa[f]
        table[f"{f}_delta"] = fa[f] - fb[f]
        for suffix, v in (
            ("before", rb[f][0]),
            ("after", ra[f][0]),
            ("delta", ra[f][0] - rb[f][0]),
        ):
            totals[f"{f}_{suffix}"] = analysis.json_value(v)
    totals["services_before"] = int(len(base.services))
    totals["services_after"] = int(mask.sum())
    gemeinden = pd.DataFrame(table, index=region.gemeinden.index)

    mb, ma = before["minutes"], after["minutes"].astype(float)
    fin_b, fin_a = np.isfinite(mb), np.isfinite(ma)
    both = fin_b & fin_a
    delta = np.where(both, ma - np.where(both, mb, 0.0), np.nan)
    change = np.full(len(people), 4, dtype=np.int8)  # codes of CELL_CHANGES
    change[(both & (delta < -MINUTES_EPS)) | (~fin_b & fin_a)] = 2
    change[(both & (delta > MINUTES_EPS)) | (fin_b & ~fin_a)] = 3
    change[wa & ~wb] = 0
    change[wb & ~wa] = 1
    bc = base.cells
    out_cells = pd.DataFrame(
        {
            "x": bc["x"].to_numpy(),
            "y": bc["y"].to_numpy(),
            "ags": bc["ags"].array,
            "people": people,
            "minutes_before": mb,
            "minutes_after": ma,
            "minutes_delta": delta,
            "within_before": wb,
            "within_after": wa,
            "change": pd.Categorical.from_codes(change, categories=list(CELL_CHANGES)),
            "count_before": before["count"],
            "count_after": after["count"],
            "2sfca_before": before["2sfca"],
            "2sfca_after": after["2sfca"],
            "e2sfca_before": before["e2sfca"],
            "e2sfca_after": after["e2sfca"],
            "gap_before": before["gap"],
            "gap_after": after["gap"],
            "service_id_after": service_after,
        },
        index=bc.index,
    )

    notes = _no_effect_notes(scenario, sq, set(sites.ids[mask]), base, params)
    timings["total_ms"] = (time.perf_counter() - t0) * 1000
    metadata = {
        "scenario": scenario.name,
        "region": getattr(region, "name", None),
        "params": params.to_dict(),
        "model": base.model,
        "method": method,
        "changes": [c.to_dict() for c in scenario.changes],
        "notes": notes,
        "timings": {k: round(v, 2) for k, v in timings.items()},
        "need_weighting": base.metadata.get("need_weighting"),
        "sources": base.metadata.get("sources", []),
    }
    return Comparison(
        scenario,
        params,
        totals,
        gemeinden,
        out_cells,
        base,
        method,
        metadata,
        state,
        status_quo,
        sites,
        mask,
    )


def _no_effect_notes(
    scenario: Scenario,
    sq: _Sites,
    selected: set[str],
    base: analysis.AnalysisResult,
    params: analysis.AnalysisParams,
) -> list[str]:
    """Notes (codes) on changes that do not touch the selected kind of service."""
    prefix = settings.PLAN_ID_PREFIX
    probe = selected
    if any(
        isinstance(c, CloseSite) and c.service_id.startswith(prefix) for c in scenario.changes
    ):  # judge closed planned sites as if they stayed open
        kept = tuple(
            c
            for c in scenario.changes
            if not (isinstance(c, CloseSite) and c.service_id.startswith(prefix))
        )
        opened = sq.after(dataclasses.replace(scenario, changes=kept), strict=False)
        probe = set(opened.ids[opened.selected(params.kinds)])
    base_ids = set(base.services["id"].astype(str)) if "id" in base.services else set()
    notes: list[dict[str, Any]] = []
    for c in scenario.changes:
        sites = set(c.site_ids()) or set(c.refers_to())
        known = {s for s in sites if s.startswith(prefix)} & probe | (sites & base_ids)
        if sites and not known:
            notes.append({"code": "change_no_effect", "change": c.to_dict()})
    return notes


def comparison_table(comparison: Comparison, suppress: bool = True) -> pd.DataFrame:
    """Table per Gemeinde plus a region row (empty AGS and name), rounded, code columns.

    Counts of people are whole numbers, 1–2 shown as ``"<3"`` with ``suppress``;
    shares in percent. Labels: ``present.tables.comparison_table``.
    """
    c = comparison
    total = {
        "ags": "",
        "name": "",
        "people": c.totals["people"],
        "newly_within": c.totals["newly_within"],
        "newly_beyond": c.totals["newly_beyond"],
    }
    for f in FIGURES:
        for s in ("before", "after", "delta"):
            v = c.totals[f"{f}_{s}"]
            total[f"{f}_{s}"] = np.nan if v is None else v
    df = pd.concat([c.gemeinden, pd.DataFrame([total])], ignore_index=True)
    counts = [
        "people",
        "newly_within",
        "newly_beyond",
        "people_within_before",
        "people_within_after",
        "people_unreachable_before",
        "people_unreachable_after",
    ]
    for col in ("share_within_before", "share_within_after", "share_within_delta"):
        df[col] = np.round(df[col].to_numpy(dtype=float) * 100, 1)
    for col in ("minutes_mean_before", "minutes_mean_after", "minutes_mean_delta"):
        df[col] = np.round(df[col].to_numpy(dtype=float), 1)
    for col in (
        "2sfca_mean_before",
        "2sfca_mean_after",
        "2sfca_mean_delta",
        "e2sfca_mean_before",
        "e2sfca_mean_after",
        "e2sfca_mean_delta",
    ):
        df[col] = np.round(df[col].to_numpy(dtype=float), 3)
    for col in (
        "gap_before",
        "gap_after",
        "gap_delta",
        "people_within_delta",
        "people_unreachable_delta",
    ):
        df[col] = np.round(df[col].to_numpy(dtype=float))
    if suppress:
        df = analysis.suppress_small(df, counts)
    else:
        for col in counts:
            df[col] = np.round(df[col].to_numpy(dtype=float))
    df.attrs.update(
        model=c.base.model,
        params=c.params.to_dict(),
        changes=list(c.metadata["changes"]),
        notes=list(c.metadata["notes"]),
    )
    return df


__all__ = [
    "Comparison",
    "compare",
    "comparison_table",
    "with_services",
    "CELL_CHANGES",
    "FIGURES",
    "LIGHT_COLUMNS",
    "MINUTES_EPS",
]
