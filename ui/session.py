"""The workshop's click state machine as a plain-Python object (testable without Streamlit).

A map click means different things by the click mode: select an object (``none``),
place a planned site (``site``: name, kind and target groups follow in a form, defaults
from the sidebar), start a pin (``pin``: kind and text follow in a form),
place an outreach day (``outreach``), collect the stops of a mobile service
(``mobile``), set the new location of a service being moved (``move_pending``), or
set the location of an inventory service (``inv_locate``, "Lage setzen").
:class:`WorkshopSession` keeps that state in any mutable mapping – ``st.session_state``
in the app, a ``dict`` in tests – under the keys of :mod:`ui.keys`, and turns clicks into
changes of a :class:`geo.scenario.ScenarioHistory`. New objects are numbered per type
(Neuer Standort 1, 2 …; Außensprechtag 1 …; Mobiles Angebot 1 …), see :func:`type_number`.
Collected mobile stops are handed to an optional ``on_draft`` callback on every change
(the app stores them as a draft, so a reload keeps them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from geo import scenario as geoscenario
from geo import settings
from geo._errors import NahraumError
from geo.network import to_xy
from layers._html import parse_ref
from ui import keys

CLICK_MODES: tuple[str, ...] = ("none", "site", "pin", "outreach", "mobile")


@dataclass(frozen=True)
class SiteDefaults:
    """Kind, target groups, capacity, hours and weekdays of new sites (sidebar form)."""

    category: str
    subcategory: str
    target_groups: tuple[str, ...]
    capacity: float | None
    hours: float
    weekdays: tuple[str, ...]

    def kind(self) -> dict:
        """The fields every new site, outreach day and mobile service shares."""
        return {
            "category": self.category,
            "subcategory": self.subcategory,
            "target_groups": self.target_groups,
            "capacity": self.capacity,
        }


@dataclass(frozen=True)
class Names:
    """Base names of new objects (in the UI language), numbered by the scenario."""

    site: str = "Neuer Standort"
    outreach: str = "Außensprechtag"
    mobile: str = "Mobiles Angebot"


def type_number(scenario: geoscenario.Scenario, kind: type, base: str) -> int:
    """The number of the next object of one type: one more than the objects of that type
    and than the highest number already used after ``base`` (deleted ones stay used)."""
    items = [c for c in scenario.changes if type(c) is kind]
    pattern = re.compile(re.escape(base) + r" (\d+)")
    used = [int(m.group(1)) for c in items if (m := pattern.fullmatch(str(c.name)))]
    return max([len(items), *used]) + 1


class WorkshopSession:
    """Click mode, pending pin, move and mobile stops, and the current selection.

    Parameters
    ----------
    state : mutable mapping
        Where the state lives (``st.session_state`` or a ``dict``).
    on_error : callable, optional
        Receives the German :class:`NahraumError` of a rejected change (default: kept
        under ``keys.WS_ERROR``).
    on_draft : callable, optional
        Receives the collected mobile stops after every change (``[]``: none left).
    """

    def __init__(
        self,
        state: MutableMapping[str, Any],
        on_error: Callable[[NahraumError], None] | None = None,
        on_draft: Callable[[list[tuple[float, float]]], None] | None = None,
    ) -> None:
        self.state = state
        self.on_error = on_error or (lambda exc: state.__setitem__(keys.WS_ERROR, str(exc)))
        self.on_draft = on_draft

    # --- state ----------------------------------------------------------------------
    @property
    def click_mode(self) -> str:
        """The click mode (one of :data:`CLICK_MODES`)."""
        mode = self.state.get(keys.CLICK_MODE, "none")
        return mode if mode in CLICK_MODES else "none"

    @property
    def placing(self) -> bool:
        """Whether the next map click places something (a mode or a pending move)."""
        return (
            self.click_mode != "none"
            or bool(self.state.get(keys.MOVE_PENDING))
            or bool(self.state.get(keys.INV_LOCATE))
        )

    @property
    def selection(self) -> dict | None:
        """The selected object: ``{"kind": "ags"|"svc", "key", "lat", "lng"}`` or None."""
        return self.state.get(keys.SELECTION)

    @property
    def mobile_stops(self) -> list[tuple[float, float]]:
        """Collected ``(lon, lat)`` stops of the mobile service being built."""
        return list(self.state.get(keys.MOBILE_STOPS) or [])

    @property
    def pending_pin(self) -> tuple[float, float] | None:
        """``(lon, lat)`` of a pin waiting for its kind and text."""
        return self.state.get(keys.PENDING_PIN)

    @property
    def pending_site(self) -> tuple[float, float] | None:
        """``(lon, lat)`` of a planned site waiting for its name, kind and target groups."""
        return self.state.get(keys.PENDING_SITE)

    def _set_stops(self, stops: list[tuple[float, float]]) -> None:
        self.state[keys.MOBILE_STOPS] = stops
        if self.on_draft is not None:
            self.on_draft(list(stops))

    def reset(self) -> None:
        """Forget pending clicks (a new scenario was opened; a stored draft stays)."""
        self.state[keys.MOBILE_STOPS] = []
        self.state[keys.PENDING_PIN] = None
        self.state[keys.PENDING_SITE] = None
        self.state[keys.MOVE_PENDING] = None
        self.state[keys.INV_LOCATE] = None

    def restore_stops(self, stops: list[tuple[float, float]]) -> None:
        """Take over the mobile stops of a stored draft (after a reload)."""
        self.state[keys.MOBILE_STOPS] = list(stops)[: settings.MOBILE_MAX_STOPS]

    def cancel(self) -> None:
        """Forget a pending pin, site, move or the collected mobile stops (and their draft)."""
        self.reset()
        self._set_stops([])

    def start_move(self, service_id: str) -> None:
        """The next click sets the new location of ``service_id``."""
        self.state[keys.MOVE_PENDING] = service_id

    def start_locate(self, service_id: str) -> None:
        """The next click sets the location of inventory service ``service_id``.

        The click is kept as ``(id, lat, lon)`` under ``keys.INV_LOCATED`` (saved by
        ``ui.inventory``); the scenario is not changed.
        """
        self.state[keys.MOVE_PENDING] = None
        self.state[keys.INV_LOCATE] = service_id

    # --- clicks -----------------------------------------------------------------------
    def read_map(
        self,
        region: str,
        value: Mapping[str, Any] | None,
        history: geoscenario.ScenarioHistory | None,
        defaults: SiteDefaults,
        names: Names = Names(),
    ) -> dict | None:
        """Act on the map's last reported value; returns the selection.

        Parameters
        ----------
        region : str
            Region name (a new region forgets the selection).
        value : mapping or None
            ``st_folium``'s value: ``last_clicked`` (lat/lng), ``last_object_clicked``
            and ``last_object_clicked_tooltip`` (with the hidden object reference).
        history : ScenarioHistory or None
            Where placing clicks add their change (None: placing is off).
        defaults : SiteDefaults
        names : Names
        """
        state = self.state
        if state.get(keys.SELECTION_REGION) != region:
            state[keys.SELECTION_REGION] = region
            state[keys.SELECTION] = None
            state[keys.CLICK_SEEN] = value
            return None
        if not value or value == state.get(keys.CLICK_SEEN):
            return self.selection
        previous = state.get(keys.CLICK_SEEN) or {}
        state[keys.CLICK_SEEN] = value
        point = value.get("last_clicked")
        if (
            self.placing
            and history is not None
            and point
            and point != previous.get("last_clicked")
            and point.get("lat") is not None
        ):
            self.place(history, float(point["lat"]), float(point["lng"]), defaults, names)
            return self.selection
        ref = parse_ref(value.get("last_object_clicked_tooltip"))
        obj = value.get("last_object_clicked") or {}
        if ref is not None and (
            obj != previous.get("last_object_clicked")
            or ref != parse_ref(previous.get("last_object_clicked_tooltip"))
        ):
            state[keys.SELECTION] = {
                "kind": ref[0],
                "key": ref[1],
                "lat": obj.get("lat"),
                "lng": obj.get("lng"),
            }
        return self.selection

    def place(
        self,
        history: geoscenario.ScenarioHistory,
        lat: float,
        lon: float,
        defaults: SiteDefaults,
        names: Names = Names(),
    ) -> None:
        """A click in a placing mode: move, new site, pin, outreach day or mobile stop."""
        state = self.state
        try:
            if state.get(keys.INV_LOCATE):
                state[keys.INV_LOCATED] = (str(state[keys.INV_LOCATE]), lat, lon)
                state[keys.INV_LOCATE] = None
            elif state.get(keys.MOVE_PENDING):
                sid = state[keys.MOVE_PENDING]
                state[keys.MOVE_PENDING] = None
                history.add(geoscenario.MoveSite.to(sid, lon=lon, lat=lat))
            elif self.click_mode == "site":
                state[keys.PENDING_SITE] = (lon, lat)
            elif self.click_mode == "pin":
                state[keys.PENDING_PIN] = (lon, lat)
            elif self.click_mode == "outreach":
                x, y = to_xy([lon], [lat])
                number = type_number(history.current, geoscenario.OutreachDay, names.outreach)
                history.add(
                    geoscenario.OutreachDay(
                        name=f"{names.outreach} {number}",
                        hours=defaults.hours,
                        weekdays=defaults.weekdays,
                        x=float(x[0]),
                        y=float(y[0]),
                        **defaults.kind(),
                    )
                )
            elif self.click_mode == "mobile":
                stops = self.mobile_stops
                if len(stops) < settings.MOBILE_MAX_STOPS:
                    stops.append((lon, lat))
                self._set_stops(stops)
        except NahraumError as exc:
            self.on_error(exc)

    def finish_mobile(
        self, history: geoscenario.ScenarioHistory, defaults: SiteDefaults, names: Names = Names()
    ) -> None:
        """The collected stops become one mobile service."""
        try:
            stops = tuple(
                geoscenario.MobileStop.at(
                    lon=lon, lat=lat, hours=defaults.hours, weekdays=defaults.weekdays
                )
                for lon, lat in self.mobile_stops
            )
            number = type_number(history.current, geoscenario.MobileService, names.mobile)
            history.add(
                geoscenario.MobileService(
                    name=f"{names.mobile} {number}", stops=stops, **defaults.kind()
                )
            )
            self._set_stops([])
        except NahraumError as exc:
            self.on_error(exc)

    def site_name(self, history: geoscenario.ScenarioHistory, names: Names = Names()) -> str:
        """The proposed name of the pending site (sidebar base name, numbered per type)."""
        base = str(self.state.get(keys.SITE_NAME) or "").strip() or names.site
        return f"{base} {type_number(history.current, geoscenario.AddSite, base)}"

    def save_site(
        self,
        history: geoscenario.ScenarioHistory,
        defaults: SiteDefaults,
        names: Names = Names(),
        *,
        name: str | None = None,
        category: str | None = None,
        subcategory: str | None = None,
        target_groups: tuple[str, ...] | list[str] | None = None,
    ) -> None:
        """The pending click becomes a planned site with the form's name, kind and groups
        (what the form leaves empty comes from the sidebar's defaults)."""
        pending = self.pending_site
        if not pending:
            return
        kind = defaults.kind()
        kind.update(
            category=category or defaults.category,
            subcategory=defaults.subcategory if subcategory is None else subcategory.strip(),
            target_groups=tuple(target_groups or defaults.target_groups),
        )
        try:
            history.add(
                geoscenario.AddSite.at(
                    lon=pending[0],
                    lat=pending[1],
                    name=(name or "").strip() or self.site_name(history, names),
                    **kind,
                )
            )
            self.state[keys.PENDING_SITE] = None
        except NahraumError as exc:
            self.on_error(exc)

    def save_pin(
        self, history: geoscenario.ScenarioHistory, kind: str | None, text: str | None
    ) -> None:
        """The pending click becomes a pin with kind and text."""
        pending = self.pending_pin
        if not pending:
            return
        try:
            history.add_pin(
                geoscenario.Pin.at(
                    lon=pending[0], lat=pending[1], kind=kind or "missing", text=text or ""
                )
            )
            self.state[keys.PENDING_PIN] = None
            self.state[keys.PIN_TEXT_NEW] = ""
        except NahraumError as exc:
            self.on_error(exc)


def site_defaults(state: Mapping[str, Any], kinds: tuple[str, ...], target: str) -> SiteDefaults:
    """The sidebar form's defaults of new sites (kinds and target of the analysis)."""
    cats = [k for k in kinds if k in settings.CATEGORIES] or list(settings.CATEGORIES)
    capacity = float(state.get(keys.SITE_CAPACITY) or 0)
    return SiteDefaults(
        category=state.get(keys.SITE_CATEGORY) or cats[0],
        subcategory=str(state.get(keys.SITE_SUB) or "").strip(),
        target_groups=tuple(state.get(keys.SITE_GROUPS) or (target,)),
        capacity=capacity if capacity > 0 else None,
        hours=float(state.get(keys.SITE_HOURS) or 8),
        weekdays=tuple(state.get(keys.SITE_DAYS) or ()),
    )
