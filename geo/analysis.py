"""Accessibility measures for the gap map (Versorgungslücken).

For one selection of services (categories and/or subcategories), one target
group, one travel mode and one threshold, :func:`analyze` computes per 100 m
cell and per Gemeinde:

- the travel time to the nearest service and which service that is,
- whether a service lies within the threshold, and how many do,
- the 2SFCA and E2SFCA supply-to-demand ratio (capacity per 1,000 people of
  the target group),
- a need-weighted gap score (people-minutes beyond the threshold).

One catchment matrix (cells × services, minutes up to the threshold) feeds
the count, the 2SFCA and the E2SFCA; the nearest time comes from one
nearest-service field. Formulas and conventions: ``docs/measures.md``; every
result carries them in ``result.metadata`` together with the parameters, the
travel-time model and the data sources.

>>> params = AnalysisParams(kinds=("Familie",), target="single_parent_hh", mode="car")
>>> result = analyze(region, params, region.networks())
>>> result.totals["share_within"]
>>> gemeinde_table(result)          # German labels, small counts shown as "<3"
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from . import indicators, settings, traveltime
from ._errors import InputError

#: Weighted quantiles reported besides the mean (median, 90th percentile).
QUANTILES: tuple[float, ...] = (0.5, 0.9)
#: Catchment demand below this counts as none (R_j = 0), so R_j cannot overflow.
MIN_DEMAND = 1e-12
#: How a suppressed small count is shown.
SUPPRESSED = f"<{settings.SMALL_COUNT_LIMIT}"

CELL_COLUMNS: tuple[str, ...] = (
    "x",
    "y",
    "ags",
    "people",
    "minutes",
    "service_id",
    "within",
    "count",
    "2sfca",
    "e2sfca",
    "gap",
    "off_network",
)
SUMMARY_COLUMNS: tuple[str, ...] = (
    "people",
    "minutes_mean",
    "minutes_median",
    "minutes_p90",
    "people_within",
    "share_within",
    "people_beyond",
    "share_beyond",
    "people_unreachable",
    "services_in_gemeinde",
    "services_reachable",
    "services_within_mean",
    "2sfca_mean",
    "e2sfca_mean",
    "gap",
    "gap_per_1000",
)
GEMEINDE_COLUMNS: tuple[str, ...] = ("ags", "name", *SUMMARY_COLUMNS)
#: Columns that count people (or households) of the target group: rounded and suppressed.
COUNT_COLUMNS: tuple[str, ...] = ("people", "people_within", "people_beyond", "people_unreachable")


# ---------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------
def parse_kinds(kinds: str | Iterable[str] | None) -> tuple[str, ...]:
    """Service kinds as a tuple: ``"Familie,Jugend"`` → ``("Familie", "Jugend")``.

    A string is split at commas and semicolons outside parentheses (subcategories
    such as ``"ThEKiZ (LSZ-gefördert, Kita-Name nicht genannt)"`` stay whole);
    the items of an iterable are kept as they are. Blanks and repeats are dropped.
    """
    if kinds is None:
        return ()
    if isinstance(kinds, str):
        parts, depth, current = [], 0, []
        for ch in kinds:
            if ch in "([":
                depth += 1
            elif ch in ")]":
                depth = max(0, depth - 1)
            if ch in ",;" and depth == 0:
                parts.append("".join(current))
                current = []
            else:
                current.append(ch)
        parts.append("".join(current))
    else:
        parts = [str(k) for k in kinds]
    return tuple(dict.fromkeys(p.strip() for p in parts if p and p.strip()))


@dataclass(frozen=True)
class AnalysisParams:
    """What to analyse; frozen and hashable, so results can be cached on it.

    Parameters
    ----------
    kinds : tuple of str
        Categories (``settings.CATEGORIES``) and/or subcategories of the service
        list; empty = all located services. A string is split at commas.
    target : str
        Target group code (``settings.TARGET_GROUPS``): the demand.
    mode : str
        Travel mode (``settings.MODES``).
    threshold_min : float, optional
        Threshold in minutes; default: the mode's default threshold.
    measure : str
        Measure the map shows (``settings.MEASURES``); all are computed.
    decay : {"step", "gaussian", None}
        Distance decay of the E2SFCA (``settings.DECAYS``); None = no decay.
    gap_cap_factor : float
        Travel times count for the gap score up to this multiple of the threshold.
    """

    kinds: tuple[str, ...] = ()
    target: str = settings.DEFAULT_TARGET_GROUP
    mode: str = settings.DEFAULT_MODE
    threshold_min: float | None = None
    measure: str = settings.DEFAULT_MEASURE
    decay: str | None = settings.DEFAULT_DECAY
    gap_cap_factor: float = settings.GAP_CAP_FACTOR

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "kinds", parse_kinds(self.kinds))
        if self.target not in settings.TARGET_GROUPS:
            raise InputError(
                f"Unbekannte Zielgruppe „{self.target}“ "
                f"(möglich: {', '.join(settings.TARGET_GROUPS)})."
            )
        if self.mode not in settings.TRAVEL_MODES:
            raise InputError(
                f"Unbekannte Verkehrsart „{self.mode}“ "
                f"(möglich: {', '.join(settings.TRAVEL_MODES)})."
            )
        threshold = (
            settings.TRAVEL_MODES[self.mode].default_threshold_min
            if self.threshold_min is None
            else self.threshold_min
        )
        try:
            threshold = float(threshold)
        except (TypeError, ValueError):
            threshold = math.nan
        if not (math.isfinite(threshold) and threshold > 0):
            raise InputError(
                f"Der Schwellenwert muss eine positive Zahl von Minuten sein "
                f"(angegeben: {self.threshold_min!r})."
            )
        put(self, "threshold_min", threshold)
        if self.measure not in settings.MEASURES:
            raise InputError(
                f"Unbekanntes Maß „{self.measure}“ (möglich: {', '.join(settings.MEASURES)})."
            )
        decay = None if self.decay in (None, "", "none") else str(self.decay)
        if decay is not None and decay not in settings.DECAYS:
            raise InputError(
                f"Unbekannte Distanzgewichtung „{self.decay}“ "
                f"(möglich: {', '.join(settings.DECAYS)} oder keine)."
            )
        put(self, "decay", decay)
        try:
            cap = float(self.gap_cap_factor)
        except (TypeError, ValueError):
            cap = math.nan
        if not (math.isfinite(cap) and cap >= 1.0):
            raise InputError("Der Kappungsfaktor der Versorgungslücke muss mindestens 1 sein.")
        put(self, "gap_cap_factor", cap)

    @property
    def cap_minutes(self) -> float:
        """Travel time at which the gap score is capped (minutes)."""
        return self.gap_cap_factor * self.threshold_min

    def to_dict(self) -> dict:
        """JSON-serialisable parameters."""
        return {
            "kinds": list(self.kinds),
            "target": self.target,
            "mode": self.mode,
            "threshold_min": self.threshold_min,
            "measure": self.measure,
            "decay": self.decay,
            "gap_cap_factor": self.gap_cap_factor,
        }


# ---------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------
def _folded(series: pd.Series | None, n: int) -> np.ndarray:
    if series is None:
        return np.full(n, "", dtype=object)
    return np.array(
        [str(v).strip().casefold() if isinstance(v, str) else "" for v in series], dtype=object
    )


def _category_code(kind: str) -> str | None:
    key = kind.strip().casefold()
    for code, cat in settings.CATEGORIES.items():
        if key in (code.casefold(), cat.label_de.casefold(), cat.label_en.casefold()):
            return code
    return None


def _kind_mask(services: pd.DataFrame, kinds: tuple[str, ...]) -> np.ndarray:
    """Rows of ``services`` that match any kind; InputError for kinds that match nothing."""
    n = len(services)
    if not kinds:
        return np.ones(n, dtype=bool)
    cat = _folded(services.get("category"), n)
    sub = _folded(services.get("subcategory"), n)
    mask = np.zeros(n, dtype=bool)
    unknown = []
    for kind in kinds:
        code = _category_code(kind)
        if code is not None:
            mask |= cat == code.casefold()
            continue
        key = kind.casefold()
        hit = sub == key  # exact subcategory first, then "contains"
        if not hit.any():
            hit = np.array([key in s for s in sub], dtype=bool)
        if not hit.any():
            unknown.append(kind)
        mask |= hit
    if unknown:
        examples = sorted({s for s in services.get("subcategory", pd.Series(dtype=str)).dropna()})
        example_text = "; ".join(examples[:5]) + (" …" if len(examples) > 5 else "")
        raise InputError(
            f"Unbekannte Angebotsart {', '.join('„' + k + '“' for k in unknown)}. Möglich sind die "
            f"Kategorien {', '.join(settings.CATEGORIES)} oder eine Unterkategorie der "
            f"Angebotsliste (ganz oder als Wortteil, z. B. {example_text or '–'})."
        )
    return mask


def _located_mask(services: gpd.GeoDataFrame) -> np.ndarray:
    geom = services.geometry
    ok = (geom.notna() & ~geom.is_empty).to_numpy(dtype=bool)
    if "precision" in services.columns:
        ok = ok & (services["precision"] != "not_found").to_numpy(dtype=bool)
    return ok


def _active_mask(services: pd.DataFrame) -> np.ndarray:
    """Services that offer something: not closed, paused or only planned.

    A site a scenario adds (``category_source == "scenario"``) is planned by
    definition and counts: it is what the scenario tests.
    """
    if "status" not in services.columns:
        return np.ones(len(services), dtype=bool)
    status = services["status"].astype("string").str.strip().str.casefold()
    active = ~status.isin(settings.INACTIVE_STATUSES).fillna(False).to_numpy(dtype=bool)
    if "category_source" in services.columns:
        active |= (services["category_source"] == "scenario").to_numpy(dtype=bool)
    return active


def service_selection(
    services: gpd.GeoDataFrame, kinds: str | Iterable[str] = ()
) -> gpd.GeoDataFrame:
    """The located services of the chosen categories and/or subcategories.

    Parameters
    ----------
    services : GeoDataFrame
        ``region.services`` (EPSG:3035): the region's services and those up to
        ``settings.REGION_BUFFER_M`` outside it, which count as well.
    kinds : str or iterable of str
        A kind matches a category (code or label, case-insensitive), else a
        subcategory exactly, else every subcategory containing it. Empty: all.

    Returns
    -------
    GeoDataFrame
        Matching rows with a location (``precision != "not_found"``) and an active
        status (not in ``settings.INACTIVE_STATUSES``), original index.
    """
    kinds = parse_kinds(kinds)
    mask = _kind_mask(services, kinds) & _located_mask(services) & _active_mask(services)
    return services.loc[mask].copy()


def service_capacity(selection: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Capacity per service and how many were unknown (missing/NaN → ``settings.DEFAULT_CAPACITY``)."""
    known = _capacity_known(selection)
    raw = _capacity_raw(selection)
    return np.where(known, raw, settings.DEFAULT_CAPACITY), int((~known).sum())


