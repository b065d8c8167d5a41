"""Region build (cold/warm) and load times for ``default`` and ``thueringen``.

Cold build: empty cache folder. Warm build: the bundle exists and its inputs are
unchanged (only the content hash is checked). Load: reading the bundle. The
baseline for the load is the cold build in the same run (ratio = build / load).

Run: ``.venv/bin/python benchmarks/region.py``
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo import region

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import summary_line


def _best(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("default", "thueringen"):
            t = time.perf_counter()
            region.build_region(name, cache_dir=tmp)
            cold = time.perf_counter() - t
            warm = _best(lambda n=name: region.build_region(n, cache_dir=tmp))
            load = _best(lambda n=name: region.load_region(n, cache_dir=tmp, build=False))
            check = _best(lambda n=name: region.load_region(n, cache_dir=tmp))
            r = region.load_region(name, cache_dir=tmp, build=False)
            print(
                f"{name}: cells={len(r.cells)} gemeinden={len(r.gemeinden)} services={len(r.services)}"
            )
            print(
                f"{name}: build_cold_s={cold:.2f} build_warm_s={warm:.3f} load_s={load:.3f} "
                f"load_with_check_s={check:.3f} cold_over_load={cold / load:.1f}x"
            )
            out.update(
                {
                    f"{name}_build_cold_s": cold,
                    f"{name}_build_warm_s": warm,
                    f"{name}_load_s": load,
                    f"{name}_cold_over_load": cold / load,
                }
            )
    print(summary_line(out))


if __name__ == "__main__":
    main()
