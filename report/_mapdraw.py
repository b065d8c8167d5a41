"""Drawing helpers for static maps (matplotlib, Agg; used by :mod:`report.export`).

The 100 m cells as one raster image (classes: ``present.classes``),
scale bar, north arrow, greedy non-colliding labels, spreading of services that
share a location, and the cached outline of Thuringia's Kreise for the inset.
Everything works in EPSG:3035 metres.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.patches import FancyArrow, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from shapely.ops import polylabel

from geo import settings
from geo._io import atomic_path
from present.numbers import auto_number

HALO = [patheffects.withStroke(linewidth=2.2, foreground="white")]


def fit_extent(
    bounds: Sequence[float], box_w_in: float, box_h_in: float, pad_frac: float = 0.03
) -> tuple[float, float, float, float]:
    """Data extent (x0, x1, y0, y1) around ``bounds`` with the aspect of the axes box.

    The shorter side is widened symmetrically, so that ``set_aspect("equal")``
    needs no further adjustment and the region is centred.
    """
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    pad = pad_frac * max(maxx - minx, maxy - miny)
    w, h = maxx - minx + 2 * pad, maxy - miny + 2 * pad
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    target = box_w_in / box_h_in
    if w / h < target:
        w = h * target
    else:
        h = w / target
    return cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2


# ---------------------------------------------------------------------------
# Geometries as matplotlib collections (no geopandas.plot: it redraws the canvas)
# ---------------------------------------------------------------------------
def simplify_coverage(geoms: gpd.GeoSeries, tolerance: float) -> gpd.GeoSeries:
    """Simplify polygons that share edges without opening gaps between them.

    ``shapely.coverage_simplify`` keeps shared borders identical, so unions of
    the result (Kreise, the region outline) have no slivers; invalid coverages
    fall back to simplifying each polygon.
    """
    arr = np.asarray(geoms.values)
    try:
        out = shapely.coverage_simplify(arr, tolerance)
    except Exception:  # GEOS rejects invalid coverages
        out = shapely.simplify(arr, tolerance)
    return gpd.GeoSeries(out, index=geoms.index, crs=geoms.crs)


def _ring_codes(n: int) -> list[int]:
    return [MplPath.MOVETO] + [MplPath.LINETO] * (n - 2) + [MplPath.CLOSEPOLY]


def polygon_path(geom: shapely.Geometry) -> MplPath | None:
    """A compound path of a (multi)polygon with holes (even-odd filling)."""
    verts: list[np.ndarray] = []
    codes: list[int] = []
    for poly in shapely.get_parts(geom):
        if poly.geom_type != "Polygon" or poly.is_empty:
            continue
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords)
            if len(xy) < 3:
                continue
            verts.append(xy)
            codes += _ring_codes(len(xy))
    if not verts:
        return None
    return MplPath(np.concatenate(verts), codes)


def add_polygons(
    ax: Axes,
    geoms: Sequence[shapely.Geometry],
    facecolors: Sequence[str] | str,
    zorder: float,
    edgecolor: str = "none",
    linewidth: float = 0.0,
) -> PathCollection:
    """Fill (multi)polygons as one PathCollection."""
    paths, faces = [], []
    fc = [facecolors] * len(geoms) if isinstance(facecolors, str) else list(facecolors)
    for geom, color in zip(geoms, fc, strict=True):
        path = polygon_path(geom) if geom is not None else None
        if path is not None:
            paths.append(path)
            faces.append(color)
    coll = PathCollection(
        paths, facecolors=faces, edgecolors=edgecolor, linewidths=linewidth, zorder=zorder
    )
    ax.add_collection(coll, autolim=False)
    return coll


def add_outlines(
    ax: Axes, geoms: Sequence[shapely.Geometry], color: str, linewidth: float, zorder: float
) -> LineCollection:
    """Draw the rings of (multi)polygons as one LineCollection."""
    segs = []
    for geom in geoms:
        if geom is None:
            continue
        for line in shapely.get_parts(shapely.boundary(geom)):
            for part in shapely.get_parts(line):
                xy = np.asarray(part.coords)
                if len(xy) > 1:
                    segs.append(xy)
    coll = LineCollection(
        segs, colors=color, linewidths=linewidth, zorder=zorder, capstyle="round", joinstyle="round"
    )
    ax.add_collection(coll, autolim=False)
    return coll


# ---------------------------------------------------------------------------
# Raster of the 100 m cells
# ---------------------------------------------------------------------------
def cell_raster(
    x: np.ndarray,
    y: np.ndarray,
    codes: np.ndarray,
    colors: Sequence[str],
    bounds: tuple[float, float, float, float],
    cell: float = settings.CELL_SIZE_M,
) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """RGBA image (rows north → south) of classified cell centres, transparent elsewhere.

    Returns
    -------
    (image, extent)
        ``extent`` = (left, right, bottom, top) in metres for ``imshow``.
    """
    from matplotlib.colors import to_rgba_array

    x0 = math.floor(bounds[0] / cell) * cell
    y0 = math.floor(bounds[1] / cell) * cell
    x1 = math.ceil(bounds[2] / cell) * cell
    y1 = math.ceil(bounds[3] / cell) * cell
    nx = max(int(round((x1 - x0) / cell)), 1)
    ny = max(int(round((y1 - y0) / cell)), 1)
    img = np.zeros((ny, nx, 4), dtype=np.uint8)
    col = np.floor((np.asarray(x, float) - x0) / cell).astype(np.int64)
    row = np.floor((y1 - np.asarray(y, float)) / cell).astype(np.int64)
    ok = (codes >= 0) & (col >= 0) & (col < nx) & (row >= 0) & (row < ny)
    lut = (to_rgba_array(list(colors)) * 255).round().astype(np.uint8)
    img[row[ok], col[ok]] = lut[np.asarray(codes)[ok]]
    return img, (x0, x1, y0, y1)


# ---------------------------------------------------------------------------
# Scale bar and north arrow
# ---------------------------------------------------------------------------
def scale_length_m(width_m: float, fraction: float = 0.22) -> float:
    """A round length (1, 2, 2.5, 5 × 10^k m, ≥ 1 km when possible) near ``fraction`` of the width."""
    target = max(width_m * fraction, 1.0)
    exp = math.floor(math.log10(target))
    candidates = [m * 10**e for e in (exp - 1, exp, exp + 1) for m in (1, 2, 2.5, 5)]
    fit = [c for c in candidates if c <= target]
    return max(fit) if fit else min(candidates)


def draw_scalebar(ax: Axes, fontsize: float, pad_frac: float = 0.03, lang: str = "de") -> list:
    """Two-segment black/white scale bar in the lower left; labels in km (or m)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    w, h = x1 - x0, y1 - y0
    length = scale_length_m(w)
    bx = x0 + pad_frac * w
    by = y0 + pad_frac * h * 1.4
    bh = 0.009 * h
    half = length / 2
    artists = [
        ax.add_patch(
            Rectangle((bx, by), half, bh, facecolor="black", edgecolor="black", lw=0.6, zorder=20)
        ),
        ax.add_patch(
            Rectangle(
                (bx + half, by), half, bh, facecolor="white", edgecolor="black", lw=0.6, zorder=20
            )
        ),
    ]
    km = length >= 1000

    def label(v: float) -> str:
        return auto_number(v / 1000 if km else v, lang)

    for pos, val in ((0, 0), (half, half), (length, length)):
        artists.append(
            ax.text(
                bx + pos,
                by + bh * 1.6,
                label(val),
                ha="center",
                va="bottom",
                fontsize=fontsize,
                zorder=21,
                path_effects=HALO,
            )
        )
    artists.append(
        ax.text(
            bx + length + 0.012 * w,
            by + bh / 2,
            "km" if km else "m",
            ha="left",
            va="center",
            fontsize=fontsize,
            zorder=21,
            path_effects=HALO,
        )
    )
    for a in artists[2:]:
        text_twin(a)
    return artists


