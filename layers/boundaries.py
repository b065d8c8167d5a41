"""Gemeinden and Kreise: the offline base map, the interactive boundary layer, choropleths.

The Gemeinde polygons travel to the browser once, in the interactive boundary layer.
The land fill of the base map and the choropleth of an indicator are drawn in the
browser from the same features (``window.nahraum.features``, see :mod:`layers.map`),
so a new indicator only sends one colour per Gemeinde.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import folium
import geopandas as gpd
import numpy as np
from branca.element import MacroElement
from folium.utilities import JsCode
from jinja2 import Template

from geo import _crs, settings
from layers._html import esc, feature_collection, js_code, ref_html
from layers.legend import LegendEntry, LegendSection, fill_swatch, line_swatch
from layers.roads import ROAD_LINE
from present import i18n, numbers
from present.classes import indicator_classes

LAYER_GEMEINDEN = "Gemeinden"
LAYER_KREISE = "Kreisgrenzen"
LAYER_PLACES = "Ortsnamen"

SIMPLIFY_M = 20.0  # display tolerance in metres (EPSG:3035)
LARGE_GEMEINDE = 5000  # inhabitants: labelled already at overview zoom levels
CHOROPLETH_OPACITY = 0.65
# Gemeinde indicators that can colour the Gemeinden (keys of analysis.SUMMARY_COLUMNS).
INDICATORS: tuple[str, ...] = (
    "share_beyond",
    "gap_per_1000",
    "2sfca_mean",
    "e2sfca_mean",
    "minutes_mean",
)
# Shares are classed with fixed limits (percent), so maps of different parameters compare.

LAND_COLOR = "#f7f5ef"
GEMEINDE_LINE = "#6b6b6b"
KREIS_LINE = "#2b2b2b"
HIGHLIGHT = "#000000"

ATTRIBUTION_GEMEINDEN = f"{settings.ATTRIBUTION['vg250']}; {settings.ATTRIBUTION['gv100ad']}"


def display_tolerance(gemeinden: gpd.GeoDataFrame) -> float:
    """Simplification tolerance in metres: ``SIMPLIFY_M``, coarser for large regions.

    A region seen whole is about 1,000–2,000 pixels wide, so a tolerance of 1/4,000 of
    its extent stays below half a pixel (Thuringia: about 60 m; the default region: 20 m).
    """
    x0, y0, x1, y1 = _crs.to_metric(gemeinden).total_bounds
    return max(SIMPLIFY_M, max(x1 - x0, y1 - y0) / 4000.0)


def _simplified(gemeinden: gpd.GeoDataFrame) -> gpd.GeoSeries:
    metric = _crs.to_metric(gemeinden.geometry)
    tolerance = display_tolerance(gemeinden)
    return _crs.to_display(metric.simplify(tolerance, preserve_topology=True))


def gemeinden_geojson(gemeinden: gpd.GeoDataFrame) -> dict:
    """Gemeinden as display GeoJSON with an escaped tooltip (name and hidden AGS reference).

    Parameters
    ----------
    gemeinden : GeoDataFrame
        ``region.gemeinden`` (columns ``ags``, ``name``).

    Returns
    -------
    dict
        FeatureCollection, EPSG:4326; properties ``ags``, ``name``, ``tooltip``.
    """
    geoms = _simplified(gemeinden)
    props = [
        {
            "ags": str(row.ags),
            "name": str(row.name),
            "tooltip": f"<b>{esc(row.name)}</b>{ref_html('ags', row.ags)}",
        }
        for row in gemeinden.itertuples(index=False)
    ]
    return feature_collection(geoms, props)


def kreise_geojson(gemeinden: gpd.GeoDataFrame) -> dict:
    """Kreis outlines (dissolved Gemeinden) as display GeoJSON.

    Parameters
    ----------
    gemeinden : GeoDataFrame
        ``region.gemeinden`` with ``kreis`` and ``kreis_name``.

    Returns
    -------
    dict
        FeatureCollection, EPSG:4326; properties ``kreis``, ``name``.
    """
    metric = _crs.to_metric(gemeinden)
    kreise = metric.dissolve(by="kreis", as_index=False, aggfunc={"kreis_name": "first"})
    geoms = kreise.geometry.simplify(display_tolerance(gemeinden), preserve_topology=True)
    geoms = _crs.to_display(gpd.GeoSeries(geoms, crs=settings.CRS_METRIC))
    props = [
        {"kreis": str(k), "name": str(n)}
        for k, n in zip(kreise.kreis, kreise.kreis_name, strict=True)
    ]
    return feature_collection(geoms, props)


def _num(value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if number != number else number


def label_points_geojson(
    gemeinden: gpd.GeoDataFrame, places: gpd.GeoDataFrame | None = None
) -> dict:
    """Label anchors: one per Gemeinde and one per further settlement.

    A Gemeinde is labelled at its settlement of the same name (the seat, where people
    look for it) when there is one, else at a point inside its polygon. Settlements
    named like their own Gemeinde are not labelled twice.

    Parameters
    ----------
    gemeinden : GeoDataFrame
        ``region.gemeinden``.
    places : GeoDataFrame, optional
        ``region.places`` (``name``, ``ags``).

    Returns
    -------
    dict
        FeatureCollection of points with ``name`` and ``kind`` (``"gemeinde-gross"``,
        ``"gemeinde"`` or ``"ort"``); CSS shows them from different zoom levels on.
    """
    metric = _crs.to_metric(gemeinden)
    anchors = list(metric.geometry.representative_point())
    names = [str(n) for n in gemeinden["name"]]
    ags = [str(a) for a in gemeinden["ags"]]
    extra: list[tuple[str, object]] = []
    if places is not None and len(places):
        seats = {}
        pm = _crs.to_metric(places)
        for name, key, geom in zip(pm["name"], pm["ags"], pm.geometry, strict=True):
            seats.setdefault((str(key), str(name)), geom)
        own = set(zip(ags, names, strict=True))
        for i, (key, name) in enumerate(zip(ags, names, strict=True)):
            seat = seats.get((key, name))
            if seat is not None and metric.geometry.iloc[i].contains(seat):
                anchors[i] = seat
        extra = [
            (str(n), g)
            for n, k, g in zip(pm["name"], pm["ags"], pm.geometry, strict=True)
            if (str(k), str(n)) not in own
        ]
    pops = gemeinden["pop"] if "pop" in gemeinden else [0] * len(gemeinden)
    props = [
        {"name": n, "kind": "gemeinde-gross" if _num(p) >= LARGE_GEMEINDE else "gemeinde"}
        for n, p in zip(names, pops, strict=True)
    ]
    props += [{"name": n, "kind": "ort"} for n, _ in extra]
    points = anchors + [g for _, g in extra]
    # Larger Gemeinden first: where labels would overlap, the map keeps the earlier one.
    rank = [-_num(p) for p in pops] + [0.0] * len(extra)
    order = sorted(range(len(props)), key=lambda i: (props[i]["kind"] == "ort", rank[i]))
    props = [props[i] for i in order]
    geoms = gpd.GeoSeries([points[i] for i in order], crs=settings.CRS_METRIC)
    return feature_collection(_crs.to_display(geoms), props)


class BasemapFill(MacroElement):
    """The offline base map: the region's land, drawn from the Gemeinde features.

    Add it after :func:`gemeinden_layer` (whose features it reuses) to the map.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.geoJSON({type: 'FeatureCollection', features: window.nahraum.features}, {
            pane: {{ this.pane|tojson }}, interactive: false,
            style: function() { return {stroke: false, fill: true,
                                        fillColor: {{ this.fill|tojson }}, fillOpacity: 1}; }
        }).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, pane: str, fill: str = LAND_COLOR):
        super().__init__()
        self._name = "BasemapFill"
        self.pane = pane
        self.fill = fill


