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

import os
from typing import Any

import streamlit as st
from streamlit_folium import st_folium

from geo import analysis, isochrones, settings
from geo import region as georegion
from geo._errors import NahraumError
from layers import boundaries, catchment, cells, gaps, i18n, panel, tables
from layers import map as maplayers
from layers._assets import ensure_assets
from layers._html import parse_ref

DEFAULT_REGION = os.environ.get("NAHRAUM_REGION") or "default"
MAP_KEY = "karte"
MAP_HEIGHT_PX = 620
RETURNED = ["last_object_clicked", "last_object_clicked_tooltip"]
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
                        _result: analysis.AnalysisResult) -> gaps.MeasureOverlay:
    """The classed measure raster with legend (``_result``: the result of ``params``)."""
    return gaps.measure_overlay(_result, get_cell_grid(name, content_hash), measure, lang)


@st.cache_data(show_spinner=False, max_entries=64)
def get_services_geojson(name: str, content_hash: str, params: analysis.AnalysisParams,
                         lang: str, _result: analysis.AnalysisResult) -> dict:
    """The selected services as display GeoJSON."""
    return gaps.selected_services(get_region(name).services, _result, lang)


@st.cache_data(show_spinner=False, max_entries=128)
def get_choropleth(name: str, content_hash: str, params: analysis.AnalysisParams,
                   indicator: str, lang: str,
                   _result: analysis.AnalysisResult) -> tuple[str, boundaries.Choropleth]:
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
                     lang: str, _result: analysis.AnalysisResult
                     ) -> tuple[Any, list[str], dict[str, int]]:
    """The sortable Gemeinde table (numbers numeric, small counts missing)."""
    df, suppressed = tables.screen_table(_result, lang)
    return df, suppressed, tables.decimals_of(_result, lang)


@st.cache_data(show_spinner=False, max_entries=64)
def get_csv(name: str, content_hash: str, params: analysis.AnalysisParams, style: str,
            lang: str, _result: analysis.AnalysisResult) -> bytes:
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


def analysis_controls(lang: str, region: georegion.Region, name: str,
                      networks: dict) -> tuple[analysis.AnalysisParams, str, str]:
    """Services, target group, mode, threshold, measure, indicator."""
    sb = st.sidebar
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
    mode = sb.selectbox(i18n.t("mode", lang), modes, key=key,
                        **initial(key, index=modes.index(settings.DEFAULT_MODE)),
                        format_func=lambda m: i18n.mode_label(m, lang))
    sb.caption(i18n.t("model_network" if networks.get(mode) is not None else "model_fallback",
                      lang))
    defaults = ", ".join(f"{i18n.mode_label(m, lang)} {md.default_threshold_min} min"
                         for m, md in settings.MODES.items())
    key = f"threshold_{mode}"
    threshold = sb.slider(i18n.t("threshold", lang), min_value=5, max_value=60, step=5,
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
def update_selection(name: str) -> dict | None:
    """The current selection, updated from the map's last reported click.

    ``st_folium`` stores the map's value in ``st.session_state[MAP_KEY]`` before the
    rerun, so the clicked object can be drawn in this very run.
    """
    state = st.session_state
    if state.get("selection_region") != name:
        state["selection_region"] = name
        state["selection"] = None
        state["click_seen"] = state.get(MAP_KEY)
    value = state.get(MAP_KEY)
    if value and value != state.get("click_seen"):
        state["click_seen"] = value
        ref = parse_ref(value.get("last_object_clicked_tooltip"))
        point = value.get("last_object_clicked") or {}
        if ref is not None:
            state["selection"] = {"kind": ref[0], "key": ref[1], "lat": point.get("lat"),
                                  "lng": point.get("lng")}
    return state.get("selection")


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
                   result: analysis.AnalysisResult, lang: str) -> None:
    """Sortable table per Gemeinde and downloads (CSV German/international, XLSX)."""
    st.subheader(i18n.t("table_heading", lang), anchor=False)
    df, suppressed, decimals = get_screen_table(name, content_hash, params, lang, result)
    st.caption(i18n.t("table_caption", lang, model=gaps.model_text(result, lang)))
    st.dataframe(tables.styled(df, suppressed, decimals, lang), hide_index=True,
                 key="table", height=380)
    stem = i18n.t("file_stem", lang)
    c1, c2, c3 = st.columns(3)
    c1.download_button(i18n.t("download_csv_de", lang),
                       get_csv(name, content_hash, params, "de", lang, result),
                       file_name=f"{stem}.csv", mime="text/csv", on_click="ignore",
                       key="download_csv_de", icon=":material/download:")
    c2.download_button(i18n.t("download_csv_en", lang),
                       get_csv(name, content_hash, params, "en", lang, result),
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


def main() -> None:
    """Render the page."""
    st.set_page_config(page_title=i18n.t("page_title", i18n.lang_of(st.session_state.get("lang"))),
                       layout="wide", initial_sidebar_state="expanded")
    st.markdown(PAGE_CSS, unsafe_allow_html=True)
    lang, name = sidebar()
    try:
        prepare_assets()
        region = get_region(name)
        content_hash = str(region.meta.get("content_hash", ""))
        networks = get_networks(name, content_hash)
        params, measure, indicator = analysis_controls(lang, region, name, networks)
        options = layer_options(lang)
        result = get_result(name, content_hash, params)
        info = get_info(name, content_hash)
        data = get_map_data(name, content_hash, lang)
    except NahraumError as exc:
        st.error(i18n.t("error_region", lang, error=str(exc)))
        st.stop()

    selection = update_selection(name)
    extra, blocks = selection_overlay(selection, region, name, content_hash, result, lang)
    overlays = gaps.overlays(
        get_measure_overlay(name, content_hash, params, measure, lang, result),
        get_services_geojson(name, content_hash, params, lang, result), result, lang,
        choropleth=(get_choropleth(name, content_hash, params, indicator, lang, result)
                    if indicator != "none" else None),
        **extra)

    st.subheader(i18n.t("heading", lang, region=region.label), anchor=False)
    key_figures(result, lang)
    st.caption(f"{i18n.t('kf_services', lang, n=result.totals['services'])} · "
               f"{i18n.target_label(params.target, lang)} · "
               f"{i18n.mode_label(params.mode, lang)} · {i18n.t('model', lang)}: "
               f"{gaps.model_text(result, lang)}")

    base = maplayers.build_base_map(data, options, lang)
    groups = maplayers.overlay_groups(overlays, maplayers.static_sections(data, options, lang),
                                      lang)
    map_col, panel_col = st.columns([3.2, 1])
    with map_col:
        # render=False: st_folium renders the map's elements once itself (same output).
        st_folium(base, key=MAP_KEY, height=MAP_HEIGHT_PX, use_container_width=True,
                  returned_objects=RETURNED, feature_group_to_add=groups,
                  layer_control=maplayers.layer_control(), render=False)
    with panel_col:
        selection_panel(blocks, lang)

    gemeinde_table(name, content_hash, params, result, lang)
    method(result, info, options.online_tiles, data.roads is not None, lang)


main()
