"""Report-ready exports: static maps, tables and a GeoPackage.

- :func:`render_map` draws an analysis view as PNG, PDF or SVG (matplotlib,
  Agg, no browser; works offline and from the CLI): title and subtitle, the
  100 m cells as one raster image coloured by the measure, Gemeinde and Kreis
  outlines (optionally a Gemeinde choropleth), services as category symbols,
  non-colliding Gemeinde labels, legend with units, scale bar, north arrow, an
  inset locating the region in Thuringia, key figures and the attribution of
  every source with the travel-time model and the date.
- :func:`export_table` writes the table per Gemeinde (and per planning region)
  as XLSX (formatted, with a sheet "Erläuterung") or CSV (German: ``;``,
  decimal comma, UTF-8 with BOM; international: ``,``, decimal point, UTF-8).
- :func:`export_geopackage` writes all layers for QGIS: gemeinden, zellen,
  angebote, planungsraeume, szenario_standorte, markierungen and the
  parameters as the table ``nahraum_metadata``.
- ``nahraum export`` (``geo.cli``) loads, analyses and calls these.

All files are written atomically. Small counts (1–2) are suppressed as "<3"
in tables (NULL in the GeoPackage); see docs/exports.md.

>>> result = analysis.analyze(region, AnalysisParams(("Familie",), "single_parent_hh", "bike"))
>>> render_map(region, result, "karte.pdf", paper="A3")
>>> export_table(result, "gemeinden.xlsx", planning=planning)
>>> export_geopackage(region, result, "nahraum.gpkg", planning=planning)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import tempfile
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from geo import _crs, analysis, inventory, settings
from geo._errors import InputError
from geo._io import atomic_path, write_bytes_atomic
from geo.orientation import draw_orientation
from geo.planning import PlanningRegions, aggregate
from present import describe, i18n, numbers
from present import tables as present_tables
from present.classes import Classes, indicator_classes, measure_classes
from report import _mapdraw as md
from report import xlsx
from report.files import csv_bytes

MAP_FORMATS: tuple[str, ...] = ("png", "pdf", "svg")
TABLE_FORMATS: tuple[str, ...] = ("xlsx", "csv", "csv-int")
FORMATS: tuple[str, ...] = (*MAP_FORMATS, *TABLE_FORMATS, "gpkg")
_FORMAT_ALIASES = {
    "csv-de": "csv",
    "csv_de": "csv",
    "csv_int": "csv-int",
    "csv-international": "csv-int",
    "geopackage": "gpkg",
    "xls": "xlsx",
}
#: Suffix of the second CSV file with the planning regions.
PLANNING_CSV_SUFFIX = "_planungsraeume"
METADATA_TABLE = "nahraum_metadata"
#: Matplotlib settings for every map: text stays text in SVG and PDF.
RC: dict[str, Any] = {
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
    "font.family": "DejaVu Sans",
    "svg.hashsalt": "nahraum",
    "path.simplify": True,
}
_A4_WIDTH_IN = 297.0 / 25.4


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
def export_format(path: Path, fmt: str | None, allowed: Sequence[str]) -> str:
    """The export format of ``path`` (``fmt`` or the suffix), checked against ``allowed``."""
    f = (fmt or path.suffix.lstrip(".")).strip().lower()
    f = _FORMAT_ALIASES.get(f, f)
    if f not in allowed:
        raise InputError(
            f"Unbekanntes Exportformat „{fmt or path.suffix or '–'}“ "
            f"(möglich: {', '.join(allowed)})."
        )
    return f


def _readable(path: Path) -> Path:
    """Give a written export the usual permissions (temp files are created 0600)."""
    mask = 0o022
    try:  # read the umask without changing it (os.umask would race with other threads)
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                mask = int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with contextlib.suppress(OSError):
        os.chmod(path, 0o666 & ~mask)
    return path


def _today(created: dt.date | None, lang: str = "de") -> str:
    return numbers.date(created, lang)


def _kinds_text(result: Any, lang: str = "de") -> str:
    return describe.kinds_text(result.params.kinds, lang)


def subtitle(result: Any, scenario_name: str | None = None, lang: str = "de") -> str:
    """Subtitle: kinds, target group, mode, threshold, scenario."""
    p = result.params
    parts = [
        i18n.t(
            "rp_services", lang, kinds=_kinds_text(result, lang), n=result.totals.get("services", 0)
        ),
        i18n.t("rp_target", lang, target=i18n.target_label(p.target, lang)),
        i18n.t("rp_mode", lang, mode=i18n.mode_label(p.mode, lang)),
        i18n.t("rp_threshold", lang, T=numbers.auto_number(p.threshold_min, lang)),
    ]
    year = (result.metadata.get("demand") or {}).get("year")
    if year is not None:  # the target year stands next to the target group, source in the footer
        parts.append(i18n.t("rp_year", lang, year=int(year)))
    if scenario_name:
        parts.append(i18n.t("rp_scenario", lang, name=scenario_name))
    return " · ".join(parts)


def attribution_lines(
    region: Any, result: Any, created: dt.date | None = None, lang: str = "de"
) -> list[str]:
    """Model, notes, every source with date and attribution, and the export date."""
    meta = getattr(region, "meta", None) or {}
    sources = list(meta.get("sources") or result.metadata.get("sources") or [])
    lines = [i18n.t("rp_model", lang, model=describe.model_text(result, lang))]
    lines += [
        i18n.t("rp_demand", lang, basis=b)
        for b in describe.demand_lines(result.metadata, lang) or describe.demand_lines(meta, lang)
    ]
    lines += coverage_lines(region, lang)
    note = i18n.quality_note(result.params.target, lang)
    if note:
        lines.append(
            i18n.t(
                "rp_quality", lang, target=i18n.target_label(result.params.target, lang), note=note
            )
        )
    notes = describe.notes_text(result.metadata.get("notes"), lang)
    if notes:
        lines.append(i18n.t("rp_notes", lang, notes="; ".join(notes)))
    src = describe.source_lines(sources, lang)
    if src:
        lines.append(i18n.t("rp_sources", lang, sources=" · ".join(src)))
    digest = (meta.get("content_hash") or result.metadata.get("content_hash") or "")[:10]
    label = getattr(region, "label", None) or result.metadata.get("region_label") or ""
    lines.append(
        i18n.t("rp_created", lang, date=_today(created, lang), region=label)
        + (i18n.t("rp_data_version", lang, digest=digest) if digest else "")
    )
    return lines


def coverage_lines(region: Any, lang: str = "de") -> list[str]:
    """The coverage statement when the region's services miss a Kreis (else nothing).

    ``region`` needs ``services`` and ``gemeinden`` (with ``ags``); without them, or
    when every Kreis has services, the list is empty.
    """
    svc = getattr(region, "services", None)
    gem = getattr(region, "gemeinden", None)
    if svc is None or gem is None or not len(gem) or "ags" not in gem.columns:
        return []
    cov = inventory.coverage(svc, gem)
    return [] if cov.complete else [describe.coverage_text(cov, lang)]


def orientation_credits(orientation: Mapping[str, Any] | None) -> list[str]:
    """Credit line of a local basemap drawn under the report map (else nothing)."""
    basemap = (orientation or {}).get("basemap")
    credit = str(getattr(basemap, "attribution", "") or "").strip()
    return [credit] if credit else []


def _orientation_under(
    ax: Any, orientation: Mapping[str, Any] | None, extent: tuple, choropleth: bool
) -> None:
    """Settlements (not under a choropleth), roads and a local basemap under the data."""
    if not orientation:
        return
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    footprint = None if choropleth else orientation.get("footprint")
    draw_orientation(
        ax, footprint, orientation.get("roads"), orientation.get("basemap"), zorder=1.5
    )


def _paper(paper: str) -> tuple[float, float]:
    key = {"a4": "A4", "a3": "A3", "16:9": "16:9", "16x9": "16:9", "169": "16:9"}.get(
        str(paper).strip().lower()
    )
    if key is None:
        raise InputError(
            f"Unbekanntes Papierformat „{paper}“ (möglich: {', '.join(settings.MAP_PAPERS_MM)})."
        )
    w, h = settings.MAP_PAPERS_MM[key]
    return w / 25.4, h / 25.4


def _footer(
    fig: Figure, renderer: Any, lines: Sequence[str], x: float, y: float, fontsize: float
) -> Any:
    """Attribution block at the bottom, wrapped so that it fits between the margins."""
    avail = (1 - 2 * x) * fig.bbox.width
    chars = int(avail / (fontsize * fig.dpi / 72 * 0.5))
    text = fig.text(
        x, y, "", ha="left", va="bottom", fontsize=fontsize, color="#333333", linespacing=1.25
    )
    for _ in range(12):
        text.set_text(
            "\n".join(
                textwrap.fill(line, chars, break_long_words=False, break_on_hyphens=False)
                for line in lines
            )
        )
        if text.get_window_extent(renderer).width <= avail or chars < 40:
            break
        chars = int(chars * 0.95)
    return text


def _gemeinde_indicator(result: Any, column: str, lang: str = "de") -> tuple[np.ndarray, str]:
    if column not in analysis.SUMMARY_COLUMNS:
        raise InputError(
            f"Unbekannte Kennzahl „{column}“ für die Gemeindefärbung "
            f"(möglich: {', '.join(analysis.SUMMARY_COLUMNS)})."
        )
    values = result.gemeinden[column].to_numpy(dtype=float)
    return values, present_tables.result_labels(result, lang)[column]


# ---------------------------------------------------------------------------
# Static map
# ---------------------------------------------------------------------------
def render_map(
    region: Any,
    result: Any,
    path: str | os.PathLike,
    fmt: str | None = None,
    paper: str = "A4",
    dpi: int = settings.MAP_DPI,
    title: str | None = None,
    scenario_name: str | None = None,
    *,
    measure: str | None = None,
    choropleth: str | None = None,
    show_cells: bool = True,
    sites: gpd.GeoDataFrame | None = None,
    planning: PlanningRegions | None = None,
    data_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    created: dt.date | None = None,
    lang: str = "de",
    orientation: Mapping[str, Any] | None = None,
) -> Path:
    """Draw an analysis view as a report-ready map (PNG, PDF or SVG), landscape.

    Parameters
    ----------
    region : Region
        ``gemeinden``, ``meta`` (sources), ``label``.
    result : AnalysisResult
        From :func:`geo.analysis.analyze` on ``region``.
    path : path
        Output file; written atomically.
    fmt : {"png", "pdf", "svg"}, optional
        Default: from the suffix of ``path``.
    paper : {"A4", "A3", "16:9"}
        Landscape paper (16:9 = 338.7 × 190.5 mm, a widescreen slide).
    dpi : int
        Resolution of PNG (and of the cell raster in PDF/SVG); stored in the PNG.
    title : str, optional
        Default: the measure and the region.
    scenario_name : str, optional
        Shown in the subtitle.
    measure : str, optional
        Measure of the cells (``settings.MEASURES``); default ``result.params.measure``.
    choropleth : str, optional
        Colour Gemeinden by this column of ``result.gemeinden`` (e.g. ``"share_beyond"``).
    show_cells : bool
        Draw the 100 m cells (where the target group lives).
    sites : GeoDataFrame, optional
        Scenario sites (points), drawn as stars.
    planning : PlanningRegions, optional
        Their outlines are drawn as dashed lines.
    data_dir, cache_dir : path, optional
        For the Thuringia inset (VG250 file; cached outline).
    created : date, optional
        Date printed with the attribution (default today).
    lang : {"de", "en"}
        Language of every text on the map.
    orientation : mapping, optional
        ``footprint``, ``roads`` (GeoDataFrames of :mod:`geo.orientation`) and
        ``basemap`` (a :class:`geo.tiles.TileSource`) drawn under the data
        (:func:`geo.orientation.draw_orientation`); the basemap's credit joins the footer.

    Returns
    -------
    Path
    """
    path = Path(path)
    fmt = export_format(path, fmt, MAP_FORMATS)
    try:
        dpi = int(dpi)
    except (TypeError, ValueError):
        dpi = 0
    if not 50 <= dpi <= 1200:
        raise InputError(f"Die Auflösung muss zwischen 50 und 1200 dpi liegen (angegeben: {dpi}).")
    measure = measure or result.params.measure
    if measure not in settings.MEASURES:
        raise InputError(f"Unbekanntes Maß „{measure}“ (möglich: {', '.join(settings.MEASURES)}).")
    with matplotlib.rc_context(RC):
        fig = build_figure(
            region,
            result,
            paper=paper,
            dpi=dpi,
            title=title,
            scenario_name=scenario_name,
            measure=measure,
            choropleth=choropleth,
            show_cells=show_cells,
            sites=sites,
            planning=planning,
            data_dir=data_dir,
            cache_dir=cache_dir,
            created=created,
            lang=lang,
            orientation=orientation,
        )
        meta = _file_metadata(region, result, fig.get_label(), fmt, created, lang)
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=dpi, metadata=meta)
    return _readable(path)


def _file_metadata(
    region: Any, result: Any, title: str, fmt: str, created: dt.date | None, lang: str = "de"
) -> dict:
    lines = attribution_lines(region, result, created, lang)
    sub = subtitle(result, lang=lang)
    if fmt == "png":
        return {
            "Title": title,
            "Software": "Nahraum (matplotlib)",
            "Description": sub,
            "Copyright": " ".join(lines[1:]),
        }
    if fmt == "pdf":
        return {
            "Title": title,
            "Subject": sub,
            "Creator": "Nahraum",
            "Keywords": "Sozialplanung, Erreichbarkeit, Versorgungslücke",
        }
    return {
        "Title": title,
        "Description": sub,
        "Creator": "Nahraum",
        "Rights": " ".join(lines[1:]),
        "Date": None,
    }


def build_figure(
    region: Any,
    result: Any,
    paper: str = "A4",
    dpi: int = settings.MAP_DPI,
    title: str | None = None,
    scenario_name: str | None = None,
    measure: str | None = None,
    choropleth: str | None = None,
    show_cells: bool = True,
    sites: gpd.GeoDataFrame | None = None,
    planning: PlanningRegions | None = None,
    data_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    created: dt.date | None = None,
    lang: str = "de",
    reference: Any = None,
    orientation: Mapping[str, Any] | None = None,
) -> Figure:
    """The map as a matplotlib Figure (Agg canvas), see :func:`render_map`.

    ``reference``: the other state of a comparison (before/after a scenario); the cell
    classes are computed from both, so both maps share one legend.

    ``fig.nahraum`` holds the drawn parts for tests: ``map_ax``, ``labels``
    (placed Text objects), ``legend_labels``, ``legends`` (title and labels of each
    legend), ``classes`` (``present.classes.Classes`` of the cells) and ``attribution``.
    """
    measure = measure or result.params.measure
    W, H = _paper(paper)
    # whole pixels: A4 at 150 dpi is 1754 × 1240 (matplotlib would truncate to 1753)
    W, H = round(W * dpi) / dpi, round(H * dpi) / dpi
    s = W / _A4_WIDTH_IN  # font scale relative to A4
    fig = Figure(figsize=(W, H), dpi=dpi)
    FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()
    margin = 0.32  # inches
    mx, my = margin / W, margin / H
    target = result.params.target
    region_label = getattr(region, "label", None) or result.metadata.get("region_label") or ""
    title = title or i18n.t(
        "rp_title", lang, measure=i18n.measure_label(measure, lang), region=region_label
    )
    fig.set_label(title)

    # --- header -----------------------------------------------------------
    t_title = fig.text(mx, 1 - my, title, ha="left", va="top", fontsize=15 * s, fontweight="bold")
    bb = t_title.get_window_extent(renderer)
    y_sub = bb.y0 / fig.bbox.height - 0.008
    t_sub = fig.text(
        mx,
        y_sub,
        subtitle(result, scenario_name, lang),
        ha="left",
        va="top",
        fontsize=9.5 * s,
        color="#333333",
    )
    header_bottom = t_sub.get_window_extent(renderer).y0 / fig.bbox.height - 0.012

    # --- footer (attribution) --------------------------------------------------
    lines = attribution_lines(region, result, created, lang)
    lines += orientation_credits(orientation)
    t_foot = _footer(fig, renderer, lines, mx, my, 5.6 * s)
    footer_top = t_foot.get_window_extent(renderer).y1 / fig.bbox.height + 0.012

    # --- map axes ------------------------------------------------------------
    panel_w = 0.225  # of the figure width
    gap = 0.015
    ax_rect = [mx, footer_top, 1 - 2 * mx - panel_w - gap, header_bottom - footer_top]
    ax = fig.add_axes(ax_rect)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor("#999999")
        spine.set_linewidth(0.6)
    gem = region.gemeinden
    x0, x1, y0, y1 = md.fit_extent(gem.total_bounds, ax_rect[2] * W, ax_rect[3] * H)

    simple = md.simplify_coverage(gem.geometry, 20.0)
    outline = shapely.union_all(np.asarray(simple.values))
    legends: list[tuple[str, list, list[str]]] = []
    # background of the region, or the Gemeinde choropleth
    if choropleth:
        vals, clabel = _gemeinde_indicator(result, choropleth, lang)
        gclasses = indicator_classes(vals, choropleth.startswith("share_"), clabel, lang)
        face = [gclasses.colors[c] if c >= 0 else "#ffffff" for c in gclasses.codes]
        md.add_polygons(ax, list(simple.values), face, zorder=1)
        legends.append(
            (
                i18n.t("rp_choropleth", lang, label=clabel),
                [Patch(facecolor=c, edgecolor="#777777", linewidth=0.3) for c in gclasses.colors],
                list(gclasses.labels),
            )
        )
    else:
        md.add_polygons(ax, [outline], "#eeeeee", zorder=1)
    _orientation_under(ax, orientation, (x0, x1, y0, y1), bool(choropleth))
    # cells as one raster image
    classes = None
    if show_cells:
        cells = result.cells
        people = cells["people"].to_numpy(dtype=float)
        values = cells[measure].to_numpy()
        basis = (
            None
            if reference is None
            else np.concatenate([values.astype(float), reference.cells[measure].to_numpy(float)])
        )
        classes = measure_classes(
            measure, values.astype(float), result.params.threshold_min, target, lang, basis=basis
        )
        codes = np.where(people > 0, classes.codes, -1)
        img, extent = md.cell_raster(
            cells["x"].to_numpy(),
            cells["y"].to_numpy(),
            codes,
            classes.colors,
            tuple(gem.total_bounds),
        )
        ax.imshow(
            img, extent=extent, origin="upper", interpolation="nearest", zorder=3, resample=False
        )
        title_cells = (
            classes.title + "\n" + i18n.t("rp_cells", lang, target=i18n.target_label(target, lang))
        )
        legends.insert(
            0,
            (
                title_cells,
                [Patch(facecolor=c, edgecolor="#777777", linewidth=0.3) for c in classes.colors],
                list(classes.labels),
            ),
        )
    # outlines: Gemeinden thin, Kreise and region thick
    md.add_outlines(ax, list(simple.values), "#6e6e6e", 0.35 * s, zorder=5)
    if "kreis" in gem.columns and gem["kreis"].nunique() > 1:
        kreis_codes = gem["kreis"].astype(str).to_numpy()
        kreise = [
            shapely.union_all(np.asarray(simple.values)[kreis_codes == k])
            for k in dict.fromkeys(kreis_codes)
        ]
        md.add_outlines(ax, kreise, "#222222", 1.0 * s, zorder=6)
    md.add_outlines(ax, [outline], "#111111", 1.2 * s, zorder=6)
    plan_handle = None
    if planning is not None and len(planning.regions):
        coll = md.add_outlines(
            ax,
            [g for g in planning.regions.geometry.values if g is not None],
            "#7a0177",
            1.5 * s,
            zorder=7,
        )
        coll.set_linestyle((0, (4, 2)))
        plan_handle = Line2D([], [], color="#7a0177", linewidth=1.5 * s, linestyle=(0, (4, 2)))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    ax.set_autoscale_on(False)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.apply_aspect()

    # --- services --------------------------------------------------------------
    obstacles = []
    ms = 6.5 * s  # marker size (points)
    svc = result.services
    svc_handles, svc_labels = [], []
    stacked = False
    if len(svc):
        cats = (
            svc["category"].astype(str).to_numpy() if "category" in svc else np.full(len(svc), "")
        )
        sym = pd.DataFrame(
            {
                "x": np.round(shapely.get_x(np.asarray(svc.geometry.values)), 0),
                "y": np.round(shapely.get_y(np.asarray(svc.geometry.values)), 0),
                "cat": cats,
            }
        )
        # one symbol per location and category, with the number of services at it
        sym = sym.groupby(["x", "y", "cat"], sort=False).size().rename("n").reset_index()
        sx, sy = md.spread_duplicates(
            ax, sym["x"].to_numpy(float), sym["y"].to_numpy(float), ms * 0.75
        )
        sym_cats = sym["cat"].to_numpy()
        counts = sym["n"].to_numpy()
        for code in [*settings.CATEGORIES, *sorted(set(cats) - set(settings.CATEGORIES))]:
            sel = sym_cats == code
            if not sel.any():
                continue
            cat = settings.CATEGORIES.get(code)
            color = cat.color if cat else "#333333"
            marker = settings.CATEGORY_MARKERS.get(code, "o")
            ax.scatter(
                sx[sel],
                sy[sel],
                s=ms**2,
                marker=marker,
                c=color,
                edgecolors="white",
                linewidths=0.7 * s,
                zorder=12,
            )
            svc_handles.append(
                Line2D(
                    [],
                    [],
                    linestyle="",
                    marker=marker,
                    markersize=ms,
                    markerfacecolor=color,
                    markeredgecolor="white",
                )
            )
            n = int((cats == code).sum())
            svc_labels.append(
                i18n.t(
                    "rp_service_n",
                    lang,
                    label=i18n.category_label(code, lang),
                    n=i18n.tn("n_services", n, lang),
                )
            )
        obstacles += md.marker_boxes(ax, sx, sy, ms * 1.1)
        renderer_now = fig.canvas.get_renderer()
        for i in np.flatnonzero(counts > 1):
            stacked = True
            t = ax.annotate(
                str(int(counts[i])),
                (sx[i], sy[i]),
                xytext=(ms * 0.55, ms * 0.3),
                textcoords="offset points",
                fontsize=6.4 * s,
                fontweight="bold",
                ha="left",
                va="bottom",
                zorder=14,
                path_effects=md.HALO,
                color="#111111",
            )
            md.text_twin(t)
            obstacles.append(t.get_window_extent(renderer_now))
    if sites is not None and len(sites):
        st = _crs.to_metric(sites) if sites.crs else sites
        px = shapely.get_x(np.asarray(st.geometry.values))
        py = shapely.get_y(np.asarray(st.geometry.values))
        ax.scatter(
            px,
            py,
            s=(ms * 1.6) ** 2,
            marker="*",
            c="black",
            edgecolors="white",
            linewidths=0.7 * s,
            zorder=13,
        )
        svc_handles.append(
            Line2D(
                [],
                [],
                linestyle="",
                marker="*",
                markersize=ms * 1.6,
                markerfacecolor="black",
                markeredgecolor="white",
            )
        )
        svc_labels.append(i18n.t("rp_sites", lang, n=len(st)))
        obstacles += md.marker_boxes(ax, px, py, ms * 1.7)
    if svc_handles:
        title_svc = i18n.t("rp_services_title", lang)
        if len(svc) and "precision" in getattr(region, "services", pd.DataFrame()).columns:
            prec = region.services["precision"].reindex(svc.index).astype(str)
            rough = int((prec != "coordinates").sum())
            if rough:
                title_svc += "\n" + i18n.t("rp_rough", lang, rough=rough, n=len(svc))
        if stacked:
            title_svc += "\n" + i18n.t("rp_stacked", lang)
        legends.append((title_svc, svc_handles, svc_labels))
    if plan_handle is not None and planning is not None:
        legends.append(
            (
                i18n.t("rp_planning", lang),
                [plan_handle],
                [i18n.t("rp_planning_line", lang, n=len(planning.regions))],
            )
        )

    # --- scale bar, north arrow, labels ----------------------------------------
    deco = md.draw_scalebar(ax, 7 * s, lang=lang) + md.draw_north_arrow(ax, 9 * s)
    obstacles += md.artist_boxes(deco)
    pts = [md.label_point(g) for g in gem.geometry.values]
    pop = gem["pop"].to_numpy(dtype=float) if "pop" in gem else np.ones(len(gem))
    big = pop >= 5000
    label_texts = [md.wrap_name(str(n)) for n in gem["name"]]
    placed = md.place_labels(
        ax,
        [p.x for p in pts],
        [p.y for p in pts],
        label_texts,
        priority=pop,
        fontsizes=np.where(big, 7.6 * s, 6.2 * s),
        obstacles=obstacles,
        bold=big,
    )

    # --- right panel: legends, key figures, inset --------------------------------
    px0 = 1 - mx - panel_w
    y = header_bottom
    legend_texts: list[str] = []
    legend_parts: list[tuple[str, list[str]]] = []
    title_chars = int(panel_w * W * 72 / (7.8 * s * 0.6))
    for ltitle, handles, labels in legends:
        ltitle = "\n".join(textwrap.fill(part, title_chars) for part in ltitle.split("\n"))
        leg = fig.legend(
            handles,
            labels,
            loc="upper left",
            bbox_to_anchor=(px0, y),
            bbox_transform=fig.transFigure,
            frameon=False,
            fontsize=7.4 * s,
            title=ltitle,
            title_fontsize=7.8 * s,
            alignment="left",
            handlelength=1.6,
            handleheight=1.1,
            borderaxespad=0,
            labelspacing=0.35,
            borderpad=0,
        )
        leg.get_title().set_fontweight("bold")
        legend_texts += [ltitle, *labels]
        legend_parts.append((ltitle, list(labels)))
        y = leg.get_window_extent(renderer).y0 / fig.bbox.height - 0.028
    key_lines = key_figure_lines(result, measure, lang)
    t_key_head = fig.text(
        px0,
        y,
        i18n.t("rp_kf_heading", lang),
        ha="left",
        va="top",
        fontsize=7.8 * s,
        fontweight="bold",
    )
    yk = t_key_head.get_window_extent(renderer).y0 / fig.bbox.height - 0.006
    wrapped_key = "\n".join(
        textwrap.fill(line, int(panel_w * W * 72 / (7.2 * s * 0.55)), subsequent_indent="  ")
        for line in key_lines
    )
    t_key = fig.text(px0, yk, wrapped_key, ha="left", va="top", fontsize=7.2 * s, linespacing=1.3)
    y = t_key.get_window_extent(renderer).y0 / fig.bbox.height - 0.02
    # inset: location in Thuringia
    kreise_th = md.thuringia_kreise(data_dir, cache_dir)
    if kreise_th is not None and y - footer_top > 0.1:
        bounds = kreise_th.total_bounds
        if shapely.intersects(shapely.box(*bounds), outline):
            t_in = fig.text(
                px0,
                y,
                i18n.t("rp_inset", lang),
                ha="left",
                va="top",
                fontsize=7.8 * s,
                fontweight="bold",
            )
            y = t_in.get_window_extent(renderer).y0 / fig.bbox.height - 0.008
            aspect = (bounds[3] - bounds[1]) / (bounds[2] - bounds[0])
            iw = panel_w
            ih = iw * W * aspect / H
            if ih > y - footer_top:
                ih = y - footer_top
                iw = ih * H / aspect / W
            iax = fig.add_axes([px0, y - ih, iw, ih])
            md.add_polygons(
                iax,
                list(kreise_th.geometry.values),
                "#e3e3e3",
                zorder=1,
                edgecolor="white",
                linewidth=0.4,
            )
            md.add_polygons(iax, [outline], "#0072B2", zorder=2, edgecolor="#003c5e", linewidth=0.6)
            iax.set_xlim(bounds[0], bounds[2])
            iax.set_ylim(bounds[1], bounds[3])
            iax.set_aspect("equal", adjustable="box", anchor="NW")
            iax.set_axis_off()
    fig.nahraum = {
        "map_ax": ax,
        "labels": placed,
        "legend_labels": legend_texts,
        "legends": legend_parts,
        "attribution": lines,
        "classes": classes,
        "title": title,
        "subtitle": t_sub.get_text(),
    }
    return fig


def key_figure_lines(result: Any, measure: str, lang: str = "de") -> list[str]:
    """The key figures of the region printed beside the map."""
    tot = result.totals
    target = result.params.target
    unit = i18n.unit_label(target, lang)
    T = numbers.auto_number(result.params.threshold_min, lang)
    lines = [
        i18n.t("rp_kf_people", lang, people=numbers.count(tot.get("people"), lang), unit=unit),
        i18n.t(
            "rp_kf_within",
            lang,
            T=T,
            people=numbers.count(tot.get("people_within"), lang),
            share=numbers.percent(tot.get("share_within"), lang),
        ),
        i18n.t(
            "rp_kf_beyond",
            lang,
            T=T,
            people=numbers.count(tot.get("people_beyond"), lang),
            share=numbers.percent(tot.get("share_beyond"), lang),
        ),
    ]
    per = numbers.number(settings.ACCESS_PER_PEOPLE, 0, lang)
    if measure == "gap":
        lines.append(
            i18n.t(
                "rp_kf_gap",
                lang,
                gap=numbers.number(tot.get("gap") or 0, 0, lang),
                unit_minutes=i18n.unit_minutes(target, lang),
                per_1000=numbers.number(tot.get("gap_per_1000") or 0, 0, lang),
                per="\u00a0" + per if lang == "de" else per,
            )
        )
    elif measure in ("2sfca", "e2sfca"):
        lines.append(
            i18n.t(
                "rp_kf_access",
                lang,
                measure=measure.upper(),
                value=numbers.number(tot.get(measure + "_mean") or 0, 2, lang),
                per=per,
                unit=unit,
            )
        )
    elif measure == "count":
        lines.append(
            i18n.t(
                "rp_kf_count",
                lang,
                T=T,
                value=numbers.number(tot.get("services_within_mean") or 0, 2, lang),
            )
        )
    worst = [w["name"] for w in tot.get("worst_gemeinden", [])][:3]
    if worst:
        lines.append(i18n.t("rp_worst", lang, names=", ".join(worst)))
    return lines


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------
_COUNT_CODES = (
    "people",
    "people_within",
    "people_beyond",
    "people_unreachable",
    "gap",
    "gap_per_1000",
    "services_in_gemeinde",
    "services_reachable",
)
_FORMAT_BY_CODE = {
    **dict.fromkeys(_COUNT_CODES, "count"),
    **dict.fromkeys(
        ("minutes_mean", "minutes_median", "minutes_p90", "share_within", "share_beyond"),
        "decimal1",
    ),
    "services_within_mean": "decimal2",
    "2sfca_mean": "decimal3",
    "e2sfca_mean": "decimal3",
}
#: Columns of the Gemeinde table with an explanation (``col_help.<code>``) in the notes.
_HELP_CODES = tuple(analysis.GEMEINDE_COLUMNS)
#: Columns whose explanation ends with the formula of :func:`present.describe.formulas`.
_FORMULA_OF = {"2sfca_mean": "2sfca", "e2sfca_mean": "e2sfca", "gap": "gap"}


def column_formats(table: pd.DataFrame, labels: Mapping[str, str]) -> dict[str, str]:
    """Excel number format per column label (``labels``: code → label of ``table``)."""
    formats = {**_FORMAT_BY_CODE, "ags": "text", "n_gemeinden": "int"}
    return {
        labels[code]: fmt
        for code, fmt in formats.items()
        if code in labels and labels[code] in table.columns
    }


def _param_rows(result: Any, created: dt.date | None, lang: str) -> list[tuple[str, str]]:
    meta = result.metadata
    p = result.params

    def t(key: str, **kw: Any) -> str:
        return i18n.t(key, lang, **kw)

    region = f"{meta.get('region_label') or ''} ({meta.get('region') or ''})"
    services = t(
        "xn.services_value", kinds=_kinds_text(result, lang), n=meta.get("services_used", 0)
    )
    target = f"{i18n.target_label(p.target, lang)} ({i18n.unit_label(p.target, lang)})"
    unknown = i18n.tn(
        "xn.capacity_unknown_value",
        int(meta.get("capacity_unknown", 0)),
        lang,
        capacity=numbers.auto_number(settings.DEFAULT_CAPACITY, lang),
    )
    return [
        (t("xn.region"), region),
        (t("xn.services"), services),
        (t("xn.target"), target),
        (t("xn.mode"), i18n.mode_label(p.mode, lang)),
        (t("xn.threshold"), f"{numbers.auto_number(p.threshold_min, lang)} min"),
        (t("xn.model"), describe.model_text(result, lang)),
        (t("xn.decay"), t(f"decay.{p.decay or 'none'}")),
        (t("xn.cap"), f"{numbers.auto_number(meta.get('gap_cap_min', 0), lang)} min"),
        (t("xn.capacity_unknown"), unknown),
        (t("xn.hash"), str(meta.get("content_hash") or "")),
        (t("xn.exported"), t("xn.exported_value", date=_today(created))),
    ]


def _method_rows(result: Any, planning: PlanningRegions | None, lang: str) -> list[tuple[str, str]]:
    meta = result.metadata

    def t(key: str, **kw: Any) -> str:
        return i18n.t(key, lang, **kw)

    rows = [
        (t("xn.population"), t("xn.population_text")),
        (t("xn.quality"), i18n.quality_note(result.params.target, lang)),
        (t("xn.demand"), "; ".join(describe.demand_lines(meta, lang)) or t("demand_base")),
        (t("xn.traveltime"), t("xn.traveltime_text", model=describe.model_text(result, lang))),
        (t("xn.aggregation"), t("xn.aggregation_text")),
        (
            t("xn.suppression"),
            t(
                "xn.suppression_text",
                upper=settings.SMALL_COUNT_LIMIT - 1,
                shown=analysis.SUPPRESSED,
                total=t("table_total"),
            ),
        ),
        (t("xn.number_format"), t("xn.number_format_text")),
    ]
    for k, note in enumerate(describe.notes_text(meta.get("notes"), lang), start=1):
        rows.append((t("xn.note", i=k), note))
    if planning is not None:
        rows.append(
            (
                t("xn.planning"),
                t("xn.planning_text", method=planning.method, source=planning.source),
            )
        )
        rows += [(t("xn.planning_note"), w) for w in planning.warnings]
    return rows


def _notes(
    result: Any,
    planning: PlanningRegions | None,
    created: dt.date | None,
    lang: str = "de",
) -> list[tuple[str, list[tuple[str, str]]]]:
    """The explanation sheet: title, parameters, columns, method, formulas, sources."""
    meta = result.metadata
    p = result.params
    labels = present_tables.result_labels(result, lang)
    formulas = describe.result_formulas(result, lang)
    title = i18n.t(
        "xn.title",
        lang,
        target=i18n.target_label(p.target, lang),
        mode=i18n.mode_label(p.mode, lang),
        T=numbers.auto_number(p.threshold_min, lang),
        region=meta.get("region_label") or "",
    )
    cols = []
    for code in _HELP_CODES:
        text = i18n.t(f"col_help.{code}", lang)
        if code in _FORMULA_OF:
            text += i18n.t("xn.formula_suffix", lang, formula=formulas[_FORMULA_OF[code]])
        cols.append((labels[code], text))
    if planning is not None:
        plan = present_tables.planning_labels(result, lang)
        cols += [
            (plan[code], i18n.t(f"col_help.planning.{code}", lang))
            for code in ("name", "n_gemeinden", "ags")
        ]
    sources = [
        (str(s.get("name", "")), f"{s.get('attribution', '')} ({s.get('date', '')})")
        for s in meta.get("sources") or []
    ]
    return [
        (title, []),
        (i18n.t("xn.params_head", lang), _param_rows(result, created, lang)),
        (i18n.t("xn.columns_head", lang), cols),
        (i18n.t("xn.method_head", lang), _method_rows(result, planning, lang)),
        (i18n.t("xn.formulas_head", lang), list(formulas.items())),
        (i18n.t("xn.sources_head", lang), sources),
    ]


def tables(
    result: Any, planning: PlanningRegions | None = None, lang: str = "de"
) -> dict[str, pd.DataFrame]:
    """The export tables: ``{"Gemeinden": …, "Planungsräume": …, "Zuordnung": …}``."""
    out = {"Gemeinden": present_tables.table(result, lang, suppress=True, total_row=True)}
    if planning is not None:
        out["Planungsräume"] = present_tables.planning_table(result, planning, lang)
        out["Zuordnung"] = planning.to_frame()
    return out


def legend_table(classes: Classes, result: Any, lang: str = "de") -> pd.DataFrame:
    """The map legend as a table: class, label, colour, upper limit, cells, target group.

    The same :class:`present.classes.Classes` as the web map and the report map, so the
    labels and limits are identical; the upper limit is empty for the last class (and
    for classes without a numeric limit).
    """
    n = len(classes.labels)
    codes = np.asarray(classes.codes)
    people = result.cells["people"].to_numpy(dtype=float)
    shown = people > 0
    offset = n - len(classes.limits) - 1  # classes before the first limit (e.g. "keine Lücke")
    upper: list[float | None] = [None] * n
    for i, limit in enumerate(classes.limits):
        if 0 <= i + offset < n - 1:
            upper[i + offset] = float(limit)
    unit = i18n.unit_label(result.params.target, lang)
    return pd.DataFrame(
        {
            i18n.t("rp_legend_class", lang): list(range(1, n + 1)),
            i18n.t("rp_legend_label", lang): list(classes.labels),
            i18n.t("rp_legend_color", lang): list(classes.colors),
            i18n.t("rp_legend_upper", lang): upper,
            i18n.t("rp_legend_cells", lang): [int(((codes == k) & shown).sum()) for k in range(n)],
            i18n.t("rp_legend_people", lang, unit=unit): [
                float(np.round(people[(codes == k) & shown].sum())) for k in range(n)
            ],
        }
    )


def table_workbook(
    result: Any,
    planning: PlanningRegions | None = None,
    created: dt.date | None = None,
    lang: str = "de",
    measure: str | None = None,
) -> bytes:
    """The XLSX workbook of :func:`export_table` as bytes (also the app's download)."""
    tabs = tables(result, planning, lang)
    labels = present_tables.result_labels(result, lang)
    sheets = [("Gemeinden", tabs["Gemeinden"], column_formats(tabs["Gemeinden"], labels), 2, True)]
    if planning is not None:
        pt = tabs["Planungsräume"]
        plan = present_tables.planning_labels(result, lang)
        sheets.append(("Planungsräume", pt, column_formats(pt, plan), 1, True))
        sheets.append(
            ("Zuordnung", tabs["Zuordnung"], {"Flächenanteil": "decimal2", "AGS": "text"}, 2, False)
        )
    measure = measure or result.params.measure
    classes = measure_classes(
        measure,
        result.cells[measure].to_numpy(dtype=float),
        result.params.threshold_min,
        result.params.target,
        lang,
    )
    legend = legend_table(classes, result, lang)
    fmt = {legend.columns[4]: "count", legend.columns[5]: "count"}
    sheets.append((i18n.t("rp_legend_sheet", lang), legend, fmt, 2, False))
    notes = _notes(result, planning, created, lang)
    notes.insert(1, (i18n.t("rp_legend_title", lang, title=classes.title.replace("\n", " ")), []))
    return xlsx.workbook_bytes(sheets, notes)


def export_table(
    result: Any,
    path: str | os.PathLike,
    fmt: str | None = None,
    planning: PlanningRegions | None = None,
    created: dt.date | None = None,
    lang: str = "de",
) -> Path:
    """Write the table per Gemeinde (and per planning region) as XLSX or CSV.

    Parameters
    ----------
    result : AnalysisResult
    path : path
        Output file (written atomically).
    fmt : {"xlsx", "csv", "csv-int"}, optional
        ``"csv"``: German Excel CSV (``;``, decimal comma, UTF-8 with BOM);
        ``"csv-int"``: international (``,``, decimal point, UTF-8). Default:
        from the suffix (``.csv`` = German).
    planning : PlanningRegions, optional
        XLSX: extra sheets "Planungsräume" and "Zuordnung"; CSV: a second file
        ``<name>_planungsraeume.csv`` next to ``path``.
    created : date, optional
        Export date in the explanation sheet.
    lang : {"de", "en"}
        Language of the column labels and the legend sheet.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    fmt = export_format(path, fmt, TABLE_FORMATS)
    if fmt == "xlsx":
        write_bytes_atomic(path, table_workbook(result, planning, created, lang))
        return _readable(path)
    tabs = tables(result, planning, lang)
    german = fmt == "csv"
    write_bytes_atomic(path, csv_bytes(tabs["Gemeinden"], german))
    if planning is not None:
        second = path.with_name(path.stem + PLANNING_CSV_SUFFIX + path.suffix)
        write_bytes_atomic(second, csv_bytes(tabs["Planungsräume"], german))
        _readable(second)
    return _readable(path)


# ---------------------------------------------------------------------------
# GeoPackage
# ---------------------------------------------------------------------------
def _suppressed_counts(df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Counts rounded to integers; 1 … limit-1 become NULL (see metadata)."""
    out = df.copy()
    for col in columns:
        r = np.floor(pd.to_numeric(out[col], errors="coerce").to_numpy(float) + 0.5)
        r = np.where((r > 0) & (r < settings.SMALL_COUNT_LIMIT), np.nan, r)
        out[col] = pd.array([None if np.isnan(v) else int(v) for v in r], dtype="Int64")
    return out


def _indicator_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Summary columns for GIS: rounded, shares in percent, counts suppressed."""
    out = df.copy()
    for col in ("minutes_mean", "minutes_median", "minutes_p90"):
        v = out[col].to_numpy(float)
        out[col] = np.round(np.where(np.isfinite(v), v, np.nan), 1)
    for col in ("share_within", "share_beyond"):
        out[col + "_pct"] = np.round(out.pop(col).to_numpy(float) * 100, 1)
    out["services_within_mean"] = np.round(out["services_within_mean"].to_numpy(float), 2)
    out = out.rename(columns={"2sfca_mean": "sfca2_mean", "e2sfca_mean": "e2sfca_mean"})
    for col in ("sfca2_mean", "e2sfca_mean"):
        out[col] = np.round(out[col].to_numpy(float), 3)
    for col in ("gap", "gap_per_1000"):
        out[col] = np.round(out[col].to_numpy(float), 0)
    return _suppressed_counts(out, analysis.COUNT_COLUMNS)


def _gis_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Plain column types for GDAL: lists/dicts/categoricals as text."""
    out = df.copy()
    for col in out.columns:
        if col == getattr(out, "_geometry_column_name", None):
            continue
        s = out[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            out[col] = s.astype(object).where(s.notna(), None).astype("str")
        elif s.dtype == object:
            out[col] = [
                None
                if v is None or (isinstance(v, float) and np.isnan(v))
                else (
                    json.dumps(v, ensure_ascii=False, default=str)
                    if isinstance(v, (list, dict, tuple))
                    else v
                )
                for v in s
            ]
    return out


def _as_points(data: Any, name: str) -> gpd.GeoDataFrame:
    """GeoDataFrame (any CRS) or DataFrame with x/y (EPSG:3035) or lat/lon → EPSG:3035 points."""
    if isinstance(data, gpd.GeoDataFrame):
        gdf = data if data.crs is not None else data.set_crs(settings.CRS_METRIC)
        return _crs.to_metric(gdf)
    df = pd.DataFrame(data)
    if {"x", "y"} <= set(df.columns):
        geom = gpd.points_from_xy(df["x"], df["y"], crs=settings.CRS_METRIC)
        return gpd.GeoDataFrame(df, geometry=geom, crs=settings.CRS_METRIC)
    if {"lat", "lon"} <= set(df.columns):
        geom = gpd.points_from_xy(df["lon"], df["lat"], crs=settings.CRS_DISPLAY)
        return gpd.GeoDataFrame(df, geometry=geom).to_crs(settings.CRS_METRIC)
    raise InputError(
        f"{name}: erwartet werden Punkte (GeoDataFrame) oder Spalten x/y (EPSG:3035) bzw. lat/lon."
    )


def metadata_rows(
    region: Any,
    result: Any,
    planning: PlanningRegions | None = None,
    created: dt.date | None = None,
    lang: str = "de",
) -> list[tuple[str, str]]:
    """Key/value rows of the ``nahraum_metadata`` table (values in ``lang``)."""
    meta = result.metadata
    p = result.params
    labels = present_tables.result_labels(result, lang)
    title = i18n.t(
        "gpkg_title",
        lang,
        target=i18n.target_label(p.target, lang),
        kinds=_kinds_text(result, lang),
        mode=i18n.mode_label(p.mode, lang),
        T=numbers.auto_number(p.threshold_min, lang),
    )
    rows = [
        ("title", title),
        ("region", str(meta.get("region") or getattr(region, "name", ""))),
        ("region_label", str(meta.get("region_label") or getattr(region, "label", ""))),
        ("content_hash", str(meta.get("content_hash") or "")),
        ("params", json.dumps(p.to_dict(), ensure_ascii=False)),
        ("model", describe.model_text(result, lang)),
        ("model_kind", str(meta.get("model_kind", ""))),
        ("target_label", i18n.target_label(p.target, lang)),
        ("target_unit", i18n.unit_label(p.target, lang)),
        ("mode_label", i18n.mode_label(p.mode, lang)),
        ("threshold_min", numbers.auto_number(p.threshold_min, lang)),
        ("services_used", str(meta.get("services_used", ""))),
        (
            "suppression",
            i18n.t("gpkg_suppression", lang, upper=settings.SMALL_COUNT_LIMIT - 1),
        ),
        ("exported", (created or dt.date.today()).isoformat()),
        ("software", "Nahraum"),
        ("crs", settings.CRS_METRIC),
    ]
    rows += [(f"formula:{k}", v) for k, v in describe.result_formulas(result, lang).items()]
    rows += [
        (f"note:{i}", n)
        for i, n in enumerate(describe.notes_text(meta.get("notes"), lang), start=1)
    ]
    for code, label in labels.items():
        rows.append((f"column:{code}", label))
    rows += [
        ("column:share_within_pct", labels["share_within"]),
        ("column:share_beyond_pct", labels["share_beyond"]),
        ("column:sfca2_mean", labels["2sfca_mean"]),
        ("column:zellen.sfca2", i18n.t("gpkg_cell_2sfca", lang)),
        ("column:zellen.minutes", i18n.t("gpkg_cell_minutes", lang)),
    ]
    for s in (getattr(region, "meta", None) or {}).get("sources") or meta.get("sources") or []:
        rows.append(
            (f"source:{s.get('name', '')}", f"{s.get('attribution', '')} ({s.get('date', '')})")
        )
    if planning is not None:
        rows += [("planning_source", planning.source), ("planning_method", planning.method)]
        rows += [(f"planning_warning:{i}", w) for i, w in enumerate(planning.warnings, 1)]
    return rows


def export_geopackage(
    region: Any,
    result: Any,
    path: str | os.PathLike,
    scenario_sites: Any = None,
    pins: Any = None,
    planning: PlanningRegions | None = None,
    *,
    cell_geometry: str = "polygon",
    include_people: bool = False,
    created: dt.date | None = None,
) -> Path:
    """Write a GeoPackage (EPSG:3035) with every layer of the analysis for QGIS.

    Layers: ``gemeinden`` (indicators; counts 1–2 NULL), ``zellen`` (100 m
    squares or centre points with travel time, within, count, 2SFCA, E2SFCA,
    nearest service; people and gap only with ``include_people``),
    ``angebote`` (all services of the region, ``ausgewaehlt`` and the
    catchment ratios of the selection), ``planungsraeume``,
    ``szenario_standorte`` and ``markierungen`` when given, and the
    non-spatial table ``nahraum_metadata`` (key, value: parameters, model,
    formulas, notes, column labels, sources); every layer has a description
    (``gpkg_contents.description``).

    Parameters
    ----------
    scenario_sites, pins : GeoDataFrame or DataFrame (x/y or lat/lon), optional
    planning : PlanningRegions, optional
    cell_geometry : {"polygon", "point"}
    include_people : bool
        Also write ``people`` and ``gap`` per cell (modelled, not suppressed).
    """
    import pyogrio

    path = Path(path)
    if cell_geometry not in ("polygon", "point"):
        raise InputError(f"Unbekannte Zellgeometrie „{cell_geometry}“ (polygon oder point).")
    gem = region.gemeinden
    base_cols = [
        c for c in ("ags", "name", "kreis", "kreis_name", "vg_name", "pop") if c in gem.columns
    ]
    ind = _indicator_frame(result.gemeinden[list(analysis.SUMMARY_COLUMNS)])
    g_layer = gpd.GeoDataFrame(
        pd.concat([gem[base_cols].reset_index(drop=True), ind.reset_index(drop=True)], axis=1),
        geometry=gem.geometry.values,
        crs=gem.crs,
    )
    cells = result.cells
    half = settings.CELL_SIZE_M / 2
    x = cells["x"].to_numpy(float)
    y = cells["y"].to_numpy(float)
    if cell_geometry == "polygon":
        cgeom = shapely.box(x - half, y - half, x + half, y + half)
    else:
        cgeom = shapely.points(x, y)
    minutes = cells["minutes"].to_numpy(float)
    c_df = pd.DataFrame(
        {
            "x": cells["x"].to_numpy(np.int64),
            "y": cells["y"].to_numpy(np.int64),
            "ags": cells["ags"].astype(str).to_numpy(),
            "minutes": np.round(np.where(np.isfinite(minutes), minutes, np.nan), 2),
            "within": cells["within"].to_numpy(bool),
            "count": cells["count"].to_numpy(np.int64),
            "sfca2": np.round(cells["2sfca"].to_numpy(float), 4),
            "e2sfca": np.round(cells["e2sfca"].to_numpy(float), 4),
            "service_id": cells["service_id"]
            .astype(object)
            .where(cells["service_id"].notna(), None)
            .to_numpy(),
        }
    )
    if include_people:
        c_df["people"] = np.round(cells["people"].to_numpy(float), 2)
        c_df["gap"] = np.round(cells["gap"].to_numpy(float), 2)
    c_layer = gpd.GeoDataFrame(c_df, geometry=cgeom, crs=settings.CRS_METRIC)
    svc_all = region.services
    keep = [c for c in svc_all.columns if c != svc_all.geometry.name]
    s_layer = gpd.GeoDataFrame(
        svc_all[keep].copy(), geometry=svc_all.geometry.values, crs=svc_all.crs
    )
    s_layer["ausgewaehlt"] = s_layer.index.isin(result.services.index)
    for col in ("capacity_used", "demand_2sfca", "ratio_2sfca", "demand_e2sfca", "ratio_e2sfca"):
        if col in result.services.columns:
            s_layer[col.replace("2sfca", "sfca2") if col.endswith("_2sfca") else col] = (
                result.services[col].reindex(s_layer.index)
            )
    s_layer = s_layer.loc[s_layer.geometry.notna() & ~s_layer.geometry.is_empty]
    layers: list[tuple[str, gpd.GeoDataFrame | pd.DataFrame, str]] = [
        ("gemeinden", g_layer, "Gemeinden mit Kennzahlen der Analyse"),
        ("zellen", c_layer, "100-m-Zellen (Zensus 2022) mit Wegezeit und Versorgung"),
        ("angebote", s_layer, "Angebote der Region; ausgewaehlt = in der Analyse"),
    ]
    if planning is not None:
        agg = _indicator_frame(aggregate(result, planning).drop(columns=["name", "ags"]))
        p_layer = gpd.GeoDataFrame(
            pd.concat(
                [
                    planning.regions[["name", "ags"]].reset_index(drop=True),
                    agg.reset_index(drop=True),
                ],
                axis=1,
            ),
            geometry=planning.regions.geometry.values,
            crs=planning.regions.crs,
        )
        layers.append(("planungsraeume", p_layer, f"Planungsräume: {planning.method}"))
    if scenario_sites is not None and len(scenario_sites):
        layers.append(
            (
                "szenario_standorte",
                _as_points(scenario_sites, "Szenario-Standorte"),
                "Standorte des Szenarios",
            )
        )
    if pins is not None and len(pins):
        layers.append(
            ("markierungen", _as_points(pins, "Markierungen"), "Markierungen aus dem Workshop")
        )
    rows = metadata_rows(region, result, planning, created)
    meta_df = pd.DataFrame(rows, columns=["key", "value"])
    with atomic_path(path) as tmp:
        # GDAL wants the .gpkg extension: write into a private folder next to the target
        work = Path(tempfile.mkdtemp(prefix=".nahraum-gpkg-", dir=path.parent))
        try:
            gpkg = work / "export.gpkg"
            # Parameters go into the table, not into GDAL dataset metadata: that one
            # makes every later read-only open by GDAL write a .gpkg.aux.xml sidecar.
            for name, gdf, description in layers:
                pyogrio.write_dataframe(
                    _gis_safe(gdf),
                    gpkg,
                    layer=name,
                    driver="GPKG",
                    layer_metadata={"DESCRIPTION": description},
                )
            pyogrio.write_dataframe(meta_df, gpkg, layer=METADATA_TABLE, driver="GPKG")
            os.replace(gpkg, tmp)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return _readable(path)


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------
__all__ = [
    "render_map",
    "build_figure",
    "export_table",
    "export_geopackage",
    "table_workbook",
    "tables",
    "subtitle",
    "attribution_lines",
    "coverage_lines",
    "metadata_rows",
    "FORMATS",
    "MAP_FORMATS",
    "TABLE_FORMATS",
]
