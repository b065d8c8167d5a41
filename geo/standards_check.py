"""The check of the Bestand against planning standards, per Gemeinde, Kreis and planning region.

:func:`check` evaluates every rule of a :class:`geo.standards.Standards` on a region
(optionally after a scenario, and on a region whose cells carry a target year from
:func:`geo.demand.for_region`) and returns one row per rule and unit with a status code
and the numbers that explain it; :func:`by_planning` adds one row per planning region.
The words (the reason sentence) are made in the presentation layer from these numbers.

Status codes (:data:`STATUSES`):

- ``"fehlt"`` – existing < required;
- ``"erfuellt"`` – required ≤ existing < required + one Soll unit;
- ``"ueber_richtwert"`` – existing ≥ required + one Soll unit (a second facility where one
  is required; one full post more than the ratio asks); never for travel-time rules;
- ``"keine_angabe"`` – the known values fall short, but some matching services have no
  staffing/capacity figure: the check cannot decide (figures are never invented).

Rule kinds (``docs/standards.md``): ``einrichtung`` counts the matching services located in
the Gemeinde (a Gemeinde is in the size class when von < people ≤ bis, people rounded to
whole persons); ``verhaeltnis`` compares people ÷ „je Personen“ × Soll with the sum of
staffing (VZÄ, from a staffing column of the service list), capacity (Plätze) or the number
of services – in the Gemeinde, the Kreis, or the catchment (2SFCA: each cell's people get
their share of the capacity of every service within the minutes; the Gemeinde's existing
value is the sum over its cells); ``wegezeit`` compares the share of the target group within
the minutes of the nearest matching service with Soll percent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from . import _tables, analysis, geocode, settings, traveltime
from ._errors import InputError
from .standards import Rule, Standards

STATUSES: tuple[str, ...] = tuple(settings.STANDARD_STATUSES)
LEVELS: tuple[str, ...] = ("gemeinde", "kreis", "planungsraum")
#: Columns of :attr:`CheckResult.rows`.
ROW_COLUMNS: tuple[str, ...] = (
    "level",
    "key",
    "name",
    "rule",
    "kind",
    "status",
    "required",
    "existing",
    "unit",
    "target",
    "people",
    "size",
    "size_from",
    "size_to",
    "per_people",
    "soll",
    "basis",
    "mode",
    "max_minutes",
    "people_within",
    "share_within",
    "n_services",
    "n_unknown",
    "service_ids",
    "unknown_ids",
    "n_gemeinden",
    "n_fehlt",
    "source",
)
_EPS = 1e-9


@dataclass
class CheckResult:
    """Rows of the check (one per rule and unit) and how they were made.

    Attributes
    ----------
    rows : DataFrame
        Columns :data:`ROW_COLUMNS`: ``level`` (gemeinde, kreis, planungsraum), ``key``
        (AGS, Kreisschlüssel or planning region name), ``name``, the rule's fields,
        ``status``, ``required`` and ``existing`` (in ``unit``; NaN existing = no
        figure at all), ``people`` (target group), ``size`` (people for the size
        class), travel-time figures, ``n_services`` / ``n_unknown`` (matching services
        counted, of them without a figure) and their ids.
    standards : Standards
    meta : dict
        Region, scenario name, target-year labels, travel-time model per mode, sources.
    """

    rows: pd.DataFrame
    standards: Standards
    meta: dict = field(default_factory=dict)

    def for_unit(self, key: str) -> pd.DataFrame:
        """Rows of one Gemeinde (AGS) with those of its Kreis, or of one planning region."""
        r = self.rows
        kreis = str(key)[:5] if str(key).isdigit() else None
        mask = (r["key"] == str(key)) | ((r["level"] == "kreis") & (r["key"] == kreis))
        return r.loc[mask]

    def counts(self) -> dict[str, int]:
        """Number of rows per status."""
        vc = self.rows["status"].value_counts()
        return {s: int(vc.get(s, 0)) for s in STATUSES}

    def records(self) -> list[dict]:
        """Rows as JSON-serialisable dicts."""
        out = []
        for rec in self.rows.to_dict("records"):
            out.append(
                {
                    k: (list(v) if isinstance(v, tuple) else analysis.json_value(v))
                    for k, v in rec.items()
                }
            )
        return out

    def to_dict(self) -> dict:
        """JSON payload of ``nahraum standards --json``."""
        return {
            "meta": self.meta,
            "standards": self.standards.to_dict(),
            "counts": self.counts(),
            "rows": self.records(),
        }


# ---------------------------------------------------------------------------
# Status
# ---------------------------------------------------------------------------
def status_of(
    required: np.ndarray, existing: np.ndarray, step: float, n_unknown: np.ndarray
) -> np.ndarray:
    """Status code per unit from required, existing (known part), Soll step and unknowns.

    Parameters
    ----------
    required, existing : arrays
        Required and existing amount (same unit); existing counts known figures only.
    step : float
        Surplus from which a unit is „über Richtwert“ (``inf``: never).
    n_unknown : array
        Matching services without a figure.

    Returns
    -------
    array of str
    """
    req = np.asarray(required, float)
    have = np.nan_to_num(np.asarray(existing, float))
    unknown = np.asarray(n_unknown) > 0
    short = have < req - _EPS
    out = np.where(have >= req + step - _EPS, "ueber_richtwert", "erfuellt").astype(object)
    out[short] = "fehlt"
    out[short & unknown] = "keine_angabe"
    return out


def _row_status(row: dict, rule: Rule) -> str:
    return str(
        status_of(
            np.array([row["required"]]),
            np.array([row["existing"]]),
            rule.step,
            np.array([row["n_unknown"]]),
        )[0]
    )


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------
@dataclass
class _Context:
    """What every rule needs: Gemeinden, cells, located services and their Gemeinde."""

    gem_ags: np.ndarray
    gem_name: np.ndarray
    cell_gem: np.ndarray  # index into gem_ags per cell (-1 outside)
    cells: pd.DataFrame
    services: gpd.GeoDataFrame  # located services (after a scenario)
    svc_gem: np.ndarray  # index into gem_ags per service (-1 outside the region)
    networks: Mapping[str, Any]
    kreis_names: dict[str, str] = field(default_factory=dict)
    models: dict[str, dict] = field(default_factory=dict)

    @property
    def n_gem(self) -> int:
        return len(self.gem_ags)

    def people(self, target: str) -> np.ndarray:
        """People of the target group per cell (≥ 0)."""
        if target not in self.cells.columns:
            g = settings.TARGET_GROUPS[target]
            raise InputError(f"Die Zielgruppe „{g.label_de}“ fehlt in den Zellen der Region.")
        return np.clip(np.nan_to_num(self.cells[target].to_numpy(float)), 0.0, None)

    def per_gem(self, values: np.ndarray, index: np.ndarray | None = None) -> np.ndarray:
        """Sum of per-cell (or per-service with ``index``) values per Gemeinde."""
        idx = self.cell_gem if index is None else index
        ok = idx >= 0
        return np.bincount(idx[ok], weights=np.asarray(values, float)[ok], minlength=self.n_gem)

    def xy(self) -> np.ndarray:
        return self.cells[["x", "y"]].to_numpy(float)


def located(services: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Services with a location (geometry present, precision not ``not_found``), new index."""
    geom = services.geometry
    ok = (geom.notna() & ~geom.is_empty).to_numpy(bool, copy=True)
    if "precision" in services.columns:
        ok = ok & (services["precision"].astype(str) != "not_found").to_numpy(bool)
    return services.loc[ok].reset_index(drop=True)


