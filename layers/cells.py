"""100 m cells as one coloured raster image overlay: population and accessibility measures.

Thousands of 100 m squares as GeoJSON make the browser crawl. Instead the cells are
rasterised in their own grid (EPSG:3035) and resampled, nearest neighbour, onto a
Web-Mercator pixel grid, which is exactly how Leaflet stretches an ``ImageOverlay``
between its south-west and north-east corners. Each output pixel looks up the 100 m
cell that contains its centre, so cells keep their true position at every zoom level.

The lookup (:class:`CellGrid`) depends only on the cells, so it is computed once per
region; a new measure or parameter set only re-colours it (:func:`paint`), which takes
milliseconds. Class breaks, colours and labels come from ``present.classes`` (the same
classes as the report map and the XLSX legend); :func:`classes_legend` draws them.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import folium
import numpy as np
import pandas as pd
import shapely
from PIL import Image
from pyproj import Transformer

from geo import settings
from geo._io import atomic_path
from layers._html import feature_collection, js_code
from layers.legend import LegendEntry, LegendSection, fill_swatch, line_swatch
from present import i18n
from present.classes import Classes, classify_lower, lower_labels
from present.numbers import auto_number

LAYER_POPULATION = "Bevölkerung (100-m-Raster)"
CRS_WEB_MERCATOR = "EPSG:3857"

# Kept for callers of the former module constant; the value lives in settings.
POPULATION_BREAKS: tuple[float, ...] = settings.POPULATION_BREAKS
OPACITY = 0.75
MAX_PIXELS = 6_000_000  # output size cap: large regions get fewer pixels per cell (at least 1)
BEYOND_LINE = settings.COVERAGE_COLORS[1]  # outline of cells beyond the threshold
OUTLINE_MARGIN_M = 40.0  # the outline of cells beyond the threshold runs this far outside
OUTLINE_MAX_CELLS = 20_000  # more cells beyond the threshold: no outline (too slow, too heavy)


@dataclass(frozen=True)
class RasterImage:
    """A PNG in Web-Mercator pixel geometry and its corners in lat/lon.

    Attributes
    ----------
    png : bytes
        PNG (palette with transparency); transparent where no cell is drawn.
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


@dataclass(frozen=True)
class CellGrid:
    """Which cell each pixel of a Web-Mercator image shows (computed once per region).

    Attributes
    ----------
    index : ndarray of int32, shape (height, width)
        Row of the cell table shown by each pixel; -1 where there is no cell.
    bounds : tuple
        ``((south, west), (north, east))`` of the image in degrees.
    n_cells : int
        Number of cells (rows of the cell table).
    """

    index: np.ndarray
    bounds: tuple[tuple[float, float], tuple[float, float]]
    n_cells: int

    def save(self, path: str | Path) -> Path:
        """Write the lookup to an ``.npz`` file atomically (the region cache's derived files)."""
        path = Path(path)
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez(
                fh,
                index=self.index,
                bounds=np.asarray(self.bounds, dtype=float),
                n_cells=np.int64(self.n_cells),
            )
        return path

    @classmethod
    def load(cls, path: str | Path) -> CellGrid:
        """Read a lookup written by :meth:`save` (``OSError``/``ValueError`` if unreadable)."""
        with np.load(Path(path), allow_pickle=False) as z:
            index, bounds, n_cells = z["index"], z["bounds"], int(z["n_cells"])
        if index.ndim != 2 or index.dtype != np.int32 or bounds.shape != (2, 2):
            raise ValueError(f"{path}: keine Pixel-Zellen-Zuordnung")
        (south, west), (north, east) = bounds.tolist()
        return cls(index=index, bounds=((south, west), (north, east)), n_cells=n_cells)

    @property
    def width(self) -> int:
        """Image width in pixels."""
        return int(self.index.shape[1])

    @property
    def height(self) -> int:
        """Image height in pixels."""
        return int(self.index.shape[0])


def _hex_to_rgba(color: str, alpha: int = 255) -> tuple[int, int, int, int]:
    c = color.lstrip("#")
    if len(c) == 3:
        c = "".join(ch * 2 for ch in c)
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16), alpha


