"""Sidebar: title, language, region, analysis controls, map layers, view switch."""

from __future__ import annotations

from typing import Any

import streamlit as st

from geo import analysis, settings
from geo import region as georegion
from layers import boundaries, panel
from layers import map as maplayers
from present import describe, i18n
from present.classes import MAP_MEASURES
from ui.state import (
    DEFAULT_REGION,
    carry_over_language,
    get_region_choices,
    get_service_counts,
    initial,
    lkey,
)

#: One threshold slider for every mode. Each mode keeps its own choice in a plain session
#: key; a mode change puts that choice into the slider before it is drawn
#: (:func:`_threshold_of_mode`). One slider key per mode showed, after switching back, the
#: last value of another mode while the analysis used the mode's own (Streamlit redraws
#: the reappearing widget with stale browser state).
THRESHOLD_KEY = "threshold"
THRESHOLD_SAVED = "threshold_saved_"


def _mode_threshold(mode: str) -> int:
    """The mode's threshold: the planner's last choice, else the choice nearest the
    mode's default."""
    choices = list(settings.THRESHOLD_CHOICES_MIN)
    default = (
        settings.TRAVEL_MODES[mode].default_threshold_min
        if mode in settings.TRAVEL_MODES
        else choices[0]
    )
    wanted = int(st.session_state.get(f"{THRESHOLD_SAVED}{mode}", default))
    return min(choices, key=lambda c: abs(c - wanted))


def _threshold_of_mode(mode_key: str) -> None:
    """Mode changed (callback): the slider shows the new mode's threshold."""
    mode = st.session_state.get(mode_key)
    if mode is not None:
        st.session_state[THRESHOLD_KEY] = _mode_threshold(str(mode))


def sidebar() -> tuple[str, str]:
    """Title, language switch and region; returns the language and the region name."""
    st.sidebar.title("Nahraum")
    choice = st.sidebar.segmented_control(
        "Sprache / Language",
        list(i18n.LANGS),
        default=i18n.DEFAULT_LANG,
        key="lang",
        format_func=lambda c: i18n.LANG_NAMES[c],
        label_visibility="collapsed",
    )
    lang = i18n.lang_of(choice)
    carry_over_language(lang)
    st.sidebar.caption(i18n.t("app_subtitle", lang))
    choices = get_region_choices()
    names = list(choices) or [DEFAULT_REGION]
    if DEFAULT_REGION not in names:
        names.insert(0, DEFAULT_REGION)
    name = st.sidebar.selectbox(
        i18n.t("region", lang),
        names,
        index=names.index(DEFAULT_REGION),
        format_func=lambda n: choices.get(n, n),
        key="region",
    )
    return lang, name


