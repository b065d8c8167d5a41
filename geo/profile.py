"""Figures of the profiles (Steckbriefe): one set per Gemeinde or planning region.

:func:`build` computes everything the profile pages and their XLSX show, once for the
whole region (no per-page recomputation): the units (Gemeinden, or planning regions
with their Gemeinden), the target groups per unit (status quo and, with a projection,
the target year), travel-time figures per unit and mode, the located services of each
unit, the standards check and the main analysis whose gap layer the maps show. Words
and drawing are in ``report/profile.py``.

>>> data = build(region, AnalysisParams(target="u18", mode="bike"), read_standards())
>>> data.units[0].name, data.population.loc[data.units[0].key, "u18"]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import analysis, compare, settings, standards_check
from .standards import Standards

#: Columns of :attr:`Profiles.travel` besides ``key`` and ``mode``.
TRAVEL_COLUMNS: tuple[str, ...] = (
    "threshold_min",
    "people",
    "minutes_mean",
    "minutes_median",
    "share_within",
    "people_beyond",
    "people_unreachable",
    "services_reachable",
)


@dataclass(frozen=True)
class Unit:
    """One profile: a Gemeinde or a planning region.

    Attributes
    ----------
    key : str
        AGS (Gemeinde) or planning region name.
    name : str
    level : {"gemeinde", "planungsraum"}
    members : tuple of str
        AGS of its Gemeinden (the Gemeinde itself for ``level="gemeinde"``).
    kreise : tuple of str
        Kreisschlüssel of its Gemeinden.
    kreis_names : tuple of str
    planning : str or None
        The planning region of a Gemeinde (when planning regions are loaded).
    geometry : shapely geometry (EPSG:3035)
    """

    key: str
    name: str
    level: str
    members: tuple[str, ...]
    kreise: tuple[str, ...]
    kreis_names: tuple[str, ...]
    planning: str | None
    geometry: Any


@dataclass
class Profiles:
    """Everything the profile pages show, computed once.

    Attributes
    ----------
    units : list of Unit
    population : DataFrame
        Index unit key, one column per target group (status quo).
    population_year : DataFrame or None
        The same for the target year (with a projection or growth factors).
    year : int or None
    travel : DataFrame
        One row per unit and mode: ``key``, ``mode`` and :data:`TRAVEL_COLUMNS`
        (target group and kinds of ``params``; each mode with its default threshold,
        the main mode with ``params.threshold_min``).
    services : GeoDataFrame
        Located services (after the scenario) with ``ags`` (Gemeinde, "" outside).
    check : CheckResult
        Rows per Gemeinde and Kreis (and planning region).
    result : AnalysisResult
        The analysis of ``params`` (the gap layer of the maps).
    params : AnalysisParams
    region : Region
        The region the figures refer to (target year applied, if any).
    planning : PlanningRegions or None
    scenario : str or None
    """

    units: list[Unit]
    population: pd.DataFrame
    population_year: pd.DataFrame | None
    year: int | None
    travel: pd.DataFrame
    services: gpd.GeoDataFrame
    check: standards_check.CheckResult
    result: analysis.AnalysisResult
    params: analysis.AnalysisParams
    region: Any
    planning: Any = None
    scenario: str | None = None
    results: dict[str, analysis.AnalysisResult] = field(default_factory=dict)

    def unit(self, key: str) -> Unit:
        """The unit with this key (KeyError if none)."""
        for u in self.units:
            if u.key == key:
                return u
        raise KeyError(key)

    def services_of(self, unit: Unit) -> gpd.GeoDataFrame:
        """The located services inside the unit's Gemeinden."""
        return self.services.loc[self.services["ags"].isin(unit.members)]

    def travel_of(self, unit: Unit) -> pd.DataFrame:
        """Travel-time figures of the unit, one row per mode (in ``settings.MODES`` order)."""
        return self.travel.loc[self.travel["key"] == unit.key].set_index("mode")

    def check_of(self, unit: Unit) -> pd.DataFrame:
        """Check rows of the unit and of its Kreise."""
        r = self.check.rows
        own = (r["level"] == unit.level) & (r["key"] == unit.key)
        kreis = (r["level"] == "kreis") & r["key"].isin(unit.kreise)
        return r.loc[own | kreis]


def _units(region: Any, planning: Any) -> list[Unit]:
    gem = region.gemeinden
    ags = gem["ags"].astype(str).to_numpy()
    kname = (
        gem["kreis_name"].astype(str).to_numpy()
        if "kreis_name" in gem.columns
        else np.array([a[:5] for a in ags])
    )
    amap = planning.ags_map() if planning is not None else {}
    if planning is None or planning is False:
        return [
            Unit(a, str(n), "gemeinde", (a,), (a[:5],), (str(k),), amap.get(a), g)
            for a, n, k, g in zip(ags, gem["name"], kname, gem.geometry.values, strict=True)
        ]
    units = []
    for _, row in planning.regions.iterrows():
        members = tuple(m for m in str(row["ags"]).split(",") if m)
        sel = np.isin(ags, members)
        kreise = tuple(dict.fromkeys(a[:5] for a in ags[sel]))
        names = tuple(dict.fromkeys(str(k) for k in kname[sel]))
        units.append(
            Unit(
                str(row["name"]),
                str(row["name"]),
                "planungsraum",
                members,
                kreise,
                names,
                None,
                row.geometry,
            )
        )
    return units


