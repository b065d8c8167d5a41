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


def summary_line(values: dict[str, float | int | str]) -> str:
    """The benchmark's last line: ``key=value`` pairs (floats to 4 significant digits)."""

    def fmt(v: float | int | str) -> str:
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    return " ".join(f"{k}={fmt(v)}" for k, v in values.items())
