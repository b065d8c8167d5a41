"""Sidebar part "ÖPNV-Fahrplan (GTFS)" and the proxy layer without a timetable (issue 11).

The planner uploads a GTFS zip (kept in ``<cache>/gtfs/``) or picks one found there or
in the data folder's ``gtfs/``, and chooses a service date, a departure time and a
window. The timetable is imported once per region (``geo.gtfs.import_feed`` into the
region's cache folder, shared by all sessions through :func:`ui.state.get_timetable`).
A bad feed shows its German error and changes nothing: the previous choice stays.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any

import streamlit as st

from geo import gtfs, settings, transit_lever
from geo import scenario as geoscenario
from geo import stops as geostops
from geo._errors import NahraumError
from geo._io import write_bytes_atomic
from layers import stop_access as proxylayer
from present import i18n, numbers
from ui import keys
from ui.state import (
    FeedChoice,
    get_cell_grid,
    get_stop_access,
    get_timetable,
    history_do,
    report,
)

NONE = ""  # the "no timetable" option
WINDOW_CHOICES_MIN = (0, 30, 60, 90, 120)


def upload_dir() -> Path:
    """Where uploaded feeds are kept (``<cache>/gtfs``)."""
    return settings.cache_dir() / "gtfs"


def feed_files() -> list[str]:
    """GTFS zips found in ``<cache>/gtfs`` and in the data folder's ``gtfs`` (sorted by name)."""
    found: dict[str, str] = {}
    for folder in (upload_dir(), settings.data_dir() / "gtfs"):
        if folder.is_dir():
            for p in sorted([*folder.glob("*.zip"), *folder.glob("*/*.zip")]):
                found.setdefault(str(p.resolve()), p.name)
    return sorted(found, key=lambda p: (found[p].lower(), p))


def stored_path(filename: str, data: bytes) -> Path:
    """Where an upload is kept: ``<cache>/gtfs/<digest>/<safe name>.zip``.

    The folder per content digest keeps two feeds of one name apart; the file keeps
    its name, which the model label shows.
    """
    stem = re.sub(r"[^\w.-]+", "_", Path(filename).stem).strip("._") or "fahrplan"
    return upload_dir() / hashlib.sha256(data).hexdigest()[:12] / f"{stem[:60]}.zip"


def feed_label(path: str) -> str:
    """Name of a feed in the list (uploads: with the start of their digest)."""
    p = Path(path)
    if p.parent.parent == upload_dir().resolve():
        return f"{p.name} ({p.parent.name[:6]})"
    return p.name


@st.cache_data(show_spinner=False, max_entries=32)
def _default_date(path: str, mtime: float) -> dt.date:
    return gtfs.default_date(path)


def _take_upload(name: str, lang: str) -> None:
    """Uploader callback: keep the file, import it; a German error changes nothing."""
    state = st.session_state
    upload = state.get(keys.TRANSIT_UPLOAD)
    if upload is None:
        return
    data = upload.getvalue()
    target = stored_path(upload.name, data)
    existed = target.exists()
    try:
        if not existed:
            write_bytes_atomic(target, data)
        day = _default_date(str(target), target.stat().st_mtime)
        get_timetable(name, str(target.resolve()), day.isoformat())
    except (NahraumError, OSError) as exc:
        if not existed:
            target.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                target.parent.rmdir()
        state[keys.TRANSIT_ERROR] = i18n.t("tr_error", lang, file=upload.name, error=str(exc))
        return
    state.pop(keys.TRANSIT_ERROR, None)
    state[keys.TRANSIT_FEED] = str(target.resolve())
    state.pop(keys.TRANSIT_DATE, None)  # the new feed's own first weekday


def transit_controls(lang: str, name: str) -> FeedChoice | None:
    """The expander; returns the loaded timetable choice (None without one)."""
    state = st.session_state
    with st.sidebar.expander(i18n.t("tr_heading", lang)):
        st.file_uploader(
            i18n.t("tr_upload", lang),
            type=["zip"],
            key=keys.TRANSIT_UPLOAD,
            on_change=_take_upload,
            args=(name, lang),
            help=i18n.t("tr_upload_help", lang),
        )
        if error := state.get(keys.TRANSIT_ERROR):
            st.error(error)
        files = feed_files()
        options = [NONE, *files]
        if state.get(keys.TRANSIT_FEED) not in options:
            state[keys.TRANSIT_FEED] = NONE
        path = st.selectbox(
            i18n.t("tr_feed", lang),
            options,
            key=keys.TRANSIT_FEED,
            format_func=lambda p: feed_label(p) if p else i18n.t("tr_feed_none", lang),
        )
        if not path:
            st.caption(i18n.t("tr_none_caption", lang))
            return None
        try:
            first = _default_date(path, Path(path).stat().st_mtime)
        except (NahraumError, OSError) as exc:
            st.error(i18n.t("tr_error", lang, file=Path(path).name, error=str(exc)))
            return None
        day = st.date_input(
            i18n.t("tr_date", lang),
            key=keys.TRANSIT_DATE,
            format="DD.MM.YYYY",
            **({} if keys.TRANSIT_DATE in state else {"value": first}),
        )
        h, m = (int(v) for v in settings.TRANSIT_DEPARTURE.split(":"))
        depart = st.time_input(
            i18n.t("tr_depart", lang),
            key=keys.TRANSIT_DEPART,
            step=300,
            **({} if keys.TRANSIT_DEPART in state else {"value": dt.time(h, m)}),
        )
        window = st.select_slider(
            i18n.t("tr_window", lang),
            options=list(WINDOW_CHOICES_MIN),
            key=keys.TRANSIT_WINDOW,
            format_func=lambda w: i18n.t("tr_window_0", lang) if w == 0 else f"{w} min",
            help=i18n.t("tr_window_help", lang),
            **({} if keys.TRANSIT_WINDOW in state else {"value": int(settings.TRANSIT_WINDOW_MIN)}),
        )
        try:
            tt = get_timetable(name, path, day.isoformat())
        except NahraumError as exc:
            st.error(i18n.t("tr_error", lang, file=Path(path).name, error=str(exc)))
            return None
        info = tt.summary()
        if not info["connections"]:
            st.warning(i18n.t("tr_no_trips", lang))
            return None
        st.caption(
            i18n.t(
                "tr_summary",
                lang,
                stops=numbers.count(info["stops"], lang),
                trips=numbers.count(info["trips"], lang),
            )
        )
        return FeedChoice(path, day.isoformat(), depart.hour * 3600 + depart.minute * 60, window)


