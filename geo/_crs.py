"""Coordinate transformations that stay cheap in every thread.

PROJ objects are not shared between threads: ``pyproj`` builds a transformer's PROJ
object again in each new thread, and ``Transformer.from_crs`` (which ``to_crs`` uses)
searches PROJ's database for the operation each time, ~40 ms per CRS pair. Streamlit
runs every rerun in a new thread, so a rerun that reprojected sites, services and the
scenario's positions paid that search three or four times (``benchmarks/load.py``,
thueringen: a fifth of the server's script time). Here the operation is looked up once
per process and kept as its PROJ pipeline; building a pipeline in a new thread takes
under 1 ms and gives the same coordinates.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from typing import TypeVar

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.transformer import TransformerGroup

from geo import settings

Frame = TypeVar("Frame", gpd.GeoDataFrame, gpd.GeoSeries)


@lru_cache(maxsize=32)
def transformer(src: str, dst: str) -> Transformer:
    """The transformer ``src`` → ``dst`` (x/y = lon/lat order), cheap in every thread.

    Built from the PROJ pipeline of the operation ``Transformer.from_crs`` would use when
    there is exactly one; otherwise (several operations chosen per point by area of use)
    ``Transformer.from_crs`` itself.
    """
    with warnings.catch_warnings():  # a missing grid: from_crs below reports the same
        warnings.simplefilter("ignore", UserWarning)
        group = TransformerGroup(src, dst, always_xy=True)
    pipelines = {t.definition for t in group.transformers}
    if group.best_available and len(pipelines) == 1:
        return Transformer.from_pipeline(pipelines.pop())
    return Transformer.from_crs(src, dst, always_xy=True)


@lru_cache(maxsize=64)
def _key(srs: str) -> str:
    """``EPSG:<code>`` of a CRS given as user input (an exact match), else its WKT.

    Keyed on the CRS's input text (``CRS.srs``, a plain attribute): touching a CRS's
    PROJ object builds it again in every thread (30 ms for the PROJJSON of a GeoParquet
    file).
    """
    c = CRS.from_user_input(srs)
    epsg = c.to_epsg(min_confidence=100)
    return f"EPSG:{epsg}" if epsg is not None else c.to_wkt()


def _srs(crs: object) -> str:
    return crs if isinstance(crs, str) else CRS.from_user_input(crs).srs


def short(obj: Frame) -> Frame:
    """``obj`` with its CRS spelled ``EPSG:<code>`` where it is exactly one (in place).

    Files (GeoParquet) carry the CRS as PROJJSON; every new thread that compares or uses
    it parses that again. Applied when a region is loaded.
    """
    if obj.crs is not None:
        key = _key(obj.crs.srs)
        if key.startswith("EPSG:") and obj.crs.srs != key:
            obj.set_crs(key, allow_override=True, inplace=True)
    return obj


def reproject(obj: Frame, crs: object) -> Frame:
    """``obj.to_crs(crs)`` with the transformer of :func:`transformer` (same result).

    Raises
    ------
    ValueError
        ``obj`` has no CRS.
    """
    if obj.crs is None:
        raise ValueError("Geodaten ohne Koordinatenbezugssystem")
    src, target = _key(obj.crs.srs), _key(_srs(crs))
    if src == target:
        return obj.copy()
    fn = transformer(src, target).transform
    values = np.asarray(obj.geometry.array, dtype=object)
    has_z = shapely.has_z(values)
    moved = np.empty_like(values)
    moved[~has_z] = shapely.transform(values[~has_z], fn, interleaved=False)
    if has_z.any():
        moved[has_z] = shapely.transform(values[has_z], fn, include_z=True, interleaved=False)
    series = gpd.GeoSeries(moved, index=obj.index, crs=target, name=obj.geometry.name)
    if isinstance(obj, gpd.GeoSeries):
        return series
    out = obj.copy()
    out[obj.geometry.name] = series
    return out.set_geometry(obj.geometry.name, crs=target)


def to_display(obj: Frame) -> Frame:
    """Reproject to the display CRS (EPSG:4326)."""
    return reproject(obj, settings.CRS_DISPLAY)


def to_metric(obj: Frame) -> Frame:
    """Reproject to the metric CRS (EPSG:3035)."""
    return reproject(obj, settings.CRS_METRIC)
