"""Orientation layers without the internet: settlements, roads by class, a local basemap.

- **Settlement footprint**: the Census 2022 100 m cells with residential buildings or
  dwellings (``settings.BUILDING_FILES`` + ``settings.DWELLING_FILES``) of the region,
  dissolved into one (multi)polygon in EPSG:3035. Computed once per region and cached
  in the region bundle (``orientation/footprint.parquet``, rebuilt when the census
  files or the outline change).
- **Roads by class**: the arcs of a loaded OSM network, classed by their car speed
  (which the network derives from the ``highway`` tag: motorway/trunk/primary ≥ 75 km/h,
  secondary/tertiary/unclassified 45–75 km/h, residential and smaller below); for a
  walk or bike network without a car network every arc is a "Weg".
- **Report maps**: :func:`draw_orientation` draws basemap tiles (:mod:`geo.tiles`), the
  footprint and the roads under a matplotlib map in EPSG:3035.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import _crs, settings
from ._errors import DataFileError
from ._io import atomic_path, write_json_atomic

FOOTPRINT_COLOR = "#d9d6d0"  # light warm grey, quieter than any measure class
FOOTPRINT_FILE = "orientation/footprint.parquet"
ROAD_CLASSES: dict[str, tuple[str, float, str]] = {
    # class: (German label, line width in px at the map / pt in reports, colour)
    "haupt": ("Hauptstraße", 2.2, "#8c8c8c"),
    "verbindung": ("Verbindungsstraße", 1.4, "#a0a0a0"),
    "neben": ("Nebenstraße", 0.8, "#b4b4b4"),
    "weg": ("Weg", 0.6, "#c2c2c2"),
}
MAJOR_KMH, LINK_KMH = 75.0, 45.0
SIMPLIFY_M = 8.0


# ---------------------------------------------------------------------------
# Settlement footprint
# ---------------------------------------------------------------------------
def residential_cells(
    census_dir: str | os.PathLike, bbox: tuple[float, float, float, float] | None = None
) -> np.ndarray:
    """Centres (x, y; EPSG:3035) of the 100 m cells with residential buildings or dwellings."""
    fine = Path(census_dir) / "100m"
    if not fine.is_dir():
        raise DataFileError(
            f"Zensus-Ordner fehlt: {fine}. Bitte den Datenordner prüfen (NAHRAUM_DATA oder --data)."
        )
    parts = []
    for name in (*settings.BUILDING_FILES, *settings.DWELLING_FILES):
        path = fine / f"{name}.parquet"
        if not path.is_file():
            continue
        d = pd.read_parquet(path, columns=["value", "x", "y"])
        keep = d["value"].to_numpy() > 0
        if bbox is not None:
            x, y = d["x"].to_numpy(), d["y"].to_numpy()
            keep &= (x >= bbox[0]) & (x <= bbox[2]) & (y >= bbox[1]) & (y <= bbox[3])
        parts.append(d.loc[keep, ["x", "y"]].to_numpy(np.int64))
    if not parts:
        return np.empty((0, 2), dtype=np.int64)
    return np.unique(np.concatenate(parts), axis=0)


def footprint_from_cells(xy: np.ndarray, cell_m: float = settings.CELL_SIZE_M) -> shapely.Geometry:
    """The union of the square cells centred on ``xy`` (exact, grid-aligned)."""
    if len(xy) == 0:
        return shapely.MultiPolygon()
    h = cell_m / 2
    x, y = xy[:, 0].astype(float), xy[:, 1].astype(float)
    boxes = shapely.box(x - h, y - h, x + h, y + h)
    merged = shapely.coverage_union_all(boxes)
    return shapely.normalize(shapely.simplify(merged, 0.0))  # drops collinear vertices


def _signature(census_dir: Path, outline: shapely.Geometry) -> dict:
    files = []
    for name in (*settings.BUILDING_FILES, *settings.DWELLING_FILES):
        p = census_dir / "100m" / f"{name}.parquet"
        if p.is_file():
            st = p.stat()
            files.append([name, st.st_size, int(st.st_mtime)])
    return {
        "version": 1,
        "files": files,
        "outline": hashlib.sha256(shapely.to_wkb(outline)).hexdigest(),
    }


def settlement_footprint(
    region: Any,
    data_dir: str | os.PathLike | None = None,
    buffer_m: float = 1000.0,
    use_cache: bool = True,
) -> gpd.GeoDataFrame:
    """The settlement footprint of a region (one row, EPSG:3035), cached in its bundle.

    Parameters
    ----------
    region : geo.region.Region
        Needs ``outline``, ``cache_path`` and ``definition.census`` (the census folder
        relative to the data directory) or ``meta["census_dir"]``.
    data_dir : path, optional
    buffer_m : float
        Cells within this distance of the outline are kept (settlements at the border).

    Returns
    -------
    GeoDataFrame
        Columns ``cells`` (number of 100 m cells), ``area_km2``, geometry.
    """
    census = _census_dir(region, data_dir)
    outline = region.outline
    target = Path(region.cache_path) / FOOTPRINT_FILE
    sig_path = target.with_suffix(".json")
    sig = _signature(census, outline)
    if use_cache and target.is_file() and sig_path.is_file():
        try:
            if json.loads(sig_path.read_text("utf-8")) == sig:
                return _crs.short(gpd.read_parquet(target))
        except (OSError, ValueError):
            pass
    area = shapely.buffer(outline, buffer_m)
    xmin, ymin, xmax, ymax = area.bounds
    xy = residential_cells(census, (xmin, ymin, xmax, ymax))
    if len(xy):
        xy = xy[shapely.contains_xy(area, xy[:, 0].astype(float), xy[:, 1].astype(float))]
    geom = footprint_from_cells(xy)
    gdf = gpd.GeoDataFrame(
        {"cells": [int(len(xy))], "area_km2": [round(len(xy) * 0.01, 2)]},
        geometry=[geom],
        crs=settings.CRS_METRIC,
    )
    if use_cache:
        with atomic_path(target) as tmp:
            gdf.to_parquet(tmp)
        write_json_atomic(sig_path, sig)
    return gdf


def _census_dir(region: Any, data_dir: str | os.PathLike | None) -> Path:
    ddir = settings.data_dir(data_dir)
    rel = (
        getattr(getattr(region, "definition", None), "census", None)
        or getattr(region, "meta", {}).get("census_dir")
        or "th/zensus2022"
    )
    return ddir / rel


# ---------------------------------------------------------------------------
# Roads by class
# ---------------------------------------------------------------------------
def road_lines(networks: dict[str, Any], simplify_m: float = SIMPLIFY_M) -> gpd.GeoDataFrame:
    """The roads of a region's networks as merged lines per class (EPSG:3035).

    Uses the car network (classes from its arc speeds); without one the first of
    bike/walk, all as ``"weg"``. Empty without any network.

    Returns
    -------
    GeoDataFrame
        ``klasse`` (key of ``ROAD_CLASSES``), ``label``, geometry (MultiLineString).
    """
    net, mode = None, None
    for m in ("car", "bike", "walk", "walk_slow"):
        if networks.get(m) is not None:
            net, mode = networks[m], m
            break
    empty = gpd.GeoDataFrame(
        {"klasse": pd.Series(dtype="str"), "label": pd.Series(dtype="str")},
        geometry=gpd.GeoSeries([], crs=settings.CRS_METRIC),
        crs=settings.CRS_METRIC,
    )
    if net is None:
        return empty
    u, v, w = net.edge_list()
    if len(u) == 0:
        return empty
    lengths = np.asarray(net.lengths, dtype=float)
    kmh = np.where(w > 0, lengths / np.maximum(w, 1e-9) * 3.6, 0.0)
    if mode == "car":
        cls = np.where(kmh >= MAJOR_KMH, "haupt", np.where(kmh >= LINK_KMH, "verbindung", "neben"))
    else:
        cls = np.full(len(u), "weg", dtype=object)
    a, b, first = undirected_arcs(u, v, int(net.n_nodes))
    cls = np.asarray(cls, dtype=object)[first]
    x, y = np.asarray(net.x), np.asarray(net.y)
    rows, geoms = [], []
    for c in ROAD_CLASSES:
        sel = cls == c
        if sel.any():
            geoms.append(merge_segments(x, y, a[sel], b[sel], simplify_m))
            rows.append({"klasse": c, "label": ROAD_CLASSES[c][0]})
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=settings.CRS_METRIC)


def undirected_arcs(
    u: np.ndarray, v: np.ndarray, n_nodes: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each node pair once (both directions of a road are one segment).

    Returns ``(a, b, first)``: the pairs (a < b) and the index of the first arc of each.
    """
    a = np.minimum(u, v).astype(np.int64)
    b = np.maximum(u, v).astype(np.int64)
    key, first = np.unique(a * n_nodes + b, return_index=True)
    return key // n_nodes, key % n_nodes, first