def cell_grid(cells: pd.DataFrame, oversample: int = 3, max_pixels: int = MAX_PIXELS) -> CellGrid:
    """Pixel → cell lookup for the cells' bounding box in Web Mercator.

    Parameters
    ----------
    cells : DataFrame
        ``x``, ``y``: EPSG:3035 cell centres (e.g. ``region.cells``), one row per cell.
    oversample : int
        Output pixels per cell edge (higher gives crisper cell edges, larger PNG).
    max_pixels : int
        Upper bound of the image size; ``oversample`` is lowered (not below 1) to meet it.

    Returns
    -------
    CellGrid

    Raises
    ------
    ValueError
        If there is no cell.
    """
    size = float(settings.CELL_SIZE_M)
    xy = cells[["x", "y"]].to_numpy(dtype=float)
    if len(xy) == 0:
        raise ValueError("keine besiedelten Zellen")

    # Source grid (EPSG:3035), row 0 at the top; value = row of the cell table.
    x0 = xy[:, 0].min() - size / 2
    y1 = xy[:, 1].max() + size / 2
    cols = np.floor((xy[:, 0] - x0) / size).astype(int)
    rows = np.floor((y1 - xy[:, 1]) / size).astype(int)
    grid = np.full((rows.max() + 1, cols.max() + 1), -1, dtype=np.int32)
    grid[rows, cols] = np.arange(len(xy), dtype=np.int32)
    height_src, width_src = grid.shape
    x1 = x0 + width_src * size
    y0 = y1 - height_src * size
    # Mercator stretches cells by about 1/cos(latitude), i.e. 1.6 x 1.6 here.
    affordable = int(np.sqrt(max_pixels / (2.6 * width_src * height_src)))
    oversample = max(1, min(int(oversample), affordable))

    # Web-Mercator extent of the source grid (edges densified: projections curve).
    to_merc = Transformer.from_crs(settings.CRS_METRIC, CRS_WEB_MERCATOR, always_xy=True)
    n = 64
    ex = np.concatenate(
        [np.linspace(x0, x1, n), np.full(n, x1), np.linspace(x1, x0, n), np.full(n, x0)]
    )
    ey = np.concatenate(
        [np.full(n, y0), np.linspace(y0, y1, n), np.full(n, y1), np.linspace(y1, y0, n)]
    )
    mx, my = to_merc.transform(ex, ey)
    mx0, mx1, my0, my1 = float(np.min(mx)), float(np.max(mx)), float(np.min(my)), float(np.max(my))

    # Output pixel size: a cell's size in Mercator units at the centre, / oversample.
    cx, _ = to_merc.transform([(x0 + x1) / 2, (x0 + x1) / 2 + size], [(y0 + y1) / 2] * 2)
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
    index = np.full(c.shape, -1, dtype=np.int32)
    index[inside] = grid[r[inside], c[inside]]

    to_deg = Transformer.from_crs(CRS_WEB_MERCATOR, settings.CRS_DISPLAY, always_xy=True)
    west, south = to_deg.transform(mx0, my0)
    east, north = to_deg.transform(mx1, my1)
    return CellGrid(
        index=index.reshape(height, width), bounds=((south, west), (north, east)), n_cells=len(xy)
    )


def paint(grid: CellGrid, codes: np.ndarray, colors: Sequence[str]) -> RasterImage:
    """Colour a :class:`CellGrid`: class ``codes[i]`` of cell ``i`` in ``colors``.

    Parameters
    ----------
    grid : CellGrid
        Lookup of the same cells (same order) as ``codes``.
    codes : ndarray of int, shape (n_cells,)
        Class per cell, -1 (or any value outside ``colors``) = not drawn.
    colors : sequence of str
        ``#rrggbb`` colour per class (at most 255).

    Returns
    -------
    RasterImage
        A palette PNG (small and fast to encode) with a transparent background.
    """
    codes = np.asarray(codes, dtype=np.int64)
    if codes.shape != (grid.n_cells,):
        raise ValueError("Klassen und Zellen passen nicht zusammen")
    n = len(colors)
    if n > 255:
        raise ValueError("höchstens 255 Farben")
    transparent = n
    lut = np.where((codes >= 0) & (codes < n), codes, transparent).astype(np.uint8)
    lut = np.append(lut, np.uint8(transparent))  # index -1 picks the transparent entry
    pixels = lut[grid.index]
    palette = [v for col in colors for v in _hex_to_rgba(col)[:3]] + [0, 0, 0]
    image = Image.fromarray(pixels, mode="P")
    image.putpalette(palette)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", transparency=transparent, compress_level=6)
    return RasterImage(
        png=buffer.getvalue(),
        bounds=grid.bounds,
        width=grid.width,
        height=grid.height,
        n_cells=int((lut[:-1] != transparent).sum()),
    )


