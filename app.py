"""Nahraum – Streamlit entry point: the gap map.

Thin by design: page layout, widgets and session state. Computation comes from
``geo`` (regions, networks, ``geo.analysis.analyze``, isochrones), display from
``layers`` (map layers, key figures, tables); no analysis happens here.

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
import hashlib
import html
import json
import os
import re
import secrets
from typing import Any

import streamlit as st
from streamlit_folium import st_folium

from geo import analysis, isochrones, settings
from geo import compare as geocompare
from geo import indicators as geoindicators
from geo import region as georegion
from geo import scenario as geoscenario
from geo._errors import NahraumError
from geo._scenario_io import geopackage_bytes, import_scenario, to_geojson
from geo.network import to_xy
from geo.optimize import suggest
from geo.record import session_record
from geo.scenario_store import ScenarioStore
from layers import boundaries, catchment, cells, gaps, i18n, panel, tables
from layers import map as maplayers
from layers import scenario as scenariolayers
from layers._assets import ensure_assets
from layers._html import parse_ref

DEFAULT_REGION = os.environ.get("NAHRAUM_REGION") or "default"
MAP_KEY = "karte"
MAP_HEIGHT_PX = 620
RETURNED = ["last_clicked", "last_object_clicked", "last_object_clicked_tooltip"]
WS_PARAM = "ws"  # query parameter with the workshop id (scenarios survive a reload)
WS_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{5,39}")
CLICK_MODES = ("none", "site", "pin", "outreach", "mobile")
CANDIDATES = ("villages", "cells", "both")
PAGE_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.6rem; padding-bottom: 2rem; }
[data-testid="stMetricValue"] { font-size: 1.6rem; }
/* The map fills the window below the key figures (projector and laptop alike). */
iframe[title="streamlit_folium.st_folium"] { height: max(430px, calc(100vh - 262px)) !important; }
/* Narrow windows: the selection panel moves below the map. */
@media (max-width: 1450px) {
  [data-testid="stHorizontalBlock"]:has(iframe[title="streamlit_folium.st_folium"]) {
    flex-wrap: wrap; }
  [data-testid="stHorizontalBlock"]:has(iframe[title="streamlit_folium.st_folium"])
    > [data-testid="stColumn"] { flex: 1 1 100% !important; width: 100% !important;
    min-width: 100% !important; }
}
.nahraum-worst { font-size: 0.9rem; line-height: 1.3; }
.nahraum-worst ol { margin: 0.1rem 0 0 1.1rem; padding: 0; }
.nahraum-worst .label { font-size: 0.875rem; color: rgb(49, 51, 63); }
.nahraum-panel h4 { margin: 0 0 0.4rem 0; padding: 0; font-size: 1.15rem; }
.nahraum-panel table { border-collapse: collapse; font-size: 0.9rem; width: 100%; }
.nahraum-panel th { text-align: left; font-weight: 600; color: #555; padding: 2px 8px 2px 0;
  vertical-align: top; }
.nahraum-panel td { padding: 2px 0; }
.nahraum-panel .kind { color: #555; font-size: 0.8rem; text-transform: uppercase;
  letter-spacing: 0.04em; margin-top: 0.6rem; }
.nahraum-headline { font-size: 0.95rem; line-height: 1.3; margin: -0.3rem 0 0.4rem 0; }
</style>"""
# Workshop view: projector at 1280×720 – map fills the screen, text ≥ 24 px, no chrome.
WORKSHOP_CSS = """<style>
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
footer, [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], [data-testid="stStatusWidget"] { display: none !important; }
[data-testid="stMainBlockContainer"] { padding: 0.4rem 0.8rem 0 0.8rem !important;
  max-width: 100% !important; }
[data-testid="stMain"] p, [data-testid="stMain"] label, [data-testid="stMain"] button,
[data-testid="stMain"] input, [data-testid="stMain"] textarea,
[data-testid="stMain"] [data-baseweb="select"], [data-testid="stMain"] li,
[data-testid="stMain"] [data-testid="stMarkdownContainer"],
[data-testid="stMain"] [data-testid="stCaptionContainer"],
[data-testid="stMain"] [data-testid="stMetricLabel"] p,
[data-testid="stMain"] [data-testid="stWidgetLabel"] p { font-size: 24px !important;
  line-height: 1.25 !important; }
[data-testid="stMain"] h1, [data-testid="stMain"] h2, [data-testid="stMain"] h3 {
  font-size: 30px !important; padding: 0 !important; margin: 0 !important; }
[data-testid="stMetricValue"] { font-size: 48px !important; font-weight: 700; color: #000; }
[data-testid="stMain"] [data-testid="stVerticalBlock"] { gap: 0.45rem; }
[data-testid="stMain"] [data-testid="stCaptionContainer"],
[data-testid="stMain"] [data-testid="stCaptionContainer"] p { color: #111 !important; }
[data-testid="stSliderThumbValue"], [data-testid="stSliderTickBar"] { font-size: 22px !important; }
iframe[title="streamlit_folium.st_folium"] { height: calc(100vh - 70px) !important; }
[data-testid="stHorizontalBlock"]:has(iframe[title="streamlit_folium.st_folium"]) {
  flex-wrap: nowrap !important; }
[data-testid="stHorizontalBlock"]:has(iframe[title="streamlit_folium.st_folium"])
  > [data-testid="stColumn"]:first-child { flex: 0 0 69% !important; width: 69% !important;
  min-width: 0 !important; }
[data-testid="stHorizontalBlock"]:has(iframe[title="streamlit_folium.st_folium"])
  > [data-testid="stColumn"]:last-child { flex: 1 1 31% !important; width: 31% !important;
  min-width: 0 !important; max-height: calc(100vh - 70px); overflow-y: auto; }
.nahraum-headline { font-size: 24px !important; }
[data-testid="stMain"] [data-testid="stBaseButton-secondary"] { padding: 0.2rem 0.45rem; }
[data-testid="stMain"] [data-testid="stMetric"] { padding: 0; }
[data-testid="stMain"] [data-testid="stMetricValue"],
[data-testid="stMain"] [data-testid="stMetricValue"] div,
[data-testid="stMain"] [data-testid="stMetricValue"] p { font-size: 44px !important;
  line-height: 1.1 !important; font-weight: 700; }
</style>"""