def merge_segments(
    x: np.ndarray, y: np.ndarray, a: np.ndarray, b: np.ndarray, simplify_m: float = SIMPLIFY_M
) -> shapely.Geometry:
    """Segments between nodes ``a`` and ``b`` merged into lines and simplified (metres)."""
    coords = np.stack([np.column_stack([x[a], y[a]]), np.column_stack([x[b], y[b]])], axis=1)
    merged = shapely.line_merge(shapely.multilinestrings(shapely.linestrings(coords)))
    return shapely.simplify(merged, simplify_m, preserve_topology=False)


# ---------------------------------------------------------------------------
# Report maps (matplotlib)
# ---------------------------------------------------------------------------
def draw_orientation(
    ax: Any,
    footprint: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    basemap: Any | None = None,
    bounds_3035: tuple[float, float, float, float] | None = None,
    width_px: int = 1600,
    zorder: float = 0.5,
) -> list:
    """Draw basemap tiles, settlement footprint and roads under a map in EPSG:3035.

    Parameters
    ----------
    ax : matplotlib Axes
        In EPSG:3035 metres; its limits are kept.
    footprint, roads : GeoDataFrame, optional
        From :func:`settlement_footprint` and :func:`road_lines`.
    basemap : geo.tiles.TileSource, optional
        Drawn first; each tile is placed by its corners transformed to EPSG:3035
        (a tile spans a few km, so the rotation between the two projections is
        negligible within it).
    bounds_3035 : (xmin, ymin, xmax, ymax), optional
        Area for the basemap; default the axes limits.
    width_px : int
        Target width of the basemap mosaic (chooses the zoom).

    Returns
    -------
    list
        The artists drawn (for tests and legends).
    """
    from pyproj import Transformer

    from . import tiles

    artists: list = []
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    if bounds_3035 is None:
        bounds_3035 = (xlim[0], ylim[0], xlim[1], ylim[1])
    if basemap is not None:
        to_ll = Transformer.from_crs(settings.CRS_METRIC, settings.CRS_DISPLAY, always_xy=True)
        to_3035 = Transformer.from_crs("EPSG:3857", settings.CRS_METRIC, always_xy=True)
        xs = [bounds_3035[0], bounds_3035[2], bounds_3035[0], bounds_3035[2]]
        ys = [bounds_3035[1], bounds_3035[1], bounds_3035[3], bounds_3035[3]]
        lon, lat = to_ll.transform(xs, ys)
        bounds_ll = (min(lon), min(lat), max(lon), max(lat))
        z = tiles.pick_zoom(bounds_ll, width_px, basemap)
        x0, y0 = tiles.lonlat_to_tile(bounds_ll[0], bounds_ll[3], z)
        x1, y1 = tiles.lonlat_to_tile(bounds_ll[2], bounds_ll[1], z)
        for ty in range(int(y0), int(y1) + 1):
            for tx in range(int(x0), int(x1) + 1):
                one = tiles.mosaic(basemap, _tile_lonlat(z, tx, ty), z, max_tiles=4)
                if one is None:
                    continue
                img, (mx0, mx1, my0, my1) = one
                cx, cy = to_3035.transform([mx0, mx1, mx0, mx1], [my0, my0, my1, my1])
                artists.append(
                    ax.imshow(
                        img,
                        extent=(min(cx), max(cx), min(cy), max(cy)),
                        origin="upper",
                        zorder=zorder - 0.2,
                        interpolation="bilinear",
                        aspect=ax.get_aspect(),
                    )
                )
    if footprint is not None and len(footprint):
        geoms = _crs.to_metric(footprint).geometry
        n0 = len(ax.collections)
        geoms.plot(ax=ax, color=FOOTPRINT_COLOR, linewidth=0, zorder=zorder, aspect=None)
        artists += list(ax.collections)[n0:]
    if roads is not None and len(roads):
        r = _crs.to_metric(roads)
        for c in reversed(list(ROAD_CLASSES)):
            sel = r[r["klasse"] == c]
            if len(sel):
                _, width, color = ROAD_CLASSES[c]
                n0 = len(ax.collections)
                sel.plot(
                    ax=ax, color=color, linewidth=width * 0.5, zorder=zorder + 0.1, aspect=None
                )
                artists += list(ax.collections)[n0:]
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    return artists


def _tile_lonlat(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """A point-sized box inside tile (z, x, y), in degrees (for a one-tile mosaic)."""
    import math

    n = 2**z
    lon = (x + 0.5) / n * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 0.5) / n))))
    return lon, lat, lon, lat
