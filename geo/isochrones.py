"""Isochrones: travel-time band polygons around services.

Bands are built from a cell field: every grid cell (default 100 m, the Census
grid) gets its travel time to the nearest service (:mod:`geo.traveltime`), and
the cells of each band are dissolved into one (multi)polygon with
``shapely.coverage_union_all``. Bands never overlap: a cell belongs to the band
``(band_min_from, band_min_to]`` that contains its minutes (the first band
starts at 0 and includes it). Cells off the network get no band.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import shapely

from . import _crs, settings
from ._errors import InputError
from .network import Network, access_speed_mps
from .traveltime import as_points, check_mode, metres_per_minute, nearest_field, node_field

COLUMNS = ["band_min_from", "band_min_to", "geometry"]
MAX_GRID_CELLS = 250_000  # auto grids are coarsened above this many cells


def _bands(bands: Sequence[float]) -> np.ndarray:
    b = np.asarray(sorted(set(float(v) for v in bands)), dtype=float)
    if b.size == 0 or b[0] <= 0:
        raise InputError("Die Zeitstufen (Minuten) müssen positive Zahlen sein.")
    return b


def band_polygons(
    cells_xy: np.ndarray,
    minutes: np.ndarray,
    bands: Sequence[float] = settings.ISOCHRONE_BANDS_MIN,
    cell_size: float = settings.CELL_SIZE_M,
    cumulative: bool = False,
) -> gpd.GeoDataFrame:
    """Dissolve square cells into travel-time band polygons (EPSG:3035).

    Parameters
    ----------
    cells_xy : (n, 2) array
        Cell centres, EPSG:3035.
    minutes : (n,) array
        Minutes per cell (``inf``/NaN = no band).
    bands : sequence of float
        Upper band limits in minutes, e.g. ``(5, 10, 15)``.
    cell_size : float
        Cell edge length in metres.
    cumulative : bool
        If True, each polygon covers ``[0, band_min_to]`` (overlapping);
        otherwise bands are disjoint rings ``(band_min_from, band_min_to]``.

    Returns
    -------
    GeoDataFrame
        Columns ``band_min_from``, ``band_min_to``, ``geometry``; one row per
        non-empty band, EPSG:3035.
    """
    xy = as_points(cells_xy, "Zellen")
    minutes = np.asarray(minutes, dtype=float)
    limits = _bands(bands)
    idx = np.searchsorted(limits, np.nan_to_num(minutes, nan=np.inf), side="left")
    h = float(cell_size) / 2.0
    boxes = shapely.box(xy[:, 0] - h, xy[:, 1] - h, xy[:, 0] + h, xy[:, 1] + h)
    rows = []
    for k, upper in enumerate(limits):
        sel = idx <= k if cumulative else idx == k
        if not sel.any():
            continue
        geom = shapely.coverage_union_all(boxes[sel])
        lower = 0.0 if (cumulative or k == 0) else float(limits[k - 1])
        rows.append((lower, float(upper), geom))
    frame = gpd.GeoDataFrame(rows, columns=COLUMNS, geometry="geometry", crs=settings.CRS_METRIC)
    return frame.astype({"band_min_from": float, "band_min_to": float})


def _grid(
    x0: float, y0: float, x1: float, y1: float, cell_size: float | None
) -> tuple[np.ndarray, float]:
    """Cell centres on the census-aligned grid covering a box."""
    base = float(settings.CELL_SIZE_M)
    if cell_size is None:
        area = max(x1 - x0, base) * max(y1 - y0, base)
        cell_size = base * max(1.0, np.ceil(np.sqrt(area / MAX_GRID_CELLS) / base))
    cs = float(cell_size)
    xs = np.arange(np.floor(x0 / cs) * cs, x1 + cs, cs) + cs / 2
    ys = np.arange(np.floor(y0 / cs) * cs, y1 + cs, cs) + cs / 2
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()]), cs


def nearest_isochrones(
    services_xy: np.ndarray,
    mode: str,
    bands: Sequence[float] = settings.ISOCHRONE_BANDS_MIN,
    network: Network | None = None,
    cells_xy: np.ndarray | None = None,
    cell_size: float | None = None,
    cumulative: bool = False,
) -> gpd.GeoDataFrame:
    """Travel-time bands to the nearest of a set of services (EPSG:3035).

    Parameters
    ----------
    services_xy : (m, 2) array, EPSG:3035
    mode : str
    bands : sequence of float
        Upper band limits (minutes).
    network : Network, optional
        Without it the straight-line × detour model is used.
    cells_xy : (n, 2) array, optional
        Cell centres to dissolve (e.g. the region's 100 m cells, then
        ``cell_size`` defaults to 100 m). Without them a grid covering
        everything reachable within the largest band is made; it is
        coarsened above ``MAX_GRID_CELLS`` cells.

    Returns
    -------
    GeoDataFrame
        ``band_min_from``, ``band_min_to``, ``geometry``.
    """
    check_mode(mode, network)
    services_xy = as_points(services_xy, "Angebote")
    limits = _bands(bands)
    max_min = float(limits[-1])
    if len(services_xy) == 0:
        return band_polygons(np.zeros((0, 2)), np.zeros(0), limits)
    if mode == settings.TRANSIT_MODE.code:  # timetable: bands on the given cells
        if cells_xy is None:
            raise InputError("ÖPNV-Zeitstufen brauchen die Zellen der Region (cells_xy).")
        xy = as_points(cells_xy, "Zellen")
        minutes = nearest_field(xy, services_xy, mode, network, max_min).minutes
        return band_polygons(xy, minutes, limits, cell_size or settings.CELL_SIZE_M, cumulative)
    node_s = None
    if network is not None:
        node_s, _, _ = node_field(network, services_xy, max_min * 60.0)
    if cells_xy is None:
        if network is None:
            reach = max_min * metres_per_minute(mode)
            lo, hi = services_xy.min(axis=0) - reach, services_xy.max(axis=0) + reach
        else:
            hit = np.isfinite(node_s)
            pts = network.xy[hit] if hit.any() else services_xy
            pad = min(settings.SNAP_LIMIT_M, max_min * 60.0 * access_speed_mps(mode))
            lo, hi = pts.min(axis=0) - pad, pts.max(axis=0) + pad
        cells_xy, cell_size = _grid(lo[0], lo[1], hi[0], hi[1], cell_size)
    else:
        cells_xy = as_points(cells_xy, "Zellen")
        cell_size = float(cell_size or settings.CELL_SIZE_M)
    if network is None:
        minutes = nearest_field(cells_xy, services_xy, mode, None, max_min).minutes
    else:
        snap = network.snap(cells_xy)
        minutes = np.full(len(cells_xy), np.inf)
        on = ~snap.off
        minutes[on] = (node_s[snap.node[on]] + snap.dist_m[on] / access_speed_mps(mode)) / 60.0
    return band_polygons(cells_xy, minutes, limits, cell_size, cumulative)


def service_isochrones(
    services_xy: np.ndarray,
    mode: str,
    bands: Sequence[float] = settings.ISOCHRONE_BANDS_MIN,
    network: Network | None = None,
    cell_size: float | None = None,
    cumulative: bool = True,
) -> gpd.GeoDataFrame:
    """Isochrones of each service on its own (EPSG:3035).

    Returns a GeoDataFrame with a ``service`` column (index into
    ``services_xy``) plus ``band_min_from``, ``band_min_to``, ``geometry``.
    By default polygons are cumulative ("within 15 min" = ``[0, 15]``).
    """
    services_xy = as_points(services_xy, "Angebote")
    parts = []
    for j in range(len(services_xy)):
        gdf = nearest_isochrones(
            services_xy[j : j + 1], mode, bands, network, cell_size=cell_size, cumulative=cumulative
        )
        gdf.insert(0, "service", j)
        parts.append(gdf)
    if not parts:
        empty = band_polygons(np.zeros((0, 2)), np.zeros(0), bands)
        empty.insert(0, "service", np.zeros(0, dtype=int))
        return empty
    import pandas as pd

    return gpd.GeoDataFrame(
        pd.concat(parts, ignore_index=True), geometry="geometry", crs=settings.CRS_METRIC
    )


def to_display(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reproject band polygons to EPSG:4326, repairing any invalid ring."""
    out = _crs.to_display(gdf)
    bad = ~out.geometry.is_valid
    if bad.any():
        out.loc[bad, "geometry"] = shapely.make_valid(out.geometry[bad].to_numpy())
    return out
