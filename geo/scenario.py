"""Planning scenarios for workshop mode: changes, undo/redo, applying to the service list.

A :class:`Scenario` is a name and an ordered tuple of immutable changes to the
status quo (``region.services``), plus the participants' pins:

- :class:`AddSite` – a planned site at a position (``plan-1``, ``plan-2``, …),
- :class:`MoveSite` – an existing or planned site to a new position,
- :class:`CloseSite` – a site closes,
- :class:`OutreachDay` – an Außensprechtag open ``hours`` a week at an existing
  site or a new position: its place counts in the nearest-service time, its
  capacity in the 2SFCA pro rata (``hours / settings.FULL_TIME_HOURS``),
- :class:`MobileService` – stops on given weekdays, each a site with pro-rata capacity,
- :class:`Pin` – a participant's note on the map (``settings.PIN_KINDS``).

Scenarios are frozen values: every edit returns a new one, so a
:class:`ScenarioHistory` (undo/redo) is just a list of them. A Streamlit app
keeps one history per session in ``st.session_state``::

    from geo.compare import compare
    from geo.scenario_store import ScenarioStore
    store = ScenarioStore.for_session(session_id, extent=Extent.from_region(region))
    history = store.open("Variante Nord")            # loads or creates; auto-saves
    history.add(AddSite.at(lon=10.86, lat=51.26, name="Familienzentrum", category="Familie"))
    cmp = compare(region, params, history.current, base_result=base)   # ~5 ms
    cmp.totals["newly_within"], cmp.gemeinden, cmp.cells               # figures, before/after map
    history.undo()

:func:`apply` gives the service list after a scenario. Modules build on this one:
:mod:`geo.compare` compares a scenario with the status quo (incremental path, equal
to a full :func:`geo.analysis.analyze` of the changed service list; see
``docs/scenarios.md``), :mod:`geo.scenario_store` keeps named scenarios as JSON files
per session (damaged files moved aside), and :mod:`geo._scenario_io` writes and reads
GeoJSON and GeoPackage.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import settings
from ._checks import check_codes, check_number, check_text, type_de
from ._errors import InputError, Problem
from ._text import de_decimal
from .network import to_lonlat, to_xy

SCHEMA_VERSION = 1
FORMAT = "nahraum-scenario"


class ScenarioFileError(InputError):
    """A scenario file or upload is damaged or does not fit; the message is German."""

    def __init__(
        self,
        message: str,
        problems: list[Problem] | None = None,
        file: str | None = None,
        moved_to: str | None = None,
    ):
        super().__init__(message, problems)
        self.file = file
        self.moved_to = moved_to


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------
def now_iso() -> str:
    """The current time (UTC) as an ISO timestamp in seconds: created/modified stamps."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def resolve_kind(category: str | None, subcategory: str | None = None) -> tuple[str, str]:
    """Category code and subcategory of a planned site.

    ``category`` may be a code or label of ``settings.CATEGORIES``; without it,
    the category follows from the subcategory (``settings.SUBCATEGORY_RULES``).
    """
    cat = check_text(category, "Kategorie", 60)
    sub = check_text(subcategory, "Angebotsart", 200)
    if cat:
        key = cat.casefold()
        for code, c in settings.CATEGORIES.items():
            if key in (code.casefold(), c.label_de.casefold(), c.label_en.casefold()):
                return code, sub
        raise InputError(
            f"Kategorie: unbekannt „{cat}“ (möglich: {', '.join(settings.CATEGORIES)})."
        )
    if sub:
        for keyword, code in settings.SUBCATEGORY_RULES:
            if keyword in sub.casefold():
                return code, sub
        raise InputError(
            f"Angebotsart „{sub}“: keine Kategorie bekannt, bitte eine Kategorie "
            f"angeben ({', '.join(settings.CATEGORIES)})."
        )
    raise InputError("Kategorie: bitte eine Kategorie oder Angebotsart angeben.")


def _position(x, y, lon, lat, what: str) -> tuple[float, float]:
    if lon is not None or lat is not None:
        if x is not None or y is not None:
            raise InputError(f"{what}: entweder x/y oder lon/lat angeben, nicht beides.")
        lo = check_number(lon, f"{what}: Länge (lon)", lo=-180, hi=180)
        la = check_number(lat, f"{what}: Breite (lat)", lo=-90, hi=90)
        xs, ys = to_xy([lo], [la])
        return float(xs[0]), float(ys[0])
    return (check_number(x, f"{what}: x (EPSG:3035)"), check_number(y, f"{what}: y (EPSG:3035)"))


# ---------------------------------------------------------------------------
# Changes (immutable records, JSON-serialisable)
# ---------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Change:
    """Base of all changes. ``id`` is assigned by :meth:`Scenario.with_change`.

    The id of a change that creates a site is also the id of that site
    (``plan-3``; the stops of a mobile service are ``plan-3-1``, ``plan-3-2``, …).
    """

    TYPE: ClassVar[str] = ""
    LABEL: ClassVar[str] = ""
    id: str = ""
    created: str = ""

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "id", check_text(self.id, "id", 40))
        put(self, "created", check_text(self.created, "created", 40))

    def site_ids(self) -> tuple[str, ...]:
        """Ids of the sites this change creates."""
        return ()

    def refers_to(self) -> tuple[str, ...]:
        """Ids of existing sites this change needs."""
        return ()

    def points(self) -> list[tuple[float, float]]:
        """Positions (EPSG:3035) this change puts on the map."""
        return []

    def describe(self) -> str:
        """German one-line description."""
        return self.LABEL

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"type": self.TYPE}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, tuple):
                v = [s.to_dict() if isinstance(s, MobileStop) else s for s in v]
            out[f.name] = v
        return out

    @staticmethod
    def from_dict(data: Any) -> Change:
        """Build and validate a change from its JSON form (German errors)."""
        if not isinstance(data, Mapping):
            raise InputError(f"Objekt erwartet, gefunden {type_de(data)}.")
        kind = data.get("type")
        cls = CHANGE_TYPES.get(kind) if isinstance(kind, str) else None
        if cls is None:
            raise InputError(
                f"Unbekannte Art der Änderung „{kind}“ (möglich: {', '.join(CHANGE_TYPES)})."
            )
        return _construct(cls, data, ignore=("type",))


