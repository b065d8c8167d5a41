"""Scenario levers on a timetable: denser trips, a new bus line, an on-demand area.

Each lever returns a new :class:`~geo.gtfs.Timetable` with extra trips (and
stops), routed by the same connection scan, so that "what if the 7:30 bus ran
every hour" is answered with the same measures. The lever is recorded in
``timetable.meta["scenario"]`` (a list of dicts: data, not sentences).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import shapely

from . import settings
from ._errors import InputError
from .gtfs import Timetable
from .scenario import DenserTrips, Scenario

_CON = ("dep_stop", "arr_stop", "dep", "arr", "trip", "board", "alight")


def _times(first_s: float, last_s: float, headway_min: float) -> np.ndarray:
    if not headway_min > 0:
        raise InputError("Der Takt muss größer als 0 Minuten sein.")
    if last_s < first_s:
        raise InputError("Die letzte Abfahrt liegt vor der ersten.")
    return np.arange(first_s, last_s + 1e-6, headway_min * 60.0)


def _merged(tt: Timetable, add: dict, new_stops: dict | None, lever: dict) -> Timetable:
    """``tt`` plus connections ``add`` (trip codes relative, renumbered here)."""
    n_trips = int(tt.trip.max()) + 1 if tt.n_connections else 0
    add = {**add, "trip": add["trip"] + n_trips}
    con = {k: np.concatenate([getattr(tt, k), add[k].astype(getattr(tt, k).dtype)]) for k in _CON}
    order = np.lexsort((con["arr"], con["dep"]))
    con = {k: v[order] for k, v in con.items()}
    extra_ids = np.array(
        [f"{lever['kind']}-{i}" for i in range(int(add["trip"].max()) + 1 - n_trips)]
        if add["trip"].size
        else [],
        dtype=str,
    )
    stops = {}
    if new_stops:
        stops = {k: np.concatenate([getattr(tt, k), v]) for k, v in new_stops.items()}
    meta = {**tt.meta, "scenario": [*(tt.meta.get("scenario") or []), lever]}
    return replace(tt, **con, **stops, trip_ids=np.concatenate([tt.trip_ids, extra_ids]), meta=meta)


def repeat_trip(tt: Timetable, trip_id: str, headway_min: float, until: float) -> Timetable:
    """Run an existing trip again every ``headway_min`` until departure ``until`` (seconds).

    The copies keep the trip's stops and running times; the first copy leaves
    its first stop ``headway_min`` after the original.
    """
    k = np.flatnonzero(tt.trip_ids == str(trip_id))
    if k.size == 0:
        raise InputError(f"Die Fahrt „{trip_id}“ gibt es an diesem Tag nicht.")
    rows = np.flatnonzero(tt.trip == k[0])
    start = float(tt.dep[rows].min())
    starts = _times(start, float(until), headway_min)[1:]
    shift = np.repeat(starts - start, rows.size)
    add = {c: np.tile(getattr(tt, c)[rows], starts.size) for c in _CON}
    add["dep"] = add["dep"] + shift
    add["arr"] = add["arr"] + shift
    add["trip"] = np.repeat(np.arange(starts.size), rows.size)
    return _merged(
        tt,
        add,
        None,
        {
            "kind": "repeat",
            "trip": str(trip_id),
            "headway_min": float(headway_min),
            "until_s": float(until),
            "trips_added": int(starts.size),
        },
    )


def _line_stops(tt: Timetable, stops: Sequence) -> tuple[np.ndarray, dict]:
    """Stop indices of a line; coordinates ``(x, y)`` become new stops."""
    ids = {s: i for i, s in enumerate(tt.stop_ids)}
    idx, new_xy = [], []
    for s in stops:
        if isinstance(s, str):
            if s not in ids:
                raise InputError(f"Die Haltestelle „{s}“ gibt es im Fahrplan nicht.")
            idx.append(ids[s])
        else:
            idx.append(tt.n_stops + len(new_xy))
            new_xy.append([float(s[0]), float(s[1])])
    if len(idx) < 2:
        raise InputError("Eine Linie braucht mindestens zwei Haltestellen.")
    new = {}
    if new_xy:
        xy = np.asarray(new_xy)
        lonlat = _to_lonlat(xy, tt.crs)
        names = np.array([f"neu-{i + 1}" for i in range(len(xy))], dtype=str)
        new = {
            "xy": xy,
            "lon": lonlat[:, 0],
            "lat": lonlat[:, 1],
            "stop_ids": names,
            "stop_names": names,
        }
    return np.asarray(idx, np.int64), new


def _to_lonlat(xy: np.ndarray, crs: str) -> np.ndarray:
    from pyproj import Transformer

    t = Transformer.from_crs(crs, settings.CRS_DISPLAY, always_xy=True)
    lon, lat = t.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


def add_line(
    tt: Timetable,
    stops: Sequence,
    run_min: Sequence[float],
    headway_min: float,
    first_s: float,
    last_s: float,
    both_directions: bool = True,
) -> Timetable:
    """Add a bus line: ordered stops, running minutes between them, headway and hours.

    Parameters
    ----------
    stops : sequence of stop_id (str) or ``(x, y)`` in the timetable's ``crs`` (new stop)
    run_min : minutes between consecutive stops (``len(stops) - 1`` values)
    headway_min : minutes between departures
    first_s, last_s : first and last departure at the first stop (seconds)
    both_directions : also run the reverse direction on the same times
    """
    idx, new = _line_stops(tt, stops)
    run = np.asarray(run_min, float) * 60.0
    if run.size != idx.size - 1 or not (run >= 0).all():
        raise InputError(
            f"Für {idx.size} Haltestellen werden {idx.size - 1} Fahrzeiten (Minuten ≥ 0) erwartet."
        )
    starts = _times(first_s, last_s, headway_min)
    legs = [(idx, run)] + ([(idx[::-1], run[::-1])] if both_directions else [])
    parts = []
    for d, (seq, r) in enumerate(legs):
        offs = np.r_[0.0, np.cumsum(r)]
        n_leg = seq.size - 1
        dep = (starts[:, None] + offs[None, :-1]).ravel()
        parts.append(
            {
                "dep_stop": np.tile(seq[:-1], starts.size),
                "arr_stop": np.tile(seq[1:], starts.size),
                "dep": np.rint(dep),
                "arr": np.rint(dep + np.tile(r, starts.size)),
                "trip": np.repeat(np.arange(starts.size), n_leg) + d * starts.size,
            }
        )
    add = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    add["board"] = np.ones(add["dep"].size, bool)
    add["alight"] = np.ones(add["dep"].size, bool)
    return _merged(
        tt,
        add,
        new,
        {
            "kind": "line",
            "stops": int(idx.size),
            "new_stops": len(new.get("xy", [])),
            "headway_min": float(headway_min),
            "first_s": float(first_s),
            "last_s": float(last_s),
            "trips_added": int(starts.size * len(legs)),
        },
    )


def on_demand_area(
    tt: Timetable, area, max_wait_min: float, first_s: float, last_s: float
) -> Timetable:
    """A Bürgerbus / on-demand area: between every two stops inside ``area``.

    Modelled as a vehicle leaving every stop in the area for every other one
    every ``max_wait_min`` (the guaranteed longest wait) during the service
    hours, at the straight-line car model (``DETOUR_FACTORS["car"]``,
    ``FALLBACK_CAR_SPEED_KMH``).
    """
    inside = np.flatnonzero(shapely.contains_xy(area, tt.xy[:, 0], tt.xy[:, 1]))
    if inside.size < 2:
        raise InputError("Im Rufbus-Gebiet liegen weniger als zwei Haltestellen.")
    u, v = np.meshgrid(inside, inside, indexing="ij")
    off = u != v
    u, v = u[off], v[off]
    speed = settings.FALLBACK_CAR_SPEED_KMH / 3.6
    ride = np.hypot(*(tt.xy[u] - tt.xy[v]).T) * settings.DETOUR_FACTORS["car"] / speed
    starts = _times(first_s, last_s, max_wait_min)
    n = u.size
    dep = np.repeat(starts, n)
    add = {
        "dep_stop": np.tile(u, starts.size),
        "arr_stop": np.tile(v, starts.size),
        "dep": np.rint(dep),
        "arr": np.rint(dep + np.tile(ride, starts.size)),
        "trip": np.arange(n * starts.size),
        "board": np.ones(n * starts.size, bool),
        "alight": np.ones(n * starts.size, bool),
    }
    return _merged(
        tt,
        add,
        None,
        {
            "kind": "on_demand",
            "stops": int(inside.size),
            "max_wait_min": float(max_wait_min),
            "first_s": float(first_s),
            "last_s": float(last_s),
        },
    )


def apply_scenario(tt: Timetable, scenario: Scenario) -> Timetable:
    """``tt`` with the timetable changes of ``scenario`` (``DenserTrips``), in order.

    Raises InputError (German, naming the change) when a change does not fit the timetable.
    """
    for k, change in enumerate(scenario.changes, start=1):
        if isinstance(change, DenserTrips):
            try:
                tt = repeat_trip(tt, change.trip_id, change.headway_min, change.until_s)
            except InputError as exc:
                raise InputError(f"Änderung {k} ({change.describe()}): {exc.message}") from exc
    return tt


def scenario_networks(networks: Mapping[str, Any] | None, scenario: Scenario) -> Any:
    """``networks`` with the scenario's timetable changes applied to the ÖPNV model.

    The same object when nothing changes (no timetable model or no timetable change).
    """
    model = (networks or {}).get(settings.TRANSIT_MODE.code)
    if model is None or not has_levers(scenario):
        return networks
    tt = apply_scenario(model.timetable, scenario)
    return {**(networks or {}), settings.TRANSIT_MODE.code: replace(model, timetable=tt)}


def has_levers(scenario: Scenario) -> bool:
    """True when ``scenario`` changes the timetable."""
    return any(isinstance(c, DenserTrips) for c in scenario.changes)


def trip_table(tt: Timetable) -> pd.DataFrame:
    """The trips of the day: ``trip_id``, ``first_s`` (first departure), ``from_stop`` and ``to_stop``
    (stop names), ``stops`` (number of calls), sorted by first departure."""
    if not tt.n_connections:
        return pd.DataFrame(columns=["trip_id", "first_s", "from_stop", "to_stop", "stops"])
    order = np.lexsort((tt.dep, tt.trip))
    trip = tt.trip[order]
    head = np.r_[True, trip[1:] != trip[:-1]]
    tail = np.r_[trip[1:] != trip[:-1], True]
    out = pd.DataFrame(
        {
            "trip_id": tt.trip_ids[trip[head]],
            "first_s": tt.dep[order][head].astype(np.int64),
            "from_stop": tt.stop_names[tt.dep_stop[order][head]],
            "to_stop": tt.stop_names[tt.arr_stop[order][tail]],
            "stops": np.diff(np.r_[np.flatnonzero(head), trip.size]) + 1,
        }
    )
    return out.sort_values(["first_s", "trip_id"], kind="stable").reset_index(drop=True)


__all__ = [
    "repeat_trip",
    "add_line",
    "on_demand_area",
    "apply_scenario",
    "has_levers",
    "scenario_networks",
    "trip_table",
]
