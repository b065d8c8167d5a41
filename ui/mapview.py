"""The map component with its static part rendered once per region, shared by sessions.

``st_folium`` renders the whole folium map on every rerun: for ``thueringen`` (624
Gemeinden) that is about 0.85 s of a 2.5 s control change (templates compiled, every
coordinate walked for the bounds, the GeoJSON dumped), and the result is the same each
time. :func:`show_map` hands the map component exactly the arguments ``st_folium``
would (same base-map script, header, links, component key), but takes the base map's
part from :func:`base_parts` – rendered once per region, language and map options in
``st.cache_resource`` – and renders only the feature groups and the layer control per
rerun. ``tests/test_mapview.py`` checks that the arguments are identical. What stays
the same on every rerun – the map libraries and the base map's script – is then served as
files (:func:`served`), so a rerun sends only the URLs and its own layers.

The functions of ``streamlit_folium`` used here are the ones ``st_folium`` itself calls
(pinned version in ``requirements.lock``).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import folium
import streamlit as st
import streamlit.components.v1 as components
import streamlit_folium as stf

from geo import settings
from layers import map as maplayers
from ui._stored import stored
from ui.basemap import FOOTPRINT, NONE, add_orientation
from ui.state import get_region

# The component's return value before any interaction (st_folium's defaults).
_DEFAULTS: dict[str, Any] = {
    "last_clicked": None,
    "last_object_clicked": None,
    "last_object_clicked_count": None,
    "last_object_clicked_tooltip": None,
    "last_object_clicked_popup": None,
    "all_drawings": None,
    "last_active_drawing": None,
    "bounds": None,
    "zoom": None,
    "last_circle_radius": None,
    "last_circle_polygon": None,
    "selected_layers": None,
    "selected_tags": None,
    "last_geocoder_result": None,
}


@dataclass(frozen=True)
class BaseParts:
    """The rendered base map (what ``st_folium`` sends for it on every rerun).

    Attributes
    ----------
    script, header, html : str
        Leaflet script, header and HTML of the base map.
    map_id : str
        The map's element id (the component's ``id`` argument).
    css_links, js_links : tuple of str
        Style sheets and scripts of the base map's elements.
    layers : tuple
        ``(layer name, variable name, overlay, control)`` of the base map's layers, as the
        layer control lists them.
    bounds : list
        ``[[south, west], [north, east]]`` of the base map's content.
    zoom : Any
        The map's initial zoom option.
    """

    script: str
    header: str
    html: str
    map_id: str
    css_links: tuple[str, ...]
    js_links: tuple[str, ...]
    layers: tuple[tuple[str, str, bool, bool], ...]
    bounds: list
    zoom: Any


class _StandIn(folium.map.Layer):
    """A base-map layer as the layer control sees it (name and variable only)."""

    def __init__(self, name: str, var: str, overlay: bool, control: bool) -> None:
        super().__init__(name=name, overlay=overlay, control=control)
        self._var = var

    def get_name(self) -> str:
        return self._var


def _links(elements: Sequence[Any]) -> tuple[list[str], list[str]]:
    """CSS and JS links of folium elements and their children (st_folium's walk)."""
    css: list[str] = []
    js: list[str] = []

    def walk(element: Any) -> None:
        if isinstance(element, folium.elements.JSCSSMixin):
            css.extend(href for _, href in getattr(element, "default_css", []))
            js.extend(src for _, src in getattr(element, "default_js", []))
        for child in getattr(element, "_children", {}).values():
            walk(child)

    for element in elements:
        walk(element)
    return css, js


def render_base(m: folium.Map, bounds: bool = True) -> BaseParts:
    """Render a base map the way ``st_folium`` does (``render=False``) and keep the parts."""
    m.render()
    html = stf._get_html(m)
    header = stf._get_header(m)
    script = stf._get_map_string(m)
    layers = tuple(
        (item.layer_name, item.get_name(), bool(item.overlay), bool(item.control))
        for item in m._children.values()
        if isinstance(item, folium.map.Layer)
    )
    css, js = _links([m])
    return BaseParts(
        script=script,
        header=header,
        html=html,
        map_id=stf.get_full_id(m),
        css_links=tuple(css),
        js_links=tuple(js),
        layers=layers,
        bounds=m.get_bounds() if bounds else [[None, None], [None, None]],
        zoom=m.options.get("zoom") if hasattr(m, "options") else {},
    )


@st.cache_resource(show_spinner=False, max_entries=16)
def base_parts(
    name: str,
    content_hash: str,
    lang: str,
    options: maplayers.MapOptions,
    _data: Any,
    basemap: str = "",
) -> BaseParts:
    """The rendered base map of a region (``_data``: its ``MapData``), once per process.

    ``basemap``: the background chosen in the sidebar (``ui.basemap``), "" for none added.
    Kept in the region's cache folder (``ui._stored``; thueringen: 0.8 s to render, 20 ms
    to read) unless the background is a tile file of the planner's.
    """

    def render() -> BaseParts:
        m = maplayers.build_base_map(_data, options, lang)
        if basemap:
            add_orientation(m, name, content_hash, lang, choice=basemap)
        return render_base(m, bounds=False)

    if basemap not in ("", NONE, FOOTPRINT):  # a tile file chosen by the planner: not kept
        return render()
    variant = hashlib.sha256(repr((options, basemap)).encode()).hexdigest()[:8]
    folder = get_region(name).cache_path
    return stored(folder, f"basemap-{lang}-{variant}", content_hash, render)


@functools.lru_cache(maxsize=32)
def _component_key(script: str, key: str | None) -> str:
    """``st_folium``'s component key (a regex pass and a SHA-256 over the whole base-map
    script, ~40 ms on thueringen): once per base map and key."""
    return stf.generate_js_hash(script, key, False)


def component_args(
    parts: BaseParts,
    groups: Sequence[folium.FeatureGroup],
    layer_control: folium.LayerControl | None,
    key: str | None,
    height: int,
    width: int | None,
    returned_objects: Sequence[str] | None,
) -> dict[str, Any]:
    """The map component's arguments: the cached base map plus this run's groups."""
    holder = folium.Map(tiles=None)
    for layer in parts.layers:
        holder.add_child(_StandIn(*layer))
    group_string = None
    if groups:
        group_string = "".join(
            stf._get_feature_group_string(g, map=holder, idx=i) for i, g in enumerate(groups)
        )
    control_string = None
    if layer_control is not None:
        control_string = stf._get_layer_control_string(layer_control, holder)
    css, js = _links([*groups, *([layer_control] if layer_control is not None else [])])
    defaults = dict(_DEFAULTS)
    defaults["bounds"] = {
        "_southWest": {"lat": parts.bounds[0][0], "lng": parts.bounds[0][1]},
        "_northEast": {"lat": parts.bounds[1][0], "lng": parts.bounds[1][1]},
    }
    defaults["zoom"] = parts.zoom
    wanted = {
        k: v for k, v in defaults.items() if returned_objects is None or k in returned_objects
    }
    return {
        "script": parts.script,
        "header": parts.header,
        "html": parts.html,
        "id": parts.map_id,
        "key": _component_key(parts.script, key),
        "height": height,
        "width": width,
        "returned_objects": list(returned_objects) if returned_objects is not None else None,
        "default": wanted,
        "zoom": None,
        "center": None,
        "feature_group": group_string,
        "return_on_hover": False,
        "layer_control": control_string,
        "pixelated": False,
        "css_links": list(dict.fromkeys([*parts.css_links, *css])),
        "js_links": list(dict.fromkeys([*parts.js_links, *js])),
        "wrap_longitude": False,
    }


# ---------------------------------------------------------------------------
# Served once, not sent with every rerun
# ---------------------------------------------------------------------------
ASSET_FOLDER = "_map_assets"  # in the cache folder (ignored): content-addressed files
_SUFFIXES = {"text/javascript": ".js", "application/javascript": ".js"}
BASE_SCRIPT = "eval(window.__nahraumBase);"  # the map's script: the served base map


def asset_dir() -> Path:
    """Where the map's libraries and base-map scripts are served from (in the cache)."""
    folder = settings.cache_dir() / ASSET_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# A component without a frontend of its own: Streamlit serves the files of its folder at
# ``component/<name>/<file>`` (with their content type), next to the map's own frame.
ASSETS = components.declare_component("nahraum_assets", path=str(asset_dir()))


ASSET_MAX_AGE_DAYS = 7.0  # files not published for this long are removed at start


def _folder() -> Path:
    """The folder the asset component serves (its declared path)."""
    return Path(ASSETS.path or asset_dir())


def _publish(name: str, data: bytes) -> str:
    """Serve ``data`` as the file ``name`` (written again if it went missing); its URL
    from the map's frame."""
    path = _folder() / name
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    return f"../{ASSETS.name}/{name}"


def _named(data: bytes, suffix: str) -> tuple[str, bytes]:
    """The file name of ``data`` (its digest); the file's time marks it as in use."""
    name = f"{hashlib.sha256(data).hexdigest()[:24]}{suffix}"
    path = _folder() / name
    with contextlib.suppress(OSError):
        os.utime(path)
    return name, data


@functools.lru_cache(maxsize=128)
def _link_file(link: str) -> tuple[str, bytes] | None:
    head, _, payload = link.partition(",")
    mime = head[5:].split(";")[0] if head.startswith("data:") else ""
    if mime not in _SUFFIXES or not head.endswith(";base64"):
        return None
    return _named(base64.b64decode(payload), _SUFFIXES[mime])


@functools.lru_cache(maxsize=32)
def _script_file(script: str) -> tuple[str, bytes]:
    return _named(f"window.__nahraumBase = {json.dumps(script)};".encode("ascii"), ".js")


def _served_link(link: str) -> str:
    """A ``data:`` script as a served URL (other links unchanged)."""
    file = _link_file(link)
    return link if file is None else _publish(*file)


def _served_script(script: str) -> str:
    """The base map's script as a served file that keeps it (run by :data:`BASE_SCRIPT`)."""
    return _publish(*_script_file(script))


def prune_assets(max_age_days: float = ASSET_MAX_AGE_DAYS) -> int:
    """Remove served files not published for ``max_age_days`` (base maps of earlier data
    or code; a file still needed is written again); the number removed."""
    folder = _folder()
    limit = time.time() - max_age_days * 86400
    removed = 0
    for path in folder.glob("*"):
        with contextlib.suppress(OSError):
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
    return removed


def served(args: dict[str, Any]) -> dict[str, Any]:
    """The map component's arguments with the libraries and the base map served as files.

    ``st_folium`` puts them into the arguments, and Nahraum embeds the libraries as
    ``data:`` URLs (``layers._assets``: no CDN): on default 530 of the 713 KB sent with
    every rerun are Leaflet and the base map's script, the same each time, encoded again by
    the server (JSON, protobuf) and parsed again by the browser. Served from :func:`asset_dir` (cached by the browser),
    each rerun sends only the URLs and this run's layers. The frame loads the links in
    order before the script; the base map's script runs from a global variable the last
    link sets (``eval`` at the top level: its ``var`` declarations stay global, as the
    layer control and the feature groups expect).
    """
    out = dict(args)
    # The style sheets (25 KB) stay embedded: the frame adds them as ``<link>`` elements
    # without waiting, and served they would apply only after the map's labels were
    # measured for their collisions (``layers.labels``).
    out["js_links"] = [
        *(_served_link(link) for link in args["js_links"]),
        _served_script(args["script"]),
    ]
    out["script"] = BASE_SCRIPT
    return out


def show_map(
    parts: BaseParts,
    groups: Sequence[folium.FeatureGroup],
    layer_control: folium.LayerControl | None,
    key: str,
    height: int,
    returned_objects: Sequence[str],
) -> Any:
    """Draw the map (full container width); returns what ``st_folium`` returns."""
    args = served(component_args(parts, groups, layer_control, key, height, None, returned_objects))
    hash_key = args["key"]

    def on_change() -> None:
        st.session_state[key] = st.session_state.get(hash_key, {})

    return stf._component_func(**args, on_change=on_change)