def _construct(cls, data: Mapping, ignore: tuple[str, ...] = ()):
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [k for k in data if k not in fields and k not in ignore]
    if unknown:
        raise InputError(f"Unbekanntes Feld „{unknown[0]}“.")
    missing = [
        n
        for n, f in fields.items()
        if n not in data
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise InputError(f"Feld „{missing[0]}“ fehlt.")
    kwargs = {}
    for k, v in data.items():
        if k in ignore:
            continue
        if k == "stops" and isinstance(v, list):
            stops = []
            for i, s in enumerate(v, start=1):
                if not isinstance(s, Mapping):
                    raise InputError(f"Halt {i}: Objekt erwartet.")
                try:
                    stops.append(_construct(MobileStop, s))
                except InputError as exc:
                    raise InputError(f"Halt {i}: {exc.message}") from exc
            v = tuple(stops)
        elif isinstance(v, list):
            v = tuple(v)
        kwargs[k] = v
    return cls(**kwargs)


@dataclass(frozen=True, kw_only=True)
class PlannedService(Change):
    """Fields of a planned service: name, kind, target groups, capacity."""

    name: str
    category: str = ""
    subcategory: str = ""
    target_groups: tuple[str, ...] = ()
    capacity: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        put = object.__setattr__
        put(self, "name", check_text(self.name, "Name", 200, required=True))
        cat, sub = resolve_kind(self.category, self.subcategory)
        put(self, "category", cat)
        put(self, "subcategory", sub)
        put(
            self,
            "target_groups",
            check_codes(self.target_groups, settings.TARGET_GROUPS, "Zielgruppen"),
        )
        put(self, "capacity", check_number(self.capacity, "Kapazität", lo=0.0, optional=True))

    @property
    def kind_label(self) -> str:
        return self.subcategory or settings.CATEGORIES[self.category].label_de


def _hours(value: Any, what: str = "Stunden je Woche") -> float:
    return check_number(value, what, lo=0.0, lo_open=True, hi=settings.FULL_TIME_HOURS)


def _weekday_text(days: tuple[str, ...]) -> str:
    return ", ".join(days)


@dataclass(frozen=True, kw_only=True)
class AddSite(PlannedService):
    """A planned site at ``x``/``y`` (EPSG:3035); see :meth:`at` for lon/lat."""

    TYPE: ClassVar[str] = "add_site"
    LABEL: ClassVar[str] = "Neuer Standort"
    x: float
    y: float

    def __post_init__(self) -> None:
        super().__post_init__()
        x, y = _position(self.x, self.y, None, None, "Standort")
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)

    @classmethod
    def at(
        cls,
        *,
        x: float | None = None,
        y: float | None = None,
        lon: float | None = None,
        lat: float | None = None,
        **kw,
    ) -> AddSite:
        """A planned site from x/y (EPSG:3035) or lon/lat (WGS84)."""
        px, py = _position(x, y, lon, lat, "Standort")
        return cls(x=px, y=py, **kw)

    def site_ids(self) -> tuple[str, ...]:
        return (self.id,)

    def points(self) -> list[tuple[float, float]]:
        return [(self.x, self.y)]

    def describe(self) -> str:
        return f"Neuer Standort „{self.name}“ ({self.kind_label})"


@dataclass(frozen=True, kw_only=True)
class MoveSite(Change):
    """An existing or planned site moves to ``x``/``y`` (EPSG:3035)."""

    TYPE: ClassVar[str] = "move_site"
    LABEL: ClassVar[str] = "Standort verlegt"
    service_id: str
    x: float
    y: float

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(
            self, "service_id", check_text(self.service_id, "Angebots-id", 80, required=True)
        )
        x, y = _position(self.x, self.y, None, None, "Neuer Standort")
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)

    @classmethod
    def to(
        cls,
        service_id: str,
        *,
        x: float | None = None,
        y: float | None = None,
        lon: float | None = None,
        lat: float | None = None,
        **kw,
    ) -> MoveSite:
        px, py = _position(x, y, lon, lat, "Neuer Standort")
        return cls(service_id=service_id, x=px, y=py, **kw)

    def refers_to(self) -> tuple[str, ...]:
        return (self.service_id,)

    def points(self) -> list[tuple[float, float]]:
        return [(self.x, self.y)]

    def describe(self) -> str:
        return f"Standort {self.service_id} verlegt"


@dataclass(frozen=True, kw_only=True)
class CloseSite(Change):
    """A site (existing or planned) closes."""

    TYPE: ClassVar[str] = "close_site"
    LABEL: ClassVar[str] = "Standort geschlossen"
    service_id: str

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(
            self, "service_id", check_text(self.service_id, "Angebots-id", 80, required=True)
        )

    def refers_to(self) -> tuple[str, ...]:
        return (self.service_id,)

    def describe(self) -> str:
        return f"Standort {self.service_id} geschlossen"


@dataclass(frozen=True, kw_only=True)
class OutreachDay(PlannedService):
    """An Außensprechtag: ``hours`` a week at an existing site (``at_site``) or at x/y.

    ``capacity`` is the full-time capacity of the service (unknown:
    ``settings.DEFAULT_CAPACITY``); the 2SFCA counts ``capacity × hours /
    settings.FULL_TIME_HOURS``. The place counts in the nearest-service time.
    """

    TYPE: ClassVar[str] = "outreach_day"
    LABEL: ClassVar[str] = "Außensprechtag"
    hours: float
    weekdays: tuple[str, ...] = ()
    place: str = ""
    at_site: str | None = None
    x: float | None = None
    y: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        put = object.__setattr__
        put(self, "hours", _hours(self.hours))
        put(self, "weekdays", check_codes(self.weekdays, settings.WEEKDAYS, "Wochentage"))
        put(self, "place", check_text(self.place, "Ort", 200))
        at = check_text(self.at_site, "Ort (Angebots-id)", 80) or None
        put(self, "at_site", at)
        if at is None:
            x, y = _position(self.x, self.y, None, None, "Ort des Sprechtags")
            put(self, "x", x)
            put(self, "y", y)
        elif self.x is not None or self.y is not None:
            raise InputError("Ort des Sprechtags: entweder at_site oder x/y angeben, nicht beides.")

    def site_ids(self) -> tuple[str, ...]:
        return (self.id,)

    def refers_to(self) -> tuple[str, ...]:
        return (self.at_site,) if self.at_site else ()

    def points(self) -> list[tuple[float, float]]:
        return [] if self.x is None else [(self.x, self.y)]

    @property
    def share(self) -> float:
        return self.hours / settings.FULL_TIME_HOURS

    def describe(self) -> str:
        where = self.place or (f"bei {self.at_site}" if self.at_site else "neuer Ort")
        days = f", {_weekday_text(self.weekdays)}" if self.weekdays else ""
        return (
            f"Außensprechtag „{self.name}“ ({self.kind_label}) {where}{days}: "
            f"{de_decimal(self.hours, 1)} h/Woche, Kapazität anteilig "
            f"{de_decimal(self.hours, 1)}/{de_decimal(settings.FULL_TIME_HOURS, 1)}"
        )