def gemeinde_index(points: gpd.GeoDataFrame, gemeinden: gpd.GeoDataFrame) -> np.ndarray:
    """Index of the Gemeinde containing each point, -1 outside (first match on a border)."""
    out = np.full(len(points), -1, dtype=np.int64)
    if not len(points) or not len(gemeinden):
        return out
    tree = shapely.STRtree(np.asarray(gemeinden.geometry.values))
    src, hit = tree.query(np.asarray(points.geometry.values), predicate="intersects")
    src_u, first = np.unique(src, return_index=True)
    out[src_u] = hit[first]
    return out


def _context(region: Any, services: gpd.GeoDataFrame, networks: Mapping[str, Any]) -> _Context:
    gem = region.gemeinden
    ags = gem["ags"].astype(str).to_numpy()
    cells = region.cells
    cell_gem = np.asarray(pd.Index(ags).get_indexer(cells["ags"].astype(str)), dtype=np.int64)
    svc = located(services)
    kreis_names = (
        {a[:5]: str(n) for a, n in zip(ags, gem["kreis_name"], strict=True)}
        if "kreis_name" in gem.columns
        else {}
    )
    return _Context(
        ags,
        gem["name"].astype(str).to_numpy(),
        cell_gem,
        cells,
        svc,
        gemeinde_index(svc, gem),
        networks,
        kreis_names,
    )


