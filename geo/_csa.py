"""Compiled kernels of the connection scan (private to :mod:`geo.transit`)."""

from __future__ import annotations

import numpy as np
from numba import njit

INF = np.inf


@njit(cache=True)
def _reset(arr, veh, touched, n_touched, trip_legs, trips, n_trips_t, big):
    for i in range(n_touched):
        arr[:, touched[i]] = INF
        veh[:, touched[i]] = INF
    for i in range(n_trips_t):
        trip_legs[trips[i]] = big


@njit(cache=True)
def _improve(arr, v, t, k, touched, n_touched):
    """Set arrival ``t`` at stop ``v`` for ``k`` or more legs; returns the touched count."""
    last = arr.shape[0] - 1
    if arr[last, v] == INF:
        touched[n_touched] = v
        n_touched += 1
    for leg in range(k, last + 1):
        arr[leg, v] = min(arr[leg, v], t)
    return n_touched


@njit(cache=True)
def _board(arr, u, td, k, max_legs):
    """Fewest legs (< k) with which stop ``u`` is reached by ``td``, else ``k``."""
    for leg in range(min(k - 1, max_legs)):
        if arr[leg, u] <= td:
            return leg + 1
    return k


@njit(cache=True)
def _alight(arr, veh, v, ta, k, fp_ptr, fp_idx, fp_s, touched, n_touched):
    """Arrive at ``v`` by vehicle at ``ta`` with ``k`` legs, then walk once."""
    for leg in range(k, arr.shape[0]):
        veh[leg, v] = min(veh[leg, v], ta)
    n_touched = _improve(arr, v, ta, k, touched, n_touched)
    for f in range(fp_ptr[v], fp_ptr[v + 1]):
        n_touched = _improve(arr, fp_idx[f], ta + fp_s[f], k, touched, n_touched)
    return n_touched


@njit(cache=True)
def _collect(res, via, q, arr, touched, n_touched, eg_ptr, eg_idx, eg_s):
    """Egress walks from every reached stop to the targets of query ``q``."""
    last = arr.shape[0] - 1
    for a in range(n_touched):
        v = touched[a]
        tv = arr[last, v]
        for e in range(eg_ptr[v], eg_ptr[v + 1]):
            g = eg_idx[e]
            if tv + eg_s[e] < res[q, g]:
                res[q, g] = tv + eg_s[e]
                via[q, g] = v


@njit(cache=True)
def scan(
    q_stop,
    q_time,
    dep_stop,
    arr_stop,
    dep,
    arr_t,
    trip,
    board,
    alight,
    n_trips,
    fp_ptr,
    fp_idx,
    fp_s,
    eg_ptr,
    eg_idx,
    eg_s,
    n_targets,
    max_legs,
    horizon,
):
    """Earliest arrival at each target for each query (stop, time), by connection scan.

    ``arr[k, v]`` is the earliest arrival at stop ``v`` with at most ``k``
    vehicle legs. A connection is usable if its trip was boarded earlier or
    its departure stop is reached (with fewer than ``max_legs`` legs) by its
    departure time; the trip then counts the fewest legs that reached it.
    After alighting, one walking transfer (``fp_*``, seconds) may follow.
    Targets are reached from stops by egress walks (``eg_*``, seconds).

    Returns
    -------
    res : float array (n_queries, n_targets)
        Absolute arrival seconds (``inf`` = not reached within ``horizon``).
    via : int array (n_queries, n_targets)
        Stop from which the target was reached (-1 if none).
    """
    n_stops = fp_ptr.size - 1
    big = max_legs + 1
    res = np.full((q_stop.size, n_targets), INF)
    via = np.full((q_stop.size, n_targets), -1, np.int64)
    arr = np.full((max_legs + 1, n_stops), INF)
    veh = np.full((max_legs + 1, n_stops), INF)  # arrivals by vehicle (walks start there)
    trip_legs = np.full(n_trips, big, np.int64)
    touched = np.empty(n_stops, np.int64)
    trips_t = np.empty(n_trips, np.int64)
    for q in range(q_stop.size):
        n_touched = _improve(arr, q_stop[q], q_time[q], 0, touched, 0)
        n_tr = 0
        end = q_time[q] + horizon
        i = np.searchsorted(dep, q_time[q])
        while i < dep.size and dep[i] <= end:
            j = trip[i]
            k = trip_legs[j]
            if board[i] and k > 1:
                k = _board(arr, dep_stop[i], dep[i], k, max_legs)
                if k < trip_legs[j]:
                    if trip_legs[j] == big:
                        trips_t[n_tr] = j
                        n_tr += 1
                    trip_legs[j] = k
            if k <= max_legs and alight[i] and arr_t[i] < veh[k, arr_stop[i]]:
                n_touched = _alight(
                    arr, veh, arr_stop[i], arr_t[i], k, fp_ptr, fp_idx, fp_s, touched, n_touched
                )
            i += 1
        _collect(res, via, q, arr, touched, n_touched, eg_ptr, eg_idx, eg_s)
        _reset(arr, veh, touched, n_touched, trip_legs, trips_t, n_tr, big)
    return res, via


@njit(cache=True)
def _percentile(sorted_vals, p):
    n = sorted_vals.size
    pos = p / 100.0 * (n - 1)
    lo = int(np.floor(pos))
    hi = min(lo + 1, n - 1)
    if sorted_vals[hi] == INF:
        return INF if pos > lo or sorted_vals[lo] == INF else sorted_vals[lo]
    return sorted_vals[lo] + (pos - lo) * (sorted_vals[hi] - sorted_vals[lo])


@njit(cache=True)
def _one_departure(buf, d, t, o, acc_ptr, acc_idx, acc_s, q_ptr, q_time, res, direct):
    """Fill ``buf[:, d]``: best seconds to every target leaving origin ``o`` at ``t``."""
    for j in range(res.shape[1]):
        buf[j, d] = direct[o, j]
    for a in range(acc_ptr[o], acc_ptr[o + 1]):
        s = acc_idx[a]
        lo, hi = q_ptr[s], q_ptr[s + 1]
        k = lo + np.searchsorted(q_time[lo:hi], t + acc_s[a])
        if k < hi:
            for j in range(res.shape[1]):
                buf[j, d] = min(buf[j, d], res[k, j] - t)


@njit(cache=True)
def evaluate(acc_ptr, acc_idx, acc_s, q_ptr, q_time, res, direct, deps, pcts):
    """Door-to-door seconds per origin, target and departure, reduced to percentiles.

    From origin ``o`` departing at ``t``: walk to access stop ``s`` (``acc_s``),
    take the first query of ``s`` at or after the arrival there (waiting
    counted), or walk directly (``direct[o, j]``).

    Returns
    -------
    stats : float array (n_origins, n_targets, n_pcts)
        Percentiles of the travel seconds over the departures.
    pick : int array (n_origins, n_targets)
        Index of the departure whose time is closest to the first percentile.
    """
    n_o, n_t = acc_ptr.size - 1, res.shape[1]
    out = np.full((n_o, n_t, pcts.size), INF)
    pick = np.zeros((n_o, n_t), np.int64)
    buf = np.empty((n_t, deps.size))
    for o in range(n_o):
        for d in range(deps.size):
            _one_departure(buf, d, deps[d], o, acc_ptr, acc_idx, acc_s, q_ptr, q_time, res, direct)
        for j in range(n_t):
            srt = np.sort(buf[j])
            for p in range(pcts.size):
                out[o, j, p] = _percentile(srt, pcts[p])
            if out[o, j, 0] < INF:
                pick[o, j] = np.argmin(np.abs(buf[j] - out[o, j, 0]))
    return out, pick