@dataclass(frozen=True, kw_only=True)
class MobileStop:
    """One stop of a mobile service: position, hours a week, weekdays, place name."""

    x: float
    y: float
    hours: float
    weekdays: tuple[str, ...] = ()
    place: str = ""

    def __post_init__(self) -> None:
        put = object.__setattr__
        x, y = _position(self.x, self.y, None, None, "Halt")
        put(self, "x", x)
        put(self, "y", y)
        put(self, "hours", _hours(self.hours))
        put(self, "weekdays", check_codes(self.weekdays, settings.WEEKDAYS, "Wochentage"))
        put(self, "place", check_text(self.place, "Ort", 200))

    @classmethod
    def at(
        cls,
        *,
        x: float | None = None,
        y: float | None = None,
        lon: float | None = None,
        lat: float | None = None,
        **kw,
    ) -> MobileStop:
        px, py = _position(x, y, lon, lat, "Halt")
        return cls(x=px, y=py, **kw)

    def to_dict(self) -> dict:
        return {
            "x": self.x,
            "y": self.y,
            "hours": self.hours,
            "weekdays": list(self.weekdays),
            "place": self.place,
        }


@dataclass(frozen=True, kw_only=True)
class MobileService(PlannedService):
    """A mobile service: every stop is a site with capacity × hours / FULL_TIME_HOURS."""

    TYPE: ClassVar[str] = "mobile_service"
    LABEL: ClassVar[str] = "Mobiles Angebot"
    stops: tuple[MobileStop, ...]

    def __post_init__(self) -> None:
        super().__post_init__()
        stops = self.stops
        if not isinstance(stops, (list, tuple)) or not stops:
            raise InputError("Halte: mindestens ein Halt angeben.")
        if len(stops) > settings.MOBILE_MAX_STOPS:
            raise InputError(
                f"Halte: höchstens {settings.MOBILE_MAX_STOPS} (angegeben: {len(stops)})."
            )
        if not all(isinstance(s, MobileStop) for s in stops):
            raise InputError("Halte: jeder Halt braucht Position und Stunden.")
        object.__setattr__(self, "stops", tuple(stops))

    def site_ids(self) -> tuple[str, ...]:
        return tuple(f"{self.id}-{i}" for i in range(1, len(self.stops) + 1))

    def points(self) -> list[tuple[float, float]]:
        return [(s.x, s.y) for s in self.stops]

    def describe(self) -> str:
        hours = sum(s.hours for s in self.stops)
        return (
            f"Mobiles Angebot „{self.name}“ ({self.kind_label}): {len(self.stops)} Halte, "
            f"{de_decimal(hours, 1)} h/Woche"
        )


@dataclass(frozen=True, kw_only=True)
class DenserTrips(Change):
    """A trip of the loaded timetable runs again every ``headway_min`` until ``until``
    (``HH:MM``, GTFS hours up to 47). Acts on the timetable, not on the service list
    (:func:`geo.transit_lever.apply_scenario`), so only mode ÖPNV sees it."""

    TYPE: ClassVar[str] = "denser_trips"
    LABEL: ClassVar[str] = "Buslinie verdichtet"
    trip_id: str
    headway_min: float
    until: str

    def __post_init__(self) -> None:
        super().__post_init__()
        put = object.__setattr__
        put(self, "trip_id", check_text(self.trip_id, "Fahrt", 200, required=True))
        put(self, "headway_min", check_number(self.headway_min, "Takt (Minuten)", lo=1, hi=240))
        text = check_text(self.until, "bis (Uhrzeit)", 5, required=True)
        m = re.fullmatch(r"([0-3]?\d|4[0-7]):([0-5]\d)", text)
        if m is None:
            raise InputError(f"bis (Uhrzeit): „{text}“ ist keine Uhrzeit (erwartet HH:MM).")
        put(self, "until", f"{int(m.group(1)):02d}:{m.group(2)}")

    @property
    def until_s(self) -> int:
        """``until`` in seconds after midnight of the timetable's day."""
        h, m = self.until.split(":")
        return int(h) * 3600 + int(m) * 60

    def describe(self) -> str:
        return (
            f"Buslinie verdichtet: Fahrt „{self.trip_id}“ alle "
            f"{de_decimal(self.headway_min, 0)} min bis {self.until} Uhr"
        )


CHANGE_TYPES: dict[str, type[Change]] = {
    c.TYPE: c for c in (AddSite, MoveSite, CloseSite, OutreachDay, MobileService, DenserTrips)
}


@dataclass(frozen=True, kw_only=True)
class Pin:
    """A participant's pin: position (EPSG:3035), kind (``settings.PIN_KINDS``), text.

    The text is stored verbatim (at most ``settings.PIN_TEXT_MAX`` characters);
    escaping it is the map's job.
    """

    x: float
    y: float
    kind: str
    text: str = ""
    id: str = ""
    created: str = ""

    def __post_init__(self) -> None:
        put = object.__setattr__
        x, y = _position(self.x, self.y, None, None, "Pin")
        put(self, "x", x)
        put(self, "y", y)
        if not isinstance(self.kind, str) or self.kind not in settings.PIN_KINDS:
            raise InputError(
                f"Pin-Art: unbekannt {self.kind!r} (möglich: {', '.join(settings.PIN_KINDS)})."
            )
        put(self, "text", check_text(self.text, "Pin-Text", settings.PIN_TEXT_MAX, strip=False))
        put(self, "id", check_text(self.id, "Pin-id", 40))
        put(self, "created", check_text(self.created, "created", 40))

    @classmethod
    def at(
        cls,
        *,
        x: float | None = None,
        y: float | None = None,
        lon: float | None = None,
        lat: float | None = None,
        **kw,
    ) -> Pin:
        px, py = _position(x, y, lon, lat, "Pin")
        return cls(x=px, y=py, **kw)

    @property
    def label(self) -> str:
        return settings.PIN_KINDS[self.kind]

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @staticmethod
    def from_dict(data: Any) -> Pin:
        if not isinstance(data, Mapping):
            raise InputError(f"Objekt erwartet, gefunden {type_de(data)}.")
        return _construct(Pin, data)


