"""The page's steps for ``app.py``: set-up, layout, loading, the view shown, the parts.

``app.py`` only calls these in order. What is shown (status quo or the scenario's
"after" state) is decided once in :func:`view`; a comparison colours both states with
the same class breaks (``layers.gaps.measure_overlay(reference=…)``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import streamlit as st

from geo._errors import NahraumError
from geo.settings import TRANSIT_MODE
from layers import gaps
from layers import map as maplayers
from present import describe, i18n
from present import tables as ptables
from ui import keys
from ui.basemap import basemap_choice, basemap_control
from ui.demand import demand_controls
from ui.exports import current_planning, export_section
from ui.inventory import inventory_panel, service_editor
from ui.mapview import base_parts, show_map
from ui.participants import participation
from ui.results import gemeinde_table, key_figures, method, selection_overlay, selection_panel
from ui.scenarios import record_button, scenario_sidebar, site_form
from ui.sidebar import analysis_controls, layer_options, sidebar, workshop_switch
from ui.standards import current_check, map_layer, standards_controls, standards_section
from ui.state import (
    get_choropleth,
    get_coverage_lines,
    get_info,
    get_map_data,
    get_measure_overlay,
    get_networks,
    get_region,
    get_result,
    get_services_geojson,
    get_store,
    lazy_expander,
    prepare_assets,
    scenario_digest,
    warm_up,
    with_transit,
    workshop_id,
)
from ui.style import PAGE_CSS, WORKSHOP_CSS, uploader_css
from ui.suggestions import suggestions
from ui.transit import lever_tools, proxy_figures, proxy_layer, proxy_toggle, transit_controls
from ui.workshop import (
    check_token,
    delta_panel,
    get_comparison,
    get_history,
    read_map,
    relocate_groups,
    restore_view,
    scenario_overlays,
    scenario_tools,
    service_actions,
)

MAP_HEIGHT_PX = 620
RETURNED = ["last_clicked", "last_object_clicked", "last_object_clicked_tooltip"]


@dataclass
class Boxes:
    """The page's containers, laid out first and filled in any order."""

    top: Any
    figures: Any
    map: Any
    delta: Any
    tools: Any
    controls: Any
    panel: Any


@dataclass
class Loaded:
    """Region, networks, controls and the status-quo result of this run."""

    lang: str
    name: str
    workshop: bool
    region: Any
    content_hash: str
    networks: dict
    params: Any
    measure: str
    indicator: str
    options: Any
    result: Any
    info: Any
    data: Any
    base_hash: str = ""  # the region's own content hash (content_hash may key a timetable)
    proxy: bool = False  # the Haltestellen-Erschließung layer is on


@dataclass
class Shown:
    """The workshop state and the view on screen (status quo or the scenario)."""

    history: Any
    selection: dict | None
    cmp: Any
    result: Any
    variant: str
    exported: Any
    overlays: Any
    blocks: Any
    standards: Any = None  # (StandardsChoice, CheckResult, scenario checked) of ui.standards


def setup() -> tuple[str, str, bool]:
    """Page configuration, CSS and the sidebar; returns language, region and workshop mode."""
    lang = i18n.lang_of(st.session_state.get(keys.LANG))
    st.set_page_config(
        page_title=i18n.t("page_title", lang), layout="wide", initial_sidebar_state="expanded"
    )
    st.markdown(PAGE_CSS, unsafe_allow_html=True)
    restore_view()
    workshop = bool(st.session_state.get(keys.WORKSHOP))
    if workshop:
        st.markdown(WORKSHOP_CSS, unsafe_allow_html=True)
    lang, name = sidebar()
    check_token(lang)
    st.markdown(uploader_css(lang), unsafe_allow_html=True)
    if not workshop:
        workshop_switch(lang, st.sidebar)
    return lang, name, workshop


def layout(workshop: bool) -> Boxes:
    """Containers: header, key figures, map with the side column (workshop: wider side)."""
    top = st.container()
    figures = st.container() if not workshop else None
    map_col, side_col = st.columns([3.2, 1]) if not workshop else st.columns([2.6, 1])
    with side_col:
        delta, tools = st.container(), st.container()
        controls = st.container() if workshop else None
        panel = st.container()
    return Boxes(top, figures, map_col, delta, tools, controls, panel)


