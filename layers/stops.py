"""Public-transport stops as one GeoJSON layer of circle markers (off by default)."""

from __future__ import annotations

import folium
import geopandas as gpd
from folium.utilities import JsCode

from geo import settings
from geo._crs import to_display
from layers._html import esc, feature_collection, js_code
from layers.legend import LegendEntry, LegendSection, circle_swatch
from present import i18n

LAYER_STOPS = "Haltestellen (ÖPNV)"
STOP_COLOR = "#1f3a93"
RAIL_COLOR = "#b30000"
PRODUCTS: tuple[tuple[str, str, str], ...] = (  # (flag, German, English)
    ("national", "Fernverkehr", "Long-distance rail"),
    ("regional", "Regionalverkehr", "Regional rail"),
    ("suburban", "S-Bahn", "Suburban rail"),
    ("tram", "Straßenbahn", "Tram"),
    ("bus", "Bus", "Bus"),
)


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "ja", "yes")
    try:
        return bool(value) and value == value  # NaN is falsy here
    except (TypeError, ValueError):
        return False


def stops_geojson(stops: gpd.GeoDataFrame, lang: str = i18n.DEFAULT_LANG) -> dict:
    """Stops as display GeoJSON: escaped tooltip, rail flag, radius from ``weight``.

    Parameters
    ----------
    stops : GeoDataFrame
        ``region.stops`` (``id``, ``name``, ``weight`` and product flags).
    lang : {"de", "en"}
        Language of the product names.

    Returns
    -------
    dict
        FeatureCollection, EPSG:4326; properties ``tooltip``, ``rail``, ``r``.
    """
    shown = to_display(stops[stops.geometry.notna() & ~stops.geometry.is_empty])
    n = len(shown)
    # column-wise (``iterrows`` took 4.6 s for the 10,000 stops of Thuringia)
    flags = {
        key: [_truthy(v) for v in shown[key]] if key in shown.columns else [False] * n
        for key, _de, _en in PRODUCTS
    }
    english = i18n.lang_of(lang) == "en"
    names = shown["name"].tolist() if "name" in shown.columns else [None] * n
    weights = shown["weight"].tolist() if "weight" in shown.columns else [0] * n
    props = []
    for i in range(n):
        served = [en if english else de for key, de, en in PRODUCTS if flags[key][i]]
        rail = any(flags[key][i] for key in ("national", "regional", "suburban"))
        try:
            weight = float(weights[i] or 0)
        except (TypeError, ValueError):
            weight = 0.0
        radius = 3.0 + min(max(weight, 0.0), 1.0) * 5.0
        products = esc(", ".join(served)) if served else "–"
        props.append(
            {
                "tooltip": f"<b>{esc(names[i])}</b><br>{products}",
                "rail": bool(rail),
                "r": round(radius, 1),
            }
        )
    return feature_collection(shown.geometry, props)


def stops_layer(
    geojson: dict, pane: str, show: bool = False, name: str = LAYER_STOPS
) -> folium.GeoJson:
    """Circle markers (SVG paths, no DOM markers); rail stations red, others blue.

    Parameters
    ----------
    geojson : dict
        Output of :func:`stops_geojson`.
    pane : str
        Map pane name.
    show : bool
        Initially visible (default off: about a thousand points).
    name : str
        Layer name in the layer control.
    """
    point_to_layer = JsCode(
        js_code(
            """function(feature, latlng) {
            var p = feature.properties;
            return L.circleMarker(latlng, {
                pane: $pane, radius: p.r, weight: 1, color: '#ffffff', opacity: 0.9,
                fillColor: p.rail ? $rail : $other, fillOpacity: 0.85, className: 'nahraum-stop'
            });
        }""",
            pane=pane,
            rail=RAIL_COLOR,
            other=STOP_COLOR,
        )
    )
    on_each = JsCode(
        """function(feature, layer) {
            layer.bindTooltip(feature.properties.tooltip, {className: 'nahraum-tooltip'});
        }"""
    )
    return folium.GeoJson(
        geojson,
        name=name,
        show=show,
        pane=pane,
        pointToLayer=point_to_layer,
        on_each_feature=on_each,
        attribution=settings.ATTRIBUTION["stops"],
    )


def legend_section(name: str = LAYER_STOPS, lang: str = i18n.DEFAULT_LANG) -> LegendSection:
    """Legend rows for stops."""
    return LegendSection(
        title=i18n.t("lg_stops", lang),
        entries=(
            LegendEntry(i18n.t("lg_rail", lang), circle_swatch("#ffffff", RAIL_COLOR, 5)),
            LegendEntry(i18n.t("lg_bus", lang), circle_swatch("#ffffff", STOP_COLOR, 4)),
        ),
        layer_name=name,
        note=i18n.t("lg_stops_note", lang),
    )