def basemap_layer(pane: str) -> BasemapFill:
    """The offline base map fill (land of the region), not interactive, always on."""
    return BasemapFill(pane)


def gemeinden_layer(
    gemeinden: dict,
    pane: str,
    show: bool = True,
    name: str = LAYER_GEMEINDEN,
    attribution: str = ATTRIBUTION_GEMEINDEN,
) -> folium.GeoJson:
    """Gemeinde outlines with hover tooltip; a click selects the Gemeinde in the app.

    The features register with ``window.nahraum`` (:class:`layers.map.MapRuntime`),
    which styles them (hover, selection) and sets indicator lines in their tooltips.

    Parameters
    ----------
    gemeinden : dict
        Output of :func:`gemeinden_geojson`.
    pane : str
        Map pane name.
    show : bool
        Initially visible.
    name : str
        Layer name in the layer control.
    attribution : str
        Credit of the boundary data (empty for regions without official boundaries).
    """
    style = JsCode(
        js_code(
            "function(f) { return {color: $line, weight: 1.2, opacity: 0.9, fill: true, "
            "fillColor: '#000000', fillOpacity: 0, className: 'nahraum-gemeinde'}; }",
            line=GEMEINDE_LINE,
        )
    )
    on_each = JsCode("function(feature, layer) { window.nahraum.addGemeinde(feature, layer); }")
    return folium.GeoJson(
        gemeinden,
        name=name,
        show=show,
        pane=pane,
        style=style,
        on_each_feature=on_each,
        attribution=attribution or None,
    )