# ---------------------------------------------------------------------------
# Scenario
# ---------------------------------------------------------------------------
def check_name(name: Any) -> str:
    """A valid scenario name (NFC, no control characters), else InputError."""
    text = check_text(name, "Name des Szenarios", settings.SCENARIO_NAME_MAX, required=True)
    text = unicodedata.normalize("NFC", text)
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise InputError("Name des Szenarios: Steuerzeichen sind nicht erlaubt.")
    return text


def _number_of(ident: str, prefix: str) -> int:
    m = re.fullmatch(re.escape(prefix) + r"(\d+)", ident or "")
    return int(m.group(1)) if m else 0


@dataclass(frozen=True)
class Scenario:
    """A named, ordered set of changes to the status quo, plus participant pins.

    Frozen: the ``with_*``/``without_*`` methods return a new scenario.

    Parameters
    ----------
    name : str
    changes : tuple of Change
    pins : tuple of Pin
    region : str, optional
        Region name the coordinates belong to.
    params : dict, optional
        Analysis parameters the scenario was made with (``AnalysisParams.to_dict()``).
    description : str
    created, modified : str
        ISO timestamps (UTC).
    next_number : int
        Number of the next ``plan-N`` id.
    """

    name: str
    changes: tuple[Change, ...] = ()
    pins: tuple[Pin, ...] = ()
    region: str | None = None
    params: dict | None = field(default=None, hash=False)
    description: str = ""
    created: str = ""
    modified: str = ""
    next_number: int = 1

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "name", check_name(self.name))
        put(self, "changes", tuple(self.changes))
        put(self, "pins", tuple(self.pins))
        put(self, "description", check_text(self.description, "Beschreibung", 2000, strip=False))
        if self.region is not None:
            put(self, "region", check_text(self.region, "Region", 120))
        if self.params is not None and not isinstance(self.params, Mapping):
            raise InputError("Parameter: Objekt erwartet.")
        put(self, "params", None if self.params is None else dict(self.params))
        put(self, "created", self.created or now_iso())
        put(self, "modified", self.modified or self.created)
        if len(self.changes) > settings.SCENARIO_MAX_CHANGES:
            raise InputError(f"Höchstens {settings.SCENARIO_MAX_CHANGES} Änderungen je Szenario.")
        if len(self.pins) > settings.SCENARIO_MAX_PINS:
            raise InputError(f"Höchstens {settings.SCENARIO_MAX_PINS} Pins je Szenario.")
        n = self.next_number
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise InputError("next_number: ganze Zahl ≥ 1 erwartet.")
        prefix = settings.PLAN_ID_PREFIX
        used = [_number_of(getattr(c, "id", ""), prefix) for c in self.changes] + [
            _number_of(getattr(p, "id", ""), "pin-") for p in self.pins
        ]
        n = max([n, *(u + 1 for u in used)])
        changes, pins = [], []
        for c in self.changes:  # changes and pins without id get the next numbers
            if isinstance(c, Change) and not c.id:
                c = dataclasses.replace(c, id=f"{prefix}{n}", created=c.created or now_iso())
                n += 1
            changes.append(c)
        for p in self.pins:
            if isinstance(p, Pin) and not p.id:
                p = dataclasses.replace(p, id=f"pin-{n}", created=p.created or now_iso())
                n += 1
            pins.append(p)
        put(self, "changes", tuple(changes))
        put(self, "pins", tuple(pins))
        put(self, "next_number", n)
        self._check_references()

    # -- consistency -------------------------------------------------------
    def _check_references(self) -> None:
        ids: set[str] = set()
        created: set[str] = set()
        closed: set[str] = set()
        for i, c in enumerate(self.changes, start=1):
            if not isinstance(c, Change):
                raise InputError(f"Änderung {i}: keine Änderung ({type_de(c)}).")
            if not c.id:
                raise InputError(f"Änderung {i}: id fehlt (mit Scenario.with_change hinzufügen).")
            if c.id in ids:
                raise InputError(f"Änderung {i}: id „{c.id}“ kommt doppelt vor.")
            ids.add(c.id)
            for ref in c.refers_to():
                if ref.startswith(settings.PLAN_ID_PREFIX) and ref not in created:
                    raise InputError(
                        f"Änderung {i} ({c.describe()}): der geplante Standort "
                        f"„{ref}“ wird erst später oder nie angelegt."
                    )
                if ref in closed:
                    raise InputError(
                        f"Änderung {i} ({c.describe()}): der Standort „{ref}“ "
                        "ist zu diesem Zeitpunkt schon geschlossen."
                    )
            if isinstance(c, CloseSite):
                closed.add(c.service_id)
            created.update(c.site_ids())
        pin_ids = [p.id for p in self.pins]
        if any(not p for p in pin_ids) or len(set(pin_ids)) != len(pin_ids):
            raise InputError("Pins: jede Pin-id muss vorhanden und eindeutig sein.")

    def site_ids(self) -> tuple[str, ...]:
        """Ids of all sites the changes create."""
        return tuple(s for c in self.changes for s in c.site_ids())

    def change(self, change_id: str) -> Change:
        for c in self.changes:
            if c.id == change_id:
                return c
        raise InputError(f"Änderung „{change_id}“ gibt es in diesem Szenario nicht.")

    # -- edits (all return a new Scenario) ---------------------------------
    def _replace(self, **kw) -> Scenario:
        return dataclasses.replace(self, modified=now_iso(), **kw)

    def with_change(self, change: Change) -> Scenario:
        """Append a change, giving it the id ``plan-N`` (and a timestamp) if it has none."""
        if not isinstance(change, Change):
            raise InputError("Nur Änderungen (AddSite, MoveSite, …) können hinzugefügt werden.")
        return self._replace(changes=(*self.changes, change))

    def with_changes(self, changes: Iterable[Change]) -> Scenario:
        out = self
        for c in changes:
            out = out.with_change(c)
        return out

    def replacing(self, change: Change) -> Scenario:
        """Replace the change with the same id (an edit)."""
        self.change(change.id)
        return self._replace(
            changes=tuple(change if c.id == change.id else c for c in self.changes)
        )

    def without_change(self, change_id: str) -> Scenario:
        """Remove a change and the later changes that refer to the sites it created."""
        self.change(change_id)
        gone: set[str] = set()
        keep = []
        for c in self.changes:
            if c.id == change_id or gone.intersection(c.refers_to()):
                gone.update(c.site_ids())
                continue
            keep.append(c)
        return self._replace(changes=tuple(keep))

    def with_pin(self, pin: Pin) -> Scenario:
        """Add a pin (id ``pin-N`` and timestamp assigned if missing)."""
        if not isinstance(pin, Pin):
            raise InputError("Nur Pins können als Pin hinzugefügt werden.")
        return self._replace(pins=(*self.pins, pin))

    def pin(self, pin_id: str) -> Pin:
        for p in self.pins:
            if p.id == pin_id:
                return p
        raise InputError(f"Pin „{pin_id}“ gibt es in diesem Szenario nicht.")

    def editing_pin(self, pin_id: str, **fields: Any) -> Scenario:
        """Change a pin's ``text``, ``kind`` or position (``x``/``y``)."""
        bad = set(fields) - {"text", "kind", "x", "y"}
        if bad:
            raise InputError(f"Pin: unbekanntes Feld „{sorted(bad)[0]}“.")
        new = dataclasses.replace(self.pin(pin_id), **fields)
        return self._replace(pins=tuple(new if p.id == pin_id else p for p in self.pins))

    def without_pin(self, pin_id: str) -> Scenario:
        self.pin(pin_id)
        return self._replace(pins=tuple(p for p in self.pins if p.id != pin_id))

    def renamed(self, name: str) -> Scenario:
        return self._replace(name=name)

    # -- validation and JSON -------------------------------------------------
    def problems(self, extent: Extent | None) -> list[Problem]:
        """Positions outside the region (+ buffer); empty if all fit or no extent."""
        if extent is None:
            return []
        out = []
        for i, c in enumerate(self.changes, start=1):
            for x, y in c.points():
                if not extent.contains(x, y):
                    out.append(
                        Problem(
                            f"Änderung {i} ({c.describe()}): Position ({x:.0f}, "
                            f"{y:.0f}) liegt außerhalb {extent.label}."
                        )
                    )
        for i, p in enumerate(self.pins, start=1):
            if not extent.contains(p.x, p.y):
                out.append(
                    Problem(
                        f"Pin {i}: Position ({p.x:.0f}, {p.y:.0f}) liegt außerhalb {extent.label}."
                    )
                )
        if extent.region and self.region and extent.region != self.region:
            out.insert(
                0,
                Problem(
                    f"Das Szenario gehört zur Region „{self.region}“, geöffnet ist "
                    f"„{extent.region}“."
                ),
            )
        return out

    def to_dict(self) -> dict:
        return {
            "format": FORMAT,
            "version": SCHEMA_VERSION,
            "name": self.name,
            "region": self.region,
            "params": self.params,
            "description": self.description,
            "created": self.created,
            "modified": self.modified,
            "next_number": self.next_number,
            "changes": [c.to_dict() for c in self.changes],
            "pins": [p.to_dict() for p in self.pins],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, allow_nan=False)

    @classmethod
    def from_dict(
        cls, data: Any, *, source: str | None = None, extent: Extent | None = None
    ) -> Scenario:
        """Validate and build a scenario; all problems are reported at once.

        Raises
        ------
        ScenarioFileError
            German message naming ``source`` and every problem found.
        """
        where = f"Szenario-Datei „{source}“" if source else "Szenario"
        problems: list[Problem] = []

        def bad(msg: str) -> None:
            problems.append(Problem(msg, file=source))

        if not isinstance(data, Mapping):
            raise ScenarioFileError(
                f"{where}: Objekt erwartet, gefunden {type_de(data)}.", file=source
            )
        if data.get("format", FORMAT) != FORMAT:
            bad(f"Feld „format“: „{FORMAT}“ erwartet.")
        version = data.get("version")
        if isinstance(version, bool) or not isinstance(version, int):
            bad("Feld „version“: ganze Zahl erwartet.")
        elif version > SCHEMA_VERSION:
            raise ScenarioFileError(
                f"{where} stammt aus einer neueren Programmversion (Format {version}, unterstützt "
                f"bis {SCHEMA_VERSION}); bitte Nahraum aktualisieren.",
                file=source,
            )
        elif version < 1:
            bad(f"Feld „version“: {version} ist keine gültige Version.")
        known = {
            "format",
            "version",
            "name",
            "region",
            "params",
            "description",
            "created",
            "modified",
            "next_number",
            "changes",
            "pins",
        }
        for k in data:
            if k not in known:
                bad(f"Unbekanntes Feld „{k}“.")
        changes, pins = [], []
        for key, build, label, out in (
            ("changes", Change.from_dict, "Änderung", changes),
            ("pins", Pin.from_dict, "Pin", pins),
        ):
            items = data.get(key, [])
            if not isinstance(items, list):
                bad(f"Feld „{key}“: Liste erwartet, gefunden {type_de(items)}.")
                continue
            for i, item in enumerate(items, start=1):
                kind = item.get("type") if isinstance(item, Mapping) else None
                tag = f"{label} {i}" + (f" ({kind})" if isinstance(kind, str) else "")
                try:
                    out.append(build(item))
                except InputError as exc:
                    bad(f"{tag}: {exc.message}")
                except (TypeError, ValueError) as exc:
                    bad(f"{tag}: ungültige Angaben ({exc}).")
        scenario = None
        if not problems:
            try:
                kw = {
                    k: data[k]
                    for k in (
                        "region",
                        "params",
                        "description",
                        "created",
                        "modified",
                        "next_number",
                    )
                    if k in data
                }
                for k in ("created", "modified"):
                    kw[k] = check_text(kw.get(k), k, 40)
                scenario = cls(
                    name=data.get("name"), changes=tuple(changes), pins=tuple(pins), **kw
                )
            except InputError as exc:
                bad(exc.message)
        if scenario is not None:
            problems.extend(dataclasses.replace(p, file=source) for p in scenario.problems(extent))
        if problems:
            raise ScenarioFileError(
                f"{where} ist fehlerhaft: "
                + "; ".join(p.message for p in problems[:5])
                + (" …" if len(problems) > 5 else ""),
                problems,
                file=source,
            )
        return scenario

    @classmethod
    def from_json(
        cls, text: str | bytes, *, source: str | None = None, extent: Extent | None = None
    ) -> Scenario:
        return cls.from_dict(load_json(text, source), source=source, extent=extent)


