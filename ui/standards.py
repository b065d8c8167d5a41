"""Planning standards (Richtwerte) in the app: table choice, map layer, check table, profiles.

The sidebar expander "Richtwerte" shows which standards table is checked (the shipped
default or the planner's own upload), switches the map layer on and picks its rule.
The planner's own table is stored in the workshop's folder (atomic write) only after
it was read without error, so a bad file shows its German error and the previous table
stays in force – also after a reload. The check runs on the region shown (with the
target year of ``ui.demand``) and after the active scenario (planned sites count);
below the map the table (Gemeinde, Regel, Soll, Ist, Status, Begründung) with CSV/XLSX
downloads and the profile PDF of the region or one Gemeinde.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from geo import profile as geoprofile
from geo import standards as geostandards
from geo._errors import NahraumError
from geo._io import write_bytes_atomic
from layers import panel
from layers import standards as stdlayers
from present import i18n
from report import profile as rprofile
from report import standards as rstandards
from report.files import XLSX_MIME
from ui import keys
from ui.state import (
    get_check_table,
    get_region,
    get_standards_check,
    lazy_expander,
    scenario_digest,
)

#: File name stem of the planner's own table in the workshop folder.
OWN_STEM = "richtwerte"
OWN_SUFFIXES: tuple[str, ...] = (".csv", ".xlsx")
PROFILE_ALL = ""  # profile choice: every Gemeinde


@dataclass(frozen=True)
class StandardsChoice:
    """The standards table in force and how the map shows it."""

    standards: geostandards.Standards
    digest: str
    own: bool
    layer: bool
    rule: str


def own_file(folder: Path) -> Path | None:
    """The planner's stored table in ``folder`` (None: the default applies)."""
    for suffix in OWN_SUFFIXES:
        path = folder / f"{OWN_STEM}{suffix}"
        if path.is_file():
            return path
    return None


@st.cache_data(show_spinner=False, max_entries=16)
def _read(data: bytes | None, filename: str | None) -> geostandards.Standards:
    return geostandards.read_standards(data, filename=filename)


def load_standards(folder: Path) -> tuple[geostandards.Standards, str, bool]:
    """The table in force: the stored own table, else the shipped default (with digest)."""
    path = own_file(folder)
    if path is not None:
        data = path.read_bytes()
        try:
            return _read(data, path.name), hashlib.sha1(data).hexdigest()[:12], True
        except NahraumError:  # damaged on disk: the default applies, the upload says why
            pass
    data = geostandards.default_path().read_bytes()
    return _read(data, geostandards.default_path().name), hashlib.sha1(data).hexdigest()[:12], False


def accept_upload(folder: Path, data: bytes, filename: str) -> geostandards.Standards:
    """Read an uploaded table; only a valid one is stored (atomically) and replaces the old.

    Raises
    ------
    NahraumError
        The German error of the reader; nothing is stored.
    """
    suffix = Path(filename).suffix.lower()
    if suffix not in OWN_SUFFIXES:
        raise NahraumError(i18n.t("std_upload_suffix", "de", name=filename))
    standards = _read(data, filename)
    folder.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(folder / f"{OWN_STEM}{suffix}", data)
    for other in OWN_SUFFIXES:
        if other != suffix:
            (folder / f"{OWN_STEM}{other}").unlink(missing_ok=True)
    return standards


def use_default(folder: Path) -> None:
    """Button callback: forget the planner's own table."""
    for suffix in OWN_SUFFIXES:
        (folder / f"{OWN_STEM}{suffix}").unlink(missing_ok=True)
    st.session_state[keys.STD_UPLOAD_ROUND] = st.session_state.get(keys.STD_UPLOAD_ROUND, 0) + 1


def _upload(folder: Path, lang: str) -> None:
    state = st.session_state
    key = f"{keys.STD_UPLOAD}_{state.get(keys.STD_UPLOAD_ROUND, 0)}"
    upload = st.file_uploader(
        i18n.t("std_upload", lang),
        type=["csv", "xlsx"],
        key=key,
        help=i18n.t("std_upload_help", lang),
    )
    if upload is None:
        return
    fid = (upload.name, upload.size, getattr(upload, "file_id", ""))
    if state.get(keys.STD_UPLOAD_SEEN) == fid:
        if state.get(keys.STD_UPLOAD_ERROR):
            st.error(panel.md_escape(state[keys.STD_UPLOAD_ERROR]))
        return
    state[keys.STD_UPLOAD_SEEN] = fid
    try:
        accept_upload(folder, upload.getvalue(), upload.name)
        state[keys.STD_UPLOAD_ERROR] = None
    except NahraumError as exc:
        state[keys.STD_UPLOAD_ERROR] = i18n.t("std_upload_error", lang, error=str(exc))
        st.error(panel.md_escape(state[keys.STD_UPLOAD_ERROR]))


