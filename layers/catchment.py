"""The catchment of one service: its travel-time bands up to the threshold, as outlines.

Drawn when a service is clicked. The polygons come from
``geo.isochrones.service_isochrones`` (EPSG:3035, cumulative bands); this module only
turns them into display GeoJSON, a folium layer and a legend section.
"""

from __future__ import annotations

from collections.abc import Sequence

import folium
import geopandas as gpd
import numpy as np
import shapely
from folium.utilities import JsCode

from geo import settings
from geo._crs import to_display
from layers._html import feature_collection, js_code
from layers.legend import LegendEntry, LegendSection, line_swatch
from present import i18n, numbers

LINE = "#111111"
FILL = "#ffffff"
FILL_OPACITY = 0.18
SIMPLIFY_M = 15.0


def catchment_bands(
    threshold: float, bands: Sequence[float] = settings.ISOCHRONE_BANDS_MIN
) -> tuple[float, ...]:
    """Band limits drawn for a catchment: the standard bands below the threshold, and it.

    >>> catchment_bands(20)
    (5.0, 10.0, 15.0, 20.0)
    >>> catchment_bands(25)
    (5.0, 10.0, 15.0, 20.0, 25.0)
    """
    t = float(threshold)
    return tuple(sorted({float(b) for b in bands if b < t} | {t}))


def catchment_geojson(isochrones: gpd.GeoDataFrame, threshold: float) -> dict:
    """Display GeoJSON of a service's cumulative bands (largest first, so smaller ones lie on top).

    Parameters
    ----------
    isochrones : GeoDataFrame
        ``band_min_to`` and ``geometry`` (EPSG:3035), e.g. from
        ``geo.isochrones.service_isochrones(..., cumulative=True)`` for one service.
    threshold : float
        Minutes; the band ending there is drawn as the catchment outline.

    Returns
    -------
    dict
        FeatureCollection with properties ``minutes`` and ``outer`` (the threshold band).
    """
    if isochrones is None or len(isochrones) == 0:
        return {"type": "FeatureCollection", "features": []}
    gdf = isochrones.sort_values("band_min_to", ascending=False)
    geoms = shapely.simplify(np.asarray(gdf.geometry.values), SIMPLIFY_M, preserve_topology=True)
    gdf = gpd.GeoDataFrame(
        {"band_min_to": gdf["band_min_to"].to_numpy()}, geometry=geoms, crs=isochrones.crs
    )
    shown = to_display(gdf)
    props = [
        {"minutes": float(m), "outer": bool(abs(float(m) - float(threshold)) < 1e-9)}
        for m in gdf["band_min_to"]
    ]
    return feature_collection(shown.geometry, props)


def catchment_layer(geojson: dict, pane: str) -> folium.GeoJson:
    """Bands as outlines: the threshold band bold with a light fill, inner bands dashed."""
    style = JsCode(
        js_code(
            """function(f) {
            var outer = f.properties.outer;
            return {color: $line, weight: outer ? 3 : 1.4, opacity: 0.95,
                    dashArray: outer ? null : '5 4', fill: outer, fillColor: $fill,
                    fillOpacity: outer ? $opacity : 0, className: 'nahraum-catchment'};
        }""",
            line=LINE,
            fill=FILL,
            opacity=FILL_OPACITY,
        )
    )
    return folium.GeoJson(geojson, pane=pane, interactive=False, control=False, style=style)


def legend_section(
    threshold: float, name: str, lang: str = i18n.DEFAULT_LANG, inner: bool = True
) -> LegendSection:
    """Legend rows of a drawn catchment."""
    T = numbers.auto_number(threshold, lang)
    rows = [LegendEntry(i18n.t("lg_catchment", lang, T=T), line_swatch(LINE, 3))]
    if inner:
        rows.append(
            LegendEntry(
                i18n.t("lg_catchment_band", lang, T="5/10/…"), line_swatch(LINE, 1.4, dash="5 4")
            )
        )
    return LegendSection(title=name, entries=tuple(rows), layer_name=name)