# ---------------------------------------------------------------------------
# Cached access to geo and layers (the boundary between UI and computation)
# ---------------------------------------------------------------------------
@st.cache_resource(show_spinner="Planungsregion wird geladen (beim ersten Mal aufgebaut) … / "
                             "Loading the planning region (built on first use) …")
def get_region(name: str) -> georegion.Region:
    """Load (and if needed build) a region once per server process."""
    return georegion.load_region(name)


@st.cache_resource(show_spinner=False)
def get_networks(name: str, content_hash: str) -> dict:
    """The region's road networks per mode (``{}`` without a network)."""
    return get_region(name).networks()


@st.cache_data(show_spinner=False)
def get_region_choices() -> dict[str, str]:
    """Region names and labels from ``data/regions``."""
    return georegion.list_regions()


@st.cache_data(show_spinner=False)
def get_info(name: str, content_hash: str) -> dict:
    """Key figures of a region (``content_hash`` keys the cache)."""
    return georegion.region_info(get_region(name))


@st.cache_data(show_spinner="Karte wird vorbereitet … / Preparing the map …")
def get_map_data(name: str, content_hash: str, lang: str) -> maplayers.MapData:
    """Display data of the base map of a region."""
    return maplayers.map_data(get_region(name), networks=get_networks(name, content_hash),
                              lang=lang)


@st.cache_resource(show_spinner=False)
def get_cell_grid(name: str, content_hash: str) -> cells.CellGrid:
    """Pixel → cell lookup of the region's 100 m cells (re-coloured per analysis)."""
    return cells.cell_grid(get_region(name).cells)


@st.cache_data(show_spinner="Erreichbarkeit wird berechnet … / Computing accessibility …",
               max_entries=64)
def get_result(name: str, content_hash: str,
               params: analysis.AnalysisParams) -> analysis.AnalysisResult:
    """All measures for one parameter set."""
    return analysis.analyze(get_region(name), params, get_networks(name, content_hash))


@st.cache_data(show_spinner=False, max_entries=128)
def get_measure_overlay(name: str, content_hash: str, params: analysis.AnalysisParams,
                        measure: str, lang: str,
                        _result: analysis.AnalysisResult, variant: str = "") -> gaps.MeasureOverlay:
    """The classed measure raster with legend (``_result``: the result of ``params``;
    ``variant``: digest of the scenario the result belongs to, empty for the status quo)."""
    return gaps.measure_overlay(_result, get_cell_grid(name, content_hash), measure, lang)


@st.cache_data(show_spinner=False, max_entries=64)
def get_services_geojson(name: str, content_hash: str, params: analysis.AnalysisParams,
                         lang: str, _result: analysis.AnalysisResult, variant: str = "",
                         _services: Any = None) -> dict:
    """The selected services as display GeoJSON (``_services``: the list after a scenario)."""
    services = get_region(name).services if _services is None else _services
    return gaps.selected_services(services, _result, lang)


@st.cache_data(show_spinner=False, max_entries=128)
def get_choropleth(name: str, content_hash: str, params: analysis.AnalysisParams,
                   indicator: str, lang: str,
                   _result: analysis.AnalysisResult,
                   variant: str = "") -> tuple[str, boundaries.Choropleth]:
    """Colours of a Gemeinde indicator."""
    return gaps.gemeinde_choropleth(_result, indicator, lang)


@st.cache_data(show_spinner="Einzugsbereich wird berechnet … / Computing the catchment …",
               max_entries=64)
def get_catchment(name: str, content_hash: str, mode: str, threshold: float,
                  xy: tuple[float, float]) -> dict:
    """Travel-time bands of one service up to the threshold (display GeoJSON)."""
    bands = catchment.catchment_bands(threshold)
    network = get_networks(name, content_hash).get(mode)
    gdf = isochrones.service_isochrones([list(xy)], mode, bands, network, cumulative=True)
    return catchment.catchment_geojson(gdf, threshold)


@st.cache_data(show_spinner=False, max_entries=64)
def get_screen_table(name: str, content_hash: str, params: analysis.AnalysisParams,
                     lang: str, _result: analysis.AnalysisResult, variant: str = ""
                     ) -> tuple[Any, list[str], dict[str, int]]:
    """The sortable Gemeinde table (numbers numeric, small counts missing)."""
    df, suppressed = tables.screen_table(_result, lang)
    return df, suppressed, tables.decimals_of(_result, lang)


@st.cache_data(show_spinner=False, max_entries=64)
def get_csv(name: str, content_hash: str, params: analysis.AnalysisParams, style: str,
            lang: str, _result: analysis.AnalysisResult, variant: str = "") -> bytes:
    """The Gemeinde table as CSV bytes."""
    return tables.csv_bytes(_result, style, lang)


@st.cache_resource(show_spinner=False)
def prepare_assets() -> str:
    """Copy the map libraries into the vendor folder once per server process."""
    return str(ensure_assets())


# ---------------------------------------------------------------------------
# Sidebar
# ---------------------------------------------------------------------------
def sidebar() -> tuple[str, str]:
    """Title, language switch and region; returns the language and the region name."""
    st.sidebar.title("Nahraum")
    choice = st.sidebar.segmented_control(
        "Sprache / Language", list(i18n.LANGS), default=i18n.DEFAULT_LANG, key="lang",
        format_func=lambda c: i18n.LANG_NAMES[c], label_visibility="collapsed")
    lang = i18n.lang_of(choice)
    carry_over_language(lang)
    st.sidebar.caption(i18n.t("app_subtitle", lang))
    choices = get_region_choices()
    names = list(choices) or [DEFAULT_REGION]
    if DEFAULT_REGION not in names:
        names.insert(0, DEFAULT_REGION)
    name = st.sidebar.selectbox(i18n.t("region", lang), names, index=names.index(DEFAULT_REGION),
                                format_func=lambda n: choices.get(n, n), key="region")
    return lang, name


def lkey(base: str, lang: str) -> str:
    """Widget key per language for widgets whose option texts are translated.

    A select box keeps showing the option text it was given when the value was chosen;
    a new key per language makes it show the translated text. The chosen values are
    carried over by :func:`carry_over_language`.
    """
    return f"{base}__{lang}"


def carry_over_language(lang: str) -> None:
    """Copy the choices of the language-keyed widgets when the language changes."""
    state = st.session_state
    previous = state.get("_lang_previous")
    if previous and previous != lang:
        suffix = f"__{previous}"
        for key in [k for k in state if isinstance(k, str) and k.endswith(suffix)]:
            state[key[:-len(suffix)] + f"__{lang}"] = state[key]
    state["_lang_previous"] = lang