def analysis_controls(
    lang: str, region: georegion.Region, name: str, networks: dict, box: Any = None
) -> tuple[analysis.AnalysisParams, str, str]:
    """Services, target group, mode, threshold, measure, indicator.

    ``box``: container for mode and threshold (workshop view: next to the map).
    """
    sb = st.sidebar
    near = box if box is not None else sb
    sb.subheader(i18n.t("services_heading", lang), anchor=False)
    content_hash = str(region.meta.get("content_hash", ""))
    counts, _ = get_service_counts(name, content_hash, (), region.services)
    categories = sb.multiselect(
        i18n.t("categories", lang),
        list(counts),
        key=lkey(f"categories_{name}", lang),
        format_func=lambda c: f"{i18n.category_label(c, lang)} ({counts.get(c, 0)})",
        placeholder=i18n.t("all_services", lang),
        help=i18n.t("categories_help", lang),
        select_all=False,
    )
    # harmonised names ("Familienzentrum"), each standing for its raw subcategories
    _, sub_counts = get_service_counts(name, content_hash, tuple(categories), region.services)
    groups = describe.subcategory_groups(sub_counts)
    chosen = sb.multiselect(
        i18n.t("subcategories", lang),
        list(groups),
        key=f"subcategories_{name}_{'|'.join(categories)}",
        format_func=lambda s: f"{s} ({groups[s][0]})",
        placeholder=i18n.t("all_services", lang),
        help=i18n.t("subcategories_help", lang),
        select_all=False,
    )
    subcategories = [raw for g in chosen for raw in groups[g][1]]

    targets = panel.target_options()
    key = lkey("target", lang)
    target = sb.selectbox(
        i18n.t("target", lang),
        targets,
        key=key,
        **initial(key, index=targets.index(settings.DEFAULT_TARGET_GROUP)),
        format_func=lambda c: panel.target_option_label(c, lang),
        help=i18n.t("target_help", lang),
    )
    if note := i18n.quality_note(target, lang):
        sb.caption(note)
    modes = [
        *settings.MODES,
        *[m for m in settings.TRAVEL_MODES if m in networks and m not in settings.MODES],
    ]
    key = lkey("mode", lang)
    mode = near.selectbox(
        i18n.t("mode", lang),
        modes,
        key=key,
        **initial(key, index=modes.index(settings.DEFAULT_MODE)),
        format_func=lambda m: i18n.mode_label(m, lang),
        on_change=_threshold_of_mode,
        args=(key,),
    )
    if settings.TRANSIT_MODE.code not in networks:
        near.caption(i18n.t("tr_no_feed", lang))
    if box is None and mode in settings.MODES:
        sb.caption(
            i18n.t("model_network" if networks.get(mode) is not None else "model_fallback", lang)
        )
    defaults = ", ".join(
        f"{i18n.mode_label(m, lang)} {md.default_threshold_min} min"
        for m, md in settings.MODES.items()
    )
    key = THRESHOLD_KEY
    threshold = near.select_slider(
        i18n.t("threshold", lang),
        options=list(settings.THRESHOLD_CHOICES_MIN),
        key=key,
        **initial(key, value=_mode_threshold(mode)),
        format_func=lambda m: f"{m} min",
        help=i18n.t("threshold_help", lang, defaults=defaults),
    )
    st.session_state[f"{THRESHOLD_SAVED}{mode}"] = int(threshold)
    measures = list(MAP_MEASURES)
    key = lkey("measure", lang)
    measure = sb.selectbox(
        i18n.t("measure", lang),
        measures,
        key=key,
        **initial(key, index=measures.index(settings.DEFAULT_MEASURE)),
        format_func=lambda m: i18n.measure_label(m, lang),
    )
    indicators = ["none", *boundaries.INDICATORS]
    indicator = sb.selectbox(
        i18n.t("indicator", lang),
        indicators,
        key=lkey("indicator", lang),
        format_func=lambda k: (
            i18n.t("ind_none", lang) if k == "none" else boundaries.indicator_label(k, None, lang)
        ),
    )
    params = analysis.AnalysisParams(
        kinds=panel.kinds(categories, subcategories),
        target=target,
        mode=mode,
        threshold_min=float(threshold),
        measure=measure if measure in settings.MEASURES else settings.DEFAULT_MEASURE,
    )
    return params, measure, indicator


def layer_options(lang: str) -> maplayers.MapOptions:
    """Base-map layers that change the static map (rarely used)."""
    with st.sidebar.expander(i18n.t("map_layers", lang)):
        stops = st.checkbox(i18n.t("layer_stops", lang), value=False, key="layer_stops")
        online = st.checkbox(
            i18n.t("online_tiles", lang),
            value=False,
            key="online_tiles",
            help=i18n.t("online_tiles_help", lang),
        )
    if online:
        st.sidebar.warning(i18n.t("online_tiles_on", lang))
    return maplayers.MapOptions(stops=stops, online_tiles=online)


def workshop_switch(lang: str, box: Any) -> None:
    """The one switch between the planning page and the projector view."""
    box.toggle(i18n.t("ws_view", lang), key="workshop", help=i18n.t("ws_view_help", lang))
