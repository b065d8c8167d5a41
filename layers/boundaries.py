"""Gemeinden and Kreise: the offline base map and the interactive boundary layer."""

from __future__ import annotations

import folium
import geopandas as gpd
from folium.utilities import JsCode

from geo import settings
from layers._html import esc, feature_collection, format_int, js_code, table_html
from layers.legend import LegendEntry, LegendSection, fill_swatch, line_swatch

LAYER_GEMEINDEN = "Gemeinden"
LAYER_KREISE = "Kreisgrenzen"
LAYER_PLACES = "Ortsnamen"

SIMPLIFY_M = 20.0
LARGE_GEMEINDE = 5000  # inhabitants: labelled already at overview zoom levels  # display tolerance in metres (EPSG:3035)

LAND_COLOR = "#f7f5ef"
GEMEINDE_LINE = "#6b6b6b"
KREIS_LINE = "#2b2b2b"
HIGHLIGHT = "#000000"

ATTRIBUTION_GEMEINDEN = f"{settings.ATTRIBUTION['vg250']}; {settings.ATTRIBUTION['gv100ad']}"


def _simplified(gemeinden: gpd.GeoDataFrame) -> gpd.GeoSeries:
    metric = gemeinden.geometry.to_crs(settings.CRS_METRIC)
    return metric.simplify(SIMPLIFY_M, preserve_topology=True).to_crs(settings.CRS_DISPLAY)


def gemeinden_geojson(gemeinden: gpd.GeoDataFrame) -> dict:
    """Gemeinden as display GeoJSON with escaped tooltip and popup HTML.

    Parameters
    ----------
    gemeinden : GeoDataFrame
        ``region.gemeinden`` (columns ``ags``, ``name``, ``kreis_name``, ``pop``, ``area_km2``).

    Returns
    -------
    dict
        FeatureCollection, EPSG:4326; properties ``ags``, ``name``, ``tooltip``, ``popup``.
    """
    geoms = _simplified(gemeinden)
    props = []
    for row in gemeinden.itertuples(index=False):
        name = esc(row.name)
        area = getattr(row, "area_km2", None)
        rows = [
            ("AGS", esc(row.ags)),
            ("Kreis", esc(getattr(row, "kreis_name", ""))),
            ("Einwohner:innen (amtlich)", format_int(row.pop)),
            ("Fläche", f"{float(area):.1f} km²".replace(".", ",") if area is not None else ""),
        ]
        props.append({
            "ags": str(row.ags),
            "name": str(row.name),
            "tooltip": f"<b>{name}</b>",
            "popup": f'<div class="nahraum-popup"><h4>{name}</h4>{table_html(rows)}</div>',
        })
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
    metric = gemeinden.to_crs(settings.CRS_METRIC)
    kreise = metric.dissolve(by="kreis", as_index=False, aggfunc={"kreis_name": "first"})
    geoms = kreise.geometry.simplify(SIMPLIFY_M, preserve_topology=True)
    geoms = gpd.GeoSeries(geoms, crs=settings.CRS_METRIC).to_crs(settings.CRS_DISPLAY)
    props = [{"kreis": str(k), "name": str(n)} for k, n in zip(kreise.kreis, kreise.kreis_name,
                                                                strict=True)]
    return feature_collection(geoms, props)