def initial(key: str, **default: Any) -> dict:
    """``default`` unless the widget's value is already in the session state."""
    return {} if key in st.session_state else default


def analysis_controls(lang: str, region: georegion.Region, name: str, networks: dict,
                      box: Any = None) -> tuple[analysis.AnalysisParams, str, str]:
    """Services, target group, mode, threshold, measure, indicator.

    ``box``: container for mode and threshold (workshop view: next to the map).
    """
    sb = st.sidebar
    near = box if box is not None else sb
    sb.subheader(i18n.t("services_heading", lang), anchor=False)
    counts = panel.category_counts(region.services)
    categories = sb.multiselect(
        i18n.t("categories", lang), list(counts), key=lkey(f"categories_{name}", lang),
        format_func=lambda c: f"{i18n.category_label(c, lang)} ({counts.get(c, 0)})",
        placeholder=i18n.t("all_services", lang), help=i18n.t("categories_help", lang))
    sub_counts = panel.subcategory_counts(region.services, categories)
    subcategories = sb.multiselect(
        i18n.t("subcategories", lang), list(sub_counts),
        key=f"subcategories_{name}_{'|'.join(categories)}",
        format_func=lambda s: f"{s} ({sub_counts.get(s, 0)})",
        placeholder=i18n.t("all_services", lang), help=i18n.t("subcategories_help", lang))

    targets = panel.target_options()
    key = lkey("target", lang)
    target = sb.selectbox(i18n.t("target", lang), targets, key=key,
                          **initial(key, index=targets.index(settings.DEFAULT_TARGET_GROUP)),
                          format_func=lambda c: panel.target_option_label(c, lang),
                          help=i18n.t("target_help", lang))
    modes = list(settings.MODES)
    key = lkey("mode", lang)
    mode = near.selectbox(i18n.t("mode", lang), modes, key=key,
                        **initial(key, index=modes.index(settings.DEFAULT_MODE)),
                        format_func=lambda m: i18n.mode_label(m, lang))
    if box is None:
        sb.caption(i18n.t("model_network" if networks.get(mode) is not None
                          else "model_fallback", lang))
    defaults = ", ".join(f"{i18n.mode_label(m, lang)} {md.default_threshold_min} min"
                         for m, md in settings.MODES.items())
    key = f"threshold_{mode}"
    threshold = near.slider(i18n.t("threshold", lang), min_value=5, max_value=60, step=5,
                          key=key,
                          **initial(key, value=int(settings.MODES[mode].default_threshold_min)),
                          help=i18n.t("threshold_help", lang, defaults=defaults))
    measures = list(cells.MAP_MEASURES)
    key = lkey("measure", lang)
    measure = sb.selectbox(i18n.t("measure", lang), measures, key=key,
                           **initial(key, index=measures.index(settings.DEFAULT_MEASURE)),
                           format_func=lambda m: i18n.measure_label(m, lang))
    indicators = ["none", *boundaries.INDICATORS]
    indicator = sb.selectbox(
        i18n.t("indicator", lang), indicators, key=lkey("indicator", lang),
        format_func=lambda k: (i18n.t("ind_none", lang) if k == "none"
                               else boundaries.indicator_label(k, None, lang)))
    params = analysis.AnalysisParams(
        kinds=panel.kinds(categories, subcategories), target=target, mode=mode,
        threshold_min=float(threshold),
        measure=measure if measure in settings.MEASURES else settings.DEFAULT_MEASURE)
    return params, measure, indicator


def layer_options(lang: str) -> maplayers.MapOptions:
    """Base-map layers that change the static map (rarely used)."""
    with st.sidebar.expander(i18n.t("map_layers", lang)):
        stops = st.checkbox(i18n.t("layer_stops", lang), value=False, key="layer_stops")
        online = st.checkbox(i18n.t("online_tiles", lang), value=False, key="online_tiles",
                             help=i18n.t("online_tiles_help", lang))
    if online:
        st.sidebar.warning(i18n.t("online_tiles_on", lang))
    return maplayers.MapOptions(stops=stops, online_tiles=online)


# ---------------------------------------------------------------------------
# Selection (map clicks)
# ---------------------------------------------------------------------------
def clear_selection() -> None:
    """Button callback: forget the selection (the map keeps its last click)."""
    st.session_state["selection"] = None


# ---------------------------------------------------------------------------
# Page parts
# ---------------------------------------------------------------------------
def key_figures(result: analysis.AnalysisResult, lang: str) -> None:
    """Beyond the threshold, share served, mean time, worst Gemeinden."""
    figures = panel.key_figures(result, lang)
    cols = st.columns([1, 1, 1, 1.6])
    for col, fig in zip(cols[:3], figures[:3], strict=True):
        col.metric(fig.label, fig.value, help=fig.help)
    cols[3].markdown(panel.worst_html(figures[3], panel.worst_gemeinden(result.gemeinden), lang),
                     unsafe_allow_html=True)


def selection_panel(blocks: list[tuple[panel.Details, str]], lang: str) -> None:
    """The figures of the clicked Gemeinde, cell or service."""
    with st.container(border=True):
        st.markdown(f"**{i18n.t('panel_title', lang)}**")
        if not blocks:
            st.caption(i18n.t("panel_hint", lang))
            return
        body = "".join(panel.details_html(d, label) for d, label in blocks)
        st.markdown(f'<div class="nahraum-panel">{body}</div>', unsafe_allow_html=True)
        st.button(i18n.t("clear_selection", lang), on_click=clear_selection, key="clear")


def gemeinde_table(name: str, content_hash: str, params: analysis.AnalysisParams,
                   result: analysis.AnalysisResult, lang: str, variant: str = "") -> None:
    """Sortable table per Gemeinde and downloads (CSV German/international, XLSX)."""
    st.subheader(i18n.t("table_heading", lang), anchor=False)
    df, suppressed, decimals = get_screen_table(name, content_hash, params, lang, result, variant)
    st.caption(i18n.t("table_caption", lang, model=gaps.model_text(result, lang)))
    st.dataframe(tables.styled(df, suppressed, decimals, lang), hide_index=True,
                 key="table", height=380)
    stem = i18n.t("file_stem", lang)
    c1, c2, c3 = st.columns(3)
    c1.download_button(i18n.t("download_csv_de", lang),
                       get_csv(name, content_hash, params, "de", lang, result, variant),
                       file_name=f"{stem}.csv", mime="text/csv", on_click="ignore",
                       key="download_csv_de", icon=":material/download:")
    c2.download_button(i18n.t("download_csv_en", lang),
                       get_csv(name, content_hash, params, "en", lang, result, variant),
                       file_name=f"{stem}_international.csv", mime="text/csv",
                       on_click="ignore", key="download_csv_en", icon=":material/download:")
    c3.download_button(i18n.t("download_xlsx", lang),
                       lambda: tables.xlsx_bytes(result, lang),
                       file_name=f"{stem}.xlsx", mime=tables.XLSX_MIME, on_click="ignore",
                       key="download_xlsx", icon=":material/table_view:")


