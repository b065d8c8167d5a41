"""The atlas' tables for people: one workbook per mode, one CSV per mode × target group.

Figures come from the atlas partitions (``geo.atlas.read_gemeinden``), rounded and with
counts of 1 and 2 suppressed as on screen (``geo.analysis.rounded_table``,
``suppress_small``); column labels from ``present.tables.column_labels``, so a table of
the atlas reads like the table of the interactive analysis of the same Kreis.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from geo import analysis, atlas, settings
from geo._io import write_bytes_atomic
from present import classes as pclasses
from present import describe, i18n
from present import tables as ptables
from present.numbers import date, number

from . import _mapdraw, xlsx
from .export import column_formats
from .files import csv_bytes

TABLES_DIR = "tabellen"


def labelled(rows: pd.DataFrame, target: str, threshold: float, lang: str = "de") -> pd.DataFrame:
    """Rows of one target group (and mode) as the labelled planner table."""
    body = analysis.suppress_small(
        analysis.rounded_table(rows[list(analysis.GEMEINDE_COLUMNS)].reset_index(drop=True)),
        analysis.COUNT_COLUMNS,
    )
    body = body.rename(columns=ptables.column_labels(target, threshold, lang))
    body.insert(
        0, i18n.t("atlas_col_kind", lang), [i18n.category_label(k, lang) for k in rows["kind"]]
    )
    body.insert(0, i18n.t("atlas_col_kreis", lang), rows["kreis"].astype(str).to_numpy())
    return body


def write_tables(out: str | os.PathLike, lang: str = "de") -> list[Path]:
    """Write ``atlas_<mode>.xlsx`` (a sheet per target group) and the CSV files."""
    out = Path(out)
    manifest = atlas.read_manifest(out)
    data = atlas.read_gemeinden(out)
    written: list[Path] = []
    if data.empty:
        return written
    notes = [
        (
            i18n.t("atlas_notes_title", lang),
            [
                (i18n.t("atlas_note_region", lang), str(manifest.get("region_label") or "")),
                (i18n.t("atlas_note_partitions", lang), str(len(manifest.get("partitions", [])))),
                (
                    i18n.t("atlas_note_method", lang),
                    i18n.t(
                        "atlas_method", lang, km=number(settings.REGION_BUFFER_M / 1000, 0, lang)
                    ),
                ),
                (
                    i18n.t("atlas_note_sources", lang),
                    "; ".join(
                        dict.fromkeys(
                            s.get("attribution", "")
                            for p in manifest.get("partitions", [])
                            for s in p.get("sources", [])
                            if s.get("attribution")
                        )
                    ),
                ),
            ],
        )
    ]
    for mode, by_mode in data.groupby("mode", sort=False):
        sheets = []
        for target in settings.TARGET_GROUPS:
            rows = by_mode.loc[by_mode["target"] == target]
            if rows.empty:
                continue
            rows = rows.sort_values(["kreis", "kind", "ags"], kind="stable")
            threshold = float(rows["threshold_min"].iloc[0])
            table = labelled(rows, target, threshold, lang)
            labels = ptables.column_labels(target, threshold, lang)
            title = re.sub(r"[\[\]:*?/\\]", "", i18n.target_label(target, lang))
            sheets.append((title, table, column_formats(table, labels), 4, False))
            csv = out / TABLES_DIR / f"{mode}_{target}.csv"
            csv.parent.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(csv, csv_bytes(table, german=lang == "de"))
            written.append(csv)
        book = out / f"atlas_{mode}.xlsx"
        write_bytes_atomic(book, xlsx.workbook_bytes(sheets, notes))
        written.append(book)
    return written


def atlas_map(
    out: str | os.PathLike,
    kreise: Sequence[str],
    mode: str,
    kind: str,
    target: str,
    measure: str = "minutes",
    lang: str = "de",
    dpi: int = 110,
) -> bytes:
    """PNG of one measure of the atlas for ``kreise`` (cells, Gemeinde and Kreis lines).

    Classes from ``present.classes.measure_classes`` (as on the web map and in exports);
    the Gemeinde outlines come from the VG250 boundaries (``geo.boundaries``), the cells
    from the atlas partitions, read only.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from geo import boundaries

    manifest = atlas.read_manifest(out)
    parts = {(p["kreis"], p["mode"]): p for p in manifest.get("partitions", [])}
    column = measure if measure in atlas.CELL_SHARED else f"{measure}__{target}"
    frames = [atlas.read_cells(out, k, mode, kind, [column]) for k in kreise]
    cells = pd.concat(frames, ignore_index=True)
    centres = cells.geometry.centroid
    x, y = centres.x.to_numpy(), centres.y.to_numpy()
    threshold = float(parts[(kreise[0], mode)]["threshold_min"])
    values = cells[column].to_numpy(dtype=float)
    classes = pclasses.measure_classes(measure, values, threshold, target, lang)
    gem = boundaries.read_gemeinden(settings.data_dir())
    gem = gem.loc[gem["kreis"].isin(list(kreise))]
    fig_in = (8.27, 6.6)
    with matplotlib.rc_context({"font.family": "DejaVu Sans"}):
        fig = plt.figure(figsize=fig_in)
        ax = fig.add_axes((0.02, 0.12, 0.66, 0.78))
        ax.set_axis_off()
        box = ax.get_position()
        lo, hi = gem.total_bounds[:2], gem.total_bounds[2:]
        x0, x1, y0, y1 = _mapdraw.fit_extent(
            (*lo, *hi), box.width * fig_in[0], box.height * fig_in[1]
        )
        img, extent = _mapdraw.cell_raster(x, y, classes.codes, classes.colors, (*lo, *hi))
        ax.imshow(img, extent=extent, interpolation="nearest", zorder=1)
        _mapdraw.add_outlines(ax, list(gem.geometry), "#9ca3af", 0.4, 2)
        kreis_lines = gem.dissolve("kreis").geometry
        _mapdraw.add_outlines(ax, list(kreis_lines), "#111827", 1.0, 3)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal")
        _mapdraw.draw_scalebar(ax, 7, lang=lang)
        _mapdraw.draw_north_arrow(ax, 7)
        title = i18n.t(
            "atlas_map_title",
            lang,
            kind=i18n.category_label(kind, lang),
            target=i18n.target_label(target, lang),
            mode=i18n.mode_label(mode, lang),
        )
        fig.text(0.02, 0.965, title, fontsize=11, fontweight="bold", va="top")
        _mapdraw.class_legend(fig, classes, (0.70, 0.88), fontsize=7.5)
        fig.text(
            0.02, 0.08, source_line(manifest, kreise, mode, lang), fontsize=6.5, va="top", wrap=True
        )
        buf = io.BytesIO()
        fig.savefig(buf, dpi=dpi, format="png")
        plt.close(fig)
    return buf.getvalue()


def source_line(manifest: dict, kreise: Sequence[str], mode: str, lang: str = "de") -> str:
    """Sources, dates and travel model of the shown partitions, in words."""
    parts = [
        p for p in manifest.get("partitions", []) if p["kreis"] in kreise and p["mode"] == mode
    ]
    attributions = dict.fromkeys(
        s.get("attribution", "")
        for p in parts
        for s in p.get("sources", [])
        if s.get("attribution")
    )
    model = describe.model_words(parts[0]["model"], lang) if parts and parts[0].get("model") else ""
    written = written_date(manifest, lang)
    return i18n.t(
        "atlas_source",
        lang,
        model=model,
        sources="; ".join(attributions) or "–",
        written=written,
        km=number(settings.REGION_BUFFER_M / 1000, 0, lang),
    )


def written_date(manifest: dict, lang: str = "de") -> str:
    """The date the atlas was last written, as a person reads it."""
    try:
        return date(dt.date.fromisoformat(str(manifest.get("written_at", ""))[:10]), lang)
    except ValueError:
        return "–"