def _num(value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if number != number else number


def label_points_geojson(gemeinden: gpd.GeoDataFrame,
                         places: gpd.GeoDataFrame | None = None) -> dict:
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
    metric = gemeinden.to_crs(settings.CRS_METRIC)
    anchors = list(metric.geometry.representative_point())
    names = [str(n) for n in gemeinden["name"]]
    ags = [str(a) for a in gemeinden["ags"]]
    extra: list[tuple[str, object]] = []
    if places is not None and len(places):
        seats = {}
        pm = places.to_crs(settings.CRS_METRIC)
        for name, key, geom in zip(pm["name"], pm["ags"], pm.geometry, strict=True):
            seats.setdefault((str(key), str(name)), geom)
        own = set(zip(ags, names, strict=True))
        for i, (key, name) in enumerate(zip(ags, names, strict=True)):
            seat = seats.get((key, name))
            if seat is not None and metric.geometry.iloc[i].contains(seat):
                anchors[i] = seat
        extra = [(str(n), g) for n, k, g in zip(pm["name"], pm["ags"], pm.geometry, strict=True)
                 if (str(k), str(n)) not in own]
    pops = gemeinden["pop"] if "pop" in gemeinden else [0] * len(gemeinden)
    props = [{"name": n, "kind": "gemeinde-gross" if _num(p) >= LARGE_GEMEINDE else "gemeinde"}
             for n, p in zip(names, pops, strict=True)]
    props += [{"name": n, "kind": "ort"} for n, _ in extra]
    geoms = gpd.GeoSeries(anchors + [g for _, g in extra], crs=settings.CRS_METRIC)
    return feature_collection(geoms.to_crs(settings.CRS_DISPLAY), props)


def basemap_layer(gemeinden: dict, pane: str) -> folium.GeoJson:
    """The offline base map: land fill of the region, not interactive, always on.

    Parameters
    ----------
    gemeinden : dict
        Output of :func:`gemeinden_geojson`.
    pane : str
        Map pane name.
    """
    style = JsCode(js_code(
        "function(f) { return {stroke: false, fill: true, fillColor: $fill, fillOpacity: 1}; }",
        fill=LAND_COLOR,
    ))
    return folium.GeoJson(gemeinden, name="Hintergrund", control=False, pane=pane,
                          interactive=False, style=style)


def gemeinden_layer(gemeinden: dict, pane: str, show: bool = True) -> folium.GeoJson:
    """Gemeinde outlines with hover tooltip (name) and click popup (name, AGS, population).

    Parameters
    ----------
    gemeinden : dict
        Output of :func:`gemeinden_geojson`.
    pane : str
        Map pane name.
    show : bool
        Initially visible.
    """
    style = JsCode(js_code(
        "function(f) { return {color: $line, weight: 1.2, opacity: 0.9, fill: true, "
        "fillColor: '#000000', fillOpacity: 0, className: 'nahraum-gemeinde'}; }",
        line=GEMEINDE_LINE,
    ))
    on_each = JsCode(js_code(
        """function(feature, layer) {
            layer.bindTooltip(feature.properties.tooltip, {sticky: true, className: 'nahraum-tooltip'});
            layer.bindPopup(feature.properties.popup, {maxWidth: 360});
            layer.on('mouseover', function() { layer.setStyle({weight: 3, color: $hi}); });
            layer.on('mouseout', function() { layer.setStyle({weight: 1.2, color: $line}); });
        }""", hi=HIGHLIGHT, line=GEMEINDE_LINE,
    ))
    return folium.GeoJson(gemeinden, name=LAYER_GEMEINDEN, show=show, pane=pane, style=style,
                          on_each_feature=on_each, attribution=ATTRIBUTION_GEMEINDEN)


def kreise_layer(kreise: dict, pane: str, show: bool = True) -> folium.GeoJson:
    """Kreis outlines, thicker, not interactive."""
    style = JsCode(js_code(
        "function(f) { return {color: $line, weight: 2.6, opacity: 0.9, fill: false}; }",
        line=KREIS_LINE,
    ))
    return folium.GeoJson(kreise, name=LAYER_KREISE, show=show, pane=pane, style=style,
                          interactive=False)


def labels_layer(points: dict, pane: str, show: bool = True) -> folium.GeoJson:
    """Gemeinde and settlement names as text labels; CSS hides them at small zoom levels.

    Names are set with ``textContent`` in the browser, so no markup from data is interpreted.
    """
    point_to_layer = JsCode(js_code(
        """function(feature, latlng) {
            var span = document.createElement('span');
            span.textContent = feature.properties.name;
            return L.marker(latlng, {
                pane: $pane, interactive: false, keyboard: false,
                icon: L.divIcon({html: span, iconSize: null,
                                 className: 'nahraum-label nahraum-label-' + feature.properties.kind})
            });
        }""", pane=pane,
    ))
    return folium.GeoJson(points, name=LAYER_PLACES, show=show, pane=pane,
                          pointToLayer=point_to_layer, attribution=settings.ATTRIBUTION["geonames"])


def legend_section() -> LegendSection:
    """Legend rows for the base map and boundaries."""
    return LegendSection(
        title="Gebiete",
        entries=(
            LegendEntry("Gemeindegrenze", line_swatch(GEMEINDE_LINE, 1.2)),
            LegendEntry("Kreisgrenze", line_swatch(KREIS_LINE, 2.6)),
            LegendEntry("Planungsregion", fill_swatch(LAND_COLOR, border="#bbbbbb")),
        ),
    )
