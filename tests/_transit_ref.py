"""Brute-force reference for the transit router: Dijkstra on a time-expanded graph.

Nodes: one departure and one arrival event per connection, and a waiting chain
per stop over all event times there (departures, arrivals, walking-transfer
arrivals, query times). Edges: waiting (chain), boarding (chain → departure),
riding (departure → arrival), staying seated (arrival → next departure of the
trip), alighting (arrival → chain) and one walking transfer after alighting
(arrival → chain of the other stop). Every edge weighs its time difference,
so a node's distance is its time minus the query time; the earliest arrival
at a stop is the earliest reached node of its chain. No transfer limit.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra


class TimeExpanded:
    """The time-expanded graph of a timetable with walking transfers ``fp`` (seconds)."""

    def __init__(self, tt, fp: sp.csr_matrix, query_stops, query_times):
        n_c = tt.n_connections
        fp = fp.tocoo()
        alight = np.flatnonzero(tt.alight)
        # footpath arrivals: (connection, target stop, time)
        rows = [], [], []
        fp_csr = fp.tocsr()
        for c in alight:
            v = tt.arr_stop[c]
            for k in range(fp_csr.indptr[v], fp_csr.indptr[v + 1]):
                rows[0].append(c)
                rows[1].append(fp_csr.indices[k])
                rows[2].append(tt.arr[c] + fp_csr.data[k])
        fc, fs, ft = (np.asarray(r) for r in rows)
        ev_stop = np.concatenate(
            [tt.dep_stop, tt.arr_stop, fs.astype(int), np.asarray(query_stops, int)]
        )
        ev_time = np.concatenate(
            [
                tt.dep.astype(float),
                tt.arr.astype(float),
                ft.astype(float),
                np.asarray(query_times, float),
            ]
        )
        chain = np.unique(np.column_stack([ev_stop, ev_time]), axis=0)
        self.chain = chain
        n_ch = len(chain)
        base = 2 * n_c  # chain node k is base + k
        self.base = base

        def chain_node(stop, time):
            key = stop.astype(float) * 1e7 + time
            ref = chain[:, 0] * 1e7 + chain[:, 1]
            return base + np.searchsorted(ref, key)

        self.chain_node = chain_node
        u, v, w = [], [], []
        same = chain[1:, 0] == chain[:-1, 0]
        k = np.flatnonzero(same)
        u.append(base + k)
        v.append(base + k + 1)
        w.append(chain[k + 1, 1] - chain[k, 1])
        b = np.flatnonzero(tt.board)
        u.append(chain_node(tt.dep_stop[b], tt.dep[b].astype(float)))
        v.append(b)
        w.append(np.zeros(b.size))
        u.append(np.arange(n_c))
        v.append(n_c + np.arange(n_c))
        w.append((tt.arr - tt.dep).astype(float))
        order = np.lexsort((tt.dep, tt.trip))
        nxt = order[1:][tt.trip[order[1:]] == tt.trip[order[:-1]]]
        prv = order[:-1][tt.trip[order[1:]] == tt.trip[order[:-1]]]
        u.append(n_c + prv)
        v.append(nxt)
        w.append((tt.dep[nxt] - tt.arr[prv]).astype(float))
        u.append(n_c + alight)
        v.append(chain_node(tt.arr_stop[alight], tt.arr[alight].astype(float)))
        w.append(np.zeros(alight.size))
        if fc.size:
            u.append(n_c + fc)
            v.append(chain_node(fs.astype(int), ft.astype(float)))
            w.append(ft - tt.arr[fc])
        u, v, w = (np.concatenate(x) for x in (u, v, w))
        n = base + n_ch
        # weight 0 edges: add a tiny epsilon so that csgraph keeps them; subtract later
        self.graph = sp.csr_matrix((w + 1e-6, (u, v)), shape=(n, n))
        self.n_stops = tt.n_stops

    def earliest_arrival(self, stop: int, time: float) -> np.ndarray:
        """Earliest arrival (absolute seconds) at every stop from ``stop`` at ``time``."""
        src = int(self.chain_node(np.array([stop]), np.array([float(time)]))[0])
        d = dijkstra(self.graph, indices=src)
        reached = np.isfinite(d[self.base :])
        out = np.full(self.n_stops, np.inf)
        cs = self.chain[reached]
        np.minimum.at(out, cs[:, 0].astype(int), cs[:, 1])
        return out
