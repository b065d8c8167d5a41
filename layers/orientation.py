"""Folium layers for orientation: settlement footprint, roads by class, a local basemap.

The data come from :mod:`geo.orientation` (footprint, classed roads) and
:mod:`geo.tiles` (a planner-supplied MBTiles/PMTiles/XYZ basemap served on
127.0.0.1). All layers are offline: the basemap's URL is the loopback tile server.
"""

from __future__ import annotations

import folium
import geopandas as gpd
from folium.utilities import JsCode

from geo import _crs, orientation, settings
from geo._crs import to_display
from layers._html import feature_collection, js_code

LAYER_FOOTPRINT = "Siedlungsflächen (Zensus 2022)"
LAYER_ROADS = "Straßen (OSM)"
LAYER_BASEMAP = "Hintergrundkarte (lokal)"


def footprint_geojson(footprint: gpd.GeoDataFrame, simplify_m: float = 0.0) -> dict:
    """Display GeoJSON (EPSG:4326) of the settlement footprint."""
    if footprint is None or not len(footprint):
        return {"type": "FeatureCollection", "features": []}
    g = _crs.to_metric(footprint).geometry
    if simplify_m > 0:
        g = g.simplify(simplify_m, preserve_topology=True)
    disp = to_display(gpd.GeoDataFrame(geometry=g, crs=settings.CRS_METRIC))
    return feature_collection(list(disp.geometry), [{} for _ in range(len(disp))])


def footprint_layer(
    geojson: dict, pane: str, name: str = LAYER_FOOTPRINT, show: bool = True
) -> folium.GeoJson:
    """A quiet grey fill under everything, not interactive, at every zoom."""
    style = JsCode(
        js_code(
            "function(f) { return {stroke: false, fill: true, fillColor: $fill, fillOpacity: 1}; }",
            fill=orientation.FOOTPRINT_COLOR,
        )
    )
    return folium.GeoJson(
        geojson,
        name=name,
        show=show,
        pane=pane,
        style=style,
        interactive=False,
        attribution=settings.ATTRIBUTION["zensus"],
    )


def roads_geojson(roads: gpd.GeoDataFrame) -> dict:
    """Display GeoJSON of :func:`geo.orientation.road_lines` (property ``klasse``)."""
    if roads is None or not len(roads):
        return {"type": "FeatureCollection", "features": []}
    disp = to_display(roads)
    return feature_collection(
        list(disp.geometry), [{"klasse": k} for k in disp["klasse"].astype(str)]
    )


def roads_layer(
    geojson: dict, pane: str, name: str = LAYER_ROADS, show: bool = True
) -> folium.GeoJson:
    """Roads styled by class: main roads wider and darker, paths thin and light."""
    widths = {k: w for k, (_, w, _) in orientation.ROAD_CLASSES.items()}
    colors = {k: c for k, (_, _, c) in orientation.ROAD_CLASSES.items()}
    style = JsCode(
        js_code(
            "function(f) { var k = f.properties.klasse;"
            " return {color: $colors[k] || '#b4b4b4', weight: $widths[k] || 1, opacity: 0.95,"
            " fill: false}; }",
            colors=colors,
            widths=widths,
        )
    )
    return folium.GeoJson(
        geojson,
        name=name,
        show=show,
        pane=pane,
        style=style,
        interactive=False,
        attribution=settings.ATTRIBUTION["osm"],
    )


def basemap_tile_layer(
    url: str,
    attribution: str,
    name: str = LAYER_BASEMAP,
    minzoom: int = 0,
    maxzoom: int = 18,
    show: bool = True,
) -> folium.TileLayer:
    """A tile layer for a local basemap served by :class:`geo.tiles.TileServer`.

    Raises ValueError for a URL that is not on loopback (the map stays offline).
    """
    if not (
        url.startswith("http://127.0.0.1:")
        or url.startswith("http://[::1]:")
        or url.startswith("http://localhost:")
    ):
        raise ValueError("basemap URL must be a loopback address")
    return folium.TileLayer(
        tiles=url,
        attr=attribution,
        name=name,
        overlay=False,
        control=True,
        show=show,
        min_zoom=7,
        max_zoom=max(maxzoom, 7),
        max_native_zoom=maxzoom,
        min_native_zoom=minzoom,
    )


COMPACT_ATTRIBUTION = """<style>
.leaflet-control-attribution { white-space: nowrap; overflow: hidden; max-width: calc(100vw - 110px);
  text-overflow: ellipsis; cursor: pointer; }
.leaflet-control-attribution:hover, .leaflet-control-attribution.nahraum-open {
  white-space: normal; overflow: visible; }
</style>
<script>
document.addEventListener('click', function(e) {
  var a = e.target.closest && e.target.closest('.leaflet-control-attribution');
  if (a && !e.target.closest('a')) { a.classList.toggle('nahraum-open'); }
});
</script>"""


def compact_attribution() -> folium.Element:
    """Header element: the live map's attribution is one line (it would cover the bottom
    of the region otherwise); hovering or clicking it shows every source again.

    For the live map only: a map snapshot (``report.snapshot``) keeps the full attribution
    in the picture, and the report maps print every source.
    """
    return folium.Element(COMPACT_ATTRIBUTION)
