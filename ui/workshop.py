"""Workshop: scenario history, map clicks (placing sites, pins, outreach days, mobile
stops), the comparison with the status quo and the panels next to the map.

A reload keeps the facilitator's state: the view (``?ansicht=workshop`` in the URL,
:func:`restore_view`), the undo/redo steps (``ScenarioStore.history``) and collected
mobile stops (a draft in the store). What happened is said in German: a damaged
scenario file that was set aside (when the workshop opens, after a reload too) and an
invalid or unknown workshop token (:func:`check_token`: a new workshop opens only after
the user has read why and asked for it).
"""

from __future__ import annotations

import html
import json
import secrets
from typing import Any

import streamlit as st

from geo import analysis, settings, transit_lever
from geo import compare as geocompare
from geo import region as georegion
from geo import scenario as geoscenario
from geo._errors import NahraumError
from geo.scenario_store import ScenarioStore, session_folder
from layers import panel
from layers import scenario as scenariolayers
from present import describe, i18n, numbers
from ui import keys
from ui.session import CLICK_MODES, Names, SiteDefaults, WorkshopSession
from ui.session import site_defaults as defaults_of
from ui.state import (
    WS_PARAM,
    WS_RE,
    history_do,
    initial,
    report,
    scenario_digest,
    scenario_sites,
)

VIEW_PARAM = "ansicht"  # query parameter of the layout: "workshop" or absent
VIEW_WORKSHOP = "workshop"
_DRAFT = "ws_draft_target"  # (store, scenario name) the mobile stops are drafted for


def restore_view() -> None:
    """The layout mode follows the URL on a session's first run, and the URL the mode."""
    state, params = st.session_state, st.query_params
    if keys.WS_VIEW_SEEN not in state:
        state[keys.WS_VIEW_SEEN] = True
        if params.get(VIEW_PARAM) == VIEW_WORKSHOP and keys.WORKSHOP not in state:
            state[keys.WORKSHOP] = True
    want = VIEW_WORKSHOP if state.get(keys.WORKSHOP) else None
    if params.get(VIEW_PARAM) != want:
        if want is None:
            del params[VIEW_PARAM]
        else:
            params[VIEW_PARAM] = want


@st.cache_resource(show_spinner=False)
def _opened_tokens() -> set[str]:
    """Workshop tokens handed out by this server process (known before their first save)."""
    return set()


def token_state(ws: str | None) -> str:
    """``"none"`` (no token), ``"invalid"``, ``"unknown"`` (nothing stored) or ``"known"``."""
    if ws is None:
        return "none"
    if not isinstance(ws, str) or not WS_RE.fullmatch(ws):
        return "invalid"
    if ws in _opened_tokens():
        return "known"
    root = session_folder(f"{ws}-x").parent
    return "known" if root.is_dir() and any(root.glob(f"{ws}-*")) else "unknown"


def _new_workshop() -> None:
    """Button callback: a new workshop token in the URL."""
    ws = secrets.token_hex(8)
    _opened_tokens().add(ws)
    st.query_params[WS_PARAM] = ws
    st.session_state[keys.WS_TOKEN_OK] = ws
    st.session_state[keys.WS_NOTICE] = None


def check_token(lang: str) -> None:
    """Before the workshop opens: an invalid or unknown token in the URL is explained and a
    new workshop opens only on the user's click (the page stops until then)."""
    state = st.session_state
    ws = st.query_params.get(WS_PARAM)
    if ws is not None and state.get(keys.WS_TOKEN_OK) == ws:
        return
    kind = token_state(ws)
    if kind == "none":
        _new_workshop()
        return
    if kind == "known":
        state[keys.WS_TOKEN_OK] = ws
        return
    shown = ws if len(str(ws)) <= 48 else str(ws)[:47] + "…"
    st.warning(panel.md_escape(i18n.t(f"ws_token_{kind}", lang, ws=shown)))
    st.button(i18n.t("ws_token_new", lang), key=keys.WS_NEW, on_click=_new_workshop, type="primary")
    st.stop()


def damaged_notice(store: ScenarioStore, lang: str, known: str | None = None) -> None:
    """Keep the damaged files set aside for the notice shown next to the map."""
    files = [f for f in store.damaged() if f != known]
    st.session_state[keys.WS_DAMAGED_SEEN] = files


def _hide_damaged() -> None:
    st.session_state[keys.WS_DAMAGED_SEEN] = []