def load(lang: str, name: str, workshop: bool, boxes: Boxes) -> Loaded:
    """Region, networks, the controls and the status-quo result (German error: stop)."""
    try:
        prepare_assets()
        key = demand_controls(get_region(name), name, lang)
        key = inventory_panel(get_region(name), name, key, lang)
        region = get_region(key)
        content_hash = str(region.meta.get("content_hash", ""))
        warm_up(name, content_hash)
        feed = transit_controls(lang, name)
        networks = get_networks(name, with_transit(content_hash, feed))
        params, measure, indicator = analysis_controls(
            lang, region, name, networks, box=boxes.controls
        )
        if params.mode != TRANSIT_MODE.code:  # road results keep the region's own key
            networks = get_networks(name, content_hash)
        base_hash = content_hash
        content_hash = with_transit(base_hash, feed if params.mode == TRANSIT_MODE.code else None)
        options = layer_options(lang)
        basemap_control(lang)
        proxy = proxy_toggle(lang)
        if workshop:
            options = maplayers.MapOptions(
                stops=options.stops, online_tiles=options.online_tiles, workshop=True
            )
        return Loaded(
            lang,
            name,
            workshop,
            region,
            content_hash,
            networks,
            params,
            measure,
            indicator,
            options,
            get_result(key, content_hash, params),
            get_info(key, base_hash),
            get_map_data(name, base_hash, lang),
            base_hash,
            proxy,
        )
    except NahraumError as exc:
        st.error(i18n.t("error_region", lang, error=str(exc)))
        st.stop()
        raise  # st.stop() ends the run; for type checkers


def view(c: Loaded, boxes: Boxes) -> Shown:
    """Scenario history and clicks, the comparison, and the overlays of the view shown."""
    lang, params = c.lang, c.params
    store = get_store(workshop_id(), c.name, c.base_hash or c.content_hash)
    history = get_history(store, workshop_id(), c.name, params, lang)
    selection = read_map(c.name, history, params, lang)
    site_form(params, lang)
    with boxes.tools:
        scenario_tools(history, params, lang)
        lever_tools(history, c.networks, params, lang)
    with boxes.panel:
        service_actions(history, selection, lang)
        service_editor(c.region, c.name, selection, lang)
        if c.workshop:
            participation(store, c.name, c.content_hash, lang)
    scenario = history.current
    cmp, after = get_comparison(c.region, params, scenario, c.networks, c.result)
    if cmp is not None:
        with boxes.tools:
            st.segmented_control(
                i18n.t("view_label", lang),
                ["after", "before"],
                key=keys.VIEW,
                default="after",
                format_func=lambda v: i18n.t(f"view_{v}", lang),
            )
    with boxes.delta:
        delta_panel(cmp, params, lang, c.workshop)
    scenario_sidebar(store, history, c.region, workshop_id(), lang)
    suggestions(c.region, params, c.networks, history, cmp, lang)
    show_after = after is not None and st.session_state.get(keys.VIEW, "after") != "before"
    shown = after if show_after else c.result
    other = (c.result if show_after else after) if after is not None else None
    variant = scenario_digest(scenario) if show_after else ""
    compared = scenario_digest(scenario) if after is not None else ""
    extra, blocks = selection_overlay(selection, c.region, c.name, c.content_hash, c.result, lang)
    measure = get_measure_overlay(
        c.name, c.content_hash, params, c.measure, lang, shown, variant, compared, other
    )
    choropleth = (
        get_choropleth(
            c.name, c.content_hash, params, c.indicator, lang, shown, variant, compared, other
        )
        if c.indicator != "none"
        else None
    )
    services = get_services_geojson(
        c.name,
        c.content_hash,
        params,
        lang,
        shown,
        variant,
        cmp.services if show_after else c.region.services,
    )
    overlays = gaps.overlays(measure, services, shown, lang, choropleth=choropleth, **extra)
    sites_gj, pins_gj = scenario_overlays(c.region, scenario, lang)
    overlays = dataclasses.replace(overlays, scenario_sites=sites_gj, scenario_pins=pins_gj)
    exported = scenario if show_after or (cmp is None and scenario.pins) else None
    choice = standards_controls(store.folder, lang)
    checked = scenario if show_after else None
    check = current_check(c, checked, choice)
    overlays = dataclasses.replace(overlays, standards=map_layer(check, choice, lang))
    return Shown(
        history,
        selection,
        cmp,
        shown,
        variant,
        exported,
        overlays,
        blocks,
        (choice, check, checked),
    )


