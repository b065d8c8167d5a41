"""Nahraum – Streamlit entry point: the gap map.

Thin by design: page configuration, layout and the order of the page's parts. The
widgets, session state and cached ``geo`` calls live in the ``ui`` package (``ui.state``,
``ui.sidebar``, ``ui.results``, ``ui.workshop``, ``ui.scenarios``, ``ui.suggestions``,
``ui.style``). Computation comes from ``geo`` (regions, networks,
``geo.analysis.analyze``, isochrones), display from ``layers`` (map layers, key figures,
tables); no analysis happens here.

Responsiveness: the region and its networks are cached as resources, analysis results
and every prepared layer with ``st.cache_data`` keyed on (region name, content hash,
``AnalysisParams``). The base map is static per region and language; what changes with
the controls is handed to ``st_folium`` as feature groups, which it swaps into the
running map without reloading it (zoom and centre stay). The map reports only clicks
(``returned_objects``), so panning and zooming never rerun the script.

Run with ``./nahraum.sh app`` or ``streamlit run app.py`` (settings in
``.streamlit/config.toml``: local address only, no usage statistics).
"""

from __future__ import annotations

import dataclasses

import streamlit as st
from streamlit_folium import st_folium

from geo import compare as geocompare
from geo._errors import NahraumError
from layers import gaps
from layers import map as maplayers
from present import describe, i18n
from ui.exports import current_planning, export_section
from ui.results import gemeinde_table, key_figures, method, selection_overlay, selection_panel
from ui.scenarios import record_button, scenario_sidebar, site_form
from ui.sidebar import analysis_controls, layer_options, sidebar, workshop_switch
from ui.state import (
    MAP_KEY,
    get_choropleth,
    get_info,
    get_map_data,
    get_measure_overlay,
    get_networks,
    get_region,
    get_result,
    get_services_geojson,
    get_store,
    prepare_assets,
    scenario_digest,
    workshop_id,
)
from ui.style import PAGE_CSS, WORKSHOP_CSS
from ui.suggestions import suggestions
from ui.workshop import (
    delta_panel,
    get_comparison,
    get_history,
    read_map,
    scenario_overlays,
    scenario_tools,
    service_actions,
)

MAP_HEIGHT_PX = 620
RETURNED = ["last_clicked", "last_object_clicked", "last_object_clicked_tooltip"]


def main() -> None:
    """Render the page."""
    st.set_page_config(page_title=i18n.t("page_title", i18n.lang_of(st.session_state.get("lang"))),
                       layout="wide", initial_sidebar_state="expanded")
    st.markdown(PAGE_CSS, unsafe_allow_html=True)
    workshop = bool(st.session_state.get("workshop"))
    if workshop:
        st.markdown(WORKSHOP_CSS, unsafe_allow_html=True)
    lang, name = sidebar()
    if not workshop:
        workshop_switch(lang, st.sidebar)
    ws = workshop_id()
    # Layout first (filled below), so that the workshop controls can sit next to the map.
    top = st.container()
    figures_box = st.container() if not workshop else None
    map_col, side_col = st.columns([3.2, 1]) if not workshop else st.columns([2.6, 1])
    with side_col:
        delta_box = st.container()
        tools_box = st.container()
        controls_box = st.container() if workshop else None
        panel_box = st.container()
    try:
        prepare_assets()
        region = get_region(name)
        content_hash = str(region.meta.get("content_hash", ""))
        networks = get_networks(name, content_hash)
        params, measure, indicator = analysis_controls(lang, region, name, networks,
                                                       box=controls_box)
        options = layer_options(lang)
        if workshop:
            options = maplayers.MapOptions(stops=options.stops,
                                           online_tiles=options.online_tiles, workshop=True)
        result = get_result(name, content_hash, params)
        info = get_info(name, content_hash)
        data = get_map_data(name, content_hash, lang)
    except NahraumError as exc:
        st.error(i18n.t("error_region", lang, error=str(exc)))
        st.stop()

    store = get_store(ws, name, content_hash)
    history = get_history(store, ws, name, params, lang)
    selection = read_map(name, history, params, lang)
    site_form(params, lang)
    with tools_box:
        scenario_tools(history, params, lang)
    with panel_box:
        service_actions(history, selection, lang)
    scenario = history.current
    cmp, after = get_comparison(region, params, scenario, networks, result)
    if cmp is not None:
        with tools_box:
            st.segmented_control(i18n.t("view_label", lang), ["after", "before"], key="view",
                                 default="after",
                                 format_func=lambda v: i18n.t(f"view_{v}", lang))
    with delta_box:
        delta_panel(cmp, params, lang, workshop)
    scenario_sidebar(store, history, region, ws, lang)
    suggestions(region, params, networks, history, cmp, lang)
    show_after = after is not None and st.session_state.get("view", "after") != "before"
    shown = after if show_after else result
    variant = scenario_digest(scenario) if show_after else ""
    services_after = cmp.services if show_after else None

    extra, blocks = selection_overlay(selection, region, name, content_hash, result, lang)
    sites_gj, pins_gj = scenario_overlays(region, scenario, lang)
    overlays = gaps.overlays(
        get_measure_overlay(name, content_hash, params, measure, lang, shown, variant),
        get_services_geojson(name, content_hash, params, lang, shown, variant, services_after),
        shown, lang,
        choropleth=(get_choropleth(name, content_hash, params, indicator, lang, shown, variant)
                    if indicator != "none" else None),
        **extra)
    overlays = dataclasses.replace(overlays, scenario_sites=sites_gj, scenario_pins=pins_gj)

    with top:
        if workshop:  # the switch back sits next to the title (the sidebar is hidden)
            head, switch = st.columns([5, 1.4], vertical_alignment="center")
            head.subheader(f"{region.label} · {scenario.name}", anchor=False)
            workshop_switch(lang, switch)
        else:
            st.subheader(i18n.t("heading", lang, region=region.label), anchor=False)
    if figures_box is not None:
        with figures_box:
            key_figures(shown, lang)
            st.caption(f"{i18n.t('kf_services', lang, n=shown.totals['services'])} · "
                       f"{i18n.target_label(params.target, lang)} · "
                       f"{i18n.mode_label(params.mode, lang)} · {i18n.t('model', lang)}: "
                       f"{describe.model_text(shown, lang)}")

    base = maplayers.build_base_map(data, options, lang)
    groups = maplayers.overlay_groups(overlays, maplayers.static_sections(data, options, lang),
                                      lang)
    with map_col:
        # render=False: st_folium renders the map's elements once itself (same output).
        st_folium(base, key=MAP_KEY, height=MAP_HEIGHT_PX, use_container_width=True,
                  returned_objects=RETURNED, feature_group_to_add=groups,
                  layer_control=maplayers.layer_control(), render=False)
    with panel_box:
        if blocks or not workshop:
            selection_panel(blocks, lang)
        if not workshop:
            record_button(region, params, networks, history, result, lang, st)
    if workshop:
        return
    if cmp is not None:
        with st.expander(i18n.t("delta_table", lang), expanded=False):
            st.dataframe(geocompare.comparison_table(cmp), hide_index=True)
    planning = current_planning(region, name)
    gemeinde_table(name, content_hash, params, shown, lang, variant, planning)
    exported = scenario if show_after or (cmp is None and scenario.pins) else None
    export_section(region, name, params, shown, exported, variant,
                   lambda: maplayers.build_map(data, options, overlays, lang), lang)
    method(shown, info, options.online_tiles, data.roads is not None, lang)


main()