def population_raster(
    cells: pd.DataFrame,
    column: str = "pop",
    breaks: Sequence[float] = settings.POPULATION_BREAKS,
    colors: Sequence[str] = settings.POPULATION_COLORS,
    oversample: int = 3,
    max_pixels: int = MAX_PIXELS,
    grid: CellGrid | None = None,
) -> RasterImage:
    """Rasterise a cell column into a classed PNG for ``ImageOverlay``.

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
        Output pixels per cell edge.
    max_pixels : int
        Upper bound of the image size.
    grid : CellGrid, optional
        ``cell_grid(cells, oversample, max_pixels)``, already computed (the measure
        rasters use it): reused when every cell is in a class, which saves projecting
        every pixel again (1 s for Thuringia).

    Returns
    -------
    RasterImage
    """
    if len(breaks) != len(colors):
        raise ValueError("Anzahl der Klassengrenzen und Farben unterscheidet sich")
    cls = classify_lower(cells[column].to_numpy(dtype=float), breaks)
    keep = cls >= 0
    if not keep.any():
        raise ValueError("keine besiedelten Zellen")
    if grid is None or not keep.all() or grid.n_cells != len(cells):
        grid = cell_grid(cells.loc[keep], oversample=oversample, max_pixels=max_pixels)
    return paint(grid, cls[keep], colors)


def population_layer(
    raster: RasterImage,
    pane: str,
    show: bool = True,
    name: str = LAYER_POPULATION,
    attribution: str = settings.ATTRIBUTION["zensus"],
) -> folium.raster_layers.ImageOverlay:
    """The raster as a folium ``ImageOverlay`` (pixelated, not interactive).

    Parameters
    ----------
    raster : RasterImage
        Output of :func:`population_raster` or :func:`paint`.
    pane : str
        Map pane name.
    show : bool
        Initially visible.
    name : str
        Layer name in the layer control.
    attribution : str
        Shown in the map's attribution line while the layer is on.
    """
    return folium.raster_layers.ImageOverlay(
        image=raster.data_url,
        bounds=[list(raster.bounds[0]), list(raster.bounds[1])],
        name=name,
        show=show,
        opacity=OPACITY,
        pane=pane,
        interactive=False,
        class_name="nahraum-raster",
        attribution=attribution,
    )


def legend_section(
    breaks: Sequence[float] = settings.POPULATION_BREAKS,
    colors: Sequence[str] = settings.POPULATION_COLORS,
    name: str = LAYER_POPULATION,
) -> LegendSection:
    """Legend rows for the population raster."""
    entries = tuple(
        LegendEntry(label, fill_swatch(color, border=color, opacity=OPACITY))
        for label, color in zip(lower_labels(breaks), colors, strict=True)
    )
    return LegendSection(
        title="Einwohner:innen je Hektar (100-m-Zelle)",
        entries=entries,
        layer_name=name,
        note="Zensus 2022, auf amtliche Gemeindesummen skaliert",
    )


# ---------------------------------------------------------------------------
# Legend of the classes (the classes themselves: present.classes)
# ---------------------------------------------------------------------------
def classes_legend(
    classes: Classes,
    name: str | None = None,
    note: str | None = None,
    extra: Sequence[LegendEntry] = (),
) -> LegendSection:
    """The legend section of ``classes`` (``extra`` rows appended)."""
    rows = tuple(
        LegendEntry(label, fill_swatch(color, border=color, opacity=OPACITY))
        for label, color in classes.rows()
    )
    return LegendSection(
        title=classes.title, entries=rows + tuple(extra), layer_name=name, note=note
    )


