"""Static map render time (``report.export.render_map``) for the default region.

Target: an A4 PNG at 200 dpi in under 3 s (region load and analysis excluded;
the Thuringia inset outline cached, as after the first map of a session).

Measured in the same run, on the same region, analysis and figure:

- ``render_map`` A4 PNG 200 dpi (median of REPEAT runs after one warm-up), and
  the first call with an empty inset cache (VG250 read and dissolved once);
- PDF and SVG of the same map;
- baseline ``naive``: the same map, but the 100 m cells drawn the naive way,
  as one square polygon per cell via ``GeoDataFrame.plot`` (colours per
  class), instead of one raster image; the rest of the figure is identical.
  As PNG and as SVG (time and file size: 6,300 vector squares).

Run: ``.venv/bin/python benchmarks/export.py``; files go to benchmarks/out/.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import matplotlib
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import geopandas as gpd
import shapely
from _timing import median_seconds

from geo import analysis, region, settings
from present.classes import measure_classes
from report import _mapdraw as md
from report import export

REPEAT = 5
OUT = Path(__file__).resolve().parent / "out"


def naive_map(reg, result, path: Path, dpi: int = 200) -> None:
    """The same figure with each populated 100 m cell as its own polygon (GeoDataFrame.plot)."""
    with matplotlib.rc_context(export.RC):
        fig = export.build_figure(reg, result, dpi=dpi, show_cells=False)
        ax = fig.nahraum["map_ax"]
        cells = result.cells
        keep = cells["people"].to_numpy() > 0
        classes = measure_classes(
            result.params.measure,
            cells[result.params.measure].to_numpy(dtype=float),
            result.params.threshold_min,
            result.params.target,
        )
        x = cells["x"].to_numpy(float)[keep]
        y = cells["y"].to_numpy(float)[keep]
        h = settings.CELL_SIZE_M / 2
        gdf = gpd.GeoDataFrame(
            {"c": np.asarray(classes.colors)[classes.codes[keep]]},
            geometry=shapely.box(x - h, y - h, x + h, y + h),
            crs=settings.CRS_METRIC,
        )
        xlim, ylim = ax.get_xlim(), ax.get_ylim()
        gdf.plot(ax=ax, color=gdf["c"], linewidth=0, zorder=3)
        ax.set_xlim(xlim)
        ax.set_ylim(ylim)
        fig.savefig(path, dpi=dpi, format=path.suffix.lstrip("."))


def main() -> int:
    OUT.mkdir(exist_ok=True)
    t = time.perf_counter()
    reg = region.load_region("default")
    t_load = time.perf_counter() - t
    params = analysis.AnalysisParams(
        kinds=("Familie",),
        target="single_parent_hh",
        mode="bike",
        threshold_min=30,
        measure="minutes",
    )
    result = analysis.analyze(reg, params)
    print(
        f"Region default: {len(reg.cells):,} Zellen, {len(reg.gemeinden)} Gemeinden, "
        f"{len(result.services)} Angebote (Laden {t_load:.1f} s, nicht mitgemessen)"
    )

    with tempfile.TemporaryDirectory() as empty_cache:
        md.forget_kreise()
        t = time.perf_counter()
        export.render_map(reg, result, OUT / "bench_cold.png", dpi=200, cache_dir=empty_cache)
        cold = time.perf_counter() - t

    png = median_seconds(
        lambda: export.render_map(reg, result, OUT / "bench_a4_200dpi.png", dpi=200), REPEAT
    )
    pdf = median_seconds(lambda: export.render_map(reg, result, OUT / "bench_a4.pdf"), 3)
    svg = median_seconds(lambda: export.render_map(reg, result, OUT / "bench_a4.svg"), 3)
    naive = median_seconds(lambda: naive_map(reg, result, OUT / "bench_naive_a4_200dpi.png"), 3)
    naive_svg = median_seconds(lambda: naive_map(reg, result, OUT / "bench_naive_a4.svg"), 3)
    kb = {p: (OUT / p).stat().st_size / 1024 for p in ("bench_a4.svg", "bench_naive_a4.svg")}

    print(
        f"A4 PNG 200 dpi (render_map)            {png:6.2f} s   Ziel < 3 s: "
        f"{'ok' if png < 3 else 'VERFEHLT'}"
    )
    print(f"  erster Aufruf, Thüringen-Umriss neu   {cold:6.2f} s")
    print(f"A4 PDF                                  {pdf:6.2f} s")
    print(f"A4 SVG                                  {svg:6.2f} s")
    print(f"Baseline: Zellen als Polygone (GeoDataFrame.plot), A4 PNG 200 dpi  {naive:6.2f} s")
    print(f"Verhältnis Baseline / render_map        {naive / png:6.1f} ×")
    print(
        f"SVG: render_map {svg:.2f} s, {kb['bench_a4.svg']:,.0f} KB; Baseline "
        f"{naive_svg:.2f} s, {kb['bench_naive_a4.svg']:,.0f} KB "
        f"({naive_svg / svg:.1f} × Zeit, {kb['bench_naive_a4.svg'] / kb['bench_a4.svg']:.1f} × "
        "Größe)"
    )
    print(
        f"png_s={png:.2f} pdf_s={pdf:.2f} svg_s={svg:.2f} baseline_png_s={naive:.2f} "
        f"speedup_vs_baseline={naive / png:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