def method(result: analysis.AnalysisResult, info: dict, online_tiles: bool, roads: bool,
           lang: str) -> None:
    """Parameters, formulas, notes, data sources, unresolved services (traceability)."""
    meta = result.metadata
    with st.expander(i18n.t("method_heading", lang)):
        st.markdown(f"**{i18n.t('model', lang)}:** {gaps.model_text(result, lang)}")
        st.markdown(f"**{i18n.t('m_params', lang)}**")
        st.json(meta.get("params", {}), expanded=False)
        st.markdown(f"**{i18n.t('m_formulas', lang)}**")
        for key, formula in meta.get("formulas", {}).items():
            st.markdown(f"- `{key}`: {panel.md_escape(formula)}")
        if meta.get("notes"):
            st.markdown(f"**{i18n.t('m_notes', lang)}**")
            for note in meta["notes"]:
                st.markdown(f"- {panel.md_escape(note)}")
        st.markdown(f"**{i18n.t('m_sources', lang)}**")
        for line in maplayers.attribution_lines(online_tiles, roads):
            st.markdown(f"- {panel.md_escape(line)}")
        st.caption(i18n.t("m_built", lang, built=info.get("built_at", "–"),
                          hash=str(info.get("content_hash", ""))[:12]))
        unresolved = info["services"]["unresolved"]
        if unresolved:
            st.markdown(i18n.t("unresolved", lang, n=len(unresolved)))
            st.dataframe(
                [{i18n.t("col_id", lang): u.get("id"), i18n.t("col_name", lang): u.get("name"),
                  i18n.t("col_town", lang): u.get("town"),
                  i18n.t("col_note", lang): u.get("geocode_note")} for u in unresolved],
                hide_index=True,
            )


def selection_overlay(selection: dict | None, region: georegion.Region, name: str,
                      content_hash: str, result: analysis.AnalysisResult,
                      lang: str) -> tuple[dict, list[tuple[panel.Details, str]]]:
    """Overlay arguments and panel blocks of the current selection."""
    extra: dict = {}
    blocks: list[tuple[panel.Details, str]] = []
    if not selection:
        return extra, blocks
    if selection["kind"] == "ags":
        details = panel.gemeinde_details(result, selection["key"], lang)
        if details is not None:
            extra["selected_ags"] = selection["key"]
            blocks.append((details, i18n.t("panel_gemeinde", lang)))
        pos = panel.cell_at(region.cells, selection.get("lat"), selection.get("lng"))
        if pos is not None:
            c = region.cells.iloc[pos]
            extra["cell_geojson"] = panel.cell_square_geojson(float(c["x"]), float(c["y"]))
            blocks.append((panel.cell_details(result, pos, lang), ""))
        elif details is not None:
            blocks.append((panel.Details("cell", i18n.t("panel_cell", lang),
                                         (("", i18n.t("panel_cell_none", lang)),)), ""))
    elif selection["kind"] == "svc":
        details = panel.service_details(region.services, result, selection["key"], lang)
        if details is not None:
            extra["selected_service"] = selection["key"]
            blocks.append((details, i18n.t("panel_service", lang)))
            xy = panel.service_xy(result, selection["key"])
            if xy is not None:
                p = result.params
                extra["catchment_geojson"] = get_catchment(name, content_hash, p.mode,
                                                           p.threshold_min, xy)
                extra["catchment_title"] = details.title
    return extra, blocks


# ---------------------------------------------------------------------------
# Workshop: scenario store per workshop id, history, map clicks, comparison
# ---------------------------------------------------------------------------
def workshop_id() -> str:
    """The workshop id from the URL (``?ws=…``), created on the first visit.

    A browser reload starts a new Streamlit session; the id in the URL keeps the
    scenarios. Another browser without the id gets its own id, hence its own store.
    """
    ws = st.query_params.get(WS_PARAM)
    if not isinstance(ws, str) or not WS_RE.fullmatch(ws):
        ws = secrets.token_hex(8)
        st.query_params[WS_PARAM] = ws
    return ws


@st.cache_resource(show_spinner=False)
def get_extent(name: str, content_hash: str) -> geoscenario.Extent:
    """The region's extent (positions outside are refused)."""
    return geoscenario.Extent.from_region(get_region(name))


def get_store(ws: str, name: str, content_hash: str) -> ScenarioStore:
    """The scenario folder of this workshop and region (``<cache>/sessions/<id>/``)."""
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    return ScenarioStore.for_session(f"{ws}-{digest}", extent=get_extent(name, content_hash))


def report(exc: Exception) -> None:
    """Keep a German error message for the next display (callbacks cannot draw)."""
    st.session_state["ws_error"] = str(exc)


def get_history(store: ScenarioStore, ws: str, name: str, params: analysis.AnalysisParams,
                lang: str) -> geoscenario.ScenarioHistory:
    """The auto-saving history of the active scenario (opened once per session)."""
    state = st.session_state
    active = state.get("scenario_active")
    if active is None:
        infos = [i for i in store.list() if i.error is None]
        active = (max(infos, key=lambda i: i.modified or "").name if infos
                  else i18n.t("sc_default", lang))
        state["scenario_active"] = active
    key = (ws, name, active)
    if state.get("history_key") != key or state.get("history") is None:
        try:
            history = open_history(store, active, name, params)
        except NahraumError as exc:  # damaged file: moved aside, start afresh
            report(exc)
            history = open_history(store, active, name, params)
        state["history"], state["history_key"] = history, key
        state["mobile_stops"], state["pending_pin"], state["move_pending"] = [], None, None
        state.pop("suggestion", None)
    return state["history"]


