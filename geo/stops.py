"""Public-transport stops (DB HAFAS station list) with products and service level."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import settings
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
    gdf = gdf.to_crs(settings.CRS_METRIC)
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