def _reject_constant(name: str):
    raise ValueError(f"ungültiger Zahlenwert {name}")


def strict_json(text: str) -> Any:
    """``json.loads`` that refuses ``NaN`` and ``Infinity`` (ValueError)."""
    return json.loads(text, parse_constant=_reject_constant)


def load_json(text: str | bytes, source: str | None) -> Any:
    """The JSON of a scenario file or upload (UTF-8); ScenarioFileError naming ``source``."""
    where = f"Szenario-Datei „{source}“" if source else "Szenario"
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")
        return strict_json(text)
    except UnicodeDecodeError as exc:
        raise ScenarioFileError(
            f"{where} ist beschädigt: keine UTF-8-Textdatei (Byte {exc.start}).", file=source
        ) from exc
    except (ValueError, RecursionError) as exc:
        detail = (
            f"Zeile {exc.lineno}, Spalte {exc.colno}: {exc.msg}"
            if isinstance(exc, json.JSONDecodeError)
            else str(exc)
        )
        raise ScenarioFileError(
            f"{where} ist beschädigt (kein gültiges JSON, {detail}).", file=source
        ) from exc


# ---------------------------------------------------------------------------
# Region extent (validation of positions)
# ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Extent:
    """Where scenario positions may lie: the region outline plus a buffer (EPSG:3035)."""

    geometry: shapely.Geometry
    region: str | None = None
    label: str = "der Region"

    def __post_init__(self) -> None:
        shapely.prepare(self.geometry)

    @classmethod
    def from_region(cls, region: Any, buffer_m: float = settings.REGION_BUFFER_M) -> Extent:
        """Outline of ``region`` buffered by ``buffer_m`` (default ``REGION_BUFFER_M``).

        The outline is simplified by a twentieth of the buffer first (250 m of 5 km: the
        band's edge moves by at most that; thueringen's buffer takes 15 ms instead of
        0.2 s at 50 m)."""
        outline = getattr(region, "outline", None)
        if outline is None:
            outline = shapely.union_all(region.gemeinden.geometry.values)
        tolerance = max(50.0, float(buffer_m) / 20.0)
        geom = shapely.simplify(outline, tolerance).buffer(buffer_m, quad_segs=4)
        return cls(
            geom,
            getattr(region, "name", None),
            f"der Region (mit {de_decimal(buffer_m / 1000, 1)} km Rand)",
        )

    def contains(self, x: float, y: float) -> bool:
        return bool(shapely.contains_xy(self.geometry, float(x), float(y)))