def draw_north_arrow(ax: Axes, fontsize: float) -> list:
    """North arrow in the upper right (grid north of EPSG:3035, ≈ true north here)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    w, h = x1 - x0, y1 - y0
    cx = x1 - 0.045 * w
    top = y1 - 0.04 * h
    length = 0.075 * h
    arrow = FancyArrow(
        cx,
        top - length,
        0,
        length * 0.9,
        width=0.012 * w,
        head_width=0.035 * w,
        head_length=0.035 * h,
        length_includes_head=True,
        color="black",
        zorder=20,
    )
    ax.add_patch(arrow)
    text = ax.text(
        cx,
        top - length - 0.008 * h,
        "N",
        ha="center",
        va="top",
        fontsize=fontsize,
        fontweight="bold",
        zorder=21,
        path_effects=HALO,
    )
    text_twin(text)
    return [arrow, text]


# ---------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------
def label_point(geom: shapely.Geometry) -> shapely.Point:
    """Visual centre of a (multi)polygon: pole of inaccessibility of its largest part."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon"]
    if not parts:
        return geom.representative_point()
    largest = max(parts, key=lambda p: p.area)
    try:
        return polylabel(largest, tolerance=max(largest.length / 500.0, 10.0))
    except Exception:  # degenerate rings
        return largest.representative_point()