def kreise_layer(
    kreise: dict, pane: str, show: bool = True, name: str = LAYER_KREISE
) -> folium.GeoJson:
    """Kreis outlines, thicker, not interactive."""
    style = JsCode(
        js_code(
            "function(f) { return {color: $line, weight: 2.6, opacity: 0.9, fill: false}; }",
            line=KREIS_LINE,
        )
    )
    return folium.GeoJson(kreise, name=name, show=show, pane=pane, style=style, interactive=False)


def labels_layer(
    points: dict, pane: str, show: bool = True, name: str = LAYER_PLACES
) -> folium.GeoJson:
    """Gemeinde and settlement names as text labels; CSS hides them at small zoom levels.

    Names are set with ``textContent`` in the browser, so no markup from data is interpreted.
    """
    point_to_layer = JsCode(
        js_code(
            """function(feature, latlng) {
            var span = document.createElement('span');
            span.textContent = feature.properties.name;
            return L.marker(latlng, {
                pane: $pane, interactive: false, keyboard: false,
                icon: L.divIcon({html: span, iconSize: null,
                                 className: 'nahraum-label nahraum-label-' + feature.properties.kind})
            });
        }""",
            pane=pane,
        )
    )
    return folium.GeoJson(
        points,
        name=name,
        show=show,
        pane=pane,
        pointToLayer=point_to_layer,
        attribution=settings.ATTRIBUTION["geonames"],
    )


def legend_section(lang: str = i18n.DEFAULT_LANG, roads: bool = False) -> LegendSection:
    """Legend rows for the base map and boundaries."""
    rows = [
        LegendEntry(i18n.t("lg_gemeinde", lang), line_swatch(GEMEINDE_LINE, 1.2)),
        LegendEntry(i18n.t("lg_kreis", lang), line_swatch(KREIS_LINE, 2.6)),
        LegendEntry(i18n.t("lg_region", lang), fill_swatch(LAND_COLOR, border="#bbbbbb")),
    ]
    if roads:
        rows.append(LegendEntry(i18n.t("lg_roads", lang), line_swatch(ROAD_LINE, 1.0)))
    return LegendSection(title=i18n.t("lg_areas", lang), entries=tuple(rows))


# ---------------------------------------------------------------------------
# Gemeinde indicator: choropleth and tooltip lines
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Choropleth:
    """Colours of one Gemeinde indicator (plain data, cacheable).

    Attributes
    ----------
    colors : dict
        AGS → ``#rrggbb`` (Gemeinden without a value are left out: not filled).
    tips : dict
        AGS → escaped HTML line for the tooltip (``"Anteil …: 12,3 %"``).
    legend : LegendSection
    """

    colors: dict[str, str]
    tips: dict[str, str]
    legend: LegendSection


