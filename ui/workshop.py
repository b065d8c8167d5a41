"""Workshop: scenario history, map clicks (placing sites, pins, outreach days, mobile
stops), the comparison with the status quo and the panels next to the map.
"""

from __future__ import annotations

import html

import streamlit as st

from geo import analysis, settings
from geo import compare as geocompare
from geo import region as georegion
from geo import scenario as geoscenario
from geo._errors import NahraumError
from geo.network import to_xy
from geo.scenario_store import ScenarioStore
from layers import panel
from layers import scenario as scenariolayers
from layers._html import parse_ref
from present import i18n, numbers
from ui.state import MAP_KEY, history_do, report, scenario_digest

CLICK_MODES = ("none", "site", "pin", "outreach", "mobile")


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
    sites = scenariolayers.sites_geojson(
        geoscenario.changes_frame(region.services, scenario) if scenario.changes else None, lang)
    pending = list(state.get("mobile_stops") or [])
    if state.get("pending_pin"):
        pending.append(state["pending_pin"])
    pins = scenariolayers.pins_geojson(
        geoscenario.pins_frame(scenario) if scenario.pins else None, lang, pending)
    return sites, pins


def delta_panel(cmp: geocompare.Comparison | None, params: analysis.AnalysisParams,
                lang: str, workshop: bool = False) -> None:
    """People newly within reach (the answer to "what if …?")."""
    if cmp is None:
        st.caption(i18n.t("delta_none", lang))
        return
    t = cmp.totals
    st.metric(i18n.t("delta_label", lang), f"+{numbers.count(t['newly_within'], lang)}",
              help=i18n.t("delta_help", lang))
    share = (f'{i18n.t("kf_share", lang)}: {numbers.percent(t["share_within_before"], lang)} → '
             f'{numbers.percent(t["share_within_after"], lang)}')
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