def get_history(
    store: ScenarioStore, ws: str, name: str, params: analysis.AnalysisParams, lang: str
) -> geoscenario.ScenarioHistory:
    """The auto-saving history of the active scenario (opened once per session)."""
    state = st.session_state
    active = state.get("scenario_active")
    if active is None:
        infos = [i for i in store.list() if i.error is None]
        active = (
            max(infos, key=lambda i: i.modified or "").name if infos else i18n.t("sc_default", lang)
        )
        state["scenario_active"] = active
    key = (ws, name, active)
    if state.get("history_key") != key or state.get("history") is None:
        moved = None
        try:
            history = open_history(store, active, name, params)
        except NahraumError as exc:  # damaged file: moved aside, start afresh
            report(exc)
            moved = getattr(exc, "moved_to", None)
            history = open_history(store, active, name, params)
        if state.get(keys.HISTORY) is None:  # the workshop opens (first run or reload)
            damaged_notice(store, lang, moved)
        state[keys.HISTORY], state[keys.HISTORY_KEY] = history, key
        state[_DRAFT] = (store, active)
        session().reset()
        session().restore_stops(store.load_draft(active))
        state.pop(keys.SUGGESTION, None)
    return state["history"]


def open_history(
    store: ScenarioStore, active: str, name: str, params: analysis.AnalysisParams
) -> geoscenario.ScenarioHistory:
    """The stored scenario's history; a new one is written on its first change only
    (a mere visit leaves no file behind)."""
    if store.exists(active):
        return store.open(active)
    scenario = geoscenario.Scenario(name=active, region=name, params=params.to_dict())
    return store.history(scenario)


def _save_draft(stops: list[tuple[float, float]]) -> None:
    target = st.session_state.get(_DRAFT)
    if target is None:
        return
    try:
        target[0].save_draft(target[1], stops)
    except OSError as exc:
        report(NahraumError(i18n.t("ws_draft_error", "de", error=exc.strerror or str(exc))))


def session() -> WorkshopSession:
    """The workshop's click state machine on ``st.session_state`` (mobile stops drafted)."""
    return WorkshopSession(st.session_state, on_error=report, on_draft=_save_draft)


def site_defaults(params: analysis.AnalysisParams) -> SiteDefaults:
    """Kind, target groups, capacity, hours and weekdays of new sites (sidebar form)."""
    return defaults_of(st.session_state, params.kinds, params.target)


def names(lang: str) -> Names:
    """Base names of new sites, outreach days and mobile services in the UI language."""
    return Names(
        site=i18n.t("site_default_name", lang),
        outreach=i18n.t("outreach_name", lang),
        mobile=i18n.t("mobile_name", lang),
    )


def finish_mobile(
    history: geoscenario.ScenarioHistory, params: analysis.AnalysisParams, lang: str
) -> None:
    """Button callback: the collected stops become one mobile service."""
    session().finish_mobile(history, site_defaults(params), names(lang))


def save_site(
    history: geoscenario.ScenarioHistory, params: analysis.AnalysisParams, lang: str
) -> None:
    """Form callback: the pending click becomes a site with the form's name, kind, groups."""
    state = st.session_state
    session().save_site(
        history,
        site_defaults(params),
        names(lang),
        name=state.get(keys.SITE_FORM_NAME),
        category=state.get(keys.SITE_FORM_CATEGORY),
        subcategory=state.get(keys.SITE_FORM_SUB),
        target_groups=state.get(keys.SITE_FORM_GROUPS),
    )
    for key in (keys.SITE_FORM_NAME, keys.SITE_FORM_SUB, keys.SITE_FORM_CATEGORY):
        state.pop(key, None)
    state.pop(keys.SITE_FORM_GROUPS, None)


def site_form(
    history: geoscenario.ScenarioHistory, params: analysis.AnalysisParams, lang: str
) -> None:
    """The click panel's form of a pending site: name, kind, target groups (sidebar defaults)."""
    d = site_defaults(params)
    ws = session()
    cats = list(settings.CATEGORIES)
    groups = list(settings.TARGET_GROUPS)
    with st.form("site_form_click", border=True):
        st.markdown(f"**{i18n.t('site_form_click', lang)}**")
        st.text_input(
            i18n.t("site_name", lang),
            key=keys.SITE_FORM_NAME,
            **initial(keys.SITE_FORM_NAME, value=ws.site_name(history, names(lang))),
        )
        st.selectbox(
            i18n.t("site_category", lang),
            cats,
            key=keys.SITE_FORM_CATEGORY,
            index=cats.index(d.category) if d.category in cats else 0,
            format_func=lambda c: i18n.category_label(c, lang),
        )
        st.text_input(
            i18n.t("site_sub", lang),
            key=keys.SITE_FORM_SUB,
            **initial(keys.SITE_FORM_SUB, value=d.subcategory),
        )
        st.multiselect(
            i18n.t("site_groups", lang),
            groups,
            key=keys.SITE_FORM_GROUPS,
            default=[g for g in d.target_groups if g in groups],
            format_func=lambda g: i18n.target_label(g, lang),
        )
        a, b = st.columns(2)
        a.form_submit_button(
            i18n.t("site_form_save", lang),
            on_click=save_site,
            args=(history, params, lang),
            type="primary",
        )
        b.form_submit_button(i18n.t("pin_cancel", lang), on_click=cancel_pending)


