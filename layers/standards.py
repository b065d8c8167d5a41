"""The map layer "Richtwerte": Gemeinden coloured by the status of the standards check.

Takes the rows of :func:`geo.standards_check.check` (codes and numbers) and makes the
colours (``settings.STANDARD_STATUS_COLORS``), the legend and one tooltip line per
Gemeinde with the reason sentence of :func:`present.standards.reason`. One rule or
all of them: a Gemeinde under several rules shows its worst status
(:data:`present.standards.WORST_FIRST`) and every rule's sentence in its tooltip.
Gemeinden no rule applies to stay unfilled.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape as esc
from typing import Any

import folium
import pandas as pd

from geo import settings
from layers.boundaries import CHOROPLETH_OPACITY, ChoroplethFill
from layers.legend import LegendEntry, LegendSection, fill_swatch
from present import i18n
from present import standards as pstd

ALL_RULES = ""  # the rule choice "all rules"
PANE = "nahraum-choropleth"


@dataclass(frozen=True)
class StandardsLayer:
    """Colours, tooltip lines and legend of the standards layer (plain data, cacheable).

    Attributes
    ----------
    name : str
        Layer name in the layer control (also the legend section's layer).
    colors : dict
        AGS → ``#rrggbb`` of its (worst) status.
    tips : dict
        AGS → escaped HTML lines (rule, status, reason).
    status : dict
        AGS → status code shown (for tests and the table).
    legend : LegendSection
    """

    name: str
    colors: dict[str, str]
    tips: dict[str, str]
    status: dict[str, str]
    legend: LegendSection


def gemeinde_rows(rows: pd.DataFrame, rule: str = ALL_RULES) -> pd.DataFrame:
    """The Gemeinde-level rows of one rule (or of all rules)."""
    keep = rows["level"] == "gemeinde"
    if rule:
        keep &= rows["rule"] == rule
    return rows.loc[keep]


def layer_name(lang: str = i18n.DEFAULT_LANG) -> str:
    """Name of the layer in the layer control."""
    return i18n.t("layer_standards", lang)


def standards_layer(
    rows: pd.DataFrame, standards: Any, lang: str = i18n.DEFAULT_LANG, rule: str = ALL_RULES
) -> StandardsLayer:
    """Colour the Gemeinden by their status under ``rule`` (``""``: all rules, worst first).

    Parameters
    ----------
    rows : DataFrame
        ``CheckResult.rows``.
    standards : Standards
        The checked table (names the facility types in the reason).
    lang : {"de", "en"}
    rule : str
        A rule name of the table, or :data:`ALL_RULES`.

    Returns
    -------
    StandardsLayer
    """
    types = {r.rule: r.types for r in standards.rules}
    part = gemeinde_rows(rows, rule)
    status: dict[str, str] = {}
    lines: dict[str, list[str]] = {}
    for rec in part.to_dict("records"):
        rec["types"] = types.get(rec["rule"], ())
        ags = str(rec["key"])
        status[ags] = pstd.worst_status((status.get(ags, ""), rec["status"]))
        lines.setdefault(ags, []).append(
            f"<b>{esc(str(rec['rule']))}: {esc(pstd.status_label(rec['status'], lang))}</b>"
            f" – {esc(pstd.reason(rec, lang))}"
        )
    colors = {ags: settings.STANDARD_STATUS_COLORS[s] for ags, s in status.items()}
    tips = {ags: "<br>".join(v) for ags, v in lines.items()}
    name = layer_name(lang)
    shown = set(status.values())
    entries = [
        LegendEntry(
            pstd.status_label(code, lang),
            fill_swatch(
                settings.STANDARD_STATUS_COLORS[code], border="#777777", opacity=CHOROPLETH_OPACITY
            ),
        )
        for code in settings.STANDARD_STATUSES
        if code in shown or code in ("erfuellt", "fehlt", "ueber_richtwert")
    ]
    title = i18n.t("lg_standards", lang, rule=rule or i18n.t("std_all_rules", lang))
    legend = LegendSection(title=title, entries=tuple(entries), layer_name=name)
    return StandardsLayer(name=name, colors=colors, tips=tips, status=status, legend=legend)


def standards_group(layer: StandardsLayer) -> folium.FeatureGroup:
    """The layer as a feature group for the map (fill by AGS, tooltip lines separately)."""
    group = folium.FeatureGroup(name=layer.name, overlay=True, control=True)
    ChoroplethFill(layer.colors, pane=PANE).add_to(group)
    return group


def merged_tips(*tips: dict[str, str] | None) -> dict[str, str]:
    """Tooltip lines of several layers per AGS, one below the other."""
    out: dict[str, str] = {}
    for part in tips:
        for ags, line in (part or {}).items():
            out[ags] = f"{out[ags]}<br>{line}" if ags in out else line
    return out


__all__ = [
    "ALL_RULES",
    "StandardsLayer",
    "gemeinde_rows",
    "layer_name",
    "merged_tips",
    "standards_group",
    "standards_layer",
]
