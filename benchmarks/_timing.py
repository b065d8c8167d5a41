"""Timing shared by the benchmark scripts (run as ``.venv/bin/python benchmarks/<name>.py``)."""

from __future__ import annotations

import statistics
import time


def median_seconds(fn, repeat: int) -> float:
    """Median of ``repeat`` runs of ``fn()`` after one warm-up (seconds)."""
    fn()
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)