def standards_controls(folder: Path, lang: str, box: Any = None) -> StandardsChoice:
    """The sidebar expander "Richtwerte": table in force, upload, map layer and rule."""
    sb = box if box is not None else st.sidebar
    with sb.expander(i18n.t("std_heading", lang)):
        _upload(folder, lang)
        standards, digest, own = load_standards(folder)
        n = len(standards.rules)
        st.caption(
            i18n.tn("std_table_own" if own else "std_table_default", n, lang, name=standards.source)
        )
        for note in standards.notes:
            st.caption(panel.md_escape(note))
        if own:
            st.button(
                i18n.t("std_use_default", lang),
                key=keys.STD_DEFAULT,
                on_click=use_default,
                args=(folder,),
            )
        layer = st.checkbox(i18n.t("std_layer", lang), key=keys.STD_LAYER, value=False)
        rules = [stdlayers.ALL_RULES] + [
            r.rule for r in standards.rules if r.basis != "kreis" and r.kind != "wegezeit"
        ]
        rules += [r.rule for r in standards.rules if r.rule not in rules]
        if st.session_state.get(keys.STD_RULE) not in rules:
            st.session_state.pop(keys.STD_RULE, None)
        rule = st.selectbox(
            i18n.t("std_rule", lang),
            rules,
            key=keys.STD_RULE,
            format_func=lambda r: r or i18n.t("std_all_rules", lang),
            disabled=not layer,
        )
    return StandardsChoice(standards, digest, own, bool(layer), rule or stdlayers.ALL_RULES)


def _variant(scenario: Any) -> str:
    """The scenario's digest, empty for the status quo."""
    return scenario_digest(scenario) if scenario is not None and scenario.changes else ""


def current_check(loaded: Any, scenario: Any, choice: StandardsChoice) -> Any:
    """The check of the region shown (target year included) after ``scenario``."""
    variant = _variant(scenario)
    return get_standards_check(
        loaded.name,
        loaded.content_hash,
        choice.digest,
        variant,
        loaded.region,
        loaded.networks,
        choice.standards,
        scenario if variant else None,
    )


def map_layer(check: Any, choice: StandardsChoice, lang: str) -> stdlayers.StandardsLayer | None:
    """The layer data when the layer is switched on."""
    if not choice.layer:
        return None
    return stdlayers.standards_layer(check.rows, choice.standards, lang, choice.rule)


def _profile_pdf(loaded: Any, scenario: Any, choice: StandardsChoice, unit: str) -> bytes:
    base = get_region(loaded.name)
    data = geoprofile.build(
        base,
        loaded.params,
        choice.standards,
        scenario=scenario if scenario is not None and scenario.changes else None,
        demand_region=loaded.region if loaded.region is not base else None,
        networks=loaded.networks,
    )
    return rprofile.pdf_bytes(data, loaded.lang, keys=[unit] if unit else None)


def standards_section(loaded: Any, scenario: Any, check: Any, choice: StandardsChoice) -> None:
    """Below the map, in an expander drawn only while open: the check table, its downloads
    and the profile PDF."""
    lang = loaded.lang
    box = lazy_expander(i18n.t("std_section", lang), keys.STD_SECTION)
    if not box.open:
        return
    with box:
        state = (
            i18n.t("std_state_scenario", lang, name=scenario.name)
            if scenario is not None and scenario.changes
            else i18n.t("std_state_status_quo", lang)
        )
        counts = ", ".join(
            f"{i18n.label('status', k, lang)} {v}" for k, v in check.counts().items() if v
        )
        st.caption(
            i18n.t("std_caption", lang, source=choice.standards.source, state=state, counts=counts)
        )
        # The table once per check and language (every session shares it); the CSVs only
        # when downloaded.
        table = get_check_table(
            loaded.name, loaded.content_hash, choice.digest, _variant(scenario), lang, check
        )
        st.dataframe(table, hide_index=True, key=keys.STD_TABLE, height=320)
        stem = i18n.t("std_file_stem", lang)
        c1, c2, c3 = st.columns(3)
        c1.download_button(
            i18n.t("std_download_csv_de", lang),
            lambda: rstandards.check_csv(check, lang, german=True),
            file_name=f"{stem}.csv",
            mime="text/csv",
            on_click="ignore",
            key=keys.STD_CSV,
            icon=":material/download:",
        )
        c2.download_button(
            i18n.t("std_download_csv_en", lang),
            lambda: rstandards.check_csv(check, lang, german=False),
            file_name=f"{stem}_international.csv",
            mime="text/csv",
            on_click="ignore",
            key=keys.STD_CSV_EN,
            icon=":material/download:",
        )
        c3.download_button(
            i18n.t("std_download_xlsx", lang),
            lambda: rstandards.check_xlsx(check, lang),
            file_name=f"{stem}.xlsx",
            mime=XLSX_MIME,
            on_click="ignore",
            key=keys.STD_XLSX,
            icon=":material/table_view:",
        )
        gem = loaded.region.gemeinden
        units = [PROFILE_ALL, *gem.sort_values("name")["ags"].astype(str)]
        names = dict(zip(gem["ags"].astype(str), gem["name"].astype(str), strict=True))
        p1, p2 = st.columns([2, 1], vertical_alignment="bottom")
        unit = p1.selectbox(
            i18n.t("std_profile_unit", lang),
            units,
            key=keys.STD_PROFILE_UNIT,
            format_func=lambda k: names.get(k, k) if k else i18n.t("std_profile_all", lang),
        )
        p2.download_button(
            i18n.t("std_profile_button", lang),
            lambda: _profile_pdf(loaded, scenario, choice, unit),
            file_name=f"steckbrief-{unit or 'region'}.pdf",
            mime="application/pdf",
            on_click="ignore",
            key=keys.STD_PROFILE,
            icon=":material/picture_as_pdf:",
            help=i18n.t("std_profile_help", lang),
        )


__all__ = [
    "StandardsChoice",
    "accept_upload",
    "current_check",
    "load_standards",
    "map_layer",
    "own_file",
    "standards_controls",
    "standards_section",
    "use_default",
]
