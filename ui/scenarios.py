"""Scenario management in the sidebar: choose, new, copy, rename, delete, changes,
pins, defaults of new sites, export/import, session record.
"""

from __future__ import annotations

import json
import re
from typing import Any

import streamlit as st

from geo import analysis, settings
from geo import region as georegion
from geo import scenario as geoscenario
from geo._errors import NahraumError
from geo._scenario_io import geopackage_bytes, import_scenario, to_geojson
from geo.scenario_store import ScenarioStore
from layers import panel
from layers import scenario as scenariolayers
from present import describe, i18n
from report.record import session_pdf, session_record
from ui.participants import record_rows
from ui.state import history_do, initial, report


def scenario_sidebar(
    store: ScenarioStore,
    history: geoscenario.ScenarioHistory,
    region: georegion.Region,
    ws: str,
    lang: str,
) -> None:
    """Scenario management: choose, new, copy, rename, delete, changes, export, import."""
    sb = st.sidebar
    state = st.session_state
    sb.subheader(i18n.t("sc_heading", lang), anchor=False)
    current = history.current
    names = sorted(set(store.names()) | {current.name})
    pick = sb.selectbox(
        i18n.t("sc_active", lang),
        names,
        index=names.index(current.name),
        key=f"sc_pick_{current.name}",
    )
    if pick != current.name:
        state["scenario_active"] = pick
        st.rerun()
    new_name = sb.text_input(
        i18n.t("sc_name", lang), key="sc_name", max_chars=settings.SCENARIO_NAME_MAX
    ).strip()
    # two buttons a row: four in one row cut their words off in the sidebar
    row1, row2 = sb.columns(2), sb.columns(2)
    if row1[0].button(
        i18n.t("sc_new", lang), key="sc_new", disabled=not new_name, use_container_width=True
    ):
        manage(store, "new", current.name, new_name, lang)
    if row1[1].button(
        i18n.t("sc_duplicate", lang), key="sc_dup", disabled=not new_name, use_container_width=True
    ):
        manage(store, "duplicate", current.name, new_name, lang)
    if row2[0].button(
        i18n.t("sc_rename", lang), key="sc_rename", disabled=not new_name, use_container_width=True
    ):
        manage(store, "rename", current.name, new_name, lang, history)
    if row2[1].button(
        i18n.t("sc_delete", lang),
        key="sc_delete",
        disabled=len(names) < 2,
        use_container_width=True,
    ):
        manage(store, "delete", current.name, "", lang)
    with sb.expander(i18n.t("sc_changes", lang, n=len(current.changes))):
        for change in current.changes:
            a, b = st.columns([3, 1])
            a.markdown(panel.md_escape(describe.change_text(change, lang)))
            b.button(
                i18n.t("sc_remove", lang),
                key=f"rm_{change.id}",
                on_click=history_do,
                args=(history.remove, change.id),
            )
    pins_editor(history, lang)
    c1, c2 = sb.columns(2)
    stem = scenario_file_stem(current.name)
    c1.download_button(
        i18n.t("sc_export_geojson", lang),
        json.dumps(to_geojson(current, region.services), ensure_ascii=False),
        file_name=f"{stem}.geojson",
        mime="application/geo+json",
        on_click="ignore",
        key="sc_geojson",
        icon=":material/download:",
    )
    c2.download_button(
        i18n.t("sc_export_gpkg", lang),
        lambda: geopackage_bytes(current, region.services),
        file_name=f"{stem}.gpkg",
        mime="application/geopackage+sqlite3",
        on_click="ignore",
        key="sc_gpkg",
        icon=":material/download:",
    )
    upload = sb.file_uploader(
        i18n.t("sc_import", lang),
        type=["geojson", "json", "gpkg"],
        key=f"sc_upload_{state.get('upload_round', 0)}",
    )
    if upload is not None:
        try:
            scenario = import_scenario(upload.getvalue(), filename=upload.name, extent=store.extent)
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


