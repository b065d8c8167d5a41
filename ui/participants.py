"""Workshop: opening it to the room and the projector's board of participants' pins.

The switch "Für Teilnehmende im lokalen Netz öffnen" starts the participant server
(``ui/participant_server.py``, one per app process, on its own port) and gives the
workshop a join code; the projector shows code, address and QR code. The board below
(``st.fragment`` with ``run_every``) reads only the event log's new lines every second,
never the analysis: new pins appear within about a second. The facilitator hides,
shows, merges or approves pins (approved pins become scenario pins), and publishes the
scenario's planned sites for voting.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import threading
from pathlib import Path
from typing import Any

import segno
import streamlit as st

from geo import scenario as geoscenario
from geo import settings
from geo._errors import NahraumError
from geo.network import to_lonlat
from geo.participants import (
    Board,
    BoardPin,
    CodeError,
    EventLog,
    JoinRegistry,
    Workshop,
    outline_geojson,
    scenario_pin,
)
from geo.scenario_store import ScenarioStore
from layers import scenario as scenariolayers
from present import i18n
from ui import keys
from ui.participant_server import ParticipantServer, bind_host
from ui.state import get_region, get_store, report, workshop_id

BOARD_REFRESH_S = 1.0  # the projector looks for new pins this often
BOARD_SHOWN = 25  # newest pins listed on the projector
BOARD_HEIGHT_PX = 300  # the list scrolls inside the side column


class Service:
    """The process-wide participant server and its join registry (one per app process)."""

    def __init__(self) -> None:
        self.registry = JoinRegistry()
        self.server: ParticipantServer | None = None
        self._lock = threading.Lock()

    def ensure_server(self) -> ParticipantServer:
        """Start the server on the LAN interface (its own port) if it is not running."""
        with self._lock:
            if self.server is None:
                port = int(
                    os.environ.get(settings.PARTICIPANT_PORT_ENV) or settings.PARTICIPANT_PORT
                )
                host = bind_host(lan=True)
                try:
                    self.server = ParticipantServer(self.registry, host, port)
                except OSError:  # port taken (a second app): any free port
                    self.server = ParticipantServer(self.registry, host, 0)
            return self.server

    def workshop_of(self, folder: Path) -> Workshop | None:
        """The open workshop stored in ``folder``, if any."""
        for code in self.registry.codes():
            try:
                ws = self.registry.get(code)
            except CodeError:
                continue
            if ws.log.path.parent == folder:
                return ws
        return None


@st.cache_resource
def service() -> Service:
    """The participant service of this app process (shared by all sessions)."""
    return Service()


@st.cache_data(max_entries=4)
def get_outline(name: str, content_hash: str) -> dict:
    """The region outline for the phones (simplified, WGS84)."""
    return outline_geojson(get_region(name).outline)


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as an SVG data URI (made locally)."""
    return segno.make(url, error="m").svg_data_uri(scale=6, border=2)


def _switched(folder: Path) -> None:
    """Switch callback: closing makes the code stop working at once."""
    if not st.session_state.get(keys.PP_OPEN):
        ws = service().workshop_of(folder)
        if ws is not None:
            service().registry.close(ws.code)


def participation(store: ScenarioStore, region_name: str, content_hash: str, lang: str) -> None:
    """The switch, and when open: join code, address, QR code and the live board."""
    svc = service()
    folder = store.folder
    if keys.PP_OPEN not in st.session_state:
        lan_default = os.environ.get(settings.PARTICIPANT_LAN_ENV) == "1"
        st.session_state[keys.PP_OPEN] = lan_default or svc.workshop_of(folder) is not None
    st.toggle(
        i18n.t("pp_switch", lang),
        key=keys.PP_OPEN,
        on_change=_switched,
        args=(folder,),
        help=i18n.t("pp_switch_help", lang),
    )
    if not st.session_state.get(keys.PP_OPEN):
        return
    try:
        server = svc.ensure_server()
        ws = svc.registry.open(folder, store.extent, get_outline(region_name, content_hash))
    except (OSError, NahraumError) as exc:
        st.error(i18n.t("pp_err_start", lang, error=str(exc)))
        return
    url = server.url(ws.code)
    st.markdown(
        f'<div class="nahraum-join" style="display:flex;gap:12px;align-items:center">'
        f'<img alt="{html.escape(i18n.t("pp_qr_alt", lang))}" src="{qr_svg(url)}" '
        f'width="128" height="128"><div><div>{html.escape(i18n.t("pp_code_show", lang))}</div>'
        f'<div class="nahraum-join-code" style="font-size:2.2rem;font-weight:700;'
        f'letter-spacing:0.16em;line-height:1.2">{html.escape(ws.code)}</div>'
        f'<div style="font-size:0.8rem"><code>{html.escape(url)}</code></div></div></div>',
        unsafe_allow_html=True,
    )
    if server.host.startswith("127."):
        st.caption(i18n.t("pp_loopback", lang))
    board(ws.code, lang)


def _status(ws: Workshop, pin: BoardPin, status: str) -> None:
    ws.log.append({"t": "status", "id": pin.id, "status": status})