# ---------------------------------------------------------------------------
# Undo / redo
# ---------------------------------------------------------------------------
class ScenarioHistory:
    """Undo/redo over scenario states; one per app session (``st.session_state``).

    Parameters
    ----------
    scenario : Scenario
        The starting state.
    on_change : callable(new, previous), optional
        Called after every change, undo and redo (auto-save). If it raises,
        the history returns to the previous state and the error propagates. If it
        returns a scenario (the stored state merged with another session's edits),
        that becomes the current state.
    extent : Extent, optional
        New states with positions outside it are refused (InputError).
    max_steps : int
        Undo depth.
    on_steps : callable(history), optional
        Called after every successful change, undo and redo with the history itself
        (the store keeps the undo/redo steps, so they survive a reload).
    """

    def __init__(
        self,
        scenario: Scenario,
        on_change: Callable[[Scenario, Scenario], Scenario | None] | None = None,
        extent: Extent | None = None,
        max_steps: int = settings.SCENARIO_UNDO_STEPS,
        on_steps: Callable[[ScenarioHistory], None] | None = None,
    ):
        if not isinstance(scenario, Scenario):
            raise InputError("ScenarioHistory braucht ein Scenario.")
        self._states: list[Scenario] = [scenario]
        self._index = 0
        self.on_change = on_change
        self.extent = extent
        self.max_steps = max(1, int(max_steps))
        self.on_steps = on_steps

    @classmethod
    def restored(cls, states: list[Scenario], index: int, **kw: Any) -> ScenarioHistory:
        """A history with earlier undo/redo steps (``states[index]`` is the current one)."""
        if not states or not 0 <= index < len(states):
            raise InputError("Verlauf: mindestens ein Stand und ein gültiger Index erwartet.")
        history = cls(states[index], **kw)
        history._states = list(states)[-(history.max_steps + 1) :]
        history._index = index - (len(states) - len(history._states))
        if history._index < 0:
            history._states, history._index = [states[index]], 0
        return history

    @property
    def states(self) -> tuple[Scenario, ...]:
        """Every state of the undo/redo steps, oldest first."""
        return tuple(self._states)

    @property
    def index(self) -> int:
        """Position of the current state in :attr:`states`."""
        return self._index

    @property
    def current(self) -> Scenario:
        return self._states[self._index]

    @property
    def can_undo(self) -> bool:
        return self._index > 0

    @property
    def can_redo(self) -> bool:
        return self._index < len(self._states) - 1

    def _notify(self, old: Scenario, rollback: Callable[[], None]) -> None:
        if self.on_change is not None:
            try:
                stored = self.on_change(self.current, old)
            except BaseException:
                rollback()
                raise
            if isinstance(stored, Scenario) and stored is not self.current:
                self._states[self._index] = stored
        if self.on_steps is not None:
            self.on_steps(self)

    def do(self, scenario: Scenario) -> Scenario:
        """Make ``scenario`` the current state (drops the redo steps)."""
        if not isinstance(scenario, Scenario):
            raise InputError("Nur ein Scenario kann der neue Stand sein.")
        problems = scenario.problems(self.extent)
        if problems:
            raise InputError(problems[0].message, problems)
        old, old_states, old_index = self.current, list(self._states), self._index
        self._states = self._states[: self._index + 1] + [scenario]
        if len(self._states) > self.max_steps + 1:
            self._states = self._states[-(self.max_steps + 1) :]
        self._index = len(self._states) - 1

        def rollback() -> None:
            self._states, self._index = old_states, old_index

        self._notify(old, rollback)
        return self.current

    def undo(self) -> Scenario:
        if not self.can_undo:
            raise InputError("Es gibt nichts rückgängig zu machen.")
        return self._step(-1)

    def redo(self) -> Scenario:
        if not self.can_redo:
            raise InputError("Es gibt nichts wiederherzustellen.")
        return self._step(+1)

    def _step(self, delta: int) -> Scenario:
        old, old_index = self.current, self._index
        self._index += delta

        def rollback() -> None:
            self._index = old_index

        self._notify(old, rollback)
        return self.current

    def reset(self, scenario: Scenario) -> Scenario:
        """Start over from ``scenario`` (e.g. after loading another one); no callback."""
        self._states, self._index = [scenario], 0
        return scenario

    # conveniences for the app
    def add(self, change: Change) -> Scenario:
        return self.do(self.current.with_change(change))

    def edit(self, change: Change) -> Scenario:
        return self.do(self.current.replacing(change))

    def remove(self, change_id: str) -> Scenario:
        return self.do(self.current.without_change(change_id))

    def add_pin(self, pin: Pin) -> Scenario:
        return self.do(self.current.with_pin(pin))

    def edit_pin(self, pin_id: str, **fields: Any) -> Scenario:
        return self.do(self.current.editing_pin(pin_id, **fields))

    def remove_pin(self, pin_id: str) -> Scenario:
        return self.do(self.current.without_pin(pin_id))

    def rename(self, name: str) -> Scenario:
        return self.do(self.current.renamed(name))

    def __len__(self) -> int:
        return len(self._states)


