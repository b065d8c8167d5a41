"""Orientation layers: settlement footprint build (default region and all of Thuringia),
cached load, and the local tile server.

- ``footprint``: census building/dwelling cells read, filtered to the outline (+1 km) and
  dissolved (``shapely.coverage_union_all``), cold (no cache) and warm (cached parquet);
  baseline ``union_all`` of the same squares (the generic overlay union).
- ``tiles``: a hand-built MBTiles with one 256 px PNG, fetched REQUESTS times over
  loopback from :class:`geo.tiles.TileServer` (sequential, one connection per request).

Run: ``.venv/bin/python benchmarks/orientation.py``; ends with one ``key=value`` line.
"""

from __future__ import annotations

import io
import sqlite3
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import geopandas as gpd
import shapely

from benchmarks._timing import median_seconds, summary_line
from geo import orientation, region, settings, tiles

REPEAT = 3
REQUESTS = 200


def _thuringia(data_dir: Path) -> SimpleNamespace:
    g = gpd.read_file(data_dir / "th/boundaries/vg250ew_gemeinden_th.geojson")
    outline = shapely.union_all(shapely.make_valid(g.to_crs(3035).geometry.to_numpy()))
    return SimpleNamespace(outline=outline, definition=SimpleNamespace(census="th/zensus2022"))


def main() -> int:
    data = settings.data_dir()
    out: dict[str, float] = {}
    default = region.load_region("default")
    with tempfile.TemporaryDirectory() as tmp:
        for key, reg in (
            ("default", SimpleNamespace(outline=default.outline, definition=default.definition)),
            ("thueringen", _thuringia(data)),
        ):
            reg.cache_path = Path(tmp) / key
            cold = median_seconds(
                lambda r=reg: orientation.settlement_footprint(r, use_cache=False), REPEAT
            )
            fp = orientation.settlement_footprint(reg)
            warm = median_seconds(lambda r=reg: orientation.settlement_footprint(r), REPEAT)
            xy = orientation.residential_cells(
                data / "th/zensus2022", shapely.buffer(reg.outline, 1000).bounds
            )
            xy = xy[
                shapely.contains_xy(
                    shapely.buffer(reg.outline, 1000),
                    xy[:, 0].astype(float),
                    xy[:, 1].astype(float),
                )
            ]
            boxes = shapely.box(xy[:, 0] - 50.0, xy[:, 1] - 50.0, xy[:, 0] + 50.0, xy[:, 1] + 50.0)
            t = time.perf_counter()
            shapely.union_all(boxes)
            base = time.perf_counter() - t
            print(
                f"{key}: {int(fp['cells'].iloc[0])} cells, footprint cold {cold:.2f} s, "
                f"cached {warm * 1000:.0f} ms; baseline union_all {base:.2f} s"
            )
            out[f"{key}_cold_s"], out[f"{key}_cached_ms"] = cold, warm * 1000
            out[f"{key}_union_all_s"] = base

        from PIL import Image

        buf = io.BytesIO()
        Image.new("RGB", (256, 256), (120, 160, 200)).save(buf, format="PNG")
        path = Path(tmp) / "t.mbtiles"
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE metadata (name text, value text)")
        con.execute(
            "CREATE TABLE tiles (zoom_level int, tile_column int, tile_row int, tile_data blob)"
        )
        con.execute("INSERT INTO metadata VALUES ('format', 'png')")
        con.execute("INSERT INTO tiles VALUES (10, 542, 683, ?)", (buf.getvalue(),))
        con.commit()
        con.close()
        src = tiles.open_tile_source(path)
        with tiles.TileServer(src) as server:
            url = server.url.format(z=10, x=542, y=340)
            t = time.perf_counter()
            for _ in range(REQUESTS):
                with urllib.request.urlopen(url) as r:
                    r.read()
            per = (time.perf_counter() - t) / REQUESTS
        src.close()
        print(f"tile server: {per * 1000:.2f} ms per tile over loopback")
        out["tile_ms"] = per * 1000
    print(summary_line(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