def open_history(store: ScenarioStore, active: str, name: str,
                 params: analysis.AnalysisParams) -> geoscenario.ScenarioHistory:
    """The stored scenario's history; a new one is written on its first change only
    (a mere visit leaves no file behind)."""
    if store.exists(active):
        return store.open(active)
    scenario = geoscenario.Scenario(name=active, region=name, params=params.to_dict())
    return geoscenario.ScenarioHistory(scenario, on_change=store.autosave, extent=store.extent)


def history_do(fn, *args: Any) -> None:
    """Button callback: one step on the history (German errors kept for display)."""
    try:
        fn(*args)
    except NahraumError as exc:
        report(exc)


def scenario_digest(scenario: geoscenario.Scenario) -> str:
    """Digest of what changes the analysis (the changes, not the pins)."""
    text = json.dumps([c.to_dict() for c in scenario.changes], sort_keys=True, default=str)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def site_defaults(params: analysis.AnalysisParams) -> dict:
    """Kind, target groups, capacity, hours and weekdays of new sites (sidebar form)."""
    state = st.session_state
    cats = [k for k in params.kinds if k in settings.CATEGORIES] or list(settings.CATEGORIES)
    category = state.get("site_category") or cats[0]
    capacity = float(state.get("site_capacity") or 0)
    return {"category": category, "subcategory": (state.get("site_sub") or "").strip(),
            "target_groups": tuple(state.get("site_groups") or (params.target,)),
            "capacity": capacity if capacity > 0 else None,
            "hours": float(state.get("site_hours") or 8),
            "weekdays": tuple(state.get("site_days") or ())}


def place_click(history: geoscenario.ScenarioHistory, lat: float, lon: float,
                params: analysis.AnalysisParams, lang: str) -> None:
    """Act on a map click in a placing mode (site, pin, outreach day, mobile stop, move)."""
    state = st.session_state
    mode = state.get("click_mode", "none")
    d = site_defaults(params)
    kind = {k: d[k] for k in ("category", "subcategory", "target_groups", "capacity")}
    number = history.current.next_number
    try:
        if state.get("move_pending"):
            sid = state["move_pending"]
            state["move_pending"] = None
            history.add(geoscenario.MoveSite.to(sid, lon=lon, lat=lat))
        elif mode == "site":
            base = (state.get("site_name") or "").strip() or i18n.t("site_default_name", lang)
            history.add(geoscenario.AddSite.at(lon=lon, lat=lat, name=f"{base} {number}",
                                               **kind))
        elif mode == "pin":
            state["pending_pin"] = (lon, lat)
        elif mode == "outreach":
            x, y = to_xy([lon], [lat])
            history.add(geoscenario.OutreachDay(
                name=f"{i18n.t('outreach_name', lang)} {number}", hours=d["hours"],
                weekdays=d["weekdays"], x=float(x[0]), y=float(y[0]), **kind))
        elif mode == "mobile":
            stops = list(state.get("mobile_stops") or [])
            if len(stops) < settings.MOBILE_MAX_STOPS:
                stops.append((lon, lat))
            state["mobile_stops"] = stops
    except NahraumError as exc:
        report(exc)


def finish_mobile(history: geoscenario.ScenarioHistory, params: analysis.AnalysisParams,
                  lang: str) -> None:
    """Button callback: the collected stops become one mobile service."""
    state = st.session_state
    d = site_defaults(params)
    try:
        stops = tuple(geoscenario.MobileStop.at(lon=lon, lat=lat, hours=d["hours"],
                                                weekdays=d["weekdays"])
                      for lon, lat in state.get("mobile_stops") or [])
        history.add(geoscenario.MobileService(
            name=f"{i18n.t('mobile_name', lang)} {history.current.next_number}",
            category=d["category"], subcategory=d["subcategory"],
            target_groups=d["target_groups"], capacity=d["capacity"], stops=stops))
        state["mobile_stops"] = []
    except NahraumError as exc:
        report(exc)


def save_pin(history: geoscenario.ScenarioHistory) -> None:
    """Form callback: the pending click becomes a pin with kind and text."""
    state = st.session_state
    pending = state.get("pending_pin")
    if not pending:
        return
    try:
        history.add_pin(geoscenario.Pin.at(lon=pending[0], lat=pending[1],
                                           kind=state.get("pin_kind_new") or "missing",
                                           text=state.get("pin_text_new") or ""))
        state["pending_pin"] = None
        state["pin_text_new"] = ""
    except NahraumError as exc:
        report(exc)


def cancel_pending() -> None:
    """Forget a pending pin, move or the collected mobile stops."""
    state = st.session_state
    state["pending_pin"], state["move_pending"], state["mobile_stops"] = None, None, []


def read_map(name: str, history: geoscenario.ScenarioHistory | None,
             params: analysis.AnalysisParams, lang: str) -> dict | None:
    """The selection, updated from the map's last click; placing clicks change the scenario.

    ``st_folium`` stores the map's value in ``st.session_state[MAP_KEY]`` before the
    rerun, so the clicked object (or the new site) is drawn in this very run.
    """
    state = st.session_state
    if state.get("selection_region") != name:
        state["selection_region"] = name
        state["selection"] = None
        state["click_seen"] = state.get(MAP_KEY)
    value = state.get(MAP_KEY)
    if value and value != state.get("click_seen"):
        previous = state.get("click_seen") or {}
        state["click_seen"] = value
        point = value.get("last_clicked")
        placing = state.get("click_mode", "none") != "none" or state.get("move_pending")
        if (placing and history is not None and point and point != previous.get("last_clicked")
                and point.get("lat") is not None):
            place_click(history, float(point["lat"]), float(point["lng"]), params, lang)
            return state.get("selection")
        ref = parse_ref(value.get("last_object_clicked_tooltip"))
        obj = value.get("last_object_clicked") or {}
        if ref is not None and obj != previous.get("last_object_clicked") or (
                ref is not None and ref != parse_ref(previous.get("last_object_clicked_tooltip"))):
            state["selection"] = {"kind": ref[0], "key": ref[1], "lat": obj.get("lat"),
                                  "lng": obj.get("lng")}
    return state.get("selection")


