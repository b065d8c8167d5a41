"""Profiles (Steckbriefe): one A4 page per Gemeinde or planning region, as PDF and XLSX.

Each page shows the unit's map (100 m gap layer of the analysis, services by category,
neighbours dimmed), its location in the region, the target groups (with the target year
when a projection is loaded), travel-time figures by mode, the standards check with the
reason in words, the services list and the sources and method. :func:`write_pdf` writes
all pages and a table of contents into one PDF (matplotlib ``PdfPages``); the figure,
the region base (raster, outlines, services, locator) and its artists are drawn once
and only the page's own artists change, so 65 pages take a few seconds.
:func:`write_xlsx` writes the same figures as a workbook. Every word and number comes
from ``present`` (catalog keys ``pf_*``, ``std_*``).

>>> data = geo.profile.build(region, params, standards)
>>> write_pdf(data, "steckbriefe.pdf")
>>> write_xlsx(data, "steckbriefe.xlsx")
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.collections import Collection, LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text

from geo import analysis, settings
from geo._errors import InputError
from geo._io import atomic_path, write_bytes_atomic
from geo.profile import Profiles, Unit
from present import describe, i18n, numbers
from present import standards as pstd
from present.classes import measure_classes
from report import _mapdraw as md
from report import xlsx

A4_PORTRAIT_IN = (210 / 25.4, 297 / 25.4)
RC = {"font.family": "DejaVu Sans", "pdf.fonttype": 42, "svg.fonttype": "none"}
MARGIN_IN = 0.45
#: Services listed on a page (the XLSX lists all).
SERVICES_PER_PAGE = 24
TOC_ROWS_PER_COLUMN = 48
_GREY = "#555555"


# ---------------------------------------------------------------------------
# Text layout helpers (figure coordinates, one cursor from top to bottom)
# ---------------------------------------------------------------------------
@dataclass
class Page:
    """The figure and the artists of the current page (removed after it is saved)."""

    fig: Figure
    lang: str
    artists: list = field(default_factory=list)

    @property
    def w(self) -> float:
        return float(self.fig.get_figwidth())

    @property
    def h(self) -> float:
        return float(self.fig.get_figheight())

    def line_h(self, fontsize: float, spacing: float = 1.32) -> float:
        """Height of one text line in figure units."""
        return fontsize * spacing / 72 / self.h

    def text(self, x: float, y: float, s: str, size: float = 7.0, **kw: Any) -> Any:
        t = self.fig.text(x, y, s, fontsize=size, va=kw.pop("va", "top"), **kw)
        self.artists.append(t)
        return t

    def wrap(self, s: str, width_frac: float, size: float) -> list[str]:
        chars = max(int(width_frac * self.w * 72 / (size * 0.52)), 20)
        return textwrap.wrap(s, chars, break_long_words=False, break_on_hyphens=False) or [""]

    def paragraph(
        self, x: float, y: float, s: str, width_frac: float, size: float = 7.0, **kw: Any
    ) -> float:
        """Wrapped text; returns the y below it."""
        lines = self.wrap(s, width_frac, size)
        self.text(x, y, "\n".join(lines), size, linespacing=1.25, **kw)
        return y - len(lines) * self.line_h(size, 1.25 * 1.16)

    def heading(self, x: float, y: float, s: str, size: float = 8.6) -> float:
        self.text(x, y, s, size, fontweight="bold")
        return y - self.line_h(size, 1.5)

    def table(
        self,
        x: float,
        y: float,
        columns: Sequence[tuple[str, float, str]],
        rows: Sequence[Sequence[str]],
        size: float = 6.8,
    ) -> float:
        """Columns ``(header, width_frac, align)``; returns the y below the table."""
        lh = self.line_h(size, 1.42)
        xs = np.cumsum([x, *[c[1] for c in columns]])
        for j, (head, width, align) in enumerate(columns):
            hx = xs[j] + (width if align == "right" else 0)
            self.text(hx, y, head, size, fontweight="bold", ha=align, color="#222222")
        line = Line2D(
            [x, xs[-1]],
            [y - lh * 0.95] * 2,
            transform=self.fig.transFigure,
            color="#999999",
            linewidth=0.5,
        )
        self.artists.append(self.fig.add_artist(line))
        y -= lh * 1.1
        for row in rows:
            for j, (_, width, align) in enumerate(columns):
                hx = xs[j] + (width if align == "right" else 0)
                self.text(hx, y, str(row[j]), size, ha=align)
            y -= lh
        return y

    def clear(self) -> None:
        for a in self.artists:
            if a.axes is not None or a.figure is not None:
                with contextlib.suppress(ValueError, NotImplementedError):
                    a.remove()
        self.artists = []


# ---------------------------------------------------------------------------
# The region base: drawn once
# ---------------------------------------------------------------------------
@dataclass
class MapBase:
    """Artists shared by every page: map axes, raster, locator."""

    ax: Any
    loc_ax: Any
    image: Any
    raster: np.ndarray
    extent: tuple[float, float, float, float]
    label_xy: np.ndarray
    names: list[str]
    classes: Any
    box: tuple[float, float, float, float]  # map axes rect (figure fraction)
    keep: set = field(default_factory=set)  # the base's own artists
    outline: Any = None  # region outline (simplified)
    gem_lines: Any = None  # Gemeinde boundaries (simplified)
    kreis_lines: Any = None  # Kreis boundaries
    simple: dict = field(default_factory=dict)  # AGS → simplified Gemeinde

    def reset(self) -> None:
        """Remove what a page added to the map axes (e.g. the scale bar's text twins)."""
        for ax in (self.ax, self.loc_ax):
            for artist in ax.get_children():
                if artist not in self.keep and isinstance(
                    artist, (Text, Patch, Collection, Line2D)
                ):
                    artist.remove()


def _map_rect(page: Page) -> tuple[float, float, float, float]:
    mx = MARGIN_IN / page.w
    return (mx, 0.555, 0.60, 0.355)


def _draw_services(ax: Any, services: Any, size: float) -> None:
    if not len(services):
        return
    cats = services["category"].astype(str).to_numpy()
    xy = analysis.points_xy(services)
    for code in dict.fromkeys(cats):
        sel = cats == code
        cat = settings.CATEGORIES.get(code)
        ax.scatter(
            xy[sel, 0],
            xy[sel, 1],
            s=size**2,
            marker=settings.CATEGORY_MARKERS.get(code, "o"),
            c=cat.color if cat else "#333333",
            edgecolors="white",
            linewidths=0.6,
            zorder=12,
        )


def _map_axes(fig: Figure, rect: tuple[float, float, float, float]) -> Any:
    ax = fig.add_axes(rect)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor("#999999")
        spine.set_linewidth(0.6)
    ax.set_aspect("equal", adjustable="box")
    ax.set_autoscale_on(False)
    return ax


def _kreis_groups(gem: Any) -> np.ndarray:
    if "kreis" in gem.columns:
        return gem["kreis"].astype(str).to_numpy()
    return gem["ags"].astype(str).str[:5].to_numpy()


def _locator(page: Page, gem: Any, rect: tuple[float, float, float, float]) -> Any:
    """The region with its Kreise, coarsely simplified (drawn once)."""
    mx = MARGIN_IN / page.w
    lw = 1 - 2 * mx - rect[2] - 0.02
    lh = lw * page.w / page.h * 0.8
    loc_ax = page.fig.add_axes((rect[0] + rect[2] + 0.02, rect[1] + rect[3] - lh, lw, lh))
    coarse = np.asarray(md.simplify_coverage(gem.geometry, 250.0).values)
    kreis = _kreis_groups(gem)
    md.add_polygons(loc_ax, list(coarse), "#e3e3e3", zorder=1, edgecolor="white", linewidth=0.3)
    md.add_outlines(
        loc_ax,
        [shapely.union_all(coarse[kreis == k]) for k in dict.fromkeys(kreis)],
        "#444444",
        0.6,
        zorder=3,
    )
    x0, x1, y0, y1 = md.fit_extent(gem.total_bounds, lw * page.w, lh * page.h)
    loc_ax.set_xlim(x0, x1)
    loc_ax.set_ylim(y0, y1)
    loc_ax.set_aspect("equal", adjustable="box", anchor="N")
    loc_ax.set_axis_off()
    return loc_ax


def draw_base(page: Page, data: Profiles) -> MapBase:
    """Draw what every page shares and prepare the geometries that pages clip to their view."""
    gem = data.region.gemeinden
    simple = np.asarray(md.simplify_coverage(gem.geometry, 15.0).values)
    kreis = _kreis_groups(gem)
    rect = _map_rect(page)
    ax = _map_axes(page.fig, rect)
    cells = data.result.cells
    measure = data.params.measure
    classes = measure_classes(
        measure,
        cells[measure].to_numpy(float),
        data.params.threshold_min,
        data.params.target,
        page.lang,
    )
    codes = np.where(cells["people"].to_numpy(float) > 0, classes.codes, -1)
    raster, extent = md.cell_raster(
        cells["x"].to_numpy(), cells["y"].to_numpy(), codes, classes.colors, tuple(gem.total_bounds)
    )
    image = ax.imshow(
        raster, extent=extent, origin="upper", interpolation="nearest", zorder=3, resample=False
    )
    _draw_services(ax, data.services, 5.2)
    loc_ax = _locator(page, gem, rect)
    pts = [md.label_point(g) for g in gem.geometry.values]
    keep = set(ax.get_children()) | set(loc_ax.get_children())
    base = MapBase(
        ax,
        loc_ax,
        image,
        raster,
        extent,
        np.array([[p.x, p.y] for p in pts]),
        [str(n) for n in gem["name"]],
        classes,
        rect,
        keep,
    )
    base.outline = shapely.union_all(simple)
    base.gem_lines = shapely.boundary(simple)
    base.kreis_lines = shapely.boundary(
        np.asarray([shapely.union_all(simple[kreis == k]) for k in dict.fromkeys(kreis)])
    )
    base.simple = dict(zip(gem["ags"].astype(str), simple, strict=True))
    return base


def _clipped(
    ax: Any,
    lines: np.ndarray,
    view: tuple[float, float, float, float],
    color: str,
    width: float,
    zorder: float,
) -> Any:
    """Lines clipped to the view (only what the page shows goes into the PDF)."""
    parts = shapely.clip_by_rect(lines, view[0], view[2], view[1], view[3])
    segs = [
        np.asarray(p.coords)
        for g in parts
        for p in shapely.get_parts(g)
        if not p.is_empty and len(p.coords) > 1
    ]
    coll = LineCollection(
        segs, colors=color, linewidths=width, zorder=zorder, capstyle="round", joinstyle="round"
    )
    ax.add_collection(coll, autolim=False)
    return coll


def _crop(base: MapBase, view: tuple[float, float, float, float]) -> None:
    """Show only the raster window of the view (smaller PDF pages)."""
    left, right, _bottom, top = base.extent
    ny, nx = base.raster.shape[:2]
    cell = (right - left) / nx
    c0 = int(max(np.floor((view[0] - left) / cell), 0))
    c1 = int(min(np.ceil((view[1] - left) / cell), nx))
    r0 = int(max(np.floor((top - view[3]) / cell), 0))
    r1 = int(min(np.ceil((top - view[2]) / cell), ny))
    if c1 <= c0 or r1 <= r0:
        base.image.set_visible(False)
        return
    base.image.set_visible(True)
    base.image.set_data(base.raster[r0:r1, c0:c1])
    base.image.set_extent((left + c0 * cell, left + c1 * cell, top - r1 * cell, top - r0 * cell))


def _unit_geometry(base: MapBase, unit: Unit) -> Any:
    parts = [base.simple[a] for a in unit.members if a in base.simple]
    return shapely.union_all(np.asarray(parts)) if parts else unit.geometry


def _unit_map(page: Page, base: MapBase, unit: Unit) -> None:
    ax = base.ax
    rect = base.box
    geom = _unit_geometry(base, unit)
    x0, x1, y0, y1 = md.fit_extent(
        shapely.bounds(geom), rect[2] * page.w, rect[3] * page.h, pad_frac=0.08
    )
    view = (x0, x1, y0, y1)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    _crop(base, view)
    box = shapely.box(x0, y0, x1, y1)
    page.artists.append(
        md.add_polygons(ax, [shapely.intersection(base.outline, box)], "#eeeeee", zorder=1)
    )
    page.artists.append(_clipped(ax, base.gem_lines, view, "#6e6e6e", 0.4, 5))
    page.artists.append(_clipped(ax, base.kreis_lines, view, "#222222", 1.0, 6))
    dim = md.add_polygons(ax, [shapely.difference(box, geom)], "#ffffff", zorder=8)
    dim.set_alpha(0.55)
    page.artists += [dim, md.add_outlines(ax, [geom], "#000000", 1.8, zorder=9)]
    inside = (
        (base.label_xy[:, 0] > x0)
        & (base.label_xy[:, 0] < x1)
        & (base.label_xy[:, 1] > y0)
        & (base.label_xy[:, 1] < y1)
    )
    members = set(unit.members)
    ags = page.fig.nahraum_ags
    for i in np.flatnonzero(inside):
        own = ags[i] in members
        page.artists.append(
            ax.text(
                *base.label_xy[i],
                md.wrap_name(base.names[i]),
                fontsize=7.4 if own else 5.8,
                ha="center",
                va="center",
                fontweight="bold" if own else "normal",
                color="#111111" if own else "#666666",
                zorder=14,
                path_effects=md.HALO,
                clip_on=True,
            )
        )
    page.artists += md.draw_scalebar(ax, 6.0, lang=page.lang)
    page.artists.append(md.add_polygons(base.loc_ax, [geom], "#D55E00", zorder=4))


def _legend(page: Page, base: MapBase, data: Profiles, x: float, y: float, width: float) -> float:
    lang = page.lang
    y = page.paragraph(x, y, base.classes.title, width, 6.6, fontweight="bold")
    lh = page.line_h(6.2, 1.35)
    for label, color in base.classes.rows():
        page.text(x, y, "■", 8.0, color=color)
        page.text(x + 0.022, y, label, 6.2)
        y -= lh
    y -= lh * 0.4
    y = page.paragraph(x, y, i18n.t("pf_legend_services", lang), width, 6.6, fontweight="bold")
    cats = [c for c in settings.CATEGORIES if (data.services["category"] == c).any()]
    markers = {"o": "●", "^": "▲", "s": "■", "D": "◆", "v": "▼", "P": "✚", "X": "✖"}
    for code in cats:
        sym = markers.get(settings.CATEGORY_MARKERS.get(code, "o"), "●")
        page.text(x, y, sym, 7.0, color=settings.CATEGORIES[code].color)
        page.text(x + 0.022, y, i18n.category_label(code, lang), 6.2)
        y -= lh
    return y


# ---------------------------------------------------------------------------
# Page sections
# ---------------------------------------------------------------------------
def _header(page: Page, data: Profiles, unit: Unit, number: int, pages: int) -> float:
    lang = page.lang
    mx, top = MARGIN_IN / page.w, 1 - MARGIN_IN / page.h
    page.text(mx, top, i18n.t("pf_title", lang, name=unit.name), 15.0, fontweight="bold")
    page.text(
        1 - mx, top, i18n.t("pf_page", lang, page=number, pages=pages), 7.0, ha="right", color=_GREY
    )
    pop = numbers.count(data.population.loc[unit.key, "pop"], lang)
    if unit.level == "gemeinde":
        sub = i18n.t(
            "pf_subtitle_gemeinde", lang, kreis=", ".join(unit.kreis_names), ags=unit.key, pop=pop
        )
        if unit.planning:
            sub += " · " + i18n.t("pf_planning_of", lang, name=unit.planning)
    else:
        sub = i18n.t(
            "pf_subtitle_planning",
            lang,
            n=len(unit.members),
            pop=pop,
            kreis=", ".join(unit.kreis_names),
        )
    y = top - page.line_h(15.0, 1.45)
    y = page.paragraph(mx, y, sub, 1 - 2 * mx, 8.0, color="#333333")
    params = data.params
    caption = i18n.t(
        "pf_map_caption",
        lang,
        measure=i18n.measure_label(params.measure, lang),
        kinds=describe.kinds_text(params.kinds, lang),
        target=i18n.target_label(params.target, lang),
        mode=i18n.mode_label(params.mode, lang),
        T=numbers.auto_number(params.threshold_min, lang),
    )
    if data.scenario:
        caption += " · " + i18n.t("rp_scenario", lang, name=data.scenario)
    return page.paragraph(mx, y, caption, 1 - 2 * mx, 6.8, color=_GREY)


def _population_rows(data: Profiles, unit: Unit, lang: str) -> tuple[list, list]:
    now = data.population.loc[unit.key]
    pop = float(now.get("pop", 0.0))
    cols: list[tuple[str, float, str]] = [
        (i18n.t("pf_pop_group", lang), 0.20, "left"),
        (i18n.t("pf_pop_now", lang), 0.065, "right"),
        (i18n.t("pf_pop_share", lang), 0.06, "right"),
    ]
    later = data.population_year.loc[unit.key] if data.population_year is not None else None
    if later is not None:
        cols += [
            (i18n.t("pf_pop_year", lang, year=data.year), 0.075, "right"),
            (i18n.t("pf_pop_change", lang), 0.06, "right"),
        ]
    rows = []
    for code in now.index:
        row = [
            i18n.target_label(code, lang),
            numbers.count(now[code], lang),
            numbers.percent(now[code] / pop, lang) if pop > 0 and code != "pop" else "",
        ]
        if later is not None:
            change = later[code] / now[code] - 1 if now[code] > 0 else np.nan
            row += [
                numbers.count(later[code], lang),
                ("+" if change > 0 else "") + numbers.percent(change, lang)
                if np.isfinite(change)
                else "–",
            ]
        rows.append(row)
    return cols, rows


def _travel_rows(data: Profiles, unit: Unit, lang: str) -> tuple[list, list]:
    t = data.travel_of(unit)
    target = data.params.target
    cols = [
        (i18n.t("pf_travel_mode", lang), 0.105, "left"),
        (i18n.t("pf_travel_T", lang), 0.055, "right"),
        (i18n.t("pf_travel_mean", lang), 0.08, "right"),
        (i18n.t("pf_travel_within", lang), 0.075, "right"),
        (i18n.t("pf_travel_beyond", lang, unit=i18n.unit_label(target, lang)), 0.065, "right"),
    ]
    rows = []
    for mode, r in t.iterrows():
        rows.append(
            [
                i18n.mode_label(str(mode), lang).split(" (")[0],
                f"{numbers.auto_number(r['threshold_min'], lang)} min",
                numbers.minutes(r["minutes_mean"], lang),
                numbers.percent(r["share_within"], lang),
                numbers.count(r["people_beyond"], lang),
            ]
        )
    return cols, rows


def _standards(page: Page, data: Profiles, unit: Unit, y: float) -> float:
    lang = page.lang
    mx = MARGIN_IN / page.w
    width = 1 - 2 * mx
    y = page.heading(mx, y, i18n.t("pf_standards", lang, source=data.check.standards.source))
    rows = data.check_of(unit)
    if not len(rows):
        return (
            page.paragraph(mx, y, i18n.t("pf_standards_none", lang), width, 6.8, color=_GREY)
            - 0.006
        )
    types = {r.rule: r.types for r in data.check.standards.rules}
    for rec in rows.to_dict("records"):
        rec["types"] = types.get(rec["rule"], ())
        status = rec["status"]
        page.text(
            mx,
            y,
            pstd.status_label(status, lang),
            6.8,
            color="white",
            fontweight="bold",
            bbox={
                "boxstyle": "round,pad=0.25",
                "linewidth": 0,
                "facecolor": settings.STANDARD_STATUS_COLORS[status],
            },
        )
        where = "" if rec["level"] == unit.level else f" ({rec['name']})"
        head = f"{rec['rule']}{where}: "
        y = page.paragraph(mx + 0.095, y, head + pstd.reason(rec, lang), width - 0.095, 6.8)
        y -= 0.004
    return y - 0.004


def _services(page: Page, data: Profiles, unit: Unit, y: float) -> float:
    lang = page.lang
    mx = MARGIN_IN / page.w
    svc = data.services_of(unit)
    key = "pf_services" if unit.level == "gemeinde" else "pf_services_planning"
    y = page.heading(mx, y, i18n.t(key, lang, n=len(svc)))
    if not len(svc):
        return page.paragraph(mx, y, i18n.t("pf_services_none", lang), 1 - 2 * mx, 6.8, color=_GREY)
    svc = svc.sort_values(["category", "name"])
    shown = svc.head(SERVICES_PER_PAGE)
    half = (len(shown) + 1) // 2
    col_w = (1 - 2 * mx) / 2
    lh = page.line_h(6.3, 1.36)
    y0 = y
    for i, (_, s) in enumerate(shown.iterrows()):
        x = mx + (col_w if i >= half else 0)
        yy = y0 - (i % half) * lh
        text = (
            f"{_clip(str(s['name']), 40)} – "
            f"{_clip(describe.subcategory_label(s.get('subcategory')), 26)}"
        )
        cat = settings.CATEGORIES.get(str(s["category"]))
        page.text(x, yy, "●", 6.3, color=cat.color if cat else "#333333")
        page.text(x + 0.015, yy, text, 6.3)
    y = y0 - half * lh
    if len(svc) > len(shown):
        page.text(
            mx, y, i18n.t("pf_services_more", lang, n=len(svc) - len(shown)), 6.3, color=_GREY
        )
        y -= lh
    return y


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def source_lines(data: Profiles, lang: str, created: dt.date | None = None) -> list[str]:
    """Method and sources of a profile (the same on every page)."""
    meta = getattr(data.region, "meta", {}) or {}
    std = data.check.standards
    rules = "; ".join(f"{r.rule}: {r.source}" for r in std.rules if r.source)
    lines = [
        i18n.t("pf_method", lang, model=describe.model_text(data.result, lang)),
        i18n.t("pf_method_standards", lang, file=std.source, rules=rules),
    ]
    lines.append(
        i18n.t(
            "rp_sources",
            lang,
            sources=" · ".join(describe.source_lines(meta.get("sources", []), lang)),
        )
    )
    digest = str(meta.get("content_hash") or "")[:10]
    lines.append(
        i18n.t(
            "rp_created",
            lang,
            date=numbers.date(created, lang),
            region=getattr(data.region, "label", ""),
        )
        + (i18n.t("rp_data_version", lang, digest=digest) if digest else "")
    )
    return lines


def _footer(page: Page, lines: Sequence[str], y_min: float) -> float:
    """Sources at the bottom of the page; returns its top."""
    mx = MARGIN_IN / page.w
    size = 5.4
    wrapped = [w for line in lines for w in page.wrap(line, 1 - 2 * mx, size)]
    y_top = MARGIN_IN / page.h + len(wrapped) * page.line_h(size, 1.25 * 1.16)
    page.text(
        mx, y_top + page.line_h(7.0, 1.4), i18n.t("pf_sources", page.lang), 7.0, fontweight="bold"
    )
    page.text(mx, y_top, "\n".join(wrapped), size, linespacing=1.25, color="#333333")
    return max(y_top + page.line_h(7.0, 1.4), y_min)


def draw_page(
    page: Page,
    base: MapBase,
    data: Profiles,
    unit: Unit,
    number: int,
    pages: int,
    footer: Sequence[str],
) -> None:
    """Draw one profile page (the page's artists; the base stays)."""
    mx = MARGIN_IN / page.w
    _header(page, data, unit, number, pages)
    _unit_map(page, base, unit)
    rect = base.box
    lx = rect[0] + rect[2] + 0.02
    loc_bottom = base.loc_ax.get_position().y0
    _legend(page, base, data, lx, loc_bottom - 0.012, 1 - mx - lx)
    y = rect[1] - 0.018
    cols, rows = _population_rows(data, unit, page.lang)
    page.heading(mx, y, i18n.t("pf_population", page.lang))
    y_pop = page.table(mx, y - page.line_h(8.6, 1.5), cols, rows)
    tx = mx + sum(c[1] for c in cols) + 0.03
    kinds = describe.kinds_text(data.params.kinds, page.lang)
    page.heading(tx, y, i18n.t("pf_travel", page.lang, kinds=_clip(kinds, 40)))
    cols, rows = _travel_rows(data, unit, page.lang)
    y_tr = page.table(tx, y - page.line_h(8.6, 1.5), cols, rows)
    y = min(y_pop, y_tr) - 0.014
    y = _standards(page, data, unit, y)
    y = _services(page, data, unit, y - 0.006)
    _footer(page, footer, y)


# ---------------------------------------------------------------------------
# Contents
# ---------------------------------------------------------------------------
def _toc_pages(n_units: int) -> int:
    return max(1, -(-n_units // (2 * TOC_ROWS_PER_COLUMN)))


def _draw_toc(page: Page, data: Profiles, part: int, n_toc: int) -> None:
    lang = page.lang
    mx, top = MARGIN_IN / page.w, 1 - MARGIN_IN / page.h
    page.text(
        mx,
        top,
        i18n.t("pf_contents_title", lang, region=data.region.label),
        15.0,
        fontweight="bold",
    )
    y = top - page.line_h(15.0, 1.6)
    intro = i18n.t(
        "pf_contents_intro",
        lang,
        n=len(data.units),
        target=i18n.target_label(data.params.target, lang),
        standards=data.check.standards.source,
    )
    if data.year is not None:
        intro += " " + i18n.t("pf_contents_year", lang, year=data.year)
    if data.scenario:
        intro += " " + i18n.t("rp_scenario", lang, name=data.scenario) + "."
    y = page.paragraph(mx, y, intro, 1 - 2 * mx, 8.0) - 0.01
    y = page.heading(mx, y, i18n.t("pf_contents", lang), 10.0)
    per_page = 2 * TOC_ROWS_PER_COLUMN
    chunk = list(enumerate(data.units))[part * per_page : (part + 1) * per_page]
    lh = page.line_h(7.0, 1.45)
    col_w = (1 - 2 * mx) / 2
    missing = data.check.rows.loc[data.check.rows["status"] == "fehlt"]
    for k, (i, unit) in enumerate(chunk):
        x = mx + (col_w if k >= TOC_ROWS_PER_COLUMN else 0)
        yy = y - (k % TOC_ROWS_PER_COLUMN) * lh
        n_missing = int(((missing["level"] == unit.level) & (missing["key"] == unit.key)).sum())
        page.text(x, yy, _clip(unit.name, 34), 7.0)
        if n_missing:
            page.text(
                x + col_w - 0.07,
                yy,
                "●",
                7.0,
                ha="right",
                color=settings.STANDARD_STATUS_COLORS["fehlt"],
            )
        page.text(x + col_w - 0.02, yy, str(n_toc + i + 1), 7.0, ha="right")
    page.text(
        mx,
        MARGIN_IN / page.h,
        "● " + i18n.t("pf_contents_missing", lang),
        6.5,
        va="bottom",
        color=settings.STANDARD_STATUS_COLORS["fehlt"],
    )


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------
def new_figure(data: Profiles) -> Figure:
    """An A4 portrait figure on an Agg canvas (one per PDF; pages reuse it)."""
    fig = Figure(figsize=A4_PORTRAIT_IN, dpi=100)
    FigureCanvasAgg(fig)
    fig.nahraum_ags = data.region.gemeinden["ags"].astype(str).to_numpy()
    return fig


def _check_suffix(path: Path, suffixes: Sequence[str]) -> None:
    if path.suffix.lower() not in suffixes:
        raise InputError(
            f"{path.name}: Endung {path.suffix or '(keine)'} nicht unterstützt "
            f"(möglich: {', '.join(suffixes)})."
        )


def write_pdf(
    data: Profiles,
    path: str | os.PathLike,
    lang: str = "de",
    created: dt.date | None = None,
    keys: Sequence[str] | None = None,
) -> Path:
    """All profiles (or those of ``keys``) with a table of contents as one PDF, atomically.

    Returns
    -------
    Path
    """
    path = Path(path)
    _check_suffix(path, (".pdf",))
    units = data.units if keys is None else [data.unit(k) for k in keys]
    sub = data if keys is None else _subset(data, units)
    footer = source_lines(data, lang, created)
    n_toc = _toc_pages(len(units))
    pages = n_toc + len(units)
    meta = {
        "Title": i18n.t("pf_contents_title", lang, region=data.region.label),
        "Subject": i18n.t("pf_subject", lang),
        "Creator": "Nahraum",
        "Keywords": "Sozialplanung, Steckbrief, Richtwerte",
    }
    with matplotlib.rc_context(RC), atomic_path(path) as tmp, PdfPages(tmp, metadata=meta) as pdf:
        fig = new_figure(data)
        page = Page(fig, lang)
        for part in range(n_toc):
            _draw_toc(page, sub, part, n_toc)
            pdf.savefig(fig)
            page.clear()
        base = draw_base(page, data)
        for i, unit in enumerate(units):
            draw_page(page, base, data, unit, n_toc + i + 1, pages, footer)
            pdf.savefig(fig)
            page.clear()
            base.reset()
    return path


def pdf_bytes(
    data: Profiles,
    lang: str = "de",
    keys: Sequence[str] | None = None,
    created: dt.date | None = None,
) -> bytes:
    """:func:`write_pdf` into memory (the app's download button)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="nahraum-profile-") as tmp:
        path = write_pdf(data, Path(tmp) / "steckbriefe.pdf", lang, created, keys)
        return path.read_bytes()


def _subset(data: Profiles, units: list[Unit]) -> Profiles:
    import copy

    out = copy.copy(data)
    out.units = units
    return out


def render_page(
    data: Profiles,
    key: str,
    path: str | os.PathLike,
    lang: str = "de",
    dpi: int = 110,
    created: dt.date | None = None,
) -> Path:
    """One profile page as PNG (for a look at the layout; same drawing as the PDF)."""
    path = Path(path)
    _check_suffix(path, (".png",))
    unit = data.unit(key)
    number = [u.key for u in data.units].index(key) + 1 + _toc_pages(len(data.units))
    with matplotlib.rc_context(RC):
        fig = new_figure(data)
        page = Page(fig, lang)
        base = draw_base(page, data)
        draw_page(
            page,
            base,
            data,
            unit,
            number,
            len(data.units) + _toc_pages(len(data.units)),
            source_lines(data, lang, created),
        )
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=dpi)
    return path


def unit_table(data: Profiles, lang: str = "de") -> pd.DataFrame:
    """One row per unit: target groups (now, target year), travel per mode, services, status."""
    rows = []
    counts = data.check.rows.groupby(["level", "key", "status"]).size()
    for unit in data.units:
        row = {
            i18n.t("pf_col_key", lang): unit.key,
            i18n.t("pf_col_name", lang): unit.name,
            i18n.t("pf_col_kreis", lang): ", ".join(unit.kreis_names),
        }
        if unit.level == "gemeinde" and data.planning is not None:
            row[i18n.t("pf_col_planning", lang)] = unit.planning or ""
        for code, v in data.population.loc[unit.key].items():
            row[i18n.target_label(code, lang)] = v
            if data.population_year is not None:
                row[
                    i18n.t("pf_col_year", lang, label=i18n.target_label(code, lang), year=data.year)
                ] = data.population_year.loc[unit.key, code]
        for mode, r in data.travel_of(unit).iterrows():
            m = i18n.mode_label(str(mode), lang).split(" (")[0]
            T = numbers.auto_number(r["threshold_min"], lang)
            row[i18n.t("pf_col_mean", lang, mode=m)] = r["minutes_mean"]
            row[i18n.t("pf_col_within", lang, mode=m, T=T)] = r["share_within"] * 100
        row[i18n.t("pf_col_services", lang)] = len(data.services_of(unit))
        for status in settings.STANDARD_STATUSES:
            row[pstd.status_label(status, lang)] = int(
                counts.get((unit.level, unit.key, status), 0)
            )
        rows.append(row)
    df = pd.DataFrame(rows)
    groups = [i18n.target_label(c, lang) for c in data.population.columns]
    groups += [c for c in df.columns if c.endswith(f"{data.year}")] if data.year else []
    return analysis.suppress_small(df, groups)


def _services_table(data: Profiles, lang: str) -> pd.DataFrame:
    rows = []
    for unit in data.units:
        for _, s in data.services_of(unit).iterrows():
            rows.append(
                {
                    i18n.t("pf_col_unit", lang): unit.name,
                    i18n.t("pf_col_id", lang): s.get("id"),
                    i18n.t("pf_col_service", lang): s.get("name"),
                    i18n.t("pf_col_category", lang): i18n.category_label(
                        str(s.get("category")), lang
                    ),
                    i18n.t("pf_col_subcategory", lang): s.get("subcategory"),
                    i18n.t("pf_col_town", lang): s.get("town"),
                }
            )
    return pd.DataFrame(rows)


def _formats(df: pd.DataFrame) -> dict[str, str]:
    out = {}
    for c in df.columns:
        if pd.api.types.is_integer_dtype(df[c]):
            out[c] = "int"
        elif pd.api.types.is_float_dtype(df[c]):
            out[c] = "decimal1"
        elif df[c].map(lambda v: isinstance(v, int)).any():
            out[c] = "count"
    return out


def write_xlsx(
    data: Profiles, path: str | os.PathLike, lang: str = "de", created: dt.date | None = None
) -> Path:
    """The profiles' figures as a workbook: units, standards check, services, explanation."""
    path = Path(path)
    _check_suffix(path, (".xlsx",))
    units = unit_table(data, lang)
    rows = data.check.rows
    keep = rows["level"].isin(["kreis", data.units[0].level if data.units else "gemeinde"])
    check = pstd.check_table(rows.loc[keep], data.check.standards, lang)
    services = _services_table(data, lang)
    sheets = [
        (i18n.t("pf_sheet_units", lang), units, _formats(units), 2, False),
        (i18n.t("pf_sheet_standards", lang), check, _formats(check), 3, False),
        (i18n.t("pf_sheet_services", lang), services, {}, 2, False),
    ]
    notes = [
        (
            i18n.t("pf_contents_title", lang, region=data.region.label),
            [(i18n.t("pf_sources", lang), line) for line in source_lines(data, lang, created)]
            + [(i18n.t("pf_note_suppression", lang), i18n.t("pf_note_suppression_text", lang))],
        )
    ]
    write_bytes_atomic(path, xlsx.workbook_bytes(sheets, notes, i18n.t("pf_sheet_notes", lang)))
    return path


__all__ = [
    "Page",
    "draw_base",
    "draw_page",
    "new_figure",
    "pdf_bytes",
    "render_page",
    "source_lines",
    "unit_table",
    "write_pdf",
    "write_xlsx",
]