def save_pin(history: geoscenario.ScenarioHistory) -> None:
    """Form callback: the pending click becomes a pin with kind and text."""
    state = st.session_state
    session().save_pin(history, state.get(keys.PIN_KIND_NEW), state.get(keys.PIN_TEXT_NEW))


def cancel_pending() -> None:
    """Forget a pending pin, move or the collected mobile stops."""
    session().cancel()


def read_map(
    name: str,
    history: geoscenario.ScenarioHistory | None,
    params: analysis.AnalysisParams,
    lang: str,
) -> dict | None:
    """The selection, updated from the map's last click; placing clicks change the scenario.

    ``st_folium`` stores the map's value in ``st.session_state[keys.MAP]`` before the
    rerun, so the clicked object (or the new site) is drawn in this very run.
    """
    return session().read_map(
        name, st.session_state.get(keys.MAP), history, site_defaults(params), names(lang)
    )


def get_comparison(
    region: georegion.Region,
    params: analysis.AnalysisParams,
    scenario: geoscenario.Scenario,
    networks: dict,
    base: analysis.AnalysisResult,
) -> tuple[geocompare.Comparison | None, analysis.AnalysisResult | None]:
    """Comparison and after-result of the scenario (incremental from the last one)."""
    if not scenario.changes:
        return None, None
    state = st.session_state
    digest = scenario_digest(scenario)
    # The status quo is fixed by region and parameters (st.cache_data hands out copies,
    # so the key is compared, not the object).
    after_networks = transit_lever.scenario_networks(networks, scenario)  # timetable changes
    key = (
        region.name,
        str(region.meta.get("content_hash", "")),
        params,
        _model_of(after_networks, params),
    )
    last = state.get("comparison")
    if last and last[0] == key and last[1] == digest:
        return last[2], last[3]
    previous = last[2] if last and last[0] == key else None
    cmp = geocompare.compare(
        region, params, scenario, networks, base_result=base, previous=previous
    )
    after = analysis.analyze(geocompare.with_services(region, cmp.services), params, after_networks)
    state["comparison"] = (key, digest, cmp, after)
    return cmp, after


def scenario_overlays(
    region: georegion.Region, scenario: geoscenario.Scenario, lang: str
) -> tuple[dict, dict]:
    """Display GeoJSON of the scenario's sites and pins (plus pending clicks)."""
    state = st.session_state
    sites = scenariolayers.sites_geojson(
        scenario_sites(region, scenario),
        lang,
        scenario.changes,
    )
    pending = list(state.get("mobile_stops") or [])
    if state.get("pending_pin"):
        pending.append(state["pending_pin"])
    pins = scenariolayers.pins_geojson(
        geoscenario.pins_frame(scenario) if scenario.pins else None, lang, pending
    )
    return sites, pins


def delta_panel(
    cmp: geocompare.Comparison | None,
    params: analysis.AnalysisParams,
    lang: str,
    workshop: bool = False,
) -> None:
    """People newly within reach (the answer to "what if …?")."""
    if cmp is None:
        st.caption(i18n.t("delta_none", lang))
        return
    t = cmp.totals
    st.metric(
        i18n.t("delta_label", lang),
        f"+{numbers.count(t['newly_within'], lang)}",
        help=i18n.t("delta_help", lang),
    )
    share = (
        f"{i18n.t('kf_share', lang)}: {numbers.percent(t['share_within_before'], lang)} → "
        f"{numbers.percent(t['share_within_after'], lang)}"
    )
    text = describe.comparison_headline(cmp, lang) if not workshop else share
    st.markdown(f'<div class="nahraum-headline">{html.escape(text)}</div>', unsafe_allow_html=True)