# ---------------------------------------------------------------------------
# Outline of cells beyond the threshold
# ---------------------------------------------------------------------------
def cells_outline_geojson(
    cells_xy: np.ndarray,
    mask: np.ndarray,
    cell_size: float = settings.CELL_SIZE_M,
    margin_m: float = OUTLINE_MARGIN_M,
) -> dict:
    """Outline around the selected 100 m squares as display GeoJSON (one (multi)polygon).

    The squares are merged and the outline is drawn ``margin_m`` outside them, so the
    line frames the cells without covering their colour; squares closer than twice the
    margin are framed together (a village, not each cell).

    Parameters
    ----------
    cells_xy : ndarray (n, 2)
        EPSG:3035 cell centres.
    mask : ndarray of bool (n,)
        Cells to outline.
    cell_size : float
        Edge length in metres.
    margin_m : float
        Distance of the line from the cells (0: on the cell edges).

    Returns
    -------
    dict
        FeatureCollection in EPSG:4326 (empty if no cell is selected).
    """
    xy = np.asarray(cells_xy, dtype=float)[np.asarray(mask, dtype=bool)]
    if len(xy) == 0:
        return {"type": "FeatureCollection", "features": []}
    union = shapely.coverage_union_all(row_runs(xy, float(cell_size)))
    if margin_m > 0:
        union = shapely.buffer(union, 2 * margin_m, quad_segs=2, join_style="mitre")
        union = shapely.buffer(union, -margin_m, quad_segs=2, join_style="mitre")
        union = shapely.simplify(union, margin_m / 4, preserve_topology=True)
    to_deg = Transformer.from_crs(settings.CRS_METRIC, settings.CRS_DISPLAY, always_xy=True)
    union = shapely.transform(union, lambda c: np.column_stack(to_deg.transform(c[:, 0], c[:, 1])))
    return feature_collection([union], [{}])


def row_runs(xy: np.ndarray, cell_size: float = settings.CELL_SIZE_M) -> np.ndarray:
    """Grid cells as rectangles, neighbours in a row merged (a valid polygon coverage).

    The union of these rectangles equals the union of the single squares, but with a
    few times fewer polygons it is much faster to compute.

    Parameters
    ----------
    xy : ndarray (n, 2)
        Cell centres on a common grid (EPSG:3035).
    cell_size : float
        Edge length in metres.

    Returns
    -------
    ndarray of shapely Polygons
    """
    h = cell_size / 2.0
    p = np.unique(np.asarray(xy, dtype=float), axis=0)  # sorted by x, then y
    p = p[np.lexsort((p[:, 0], p[:, 1]))]  # rows (y), then x within a row
    same_row = p[1:, 1] == p[:-1, 1]
    adjacent = np.abs(p[1:, 0] - p[:-1, 0] - cell_size) < 1e-6
    start = np.flatnonzero(np.concatenate([[True], ~(same_row & adjacent)]))
    end = np.append(start[1:], len(p)) - 1
    y = p[start, 1]
    return shapely.box(p[start, 0] - h, y - h, p[end, 0] + h, y + h)


def outline_layer(geojson: dict, pane: str, color: str = BEYOND_LINE) -> folium.GeoJson:
    """A crisp outline, not interactive; CSS (``nahraum-outline``) adds a white halo."""
    style = js_code(
        "function(f) { return {color: $color, weight: 1.8, opacity: 1, fill: false, "
        "className: 'nahraum-outline'}; }",
        color=color,
    )
    return folium.GeoJson(
        geojson, pane=pane, interactive=False, control=False, style=folium.utilities.JsCode(style)
    )


def beyond_legend_entry(threshold: float, lang: str = i18n.DEFAULT_LANG) -> LegendEntry:
    """Legend row of the outline of cells beyond the threshold."""
    return LegendEntry(
        i18n.t("lg_beyond_line", lang, T=auto_number(threshold, lang)),
        line_swatch(BEYOND_LINE, 2.5),
    )