def get_comparison(region: georegion.Region, params: analysis.AnalysisParams,
                   scenario: geoscenario.Scenario, networks: dict,
                   base: analysis.AnalysisResult
                   ) -> tuple[geocompare.Comparison | None, analysis.AnalysisResult | None]:
    """Comparison and after-result of the scenario (incremental from the last one)."""
    if not scenario.changes:
        return None, None
    state = st.session_state
    digest = scenario_digest(scenario)
    # The status quo is fixed by region and parameters (st.cache_data hands out copies,
    # so the key is compared, not the object).
    key = (region.name, str(region.meta.get("content_hash", "")), params)
    last = state.get("comparison")
    if last and last[0] == key and last[1] == digest:
        return last[2], last[3]
    previous = last[2] if last and last[0] == key else None
    cmp = geocompare.compare(region, params, scenario, networks, base_result=base,
                             previous=previous)
    after = analysis.analyze(geocompare.with_services(region, cmp.services), params, networks)
    state["comparison"] = (key, digest, cmp, after)
    return cmp, after


def scenario_overlays(region: georegion.Region, scenario: geoscenario.Scenario,
                      lang: str) -> tuple[dict, dict]:
    """Display GeoJSON of the scenario's sites and pins (plus pending clicks)."""
    state = st.session_state
    sites = scenariolayers.sites_geojson(geoscenario.changes_frame(region.services, scenario),
                                         lang)
    pending = list(state.get("mobile_stops") or [])
    if state.get("pending_pin"):
        pending.append(state["pending_pin"])
    pins = scenariolayers.pins_geojson(geoscenario.pins_frame(scenario), lang, pending)
    return sites, pins


# ---------------------------------------------------------------------------
# Workshop: panels
# ---------------------------------------------------------------------------
def delta_panel(cmp: geocompare.Comparison | None, params: analysis.AnalysisParams,
                lang: str, workshop: bool = False) -> None:
    """People newly within reach (the answer to "what if …?")."""
    if cmp is None:
        st.caption(i18n.t("delta_none", lang))
        return
    t = cmp.totals
    st.metric(i18n.t("delta_label", lang), f"+{i18n.count(t['newly_within'], lang)}",
              help=i18n.t("delta_help", lang))
    share = (f'{i18n.t("kf_share", lang)}: {i18n.percent(t["share_within_before"], lang)} → '
             f'{i18n.percent(t["share_within_after"], lang)}')
    text = cmp.headline() if lang == "de" and not workshop else share
    st.markdown(f'<div class="nahraum-headline">{html.escape(text)}</div>',
                unsafe_allow_html=True)


def scenario_tools(history: geoscenario.ScenarioHistory, params: analysis.AnalysisParams,
                   lang: str) -> None:
    """Undo/redo, click mode, pending pin form, mobile builder, move notice."""
    state = st.session_state
    c1, c2 = st.columns(2)
    c1.button(i18n.t("undo", lang), key="undo", on_click=history_do, args=(history.undo,),
              disabled=not history.can_undo, icon=":material/undo:", use_container_width=True)
    c2.button(i18n.t("redo", lang), key="redo", on_click=history_do, args=(history.redo,),
              disabled=not history.can_redo, icon=":material/redo:", use_container_width=True)
    st.radio(i18n.t("click_mode", lang), CLICK_MODES, key="click_mode",
             format_func=lambda m: i18n.t(f"click_{m}", lang))
    if state.get("ws_error"):
        st.error(panel.md_escape(state.pop("ws_error")))
    if state.get("move_pending"):
        st.info(i18n.t("move_pending", lang))
        st.button(i18n.t("move_cancel", lang), key="move_cancel", on_click=cancel_pending)
    if state.get("pending_pin"):
        with st.form("pin_form", border=True):
            st.markdown(f"**{i18n.t('pin_form', lang)}**")
            st.selectbox(i18n.t("pin_kind", lang), list(settings.PIN_KINDS), key="pin_kind_new",
                         format_func=lambda k: scenariolayers.pin_label(k, lang))
            st.text_area(i18n.t("pin_text", lang, n=settings.PIN_TEXT_MAX), key="pin_text_new",
                         max_chars=settings.PIN_TEXT_MAX, height=90)
            a, b = st.columns(2)
            a.form_submit_button(i18n.t("pin_save", lang), on_click=save_pin, args=(history,),
                                 type="primary")
            b.form_submit_button(i18n.t("pin_cancel", lang), on_click=cancel_pending)
    stops = state.get("mobile_stops") or []
    if stops:
        st.caption(i18n.t("mobile_stops", lang, n=len(stops)))
        st.button(i18n.t("mobile_done", lang), key="mobile_done", on_click=finish_mobile,
                  args=(history, params, lang), type="primary")
        st.button(i18n.t("mobile_cancel", lang), key="mobile_cancel", on_click=cancel_pending)


def service_actions(history: geoscenario.ScenarioHistory, selection: dict | None,
                    lang: str) -> None:
    """Close or move the selected service in the scenario."""
    if not selection or selection.get("kind") != "svc":
        return
    sid = selection["key"]
    if sid in {c.service_id for c in history.current.changes
               if isinstance(c, geoscenario.CloseSite)}:
        return
    a, b = st.columns(2)
    a.button(i18n.t("svc_close", lang), key="svc_close", on_click=history_do,
             args=(history.add, geoscenario.CloseSite(service_id=sid)),
             icon=":material/block:")
    b.button(i18n.t("svc_move", lang), key="svc_move",
             on_click=lambda: st.session_state.update(move_pending=sid),
             icon=":material/open_with:")


