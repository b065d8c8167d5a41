"""Assemble the planning map from a region: panes, layers, layer control, legend, style.

The map is drawn entirely from the region's own data (Gemeinden, cells, services,
stops, settlements) and embeds its libraries (:mod:`layers._assets`), so it works
offline and sends no request anywhere. An online tile layer is strictly opt-in.

Later issues add layers (travel-time bands, gaps, scenarios) by extending
:class:`MapData`, :class:`MapOptions` and :data:`PANES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Template as TextTemplate
from typing import Any

import folium
from folium.elements import JSCSSMixin
from folium.utilities import JsCode
from jinja2 import Template

from geo import settings
from layers import boundaries, cells, services, stops
from layers._assets import css_data_url, localize
from layers._html import to_display
from layers.cells import RasterImage
from layers.legend import Legend

# Pane name -> (z-index, receives pointer events). Leaflet: tiles 200, overlays 400,
# markers 600, tooltips 650, popups 700.
PANES: dict[str, tuple[int, bool]] = {
    "nahraum-basemap": (250, False),
    "nahraum-raster": (350, False),
    "nahraum-gemeinden": (400, True),
    "nahraum-kreise": (410, False),
    "nahraum-stops": (450, True),
    "nahraum-labels": (620, False),  # above markers: names stay readable, clicks pass
    "nahraum-services": (600, True),
}

LAYER_ONLINE = "Online-Hintergrundkarte (OpenStreetMap)"
COMPACT_BELOW_PX = 1100  # maps narrower than this start with legend and layer list collapsed
LABEL_MIN_ZOOM = {"gemeinde-gross": 9, "gemeinde": 11, "ort": 13}
FONT_STACK = '"Source Sans Pro", "Source Sans 3", "Helvetica Neue", Arial, sans-serif'

MAP_CSS = TextTemplate("""
.leaflet-container { background: #dde3e8; font-family: $font; font-size: 14px; }
.leaflet-container a { color: #0b5cad; }
.nahraum-raster { image-rendering: crisp-edges; image-rendering: pixelated; }
.leaflet-control-layers { font-size: 14px; line-height: 1.5; }
.leaflet-control-layers-expanded { padding: 6px 10px 6px 8px; }
.leaflet-control-attribution { font-size: 11px; line-height: 1.35; max-width: 62vw;
  white-space: normal; background: rgba(255,255,255,0.88) !important; }
.leaflet-control-scale-line { font-size: 12px; background: rgba(255,255,255,0.85); }
.leaflet-control-scale-line + .leaflet-control-scale-line { display: none; }
.nahraum-label { background: none; border: none; display: none; }
.nahraum-label span { position: absolute; transform: translate(-50%, -50%); white-space: nowrap;
  pointer-events: none; text-shadow: 0 0 2px #fff, 0 0 3px #fff, 0 0 4px #fff, 0 0 5px #fff; }
.nahraum-label-gemeinde-gross span { font-size: 15px; font-weight: 700; color: #1f1f1f; }
.nahraum-label-gemeinde span { font-size: 13px; font-weight: 600; color: #2b2b2b; }
.nahraum-label-ort span { font-size: 12px; font-style: italic; color: #4a4a4a; }
.nahraum-zmin-$zgg .nahraum-label-gemeinde-gross { display: block; }
.nahraum-zmin-$zg .nahraum-label-gemeinde { display: block; }
.nahraum-zmin-$zo .nahraum-label-ort { display: block; }
.nahraum-service-marker { background: none; border: none; }
.nahraum-marker { box-sizing: border-box; display: inline-flex; align-items: center;
  justify-content: center; width: 28px; height: 28px; border-radius: 50%;
  background: var(--c); color: #fff; border: 2px solid #fff;
  box-shadow: 0 1px 4px rgba(0,0,0,0.55); }
.nahraum-marker svg { width: 15px; height: 15px; }
.nahraum-marker-imprecise { background: #fff; color: var(--c); border: 2.5px dashed var(--c); }
.nahraum-tooltip { font-size: 14px; }
.nahraum-popup { font-size: 13px; line-height: 1.4; }
.nahraum-popup h4 { margin: 0 0 6px 0; font-size: 16px; line-height: 1.25; }
.nahraum-popup-table { border-collapse: collapse; }
.nahraum-popup-table th { text-align: left; vertical-align: top; color: #555; font-weight: 600;
  padding: 1px 10px 1px 0; white-space: nowrap; }
.nahraum-popup-table td { padding: 1px 0; }
.nahraum-imprecise { color: #a04000; font-weight: 600; }
.nahraum-legend-control { background: rgba(255,255,255,0.95); border-radius: 6px;
  box-shadow: 0 1px 5px rgba(0,0,0,0.4); padding: 6px 10px; color: #222;
  font-size: 13px; line-height: 1.35; max-width: 290px; max-height: calc(100vh - 130px); overflow-y: auto; }
.nahraum-legend > summary { font-weight: 700; font-size: 14px; cursor: pointer; }
.nahraum-legend-section { margin-top: 6px; }
.nahraum-legend-title { font-weight: 600; margin-bottom: 2px; }
.nahraum-legend-row { display: flex; align-items: center; gap: 8px; min-height: 20px; }
.nahraum-legend-note { color: #555; font-size: 12px; margin-top: 2px; }
.nahraum-legend .nahraum-marker { width: 20px; height: 20px; flex: none; border-width: 1.5px; }
.nahraum-legend .nahraum-marker svg { width: 11px; height: 11px; }
.nahraum-swatch { display: inline-block; flex: none; width: 18px; height: 14px;
  border: 1px solid #555; }
.nahraum-line { display: inline-block; flex: none; width: 20px; height: 0; }
.nahraum-dot { display: inline-block; flex: none; border-radius: 50%; border: 1px solid #fff;
  vertical-align: middle; margin-right: 6px; width: 10px; height: 10px; }
.nahraum-legend .nahraum-dot { margin-right: 0; }
""").substitute(font=FONT_STACK, zgg=LABEL_MIN_ZOOM["gemeinde-gross"],
                zg=LABEL_MIN_ZOOM["gemeinde"], zo=LABEL_MIN_ZOOM["ort"])


class MapStyle(JSCSSMixin):
    """Nahraum's map style sheet (embedded) and zoom classes on the map container.

    The container carries ``nahraum-zmin-N`` for every ``N <= zoom`` so that CSS can
    show labels from a zoom level on.
    """

    default_css = [("nahraum_css", css_data_url(MAP_CSS))]
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            function zoomClasses() {
                var z = Math.floor(map.getZoom()), el = map.getContainer();
                for (var i = 0; i <= 22; i++) {
                    el.classList.toggle('nahraum-zmin-' + i, i <= z);
                }
            }
            map.on('zoomend', zoomClasses);
            zoomClasses();
        })();
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MapStyle"


@dataclass(frozen=True)
class MapData:
    """Everything the map shows, prepared from a region (plain data, picklable).

    Attributes
    ----------
    bounds : tuple
        ``((south, west), (north, east))`` of the region in degrees.
    gemeinden, kreise, labels, services, stops : dict
        Display GeoJSON from the layer modules.
    population : RasterImage or None
        The population raster (``None`` if the region has no populated cell).
    """

    bounds: tuple[tuple[float, float], tuple[float, float]]
    gemeinden: dict
    kreise: dict
    labels: dict
    services: dict
    stops: dict
    population: RasterImage | None


@dataclass(frozen=True)
class MapOptions:
    """What the map shows when it opens (layers can be toggled in the map as well)."""

    gemeinden: bool = True
    population: bool = True
    services: bool = True
    labels: bool = True
    stops: bool = False
    online_tiles: bool = False


def region_bounds(region: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    """South-west and north-east corner of the region's Gemeinden in degrees."""
    west, south, east, north = to_display(region.gemeinden).total_bounds
    return (float(south), float(west)), (float(north), float(east))


def map_data(region: Any, population_column: str = "pop") -> MapData:
    """Prepare all map layers of a region (the slow part; cache it per region).

    Parameters
    ----------
    region : geo.region.Region
        As returned by ``geo.region.load_region``.
    population_column : str
        Cell column drawn as the population raster.

    Returns
    -------
    MapData
    """
    raster = None
    if region.cells is not None and len(region.cells):
        try:
            raster = cells.population_raster(region.cells, column=population_column)
        except ValueError:
            raster = None
    places = getattr(region, "places", None)
    stops_gdf = getattr(region, "stops", None)
    return MapData(
        bounds=region_bounds(region),
        gemeinden=boundaries.gemeinden_geojson(region.gemeinden),
        kreise=boundaries.kreise_geojson(region.gemeinden),
        labels=boundaries.label_points_geojson(region.gemeinden, places),
        services=services.services_geojson(region.services),
        stops=(stops.stops_geojson(stops_gdf) if stops_gdf is not None and len(stops_gdf)
               else {"type": "FeatureCollection", "features": []}),
        population=raster,
    )


def base_map(bounds: tuple[tuple[float, float], tuple[float, float]]) -> folium.Map:
    """An empty map without tiles, with scale bar, custom panes, fitted to ``bounds``."""
    (south, west), (north, east) = bounds
    m = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=10,
                   tiles=None, control_scale=True, min_zoom=7, max_zoom=17,
                   width="100%", height="100%")
    for name, (z_index, events) in PANES.items():
        folium.map.CustomPane(name, z_index=z_index, pointer_events=events).add_to(m)
    m.fit_bounds([[south, west], [north, east]], padding=(8, 8))
    return m


def build_map(data: MapData, options: MapOptions | None = None) -> folium.Map:
    """Build the folium map from prepared data.

    Parameters
    ----------
    data : MapData
        Output of :func:`map_data`.
    options : MapOptions, optional
        Initially visible layers; default :class:`MapOptions()`.

    Returns
    -------
    folium.Map
        Self-contained (no CDN link; see :func:`layers._assets.localize`).
    """
    opts = options or MapOptions()
    m = base_map(data.bounds)
    sections = []
    hidden = []

    if opts.online_tiles:
        folium.TileLayer("OpenStreetMap", name=LAYER_ONLINE, overlay=True, control=True,
                         show=True, max_zoom=19).add_to(m)
    else:
        boundaries.basemap_layer(data.gemeinden, pane="nahraum-basemap").add_to(m)

    if data.population is not None:
        cells.population_layer(data.population, pane="nahraum-raster",
                               show=opts.population).add_to(m)
        sections.append(cells.legend_section())
        if not opts.population:
            hidden.append(cells.LAYER_POPULATION)

    boundaries.gemeinden_layer(data.gemeinden, pane="nahraum-gemeinden",
                               show=opts.gemeinden).add_to(m)
    boundaries.kreise_layer(data.kreise, pane="nahraum-kreise", show=opts.gemeinden).add_to(m)
    boundaries.labels_layer(data.labels, pane="nahraum-labels", show=opts.labels).add_to(m)
    sections.append(boundaries.legend_section())

    if data.stops["features"]:
        stops.stops_layer(data.stops, pane="nahraum-stops", show=opts.stops).add_to(m)
        sections.append(stops.legend_section())
        if not opts.stops:
            hidden.append(stops.LAYER_STOPS)

    services.services_layer(data.services, pane="nahraum-services",
                            show=opts.services).add_to(m)
    sections.insert(0, services.legend_section())
    if not opts.services:
        hidden.append(services.LAYER_SERVICES)

    control = folium.LayerControl(position="topright", collapsed=False)
    # Expanded on wide maps (projector, big screen), an icon on narrow ones.
    control.options["collapsed"] = JsCode(
        f"(document.documentElement.clientWidth < {COMPACT_BELOW_PX})")
    control.add_to(m)
    Legend(sections, position="bottomleft", footer="Symbole: Font Awesome Free (CC BY 4.0)",
           hidden_layers=hidden, collapse_below_px=COMPACT_BELOW_PX).add_to(m)
    MapStyle().add_to(m)
    return localize(m)


def attribution_lines(online_tiles: bool = False) -> list[str]:
    """All attribution lines of the data shown on the map (for captions and exports)."""
    keys = ["vg250", "gv100ad", "zensus", "geonames", "stops", "services"]
    lines = [settings.ATTRIBUTION[k] for k in keys]
    if online_tiles:
        lines.append(settings.ATTRIBUTION["osm"])
    return lines


def map_html(m: folium.Map) -> str:
    """The map as a standalone HTML document (no remote resource)."""
    return m.get_root().render()
