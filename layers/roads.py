"""Roads of a loaded OSM network as thin grey base-map lines (offline, from the region).

Only regions with a road network (``region.networks()``) get roads. The network's
arcs are straight segments between its nodes; they are de-duplicated (both
directions), merged into lines and simplified for display.
"""

from __future__ import annotations

from typing import Any

import folium
import numpy as np
import shapely
from folium.utilities import JsCode
from pyproj import Transformer

from geo import orientation, settings
from layers._html import feature_collection, js_code

LAYER_ROADS = "Straßen (OSM)"
ROAD_LINE = "#9a9a9a"
SIMPLIFY_M = 8.0  # display tolerance in metres
PREFERRED_MODES: tuple[str, ...] = ("car", "bike", "walk", "walk_slow")


def pick_network(networks: dict[str, Any]) -> Any | None:
    """The network to draw: car first (main roads), else bike or walk; ``None`` if none."""
    for mode in PREFERRED_MODES:
        if networks.get(mode) is not None:
            return networks[mode]
    return None


def roads_geojson(network: Any, simplify_m: float = SIMPLIFY_M) -> dict:
    """The network's arcs as one merged, simplified MultiLineString (display GeoJSON).

    Parameters
    ----------
    network : geo.network.Network
        Needs ``x``, ``y`` (EPSG:3035 nodes) and ``edge_list()``.
    simplify_m : float
        Douglas-Peucker tolerance in metres.

    Returns
    -------
    dict
        FeatureCollection, EPSG:4326 (empty for a network without arcs).
    """
    u, v, _ = network.edge_list()
    if len(u) == 0:
        return {"type": "FeatureCollection", "features": []}
    a, b, _ = orientation.undirected_arcs(u, v, int(network.n_nodes))
    merged = orientation.merge_segments(
        np.asarray(network.x), np.asarray(network.y), a, b, simplify_m
    )
    to_deg = Transformer.from_crs(settings.CRS_METRIC, settings.CRS_DISPLAY, always_xy=True)
    merged = shapely.transform(
        merged, lambda c: np.column_stack(to_deg.transform(c[:, 0], c[:, 1]))
    )
    return feature_collection([merged], [{}])


def roads_layer(
    geojson: dict, pane: str, name: str = LAYER_ROADS, show: bool = True
) -> folium.GeoJson:
    """Thin grey lines on the base map, not interactive (canvas-free SVG)."""
    style = JsCode(
        js_code(
            "function(f) { return {color: $line, weight: 1, opacity: 0.9, fill: false}; }",
            line=ROAD_LINE,
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