# ---------------------------------------------------------------------------
# Applying a scenario to the service list
# ---------------------------------------------------------------------------
def _kind_row(
    change: PlannedService,
    site_id: str,
    x: float,
    y: float,
    capacity: float | None,
    scenario: Scenario,
    text: str,
    hours: float | None = None,
    weekdays: tuple[str, ...] = (),
    place: str = "",
) -> dict:
    groups = ", ".join(settings.TARGET_GROUPS[g].label_de for g in change.target_groups)
    return {
        "id": site_id,
        "name": change.name,
        "category": change.category,
        "subcategory": change.subcategory or None,
        "town": place or None,
        "capacity": np.nan if capacity is None else float(capacity),
        "opening_hours": None if hours is None else f"{de_decimal(hours, 1)} h/Woche",
        "outreach_days": _weekday_text(weekdays) or None,
        "target_groups": groups or None,
        "source": f"Szenario „{scenario.name}“",
        "status": "geplant",
        "category_source": "scenario",
        "precision": "coordinates",
        "geocode_note": "im Szenario gesetzt",
        "scenario_change": text,
        "change_id": change.id,
        "_x": x,
        "_y": y,
    }


@dataclass
class Resolved:
    """The outcome of a scenario's changes on a status quo (before building tables).

    Rows refer to the ``ids``/``xy`` given to :func:`resolve`.
    """

    alive: np.ndarray  # status-quo rows kept
    moved: dict[int, tuple[float, float]]  # status-quo row → new position
    text: np.ndarray  # scenario_change of status-quo rows (None = untouched)
    change_id: np.ndarray
    planned: dict[str, dict]  # new sites in order: _kind_row dicts with _x/_y
    skipped: list[str]


def resolve(ids: np.ndarray, xy: np.ndarray, scenario: Scenario, strict: bool = True) -> Resolved:
    """Apply the changes in order to status-quo ids and positions (NaN = no location).

    The shared core of :func:`apply` and of :mod:`geo.compare` (which works on arrays).
    """
    pos: dict[str, int] = {}
    for i, s in enumerate(ids):
        pos.setdefault(s, i)
    n = len(ids)
    alive = np.ones(n, dtype=bool)
    moved: dict[int, tuple[float, float]] = {}
    text = np.full(n, None, dtype=object)
    cid = np.full(n, None, dtype=object)
    planned: dict[str, dict] = {}
    skipped: list[str] = []

    def where(site: str) -> tuple[float, float]:
        if site in planned:
            return planned[site]["_x"], planned[site]["_y"]
        i = pos.get(site)
        if i is None or not alive[i]:
            raise InputError(f"Standort „{site}“ gibt es nicht (mehr).")
        if i in moved:
            return moved[i]
        if not (math.isfinite(xy[i, 0]) and math.isfinite(xy[i, 1])):
            raise InputError(f"Standort „{site}“ hat keine Koordinaten.")
        return float(xy[i, 0]), float(xy[i, 1])

    for k, change in enumerate(scenario.changes, start=1):
        try:
            if isinstance(change, AddSite):
                planned[change.id] = _kind_row(
                    change,
                    change.id,
                    change.x,
                    change.y,
                    change.capacity,
                    scenario,
                    change.describe(),
                )
            elif isinstance(change, OutreachDay):
                x, y = (change.x, change.y) if change.at_site is None else where(change.at_site)
                full = settings.DEFAULT_CAPACITY if change.capacity is None else change.capacity
                planned[change.id] = _kind_row(
                    change,
                    change.id,
                    x,
                    y,
                    full * change.share,
                    scenario,
                    change.describe(),
                    change.hours,
                    change.weekdays,
                    change.place,
                )
            elif isinstance(change, MobileService):
                full = settings.DEFAULT_CAPACITY if change.capacity is None else change.capacity
                for j, (site, stop) in enumerate(
                    zip(change.site_ids(), change.stops, strict=True), start=1
                ):
                    days = f", {_weekday_text(stop.weekdays)}" if stop.weekdays else ""
                    label = (
                        f"Mobiles Angebot „{change.name}“: Halt {j} von "
                        f"{len(change.stops)}{days}, {de_decimal(stop.hours, 1)} h/Woche"
                    )
                    planned[site] = _kind_row(
                        change,
                        site,
                        stop.x,
                        stop.y,
                        full * stop.hours / settings.FULL_TIME_HOURS,
                        scenario,
                        label,
                        stop.hours,
                        stop.weekdays,
                        stop.place,
                    )
            elif isinstance(change, MoveSite):
                x0, y0 = where(change.service_id)
                km = math.hypot(change.x - x0, change.y - y0) / 1000
                label = f"Verlegt um {de_decimal(km, 2)} km"
                if change.service_id in planned:
                    row = planned[change.service_id]
                    row.update(
                        _x=change.x,
                        _y=change.y,
                        scenario_change=row["scenario_change"] + f"; {label}",
                        change_id=change.id,
                    )
                else:
                    i = pos[change.service_id]
                    moved[i] = (change.x, change.y)
                    text[i] = label if text[i] is None else f"{text[i]}; {label}"
                    cid[i] = change.id
            elif isinstance(change, CloseSite):
                where(change.service_id)
                if change.service_id in planned:
                    del planned[change.service_id]
                else:
                    alive[pos[change.service_id]] = False
            elif isinstance(change, DenserTrips):
                pass  # acts on the timetable (geo.transit_lever.apply_scenario)
            else:  # pragma: no cover - all types handled above
                raise InputError(f"Unbekannte Art der Änderung {type(change).__name__}.")
        except InputError as exc:
            msg = f"Änderung {k} ({change.describe()}): {exc.message}"
            if strict:
                raise InputError(msg) from exc
            skipped.append(msg)
    return Resolved(alive, moved, text, cid, planned, skipped)