def scenario_sidebar(store: ScenarioStore, history: geoscenario.ScenarioHistory,
                     region: georegion.Region, ws: str, lang: str) -> None:
    """Scenario management: choose, new, copy, rename, delete, changes, export, import."""
    sb = st.sidebar
    state = st.session_state
    sb.subheader(i18n.t("sc_heading", lang), anchor=False)
    current = history.current
    names = sorted(set(store.names()) | {current.name})
    pick = sb.selectbox(i18n.t("sc_active", lang), names, index=names.index(current.name),
                        key=f"sc_pick_{current.name}")
    if pick != current.name:
        state["scenario_active"] = pick
        st.rerun()
    new_name = sb.text_input(i18n.t("sc_name", lang), key="sc_name",
                             max_chars=settings.SCENARIO_NAME_MAX).strip()
    cols = sb.columns(4)
    if cols[0].button(i18n.t("sc_new", lang), key="sc_new", disabled=not new_name):
        manage(store, "new", current.name, new_name, lang)
    if cols[1].button(i18n.t("sc_duplicate", lang), key="sc_dup", disabled=not new_name):
        manage(store, "duplicate", current.name, new_name, lang)
    if cols[2].button(i18n.t("sc_rename", lang), key="sc_rename", disabled=not new_name):
        manage(store, "rename", current.name, new_name, lang, history)
    if cols[3].button(i18n.t("sc_delete", lang), key="sc_delete", disabled=len(names) < 2):
        manage(store, "delete", current.name, "", lang)
    with sb.expander(i18n.t("sc_changes", lang, n=len(current.changes))):
        for change in current.changes:
            a, b = st.columns([3, 1])
            a.markdown(panel.md_escape(change.describe()))
            b.button(i18n.t("sc_remove", lang), key=f"rm_{change.id}", on_click=history_do,
                     args=(history.remove, change.id))
    pins_editor(history, lang)
    c1, c2 = sb.columns(2)
    stem = scenario_file_stem(current.name)
    c1.download_button(i18n.t("sc_export_geojson", lang),
                       json.dumps(to_geojson(current, region.services), ensure_ascii=False),
                       file_name=f"{stem}.geojson", mime="application/geo+json",
                       on_click="ignore", key="sc_geojson", icon=":material/download:")
    c2.download_button(i18n.t("sc_export_gpkg", lang),
                       lambda: geopackage_bytes(current, region.services),
                       file_name=f"{stem}.gpkg", mime="application/geopackage+sqlite3",
                       on_click="ignore", key="sc_gpkg", icon=":material/download:")
    upload = sb.file_uploader(i18n.t("sc_import", lang), type=["geojson", "json", "gpkg"],
                              key=f"sc_upload_{state.get('upload_round', 0)}")
    if upload is not None:
        try:
            scenario = import_scenario(upload.getvalue(), filename=upload.name,
                                       extent=store.extent)
            if store.exists(scenario.name) and scenario.name != current.name:
                raise NahraumError(i18n.t("sc_exists", lang, name=scenario.name))
            store.save(scenario)
            state["scenario_active"] = scenario.name
            state["history"] = None
            state["upload_round"] = state.get("upload_round", 0) + 1
            state["ws_notice"] = i18n.t("sc_imported", lang, name=scenario.name)
            st.rerun()
        except NahraumError as exc:
            sb.error(panel.md_escape(i18n.t("sc_error", lang, error=str(exc))))
    if state.get("ws_notice"):
        sb.success(panel.md_escape(state.pop("ws_notice")))
    sb.caption(panel.md_escape(i18n.t("ws_token", lang, ws=ws)))


