"""Public-transport stops (DB HAFAS station list) with products and service level."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import _crs, settings, traveltime
from ._errors import DataFileError
from ._io import require_file

STOPS_FILE = "th/transit/stops_db_hafas_th.csv"
PRODUCTS = ("national", "regional", "suburban", "tram", "bus")
PRODUCT_LABELS = {
    "national": "Fernverkehr",
    "regional": "Regionalverkehr",
    "suburban": "S-Bahn",
    "tram": "Straßenbahn",
    "bus": "Bus",
}
# Service level classes from the relative weight (departures-based, not a timetable).
LEVELS = ((0.0, "gering"), (1.0, "mittel"), (10.0, "hoch"), (100.0, "sehr hoch"))
_REQUIRED = ("id", "name", "lat", "lon", "weight", *PRODUCTS)


def service_level(weight: np.ndarray) -> np.ndarray:
    """German service-level class of each stop's relative weight."""
    bounds = np.array([b for b, _ in LEVELS[1:]])
    labels = np.array([name for _, name in LEVELS], dtype=object)
    return labels[np.searchsorted(bounds, np.asarray(weight, dtype=float), side="right")]


def read_stops(
    data_dir: Path,
    area_3035: shapely.Geometry | None = None,
    buffer_m: float = settings.REGION_BUFFER_M,
) -> gpd.GeoDataFrame:
    """Stops within ``area_3035`` buffered by ``buffer_m`` (all if ``area_3035`` is None).

    Returns
    -------
    GeoDataFrame in EPSG:3035 with ``id``, ``name``, ``weight``, ``level``,
    ``products`` (German, comma-separated), the product flags and ``inside``
    (True when the stop lies inside the unbuffered area).
    """
    path = require_file(Path(data_dir) / STOPS_FILE, "Haltestellen")
    try:
        df = pd.read_csv(path, dtype={"id": str, "ifopt": str})
    except Exception as exc:
        raise DataFileError(f"{path.name}: CSV kann nicht gelesen werden ({exc}).") from exc
    missing = [c for c in _REQUIRED if c not in df.columns]
    if missing:
        raise DataFileError(f"{path.name}: Spalten fehlen: {', '.join(missing)}.")
    lat = pd.to_numeric(df["lat"], errors="coerce")
    lon = pd.to_numeric(df["lon"], errors="coerce")
    bad = lat.isna() | lon.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        raise DataFileError(
            f"{path.name}, Zeile {row}, Spalte „lat/lon“: Koordinaten fehlen oder sind keine Zahl."
        )
    gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(lon, lat), crs=settings.CRS_DISPLAY)
    gdf = _crs.to_metric(gdf)
    if area_3035 is not None:
        keep = shapely.contains_xy(area_3035.buffer(buffer_m), gdf.geometry.x, gdf.geometry.y)
        gdf = gdf.loc[keep].copy()
        gdf["inside"] = shapely.contains_xy(area_3035, gdf.geometry.x, gdf.geometry.y)
    else:
        gdf["inside"] = True
    for p in PRODUCTS:
        gdf[p] = gdf[p].astype(str).str.lower().isin(("true", "1", "yes"))
    flags = gdf[list(PRODUCTS)].to_numpy()
    names = np.array([PRODUCT_LABELS[p] for p in PRODUCTS], dtype=object)
    gdf["products"] = [", ".join(names[row]) for row in flags]
    gdf["weight"] = pd.to_numeric(gdf["weight"], errors="coerce").fillna(0.0)
    gdf["level"] = service_level(gdf["weight"].to_numpy())
    cols = ["id", "name", "type", "weight", "level", "products", *PRODUCTS, "inside", "geometry"]
    return gdf[cols].reset_index(drop=True)


def empty_stops() -> gpd.GeoDataFrame:
    """An empty stops table with the usual columns (regions without stop data)."""
    cols = {
        "id": [],
        "name": [],
        "type": [],
        "weight": [],
        "level": [],
        "products": [],
        **{p: [] for p in PRODUCTS},
        "inside": [],
    }
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries([], crs=settings.CRS_METRIC))


# ---------------------------------------------------------------------------
# Proxy without a timetable: Haltestellen-Erschließung
# ---------------------------------------------------------------------------
MODEL_STOP_ACCESS = "proxy:stop-access"


@dataclass
class StopAccess:
    """Walking access to stops by service level – a proxy, *not* a travel time to a service.

    Attributes
    ----------
    minutes : dict of level → float array
        Walking minutes from each cell to the nearest stop of that service
        level or better (``inf`` if there is none).
    best_level : int array
        Index into ``LEVELS`` of the best level within ``threshold_min``
        walking minutes, -1 where no stop is that close.
    threshold_min : float
    info : dict
        The measure as data (kind, source, walking model, threshold).
    """

    minutes: dict[str, np.ndarray]
    best_level: np.ndarray
    threshold_min: float
    info: dict = field(default_factory=dict)


def stop_access(
    cells_xy: np.ndarray,
    stops: gpd.GeoDataFrame,
    threshold_min: float = settings.TRANSIT_PROXY_WALK_MIN,
    network=None,
) -> StopAccess:
    """Walking minutes to the nearest stop of each service level (``level`` of :func:`read_stops`).

    Parameters
    ----------
    cells_xy : (n, 2) array, EPSG:3035
    stops : GeoDataFrame from :func:`read_stops` (``level``, point geometry)
    threshold_min : float
        Walking minutes for ``best_level``.
    network : Network, optional
        Walking network; without it straight line × detour at walking speed.

    Returns
    -------
    StopAccess
    """
    cells_xy = traveltime.as_points(cells_xy, "Zellen")
    names = [name for _, name in LEVELS]
    rank = (
        pd.Categorical(stops["level"], categories=names).codes if len(stops) else np.zeros(0, int)
    )
    xy = np.column_stack([stops.geometry.x, stops.geometry.y]) if len(stops) else np.zeros((0, 2))
    minutes, best = {}, np.full(len(cells_xy), -1, np.int64)
    for k, name in enumerate(names):
        sel = xy[rank >= k]
        minutes[name] = traveltime.nearest_field(cells_xy, sel, "walk", network).minutes
        best[minutes[name] <= float(threshold_min)] = k
    info = {
        "kind": MODEL_STOP_ACCESS,
        "measure": "stop_access",
        "source": Path(STOPS_FILE).name,
        "travel_time_to_service": False,
        "threshold_min": float(threshold_min),
        "levels": names,
        "walk": "network:osm" if network is not None else "fallback",
        "walk_speed_kmh": traveltime.fallback_speed_kmh("walk"),
    }
    return StopAccess(minutes, best, float(threshold_min), info)


def level_shares(best_level: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted share per class: index 0 = no stop within the walk, ``1 + k`` = level ``k``.

    ``nan`` everywhere when the weights sum to zero (e.g. no population data).
    """
    best = np.asarray(best_level, dtype=np.int64)
    w = np.asarray(weights, dtype=float)
    sums = np.bincount(best + 1, weights=w, minlength=len(LEVELS) + 1)[: len(LEVELS) + 1]
    total = sums.sum()
    return sums / total if total > 0 else np.full(len(LEVELS) + 1, np.nan)
