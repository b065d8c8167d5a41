"""Suggested sites (greedy, then exact) with optional need weighting; one-click adoption."""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from geo import analysis, settings
from geo import compare as geocompare
from geo import indicators as geoindicators
from geo import region as georegion
from geo import scenario as geoscenario
from geo._errors import NahraumError
from geo.optimize import suggest
from layers import panel
from present import describe, i18n, numbers
from ui.state import history_do, scenario_digest
from ui.workshop import site_defaults

CANDIDATES = ("villages", "cells", "both")


def suggestions(
    region: georegion.Region,
    params: analysis.AnalysisParams,
    networks: dict,
    history: geoscenario.ScenarioHistory,
    cmp: geocompare.Comparison | None,
    lang: str,
) -> None:
    """Suggested sites (greedy at once, then exact with its difference), one-click adoption."""
    state = st.session_state
    with st.sidebar.expander(i18n.t("sug_heading", lang)):
        k = st.slider(i18n.t("sug_k", lang), 1, settings.MCLP_MAX_K, 3, key="sug_k")
        cand = st.radio(
            i18n.t("sug_candidates", lang),
            CANDIDATES,
            key="sug_cand",
            horizontal=True,
            format_func=lambda c: i18n.t(f"cand_{c}", lang),
        )
        weights = need_weighting(region, lang)
        unit = i18n.unit_label(params.target, lang)
        services = cmp.services if cmp is not None else None
        key = (
            params,
            k,
            cand,
            scenario_digest(history.current),
            json.dumps(weights, sort_keys=True),
            str(getattr(networks.get(params.mode), "label", "")),
        )
        if st.button(i18n.t("sug_run", lang), key="sug_run", type="primary"):
            live = st.empty()
            try:
                quick = suggest(
                    region,
                    params,
                    k,
                    cand,
                    need_weights=weights,
                    networks=networks,
                    services=services,
                    run_exact=False,
                )
                with live.container():  # the quick answer at once, while CBC works
                    st.markdown(
                        i18n.t(
                            "sug_greedy",
                            lang,
                            people=numbers.count(quick.people["greedy"], lang),
                            unit=unit,
                        )
                    )
                    suggestion_table(quick, "greedy", lang)
                    with st.spinner(
                        i18n.t("sug_exact_wait", lang, s=int(settings.MCLP_TIME_LIMIT_S))
                    ):
                        full = suggest(
                            region,
                            params,
                            k,
                            cand,
                            need_weights=weights,
                            networks=networks,
                            services=services,
                            time_limit_s=settings.MCLP_TIME_LIMIT_S,
                        )
                state["suggestion"] = (key, full)
            except NahraumError as exc:
                st.error(panel.md_escape(str(exc)))
            live.empty()
        stored = state.get("suggestion")
        if not stored or stored[0] != key:
            return
        s = stored[1]
        st.markdown(
            i18n.t("sug_greedy", lang, people=numbers.count(s.people["greedy"], lang), unit=unit)
        )
        suggestion_table(s, "greedy", lang)
        if s.exact is None:
            st.caption(i18n.t("sug_exact_none", lang, s=int(settings.MCLP_TIME_LIMIT_S)))
        else:
            suggestion_table(s, "exact", lang)
            st.markdown(
                i18n.t("sug_exact", lang, people=numbers.count(s.people["exact"], lang), unit=unit)
            )
            diff = s.difference
            if diff.get("same_sites"):
                st.caption(i18n.t("sug_same", lang))
            else:
                st.caption(
                    panel.md_escape(
                        i18n.t(
                            "sug_diff",
                            lang,
                            people=numbers.count(diff.get("people") or 0, lang),
                            unit=unit,
                            only_exact=", ".join(diff.get("only_exact") or []) or "–",
                            only_greedy=", ".join(diff.get("only_greedy") or []) or "–",
                        )
                    )
                )
        d = site_defaults(params)
        kind = (
            {} if params.kinds else {"category": d.category, "subcategory": d.subcategory or None}
        )
        st.button(
            i18n.t("sug_apply", lang),
            key="sug_apply",
            on_click=history_do,
            args=(
                lambda: history.do(
                    history.current.with_changes(
                        s.to_changes(
                            services=region.services,
                            capacity=d.capacity,
                            target_groups=d.target_groups,
                            **kind,
                        )
                    )
                ),
            ),
            type="primary",
        )


def suggestion_table(s: Any, which: str, lang: str) -> None:
    """The suggested sites in rank order with each one's marginal gain."""
    sites = s.sites(which)
    st.dataframe(
        {
            i18n.t("sug_col_rank", lang): list(sites["rank"]),
            i18n.t("sug_col_name", lang): list(sites["name"]),
            i18n.t("sug_col_gem", lang): list(sites["gemeinde"]),
            i18n.t("sug_col_gain", lang): [round(float(v)) for v in sites["gain_people"]],
        },
        hide_index=True,
    )


def need_weighting(region: georegion.Region, lang: str) -> geoindicators.NeedWeights | None:
    """Optional need weights from an uploaded indicator table (per Gemeinde)."""
    state = st.session_state
    upload = st.file_uploader(i18n.t("sug_upload", lang), type=["csv", "xlsx"], key="sug_ind")
    if upload is None:
        return None
    cache = state.get("indicator_table")
    if not cache or cache[0] != upload.file_id:
        try:
            table = geoindicators.import_indicators(
                upload.getvalue(), region.gemeinden, filename=upload.name
            )
        except NahraumError as exc:
            st.error(panel.md_escape(str(exc)))
            return None
        state["indicator_table"] = cache = (upload.file_id, table)
    table = cache[1]
    options = ["", *table.indicators]
    ind = st.selectbox(
        i18n.t("sug_indicator", lang),
        options,
        key="sug_indicator",
        format_func=lambda o: o or i18n.t("sug_no_weight", lang),
    )
    if not ind:
        return None
    try:
        weights = geoindicators.need_weights(table, ind, region.gemeinden)
    except NahraumError as exc:
        st.error(panel.md_escape(str(exc)))
        return None
    lines = [describe.need_formula(weights.info(), lang), *describe.need_notes(weights, lang)]
    st.caption("  \n".join(panel.md_escape(line) for line in lines))
    return weights
