"""Results: key figures, selection panel and overlay, Gemeinde table with downloads,
method notes.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from geo import analysis
from geo import region as georegion
from layers import map as maplayers
from layers import panel
from present import describe, i18n
from report.files import XLSX_MIME
from ui import _styler, keys
from ui.exports import xlsx_bytes
from ui.state import get_catchment, get_csv, get_styled_table, lazy_expander

_styler.install()  # the kept Gemeinde table's display values are converted once


def clear_selection() -> None:
    """Button callback: forget the selection (the map keeps its last click)."""
    st.session_state["selection"] = None


def key_figures(result: analysis.AnalysisResult, lang: str) -> None:
    """Beyond the threshold, share served, mean time, worst Gemeinden."""
    figures = panel.key_figures(result, lang)
    cols = st.columns([1, 1, 1, 1.6])
    for col, fig in zip(cols[:3], figures[:3], strict=True):
        col.metric(fig.label, fig.value, help=fig.help)
    cols[3].markdown(
        panel.worst_html(figures[3], panel.worst_gemeinden(result.gemeinden), lang),
        unsafe_allow_html=True,
    )


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


def gemeinde_table(
    name: str,
    content_hash: str,
    params: analysis.AnalysisParams,
    result: analysis.AnalysisResult,
    lang: str,
    variant: str = "",
    planning: Any = None,
) -> None:
    """Sortable table per Gemeinde and downloads (CSV German/international, XLSX; the
    XLSX has the planning regions' sheets when ``planning`` is given)."""
    st.subheader(i18n.t("table_heading", lang), anchor=False)
    styled = get_styled_table(name, content_hash, params, lang, result, variant)
    st.caption(i18n.t("table_caption", lang, model=describe.model_text(result, lang)))
    st.dataframe(styled, hide_index=True, key="table", height=380)
    stem = i18n.t("file_stem", lang)
    c1, c2, c3 = st.columns(3)
    c1.download_button(
        i18n.t("download_csv_de", lang),
        lambda: get_csv(name, content_hash, params, "de", lang, result, variant),
        file_name=f"{stem}.csv",
        mime="text/csv",
        on_click="ignore",
        key="download_csv_de",
        icon=":material/download:",
    )
    c2.download_button(
        i18n.t("download_csv_en", lang),
        lambda: get_csv(name, content_hash, params, "en", lang, result, variant),
        file_name=f"{stem}_international.csv",
        mime="text/csv",
        on_click="ignore",
        key="download_csv_en",
        icon=":material/download:",
    )
    c3.download_button(
        i18n.t("download_xlsx", lang),
        lambda: xlsx_bytes(result, lang, planning),
        file_name=f"{stem}.xlsx",
        mime=XLSX_MIME,
        on_click="ignore",
        key="download_xlsx",
        icon=":material/table_view:",
    )


def method(
    result: analysis.AnalysisResult, info: dict, online_tiles: bool, roads: bool, lang: str
) -> None:
    """Parameters, formulas, notes, data sources, unresolved services (traceability)."""
    meta = result.metadata
    box = lazy_expander(i18n.t("method_heading", lang), keys.METHOD_SECTION)
    if not box.open:
        return
    with box:
        st.markdown(f"**{i18n.t('model', lang)}:** {describe.model_text(result, lang)}")
        st.markdown(f"**{i18n.t('m_params', lang)}**")
        st.json(meta.get("params", {}), expanded=False)
        st.markdown(f"**{i18n.t('m_formulas', lang)}**")
        for key, formula in describe.result_formulas(result, lang).items():
            st.markdown(f"- `{key}`: {panel.md_escape(formula)}")
        if meta.get("notes"):
            st.markdown(f"**{i18n.t('m_notes', lang)}**")
            for note in describe.notes_text(meta["notes"], lang):
                st.markdown(f"- {panel.md_escape(note)}")
        st.markdown(f"**{i18n.t('m_sources', lang)}**")
        for line in maplayers.attribution_lines(online_tiles, roads):
            st.markdown(f"- {panel.md_escape(line)}")
        st.caption(
            i18n.t(
                "m_built",
                lang,
                built=info.get("built_at", "–"),
                hash=str(info.get("content_hash", ""))[:12],
            )
        )
        unresolved = info["services"]["unresolved"]
        if unresolved:
            st.markdown(i18n.t("unresolved", lang, n=len(unresolved)))
            st.dataframe(
                [
                    {
                        i18n.t("col_id", lang): u.get("id"),
                        i18n.t("col_name", lang): u.get("name"),
                        i18n.t("col_town", lang): u.get("town"),
                        i18n.t("col_note", lang): u.get("geocode_note"),
                    }
                    for u in unresolved
                ],
                hide_index=True,
            )


def selection_overlay(
    selection: dict | None,
    region: georegion.Region,
    name: str,
    content_hash: str,
    result: analysis.AnalysisResult,
    lang: str,
) -> tuple[dict, list[tuple[panel.Details, str]]]:
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
            blocks.append(
                (
                    panel.Details(
                        "cell", i18n.t("panel_cell", lang), (("", i18n.t("panel_cell_none", lang)),)
                    ),
                    "",
                )
            )
    elif selection["kind"] == "svc":
        details = panel.service_details(region.services, result, selection["key"], lang)
        if details is not None:
            extra["selected_service"] = selection["key"]
            blocks.append((details, i18n.t("panel_service", lang)))
            xy = panel.service_xy(result, selection["key"])
            if xy is not None:
                p = result.params
                extra["catchment_geojson"] = get_catchment(
                    name, content_hash, p.mode, p.threshold_min, xy
                )
                extra["catchment_title"] = details.title
    return extra, blocks