def header(c: Loaded, s: Shown, boxes: Boxes) -> None:
    """Title (workshop: with the scenario and the switch back) and the key figures."""
    lang = c.lang
    with boxes.top:
        if c.workshop:  # the switch back sits next to the title (the sidebar is hidden)
            head, switch = st.columns([5, 1.4], vertical_alignment="center")
            head.subheader(f"{c.region.label} · {s.history.current.name}", anchor=False)
            workshop_switch(lang, switch)
        else:
            st.subheader(i18n.t("heading", lang, region=c.region.label), anchor=False)
    if boxes.figures is not None:
        with boxes.figures:
            key_figures(s.result, lang)
            st.caption(
                f"{i18n.tn('kf_services', s.result.totals['services'], lang)} · "
                f"{i18n.target_label(c.params.target, lang)} · "
                f"{i18n.mode_label(c.params.mode, lang)} · {i18n.t('model', lang)}: "
                f"{describe.model_text(s.result, lang)}"
            )
            for line in describe.demand_lines(s.result.metadata, lang):
                st.caption(f"**{line}**")
            for line in get_coverage_lines(c.name, c.base_hash, lang, c.region):
                st.caption(f"**{line}**")
            proxy_figures(c.proxy, c.name, c.base_hash, s.result, lang)


def map_and_panel(c: Loaded, s: Shown, boxes: Boxes) -> None:
    """The map (dynamic layers swapped in without reloading) and the click panel."""
    lang = c.lang
    proxy_groups, proxy_sections = proxy_layer(c.proxy, c.name, c.base_hash, s.result, lang)
    groups = (
        maplayers.overlay_groups(
            s.overlays, [*maplayers.static_sections(c.data, c.options, lang), *proxy_sections], lang
        )
        + proxy_groups
        + relocate_groups(s.cmp.services if s.cmp is not None else c.region.services, lang)
    )
    with boxes.map:
        # what st_folium sends, the base map rendered once per region (ui/mapview.py)
        base = base_parts(c.name, c.base_hash, lang, c.options, c.data, basemap_choice())
        show_map(base, groups, maplayers.layer_control(), keys.MAP, MAP_HEIGHT_PX, RETURNED)
    with boxes.panel:
        if s.blocks or not c.workshop:
            selection_panel(s.blocks, lang)
        if not c.workshop:
            record_button(c.region, c.params, c.networks, s.history, c.result, lang, st)


def below_map(c: Loaded, s: Shown) -> None:
    """Comparison table, Gemeinde table, exports and the method (not in the workshop)."""
    lang = c.lang
    if s.cmp is not None:
        box = lazy_expander(i18n.t("delta_table", lang), keys.DELTA_SECTION)
        if box.open:
            with box:
                st.dataframe(ptables.comparison_table(s.cmp, lang), hide_index=True)
    planning = current_planning(c.region, c.name)
    gemeinde_table(c.name, c.content_hash, c.params, s.result, lang, s.variant, planning)
    if s.standards is not None:
        standards_section(c, s.standards[2], s.standards[1], s.standards[0])
    export_section(
        c.region,
        c.name,
        c.params,
        s.result,
        s.exported,
        s.variant,
        lambda: maplayers.build_map(c.data, c.options, s.overlays, lang),
        lang,
    )
    method(s.result, c.info, c.options.online_tiles, c.data.roads is not None, lang)