def proxy_toggle(lang: str) -> bool:
    """Checkbox of the proxy layer (in the map layers' expander place of the sidebar)."""
    return st.sidebar.checkbox(
        i18n.t("tr_proxy_toggle", lang),
        key=keys.TRANSIT_PROXY,
        help=i18n.t("tr_proxy_help", lang),
    )


def proxy_layer(
    on: bool, name: str, content_hash: str, result: Any, lang: str
) -> tuple[list, list]:
    """Feature groups and legend sections of the proxy layer (empty lists when off)."""
    if not on:
        return [], []
    try:
        access = get_stop_access(name, content_hash)
    except NahraumError as exc:
        st.sidebar.error(str(exc))
        return [], []
    ov = proxylayer.stop_access_overlay(access, get_cell_grid(name, content_hash), lang)
    return [proxylayer.stop_access_group(ov)], [ov.legend]


def proxy_figures(on: bool, name: str, content_hash: str, result: Any, lang: str) -> None:
    """Shares of the target group by the best stop level within the walk (a caption)."""
    if not on:
        return
    try:
        access = get_stop_access(name, content_hash)
    except NahraumError:
        return
    people = result.cells["people"].to_numpy(dtype=float)
    shares = geostops.level_shares(access.best_level, people)
    parts = [
        f"{i18n.label('stop_level', lvl, lang)} {numbers.percent(shares[k + 1], lang)}"
        for k, (_, lvl) in enumerate(geostops.LEVELS)
    ]
    none = numbers.percent(shares[0], lang)
    st.caption(
        i18n.t(
            "tr_proxy_figures",
            lang,
            minutes=f"{access.threshold_min:g}",
            levels=" · ".join(parts),
            none=none,
        )
    )


# --- scenario lever "Buslinie verdichten" ----------------------------------------------
def _trip_label(row: Any) -> str:
    s = int(row.first_s)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d} {row.from_stop} → {row.to_stop} ({row.trip_id})"


def _add_lever(history: Any, model: Any, lang: str) -> None:
    """Button callback: check the lever on the timetable, then add it (German errors)."""
    state = st.session_state
    try:
        until = state[keys.LEVER_UNTIL]
        change = geoscenario.DenserTrips(
            trip_id=str(state[keys.LEVER_TRIP]),
            headway_min=float(state[keys.LEVER_HEADWAY]),
            until=f"{until.hour:02d}:{until.minute:02d}",
        )
        trial = history.current.with_change(change)
        transit_lever.apply_scenario(model.timetable, trial)
    except NahraumError as exc:
        report(exc)
        return
    history_do(history.add, change)


def lever_tools(history: Any, networks: dict, params: Any, lang: str) -> None:
    """Scenario tool "Buslinie verdichten" (only with a timetable and mode ÖPNV)."""
    model = networks.get(settings.TRANSIT_MODE.code)
    if model is None or params.mode != settings.TRANSIT_MODE.code:
        return
    trips = transit_lever.trip_table(model.timetable)
    if trips.empty:
        return
    labels = {r.trip_id: _trip_label(r) for r in trips.itertuples()}
    with st.expander(i18n.t("tr_lever_heading", lang)):
        st.selectbox(
            i18n.t("tr_lever_trip", lang),
            list(labels),
            key=keys.LEVER_TRIP,
            format_func=lambda t: labels.get(t, t),
        )
        st.number_input(
            i18n.t("tr_lever_headway", lang),
            min_value=5,
            max_value=240,
            step=5,
            key=keys.LEVER_HEADWAY,
            **({} if keys.LEVER_HEADWAY in st.session_state else {"value": 60}),
        )
        st.time_input(
            i18n.t("tr_lever_until", lang),
            key=keys.LEVER_UNTIL,
            step=900,
            **({} if keys.LEVER_UNTIL in st.session_state else {"value": dt.time(18, 0)}),
        )
        st.button(
            i18n.t("tr_lever_add", lang),
            key=keys.LEVER_ADD,
            on_click=_add_lever,
            args=(history, model, lang),
            help=i18n.t("tr_lever_help", lang),
        )