def _approve(ws: Workshop, pin: BoardPin) -> None:
    """The pin becomes a scenario pin (same kind, text, time); the log says which."""
    history = st.session_state.get(keys.HISTORY)
    if history is None:
        return
    try:
        scenario = history.add_pin(scenario_pin(pin))
    except NahraumError as exc:
        report(exc)
        return
    ws.log.append({"t": "status", "id": pin.id, "status": "approved", "pin": scenario.pins[-1].id})


def _merge(ws: Workshop) -> None:
    chosen = sorted(st.session_state.get(keys.PP_MERGE) or [], key=lambda i: int(i[1:]))
    if len(chosen) >= 2:
        ws.log.append(*({"t": "merge", "id": pid, "into": chosen[0]} for pid in chosen[1:]))
    st.session_state[keys.PP_MERGE] = []


def _publish(ws: Workshop) -> None:
    """Publish the scenario's planned sites for voting."""
    history = st.session_state.get(keys.HISTORY)
    sites = []
    for c in history.current.changes if history is not None else ():
        if isinstance(c, geoscenario.AddSite):
            lon, lat = to_lonlat([c.x], [c.y])
            sites.append({"id": c.id, "name": c.name, "lon": float(lon[0]), "lat": float(lat[0])})
    ws.log.append({"t": "publish", "sites": sites})


def clock(stamp: str) -> str:
    """Local time of day (HH:MM) of an ISO time stamp ("" if it is not one)."""
    try:
        return dt.datetime.fromisoformat(stamp).astimezone().strftime("%H:%M")
    except ValueError:
        return ""


def pin_line(pin: BoardPin, votes: int, lang: str) -> str:
    """One pin on the projector as escaped HTML (time, kind, text, votes, status)."""
    status = "" if pin.status == "open" else f" · {i18n.t(f'pp_status_{pin.status}', lang)}"
    return (
        f'<div class="nahraum-pp-pin" data-pin="{html.escape(pin.id)}">'
        f"<b>{html.escape(scenariolayers.pin_label(pin.kind, lang))}</b> · "
        f"{html.escape(clock(pin.time))} · {html.escape(i18n.tn('pp_votes_n', votes, lang))}"
        f"{html.escape(status)}<br>{html.escape(' '.join(pin.text.split())) or '–'}</div>"
    )


def pin_row(ws: Workshop, pin: BoardPin, votes: int, lang: str) -> None:
    """One pin on the projector with its buttons (hide/show, approve)."""
    st.markdown(pin_line(pin, votes, lang), unsafe_allow_html=True)
    a, c = st.columns(2)
    if pin.status == "hidden":
        a.button(
            i18n.t("pp_show", lang),
            key=f"pp_show_{pin.id}",
            on_click=_status,
            args=(ws, pin, "open"),
        )
    else:
        a.button(
            i18n.t("pp_hide", lang),
            key=f"pp_hide_{pin.id}",
            on_click=_status,
            args=(ws, pin, "hidden"),
        )
    if pin.status != "approved" and c.button(
        i18n.t("pp_approve", lang), key=f"pp_approve_{pin.id}"
    ):
        _approve(ws, pin)
        st.rerun()  # the whole page: the approved pin is drawn on the map


@st.fragment(run_every=BOARD_REFRESH_S)
def board(code: str, lang: str) -> None:
    """The live board: reads only new log lines, never reruns the analysis."""
    try:
        ws = service().registry.get(code)
    except CodeError:
        st.info(i18n.t("pp_closed", lang))
        return
    b = ws.refresh()
    votes = b.votes()
    pins = b.shown(include_hidden=True)
    visible = sum(p.status != "hidden" for p in pins)
    st.markdown(f"**{html.escape(i18n.tn('pp_count', visible, lang))}**")
    listing = st.container(height=BOARD_HEIGHT_PX) if pins else st.container()
    for pin in reversed(pins[-BOARD_SHOWN:]):
        with listing:
            pin_row(ws, pin, votes.get(pin.id, 0), lang)
    if not pins:
        st.caption(i18n.t("pp_empty", lang))
    else:
        options = [p.id for p in pins if p.status != "hidden"]
        chosen = st.session_state.get(keys.PP_MERGE) or []
        st.session_state[keys.PP_MERGE] = [pid for pid in chosen if pid in options]
        st.multiselect(
            i18n.t("pp_merge_label", lang),
            options,
            key=keys.PP_MERGE,
            format_func=lambda pid: f"{pid} · {b.pins[pid].text[:30]}",
        )
        st.button(i18n.t("pp_merge", lang), key="pp_merge_go", on_click=_merge, args=(ws,))
    st.button(i18n.t("pp_publish", lang), key=keys.PP_PUBLISH, on_click=_publish, args=(ws,))
    for s in b.sites.values():
        st.caption(f"{html.escape(s.name)}: {html.escape(i18n.tn('pp_votes_n', s.votes, lang))}")


def record_rows(region: Any) -> list[dict] | None:
    """The participants' pins of this workshop for the session record (None: no log)."""
    store = get_store(workshop_id(), region.name, str(region.meta.get("content_hash", "")))
    log = EventLog(store.folder)
    if not log.path.is_file():
        return None
    board_ = Board()
    board_.update(log)
    return board_.table()


__all__ = ["participation", "board", "record_rows", "service", "qr_svg", "pin_line"]