def population_by_unit(cells: pd.DataFrame, units: Sequence[Unit]) -> pd.DataFrame:
    """Sum of every target group over each unit's Gemeinden (index: unit key)."""
    groups = [c for c in settings.TARGET_GROUPS if c in cells.columns]
    per_gem = cells.groupby(cells["ags"].astype(str))[groups].sum()
    rows = {u.key: per_gem.reindex(list(u.members)).fillna(0.0).sum() for u in units}
    return pd.DataFrame.from_dict(rows, orient="index")[groups]


def _mode_params(params: analysis.AnalysisParams, mode: str) -> analysis.AnalysisParams:
    threshold = params.threshold_min if mode == params.mode else None
    return dataclasses.replace(params, mode=mode, threshold_min=threshold)


def _travel_rows(
    result: analysis.AnalysisResult, units: Sequence[Unit], planning: Any
) -> pd.DataFrame:
    if units and units[0].level == "planungsraum":
        from .planning import aggregate

        table = aggregate(result, planning).set_index("name")
    else:
        table = result.gemeinden.set_index(result.gemeinden["ags"].astype(str))
    cols = [c for c in TRAVEL_COLUMNS if c in table.columns]
    out = table.reindex([u.key for u in units])[cols].copy()
    out["threshold_min"] = result.params.threshold_min
    out.insert(0, "mode", result.params.mode)
    out.insert(0, "key", out.index.astype(str))
    return out.reset_index(drop=True)


def build(
    region: Any,
    params: analysis.AnalysisParams,
    standards: Standards,
    *,
    planning: Any = None,
    scenario: Any = None,
    demand_region: Any = None,
    services: gpd.GeoDataFrame | None = None,
    networks: Mapping[str, Any] | None = None,
    modes: Sequence[str] | None = None,
) -> Profiles:
    """Compute the figures of every profile once.

    Parameters
    ----------
    region : Region
        Status quo (its cells are the population „heute“).
    params : AnalysisParams
        Services (kinds), target group, main mode and threshold of the gap layer.
    standards : Standards
    planning : PlanningRegions, optional
        One profile per planning region instead of per Gemeinde.
    scenario : Scenario, optional
        Applied to the services (planned sites count in every figure).
    demand_region : Region, optional
        ``geo.demand.for_region(region, …)``: the target year the figures refer to.
    services : GeoDataFrame, optional
        Service list (default ``region.services``; e.g. the planner's inventory).
    networks : mapping, optional
        Road networks per mode (default: the region's stored networks).
    modes : sequence of str, optional
        Modes of the travel-time figures (default all of ``settings.MODES``).

    Returns
    -------
    Profiles
    """
    base = region
    target = demand_region if demand_region is not None else region
    svc = base.services if services is None else services
    if scenario is not None:
        from . import scenario as scenario_mod

        svc = scenario_mod.apply(svc, scenario)
    work = compare.with_services(target, svc)
    modes = list(modes or settings.MODES)
    if networks is None:
        networks = region.networks(modes) if hasattr(region, "networks") else {}
    units = _units(region, planning)
    results = {
        m: analysis.analyze(work, _mode_params(params, m), networks)
        for m in dict.fromkeys([params.mode, *modes])
    }
    travel = pd.concat(
        [_travel_rows(results[m], units, planning) for m in modes], ignore_index=True
    )
    check = standards_check.check(work, standards, networks, services=svc)
    if planning is not None:
        check = standards_check.by_planning(check, planning)
    located = standards_check.located(svc)
    idx = standards_check.gemeinde_index(located, region.gemeinden)
    ags = region.gemeinden["ags"].astype(str).to_numpy()
    located = located.assign(ags=np.where(idx >= 0, ags[np.clip(idx, 0, None)], ""))
    year = (target.meta.get("demand") or {}).get("year") if demand_region is not None else None
    pop_year = population_by_unit(target.cells, units) if year is not None else None
    return Profiles(
        units,
        population_by_unit(base.cells, units),
        pop_year,
        year,
        travel,
        located,
        check,
        results[params.mode],
        params,
        target,
        planning,
        getattr(scenario, "name", None),
        results,
    )


def bounds_of(units: Sequence[Unit]) -> np.ndarray:
    """(n, 4) bounds of the units' geometries."""
    return shapely.bounds(np.asarray([u.geometry for u in units], dtype=object))


__all__ = ["TRAVEL_COLUMNS", "Profiles", "Unit", "bounds_of", "build", "population_by_unit"]