def scenario_file_stem(name: str) -> str:
    """An ASCII file name stem for downloads of a scenario."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")
    return f"szenario-{stem[:40] or 'nahraum'}"


def manage(store: ScenarioStore, action: str, current: str, new_name: str, lang: str,
           history: geoscenario.ScenarioHistory | None = None) -> None:
    """New, copy, rename or delete a scenario; the result becomes the active one."""
    state = st.session_state
    try:
        if action in ("new", "duplicate", "rename") and store.exists(new_name):
            raise NahraumError(i18n.t("sc_exists", lang, name=new_name))
        if action == "new":
            store.open(new_name)
            state["scenario_active"] = new_name
        elif action == "duplicate":
            store.duplicate(current, new_name)
            state["scenario_active"] = new_name
        elif action == "rename" and history is not None:
            history.rename(new_name)
            state["scenario_active"] = new_name
            state["history_key"] = (state["history_key"][0], state["history_key"][1], new_name)
        elif action == "delete":
            store.delete(current)
            rest = [n for n in store.names() if n != current]
            state["scenario_active"] = rest[0] if rest else i18n.t("sc_default", lang)
    except NahraumError as exc:
        report(exc)
    st.rerun()


def pins_editor(history: geoscenario.ScenarioHistory, lang: str) -> None:
    """List of the pins: change kind and text, or remove."""
    pins = history.current.pins
    with st.sidebar.expander(i18n.t("pins_heading", lang, n=len(pins))):
        if not pins:
            return
        ids = [p.id for p in pins]
        labels = {p.id: f"{i + 1}. {scenariolayers.pin_label(p.kind, lang)}: {p.text[:40]}"
                  for i, p in enumerate(pins)}
        pid = st.selectbox(i18n.t("pins_heading", lang, n=len(pins)), ids,
                           format_func=lambda i: labels[i], key="pin_pick",
                           label_visibility="collapsed")
        pin = history.current.pin(pid)
        kinds = list(settings.PIN_KINDS)
        kind = st.selectbox(i18n.t("pin_kind", lang), kinds, index=kinds.index(pin.kind),
                            key=f"pin_kind_{pid}",
                            format_func=lambda k: scenariolayers.pin_label(k, lang))
        text = st.text_area(i18n.t("pin_text", lang, n=settings.PIN_TEXT_MAX), pin.text,
                            max_chars=settings.PIN_TEXT_MAX, key=f"pin_text_{pid}")
        a, b = st.columns(2)
        a.button(i18n.t("pin_change", lang), key="pin_change", on_click=history_do,
                 args=(lambda: history.edit_pin(pid, kind=kind, text=text),))
        b.button(i18n.t("pin_delete", lang), key="pin_delete", on_click=history_do,
                 args=(history.remove_pin, pid))


def site_form(params: analysis.AnalysisParams, lang: str) -> None:
    """Defaults of new sites, outreach days and mobile stops."""
    with st.sidebar.expander(i18n.t("site_form", lang)):
        cats = list(settings.CATEGORIES)
        chosen = [k for k in params.kinds if k in settings.CATEGORIES]
        st.text_input(i18n.t("site_name", lang), key="site_name",
                      placeholder=i18n.t("site_default_name", lang))
        st.selectbox(i18n.t("site_category", lang), cats, key="site_category",
                     **initial("site_category", index=cats.index(chosen[0]) if chosen else 0),
                     format_func=lambda c: i18n.category_label(c, lang))
        st.text_input(i18n.t("site_sub", lang), key="site_sub")
        groups = list(settings.TARGET_GROUPS)
        st.multiselect(i18n.t("site_groups", lang), groups, key="site_groups",
                       **initial("site_groups", default=[params.target]),
                       format_func=lambda g: i18n.target_label(g, lang))
        st.number_input(i18n.t("site_capacity", lang), min_value=0.0, step=1.0,
                        key="site_capacity", **initial("site_capacity", value=0.0))
        st.number_input(i18n.t("outreach_hours", lang), min_value=0.5,
                        max_value=settings.FULL_TIME_HOURS, step=0.5, key="site_hours",
                        **initial("site_hours", value=8.0))
        st.multiselect(i18n.t("outreach_days", lang), list(settings.WEEKDAYS), key="site_days",
                       format_func=lambda d: settings.WEEKDAYS[d] if lang == "de" else d)


def suggestions(region: georegion.Region, params: analysis.AnalysisParams, networks: dict,
                history: geoscenario.ScenarioHistory, cmp: geocompare.Comparison | None,
                lang: str) -> None:
    """Suggested sites (greedy at once, then exact with its difference), one-click adoption."""
    state = st.session_state
    with st.sidebar.expander(i18n.t("sug_heading", lang)):
        k = st.slider(i18n.t("sug_k", lang), 1, settings.MCLP_MAX_K, 3, key="sug_k")
        cand = st.radio(i18n.t("sug_candidates", lang), CANDIDATES, key="sug_cand",
                        horizontal=True, format_func=lambda c: i18n.t(f"cand_{c}", lang))
        weights = need_weighting(region, lang)
        unit = i18n.unit_label(params.target, lang)
        services = cmp.services if cmp is not None else None
        key = (params, k, cand, scenario_digest(history.current), json.dumps(weights,
                                                                               sort_keys=True))
        if st.button(i18n.t("sug_run", lang), key="sug_run", type="primary"):
            live = st.empty()
            try:
                quick = suggest(region, params, k, cand, need_weights=weights,
                                networks=networks, services=services, run_exact=False)
                with live.container():  # the quick answer at once, while CBC works
                    st.markdown(i18n.t("sug_greedy", lang,
                                       people=i18n.count(quick.people["greedy"], lang),
                                       unit=unit))
                    suggestion_table(quick, "greedy", lang)
                    with st.spinner(i18n.t("sug_exact_wait", lang,
                                           s=int(settings.MCLP_TIME_LIMIT_S))):
                        full = suggest(region, params, k, cand, need_weights=weights,
                                       networks=networks, services=services,
                                       time_limit_s=settings.MCLP_TIME_LIMIT_S)
                state["suggestion"] = (key, full)
            except NahraumError as exc:
                st.error(panel.md_escape(str(exc)))
            live.empty()
        stored = state.get("suggestion")
        if not stored or stored[0] != key:
            return
        s = stored[1]
        st.markdown(i18n.t("sug_greedy", lang, people=i18n.count(s.people["greedy"], lang),
                           unit=unit))
        suggestion_table(s, "greedy", lang)
        if s.exact is None:
            st.caption(i18n.t("sug_exact_none", lang, s=int(settings.MCLP_TIME_LIMIT_S)))
        else:
            suggestion_table(s, "exact", lang)
            st.markdown(i18n.t("sug_exact", lang, people=i18n.count(s.people["exact"], lang),
                               unit=unit))
            diff = s.difference
            if diff.get("same_sites"):
                st.caption(i18n.t("sug_same", lang))
            else:
                st.caption(panel.md_escape(i18n.t(
                    "sug_diff", lang, people=i18n.count(diff.get("people") or 0, lang),
                    unit=unit, only_exact=", ".join(diff.get("only_exact") or []) or "–",
                    only_greedy=", ".join(diff.get("only_greedy") or []) or "–")))
        d = site_defaults(params)
        kind = ({} if params.kinds else
                {"category": d["category"], "subcategory": d["subcategory"] or None})
        st.button(i18n.t("sug_apply", lang), key="sug_apply", on_click=history_do,
                  args=(lambda: history.do(history.current.with_changes(s.to_changes(
                      services=region.services, capacity=d["capacity"],
                      target_groups=d["target_groups"], **kind))),), type="primary")


def suggestion_table(s: Any, which: str, lang: str) -> None:
    """The suggested sites in rank order with each one's marginal gain."""
    sites = s.sites(which)
    st.dataframe({i18n.t("sug_col_rank", lang): list(sites["rank"]),
                  i18n.t("sug_col_name", lang): list(sites["name"]),
                  i18n.t("sug_col_gem", lang): list(sites["gemeinde"]),
                  i18n.t("sug_col_gain", lang): [round(float(v)) for v in sites["gain_people"]]},
                 hide_index=True)


def need_weighting(region: georegion.Region, lang: str) -> dict | None:
    """Optional need weights from an uploaded indicator table (per Gemeinde)."""
    state = st.session_state
    upload = st.file_uploader(i18n.t("sug_upload", lang), type=["csv", "xlsx"], key="sug_ind")
    if upload is None:
        return None
    cache = state.get("indicator_table")
    if not cache or cache[0] != upload.file_id:
        try:
            table = geoindicators.import_indicators(upload.getvalue(), region.gemeinden,
                                                    filename=upload.name)
        except NahraumError as exc:
            st.error(panel.md_escape(str(exc)))
            return None
        state["indicator_table"] = cache = (upload.file_id, table)
    table = cache[1]
    options = ["", *table.indicators]
    ind = st.selectbox(i18n.t("sug_indicator", lang), options, key="sug_indicator",
                       format_func=lambda o: o or i18n.t("sug_no_weight", lang))
    if not ind:
        return None
    try:
        return dict(geoindicators.need_weights(table, ind, region.gemeinden))
    except NahraumError as exc:
        st.error(panel.md_escape(str(exc)))
        return None


def record_button(region: georegion.Region, params: analysis.AnalysisParams, networks: dict,
                  history: geoscenario.ScenarioHistory, base: analysis.AnalysisResult,
                  lang: str, box: Any) -> None:
    """One button: the session record (ZIP) of the active scenario."""
    scenario = history.current
    box.download_button(
        i18n.t("record_button", lang),
        lambda: session_record(region, params, scenario, networks, base_result=base),
        file_name=f"sitzungsprotokoll-{scenario_file_stem(scenario.name)}.zip",
        mime="application/zip", on_click="ignore", key="record", help=i18n.t("record_help", lang),
        icon=":material/folder_zip:")


def workshop_switch(lang: str, box: Any) -> None:
    """The one switch between the planning page and the projector view."""
    box.toggle(i18n.t("ws_view", lang), key="workshop", help=i18n.t("ws_view_help", lang))


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
                       f"{gaps.model_text(shown, lang)}")

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
    gemeinde_table(name, content_hash, params, shown, lang, variant)
    method(shown, info, options.online_tiles, data.roads is not None, lang)


main()