def scenario_tools(
    history: geoscenario.ScenarioHistory, params: analysis.AnalysisParams, lang: str
) -> None:
    """Undo/redo, click mode, pending pin form, mobile builder, move notice."""
    state = st.session_state
    c1, c2 = st.columns(2)
    c1.button(
        i18n.t("undo", lang),
        key="undo",
        on_click=history_do,
        args=(history.undo,),
        disabled=not history.can_undo,
        icon=":material/undo:",
        use_container_width=True,
    )
    c2.button(
        i18n.t("redo", lang),
        key="redo",
        on_click=history_do,
        args=(history.redo,),
        disabled=not history.can_redo,
        icon=":material/redo:",
        use_container_width=True,
    )
    st.radio(
        i18n.t("click_mode", lang),
        CLICK_MODES,
        key="click_mode",
        format_func=lambda m: i18n.t(f"click_{m}", lang),
    )
    if state.get("ws_error"):
        st.error(panel.md_escape(state.pop("ws_error")))
    damaged = state.get(keys.WS_DAMAGED_SEEN) or []
    if damaged:
        st.warning(
            panel.md_escape(i18n.tn("ws_damaged", len(damaged), lang, files=", ".join(damaged)))
        )
        st.button(i18n.t("ws_damaged_hide", lang), key="ws_damaged_hide", on_click=_hide_damaged)
    if state.get(keys.PENDING_SITE):
        site_form(history, params, lang)
    if (merged := state.pop(keys.WS_MERGE, None)) is not None:
        st.info(panel.md_escape(describe.merge_text(merged, lang)))
    if state.get("move_pending"):
        st.info(i18n.t("move_pending", lang))
        st.button(i18n.t("move_cancel", lang), key="move_cancel", on_click=cancel_pending)
    if state.get("pending_pin"):
        with st.form("pin_form", border=True):
            st.markdown(f"**{i18n.t('pin_form', lang)}**")
            st.selectbox(
                i18n.t("pin_kind", lang),
                list(settings.PIN_KINDS),
                key="pin_kind_new",
                format_func=lambda k: scenariolayers.pin_label(k, lang),
            )
            st.text_area(
                i18n.t("pin_text", lang, n=settings.PIN_TEXT_MAX),
                key="pin_text_new",
                max_chars=settings.PIN_TEXT_MAX,
                height=90,
            )
            a, b = st.columns(2)
            a.form_submit_button(
                i18n.t("pin_save", lang), on_click=save_pin, args=(history,), type="primary"
            )
            b.form_submit_button(i18n.t("pin_cancel", lang), on_click=cancel_pending)
    stops = state.get("mobile_stops") or []
    if stops:
        st.caption(i18n.tn("mobile_stops", len(stops), lang))
        st.button(
            i18n.t("mobile_done", lang),
            key="mobile_done",
            on_click=finish_mobile,
            args=(history, params, lang),
            type="primary",
        )
        st.button(i18n.t("mobile_cancel", lang), key="mobile_cancel", on_click=cancel_pending)


def service_actions(
    history: geoscenario.ScenarioHistory, selection: dict | None, lang: str
) -> None:
    """Close or move the selected service in the scenario."""
    if not selection or selection.get("kind") != "svc":
        return
    sid = selection["key"]
    if sid in {
        c.service_id for c in history.current.changes if isinstance(c, geoscenario.CloseSite)
    }:
        return
    # one button a row, full width: side by side they cut their labels off at 1280 px
    st.button(
        i18n.t("svc_close", lang),
        key=keys.SVC_CLOSE,
        on_click=history_do,
        args=(history.add, geoscenario.CloseSite(service_id=sid)),
        icon=":material/block:",
        use_container_width=True,
    )
    st.button(
        i18n.t("svc_move", lang),
        key=keys.SVC_MOVE,
        on_click=lambda: session().start_move(sid),
        help=i18n.t("svc_move_help", lang),
        icon=":material/open_with:",
        use_container_width=True,
    )


def _model_of(networks: dict, params: analysis.AnalysisParams) -> str:
    """What the travel model of ``params.mode`` is (a timetable's info; keys comparisons)."""
    info = getattr(networks.get(params.mode), "info", None)
    return json.dumps(info, sort_keys=True, default=str) if isinstance(info, dict) else ""


def relocate_groups(services: Any, lang: str) -> list:
    """The draggable marker of the service being located or moved (none otherwise).

    ``services``: the service list shown (after the scenario when one is active), EPSG:3035.
    Dropping the marker is a map click at its new position (``layers.relocate``).
    """
    from geo.network import to_lonlat
    from layers.relocate import relocate_layer

    state = st.session_state
    sid = state.get(keys.INV_LOCATE) or state.get(keys.MOVE_PENDING)
    if not sid or services is None or "id" not in services.columns:
        return []
    rows = services.loc[services["id"].astype(str) == str(sid)]
    if not len(rows) or rows.geometry.iloc[0] is None or rows.geometry.iloc[0].is_empty:
        return []
    point = rows.geometry.iloc[0]
    lon, lat = to_lonlat([point.x], [point.y])
    return [relocate_layer(float(lat[0]), float(lon[0]), str(rows["name"].iloc[0]), lang)]
