"""The Haltestellen-Erschließung as its own map layer (proxy without a timetable).

Colours each 100 m cell by the best service level of a stop within walking reach
(``geo.stops.stop_access``). It is labelled as walking access to stops, never as a
travel time to a service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import folium
import numpy as np

from geo import stops as geostops
from layers import cells
from layers.legend import LegendEntry, LegendSection, fill_swatch
from present import describe, i18n

# best level within the walk: gering, mittel, hoch, sehr hoch (light to dark blue)
LEVEL_COLORS = ("#c6dbef", "#6baed6", "#2171b5", "#08306b")
NONE_COLOR = "#bdbdbd"  # no stop within the walk


@dataclass(frozen=True)
class StopAccessOverlay:
    """The proxy raster with its legend (plain data, cacheable)."""

    name: str
    raster: cells.RasterImage
    legend: LegendSection
    attribution: str


def layer_name(lang: str = i18n.DEFAULT_LANG) -> str:
    """Name of the proxy layer in the layer control (also its legend key)."""
    return i18n.t("tr_proxy_layer", lang)


def level_codes(best_level: np.ndarray) -> np.ndarray:
    """Paint class per cell: 0 = no stop within the walk, 1 + level index otherwise."""
    return np.asarray(best_level, dtype=np.int64) + 1


def stop_access_overlay(
    access: Any, grid: cells.CellGrid, lang: str = i18n.DEFAULT_LANG
) -> StopAccessOverlay:
    """Paint ``access`` (``geo.stops.StopAccess`` of the cells of ``grid``) with a legend."""
    colors = (NONE_COLOR, *LEVEL_COLORS)
    raster = cells.paint(grid, level_codes(access.best_level), colors)
    name = layer_name(lang)
    minutes = access.threshold_min
    labels = [i18n.t("tr_proxy_none", lang, minutes=f"{minutes:g}")] + [
        i18n.t("tr_proxy_level", lang, level=i18n.label("stop_level", lvl, lang))
        for _, lvl in geostops.LEVELS
    ]
    entries = tuple(
        LegendEntry(text, fill_swatch(c, border=c, opacity=cells.OPACITY))
        for text, c in zip(labels, colors, strict=True)
    )
    legend = LegendSection(
        title=i18n.t("tr_proxy_title", lang, minutes=f"{minutes:g}"),
        entries=entries,
        layer_name=name,
        note=describe.stop_access_text(access.info, lang),
    )
    return StopAccessOverlay(name, raster, legend, describe.stop_access_text(access.info, lang))


def stop_access_group(ov: StopAccessOverlay) -> folium.FeatureGroup:
    """The overlay as a feature group for ``st_folium`` (shown on top of the measure)."""
    group = folium.FeatureGroup(name=ov.name, overlay=True, control=True)
    cells.population_layer(
        ov.raster, pane="nahraum-raster", name=ov.name, attribution=ov.attribution
    ).add_to(group)
    return group
