"""An atlas folder (``nahraum atlas``) opened read-only in the app.

The sidebar takes the folder (default: ``NAHRAUM_ATLAS``, set by ``nahraum app
--atlas``); with "Atlas anzeigen" the main area shows one measure for the chosen Kreise,
mode, category and target group as a map and the labelled Gemeinde table – the same
classes (``present.classes``) and labels (``present.tables``) as the analysis. Nothing in
the folder is written; the table download is built in memory.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from geo import atlas, settings
from geo._errors import NahraumError
from present import i18n
from present.numbers import number
from report import atlas as ratlas
from report.files import CSV_MIME, csv_bytes

from . import keys

MEASURES = ("minutes", "within", "count", "2sfca", "gap", "people")


@st.cache_data(show_spinner=False, max_entries=8)
def _manifest(folder: str, mtime_ns: int) -> dict:
    return atlas.read_manifest(folder)


@st.cache_data(show_spinner=False, max_entries=4)
def _gemeinden(folder: str, mtime_ns: int):
    return atlas.read_gemeinden(folder)


@st.cache_data(show_spinner=False, max_entries=16)
def _map_png(
    folder: str,
    mtime_ns: int,
    kreise: tuple,
    mode: str,
    kind: str,
    target: str,
    measure: str,
    lang: str,
) -> bytes:
    return ratlas.atlas_map(folder, list(kreise), mode, kind, target, measure, lang)


def _mtime(folder: str) -> int:
    return (Path(folder) / atlas.MANIFEST).stat().st_mtime_ns


def sidebar(lang: str) -> str | None:
    """The expander; the atlas folder to show (None: the analysis as usual)."""
    state = st.session_state
    if keys.ATLAS_FOLDER not in state:
        state[keys.ATLAS_FOLDER] = os.environ.get(settings.ATLAS_ENV_VAR, "")
        state[keys.ATLAS_SHOW] = bool(state[keys.ATLAS_FOLDER])
    with st.sidebar.expander(i18n.t("atlas_heading", lang), expanded=bool(state[keys.ATLAS_SHOW])):
        st.text_input(
            i18n.t("atlas_folder", lang),
            key=keys.ATLAS_FOLDER,
            help=i18n.t("atlas_folder_help", lang),
        )
        st.toggle(i18n.t("atlas_show", lang), key=keys.ATLAS_SHOW)
    folder = str(state.get(keys.ATLAS_FOLDER) or "").strip()
    return folder if folder and state.get(keys.ATLAS_SHOW) else None


def show(folder: str, lang: str) -> bool:
    """The atlas view; False (with a German message) when the folder is no atlas."""
    try:
        mtime = _mtime(folder)
        manifest = _manifest(folder, mtime)
    except (OSError, NahraumError) as exc:
        message = str(exc) if isinstance(exc, NahraumError) else f"{folder}: {exc.strerror}"
        st.error(i18n.t("atlas_error", lang, error=message))
        return False
    parts = manifest.get("partitions", [])
    st.subheader(
        i18n.t("atlas_title", lang, region=manifest.get("region_label") or manifest.get("region"))
    )
    st.caption(
        i18n.t(
            "atlas_readonly",
            lang,
            parts=number(len(parts), 0, lang),
            written=ratlas.written_date(manifest, lang),
        )
    )
    if manifest.get("failed"):
        st.warning(i18n.t("atlas_failed", lang, parts=", ".join(sorted(manifest["failed"]))))
    if not parts:
        return True
    names = {p["kreis"]: p.get("kreis_name") or p["kreis"] for p in parts}
    modes = list(dict.fromkeys(p["mode"] for p in parts))
    spec = manifest.get("spec", {})
    cols = st.columns([2, 1, 1, 1.4, 1.4])
    kreise = cols[0].multiselect(
        i18n.t("atlas_kreise", lang),
        list(names),
        default=list(names)[:2],
        key=keys.ATLAS_KREISE,
        format_func=lambda k: f"{names[k]} ({k})",
    )
    mode = cols[1].selectbox(
        i18n.t("mode", lang),
        modes,
        key=keys.ATLAS_MODE,
        format_func=lambda m: i18n.mode_label(m, lang),
    )
    kind = cols[2].selectbox(
        i18n.t("atlas_col_kind", lang),
        spec.get("kinds", []),
        key=keys.ATLAS_KIND,
        format_func=lambda k: i18n.category_label(k, lang),
    )
    target = cols[3].selectbox(
        i18n.t("target", lang),
        spec.get("targets", []),
        key=keys.ATLAS_TARGET,
        format_func=lambda t: i18n.target_label(t, lang),
    )
    measure = cols[4].selectbox(
        i18n.t("atlas_measure", lang),
        MEASURES,
        key=keys.ATLAS_MEASURE,
        format_func=lambda m: i18n.measure_label(m, lang),
    )
    kreise = [k for k in kreise if any(p["kreis"] == k and p["mode"] == mode for p in parts)]
    if not kreise:
        return True
    st.image(
        _map_png(folder, mtime, tuple(kreise), mode, kind, target, measure, lang),
        use_container_width=True,
    )
    data = _gemeinden(folder, mtime)
    rows = data.loc[
        data["kreis"].isin(kreise)
        & (data["mode"] == mode)
        & (data["kind"] == kind)
        & (data["target"] == target)
    ]
    rows = rows.sort_values(["kreis", "ags"], kind="stable")
    if len(rows):
        table = ratlas.labelled(rows, target, float(rows["threshold_min"].iloc[0]), lang)
        st.markdown(f"**{i18n.t('atlas_table', lang, n=number(len(table), 0, lang))}**")
        st.dataframe(table, hide_index=True, use_container_width=True)
        st.download_button(
            i18n.t("atlas_download", lang),
            csv_bytes(table, german=lang == "de"),
            file_name=f"atlas_{mode}_{kind}_{target}.csv",
            mime=CSV_MIME,
        )
    return True
