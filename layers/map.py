"""Assemble the planning map: a static base map per region and dynamic overlays per analysis.

The base map is drawn entirely from the region's own data (Gemeinden, settlements,
stops, roads of a loaded network) and embeds its libraries (:mod:`layers._assets`),
so it works offline and sends no request anywhere. An online tile layer is strictly
opt-in.

What changes with the controls (the measure raster, the Gemeinde choropleth, the
selected services, a clicked service's catchment, the legend) is built as a list of
``folium.FeatureGroup`` (:func:`overlay_groups`). ``st_folium`` swaps these into the
running map (``feature_group_to_add``) without reloading it, so a new threshold redraws
in a fraction of a second and the zoom and centre stay where the user left them.
A small browser runtime (:class:`MapRuntime`, ``window.nahraum``) connects both parts:
the overlays restyle the Gemeinden, fill the choropleth from the Gemeinde features
already in the page and replace the legend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from string import Template as TextTemplate
from typing import Any

import folium
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.utilities import JsCode
from jinja2 import Template

from geo import settings
from geo._crs import to_display
from layers import boundaries, catchment, cells, roads, services, stops
from layers import scenario as scenariolayers
from layers import standards as standardslayers
from layers._assets import css_data_url, localize
from layers.cells import RasterImage
from layers.legend import Legend, LegendSection, legend_html
from present import i18n

# Pane name -> (z-index, receives pointer events). Leaflet: tiles 200, overlays 400,
# markers 600, tooltips 650, popups 700.
PANES: dict[str, tuple[int, bool]] = {
    "nahraum-basemap": (250, False),
    "nahraum-roads": (260, False),
    "nahraum-choropleth": (300, False),
    "nahraum-raster": (350, False),
    "nahraum-outline": (380, False),
    "nahraum-gemeinden": (400, True),
    "nahraum-kreise": (410, False),
    "nahraum-catchment": (420, False),
    "nahraum-stops": (450, True),
    "nahraum-labels": (620, False),  # above markers: names stay readable, clicks pass
    "nahraum-services": (600, True),
    "nahraum-scenario": (610, True),  # planned sites and participants' pins
    "nahraum-relocate": (630, True),  # the service being placed (layers.relocate), on top
}

LAYER_ONLINE = "Online-Hintergrundkarte (OpenStreetMap)"
COMPACT_BELOW_PX = 1100  # maps narrower than this start with the layer list collapsed
LEGEND_COMPACT_BELOW_PX = 640  # maps narrower than this start with the legend collapsed
LEGEND_MAX_PX = 310  # widest legend (CSS max-width 290 px plus padding)
LAYERS_MAX_PX = 320  # the expanded layer list at its widest (maps >= COMPACT_BELOW_PX)
ATTRIBUTION_PX = 24  # the one-line attribution (``layers.orientation.compact_attribution``)
LABEL_MIN_ZOOM = {"gemeinde-gross": 9, "gemeinde": 11, "ort": 13}
FONT_STACK = '"Source Sans Pro", "Source Sans 3", "Helvetica Neue", Arial, sans-serif'
GEMEINDE_SELECTED = "#000000"

MAP_CSS = TextTemplate("""
#map_div { height: 100vh !important; }  /* st_folium: fill the iframe (sized by the page) */
.leaflet-container { background: #dde3e8; font-family: $font; font-size: 14px; }
.leaflet-container a { color: #0b5cad; }
.nahraum-raster { image-rendering: crisp-edges; image-rendering: pixelated; }
.leaflet-control-layers { font-size: 14px; line-height: 1.5; }
.leaflet-control-layers-expanded { padding: 6px 10px 6px 8px; }
.leaflet-control-attribution { font-size: 11px; line-height: 1.35;
  max-width: max(40vw, calc(100vw - 350px));  /* right of the legend (max. 290 px + margins) */
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
.nahraum-label.nahraum-label-hidden { visibility: hidden; }
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
.nahraum-outline { filter: drop-shadow(0 0 1px #fff); }
.nahraum-catchment { filter: drop-shadow(0 0 1.5px #fff); }
.nahraum-marker-selected { box-shadow: 0 0 0 3px #111, 0 0 0 5px #fff; }
$scenario
""").substitute(
    scenario=scenariolayers.SCENARIO_CSS,
    font=FONT_STACK,
    zgg=LABEL_MIN_ZOOM["gemeinde-gross"],
    zg=LABEL_MIN_ZOOM["gemeinde"],
    zo=LABEL_MIN_ZOOM["ort"],
)


# Workshop view (projector, 1280×720 from the back of a room): large, high-contrast legend,
# labels and controls.
WORKSHOP_RULES = (
    (".leaflet-container", "font-size: 20px;"),
    (
        ".nahraum-legend-control",
        "font-size: 18px; line-height: 1.25; max-width: 360px; "
        "background: #fff; color: #000; border: 2px solid #000; padding: 6px 10px; "
        "max-height: calc(100vh - 150px);",
    ),
    (".nahraum-legend > summary", "font-size: 20px;"),
    (".nahraum-legend-title", "font-weight: 700;"),
    (".nahraum-legend-note", "color: #222; font-size: 17px;"),
    (".nahraum-legend-row", "min-height: 24px;"),
    (".nahraum-swatch", "width: 26px; height: 20px; border: 1.5px solid #000;"),
    (".nahraum-tooltip", "font-size: 22px;"),
    (".nahraum-popup", "font-size: 20px;"),
    (".nahraum-popup h4", "font-size: 24px;"),
    (".leaflet-control-layers", "font-size: 20px;"),
    (".leaflet-control-attribution", "font-size: 13px;"),
    (".leaflet-control-zoom a", "width: 36px; height: 36px; line-height: 36px; font-size: 24px;"),
    (".nahraum-label-gemeinde-gross span", "font-size: 22px;"),
    (".nahraum-label-gemeinde span", "font-size: 19px;"),
    (".nahraum-label-ort span", "font-size: 17px;"),
)
# Scoped to the map container's class ``nahraum-workshop`` (set by MapStyle): a changed
# script also makes st_folium remount the map, which a changed style sheet alone does not.
WORKSHOP_CSS = "\n".join(
    (
        f".nahraum-workshop{sel} {{ {rule} }}"
        if sel == ".leaflet-container"
        else f".nahraum-workshop {sel} {{ {rule.replace(';', ' !important;')} }}"
    )
    for sel, rule in WORKSHOP_RULES
)


class MapStyle(JSCSSMixin):
    """Nahraum's map style sheet (embedded) and zoom classes on the map container.

    The container carries ``nahraum-zmin-N`` for every ``N <= zoom`` so that CSS can
    show labels from a zoom level on.
    """

    default_css = [("nahraum_css", css_data_url(MAP_CSS + WORKSHOP_CSS))]  # noqa: RUF012 (folium)

    def __init__(self, workshop: bool = False) -> None:
        super().__init__()
        self._name = "MapStyle"
        self.workshop = bool(workshop)

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
            // Labels that would overlap a more important one (larger kind first, then the
            // order of the features: Gemeinden by population) are hidden, on screen only.
            var order = ['gemeinde-gross', 'gemeinde', 'ort'];
            function declutter() {
                var box = map.getContainer().getBoundingClientRect(), kept = [];
                var labels = map.getContainer().querySelectorAll('.nahraum-label');
                var ranked = [];
                labels.forEach(function(el, i) {
                    el.classList.remove('nahraum-label-hidden');
                    var kind = order.findIndex(function(k) {
                        return el.classList.contains('nahraum-label-' + k); });
                    ranked.push([kind < 0 ? order.length : kind, i, el]);
                });
                ranked.sort(function(a, b) { return a[0] - b[0] || a[1] - b[1]; });
                ranked.forEach(function(item) {
                    var span = item[2].firstChild;
                    if (!span || !span.getBoundingClientRect) return;
                    var r = span.getBoundingClientRect();
                    if (!r.width || r.right < box.left || r.left > box.right
                        || r.bottom < box.top || r.top > box.bottom) return;
                    var hit = kept.some(function(k) {
                        return r.left < k.right + 3 && r.right > k.left - 3
                            && r.top < k.bottom + 1 && r.bottom > k.top - 1; });
                    if (hit) item[2].classList.add('nahraum-label-hidden');
                    else kept.push(r);
                });
            }
            map.on('zoomend', zoomClasses);
            // After a move, and once more when a zoom animation has surely settled.
            var pending = [];
            function later() {
                pending.forEach(clearTimeout);
                pending = [30, 400, 1200].map(function(ms) { return setTimeout(declutter, ms); });
            }
            map.on('moveend overlayadd', later);
            // Names are measured in the map's font: check again once it has loaded.
            if (document.fonts && document.fonts.ready) document.fonts.ready.then(later);
            zoomClasses();
            {% if this.workshop %}map.getContainer().classList.add('nahraum-workshop');{% endif %}
            map.whenReady(later);
        })();
        {% endmacro %}
        """
    )


class MapRuntime(MacroElement):
    """``window.nahraum``: the link between the static base map and the dynamic overlays.

    Add it to the map before any layer. It keeps the Gemeinde features and layers
    (hover and selection style, tooltip lines), the static layers by name (so the
    legend hides the sections of layers that are switched off) and the legend.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var styles = {{ this.styles|tojson }};
            var ns = window.nahraum = {
                map: map, features: [], gemeinden: {}, tooltips: {}, tips: {}, selected: null,
                layers: {}, legendDiv: null, legendHtml: null
            };
            function style(ags, hover) {
                if (hover) { return styles.hover; }
                return ags === ns.selected ? styles.selected : styles.normal;
            }
            ns.register = function(name, layer) { ns.layers[name] = layer; };
            ns.addGemeinde = function(feature, layer) {
                var ags = feature.properties.ags;
                ns.features.push(feature);
                ns.gemeinden[ags] = layer;
                ns.tooltips[ags] = feature.properties.tooltip;
                layer.bindTooltip(feature.properties.tooltip,
                                  {sticky: true, className: 'nahraum-tooltip'});
                layer.on('mouseover', function() { layer.setStyle(style(ags, true)); });
                layer.on('mouseout', function() { layer.setStyle(style(ags, false)); });
            };
            ns.setGemeinden = function(tips, selected) {
                ns.tips = tips || {};
                ns.selected = selected || null;
                Object.keys(ns.gemeinden).forEach(function(ags) {
                    var layer = ns.gemeinden[ags], tip = ns.tips[ags];
                    layer.setTooltipContent(tip ? ns.tooltips[ags] + '<br>' + tip : ns.tooltips[ags]);
                    layer.setStyle(style(ags, false));
                    if (ags === ns.selected && layer.bringToFront && layer._map) {
                        layer.bringToFront();
                    }
                });
            };
            ns.syncLegend = function() {
                if (!ns.legendDiv) { return; }
                ns.legendDiv.querySelectorAll('[data-layer]').forEach(function(node) {
                    var layer = ns.layers[node.getAttribute('data-layer')];
                    if (layer) { node.style.display = map.hasLayer(layer) ? '' : 'none'; }
                });
            };
            ns.setLegend = function(html) {
                ns.legendHtml = html;
                var div = ns.legendDiv;
                if (!div) { return; }
                var old = div.querySelector('details');
                var open = old ? old.open : true;
                var scroll = div.scrollTop;
                div.innerHTML = html;
                var details = div.querySelector('details');
                if (details) { details.open = open; }
                div.scrollTop = scroll;
                ns.syncLegend();
            };
        })();
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MapRuntime"
        normal = {"color": boundaries.GEMEINDE_LINE, "weight": 1.2, "opacity": 0.9}
        self.styles = {
            "normal": normal,
            "hover": {"color": boundaries.HIGHLIGHT, "weight": 3, "opacity": 1},
            "selected": {"color": GEMEINDE_SELECTED, "weight": 4, "opacity": 1},
        }


class RegisterLayers(MacroElement):
    """Registers static layers by their control name with ``window.nahraum``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {%- for name, layer in this.layers %}
        window.nahraum.register({{ name|tojson }}, {{ layer.get_name() }});
        {%- endfor %}
        {% endmacro %}
        """
    )

    def __init__(self, layers: Sequence[tuple[str, Any]]):
        super().__init__()
        self._name = "RegisterLayers"
        self.layers = list(layers)


class FitRegion(MacroElement):
    """Fits the map to the region once, leaving room for the expanded legend on the left,
    the layer list on the right (expanded on wide maps, an icon on narrow ones) and the
    attribution line at the bottom, so that no control covers the data."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var left = 10;
            var legend = map.getContainer().querySelector('.nahraum-legend-control');
            var details = legend ? legend.querySelector('details') : null;
            // Room for the legend at its widest (its content grows with the overlays).
            if (details && details.open) {
                left = Math.max(legend.offsetWidth, {{ this.legend_px|tojson }}) + 20;
            }
            // The layer list is added later (st_folium): reserve its width as it will be.
            var wide = document.documentElement.clientWidth >= {{ this.wide_px|tojson }};
            var right = wide ? {{ this.layers_px|tojson }} + 20 : 54;
            if (map.getSize().x - left - right < 320) { left = 10; right = 10; }
            map.fitBounds({{ this.bounds|tojson }},
                          {paddingTopLeft: [left, 10],
                           paddingBottomRight: [right, {{ this.bottom_px|tojson }}],
                           animate: false});
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        bounds: tuple[tuple[float, float], tuple[float, float]],
        legend_px: int = LEGEND_MAX_PX,
    ):
        super().__init__()
        self._name = "FitRegion"
        self.bounds = [list(bounds[0]), list(bounds[1])]
        self.legend_px = int(legend_px)
        self.layers_px = LAYERS_MAX_PX
        self.wide_px = COMPACT_BELOW_PX
        self.bottom_px = ATTRIBUTION_PX + 6


class LegendUpdate(MacroElement):
    """Replaces the legend's content (used inside an overlay group)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        window.nahraum.setLegend({{ this.html|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, html: str):
        super().__init__()
        self._name = "LegendUpdate"
        self.html = html


# ---------------------------------------------------------------------------
# Data of the base map (per region and language) and of the overlays (per analysis)
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class MapData:
    """Everything the base map shows, prepared from a region (plain data, picklable).

    Attributes
    ----------
    bounds : tuple
        ``((south, west), (north, east))`` of the region in degrees.
    gemeinden, kreise, labels, services, stops : dict
        Display GeoJSON from the layer modules (``services``: all located services).
    population : RasterImage or None
        The population raster (``None`` if the region has no populated cell).
    roads : dict or None
        Roads of the region's network, ``None`` without a network.
    lang : str
        Language of the prepared texts (popups).
    """

    bounds: tuple[tuple[float, float], tuple[float, float]]
    gemeinden: dict
    kreise: dict
    labels: dict
    services: dict
    stops: dict
    population: RasterImage | None
    roads: dict | None = None
    lang: str = i18n.DEFAULT_LANG
    boundary_attribution: str = boundaries.ATTRIBUTION_GEMEINDEN


@dataclass(frozen=True)
class MapOptions:
    """What the base map shows when it opens (layers can be toggled in the map as well)."""

    gemeinden: bool = True
    population: bool = True
    services: bool = True
    labels: bool = True
    stops: bool = False
    online_tiles: bool = False
    roads: bool = True
    workshop: bool = False


@dataclass(frozen=True)
class Overlays:
    """The dynamic part of the map for one analysis (plain data, picklable, cacheable).

    Attributes
    ----------
    measure_name : str
        Layer name of the measure raster.
    raster : RasterImage or None
        The classed cells.
    raster_attribution : str
        Sources and the travel-time model (shown in the map's attribution line).
    measure_legend : LegendSection
    outline : dict or None
        Outline of the cells beyond the threshold (display GeoJSON).
    services_name : str
    services : dict
        Display GeoJSON of the selected services.
    services_legend : LegendSection
    choropleth_name : str or None
    choropleth : boundaries.Choropleth or None
    catchment_name : str or None
    catchment : dict or None
        Catchment bands of the selected service (display GeoJSON).
    catchment_legend : LegendSection or None
    cell : dict or None
        The clicked 100 m cell (display GeoJSON).
    selected_ags, selected_service : str or None
    """

    measure_name: str
    raster: RasterImage | None
    raster_attribution: str
    measure_legend: LegendSection
    services_name: str
    services: dict
    services_legend: LegendSection
    outline: dict | None = None
    choropleth_name: str | None = None
    choropleth: boundaries.Choropleth | None = None
    catchment_name: str | None = None
    catchment: dict | None = None
    catchment_legend: LegendSection | None = None
    cell: dict | None = None
    selected_ags: str | None = None
    selected_service: str | None = None
    tips: dict = field(default_factory=dict)
    scenario_sites: dict | None = None
    scenario_pins: dict | None = None
    standards: Any = None  # layers.standards.StandardsLayer


def region_bounds(region: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    """South-west and north-east corner of the region's Gemeinden in degrees."""
    west, south, east, north = to_display(region.gemeinden).total_bounds
    return (float(south), float(west)), (float(north), float(east))


def map_data(
    region: Any,
    population_column: str = "pop",
    networks: dict | None = None,
    lang: str = i18n.DEFAULT_LANG,
    grid: cells.CellGrid | None = None,
) -> MapData:
    """Prepare all base-map layers of a region (the slow part; cache it per region).

    Parameters
    ----------
    region : geo.region.Region
        As returned by ``geo.region.load_region``.
    population_column : str
        Cell column drawn as the population raster.
    networks : dict, optional
        ``region.networks()``: with a network, its roads are drawn.
    lang : {"de", "en"}
    grid : CellGrid, optional
        ``cells.cell_grid(region.cells)`` if already computed (shared with the measures).

    Returns
    -------
    MapData
    """
    raster = None
    if region.cells is not None and len(region.cells):
        try:
            raster = cells.population_raster(region.cells, column=population_column, grid=grid)
        except ValueError:
            raster = None
    places = getattr(region, "places", None)
    stops_gdf = getattr(region, "stops", None)
    network = roads.pick_network(networks or {})
    return MapData(
        bounds=region_bounds(region),
        gemeinden=boundaries.gemeinden_geojson(region.gemeinden),
        kreise=boundaries.kreise_geojson(region.gemeinden),
        labels=boundaries.label_points_geojson(region.gemeinden, places),
        services=services.services_geojson(region.services, lang),
        stops=(
            stops.stops_geojson(stops_gdf, lang)
            if stops_gdf is not None and len(stops_gdf)
            else {"type": "FeatureCollection", "features": []}
        ),
        population=raster,
        roads=roads.roads_geojson(network) if network is not None else None,
        lang=lang,
        # Regions without official Gemeinden (a bounding box) show no BKG/Destatis credit.
        boundary_attribution=(
            boundaries.ATTRIBUTION_GEMEINDEN
            if getattr(region, "meta", {}).get("official_gemeinden", True)
            else ""
        ),
    )


def base_map(
    bounds: tuple[tuple[float, float], tuple[float, float]], fit: bool = True
) -> folium.Map:
    """An empty map without tiles, with scale bar, custom panes, fitted to ``bounds``.

    ``fit=False`` leaves the fitting to :class:`FitRegion` (a second, animated fit would
    undo it when its animation ends).
    """
    (south, west), (north, east) = bounds
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=10,
        tiles=None,
        control_scale=True,
        min_zoom=7,
        max_zoom=17,
        width="100%",
        height="100%",
        zoom_snap=0.25,
    )
    for name, (z_index, events) in PANES.items():
        folium.map.CustomPane(name, z_index=z_index, pointer_events=events).add_to(m)
    if fit:
        m.fit_bounds([[south, west], [north, east]], padding=(8, 8))
    return m


def static_sections(
    data: MapData, options: MapOptions, lang: str = i18n.DEFAULT_LANG
) -> list[LegendSection]:
    """Legend sections of the base map (areas, roads, stops)."""
    sections = [boundaries.legend_section(lang, roads=data.roads is not None and options.roads)]
    if data.stops["features"] and options.stops:
        sections.append(stops.legend_section(i18n.t("layer_stops", lang), lang))
    return sections


def build_base_map(
    data: MapData, options: MapOptions | None = None, lang: str = i18n.DEFAULT_LANG
) -> folium.Map:
    """The static base map of a region: everything that does not change with the analysis.

    Parameters
    ----------
    data : MapData
        Output of :func:`map_data`.
    options : MapOptions, optional
        ``stops``, ``online_tiles``, ``roads``, ``labels``, ``gemeinden`` are used here.
    lang : {"de", "en"}

    Returns
    -------
    folium.Map
        Self-contained (no CDN link), without layer control (see :func:`layer_control`).
    """
    opts = options or MapOptions()
    m = base_map(data.bounds, fit=False)
    MapRuntime().add_to(m)
    registered: list[tuple[str, Any]] = []

    gemeinden = boundaries.gemeinden_layer(
        data.gemeinden,
        attribution=data.boundary_attribution,
        pane="nahraum-gemeinden",
        show=opts.gemeinden,
        name=i18n.t("layer_gemeinden", lang),
    )
    if opts.online_tiles:
        tiles = folium.TileLayer(
            "OpenStreetMap",
            name=i18n.t("layer_online", lang),
            overlay=True,
            control=True,
            show=True,
            max_zoom=19,
        )
        tiles.add_to(m)
        registered.append((tiles.layer_name, tiles))
    if data.roads is not None and opts.roads and data.roads["features"]:
        road_layer = roads.roads_layer(
            data.roads, pane="nahraum-roads", name=i18n.t("layer_roads", lang)
        )
        road_layer.add_to(m)
        registered.append((road_layer.layer_name, road_layer))
    gemeinden.add_to(m)
    registered.append((gemeinden.layer_name, gemeinden))
    if not opts.online_tiles:
        boundaries.basemap_layer(pane="nahraum-basemap").add_to(m)
    kreise = boundaries.kreise_layer(
        data.kreise, pane="nahraum-kreise", show=opts.gemeinden, name=i18n.t("layer_kreise", lang)
    )
    kreise.add_to(m)
    labels = boundaries.labels_layer(
        data.labels, pane="nahraum-labels", show=opts.labels, name=i18n.t("layer_places", lang)
    )
    labels.add_to(m)
    registered += [(kreise.layer_name, kreise), (labels.layer_name, labels)]
    if data.stops["features"] and opts.stops:
        stop_layer = stops.stops_layer(
            data.stops, pane="nahraum-stops", show=True, name=i18n.t("layer_stops", lang)
        )
        stop_layer.add_to(m)
        registered.append((stop_layer.layer_name, stop_layer))
    RegisterLayers(registered).add_to(m)

    Legend(
        static_sections(data, opts, lang),
        position="bottomleft",
        title=i18n.t("legend", lang),
        footer=i18n.t("legend_footer", lang),
        collapse_below_px=LEGEND_COMPACT_BELOW_PX,
    ).add_to(m)
    FitRegion(data.bounds).add_to(m)
    MapStyle(workshop=opts.workshop).add_to(m)
    return localize(m)


def layer_control() -> folium.LayerControl:
    """The layer control: expanded on wide maps (projector), an icon on narrow ones."""
    control = folium.LayerControl(position="topright", collapsed=False)
    control.options["collapsed"] = JsCode(
        f"(document.documentElement.clientWidth < {COMPACT_BELOW_PX})"
    )
    return control


def overlay_groups(
    ov: Overlays, sections: Sequence[LegendSection] = (), lang: str = i18n.DEFAULT_LANG
) -> list[folium.FeatureGroup]:
    """The dynamic layers of one analysis as feature groups (for ``st_folium``).

    Parameters
    ----------
    ov : Overlays
        Prepared data of the overlays.
    sections : sequence of LegendSection
        Static legend sections (areas, stops) to keep at the end of the legend.
    lang : {"de", "en"}

    Returns
    -------
    list of folium.FeatureGroup
        Measure (with the legend and the Gemeinde state), choropleth (if any), services,
        catchment/selection (if any). Every group is localized (no remote resource).
    """
    groups = []
    legend_sections: list[LegendSection] = []

    measure = folium.FeatureGroup(name=ov.measure_name, overlay=True, control=True)
    if ov.raster is not None:
        cells.population_layer(
            ov.raster,
            pane="nahraum-raster",
            name=ov.measure_name,
            attribution=ov.raster_attribution,
        ).add_to(measure)
    if ov.outline is not None and ov.outline["features"]:
        cells.outline_layer(ov.outline, pane="nahraum-outline").add_to(measure)
    legend_sections.append(ov.measure_legend)
    groups.append(measure)

    if ov.choropleth is not None and ov.choropleth_name:
        choro = folium.FeatureGroup(name=ov.choropleth_name, overlay=True, control=True)
        boundaries.ChoroplethFill(ov.choropleth.colors, pane="nahraum-choropleth").add_to(choro)
        legend_sections.append(ov.choropleth.legend)
        groups.append(choro)

    if ov.standards is not None:
        groups.append(standardslayers.standards_group(ov.standards))
        legend_sections.append(ov.standards.legend)

    svc = folium.FeatureGroup(name=ov.services_name, overlay=True, control=True)
    services.services_layer(
        ov.services, pane="nahraum-services", name=ov.services_name, selected=ov.selected_service
    ).add_to(svc)
    legend_sections.insert(0, ov.services_legend)
    groups.append(svc)

    if ov.catchment is not None or ov.cell is not None:
        name = ov.catchment_name or i18n.t("layer_selection", lang)
        sel = folium.FeatureGroup(name=name, overlay=True, control=True)
        if ov.catchment is not None and ov.catchment["features"]:
            catchment.catchment_layer(ov.catchment, pane="nahraum-catchment").add_to(sel)
            if ov.catchment_legend is not None:
                legend_sections.append(ov.catchment_legend)
        if ov.cell is not None:
            cells.outline_layer(ov.cell, pane="nahraum-catchment", color="#111111").add_to(sel)
        groups.append(sel)

    if ov.scenario_sites is not None or ov.scenario_pins is not None:
        empty = {"type": "FeatureCollection", "features": []}
        group, section = scenariolayers.scenario_group(
            ov.scenario_sites or empty, ov.scenario_pins or empty, lang
        )
        groups.append(group)
        if section is not None:
            legend_sections.insert(1, section)

    html = legend_html(
        [*legend_sections, *sections],
        title=i18n.t("legend", lang),
        footer=i18n.t("legend_footer", lang),
    )
    LegendUpdate(html).add_to(measure)
    tips = ov.choropleth.tips if ov.choropleth else ov.tips
    if ov.standards is not None:
        tips = standardslayers.merged_tips(tips, ov.standards.tips)
    boundaries.GemeindeState(tips, ov.selected_ags).add_to(measure)
    return [localize(g) for g in groups]


def build_map(
    data: MapData,
    options: MapOptions | None = None,
    overlays: Overlays | None = None,
    lang: str = i18n.DEFAULT_LANG,
) -> folium.Map:
    """A complete standalone map: base map, overlays and layer control in one document.

    Without ``overlays`` the population raster and all services are shown, so the
    map is useful on its own (tests, HTML export).

    Parameters
    ----------
    data : MapData
    options : MapOptions, optional
    overlays : Overlays, optional
    lang : {"de", "en"}

    Returns
    -------
    folium.Map
        Self-contained (no CDN link; see :func:`layers._assets.localize`).
    """
    opts = options or MapOptions()
    m = build_base_map(data, opts, lang)
    if overlays is None:
        name = cells.LAYER_POPULATION if lang == "de" else "Population (100 m grid)"
        legend = cells.legend_section(name=name)
        overlays = Overlays(
            measure_name=name,
            raster=data.population if opts.population else None,
            raster_attribution=settings.ATTRIBUTION["zensus"],
            measure_legend=legend,
            services_name=i18n.t("layer_services", lang),
            services=data.services,
            services_legend=services.legend_section(i18n.t("layer_services", lang), lang),
        )
    for group in overlay_groups(overlays, static_sections(data, opts, lang), lang):
        group.add_to(m)
    layer_control().add_to(m)
    return localize(m)


def attribution_lines(online_tiles: bool = False, roads_shown: bool = False) -> list[str]:
    """All attribution lines of the data shown on the map (for captions and exports)."""
    keys = ["vg250", "gv100ad", "zensus", "geonames", "stops", "services"]
    lines = [settings.ATTRIBUTION[k] for k in keys]
    if online_tiles or roads_shown:
        lines.append(settings.ATTRIBUTION["osm"])
    return lines


def map_html(m: folium.Map) -> str:
    """The map as a standalone HTML document (no remote resource)."""
    return m.get_root().render()
