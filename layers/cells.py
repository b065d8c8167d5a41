"""Population surface (100 m cells) as one coloured raster image overlay.

Thousands of 100 m squares as GeoJSON make the browser crawl. Instead the cells are
rasterised in their own grid (EPSG:3035) and resampled, nearest neighbour, onto a
Web-Mercator pixel grid, which is exactly how Leaflet stretches an ``ImageOverlay``
between its south-west and north-east corners. Each output pixel looks up the 100 m
cell that contains its centre, so cells keep their true position at every zoom level.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass

import folium
import numpy as np
import pandas as pd
from PIL import Image
from pyproj import Transformer

from geo import settings
from layers._html import format_int
from layers.legend import LegendEntry, LegendSection, fill_swatch

LAYER_POPULATION = "Bevölkerung (100-m-Raster)"
CRS_WEB_MERCATOR = "EPSG:3857"

# Lower class bounds of inhabitants per 100 m cell (= per hectare), one per colour of
# settings.POPULATION_COLORS. TODO(lead): move to geo/settings.py as POPULATION_BREAKS.
POPULATION_BREAKS: tuple[float, ...] = (0, 5, 10, 20, 40, 80, 160)
OPACITY = 0.75
MAX_PIXELS = 6_000_000  # output size cap: large regions get fewer pixels per cell (at least 1)


@dataclass(frozen=True)
class RasterImage:
    """A PNG in Web-Mercator pixel geometry and its corners in lat/lon.

    Attributes
    ----------
    png : bytes
        RGBA PNG; transparent where there is no populated cell.
    bounds : tuple
        ``((south, west), (north, east))`` in degrees, as ``folium.ImageOverlay`` wants them.
    width, height : int
        Size in pixels.
    n_cells : int
        Number of cells drawn.
    """

    png: bytes
    bounds: tuple[tuple[float, float], tuple[float, float]]
    width: int
    height: int
    n_cells: int

    @property
    def data_url(self) -> str:
        """The PNG as a ``data:`` URL."""
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def _hex_to_rgba(color: str, alpha: int = 255) -> tuple[int, int, int, int]:
    c = color.lstrip("#")
    if len(c) == 3:
        c = "".join(ch * 2 for ch in c)
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16), alpha


def classify(values: np.ndarray, breaks: Sequence[float]) -> np.ndarray:
    """Class index per value: ``i`` for ``breaks[i] <= v < breaks[i+1]``; ``-1`` if ``v <= 0``.

    Parameters
    ----------
    values : ndarray
        Inhabitants per cell.
    breaks : sequence of float
        Ascending lower class bounds; the first is usually 0.

    Returns
    -------
    ndarray of int
    """
    v = np.asarray(values, dtype=float)
    idx = np.searchsorted(np.asarray(breaks, dtype=float), v, side="right") - 1
    idx = np.clip(idx, 0, len(breaks) - 1)
    return np.where(np.isfinite(v) & (v > 0), idx, -1)


def population_raster(cells: pd.DataFrame, column: str = "pop",
                      breaks: Sequence[float] = POPULATION_BREAKS,
                      colors: Sequence[str] = settings.POPULATION_COLORS,
                      oversample: int = 3, max_pixels: int = MAX_PIXELS) -> RasterImage:
    """Rasterise a cell column into a classed RGBA PNG for ``ImageOverlay``.

    Parameters
    ----------
    cells : DataFrame
        ``region.cells``: ``x``, ``y`` (EPSG:3035 cell centres) and ``column``.
    column : str
        Value column, default inhabitants (``"pop"``).
    breaks : sequence of float
        Lower class bounds, one per colour.
    colors : sequence of str
        ``#rrggbb`` colour per class.
    oversample : int
        Output pixels per cell edge (higher gives crisper cell edges, larger PNG).
    max_pixels : int
        Upper bound of the image size; ``oversample`` is lowered (not below 1) to meet it.

    Returns
    -------
    RasterImage
    """
    if len(breaks) != len(colors):
        raise ValueError("Anzahl der Klassengrenzen und Farben unterscheidet sich")
    size = float(settings.CELL_SIZE_M)
    data = cells[["x", "y", column]].to_numpy(dtype=float)
    cls = classify(data[:, 2], breaks)
    keep = cls >= 0
    data, cls = data[keep], cls[keep]
    if len(data) == 0:
        raise ValueError("keine besiedelten Zellen")

    # Source grid (EPSG:3035), row 0 at the top.
    x0 = data[:, 0].min() - size / 2
    y1 = data[:, 1].max() + size / 2
    cols = np.floor((data[:, 0] - x0) / size).astype(int)
    rows = np.floor((y1 - data[:, 1]) / size).astype(int)
    grid = np.full((rows.max() + 1, cols.max() + 1), -1, dtype=np.int16)
    grid[rows, cols] = cls
    height_src, width_src = grid.shape
    x1 = x0 + width_src * size
    y0 = y1 - height_src * size
    # Mercator stretches cells by about 1/cos(latitude), i.e. 1.6 x 1.6 here.
    affordable = int(np.sqrt(max_pixels / (2.6 * width_src * height_src)))
    oversample = max(1, min(int(oversample), affordable))

    # Web-Mercator extent of the source grid (edges densified: projections curve).
    to_merc = Transformer.from_crs(settings.CRS_METRIC, CRS_WEB_MERCATOR, always_xy=True)
    n = 64
    ex = np.concatenate([np.linspace(x0, x1, n), np.full(n, x1), np.linspace(x1, x0, n),
                         np.full(n, x0)])
    ey = np.concatenate([np.full(n, y0), np.linspace(y0, y1, n), np.full(n, y1),
                         np.linspace(y1, y0, n)])
    mx, my = to_merc.transform(ex, ey)
    mx0, mx1, my0, my1 = float(np.min(mx)), float(np.max(mx)), float(np.min(my)), float(np.max(my))

    # Output pixel size: a cell's size in Mercator units at the centre, / oversample.
    cx, cy = to_merc.transform([(x0 + x1) / 2, (x0 + x1) / 2 + size], [(y0 + y1) / 2] * 2)
    pixel = abs(cx[1] - cx[0]) / max(int(oversample), 1)
    width = max(int(np.ceil((mx1 - mx0) / pixel)), 1)
    height = max(int(np.ceil((my1 - my0) / pixel)), 1)
    mx1 = mx0 + width * pixel
    my0 = my1 - height * pixel

    # Pixel centres back to EPSG:3035 and look up the containing cell.
    px = mx0 + (np.arange(width) + 0.5) * pixel
    py = my1 - (np.arange(height) + 0.5) * pixel
    gx, gy = np.meshgrid(px, py)
    to_laea = Transformer.from_crs(CRS_WEB_MERCATOR, settings.CRS_METRIC, always_xy=True)
    sx, sy = to_laea.transform(gx.ravel(), gy.ravel())
    c = np.floor((np.asarray(sx) - x0) / size).astype(np.int64)
    r = np.floor((y1 - np.asarray(sy)) / size).astype(np.int64)
    inside = (c >= 0) & (c < width_src) & (r >= 0) & (r < height_src)
    out_cls = np.full(c.shape, -1, dtype=np.int16)
    out_cls[inside] = grid[r[inside], c[inside]]

    palette = np.array([_hex_to_rgba(col) for col in colors] + [(0, 0, 0, 0)], dtype=np.uint8)
    rgba = palette[out_cls.reshape(height, width)]  # -1 picks the transparent last entry
    buffer = io.BytesIO()
    Image.fromarray(rgba, mode="RGBA").save(buffer, format="PNG", optimize=True)

    to_deg = Transformer.from_crs(CRS_WEB_MERCATOR, settings.CRS_DISPLAY, always_xy=True)
    west, south = to_deg.transform(mx0, my0)
    east, north = to_deg.transform(mx1, my1)
    return RasterImage(png=buffer.getvalue(), bounds=((south, west), (north, east)),
                       width=width, height=height, n_cells=int(len(data)))


def population_layer(raster: RasterImage, pane: str, show: bool = True,
                     name: str = LAYER_POPULATION) -> folium.raster_layers.ImageOverlay:
    """The raster as a folium ``ImageOverlay`` (pixelated, not interactive).

    Parameters
    ----------
    raster : RasterImage
        Output of :func:`population_raster`.
    pane : str
        Map pane name.
    show : bool
        Initially visible.
    name : str
        Layer name in the layer control.
    """
    return folium.raster_layers.ImageOverlay(
        image=raster.data_url,
        bounds=[list(raster.bounds[0]), list(raster.bounds[1])],
        name=name, show=show, opacity=OPACITY, pane=pane, interactive=False,
        class_name="nahraum-raster", attribution=settings.ATTRIBUTION["zensus"],
    )


def class_labels(breaks: Sequence[float] = POPULATION_BREAKS) -> list[str]:
    """German class labels such as ``"unter 5"``, ``"5 bis unter 10"``, ``"160 und mehr"``."""
    labels = []
    for i, low in enumerate(breaks):
        if i == len(breaks) - 1:
            labels.append(f"{format_int(low)} und mehr")
        elif i == 0 and low <= 0:
            labels.append(f"unter {format_int(breaks[1])}")
        else:
            labels.append(f"{format_int(low)} bis unter {format_int(breaks[i + 1])}")
    return labels


def legend_section(breaks: Sequence[float] = POPULATION_BREAKS,
                   colors: Sequence[str] = settings.POPULATION_COLORS,
                   name: str = LAYER_POPULATION) -> LegendSection:
    """Legend rows for the population raster."""
    entries = tuple(LegendEntry(label, fill_swatch(color, border=color, opacity=OPACITY))
                    for label, color in zip(class_labels(breaks), colors, strict=True))
    return LegendSection(title="Einwohner:innen je Hektar (100-m-Zelle)", entries=entries,
                         layer_name=name, note="Zensus 2022, auf amtliche Gemeindesummen skaliert")