def _folded(services: pd.DataFrame, column: str) -> np.ndarray:
    if column not in services.columns:
        return np.full(len(services), "", dtype=object)
    return np.array(
        [str(v).casefold() if isinstance(v, str) else "" for v in services[column]], dtype=object
    )


def matching(services: pd.DataFrame, rule: Rule) -> np.ndarray:
    """Boolean mask of the services a rule counts (category, then keywords in subcategory/name)."""
    n = len(services)
    mask = np.ones(n, dtype=bool)
    if rule.category:
        mask &= _folded(services, "category") == rule.category.casefold()
    if rule.types:
        text = _folded(services, "subcategory") + " " + _folded(services, "name")
        keys = [t.casefold() for t in rule.types]
        mask &= np.array([any(k in s for k in keys) for s in text], dtype=bool)
    return mask


def staffing_column(services: pd.DataFrame) -> str | None:
    """The column of the service list that gives staffing in VZÄ (None if there is none)."""
    wanted = set(settings.STAFFING_HEADERS)
    return next((c for c in services.columns if _tables.header_key(c) in wanted), None)


def unit_values(services: pd.DataFrame, unit: str) -> np.ndarray:
    """Per-service amount in ``unit``; NaN where the list gives no (valid) figure."""
    n = len(services)
    if unit in ("angebote", "einrichtungen"):
        return np.ones(n)
    column = "capacity" if unit == "plaetze" else staffing_column(services)
    if column is None or column not in services.columns:
        return np.full(n, np.nan)
    out = np.full(n, np.nan)
    for i, v in enumerate(services[column].tolist()):
        try:
            x = geocode.parse_number(v)
        except ValueError:
            continue
        if math.isfinite(x) and x >= 0:
            out[i] = x
    return out


# ---------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------
def _ids(services: pd.DataFrame, mask: np.ndarray) -> tuple[str, ...]:
    col = services["id"] if "id" in services.columns else pd.Series(services.index)
    return tuple(str(v) for v in col.to_numpy()[mask])


def _base_row(rule: Rule) -> dict[str, Any]:
    return {
        "rule": rule.rule,
        "kind": rule.kind,
        "unit": rule.unit,
        "target": rule.target,
        "size_from": rule.size_from,
        "size_to": rule.size_to,
        "per_people": rule.per_people,
        "soll": rule.soll,
        "basis": rule.basis,
        "mode": rule.mode,
        "max_minutes": rule.max_minutes,
        "source": rule.source,
        "size": math.nan,
        "people_within": math.nan,
        "share_within": math.nan,
        "n_gemeinden": 1,
        "n_fehlt": 0,
    }


def _gem_rows(
    ctx: _Context,
    rule: Rule,
    keep: np.ndarray,
    figures: dict[str, np.ndarray],
    members: list[tuple[str, ...]],
    unknown: list[tuple[str, ...]],
) -> list[dict]:
    """One row per kept Gemeinde from per-Gemeinde figure arrays."""
    rows = []
    for g in np.flatnonzero(keep):
        row = {
            **_base_row(rule),
            "level": "gemeinde",
            "key": str(ctx.gem_ags[g]),
            "name": str(ctx.gem_name[g]),
        }
        row.update({k: float(v[g]) for k, v in figures.items()})
        row.update(
            n_services=len(members[g]),
            n_unknown=len(unknown[g]),
            service_ids=members[g],
            unknown_ids=unknown[g],
        )
        row["status"] = _row_status(row, rule)
        row["n_fehlt"] = int(row["status"] == "fehlt")
        rows.append(row)
    return rows


def _members_by(index: np.ndarray, n: int, ids: np.ndarray) -> list[tuple[str, ...]]:
    out: list[list[str]] = [[] for _ in range(n)]
    for i, g in enumerate(index):
        if g >= 0:
            out[g].append(str(ids[i]))
    return [tuple(m) for m in out]