def wrap_name(name: str, width: int = 16) -> str:
    """Break a long name once, after ``/`` or ``-`` or at a blank near the middle."""
    if len(name) <= width:
        return name
    cands = [i + 1 for i, ch in enumerate(name) if ch in "/-"]
    cands += [i for i, ch in enumerate(name) if ch == " "]
    if not cands:
        return name
    mid = len(name) / 2
    i = min(cands, key=lambda k: abs(k - mid))
    return (name[:i].rstrip() + "\n" + name[i:].lstrip()).strip()


def _overlaps(a: Bbox, others: Sequence[Bbox]) -> bool:
    return any(a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1 for b in others)


def place_labels(
    ax: Axes,
    xs: Sequence[float],
    ys: Sequence[float],
    texts: Sequence[str],
    priority: Sequence[float],
    fontsizes: Sequence[float],
    obstacles: Sequence[Bbox] = (),
    bold: Sequence[bool] | None = None,
    offset_pt: float = 7.0,
    pad_px: float = 1.5,
) -> list[Text]:
    """Greedy label placement: highest priority first, never overlapping.

    Each label tries its anchor (centred), then above, below, right, left and
    the four diagonals (``offset_pt`` away). A position is taken when its
    bounding box (grown by ``pad_px``) lies inside the axes and overlaps neither
    a placed label nor an obstacle; a label without such a position is left out.

    Returns
    -------
    list of Text
        The placed labels (their window extents do not overlap pairwise).
    """
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    d = offset_pt
    positions = [
        ((0, 0), "center", "center"),
        ((0, d), "center", "bottom"),
        ((0, -d), "center", "top"),
        ((d, 0), "left", "center"),
        ((-d, 0), "right", "center"),
        ((d, d), "left", "bottom"),
        ((-d, d), "right", "bottom"),
        ((d, -d), "left", "top"),
        ((-d, -d), "right", "top"),
    ]
    placed: list[Text] = []
    boxes: list[Bbox] = []
    blocked = list(obstacles)
    order = np.argsort(-np.asarray(priority, dtype=float), kind="stable")
    for i in order:
        weight = "bold" if bold is not None and bold[i] else "normal"
        ann = ax.annotate(
            texts[i],
            (xs[i], ys[i]),
            xytext=(0, 0),
            textcoords="offset points",
            fontsize=fontsizes[i],
            fontweight=weight,
            color="#222222",
            ha="center",
            va="center",
            zorder=15,
            path_effects=HALO,
            annotation_clip=False,
            linespacing=0.95,
        )
        ok = False
        for (dx, dy), ha, va in positions:
            ann.set_position((dx, dy))
            ann.set_ha(ha)
            ann.set_va(va)
            bb = ann.get_window_extent(renderer).expanded(1.0, 1.0)
            bb = Bbox.from_extents(bb.x0 - pad_px, bb.y0 - pad_px, bb.x1 + pad_px, bb.y1 + pad_px)
            inside = (
                bb.x0 >= frame.x0 and bb.x1 <= frame.x1 and bb.y0 >= frame.y0 and bb.y1 <= frame.y1
            )
            if inside and not _overlaps(bb, boxes) and not _overlaps(bb, blocked):
                ok = True
                boxes.append(bb)
                break
        if ok:
            placed.append(ann)
            text_twin(ann)
        else:
            ann.remove()
    return placed


def text_twin(text: Text) -> Text:
    """Keep the halo as a path underneath and put the same text on top as real text.

    Path effects turn text into outlines; with the twin, SVG/PDF keep every
    label as searchable, selectable text.
    """
    text.set_path_effects([patheffects.Stroke(linewidth=2.2, foreground="white")])
    ax = text.axes
    kw = {
        "fontsize": text.get_fontsize(),
        "fontweight": text.get_fontweight(),
        "color": text.get_color(),
        "ha": text.get_ha(),
        "va": text.get_va(),
        "zorder": text.get_zorder() + 0.1,
        "linespacing": text._linespacing,
    }
    if hasattr(text, "xyann"):
        twin = ax.annotate(
            text.get_text(),
            text.xy,
            xytext=text.xyann,
            textcoords=text.anncoords,
            annotation_clip=False,
            **kw,
        )
    else:
        twin = ax.text(*text.get_position(), text.get_text(), transform=text.get_transform(), **kw)
    return twin


