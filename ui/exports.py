"""Export expander below the Gemeinde table: report map, map as shown, GeoPackage,
planning regions.

Exports the view on screen: the current analysis parameters, and the active scenario's
result and sites when a scenario with changes is shown. Files are made only on a button
press; their bytes stay in the session state (keyed by what they show), so the download
button survives the rerun that the click causes.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

from geo import analysis
from geo import planning as geoplanning
from geo import region as georegion
from geo import scenario as geoscenario
from geo._errors import NahraumError
from layers import panel
from present import i18n
from present import tables as ptables
from report import export as geoexport
from ui import keys
from ui.basemap import report_orientation
from ui.state import lazy_expander, scenario_sites

UPLOAD_KEY = "export_planning_file"
PLANNING_STATE = "export_planning"  # {region name: (file id, PlanningRegions | None, error)}
FILES_STATE = "export_files"  # {kind: (signature, bytes, file name, mime)}
REPORT_FORMATS: dict[str, tuple[str, int]] = {
    "png150": ("png", 150),
    "png300": ("png", 300),
    "pdf": ("pdf", 150),
    "svg": ("svg", 150),
}
MIMES = {
    "png": "image/png",
    "pdf": "application/pdf",
    "svg": "image/svg+xml",
    "gpkg": "application/geopackage+sqlite3",
}
PAPERS = ("A4", "A3", "16:9")


def _file_id(upload: Any) -> str:
    data = upload.getvalue()
    return f"{upload.name}:{len(data)}:{hashlib.sha1(data).hexdigest()[:16]}"


def current_planning(region: georegion.Region, name: str) -> geoplanning.PlanningRegions | None:
    """The planning regions uploaded for this region (parsed once per file and region).

    Reads the uploader's value from the session state, so it can be called before the
    Gemeinde table (whose XLSX then includes them) and before the uploader is drawn.
    """
    state = st.session_state
    store: dict = state.setdefault(PLANNING_STATE, {})
    upload = state.get(UPLOAD_KEY)
    if upload is None:
        store.pop(name, None)
        return None
    fid = _file_id(upload)
    last = store.get(name)
    if last is None or last[0] != fid:
        try:
            plan = geoplanning.read_planning(upload.getvalue(), region, file_name=upload.name)
            last = (fid, plan, None)
        except NahraumError as exc:
            last = (fid, None, str(exc))
        except Exception as exc:
            last = (fid, None, f"{type(exc).__name__}: {exc}")
        store[name] = last
    return last[1]


def planning_error(name: str) -> str | None:
    """The German error of the last upload for this region, if it failed."""
    last = (st.session_state.get(PLANNING_STATE) or {}).get(name)
    return last[2] if last else None


def xlsx_bytes(
    result: analysis.AnalysisResult, lang: str, planning: geoplanning.PlanningRegions | None = None
) -> bytes:
    """The table as XLSX (``report.export.table_workbook``), with planning regions extra sheets."""
    return geoexport.table_workbook(result, planning, lang=lang)


def _signature(*parts: Any) -> str:
    return hashlib.sha1(repr(parts).encode("utf-8")).hexdigest()


def _made(kind: str, signature: str) -> tuple[bytes, str, str] | None:
    entry = (st.session_state.get(FILES_STATE) or {}).get(kind)
    if entry and entry[0] == signature:
        return entry[1], entry[2], entry[3]
    return None


def _keep(kind: str, signature: str, data: bytes, file_name: str, mime: str) -> None:
    st.session_state.setdefault(FILES_STATE, {})[kind] = (signature, data, file_name, mime)


def _error(key: str, lang: str, exc: Exception) -> None:
    st.error(i18n.t(key, lang, error=panel.md_escape(str(exc))))


def _download(kind: str, signature: str, label: str, lang: str) -> None:
    made = _made(kind, signature)
    if made is not None:
        data, file_name, mime = made
        st.download_button(
            label,
            data,
            file_name=file_name,
            mime=mime,
            on_click="ignore",
            key=f"export_{kind}_download",
            icon=":material/download:",
        )


def export_section(
    region: georegion.Region,
    name: str,
    params: analysis.AnalysisParams,
    result: analysis.AnalysisResult,
    scenario: geoscenario.Scenario | None,
    variant: str,
    folium_map: Callable[[], Any],
    lang: str,
) -> None:
    """The "Export" expander.

    Parameters
    ----------
    result : AnalysisResult
        The result shown (status quo, or the scenario's after-result).
    scenario : Scenario, optional
        The active scenario when its result is shown (its sites and pins are exported).
    variant : str
        Digest of the scenario's changes ("" for the status quo), part of the file keys.
    folium_map : callable
        Builds the complete folium map as shown (called only on a button press).
    """
    planning = current_planning(region, name)
    content_hash = str(region.meta.get("content_hash", ""))
    plan_id = (st.session_state.get(PLANNING_STATE) or {}).get(name, ("",))[0] if planning else ""
    pins_digest = ""
    sites = pins = None
    if scenario is not None:
        sites = scenario_sites(region, scenario)
        pins = geoscenario.pins_frame(scenario) if scenario.pins else None
        pins_digest = _signature([p.id for p in scenario.pins], [p.text for p in scenario.pins])
    base = (name, content_hash, params, variant, lang)
    box = lazy_expander(i18n.t("export_heading", lang), keys.EXPORT_SECTION)
    if not box.open:
        return
    with box:
        view = (
            i18n.t("export_view_scenario", lang, name=scenario.name)
            if scenario is not None
            else i18n.t("export_view_base", lang)
        )
        st.caption(i18n.t("export_view", lang, view=panel.md_escape(view)))

        st.markdown(f"**{i18n.t('export_report_heading', lang)}**")
        c1, c2 = st.columns(2)
        fmt_key = c1.selectbox(
            i18n.t("export_format", lang),
            list(REPORT_FORMATS),
            key="export_format",
            format_func=lambda f: i18n.t(f"export_fmt_{f}", lang),
        )
        paper = c2.selectbox(i18n.t("export_paper", lang), PAPERS, key="export_paper")
        fmt, dpi = REPORT_FORMATS[fmt_key]
        sig = _signature(*base, fmt_key, paper, plan_id)
        if st.button(
            i18n.t("export_report_make", lang), key="export_report_make", icon=":material/map:"
        ):
            try:
                with tempfile.TemporaryDirectory() as tmp, st.spinner():
                    path = geoexport.render_map(
                        region,
                        result,
                        Path(tmp) / f"karte.{fmt}",
                        fmt,
                        paper,
                        dpi,
                        scenario_name=scenario.name if scenario is not None else None,
                        sites=sites,
                        planning=planning,
                        orientation=report_orientation(name, content_hash),
                    )
                    stem = i18n.t("export_map_stem", lang)
                    suffix = paper.replace(":", "x")
                    _keep("report", sig, path.read_bytes(), f"{stem}_{suffix}.{fmt}", MIMES[fmt])
            except Exception as exc:
                _error("export_error", lang, exc)
        _download("report", sig, i18n.t("export_report_download", lang), lang)

        st.markdown(f"**{i18n.t('export_snapshot_heading', lang)}**")
        sig = _signature(*base, pins_digest, "snapshot")
        if st.button(
            i18n.t("export_snapshot_make", lang),
            key="export_snapshot_make",
            icon=":material/photo_camera:",
        ):
            from report import snapshot

            try:
                with st.spinner():
                    png = snapshot.map_png(folium_map(), 1600, 1000)
                _keep(
                    "snapshot",
                    sig,
                    png,
                    f"{i18n.t('export_map_stem', lang)}_ansicht.png",
                    MIMES["png"],
                )
            except Exception as exc:
                _error("export_snapshot_error", lang, exc)
        _download("snapshot", sig, i18n.t("export_snapshot_download", lang), lang)

        st.markdown(f"**{i18n.t('export_gpkg_heading', lang)}**")
        sig = _signature(*base, pins_digest, plan_id, "gpkg")
        if st.button(
            i18n.t("export_gpkg_make", lang), key="export_gpkg_make", icon=":material/layers:"
        ):
            try:
                with tempfile.TemporaryDirectory() as tmp, st.spinner():
                    path = geoexport.export_geopackage(
                        region,
                        result,
                        Path(tmp) / "nahraum.gpkg",
                        scenario_sites=sites,
                        pins=pins,
                        planning=planning,
                    )
                    _keep(
                        "gpkg",
                        sig,
                        path.read_bytes(),
                        f"{i18n.t('export_gpkg_stem', lang)}.gpkg",
                        MIMES["gpkg"],
                    )
            except Exception as exc:
                _error("export_error", lang, exc)
        _download("gpkg", sig, i18n.t("export_gpkg_download", lang), lang)

        st.markdown(f"**{i18n.t('export_planning_heading', lang)}**")
        st.file_uploader(
            i18n.t("export_planning_upload", lang),
            type=["csv", "xlsx", "geojson", "json", "gpkg"],
            key=UPLOAD_KEY,
            help=i18n.t("export_planning_help", lang),
        )
        error = planning_error(name)
        if error:
            st.error(i18n.t("export_planning_error", lang, error=panel.md_escape(error)))
        elif planning is not None:
            st.caption(
                i18n.t(
                    "export_planning_ok",
                    lang,
                    n=len(planning.names),
                    source=panel.md_escape(planning.source),
                )
            )
            for warning in planning.warnings:
                st.warning(panel.md_escape(warning))
            st.dataframe(
                ptables.planning_table(result, planning, lang),
                hide_index=True,
                key="export_planning_table",
            )