def _capacity_raw(selection: pd.DataFrame) -> np.ndarray:
    if "capacity" not in selection.columns:
        return np.full(len(selection), np.nan)
    return pd.to_numeric(selection["capacity"], errors="coerce").to_numpy(dtype=float)


def _capacity_known(selection: pd.DataFrame) -> np.ndarray:
    raw = _capacity_raw(selection)
    return np.isfinite(raw) & (raw >= 0)


def points_xy(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """(n, 2) array of the x/y of point geometries (EPSG:3035 metres for region data)."""
    if len(gdf) == 0:
        return np.empty((0, 2))
    geom = gdf.geometry.values
    return np.column_stack([shapely.get_x(geom), shapely.get_y(geom)])


def _service_gemeinde(selection: gpd.GeoDataFrame, gemeinden: gpd.GeoDataFrame) -> np.ndarray:
    """Index into ``gemeinden`` of the Gemeinde containing each service, -1 outside."""
    out = np.full(len(selection), -1, dtype=np.int64)
    if len(selection) == 0 or len(gemeinden) == 0 or "geometry" not in gemeinden:
        return out
    tree = shapely.STRtree(np.asarray(gemeinden.geometry.values))
    src, hit = tree.query(np.asarray(selection.geometry.values), predicate="intersects")
    src_u, first = np.unique(src, return_index=True)  # on a shared border: first match
    out[src_u] = hit[first]
    return out


# ---------------------------------------------------------------------------
# Measures (pure NumPy / scipy.sparse)
# ---------------------------------------------------------------------------
def step_bounds(threshold: float, n_steps: int | None = None) -> np.ndarray:
    """Upper zone limits of the stepped decay: ``T/k, 2T/k, …, T``."""
    k = len(settings.E2SFCA_STEP_WEIGHTS) if n_steps is None else int(n_steps)
    return float(threshold) * np.arange(1, k + 1) / k


def decay_weights(minutes: np.ndarray, threshold: float, decay: str | None) -> np.ndarray:
    """E2SFCA weight of each travel time (0 beyond the threshold).

    ``"step"``: ``settings.E2SFCA_STEP_WEIGHTS`` over zones of equal width,
    each closed at its upper end (t ≤ T/3 → 1.00, T/3 < t ≤ 2T/3 → 0.68, …);
    ``"gaussian"``: ``(exp(-½(t/T)²) − exp(-½)) / (1 − exp(-½))``; None: 1.
    """
    t = np.asarray(minutes, dtype=float)
    T = float(threshold)
    if decay is None:
        w = np.ones_like(t)
    elif decay == "step":
        steps = np.append(np.asarray(settings.E2SFCA_STEP_WEIGHTS, dtype=float), 0.0)
        w = steps[np.searchsorted(step_bounds(T), t, side="left")]
    elif decay == "gaussian":
        e = math.exp(-0.5)
        w = np.clip((np.exp(-0.5 * (t / T) ** 2) - e) / (1.0 - e), 0.0, 1.0)
    else:
        raise InputError(f"Unbekannte Distanzgewichtung „{decay}“.")
    return np.where(t <= T, w, 0.0)


def floating_catchment(
    catchment: sp.spmatrix,
    demand: np.ndarray,
    capacity: np.ndarray,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two-step floating catchment (2SFCA; E2SFCA with ``weights``).

    Parameters
    ----------
    catchment : sparse (cells × services)
        An entry exists iff the service is within the threshold of the cell.
    demand : array (cells,)
        Target-group people per cell.
    capacity : array (services,)
    weights : array (nnz,), optional
        Decay weight of each stored entry, in ``catchment``'s CSR order.

    Returns
    -------
    access : array (cells,)
        ``A_i = Σ_j w_ij R_j`` (capacity per person).
    ratio : array (services,)
        ``R_j = S_j / Σ_i w_ij D_i``; 0 where no demand lies in the catchment
        (below ``MIN_DEMAND``).
    catchment_demand : array (services,)
        ``Σ_i w_ij D_i``.
    """
    cm = sp.csr_matrix(catchment)
    w = np.ones(cm.nnz) if weights is None else np.asarray(weights, dtype=float)
    W = sp.csr_matrix((w, cm.indices, cm.indptr), shape=cm.shape)
    dj = np.asarray(W.T @ np.asarray(demand, dtype=float)).ravel()
    ratio = np.zeros(cm.shape[1])
    np.divide(np.asarray(capacity, dtype=float), dj, out=ratio, where=dj > MIN_DEMAND)
    access = np.asarray(W @ ratio).ravel()
    return access, ratio, dj


def gap_score(
    minutes: np.ndarray,
    people: np.ndarray,
    threshold: float,
    cap_factor: float = settings.GAP_CAP_FACTOR,
) -> np.ndarray:
    """People-minutes beyond the threshold per cell.

    ``gap_i = D_i × max(0, min(t_i, c·T) − T)``; unreachable cells (``t = inf``)
    count with the cap ``c·T``.
    """
    T = float(threshold)
    t = np.minimum(np.asarray(minutes, dtype=float), cap_factor * T)
    t = np.where(np.isnan(t), cap_factor * T, t)
    return np.asarray(people, dtype=float) * np.maximum(0.0, t - T)


def weighted_quantiles(
    values: np.ndarray,
    weights: np.ndarray,
    q: Iterable[float] = QUANTILES,
    groups: np.ndarray | None = None,
    n_groups: int | None = None,
    order: np.ndarray | None = None,
) -> np.ndarray:
    """Weighted quantiles per group (inverted CDF).

    The q-quantile of a group is the smallest value such that the cells with a
    value up to it hold at least the share q of the group's weight. Cells with
    zero weight or group < 0 are ignored; ``inf`` values take part.

    Parameters
    ----------
    values, weights : arrays (n,)
    q : float or iterable of float
        Quantiles in [0, 1].
    groups : int array (n,), optional
        Group of each value (0 … n_groups-1); default: one group.
    n_groups : int, optional
    order : int array (n,), optional
        ``np.argsort(values, kind="stable")`` if already at hand (saves the sort).

    Returns
    -------
    array (n_groups, len(q))
        NaN for groups without weight.
    """
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    g = np.zeros(v.size, dtype=np.int64) if groups is None else np.asarray(groups, dtype=np.int64)
    n = (int(g.max()) + 1 if g.size else 1) if n_groups is None else int(n_groups)
    qs = np.atleast_1d(np.asarray(list(q) if not np.isscalar(q) else [q], dtype=float))
    out = np.full((n, qs.size), np.nan)
    keep = (w > 0) & ~np.isnan(v) & (g >= 0) & (g < n)
    if order is None:
        order = np.argsort(v, kind="stable")
    order = order[keep[order]]
    if order.size == 0:
        return out
    if n > 1:  # stable sort by group keeps the value order inside each group
        key = g[order].astype(np.int16 if n < 2**15 else np.int64)
        order = order[np.argsort(key, kind="stable")]
    v, w, g = v[order], w[order], g[order]
    cum = np.cumsum(w)
    ids = np.arange(n)
    first = np.searchsorted(g, ids, side="left")
    last = np.searchsorted(g, ids, side="right") - 1
    has = last >= first
    base = np.where(first > 0, cum[np.maximum(first - 1, 0)], 0.0)
    total = np.where(has, cum[np.maximum(last, 0)] - base, 0.0)
    for k, qk in enumerate(qs):
        target = base + qk * total - 1e-9 * total  # tolerance for rounding of the running sum
        idx = np.clip(np.searchsorted(cum, target, side="left"), first, np.maximum(last, first))
        out[has, k] = v[idx[has]]
    return out


@dataclass
class CellMeasures:
    """Per-cell measures (arrays aligned with the cells) and per-service ratios."""

    minutes: np.ndarray
    within: np.ndarray
    count: np.ndarray
    access_2sfca: np.ndarray  # capacity per person
    access_e2sfca: np.ndarray
    gap: np.ndarray
    ratio_2sfca: np.ndarray  # per service: capacity per person in its catchment
    ratio_e2sfca: np.ndarray
    demand_2sfca: np.ndarray  # per service: people in its catchment
    demand_e2sfca: np.ndarray


def cell_measures(
    minutes: np.ndarray,
    catchment: sp.spmatrix,
    demand: np.ndarray,
    capacity: np.ndarray,
    threshold: float,
    decay: str | None = settings.DEFAULT_DECAY,
    cap_factor: float = settings.GAP_CAP_FACTOR,
) -> CellMeasures:
    """All per-cell measures from a nearest-time field and one catchment matrix.

    Parameters
    ----------
    minutes : array (cells,)
        Minutes to the nearest service (``inf`` = none reachable).
    catchment : sparse (cells × services)
        Minutes for every pair within ``threshold`` (``traveltime.catchment_matrix``).
    demand : array (cells,)
        Target-group people per cell.
    capacity : array (services,)
    threshold : float
        Minutes.
    decay : {"step", "gaussian", None}
        E2SFCA decay.
    cap_factor : float
        Gap score cap as a multiple of the threshold.
    """
    minutes = np.asarray(minutes, dtype=float)
    cm = sp.csr_matrix(catchment)
    a2, r2, d2 = floating_catchment(cm, demand, capacity)
    ae, re, de = floating_catchment(cm, demand, capacity, decay_weights(cm.data, threshold, decay))
    return CellMeasures(
        minutes=minutes,
        within=minutes <= float(threshold),
        count=np.diff(cm.indptr).astype(np.int64),
        access_2sfca=a2,
        access_e2sfca=ae,
        gap=gap_score(minutes, demand, threshold, cap_factor),
        ratio_2sfca=r2,
        ratio_e2sfca=re,
        demand_2sfca=d2,
        demand_e2sfca=de,
    )


def group_summaries(
    groups: np.ndarray,
    n: int,
    people: np.ndarray,
    cells: Any,
    catchment: sp.csr_matrix,
    service_group: np.ndarray,
    order: np.ndarray | None = None,
    access_scale: float | None = None,
) -> pd.DataFrame:
    """Per-group figures (one row per group 0…n-1), see ``SUMMARY_COLUMNS``.

    Used per Gemeinde, for the region and per planning region (``geo.planning``).
    ``cells`` has the per-cell arrays ``minutes``, ``within``, ``count``,
    ``access_2sfca``, ``access_e2sfca`` and ``gap`` (a :class:`CellMeasures`);
    the access means are multiplied by ``access_scale`` (default
    ``settings.ACCESS_PER_PEOPLE``; 1 for access already given per
    ``ACCESS_PER_PEOPLE``, as in ``AnalysisResult.cells``).
    ``groups`` < 0 marks cells outside every group; ``service_group`` is the
    group of each service (-1: none); ``order`` is the stable argsort of the
    minutes (shared between calls).
    """
    if access_scale is None:
        access_scale = settings.ACCESS_PER_PEOPLE
    ok = groups >= 0
    all_ok = bool(ok.all())
    g = groups if all_ok else groups[ok]

    def total(values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        return np.bincount(g, weights=values if all_ok else values[ok], minlength=n)

    def per(num: np.ndarray, den: np.ndarray, scale: float = 1.0) -> np.ndarray:
        out = np.full(n, np.nan)
        np.divide(num * scale, den, out=out, where=den > 0)
        return out

    minutes = cells.minutes
    reach = np.isfinite(minutes)
    tot = total(people)
    p_reach = total(people * reach)
    p_within = total(people * cells.within)
    p_beyond = total(people * ~cells.within)
    q = weighted_quantiles(minutes, people, QUANTILES, groups, n, order)
    # distinct services within the threshold of at least one cell with target-group people
    has_people = ok & (people > 0)
    rows = groups[has_people]
    ind = sp.csr_matrix(
        (np.ones(rows.size), (rows, np.flatnonzero(has_people))), shape=(n, people.size)
    )
    pattern = sp.csr_matrix(
        (np.ones(catchment.nnz), catchment.indices, catchment.indptr), shape=catchment.shape
    )
    reachable = (ind @ pattern).getnnz(axis=1)
    in_gemeinde = np.bincount(service_group[service_group >= 0], minlength=n)[:n]
    gap = total(cells.gap)
    return pd.DataFrame(
        {
            "people": tot,
            "minutes_mean": per(total(people * np.where(reach, minutes, 0.0)), p_reach),
            "minutes_median": q[:, 0],
            "minutes_p90": q[:, 1],
            "people_within": p_within,
            "share_within": np.clip(per(p_within, tot), 0.0, 1.0),
            "people_beyond": p_beyond,
            "share_beyond": np.clip(per(p_beyond, tot), 0.0, 1.0),
            "people_unreachable": total(people * ~reach),
            "services_in_gemeinde": in_gemeinde.astype(np.int64),
            "services_reachable": np.asarray(reachable, dtype=np.int64),
            "services_within_mean": per(total(people * cells.count), tot),
            "2sfca_mean": per(total(people * cells.access_2sfca), tot, access_scale),
            "e2sfca_mean": per(total(people * cells.access_e2sfca), tot, access_scale),
            "gap": gap,
            "gap_per_1000": per(gap, tot, 1000.0),
        }
    )


# ---------------------------------------------------------------------------
# Analysis
# ---------------------------------------------------------------------------
@dataclass(eq=False)
class AnalysisResult:
    """Measures per cell, per Gemeinde and for the region, with their metadata.

    Attributes
    ----------
    params : AnalysisParams
    cells : DataFrame
        Aligned with ``region.cells`` (same index): ``CELL_COLUMNS``. ``people``
        is the target group, ``minutes`` is ``inf`` where no service is
        reachable, ``service_id`` the nearest service, ``2sfca``/``e2sfca`` are
        capacity per 1,000 people of the target group, ``gap`` people-minutes.
    gemeinden : DataFrame
        One row per ``region.gemeinden`` row (same order): ``GEMEINDE_COLUMNS``.
    totals : dict
        The same figures for the whole region, plus ``cells``, ``services``,
        ``services_in_region`` and ``worst_gemeinden``.
    services : GeoDataFrame
        The selected services with ``capacity_used``, ``capacity_known``,
        ``ags`` (Gemeinde of the location, None outside), ``demand_2sfca``,
        ``ratio_2sfca`` (capacity per 1,000 people in the catchment) and the
        E2SFCA equivalents.
    model : dict
        The travel-time model as data (``geo.traveltime.model_info``).
    metadata : dict
        Parameters, model, notes and sources as codes and numbers (JSON-serialisable).
    catchment : scipy.sparse.csr_matrix
        Cells × services minutes within the threshold (for scenarios).
    """

    params: AnalysisParams
    cells: pd.DataFrame
    gemeinden: pd.DataFrame
    totals: dict
    services: gpd.GeoDataFrame
    model: dict
    metadata: dict
    catchment: sp.csr_matrix = field(repr=False)

    def values(self, measure: str | None = None) -> pd.Series:
        """Per-cell values of a measure (default: ``params.measure``)."""
        code = measure or self.params.measure
        if code not in settings.MEASURES:
            raise InputError(f"Unbekanntes Maß „{code}“ (möglich: {', '.join(settings.MEASURES)}).")
        return self.cells[code]


def _metadata(
    region: Any,
    params: AnalysisParams,
    selection: gpd.GeoDataFrame,
    n_unknown: int,
    n_unlocated: int,
    field_: traveltime.TravelField,
    n_outside: int,
) -> dict:
    # Notes as codes with their numbers; present.describe.note_text puts them in words.
    notes: list[dict[str, Any]] = []
    if n_unknown:
        notes.append(
            {"code": "capacity_unknown", "n": n_unknown, "capacity": settings.DEFAULT_CAPACITY}
        )
    if n_unlocated:
        notes.append({"code": "unlocated", "n": n_unlocated})
    if n_outside:
        notes.append({"code": "outside", "n": n_outside, "km": settings.REGION_BUFFER_M / 1000})
    if len(selection) == 0:
        notes.append({"code": "no_services"})
    coverage = field_.coverage()
    if coverage:
        notes.append(coverage)
    meta = getattr(region, "meta", None) or {}
    return {
        "region": getattr(region, "name", None),
        "region_label": getattr(region, "label", None),
        "content_hash": meta.get("content_hash"),
        "params": params.to_dict(),
        "threshold_min": params.threshold_min,
        "model": field_.model,
        "model_kind": field_.model_kind,
        "model_info": field_.info,
        "services_used": int(len(selection)),
        "service_ids": [str(v) for v in selection.get("id", pd.Series(dtype=str))],
        "capacity_unknown": n_unknown,
        "gap_cap_min": params.cap_minutes,
        "access_per_people": settings.ACCESS_PER_PEOPLE,
        "notes": notes,
        "sources": list(meta.get("sources", [])),
        "demand": dict(meta.get("demand") or {}),
    }


def _nearest_ids(selection: pd.DataFrame, nearest: np.ndarray) -> pd.Categorical:
    """Id of each cell's nearest service as a categorical (NaN where none)."""
    ids = (
        selection["id"].astype(str)
        if "id" in selection.columns
        else pd.Series([str(i) for i in selection.index], dtype=str)
    )
    codes = np.asarray(nearest, dtype=np.int64)
    if ids.is_unique:
        return pd.Categorical.from_codes(np.where(codes >= 0, codes, -1), categories=ids.array)
    values = ids.to_numpy(dtype=object)
    return pd.Categorical(
        np.where(codes >= 0, values[np.clip(codes, 0, None)], None)
        if len(values)
        else np.full(codes.size, None)
    )


def gap_ranking(gemeinden: pd.DataFrame) -> pd.DataFrame:
    """Gemeinden with a gap, largest first: the one ranking of app, report and CLI.

    Order: gap score per 1,000 of the target group (``gap_per_1000``, descending); ties
    (many Gemeinden reach the cap, e.g. 30,000 when everybody is beyond a 15-minute
    threshold) by the longer mean travel time (``minutes_mean``; none reachable first),
    then the larger absolute gap, then the AGS.

    Parameters
    ----------
    gemeinden : DataFrame
        ``ags``, ``gap``, ``gap_per_1000``, ``minutes_mean`` (``result.gemeinden``).

    Returns
    -------
    DataFrame
        The rows with ``gap > 0`` in ranking order.
    """
    g = gemeinden.loc[gemeinden["gap"] > 0].copy()
    mean = g["minutes_mean"].astype(float).fillna(np.inf)
    order = np.lexsort(
        (
            g["ags"].astype(str).to_numpy(),
            -g["gap"].to_numpy(dtype=float),
            -mean.to_numpy(),
            -g["gap_per_1000"].to_numpy(dtype=float),
        )
    )
    return g.iloc[order]


def travel_times(
    region: Any, params: AnalysisParams, networks: Mapping[str, Any] | None = None
) -> tuple[traveltime.TravelField, sp.csr_matrix]:
    """Nearest-service field and catchment (cells × services within the threshold).

    All of an analysis that does not depend on the target group: pass it to
    :func:`analyze` (``travel``) to analyse several target groups with one routing.
    """
    selection = service_selection(region.services, params.kinds)
    cells_xy = region.cells[["x", "y"]].to_numpy(dtype=float)
    services_xy = points_xy(selection)
    net = (networks or {}).get(params.mode)
    field_ = traveltime.nearest_field(cells_xy, services_xy, params.mode, net)
    catchment = traveltime.catchment_matrix(
        cells_xy, services_xy, params.mode, params.threshold_min, net
    ).tocsr()
    return field_, catchment


def analyze(
    region: Any,
    params: AnalysisParams,
    networks: Mapping[str, Any] | None = None,
    need_weights: Mapping[str, float] | None = None,
    travel: tuple[traveltime.TravelField, sp.csr_matrix] | None = None,
) -> AnalysisResult:
    """Compute all accessibility measures for one parameter set.

    Parameters
    ----------
    region : Region
        Needs ``cells`` (x, y, ags, target-group columns), ``gemeinden`` (ags,
        name, geometry), ``services`` and, for tracing, ``name``/``label``/``meta``.
    params : AnalysisParams
    networks : mapping of mode → Network, optional
        E.g. ``region.networks()``. Without a network for ``params.mode`` the
        straight-line × detour fallback is used (stated in ``result.model``).
    need_weights : mapping of AGS → weight, optional
        Need weights per Gemeinde (``geo.indicators.need_weights``, e.g. the
        SGB II quota relative to the region mean). The gap score of each cell
        is multiplied by its Gemeinde's weight; Gemeinden without a weight
        count with 1. All other measures are unweighted.
    travel : (TravelField, csr_matrix), optional
        :func:`travel_times` of the same region, categories, mode and threshold (it
        does not depend on the target group); computed when not given.

    Returns
    -------
    AnalysisResult
    """
    if not isinstance(params, AnalysisParams):
        raise TypeError("params must be an AnalysisParams")
    cells = region.cells
    group = settings.TARGET_GROUPS[params.target]
    if params.target not in cells.columns:
        raise InputError(f"Die Zielgruppe „{group.label_de}“ fehlt in den Zellen der Region.")
    people = np.clip(np.nan_to_num(cells[params.target].to_numpy(dtype=float)), 0.0, None)
    selection = service_selection(region.services, params.kinds)
    active = _active_mask(region.services)
    kind_mask = _kind_mask(region.services, params.kinds) & active
    located = _located_mask(region.services)
    T = params.threshold_min
    net = (networks or {}).get(params.mode)
    field_, catchment = travel if travel is not None else travel_times(region, params, networks)
    capacity, n_unknown = service_capacity(selection)
    m = cell_measures(
        field_.minutes, catchment, people, capacity, T, params.decay, params.gap_cap_factor
    )
    if need_weights is not None:
        m.gap = m.gap * indicators.cell_weights(cells["ags"].astype(str).to_numpy(), need_weights)

    gem = region.gemeinden
    codes = pd.Index(gem["ags"].astype(str)).get_indexer(cells["ags"].astype(str))
    codes = np.asarray(codes, dtype=np.int64)
    svc_gem = _service_gemeinde(selection, gem)
    order = np.argsort(m.minutes, kind="stable")
    per_gem = group_summaries(codes, len(gem), people, m, catchment, svc_gem, order)
    per_gem.insert(0, "name", gem["name"].astype(str).to_numpy())
    per_gem.insert(0, "ags", gem["ags"].astype(str).to_numpy())
    per_gem.index = gem.index

    region_row = group_summaries(
        np.zeros(len(cells), np.int64),
        1,
        people,
        m,
        catchment,
        np.where(svc_gem >= 0, 0, -1),
        order,
    )
    totals = {k: json_value(v) for k, v in region_row.to_dict("records")[0].items()}
    totals["services_in_region"] = totals.pop("services_in_gemeinde")
    totals["cells"] = int(len(cells))
    totals["services"] = int(len(selection))
    worst = gap_ranking(per_gem)
    totals["worst_gemeinden"] = [
        {
            k: json_value(r[k])
            for k in (
                "ags",
                "name",
                "people",
                "gap",
                "gap_per_1000",
                "minutes_mean",
                "share_beyond",
            )
        }
        for _, r in worst.head(settings.WORST_GEMEINDEN_N).iterrows()
    ]

    per = settings.ACCESS_PER_PEOPLE
    out_cells = pd.DataFrame(
        {
            "x": cells["x"].to_numpy(),
            "y": cells["y"].to_numpy(),
            "ags": cells["ags"].astype(str).array,
            "people": people,
            "minutes": m.minutes,
            "service_id": _nearest_ids(selection, field_.nearest),
            "within": m.within,
            "count": m.count,
            "2sfca": m.access_2sfca * per,
            "e2sfca": m.access_e2sfca * per,
            "gap": m.gap,
            "off_network": np.asarray(field_.off_network, dtype=bool),
        },
        index=cells.index,
    )

    keep = [
        c
        for c in ("id", "name", "category", "subcategory", "provider", "town")
        if c in selection.columns
    ]
    # The geometry array carries the CRS (passing ``crs=`` again compares two CRS objects,
    # ~30 ms when one is fresh from a cache copy).
    svc = gpd.GeoDataFrame(selection[keep].copy(), geometry=selection.geometry.values)
    gem_ags = gem["ags"].astype(str).to_numpy(dtype=object)
    svc["ags"] = pd.array(
        np.where(svc_gem >= 0, gem_ags[np.clip(svc_gem, 0, None)] if len(gem) else None, None),
        dtype="str",
    )
    svc["capacity_used"] = capacity
    svc["capacity_known"] = _capacity_known(selection)
    svc["demand_2sfca"] = m.demand_2sfca
    svc["ratio_2sfca"] = m.ratio_2sfca * per
    svc["demand_e2sfca"] = m.demand_e2sfca
    svc["ratio_e2sfca"] = m.ratio_e2sfca * per
    n_unlocated = int((kind_mask & ~located).sum())
    metadata = _metadata(
        region, params, selection, n_unknown, n_unlocated, field_, int((svc_gem < 0).sum())
    )
    metadata["network_source"] = getattr(net, "source", None) if net is not None else None
    n_inactive = int((_kind_mask(region.services, params.kinds) & ~active).sum())
    if n_inactive:
        metadata["notes"].append({"code": "inactive", "n": n_inactive})
    if need_weights is not None:
        info = need_weights.info() if hasattr(need_weights, "info") else {}
        metadata["need_weighting"] = {
            **info,
            "weights": {str(k): float(v) for k, v in need_weights.items()},
        }
        metadata["notes"].append({"code": "need_weighted", **info})
    return AnalysisResult(
        params=params,
        cells=out_cells,
        gemeinden=per_gem,
        totals=totals,
        services=svc,
        model=field_.model,
        metadata=metadata,
        catchment=catchment,
    )


# ---------------------------------------------------------------------------
# Tables and exports
# ---------------------------------------------------------------------------
def json_value(value: Any) -> Any:
    """Plain Python value for JSON: NaN/inf/NA → None, NumPy scalars → int/float."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def _int_or_none(value: float | None) -> int | None:
    return None if value is None or not math.isfinite(value) else int(math.floor(value + 0.5))


def _round_half_up(values: np.ndarray) -> np.ndarray:
    return np.floor(np.asarray(values, dtype=float) + 0.5)


def suppress_small(
    df: pd.DataFrame, columns: Iterable[str], limit: int = settings.SMALL_COUNT_LIMIT
) -> pd.DataFrame:
    """Round counts to whole numbers and show 1 … limit-1 as ``"<limit"``.

    0 stays 0 (nobody there is no disclosure risk); counts ≥ ``limit`` and
    missing values stay as they are. Returns a copy; the columns become object
    columns of int / ``"<3"`` / None.
    """
    out = df.copy()
    label = f"<{limit}"
    for col in columns:
        raw = pd.to_numeric(out[col], errors="coerce").to_numpy(dtype=float)
        r = _round_half_up(raw)
        vals = np.array([None if np.isnan(v) else int(v) for v in r], dtype=object)
        vals[(r > 0) & (r < limit)] = label
        out[col] = pd.Series(vals, index=out.index, dtype=object)
    return out


def rounded_table(df: pd.DataFrame) -> pd.DataFrame:
    """Planner-facing rounding of Gemeinde figures (shares in percent)."""
    out = df.copy()
    for col in ("minutes_mean", "minutes_median", "minutes_p90"):
        v = out[col].to_numpy(dtype=float)
        out[col] = np.round(np.where(np.isfinite(v), v, np.nan), 1)
    for col in ("share_within", "share_beyond"):
        out[col] = np.round(out[col].to_numpy(dtype=float) * 100.0, 1)
    out["services_within_mean"] = np.round(out["services_within_mean"].to_numpy(dtype=float), 2)
    for col in ("2sfca_mean", "e2sfca_mean"):
        out[col] = np.round(out[col].to_numpy(dtype=float), 3)
    for col in (
        *COUNT_COLUMNS,
        "gap",
        "gap_per_1000",
        "services_in_gemeinde",
        "services_reachable",
    ):
        out[col] = pd.array(_round_half_up(out[col].to_numpy(dtype=float)), dtype="Int64")
    return out


def _with_total(result: AnalysisResult) -> pd.DataFrame:
    row = {k: result.totals.get(k) for k in SUMMARY_COLUMNS}
    row["services_in_gemeinde"] = result.totals.get("services_in_region")
    row = {k: (np.nan if v is None else v) for k, v in row.items()}
    total = pd.DataFrame([{"ags": "", "name": "", **row}])
    return pd.concat([result.gemeinden[list(GEMEINDE_COLUMNS)], total], ignore_index=True)


def gemeinde_table(
    result: AnalysisResult, suppress: bool = True, total_row: bool = True
) -> pd.DataFrame:
    """Table per Gemeinde for planners: the columns of ``GEMEINDE_COLUMNS``, rounded.

    Counts of the target group are whole numbers; with ``suppress`` those of
    1 or 2 are shown as ``"<3"`` (see :func:`suppress_small`). Shares are in
    percent. Travel times are empty where no service is reachable. The total
    row (``total_row``) has an empty AGS and name. ``attrs`` holds the
    parameters, the model, the notes, the sources and whether small counts
    were suppressed; labels and words are ``present.tables``.
    """
    df = _with_total(result) if total_row else result.gemeinden[list(GEMEINDE_COLUMNS)].copy()
    df = rounded_table(df.reset_index(drop=True))
    if suppress:
        df = suppress_small(df, COUNT_COLUMNS)
    meta = result.metadata
    df.attrs.update(
        model=result.model,
        params=result.params.to_dict(),
        notes=list(meta["notes"]),
        sources=list(meta["sources"]),
        suppressed=suppress,
        total_row=total_row,
    )
    return df


def _records(df: pd.DataFrame) -> list[dict]:
    return [{k: json_value(v) for k, v in row.items()} for row in df.to_dict("records")]


def cli_payload(
    region: Any,
    params: AnalysisParams,
    networks: Mapping[str, Any] | None = None,
    need_weights: Mapping[str, float] | None = None,
) -> dict:
    """JSON-serialisable result for ``nahraum analyze --json`` (suppression applied).

    Uses the region's stored road network for ``params.mode`` when there is
    one (``networks`` overrides), else the straight-line fallback.

    Returns
    -------
    dict
        ``region``, ``label``, ``params``, ``model``, ``totals`` (rounded, small
        counts as "<3", with ``worst_gemeinden``), ``gemeinden`` (one record per
        Gemeinde, English keys, shares in percent) and ``metadata``.
    """
    if networks is None:
        networks = region.networks([params.mode]) if hasattr(region, "networks") else {}
    result = analyze(region, params, networks, need_weights)
    table = suppress_small(rounded_table(_with_total(result)), COUNT_COLUMNS)
    rows = _records(table)
    total = rows.pop()
    total = {k: v for k, v in total.items() if k not in ("ags", "name")}
    total["services_in_region"] = total.pop("services_in_gemeinde")
    total["cells"] = result.totals["cells"]
    total["services"] = result.totals["services"]
    worst = []
    for w in result.totals["worst_gemeinden"]:
        people = suppress_small(pd.DataFrame({"people": [w["people"]]}), ["people"])["people"][0]
        worst.append(
            {
                "ags": w["ags"],
                "name": w["name"],
                "people": people,
                "gap": _int_or_none(w["gap"]),
                "gap_per_1000": _int_or_none(w["gap_per_1000"]),
                "minutes_mean": None
                if w.get("minutes_mean") is None
                else round(w["minutes_mean"], 1),
                "share_beyond": None
                if w["share_beyond"] is None
                else round(w["share_beyond"] * 100.0, 1),
            }
        )
    total["worst_gemeinden"] = worst
    return {
        "region": getattr(region, "name", None),
        "label": getattr(region, "label", None),
        "params": params.to_dict(),
        "model": result.model,
        "totals": total,
        "gemeinden": rows,
        "metadata": result.metadata,
    }


__all__ = [
    "AnalysisParams",
    "AnalysisResult",
    "analyze",
    "service_selection",
    "service_capacity",
    "parse_kinds",
    "cell_measures",
    "CellMeasures",
    "floating_catchment",
    "decay_weights",
    "step_bounds",
    "gap_score",
    "weighted_quantiles",
    "suppress_small",
    "gemeinde_table",
    "cli_payload",
]