def indicator_label(indicator: str, target: str | None, lang: str = i18n.DEFAULT_LANG) -> str:
    """Label of a Gemeinde indicator with its unit (``target=None``: without the target's unit)."""
    if target is None and i18n.t(f"ind_{indicator}_option", lang) != f"ind_{indicator}_option":
        return i18n.t(f"ind_{indicator}_option", lang)
    return i18n.t(
        f"ind_{indicator}",
        lang,
        unit_minutes=i18n.unit_minutes(target or settings.DEFAULT_TARGET_GROUP, lang),
    )


def indicator_text(indicator: str, value: float, lang: str = i18n.DEFAULT_LANG) -> str:
    """A Gemeinde indicator value as text (shares in percent, minutes with one decimal)."""
    if value is None or not math.isfinite(float(value)):
        return "–"
    if indicator.startswith("share"):
        return numbers.percent(value, lang)
    if indicator == "minutes_mean":
        return numbers.minutes(value, lang)
    if indicator.endswith("sfca_mean"):
        return numbers.number(value, 3, lang)
    return numbers.number(value, 0, lang)


def choropleth(
    values: Mapping[str, float],
    indicator: str,
    target: str,
    name: str,
    lang: str = i18n.DEFAULT_LANG,
    colors: Sequence[str] = settings.CHOROPLETH_COLORS,
    basis: np.ndarray | None = None,
) -> Choropleth:
    """Classify a Gemeinde indicator into rounded quantile classes.

    Parameters
    ----------
    values : mapping
        AGS → value (shares as 0…1); NaN/None = no value (e.g. no target group).
    indicator : str
        One of :data:`INDICATORS`.
    target : str
        Target group code (unit of the gap score).
    name : str
        Name of the map layer (legend section follows it).
    lang : {"de", "en"}
    colors : sequence of str
        One colour per class, light to dark.
    basis : ndarray, optional
        Values the quantile breaks are computed from (both states of a comparison).

    Returns
    -------
    Choropleth
    """
    keys = list(values)
    v = np.array([np.nan if values[k] is None else float(values[k]) for k in keys], dtype=float)
    finite = np.isfinite(v)
    label = indicator_label(indicator, target, lang)
    classes = indicator_classes(v, indicator.startswith("share"), label, lang, colors, basis)
    fill = {k: classes.colors[int(c)] for k, c in zip(keys, classes.codes, strict=True) if c >= 0}
    tips = {
        k: esc(i18n.t("tip_value", lang, indicator=label, value=indicator_text(indicator, x, lang)))
        for k, x in zip(keys, v, strict=True)
    }
    rows = [
        LegendEntry(text, fill_swatch(col, border="#777777", opacity=CHOROPLETH_OPACITY))
        for text, col in classes.rows()
    ]
    if not finite.all():
        rows.append(
            LegendEntry(i18n.t("lg_no_value", lang), fill_swatch(LAND_COLOR, border="#777777"))
        )
    return Choropleth(
        colors=fill,
        tips=tips,
        legend=LegendSection(title=label, entries=tuple(rows), layer_name=name),
    )


class ChoroplethFill(MacroElement):
    """Fills the Gemeinden (features of ``window.nahraum``) with one colour per AGS.

    Add it to a ``FeatureGroup``: the fill is part of that layer.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var colors = {{ this.colors|tojson }};
            L.geoJSON({type: 'FeatureCollection', features: window.nahraum.features}, {
                pane: {{ this.pane|tojson }}, interactive: false,
                filter: function(f) { return colors.hasOwnProperty(f.properties.ags); },
                style: function(f) {
                    return {stroke: false, fill: true, fillColor: colors[f.properties.ags],
                            fillOpacity: {{ this.opacity|tojson }}};
                }
            }).addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, colors: Mapping[str, str], pane: str, opacity: float = CHOROPLETH_OPACITY):
        super().__init__()
        self._name = "ChoroplethFill"
        self.colors = dict(colors)
        self.pane = pane
        self.opacity = float(opacity)


class GemeindeState(MacroElement):
    """Sets the tooltip lines and the selected Gemeinde of the boundary layer."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        window.nahraum.setGemeinden({{ this.tips|tojson }}, {{ this.selected|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, tips: Mapping[str, str] | None = None, selected: str | None = None):
        super().__init__()
        self._name = "GemeindeState"
        self.tips = dict(tips or {})
        self.selected = selected