def ids_xy(services: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Ids (text) and (n, 2) positions of a service list; NaN where a site has no location."""
    if "id" not in services.columns:
        raise InputError("Die Angebotsliste braucht eine Spalte „id“.")
    ids = services["id"].astype(str).to_numpy(dtype=object)
    g = services.geometry.values
    bad = shapely.is_missing(g) | shapely.is_empty(g)
    xy = np.full((len(services), 2), np.nan)
    if (~bad).any():
        xy[~bad, 0], xy[~bad, 1] = shapely.get_x(g[~bad]), shapely.get_y(g[~bad])
    return ids, xy


def apply(
    services: gpd.GeoDataFrame, scenario: Scenario, *, strict: bool = True
) -> gpd.GeoDataFrame:
    """The service list after the scenario's changes, in order.

    Closed sites are dropped; moved sites keep their id and get the new
    position (precision ``"coordinates"``); added sites, outreach days and
    mobile stops are appended with ids ``plan-N`` (``plan-N-k``). The
    columns ``scenario_change`` (German description, empty for untouched
    rows), ``change_id`` and ``category_source`` (``"scenario"`` for added
    rows: they count as provision whatever their status) are added; lat/lon
    follow the geometry.

    Parameters
    ----------
    services : GeoDataFrame
        Status quo (``region.services``, EPSG:3035) with an ``id`` column.
    scenario : Scenario
    strict : bool
        Raise InputError for a change that refers to an unknown or closed
        site; otherwise skip it (listed in ``result.attrs["skipped"]``).
    """
    base = services
    res = resolve(*ids_xy(base), scenario, strict)
    alive, moved = res.alive, res.moved
    gname = base.geometry.name
    out = base.loc[alive] if not alive.all() else base.copy()
    out["scenario_change"] = res.text[alive]
    out["change_id"] = res.change_id[alive]
    columns = set(out.columns)
    if moved:
        rows = np.flatnonzero(alive)
        sel = np.array([i for i in rows if i in moved], dtype=np.int64)
        loc = np.searchsorted(rows, sel)
        xy = np.array([moved[i] for i in sel], dtype=float)
        values = out[gname].values.copy()
        values[loc] = shapely.points(xy)
        out[gname] = gpd.GeoSeries(values, index=out.index, crs=base.crs)
        lon, lat = to_lonlat(xy[:, 0], xy[:, 1])
        for col, v in (("lon", lon), ("lat", lat)):
            if col in out.columns:
                out.iloc[loc, out.columns.get_loc(col)] = v
        if "precision" in out.columns:
            out.iloc[loc, out.columns.get_loc("precision")] = "coordinates"
    if res.planned:
        rows = [dict(r) for r in res.planned.values()]
        xy = np.array([[r.pop("_x"), r.pop("_y")] for r in rows], dtype=float)
        lon, lat = to_lonlat(xy[:, 0], xy[:, 1])
        new = pd.DataFrame(rows)
        new["lon"], new["lat"] = lon, lat
        new = new[[c for c in new.columns if c in columns or c == "category_source"]]
        new[gname] = shapely.points(xy)
        out = gpd.GeoDataFrame(
            pd.concat([pd.DataFrame(out), new], ignore_index=True), geometry=gname, crs=base.crs
        )
    else:
        out = out.reset_index(drop=True)
    out.attrs["skipped"] = res.skipped
    out.attrs["scenario"] = scenario.name
    return out


def changes_frame(services: gpd.GeoDataFrame, scenario: Scenario) -> gpd.GeoDataFrame:
    """The sites a scenario touches (added, moved, outreach, mobile stops and closed).

    For the map: columns id, name, category, subcategory, capacity, change_id,
    change_type, scenario_change, geometry (closed sites at their old position).
    """
    after = apply(services, scenario, strict=False)
    touched = after.loc[after["change_id"].notna()].copy()
    types = {sid: c.TYPE for c in scenario.changes for sid in c.site_ids()}
    touched["change_type"] = [types.get(i, "move_site") for i in touched["id"].astype(str)]
    closed_ids = [c.service_id for c in scenario.changes if isinstance(c, CloseSite)]
    closed = services.loc[services["id"].astype(str).isin(closed_ids)].copy()
    closed["change_id"] = [
        next(c.id for c in scenario.changes if isinstance(c, CloseSite) and c.service_id == i)
        for i in closed["id"].astype(str)
    ]
    closed["change_type"] = "close_site"
    closed["scenario_change"] = "geschlossen"
    cols = [
        "id",
        "name",
        "category",
        "subcategory",
        "capacity",
        "change_id",
        "change_type",
        "scenario_change",
    ]
    frames = [
        f[[c for c in cols if c in f.columns] + [f.geometry.name]]
        for f in (touched, closed)
        if len(f)
    ]
    if not frames:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=gpd.GeoSeries([], crs=services.crs))
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=services.crs)


def pins_frame(scenario: Scenario) -> gpd.GeoDataFrame:
    """The participants' pins for the map and exports (EPSG:3035).

    Columns id, kind, label (German), text (verbatim: escape when rendering), created,
    geometry.
    """
    pins = scenario.pins
    return gpd.GeoDataFrame(
        {
            "id": [p.id for p in pins],
            "kind": [p.kind for p in pins],
            "label": [p.label for p in pins],
            "text": [p.text for p in pins],
            "created": [p.created for p in pins],
        },
        geometry=shapely.points(np.array([[p.x, p.y] for p in pins], dtype=float).reshape(-1, 2)),
        crs=settings.CRS_METRIC,
    )


__all__ = [
    "Change",
    "PlannedService",
    "AddSite",
    "MoveSite",
    "CloseSite",
    "OutreachDay",
    "MobileService",
    "MobileStop",
    "Pin",
    "Scenario",
    "ScenarioHistory",
    "ScenarioFileError",
    "Extent",
    "Resolved",
    "apply",
    "changes_frame",
    "pins_frame",
    "resolve",
    "resolve_kind",
    "ids_xy",
    "check_name",
    "check_number",
    "load_json",
    "strict_json",
    "now_iso",
    "to_lonlat",
    "to_xy",
    "CHANGE_TYPES",
    "DenserTrips",
    "SCHEMA_VERSION",
    "FORMAT",
]
