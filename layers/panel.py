"""Figures around the map: control options, key figures and the click panel.

Everything here reads ``geo`` results (the region, an ``AnalysisResult``) and formats
them for display; nothing is computed that ``geo.analysis`` does not already provide,
apart from selecting and sorting rows.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo import analysis, settings
from layers._html import feature_collection, safe_url
from present import i18n, numbers

WORST_N = 3  # Gemeinden listed above the map


@dataclass(frozen=True)
class Figure:
    """One key figure: label, formatted value and an explanation."""

    label: str
    value: str
    help: str


@dataclass(frozen=True)
class Details:
    """Content of the click panel: a heading and label/value rows (plain text)."""

    kind: str  # "gemeinde", "cell", "service"
    title: str
    rows: tuple[tuple[str, str], ...]
    link: str | None = None  # an http(s) source link of a service


# ---------------------------------------------------------------------------
# Control options
# ---------------------------------------------------------------------------
def _located(services: pd.DataFrame) -> pd.DataFrame:
    geom_ok = services.geometry.notna() & ~services.geometry.is_empty
    if "precision" in services.columns:
        geom_ok &= services["precision"] != "not_found"
    return services.loc[geom_ok]


def category_counts(services: pd.DataFrame) -> dict[str, int]:
    """Located services per category code, in the order of ``settings.CATEGORIES``."""
    counts = _located(services)["category"].astype(str).value_counts()
    ordered = {c: int(counts.get(c, 0)) for c in settings.CATEGORIES if counts.get(c, 0)}
    ordered.update({str(c): int(n) for c, n in counts.items() if c not in ordered})
    return ordered


def subcategory_counts(services: pd.DataFrame, categories: Sequence[str] = ()) -> dict[str, int]:
    """Located services per subcategory (only of ``categories`` if given), by name."""
    located = _located(services)
    if categories:
        located = located[located["category"].astype(str).isin(list(categories))]
    sub = located["subcategory"].dropna().astype(str).str.strip()
    counts = sub[sub != ""].value_counts()
    return {str(k): int(counts[k]) for k in sorted(counts.index, key=str.casefold)}


def target_options() -> list[str]:
    """Target group codes ordered by life phase (``settings.LIFE_PHASES``)."""
    phases = list(settings.LIFE_PHASES)
    groups = list(settings.TARGET_GROUPS.values())
    groups.sort(key=lambda g: phases.index(g.life_phase) if g.life_phase in phases else len(phases))
    return [g.code for g in groups]


def target_option_label(code: str, lang: str = i18n.DEFAULT_LANG) -> str:
    """``"Lebensphase – Zielgruppe"``, e.g. ``"Frühe Kindheit – Kinder unter 10 Jahren"``."""
    group = settings.TARGET_GROUPS[code]
    return f"{i18n.phase_label(group.life_phase, lang)} – {i18n.target_label(code, lang)}"


def kinds(categories: Sequence[str], subcategories: Sequence[str]) -> tuple[str, ...]:
    """Service kinds for ``AnalysisParams``: chosen subcategories narrow the categories."""
    return tuple(subcategories) if subcategories else tuple(categories)


# ---------------------------------------------------------------------------
# Key figures
# ---------------------------------------------------------------------------
def worst_gemeinden(
    gemeinden: pd.DataFrame, n: int = WORST_N
) -> list[tuple[str, str, float, float]]:
    """The first ``n`` Gemeinden of ``geo.analysis.gap_ranking`` (the report's ranking too).

    Parameters
    ----------
    gemeinden : DataFrame
        ``result.gemeinden`` (``ags``, ``name``, ``gap``, ``gap_per_1000``, ``minutes_mean``).
    n : int

    Returns
    -------
    list of (ags, name, gap_per_1000, minutes_mean)
        Ties of the gap score per 1,000 broken by the longer mean travel time
        (``nan``: no service reachable).
    """
    g = analysis.gap_ranking(gemeinden)
    return [
        (str(r.ags), str(r.name), float(r.gap_per_1000), float(r.minutes_mean))
        for r in g.head(n).itertuples(index=False)
    ]


def worst_labels(
    worst: Sequence[tuple[str, str, float, float]], lang: str = i18n.DEFAULT_LANG
) -> list[str]:
    """``"Name (30.000)"``; where the score ties, the mean time that orders them is added
    (``"Name (30.000 · Ø 129,5 min)"``), so the list shows why one stands before another."""
    shown = [numbers.number(v, 0, lang) for _, _, v, _ in worst]  # ties as the reader sees them
    out = []
    for (_, name, _, minutes), text in zip(worst, shown, strict=True):
        if shown.count(text) > 1:
            text = i18n.t("kf_worst_tie", lang, score=text, minutes=numbers.minutes(minutes, lang))
        out.append(f"{name} ({text})")
    return out


def key_figures(result: Any, lang: str = i18n.DEFAULT_LANG) -> list[Figure]:
    """The four figures above the map: beyond, share served, mean time, worst Gemeinden."""
    p = result.params
    tot = result.totals
    T = numbers.auto_number(p.threshold_min, lang)
    target = i18n.target_label(p.target, lang)
    unit = i18n.unit_label(p.target, lang)
    worst = worst_gemeinden(result.gemeinden)
    worst_text = " · ".join(worst_labels(worst, lang))
    return [
        Figure(
            i18n.t("kf_beyond", lang, T=T),
            numbers.count(tot.get("people_beyond"), lang),
            i18n.t("kf_beyond_help", lang, T=T, target=target, unit=unit.capitalize()),
        ),
        Figure(
            i18n.t("kf_share", lang),
            numbers.percent(tot.get("share_within"), lang),
            i18n.t("kf_share_help", lang, T=T),
        ),
        Figure(
            i18n.t("kf_mean", lang),
            numbers.minutes(tot.get("minutes_mean"), lang),
            i18n.t("kf_mean_help", lang),
        ),
        Figure(
            i18n.t("kf_worst", lang),
            worst_text or i18n.t("kf_worst_none", lang),
            i18n.t("kf_worst_help", lang),
        ),
    ]


# ---------------------------------------------------------------------------
# Click panel
# ---------------------------------------------------------------------------
_TO_METRIC = Transformer.from_crs(settings.CRS_DISPLAY, settings.CRS_METRIC, always_xy=True)
_TO_DISPLAY = Transformer.from_crs(settings.CRS_METRIC, settings.CRS_DISPLAY, always_xy=True)


def cell_at(
    cells: pd.DataFrame, lat: float, lng: float, cell_size: float = settings.CELL_SIZE_M
) -> int | None:
    """Position (row number) of the cell containing a clicked point, or ``None``.

    Parameters
    ----------
    cells : DataFrame
        ``region.cells`` or ``result.cells`` (``x``, ``y``: EPSG:3035 cell centres).
    lat, lng : float
        The clicked point in degrees.
    cell_size : float
        Edge length in metres.
    """
    if lat is None or lng is None:
        return None
    x, y = _TO_METRIC.transform(float(lng), float(lat))
    cx = math.floor(x / cell_size) * cell_size + cell_size / 2
    cy = math.floor(y / cell_size) * cell_size + cell_size / 2
    hit = np.flatnonzero(
        (np.abs(cells["x"].to_numpy(dtype=float) - cx) < 1e-6)
        & (np.abs(cells["y"].to_numpy(dtype=float) - cy) < 1e-6)
    )
    return int(hit[0]) if hit.size else None


def cell_square_geojson(x: float, y: float, cell_size: float = settings.CELL_SIZE_M) -> dict:
    """The 100 m square around a cell centre (EPSG:3035) as display GeoJSON."""
    h = cell_size / 2
    square = shapely.box(x - h, y - h, x + h, y + h)
    square = shapely.transform(
        square, lambda c: np.column_stack(_TO_DISPLAY.transform(c[:, 0], c[:, 1]))
    )
    return feature_collection([square], [{}])


def gemeinde_details(result: Any, ags: str, lang: str = i18n.DEFAULT_LANG) -> Details | None:
    """Figures of one Gemeinde (from ``result.gemeinden``), or ``None`` if unknown."""
    g = result.gemeinden
    hit = g.loc[g["ags"].astype(str) == str(ags)]
    if hit.empty:
        return None
    r = hit.iloc[0]
    p = result.params
    T = numbers.auto_number(p.threshold_min, lang)
    unit = i18n.unit_label(p.target, lang)
    rows = (
        (i18n.t("p_people", lang), f"{numbers.count(r['people'], lang)} {unit}"),
        (i18n.t("p_share_within", lang, T=T), numbers.percent(r["share_within"], lang)),
        (i18n.t("p_beyond", lang, T=T), f"{numbers.count(r['people_beyond'], lang)} {unit}"),
        (i18n.t("p_mean", lang), numbers.minutes(r["minutes_mean"], lang)),
        (i18n.t("p_median", lang), numbers.minutes(r["minutes_median"], lang)),
        (i18n.t("p_gap_1000", lang), numbers.number(r["gap_per_1000"], 0, lang)),
        (i18n.t("p_2sfca", lang), numbers.number(r["2sfca_mean"], 3, lang)),
        (i18n.t("p_services_in", lang), numbers.number(r["services_in_gemeinde"], 0, lang)),
        (i18n.t("p_reachable", lang, T=T), numbers.number(r["services_reachable"], 0, lang)),
    )
    return Details("gemeinde", str(r["name"]), rows)


def cell_details(result: Any, pos: int, lang: str = i18n.DEFAULT_LANG) -> Details:
    """Figures of one 100 m cell (row ``pos`` of ``result.cells``)."""
    c = result.cells.iloc[int(pos)]
    p = result.params
    T = numbers.auto_number(p.threshold_min, lang)
    unit = i18n.unit_label(p.target, lang)
    names = (
        dict(
            zip(
                result.services["id"].astype(str), result.services["name"].astype(str), strict=False
            )
        )
        if "id" in result.services
        else {}
    )
    nearest = c["service_id"]
    nearest_text = (
        names.get(str(nearest), str(nearest))
        if isinstance(nearest, str)
        else i18n.t("p_no_service", lang)
    )
    rows = (
        (i18n.t("p_people", lang), f"{numbers.count(c['people'], lang)} {unit}"),
        (
            i18n.t("p_minutes", lang),
            numbers.minutes(c["minutes"], lang)
            if math.isfinite(float(c["minutes"]))
            else i18n.t("p_no_service", lang),
        ),
        (i18n.t("p_nearest", lang), nearest_text),
        (i18n.t("p_count", lang, T=T), numbers.number(c["count"], 0, lang)),
        (i18n.t("p_2sfca", lang), numbers.number(c["2sfca"], 3, lang)),
        (i18n.t("p_gap", lang), numbers.number(c["gap"], 0, lang)),
    )
    return Details("cell", i18n.t("panel_cell", lang), rows)


def service_details(
    region_services: pd.DataFrame, result: Any, service_id: str, lang: str = i18n.DEFAULT_LANG
) -> Details | None:
    """Who runs a service, where, and how many people of the target group it serves."""
    svc = region_services.loc[region_services["id"].astype(str) == str(service_id)]
    if svc.empty:
        return None
    s = svc.iloc[0]
    p = result.params
    T = numbers.auto_number(p.threshold_min, lang)
    unit = i18n.unit_label(p.target, lang)

    def text(key: str) -> str:
        v = s.get(key)
        return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip()

    kind = i18n.category_label(text("category"), lang)
    if text("subcategory"):
        kind += f" – {text('subcategory')}"
    town = " ".join(v for v in (text("postcode"), text("town")) if v)
    address = ", ".join(v for v in (text("street"), town) if v)
    rows = [
        (i18n.t("p_category", lang), kind),
        (i18n.t("p_provider", lang), text("provider")),
        (i18n.t("p_address", lang), address),
        (i18n.t("p_precision", lang), i18n.precision_label(text("precision") or None, lang)),
    ]
    chosen = result.services.loc[result.services["id"].astype(str) == str(service_id)]
    if chosen.empty:
        rows.append(("", i18n.t("p_not_selected", lang)))
    else:
        c = chosen.iloc[0]
        rows.append(
            (
                i18n.t("p_catchment_people", lang, T=T),
                f"{numbers.count(c['demand_2sfca'], lang)} {unit}",
            )
        )
        rows.append((i18n.t("p_ratio", lang), numbers.number(c["ratio_2sfca"], 3, lang)))
    source = text("source")
    link = safe_url(source)
    if source and link is None:
        rows.append((i18n.t("p_source", lang), source))
    return Details("service", text("name"), tuple((k, v) for k, v in rows if v), link)


def service_xy(result: Any, service_id: str) -> tuple[float, float] | None:
    """EPSG:3035 location of a selected service, or ``None`` if it is not selected."""
    chosen = result.services.loc[result.services["id"].astype(str) == str(service_id)]
    if chosen.empty:
        return None
    geom = chosen.geometry.iloc[0]
    return float(geom.x), float(geom.y)


# ---------------------------------------------------------------------------
# HTML and Markdown for the page (everything from data escaped)
# ---------------------------------------------------------------------------
def worst_html(
    figure: Figure, worst: Sequence[tuple[str, str, float, float]], lang: str = i18n.DEFAULT_LANG
) -> str:
    """The worst Gemeinden as a small numbered list under the figure's label."""
    items = (
        "".join(f"<li>{html.escape(text)}</li>" for text in worst_labels(worst, lang))
        or f"<li>{html.escape(figure.value)}</li>"
    )
    return (
        f'<div class="nahraum-worst" title="{html.escape(figure.help)}">'
        f'<div class="label">{html.escape(figure.label)}</div><ol>{items}</ol></div>'
    )


def details_html(details: Details, kind_label: str) -> str:
    """One block of the click panel: kind, heading, label/value table, source link."""
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
        if k
        else f'<tr><td colspan="2">{html.escape(v)}</td></tr>'
        for k, v in details.rows
    )
    link = ""
    if details.link and safe_url(details.link):
        url = html.escape(details.link, quote=True)
        link = (
            f'<p><a href="{url}" target="_blank" rel="noopener noreferrer">'
            f"{html.escape(details.link[:60])}</a></p>"
        )
    kind = f'<div class="kind">{html.escape(kind_label)}</div>' if kind_label else ""
    return (
        f'{kind}<h4 data-kind="{html.escape(details.kind, quote=True)}">'
        f"{html.escape(details.title)}</h4><table>{rows}</table>{link}"
    )


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~$])")


def md_escape(text: str) -> str:
    """Text for ``st.markdown`` shown literally (no emphasis, links, HTML or math)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))
