"""The map's background for orientation (issue 15): none, settlements, a local basemap.

The sidebar expander offers the quiet settlement footprint (Zensus 2022 cells, the
default), no background, or a planner-supplied basemap – every ``.mbtiles``/``.pmtiles``
file or XYZ tile folder in ``<cache>/basemaps/`` and a path typed in. A basemap is served
by :class:`geo.tiles.TileServer` on 127.0.0.1 only, so the map stays offline. The same
choice draws the report map's background (:func:`report_orientation`).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import folium
import streamlit as st

from geo import settings
from geo._errors import NahraumError
from layers import orientation as lo
from present import i18n
from ui import keys
from ui.state import (
    get_footprint,
    get_footprint_geojson,
    get_networks,
    get_roads,
    get_tile_server,
)

NONE, FOOTPRINT = "none", "footprint"
BASEMAP_DIR = "basemaps"
BASEMAP_SUFFIXES = (".mbtiles", ".pmtiles")
#: Panes above the offline land fill (250) and below the roads (260).
TILE_PANE, FOOTPRINT_PANE = ("nahraum-localtiles", 252), ("nahraum-footprint", 255)


def basemap_files(cache_dir: str | os.PathLike | None = None) -> list[Path]:
    """MBTiles/PMTiles files and XYZ folders (``{z}/…``) in ``<cache>/basemaps/``."""
    folder = settings.cache_dir(cache_dir) / BASEMAP_DIR
    if not folder.is_dir():
        return []
    found = []
    for p in sorted(folder.iterdir()):
        tiles_file = p.is_file() and p.suffix.lower() in BASEMAP_SUFFIXES
        if tiles_file or (p.is_dir() and any(c.is_dir() and c.name.isdigit() for c in p.iterdir())):
            found.append(p)
    return found


def choices(typed: str | None = None) -> list[str]:
    """``none``, ``footprint``, the found basemaps and a typed path (absolute paths)."""
    out = [NONE, FOOTPRINT, *[str(p) for p in basemap_files()]]
    typed = (typed or "").strip()
    if typed:
        path = str(Path(typed).expanduser().resolve())
        if path not in out:
            out.append(path)
    return out


def _label(choice: str, lang: str) -> str:
    if choice in (NONE, FOOTPRINT):
        return i18n.t(f"bm_{choice}", lang)
    return i18n.t("bm_file", lang, name=Path(choice).name)


def basemap_control(lang: str) -> str:
    """The sidebar expander; returns the choice (``none``, ``footprint`` or a path)."""
    state = st.session_state
    options = choices(state.get(keys.BASEMAP_PATH))
    if state.get(keys.BASEMAP) not in options:
        state[keys.BASEMAP] = FOOTPRINT
    with st.sidebar.expander(i18n.t("bm_heading", lang)):
        choice = st.radio(
            i18n.t("bm_label", lang),
            options,
            key=keys.BASEMAP,
            format_func=lambda c: _label(c, lang),
        )
        st.text_input(
            i18n.t("bm_path", lang),
            key=keys.BASEMAP_PATH,
            help=i18n.t("bm_path_help", lang, folder=str(settings.cache_dir() / BASEMAP_DIR)),
        )
        if choice not in (NONE, FOOTPRINT):
            try:
                st.caption(
                    i18n.t("bm_credit", lang, credit=get_tile_server(choice).source.attribution)
                )
            except NahraumError as exc:
                st.error(str(exc))
    return str(choice)


def _pane(m: folium.Map, pane: tuple[str, int]) -> str:
    folium.map.CustomPane(pane[0], z_index=pane[1], pointer_events=False).add_to(m)
    return pane[0]


def basemap_choice() -> str:
    """The background chosen in the sidebar (footprint by default)."""
    return str(st.session_state.get(keys.BASEMAP, FOOTPRINT))


def add_orientation(
    m: folium.Map, name: str, content_hash: str, lang: str, choice: str | None = None
) -> None:
    """Put the chosen background (``choice``, default: the sidebar's) on the live map.

    Also keeps the attribution to one line (it would cover the bottom of the region);
    hovering or clicking it shows all sources.
    """
    m.get_root().header.add_child(lo.compact_attribution())
    choice = basemap_choice() if choice is None else choice
    if choice == FOOTPRINT:
        lo.footprint_layer(
            get_footprint_geojson(name, content_hash),
            pane=_pane(m, FOOTPRINT_PANE),
            name=i18n.t("bm_footprint", lang),
        ).add_to(m)
    elif choice != NONE:
        try:
            server = get_tile_server(str(choice))
        except NahraumError:
            return  # the sidebar shows the German error
        src = server.source
        layer = lo.basemap_tile_layer(
            server.url, src.attribution, name=src.name, minzoom=src.minzoom, maxzoom=src.maxzoom
        )
        layer.options["pane"] = _pane(m, TILE_PANE)
        layer.add_to(m)


def report_orientation(name: str, content_hash: str) -> dict[str, Any]:
    """Footprint, roads and basemap for the report map (``report.export.render_map``)."""
    choice = st.session_state.get(keys.BASEMAP, FOOTPRINT)
    out: dict[str, Any] = {}
    if get_networks(name, content_hash):
        out["roads"] = get_roads(name, content_hash)
    if choice == FOOTPRINT:
        out["footprint"] = get_footprint(name, content_hash)
    elif choice != NONE:
        with contextlib.suppress(NahraumError):
            out["basemap"] = get_tile_server(str(choice)).source
    return out
