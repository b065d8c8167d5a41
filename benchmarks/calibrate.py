"""Calibrate the straight-line fallback on the real OSM network north of Bayreuth.

Usage::

    .venv/bin/python benchmarks/calibrate.py [--osm PATH] [--sources 300] [--targets 20] [--seed 0]

Builds the walk, bike and car networks of ``north-bayreuth.osm.gz``, draws
random node pairs on each network's largest strongly connected component and
prints, by straight-line distance band, the ratio network distance ÷
straight-line distance (median, p25–p75, p10–p90, n), then the values to put
into ``geo/settings.py`` (``DETOUR_FACTORS``, ``FALLBACK_CAR_SPEED_KMH``) as a
Markdown table for docs/traveltime.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo import settings
from geo.network import build_networks
from geo.traveltime import calibrate_detour

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import summary_line


def _fmt(x: float) -> str:
    return f"{x:.2f}".replace(".", ",")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--osm", default=str(settings.data_dir() / "osm" / "north-bayreuth.osm.gz"))
    parser.add_argument("--sources", type=int, default=300)
    parser.add_argument("--targets", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    nets = build_networks(args.osm, modes=("walk", "bike", "car"))
    result = calibrate_detour(
        nets, n_sources=args.sources, targets_per_source=args.targets, seed=args.seed
    )
    table = result["table"]
    print(f"# Umwegfaktoren aus {Path(args.osm).name} ({time.perf_counter() - t0:.1f} s)\n")
    print("| Verkehrsart | Luftlinie | n | Median | p25–p75 | p10–p90 |")
    print("|---|---|---:|---:|---|---|")
    for row in table.itertuples():
        print(
            f"| {settings.MODES[row.mode].label_de} | {row.band} | {row.n} | {_fmt(row.median)} "
            f"| {_fmt(row.p25)}–{_fmt(row.p75)} | {_fmt(row.p10)}–{_fmt(row.p90)} |"
        )
    detour = {m: round(v, 2) for m, v in result["detour"].items()}
    detour["walk_slow"] = detour["walk"]
    order = [m for m in settings.MODES if m in detour]
    print("\n# geo/settings.py")
    print("DETOUR_FACTORS = {" + ", ".join(f'"{m}": {detour[m]}' for m in order) + "}")
    print(
        f"FALLBACK_CAR_SPEED_KMH = {round(result['car_speed_kmh']):.1f}"
        f"  # exact: {result['car_speed_kmh']:.2f}"
    )
    out: dict[str, float | int] = {f"detour_{m}": float(detour[m]) for m in order}
    out["car_speed_kmh"] = float(result["car_speed_kmh"])
    out["pairs"] = int(table["n"].sum())
    out["seconds"] = time.perf_counter() - t0
    print(summary_line(out))
    return result


if __name__ == "__main__":
    main()