def _applies(ctx: _Context, rule: Rule) -> np.ndarray:
    return np.array([rule.applies_to(a) for a in ctx.gem_ags], dtype=bool)


def _facility_rows(ctx: _Context, rule: Rule) -> list[dict]:
    """``einrichtung``: count of matching services in each Gemeinde of the size class."""
    people = ctx.per_gem(ctx.people(rule.target))
    size = np.floor(people + 0.5)
    keep = _applies(ctx, rule) & (size > rule.size_from) & (size <= rule.size_to)
    mask = matching(ctx.services, rule)
    idx = np.where(mask, ctx.svc_gem, -1)
    existing = np.bincount(idx[idx >= 0], minlength=ctx.n_gem).astype(float)
    members = _members_by(idx, ctx.n_gem, np.array(_ids(ctx.services, np.ones(len(mask), bool))))
    figures = {
        "required": np.full(ctx.n_gem, rule.soll),
        "existing": existing,
        "people": people,
        "size": size,
    }
    return _gem_rows(ctx, rule, keep, figures, members, [()] * ctx.n_gem)


def _amounts(ctx: _Context, rule: Rule) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Matching mask, per-service amount (0 where unknown) and the unknown mask."""
    mask = matching(ctx.services, rule)
    values = unit_values(ctx.services, rule.unit)
    unknown = mask & ~np.isfinite(values)
    return mask, np.where(mask & np.isfinite(values), values, 0.0), unknown


def _in_gemeinde(ctx: _Context, rule: Rule, people: np.ndarray) -> dict[str, Any]:
    mask, amount, unknown = _amounts(ctx, rule)
    idx = np.where(mask, ctx.svc_gem, -1)
    ids = np.array(_ids(ctx.services, np.ones(len(mask), bool)))
    return {
        "existing": ctx.per_gem(amount, idx),
        "members": _members_by(idx, ctx.n_gem, ids),
        "unknown": _members_by(np.where(unknown, idx, -1), ctx.n_gem, ids),
    }


def _in_catchment(ctx: _Context, rule: Rule, demand: np.ndarray) -> dict[str, Any]:
    """2SFCA allocation of the matching services' amounts to the Gemeinden's cells."""
    mask, amount, unknown = _amounts(ctx, rule)
    sel = ctx.services.loc[mask]
    net = ctx.networks.get(rule.mode)
    ctx.models[rule.mode] = traveltime.model_info(rule.mode, net)
    cm = traveltime.catchment_matrix(
        ctx.xy(), analysis.points_xy(sel), rule.mode, rule.max_minutes, net
    ).tocsr()
    access, _, _ = analysis.floating_catchment(cm, demand, amount[mask])
    ok = ctx.cell_gem >= 0
    member = sp.csr_matrix(
        (np.ones(int(ok.sum())), (ctx.cell_gem[ok], np.flatnonzero(ok))),
        shape=(ctx.n_gem, len(demand)),
    )
    reach = (member @ (cm != 0).astype(float)).tocsr()  # Gemeinde × selected services
    reach.sort_indices()
    ids = _ids(sel, np.ones(len(sel), bool))
    unk = unknown[mask]
    cols = [reach.indices[reach.indptr[g] : reach.indptr[g + 1]] for g in range(ctx.n_gem)]
    members = [tuple(ids[j] for j in c) for c in cols]
    unknowns = [tuple(ids[j] for j in c if unk[j]) for c in cols]
    return {"existing": ctx.per_gem(demand * access), "members": members, "unknown": unknowns}


def _ratio_rows(ctx: _Context, rule: Rule) -> list[dict]:
    """``verhaeltnis`` per Gemeinde (in the Gemeinde or its catchment) or per Kreis."""
    demand = ctx.people(rule.target)
    if rule.basis == "kreis":
        return _kreis_rows(ctx, rule, demand)
    people = ctx.per_gem(demand)
    part = (_in_catchment if rule.basis == "einzugsbereich" else _in_gemeinde)(ctx, rule, demand)
    figures = {
        "required": people / rule.per_people * rule.soll,
        "existing": part["existing"],
        "people": people,
    }
    return _gem_rows(ctx, rule, _applies(ctx, rule), figures, part["members"], part["unknown"])


def _kreis_rows(ctx: _Context, rule: Rule, demand: np.ndarray) -> list[dict]:
    mask, amount, unknown = _amounts(ctx, rule)
    kreise = sorted({a[:5] for a in ctx.gem_ags if rule.applies_to(a[:5]) or rule.applies_to(a)})
    gem_kreis = np.array([a[:5] for a in ctx.gem_ags], dtype=object)
    cell_kreis = np.where(ctx.cell_gem >= 0, gem_kreis[np.clip(ctx.cell_gem, 0, None)], "")
    svc_kreis = np.where(ctx.svc_gem >= 0, gem_kreis[np.clip(ctx.svc_gem, 0, None)], "")
    ids = np.array(_ids(ctx.services, np.ones(len(mask), bool)), dtype=object)
    rows = []
    for k in kreise:
        inside = mask & (svc_kreis == k)
        people = float(demand[cell_kreis == k].sum())
        row = {
            **_base_row(rule),
            "level": "kreis",
            "key": k,
            "name": ctx.kreis_names.get(k, k),
            "required": people / rule.per_people * rule.soll,
            "existing": float(amount[inside].sum()),
            "people": people,
            "n_services": int(inside.sum()),
            "n_unknown": int((inside & unknown).sum()),
            "service_ids": tuple(ids[inside]),
            "unknown_ids": tuple(ids[inside & unknown]),
            "n_gemeinden": int((gem_kreis == k).sum()),
        }
        row["status"] = _row_status(row, rule)
        row["n_fehlt"] = int(row["status"] == "fehlt")
        rows.append(row)
    return rows


def _travel_rows(ctx: _Context, rule: Rule) -> list[dict]:
    """``wegezeit``: share of the target group within the minutes of a matching service."""
    demand = ctx.people(rule.target)
    mask = matching(ctx.services, rule)
    sel = ctx.services.loc[mask]
    net = ctx.networks.get(rule.mode)
    ctx.models[rule.mode] = traveltime.model_info(rule.mode, net)
    tf = traveltime.nearest_field(
        ctx.xy(), analysis.points_xy(sel), rule.mode, net, max_minutes=rule.max_minutes
    )
    within = np.asarray(tf.minutes, float) <= rule.max_minutes + _EPS
    people = ctx.per_gem(demand)
    people_within = ctx.per_gem(demand * within)
    share = np.divide(people_within, people, out=np.ones(ctx.n_gem), where=people > 0)
    figures = {
        "required": np.full(ctx.n_gem, rule.soll),
        "existing": share * 100.0,
        "people": people,
        "people_within": people_within,
        "share_within": share,
    }
    ids = np.array(_ids(sel, np.ones(len(sel), bool)))
    near = np.asarray(tf.nearest, dtype=np.int64)
    hit = np.flatnonzero(within & (near >= 0) & (ctx.cell_gem >= 0))
    pairs = pd.DataFrame({"gem": ctx.cell_gem[hit], "id": ids[near[hit]].astype(str)})
    by_gem = pairs.drop_duplicates().groupby("gem")["id"].agg(lambda s: tuple(sorted(s)))
    members = [by_gem.get(g, ()) for g in range(ctx.n_gem)]
    return _gem_rows(ctx, rule, _applies(ctx, rule), figures, members, [()] * ctx.n_gem)


_RULE_ROWS = {"einrichtung": _facility_rows, "verhaeltnis": _ratio_rows, "wegezeit": _travel_rows}


# ---------------------------------------------------------------------------
# Public
# ---------------------------------------------------------------------------
def _frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(ROW_COLUMNS))
    for col in ("n_services", "n_unknown", "n_gemeinden", "n_fehlt"):
        df[col] = df[col].astype("int64")
    return df


def _meta(region: Any, standards: Standards, scenario: Any, ctx: _Context) -> dict:
    meta = getattr(region, "meta", {}) or {}
    demand = meta.get("demand") or {}
    return {
        "region": getattr(region, "name", None),
        "label": getattr(region, "label", None),
        "standards": standards.source,
        "scenario": getattr(scenario, "name", None),
        "year": demand.get("year"),
        "demand": dict(demand),
        "models": dict(ctx.models),
        "sources": list(meta.get("sources", [])),
        "staffing_column": staffing_column(ctx.services),
        "notes": list(standards.notes),
        "services": int(len(ctx.services)),
    }


def check(
    region: Any,
    standards: Standards,
    networks: Mapping[str, Any] | None = None,
    scenario: Any = None,
    services: gpd.GeoDataFrame | None = None,
) -> CheckResult:
    """Check every rule on a region: one row per rule and Gemeinde (or Kreis).

    Parameters
    ----------
    region : Region
        Needs ``gemeinden`` (ags, name, geometry, EPSG:3035; ``kreis_name`` if
        present), ``cells`` (x, y, ags, target groups) and ``services``. For a
        target year pass ``geo.demand.for_region(region, …)``.
    standards : Standards
    networks : mapping mode → Network, optional
        Default: ``region.networks(standards.modes())`` where available, else the
        straight-line fallback (recorded in ``meta["models"]``).
    scenario : Scenario, optional
        Applied to the services first (``geo.scenario.apply``): planned sites count.
    services : GeoDataFrame, optional
        Use this service list instead of ``region.services``.

    Returns
    -------
    CheckResult
    """
    svc = region.services if services is None else services
    if scenario is not None:
        from . import scenario as scenario_mod

        svc = scenario_mod.apply(svc, scenario)
    if networks is None:
        networks = region.networks(standards.modes()) if hasattr(region, "networks") else {}
    ctx = _context(region, svc, networks or {})
    rows: list[dict] = []
    for rule in standards.rules:
        rows.extend(_RULE_ROWS[rule.kind](ctx, rule))
    return CheckResult(_frame(rows), standards, _meta(region, standards, scenario, ctx))


def _union(values: pd.Series) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for t in values for v in t))


def _planning_row(rule: Rule, name: str, part: pd.DataFrame) -> dict:
    row = {**_base_row(rule), "level": "planungsraum", "key": name, "name": name}
    for col in ("required", "existing", "people", "people_within"):
        row[col] = float(part[col].sum(min_count=1)) if col in part else math.nan
    ids, unknown = _union(part["service_ids"]), _union(part["unknown_ids"])
    row.update(
        n_services=len(ids),
        n_unknown=len(unknown),
        service_ids=ids,
        unknown_ids=unknown,
        n_gemeinden=len(part),
        n_fehlt=int((part["status"] == "fehlt").sum()),
    )
    if rule.kind == "wegezeit":
        share = row["people_within"] / row["people"] if row["people"] > 0 else 1.0
        row.update(share_within=share, existing=share * 100.0, required=rule.soll)
    status = _row_status(row, rule)
    if rule.kind == "einrichtung" and row["n_fehlt"]:
        status = "fehlt"  # a surplus in one Gemeinde does not fill a gap in another
    row["status"] = status
    return row


def by_planning(result: CheckResult, planning: Any) -> CheckResult:
    """Add one row per planning region and Gemeinde-level rule (Kreis rows stay as they are).

    Sums over the planning region's Gemeinden (``planning.ags_map()``; with cell-wise
    planning regions each Gemeinde counts in the region of its assignment): required,
    existing, people and people within the minutes; the share is recomputed from the sums.
    For ``einrichtung`` rules the planning region „fehlt“ as soon as one of its
    Gemeinden does; ``n_fehlt`` says how many.
    """
    amap = planning.ags_map()
    gem = result.rows.loc[result.rows["level"] == "gemeinde"].copy()
    gem["planning"] = gem["key"].map(amap)
    rows = []
    for rule in result.standards.rules:
        part_rule = gem.loc[(gem["rule"] == rule.rule) & gem["planning"].notna()]
        for name in planning.names:
            part = part_rule.loc[part_rule["planning"] == name]
            if len(part):
                rows.append(_planning_row(rule, name, part))
    extra = _frame(rows)
    combined = pd.concat([result.rows, extra], ignore_index=True) if rows else result.rows
    meta = {**result.meta, "planning": getattr(planning, "source", None)}
    return CheckResult(combined, result.standards, meta)


__all__ = [
    "LEVELS",
    "ROW_COLUMNS",
    "STATUSES",
    "CheckResult",
    "by_planning",
    "check",
    "gemeinde_index",
    "located",
    "matching",
    "staffing_column",
    "status_of",
    "unit_values",
]