def manage(
    store: ScenarioStore,
    action: str,
    current: str,
    new_name: str,
    lang: str,
    history: geoscenario.ScenarioHistory | None = None,
) -> None:
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
        labels = {
            p.id: f"{i + 1}. {scenariolayers.pin_label(p.kind, lang)}: {p.text[:40]}"
            for i, p in enumerate(pins)
        }
        pid = st.selectbox(
            i18n.t("pins_heading", lang, n=len(pins)),
            ids,
            format_func=lambda i: labels[i],
            key="pin_pick",
            label_visibility="collapsed",
        )
        pin = history.current.pin(pid)
        kinds = list(settings.PIN_KINDS)
        kind = st.selectbox(
            i18n.t("pin_kind", lang),
            kinds,
            index=kinds.index(pin.kind),
            key=f"pin_kind_{pid}",
            format_func=lambda k: scenariolayers.pin_label(k, lang),
        )
        text = st.text_area(
            i18n.t("pin_text", lang, n=settings.PIN_TEXT_MAX),
            pin.text,
            max_chars=settings.PIN_TEXT_MAX,
            key=f"pin_text_{pid}",
        )
        a, b = st.columns(2)
        a.button(
            i18n.t("pin_change", lang),
            key="pin_change",
            on_click=history_do,
            args=(lambda: history.edit_pin(pid, kind=kind, text=text),),
        )
        b.button(
            i18n.t("pin_delete", lang),
            key="pin_delete",
            on_click=history_do,
            args=(history.remove_pin, pid),
        )


def site_form(params: analysis.AnalysisParams, lang: str) -> None:
    """Defaults of new sites, outreach days and mobile stops."""
    with st.sidebar.expander(i18n.t("site_form", lang)):
        cats = list(settings.CATEGORIES)
        chosen = [k for k in params.kinds if k in settings.CATEGORIES]
        st.text_input(
            i18n.t("site_name", lang),
            key="site_name",
            placeholder=i18n.t("site_default_name", lang),
        )
        st.selectbox(
            i18n.t("site_category", lang),
            cats,
            key="site_category",
            **initial("site_category", index=cats.index(chosen[0]) if chosen else 0),
            format_func=lambda c: i18n.category_label(c, lang),
        )
        st.text_input(i18n.t("site_sub", lang), key="site_sub")
        groups = list(settings.TARGET_GROUPS)
        st.multiselect(
            i18n.t("site_groups", lang),
            groups,
            key="site_groups",
            **initial("site_groups", default=[params.target]),
            format_func=lambda g: i18n.target_label(g, lang),
            select_all=False,
        )
        st.number_input(
            i18n.t("site_capacity", lang),
            min_value=0.0,
            step=1.0,
            key="site_capacity",
            **initial("site_capacity", value=0.0),
        )
        st.number_input(
            i18n.t("outreach_hours", lang),
            min_value=0.5,
            max_value=settings.FULL_TIME_HOURS,
            step=0.5,
            key="site_hours",
            **initial("site_hours", value=8.0),
        )
        st.multiselect(
            i18n.t("outreach_days", lang),
            list(settings.WEEKDAYS),
            key="site_days",
            format_func=lambda d: settings.WEEKDAYS[d] if lang == "de" else d,
            select_all=False,
        )


def record_button(
    region: georegion.Region,
    params: analysis.AnalysisParams,
    networks: dict,
    history: geoscenario.ScenarioHistory,
    base: analysis.AnalysisResult,
    lang: str,
    box: Any,
) -> None:
    """One button: the session record (ZIP) of the active scenario."""
    scenario = history.current
    box.download_button(
        i18n.t("record_button", lang),
        lambda: session_record(
            region, params, scenario, networks, base_result=base, participation=record_rows(region)
        ),
        file_name=f"sitzungsprotokoll-{scenario_file_stem(scenario.name)}.zip",
        mime="application/zip",
        on_click="ignore",
        key="record",
        help=i18n.t("record_help", lang),
        icon=":material/folder_zip:",
    )
    box.download_button(
        i18n.t("record_pdf_button", lang),
        lambda: session_pdf(
            region,
            params,
            scenario,
            networks,
            base_result=base,
            lang=lang,
            participation=record_rows(region),
        ),
        file_name=f"sitzungsprotokoll-{scenario_file_stem(scenario.name)}.pdf",
        mime="application/pdf",
        on_click="ignore",
        key="record_pdf",
        help=i18n.t("record_pdf_help", lang),
        icon=":material/picture_as_pdf:",
    )
