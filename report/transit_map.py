"""Travel-time bands by timetable over a feed's whole area (``nahraum transit map``).

A check of a GTFS feed before it is used in a region: minutes by bus (median over the
departure window, walking access/egress and transfers included) from every cell around
the feed's stops to one or more destinations, drawn in the travel-time classes of every
other map (``present.classes.measure_classes("minutes")``) with the feed's lines, the
model in words and the source. Works for any feed (EPSG:3035 in Europe, else the feed's
UTM zone, ``geo.gtfs``), so also for the real Cairns test feed without a region.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from geo import settings, traveltime
from geo._errors import InputError
from geo._io import atomic_path
from geo._text import de_number
from geo.transit import TransitModel
from present import describe, i18n
from present.classes import Classes, measure_classes
from present.numbers import auto_number, count, date, percent
from report import _mapdraw

CELL_M = 250.0  # cell edge of the feed map (a feed area is larger than a region's cells need)
FIG_IN = (11.69, 8.27)  # A4 landscape
THRESHOLD_MIN = settings.TRANSIT_MODE.default_threshold_min  # the share "within" printed


@dataclass(frozen=True)
class FeedMap:
    """What the feed map shows, as numbers (also printed by the CLI).

    Attributes
    ----------
    cells : int
        Cells within the walking reach of a stop.
    targets : list of str
        Destination names.
    classes : Classes
        Travel-time classes of the cells (the legend).
    shares : list of float
        Share of the cells per class, in legend order.
    median_min : float
        Median minutes over the cells with a connection.
    title, model : str
        Title and model line of the map.
    """

    cells: int
    targets: list[str]
    classes: Classes
    shares: list[float]
    median_min: float
    title: str
    model: str


def _date_text(value: object, lang: str) -> str:
    import datetime as dt

    try:
        return date(dt.date.fromisoformat(str(value)), lang)
    except ValueError:
        return "–"


def _wrap(lines: Sequence[str], width: int) -> list[str]:
    import textwrap

    return [part for line in lines for part in textwrap.wrap(line, width) or [""]]


def _check_targets(model: TransitModel, targets: np.ndarray, lonlat: np.ndarray) -> None:
    """German error if a destination is beyond walking reach of every stop."""
    reach = _reach_m(model)
    tt = model.timetable
    for i, (xy, (lon, lat)) in enumerate(zip(targets, lonlat, strict=True), start=1):
        d = float(np.hypot(*(tt.xy - xy).T).min()) if tt.n_stops else float("inf")
        if d > reach:
            raise InputError(
                f"Ziel {i} ({de_number(lon)}, {de_number(lat)}) liegt "
                f"{de_number(d / 1000, 1)} km von der nächsten Haltestelle des Fahrplans "
                f"entfernt; erwartet ein Ziel in Fußweite einer Haltestelle (höchstens "
                f"{de_number(reach, 0)} m)."
            )


def _reach_m(model: TransitModel) -> float:
    """Straight-line metres walked in the longest access time."""
    minutes = model.params.access_max_min
    speed = traveltime.fallback_speed_kmh("walk") * 1000.0 / 60.0
    return minutes * speed / settings.DETOUR_FACTORS["walk"]


def busiest_stop(model: TransitModel) -> int:
    """Index of the stop with the most boarding departures in the model's window.

    A window shorter than an hour (or a single departure) counts the hour after it.
    """
    tt, p = model.timetable, model.params
    lo = p.depart_s
    hi = lo + 60.0 * max(p.window_min, 60)
    sel = tt.board & (tt.dep >= lo) & (tt.dep < hi)
    counts = np.bincount(tt.dep_stop[sel], minlength=tt.n_stops)
    return int(np.argmax(counts))


def feed_cells(model: TransitModel, cell_m: float = CELL_M) -> np.ndarray:
    """Cell centres (metric CRS of the feed) within walking reach of a stop."""
    tt = model.timetable
    reach_m = _reach_m(model)
    area = shapely.union_all(shapely.buffer(shapely.points(tt.xy), reach_m, quad_segs=8))
    x0, y0, x1, y1 = area.bounds
    xs = np.arange(np.floor(x0 / cell_m) * cell_m, x1 + cell_m, cell_m) + cell_m / 2
    ys = np.arange(np.floor(y0 / cell_m) * cell_m, y1 + cell_m, cell_m) + cell_m / 2
    gx, gy = np.meshgrid(xs, ys)
    xy = np.column_stack([gx.ravel(), gy.ravel()])
    inside = shapely.contains_xy(area, xy[:, 0], xy[:, 1])
    return xy[inside]


def _lines(model: TransitModel) -> np.ndarray:
    """Unique stop-to-stop segments of the day's connections, (n, 2, 2) metric."""
    tt = model.timetable
    pairs = np.unique(np.sort(np.column_stack([tt.dep_stop, tt.arr_stop]), axis=1), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return np.stack([tt.xy[pairs[:, 0]], tt.xy[pairs[:, 1]]], axis=1)


def draw_feed_map(
    model: TransitModel,
    path: str | Path,
    targets_lonlat: Sequence[tuple[float, float]] = (),
    target_names: Sequence[str] = (),
    agencies: Sequence[str] = (),
    lang: str = i18n.DEFAULT_LANG,
    cell_m: float = CELL_M,
    dpi: int = 150,
) -> FeedMap:
    """Draw the minutes by timetable to the nearest destination as a PNG/PDF/SVG.

    Parameters
    ----------
    model : TransitModel
        Timetable, day, departure window and statistic.
    path : str or Path
        Output file; the format follows the suffix.
    targets_lonlat : sequence of (lon, lat)
        Destinations (WGS84); none: the stop with the most departures in the window.
    target_names : sequence of str
        Their names (default: "Ziel 1", …).
    agencies : sequence of str
        The feed's agencies (``geo.gtfs.agencies``), named in the source line.
    lang : {"de", "en"}
    cell_m : float
        Cell edge in metres.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import patheffects
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    from report.export import RC

    tt = model.timetable
    if len(targets_lonlat):
        lon, lat = np.asarray(targets_lonlat, dtype=float).T
        targets = np.asarray(tt.to_metric(lon, lat), dtype=float).reshape(-1, 2)
        names = [
            str(target_names[i]) if i < len(target_names) else i18n.t("tm_target_n", lang, n=i + 1)
            for i in range(len(targets))
        ]
        how = ""
        _check_targets(model, targets, np.column_stack([lon, lat]))
    else:
        k = busiest_stop(model)
        targets = tt.xy[[k]]
        names = [str(tt.stop_names[k])]
        how = i18n.t("tm_target_busiest", lang)
    cells = feed_cells(model, cell_m)
    minutes = np.asarray(model.nearest_field(cells, targets).minutes, dtype=float)
    classes = measure_classes("minutes", minutes, THRESHOLD_MIN, "all", lang)
    n = len(cells)
    shares = [float(np.mean(classes.codes == c)) if n else 0.0 for c in range(len(classes.labels))]
    finite = minutes[np.isfinite(minutes)]
    median = float(np.median(finite)) if finite.size else float("nan")
    title = i18n.t("tm_title", lang, names=", ".join(names))
    model_text = describe.transit_model_text(model.info, lang)
    walk = describe.model_words(traveltime.model_info("walk", model.walk_network), lang)
    notes = [
        model_text,
        i18n.t(
            "tm_method",
            lang,
            cell=auto_number(cell_m, lang),
            walk=walk,
            access=auto_number(model.params.access_max_min, lang),
            transfers=count(model.params.max_transfers, lang),
        ),
    ]
    if how:
        notes.append(how)
    notes.append(
        i18n.t(
            "tm_figures",
            lang,
            cells=count(n, lang),
            median=auto_number(round(median, 1), lang) if finite.size else "–",
            within=percent(float(np.mean(minutes <= THRESHOLD_MIN)), lang),
            minutes=auto_number(THRESHOLD_MIN, lang),
        )
    )
    source = i18n.t(
        "tm_source",
        lang,
        feed=str(tt.meta.get("feed", "")),
        agencies="; ".join(agencies) or "–",
        date=_date_text(tt.meta.get("date"), lang),
    )

    with matplotlib.rc_context(RC):
        fig = plt.figure(figsize=FIG_IN)
        ax = fig.add_axes((0.02, 0.17, 0.70, 0.74))
        ax.set_axis_off()
        box = ax.get_position()
        w_in, h_in = box.width * FIG_IN[0], box.height * FIG_IN[1]
        lo, hi = cells.min(0) if n else tt.xy.min(0), cells.max(0) if n else tt.xy.max(0)
        x0, x1, y0, y1 = _mapdraw.fit_extent((*lo, *hi), w_in, h_in)
        img, extent = _mapdraw.cell_raster(
            cells[:, 0], cells[:, 1], classes.codes, classes.colors, (*lo, *hi), cell_m
        )
        ax.imshow(img, extent=extent, interpolation="nearest", zorder=1, alpha=0.9)
        ax.add_collection(LineCollection(_lines(model), colors="#374151", linewidths=0.5, zorder=2))
        ax.scatter(tt.xy[:, 0], tt.xy[:, 1], s=2.5, color="#111827", zorder=3, linewidths=0)
        ax.scatter(
            targets[:, 0],
            targets[:, 1],
            s=160,
            marker="*",
            color="#ffffff",
            edgecolors="#111827",
            linewidths=1.2,
            zorder=4,
        )
        for (tx, ty), name in zip(targets, names, strict=True):
            ax.annotate(
                _mapdraw.wrap_name(name, 28),
                (tx, ty),
                xytext=(8, 6),
                textcoords="offset points",
                fontsize=8,
                fontweight="bold",
                zorder=5,
                path_effects=[patheffects.withStroke(linewidth=2.5, foreground="white")],
            )
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal")
        _mapdraw.draw_scalebar(ax, 8, lang=lang)
        _mapdraw.draw_north_arrow(ax, 8)
        fig.text(0.02, 0.955, title, fontsize=14, fontweight="bold", va="top")
        lines = Line2D([], [], color="#374151", linewidth=0.8, label=i18n.t("tm_lines", lang))
        _mapdraw.class_legend(fig, classes, (0.74, 0.90), [lines], fontsize=8)
        fig.text(0.02, 0.15, "\n".join(_wrap(notes, 165)), fontsize=7.5, va="top")
        fig.text(0.02, 0.02, "\n".join(_wrap([source], 180)), fontsize=7, color="#374151")
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=dpi, format=Path(path).suffix.lstrip(".") or "png")
        plt.close(fig)
    return FeedMap(n, names, classes, shares, median, title, model_text)


__all__ = ["CELL_M", "FeedMap", "busiest_stop", "draw_feed_map", "feed_cells"]