def marker_boxes(ax: Axes, x: np.ndarray, y: np.ndarray, size_pt: float) -> list[Bbox]:
    """Window-space boxes of point markers (``size_pt`` wide), as label obstacles."""
    if len(x) == 0:
        return []
    pts = ax.transData.transform(np.column_stack([x, y]))
    r = size_pt * ax.figure.dpi / 72.0 / 2.0
    return [Bbox.from_extents(px - r, py - r, px + r, py + r) for px, py in pts]


def artist_boxes(artists: Sequence) -> list[Bbox]:
    """Window extents of drawn artists (scale bar, north arrow)."""
    renderer = artists[0].figure.canvas.get_renderer() if artists else None
    out = []
    for a in artists:
        try:
            out.append(a.get_window_extent(renderer))
        except Exception:  # some patches need a draw first; skip them
            continue
    return out


def spread_duplicates(
    ax: Axes, x: np.ndarray, y: np.ndarray, radius_pt: float
) -> tuple[np.ndarray, np.ndarray]:
    """Move points that share a location onto a small circle (display space) around it."""
    x = np.asarray(x, float).copy()
    y = np.asarray(y, float).copy()
    if x.size < 2:
        return x, y
    key = pd.Series(list(zip(np.round(x), np.round(y), strict=True)))
    groups = key.groupby(key).indices
    to_disp = ax.transData
    inv = to_disp.inverted()
    r = radius_pt * ax.figure.dpi / 72.0
    for idx in groups.values():
        if len(idx) < 2:
            continue
        cx, cy = to_disp.transform((x[idx[0]], y[idx[0]]))
        ang = np.pi / 2 + 2 * np.pi * np.arange(len(idx)) / len(idx)
        rr = r * max(1.0, len(idx) / 6.0)
        pts = inv.transform(np.column_stack([cx + rr * np.cos(ang), cy + rr * np.sin(ang)]))
        x[idx], y[idx] = pts[:, 0], pts[:, 1]
    return x, y


# ---------------------------------------------------------------------------
# Thuringia for the inset (cached)
# ---------------------------------------------------------------------------
_KREISE_MEMO: dict[str, gpd.GeoDataFrame] = {}


def thuringia_kreise(
    data_dir: str | os.PathLike | None = None, cache_dir: str | os.PathLike | None = None
) -> gpd.GeoDataFrame | None:
    """Thuringia's Gemeinden (VG250) dissolved by Kreis, simplified (EPSG:3035).

    Cached in memory and as GeoParquet in the cache folder, keyed by the size
    and modification time of the VG250 file. ``None`` when the file is missing.
    """
    from geo import boundaries

    ddir = settings.data_dir(data_dir)
    src = ddir / boundaries.VG250_FILE
    if not src.is_file():
        return None
    st = src.stat()
    key = hashlib.sha1(f"{src.resolve()}|{st.st_size}|{st.st_mtime_ns}|v1".encode()).hexdigest()
    if key in _KREISE_MEMO:
        return _KREISE_MEMO[key]
    path = settings.cache_dir(cache_dir) / "_shared" / f"thueringen_kreise_{key[:16]}.parquet"
    gdf = None
    if path.is_file():
        try:
            gdf = gpd.read_parquet(path)
        except Exception:  # damaged cache file: rebuild
            gdf = None
    if gdf is None:
        gem = boundaries.read_gemeinden(ddir)
        gdf = gem[["kreis", "kreis_name", "geometry"]].dissolve(by="kreis", as_index=False)
        gdf["geometry"] = gdf.geometry.simplify(200.0)
        try:
            with atomic_path(path) as tmp:
                gdf.to_parquet(tmp, index=False)
        except Exception:  # a read-only cache must not stop the map
            pass
    _KREISE_MEMO[key] = gdf
    return gdf


def forget_kreise() -> None:
    """Drop the in-memory copy of :func:`thuringia_kreise` (e.g. to time a cold first map)."""
    _KREISE_MEMO.clear()


def class_legend(
    fig: Any,
    classes: Any,
    anchor: tuple[float, float],
    extra: Sequence[Any] = (),
    fontsize: float = 8,
) -> Any:
    """The legend of a classified cell layer (``present.classes.Classes``) beside the map.

    ``extra``: more legend handles after the classes (e.g. line paths).
    """
    from matplotlib.patches import Patch

    handles = [
        Patch(facecolor=c, edgecolor="#6b7280", linewidth=0.4, label=label)
        for label, c in classes.rows()
    ]
    return fig.legend(
        handles=[*handles, *extra],
        title=classes.title,
        loc="upper left",
        bbox_to_anchor=anchor,
        fontsize=fontsize,
        title_fontsize=fontsize + 1,
        frameon=False,
        alignment="left",
    )
