"""Planning scenarios for workshop mode: changes, undo/redo, applying, comparison.

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

    from geo.scenario_store import ScenarioStore
    store = ScenarioStore.for_session(session_id, extent=Extent.from_region(region))
    history = store.open("Variante Nord")            # loads or creates; auto-saves
    history.add(AddSite.at(lon=10.86, lat=51.26, name="Familienzentrum", category="Familie"))
    cmp = compare(region, params, history.current, base_result=base)   # ~5 ms
    cmp.totals["newly_within"], cmp.gemeinden, cmp.cells               # figures, before/after map
    history.undo()

``compare`` reuses the status-quo result and updates only what a change
touches (incremental path, equal to a full :func:`geo.analysis.analyze` of the
changed service list; see ``docs/scenarios.md``).

Storage and exchange build on this module: :mod:`geo.scenario_store` keeps
named scenarios as JSON files per session (damaged files moved aside), and
:mod:`geo._scenario_io` writes and reads GeoJSON and GeoPackage.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import importlib
import json
import math
import re
import time
import unicodedata
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from . import analysis, indicators, settings, traveltime
from ._errors import InputError, Problem
from ._text import de_decimal, de_number
from .network import to_lonlat, to_xy

SCHEMA_VERSION = 1
FORMAT = "nahraum-scenario"
#: Per-cell change classes of the before/after map.
CELL_CHANGES: dict[str, str] = {
    "newly_within": "neu erreichbar",
    "newly_beyond": "nicht mehr erreichbar",
    "faster": "schneller",
    "slower": "langsamer",
    "unchanged": "unverändert",
}
#: Minutes below which a change of the nearest time counts as "unchanged".
MINUTES_EPS = 0.05


class ScenarioFileError(InputError):
    """A scenario file or upload is damaged or does not fit; the message is German."""

    def __init__(self, message: str, problems: list[Problem] | None = None,
                 file: str | None = None, moved_to: str | None = None):
        super().__init__(message, problems)
        self.file = file
        self.moved_to = moved_to


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------
def now_iso() -> str:
    """The current time (UTC) as an ISO timestamp in seconds: created/modified stamps."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _type_de(value: Any) -> str:
    return {bool: "Wahrheitswert", str: "Text", list: "Liste", tuple: "Liste", dict: "Objekt",
            type(None): "leer"}.get(type(value), type(value).__name__)


def check_number(value: Any, what: str, *, lo: float | None = None, hi: float | None = None,
                 lo_open: bool = False, optional: bool = False) -> float | None:
    """A finite float from a JSON number (no strings, no booleans); InputError naming ``what``."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError(f"{what}: Zahl erwartet, gefunden {_type_de(value)} ({value!r:.40}).")
    v = float(value)
    if not math.isfinite(v):
        raise InputError(f"{what}: keine gültige Zahl ({value}).")
    if lo is not None and (v <= lo if lo_open else v < lo):
        raise InputError(f"{what}: muss {'größer als' if lo_open else 'mindestens'} "
                         f"{de_decimal(lo, 1)} sein (angegeben: {de_decimal(v, 3)}).")
    if hi is not None and v > hi:
        raise InputError(f"{what}: höchstens {de_decimal(hi, 1)} "
                         f"(angegeben: {de_decimal(v, 3)}).")
    return v


def _text(value: Any, what: str, max_len: int = 200, *, required: bool = False,
          strip: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InputError(f"{what}: Text erwartet, gefunden {_type_de(value)}.")
    text = value.strip() if strip else value
    if required and not text.strip():
        raise InputError(f"{what}: darf nicht leer sein.")
    if len(text) > max_len:
        raise InputError(f"{what}: höchstens {max_len} Zeichen (angegeben: {len(text)}).")
    return text


def _codes(value: Any, allowed: Mapping[str, Any], what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [v for v in re.split(r"[,;]\s*", value) if v.strip()]
    if not isinstance(value, (list, tuple)):
        raise InputError(f"{what}: Liste erwartet, gefunden {_type_de(value)}.")
    out = []
    for v in value:
        if not isinstance(v, str) or v.strip() not in allowed:
            raise InputError(f"{what}: unbekannter Eintrag {v!r} (möglich: {', '.join(allowed)}).")
        out.append(v.strip())
    return tuple(dict.fromkeys(out))


def resolve_kind(category: str | None, subcategory: str | None = None) -> tuple[str, str]:
    """Category code and subcategory of a planned site.

    ``category`` may be a code or label of ``settings.CATEGORIES``; without it,
    the category follows from the subcategory (``settings.SUBCATEGORY_RULES``).
    """
    cat = _text(category, "Kategorie", 60)
    sub = _text(subcategory, "Angebotsart", 200)
    if cat:
        key = cat.casefold()
        for code, c in settings.CATEGORIES.items():
            if key in (code.casefold(), c.label_de.casefold(), c.label_en.casefold()):
                return code, sub
        raise InputError(f"Kategorie: unbekannt „{cat}“ (möglich: {', '.join(settings.CATEGORIES)}).")
    if sub:
        for keyword, code in settings.SUBCATEGORY_RULES:
            if keyword in sub.casefold():
                return code, sub
        raise InputError(f"Angebotsart „{sub}“: keine Kategorie bekannt, bitte eine Kategorie "
                         f"angeben ({', '.join(settings.CATEGORIES)}).")
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
        put(self, "id", _text(self.id, "id", 40))
        put(self, "created", _text(self.created, "created", 40))

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
            raise InputError(f"Objekt erwartet, gefunden {_type_de(data)}.")
        kind = data.get("type")
        cls = CHANGE_TYPES.get(kind) if isinstance(kind, str) else None
        if cls is None:
            raise InputError(f"Unbekannte Art der Änderung „{kind}“ "
                             f"(möglich: {', '.join(CHANGE_TYPES)}).")
        return _construct(cls, data, ignore=("type",))


def _construct(cls, data: Mapping, ignore: tuple[str, ...] = ()):
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [k for k in data if k not in fields and k not in ignore]
    if unknown:
        raise InputError(f"Unbekanntes Feld „{unknown[0]}“.")
    missing = [n for n, f in fields.items() if n not in data
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
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
        put(self, "name", _text(self.name, "Name", 200, required=True))
        cat, sub = resolve_kind(self.category, self.subcategory)
        put(self, "category", cat)
        put(self, "subcategory", sub)
        put(self, "target_groups", _codes(self.target_groups, settings.TARGET_GROUPS, "Zielgruppen"))
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
    def at(cls, *, x: float | None = None, y: float | None = None, lon: float | None = None,
           lat: float | None = None, **kw) -> AddSite:
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
        object.__setattr__(self, "service_id", _text(self.service_id, "Angebots-id", 80,
                                                     required=True))
        x, y = _position(self.x, self.y, None, None, "Neuer Standort")
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)

    @classmethod
    def to(cls, service_id: str, *, x: float | None = None, y: float | None = None,
           lon: float | None = None, lat: float | None = None, **kw) -> MoveSite:
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
        object.__setattr__(self, "service_id", _text(self.service_id, "Angebots-id", 80,
                                                     required=True))

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
        put(self, "weekdays", _codes(self.weekdays, settings.WEEKDAYS, "Wochentage"))
        put(self, "place", _text(self.place, "Ort", 200))
        at = _text(self.at_site, "Ort (Angebots-id)", 80) or None
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
        return (f"Außensprechtag „{self.name}“ ({self.kind_label}) {where}{days}: "
                f"{de_decimal(self.hours, 1)} h/Woche, Kapazität anteilig "
                f"{de_decimal(self.hours, 1)}/{de_decimal(settings.FULL_TIME_HOURS, 1)}")


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
        put(self, "weekdays", _codes(self.weekdays, settings.WEEKDAYS, "Wochentage"))
        put(self, "place", _text(self.place, "Ort", 200))

    @classmethod
    def at(cls, *, x: float | None = None, y: float | None = None, lon: float | None = None,
           lat: float | None = None, **kw) -> MobileStop:
        px, py = _position(x, y, lon, lat, "Halt")
        return cls(x=px, y=py, **kw)

    def to_dict(self) -> dict:
        return {"x": self.x, "y": self.y, "hours": self.hours, "weekdays": list(self.weekdays),
                "place": self.place}


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
            raise InputError(f"Halte: höchstens {settings.MOBILE_MAX_STOPS} (angegeben: "
                             f"{len(stops)}).")
        if not all(isinstance(s, MobileStop) for s in stops):
            raise InputError("Halte: jeder Halt braucht Position und Stunden.")
        object.__setattr__(self, "stops", tuple(stops))

    def site_ids(self) -> tuple[str, ...]:
        return tuple(f"{self.id}-{i}" for i in range(1, len(self.stops) + 1))

    def points(self) -> list[tuple[float, float]]:
        return [(s.x, s.y) for s in self.stops]

    def describe(self) -> str:
        hours = sum(s.hours for s in self.stops)
        return (f"Mobiles Angebot „{self.name}“ ({self.kind_label}): {len(self.stops)} Halte, "
                f"{de_decimal(hours, 1)} h/Woche")


CHANGE_TYPES: dict[str, type[Change]] = {
    c.TYPE: c for c in (AddSite, MoveSite, CloseSite, OutreachDay, MobileService)}


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
            raise InputError(f"Pin-Art: unbekannt {self.kind!r} (möglich: "
                             f"{', '.join(settings.PIN_KINDS)}).")
        put(self, "text", _text(self.text, "Pin-Text", settings.PIN_TEXT_MAX, strip=False))
        put(self, "id", _text(self.id, "Pin-id", 40))
        put(self, "created", _text(self.created, "created", 40))

    @classmethod
    def at(cls, *, x: float | None = None, y: float | None = None, lon: float | None = None,
           lat: float | None = None, **kw) -> Pin:
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
            raise InputError(f"Objekt erwartet, gefunden {_type_de(data)}.")
        return _construct(Pin, data)


# ---------------------------------------------------------------------------
# Scenario
# ---------------------------------------------------------------------------
def check_name(name: Any) -> str:
    """A valid scenario name (NFC, no control characters), else InputError."""
    text = _text(name, "Name des Szenarios", settings.SCENARIO_NAME_MAX, required=True)
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
        put(self, "description", _text(self.description, "Beschreibung", 2000, strip=False))
        if self.region is not None:
            put(self, "region", _text(self.region, "Region", 120))
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
        used = [_number_of(getattr(c, "id", ""), prefix) for c in self.changes] + \
               [_number_of(getattr(p, "id", ""), "pin-") for p in self.pins]
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
                raise InputError(f"Änderung {i}: keine Änderung ({_type_de(c)}).")
            if not c.id:
                raise InputError(f"Änderung {i}: id fehlt (mit Scenario.with_change hinzufügen).")
            if c.id in ids:
                raise InputError(f"Änderung {i}: id „{c.id}“ kommt doppelt vor.")
            ids.add(c.id)
            for ref in c.refers_to():
                if ref.startswith(settings.PLAN_ID_PREFIX) and ref not in created:
                    raise InputError(f"Änderung {i} ({c.describe()}): der geplante Standort "
                                     f"„{ref}“ wird erst später oder nie angelegt.")
                if ref in closed:
                    raise InputError(f"Änderung {i} ({c.describe()}): der Standort „{ref}“ "
                                     "ist zu diesem Zeitpunkt schon geschlossen.")
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
        return self._replace(changes=tuple(change if c.id == change.id else c
                                           for c in self.changes))

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
                    out.append(Problem(f"Änderung {i} ({c.describe()}): Position ({x:.0f}, "
                                       f"{y:.0f}) liegt außerhalb {extent.label}."))
        for i, p in enumerate(self.pins, start=1):
            if not extent.contains(p.x, p.y):
                out.append(Problem(f"Pin {i}: Position ({p.x:.0f}, {p.y:.0f}) liegt außerhalb "
                                   f"{extent.label}."))
        if extent.region and self.region and extent.region != self.region:
            out.insert(0, Problem(f"Das Szenario gehört zur Region „{self.region}“, geöffnet ist "
                                  f"„{extent.region}“."))
        return out

    def to_dict(self) -> dict:
        return {"format": FORMAT, "version": SCHEMA_VERSION, "name": self.name,
                "region": self.region, "params": self.params, "description": self.description,
                "created": self.created, "modified": self.modified,
                "next_number": self.next_number,
                "changes": [c.to_dict() for c in self.changes],
                "pins": [p.to_dict() for p in self.pins]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, allow_nan=False)

    @classmethod
    def from_dict(cls, data: Any, *, source: str | None = None,
                  extent: Extent | None = None) -> Scenario:
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
            raise ScenarioFileError(f"{where}: Objekt erwartet, gefunden {_type_de(data)}.",
                                    file=source)
        if data.get("format", FORMAT) != FORMAT:
            bad(f"Feld „format“: „{FORMAT}“ erwartet.")
        version = data.get("version")
        if isinstance(version, bool) or not isinstance(version, int):
            bad("Feld „version“: ganze Zahl erwartet.")
        elif version > SCHEMA_VERSION:
            raise ScenarioFileError(
                f"{where} stammt aus einer neueren Programmversion (Format {version}, unterstützt "
                f"bis {SCHEMA_VERSION}); bitte Nahraum aktualisieren.", file=source)
        elif version < 1:
            bad(f"Feld „version“: {version} ist keine gültige Version.")
        known = {"format", "version", "name", "region", "params", "description", "created",
                 "modified", "next_number", "changes", "pins"}
        for k in data:
            if k not in known:
                bad(f"Unbekanntes Feld „{k}“.")
        changes, pins = [], []
        for key, build, label, out in (("changes", Change.from_dict, "Änderung", changes),
                                       ("pins", Pin.from_dict, "Pin", pins)):
            items = data.get(key, [])
            if not isinstance(items, list):
                bad(f"Feld „{key}“: Liste erwartet, gefunden {_type_de(items)}.")
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
                kw = {k: data[k] for k in ("region", "params", "description", "created",
                                           "modified", "next_number") if k in data}
                for k in ("created", "modified"):
                    kw[k] = _text(kw.get(k), k, 40)
                scenario = cls(name=data.get("name"), changes=tuple(changes), pins=tuple(pins),
                               **kw)
            except InputError as exc:
                bad(exc.message)
        if scenario is not None:
            problems.extend(dataclasses.replace(p, file=source) for p in scenario.problems(extent))
        if problems:
            raise ScenarioFileError(f"{where} ist fehlerhaft: " + "; ".join(
                p.message for p in problems[:5]) + (" …" if len(problems) > 5 else ""),
                problems, file=source)
        return scenario

    @classmethod
    def from_json(cls, text: str | bytes, *, source: str | None = None,
                  extent: Extent | None = None) -> Scenario:
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
        raise ScenarioFileError(f"{where} ist beschädigt: keine UTF-8-Textdatei (Byte "
                                f"{exc.start}).", file=source) from exc
    except (ValueError, RecursionError) as exc:
        detail = (f"Zeile {exc.lineno}, Spalte {exc.colno}: {exc.msg}"
                  if isinstance(exc, json.JSONDecodeError) else str(exc))
        raise ScenarioFileError(f"{where} ist beschädigt (kein gültiges JSON, {detail}).",
                                file=source) from exc


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
        """Outline of ``region`` buffered by ``buffer_m`` (default ``REGION_BUFFER_M``)."""
        outline = getattr(region, "outline", None)
        if outline is None:
            outline = shapely.union_all(region.gemeinden.geometry.values)
        geom = shapely.simplify(outline, 50.0).buffer(buffer_m, quad_segs=4)
        return cls(geom, getattr(region, "name", None),
                   f"der Region (mit {de_decimal(buffer_m / 1000, 1)} km Rand)")

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
        the history returns to the previous state and the error propagates.
    extent : Extent, optional
        New states with positions outside it are refused (InputError).
    max_steps : int
        Undo depth.
    """

    def __init__(self, scenario: Scenario,
                 on_change: Callable[[Scenario, Scenario], None] | None = None,
                 extent: Extent | None = None, max_steps: int = settings.SCENARIO_UNDO_STEPS):
        if not isinstance(scenario, Scenario):
            raise InputError("ScenarioHistory braucht ein Scenario.")
        self._states: list[Scenario] = [scenario]
        self._index = 0
        self.on_change = on_change
        self.extent = extent
        self.max_steps = max(1, int(max_steps))

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
        if self.on_change is None:
            return
        try:
            self.on_change(self.current, old)
        except BaseException:
            rollback()
            raise

    def do(self, scenario: Scenario) -> Scenario:
        """Make ``scenario`` the current state (drops the redo steps)."""
        if not isinstance(scenario, Scenario):
            raise InputError("Nur ein Scenario kann der neue Stand sein.")
        problems = scenario.problems(self.extent)
        if problems:
            raise InputError(problems[0].message, problems)
        old, old_states, old_index = self.current, list(self._states), self._index
        self._states = self._states[:self._index + 1] + [scenario]
        if len(self._states) > self.max_steps + 1:
            self._states = self._states[-(self.max_steps + 1):]
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
def _kind_row(change: PlannedService, site_id: str, x: float, y: float, capacity: float | None,
              scenario: Scenario, text: str, hours: float | None = None,
              weekdays: tuple[str, ...] = (), place: str = "") -> dict:
    groups = ", ".join(settings.TARGET_GROUPS[g].label_de for g in change.target_groups)
    return {"id": site_id, "name": change.name, "category": change.category,
            "subcategory": change.subcategory or None, "town": place or None,
            "capacity": np.nan if capacity is None else float(capacity),
            "opening_hours": None if hours is None else f"{de_decimal(hours, 1)} h/Woche",
            "outreach_days": _weekday_text(weekdays) or None,
            "target_groups": groups or None, "source": f"Szenario „{scenario.name}“",
            "status": "geplant", "category_source": "scenario", "precision": "coordinates",
            "geocode_note": "im Szenario gesetzt", "scenario_change": text,
            "change_id": change.id, "_x": x, "_y": y}


@dataclass
class _Resolved:
    """The outcome of a scenario's changes on a status quo (before building tables)."""

    alive: np.ndarray  # status-quo rows kept
    moved: dict[int, tuple[float, float]]  # status-quo row → new position
    text: np.ndarray  # scenario_change of status-quo rows (None = untouched)
    change_id: np.ndarray
    planned: dict[str, dict]  # new sites in order: _kind_row dicts with _x/_y
    skipped: list[str]


def _resolve(ids: np.ndarray, xy: np.ndarray, scenario: Scenario, strict: bool = True
             ) -> _Resolved:
    """Apply the changes in order to status-quo ids and positions (NaN = no location)."""
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
                planned[change.id] = _kind_row(change, change.id, change.x, change.y,
                                               change.capacity, scenario, change.describe())
            elif isinstance(change, OutreachDay):
                x, y = (change.x, change.y) if change.at_site is None else where(change.at_site)
                full = settings.DEFAULT_CAPACITY if change.capacity is None else change.capacity
                planned[change.id] = _kind_row(
                    change, change.id, x, y, full * change.share, scenario, change.describe(),
                    change.hours, change.weekdays, change.place)
            elif isinstance(change, MobileService):
                full = settings.DEFAULT_CAPACITY if change.capacity is None else change.capacity
                for j, (site, stop) in enumerate(zip(change.site_ids(), change.stops,
                                                     strict=True), start=1):
                    days = f", {_weekday_text(stop.weekdays)}" if stop.weekdays else ""
                    label = (f"Mobiles Angebot „{change.name}“: Halt {j} von "
                             f"{len(change.stops)}{days}, {de_decimal(stop.hours, 1)} h/Woche")
                    planned[site] = _kind_row(
                        change, site, stop.x, stop.y,
                        full * stop.hours / settings.FULL_TIME_HOURS, scenario, label,
                        stop.hours, stop.weekdays, stop.place)
            elif isinstance(change, MoveSite):
                x0, y0 = where(change.service_id)
                km = math.hypot(change.x - x0, change.y - y0) / 1000
                label = f"Verlegt um {de_decimal(km, 2)} km"
                if change.service_id in planned:
                    row = planned[change.service_id]
                    row.update(_x=change.x, _y=change.y, scenario_change=row["scenario_change"]
                               + f"; {label}", change_id=change.id)
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
            else:  # pragma: no cover - all types handled above
                raise InputError(f"Unbekannte Art der Änderung {type(change).__name__}.")
        except InputError as exc:
            msg = f"Änderung {k} ({change.describe()}): {exc.message}"
            if strict:
                raise InputError(msg) from exc
            skipped.append(msg)
    return _Resolved(alive, moved, text, cid, planned, skipped)


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


def apply(services: gpd.GeoDataFrame, scenario: Scenario, *, strict: bool = True
          ) -> gpd.GeoDataFrame:
    """The service list after the scenario's changes, in order.

    Closed sites are dropped; moved sites keep their id and get the new
    position (precision ``"coordinates"``); added sites, outreach days and
    mobile stops are appended with ids ``plan-N`` (``plan-N-k``). The
    columns ``scenario_change`` (German description, empty for untouched
    rows) and ``change_id`` are added; lat/lon follow the geometry.

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
    res = _resolve(*ids_xy(base), scenario, strict)
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
        new = new[[c for c in new.columns if c in columns]]
        new[gname] = shapely.points(xy)
        out = gpd.GeoDataFrame(pd.concat([pd.DataFrame(out), new], ignore_index=True),
                               geometry=gname, crs=base.crs)
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
    closed["change_id"] = [next(c.id for c in scenario.changes if isinstance(c, CloseSite)
                                and c.service_id == i) for i in closed["id"].astype(str)]
    closed["change_type"] = "close_site"
    closed["scenario_change"] = "geschlossen"
    cols = ["id", "name", "category", "subcategory", "capacity", "change_id", "change_type",
            "scenario_change"]
    frames = [f[[c for c in cols if c in f.columns] + [f.geometry.name]]
              for f in (touched, closed) if len(f)]
    if not frames:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=gpd.GeoSeries(
            [], crs=services.crs))
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=services.crs)


def pins_frame(scenario: Scenario) -> gpd.GeoDataFrame:
    """The participants' pins for the map and exports (EPSG:3035).

    Columns id, kind, label (German), text (verbatim: escape when rendering), created,
    geometry.
    """
    pins = scenario.pins
    return gpd.GeoDataFrame(
        {"id": [p.id for p in pins], "kind": [p.kind for p in pins],
         "label": [p.label for p in pins], "text": [p.text for p in pins],
         "created": [p.created for p in pins]},
        geometry=shapely.points(np.array([[p.x, p.y] for p in pins], dtype=float).reshape(-1, 2)),
        crs=settings.CRS_METRIC)


# ---------------------------------------------------------------------------
# Comparison with the status quo
# ---------------------------------------------------------------------------
@dataclass
class _State:
    """Everything the measures need for one service selection (incremental updates)."""

    ids: np.ndarray  # object, unique
    xy: np.ndarray  # (m, 2)
    capacity: np.ndarray  # (m,)
    minutes: np.ndarray  # (n,)
    nearest: np.ndarray  # (n,) index into ids, -1 = none
    catchment: sp.csr_matrix  # (n, m) minutes within the threshold

    @classmethod
    def from_result(cls, result: analysis.AnalysisResult) -> _State | None:
        svc = result.services
        ids = svc["id"].astype(str).to_numpy(dtype=object) if "id" in svc.columns else None
        if ids is None or len(set(ids)) != len(ids):
            return None
        sid = result.cells["service_id"]
        cat = getattr(sid, "cat", None)
        if cat is not None and list(cat.categories) == list(ids):
            nearest = cat.codes.to_numpy(dtype=np.int64)
        else:
            nearest = pd.Index(ids).get_indexer(sid.astype(object).where(sid.notna(), None))
        return cls(ids, analysis.points_xy(svc), svc["capacity_used"].to_numpy(dtype=float),
                   result.cells["minutes"].to_numpy(dtype=float), np.asarray(nearest, np.int64),
                   sp.csr_matrix(result.catchment))


def _update(state: _State, ids: np.ndarray, xy: np.ndarray, cap: np.ndarray,
            cells_xy: np.ndarray, params: analysis.AnalysisParams, net: Any) -> _State | None:
    """The state for the selected sites (ids, positions, capacity used), recomputing
    only the sites that differ from ``state``; None if ids are not unique."""
    if len(set(ids)) != len(ids):
        return None
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    old = {s: i for i, s in enumerate(state.ids)}
    kept_old, kept_new, added = [], [], []
    for j, s in enumerate(ids):
        i = old.get(s)
        if i is not None and state.xy[i, 0] == xy[j, 0] and state.xy[i, 1] == xy[j, 1] \
                and state.capacity[i] == cap[j]:
            kept_old.append(i)
            kept_new.append(j)
        else:
            added.append(j)
    kept_old_a = np.asarray(kept_old, dtype=np.int64)
    added_a = np.asarray(added, dtype=np.int64)
    n_kept, n = kept_old_a.size, len(cells_xy)
    T, mode = params.threshold_min, params.mode
    # catchment: kept columns + new columns
    identity = n_kept == state.ids.size and bool((kept_old_a == np.arange(n_kept)).all())
    cols = state.catchment if identity else state.catchment[:, kept_old_a]
    if added_a.size:
        new_cols = traveltime.catchment_matrix(cells_xy, xy[added_a], mode, T, net)
        cols = sp.hstack([cols, new_cols], format="csr")
    catchment = sp.csr_matrix(cols)
    catchment.sort_indices()
    # nearest: drop removed sites, then the added ones compete
    remap = np.full(state.ids.size + 1, -1, dtype=np.int64)
    remap[kept_old_a] = np.arange(n_kept)
    nearest = np.where(state.nearest >= 0, remap[state.nearest], -1)
    minutes = state.minutes.copy()
    lost = (state.nearest >= 0) & (nearest < 0)
    if lost.any():
        if n_kept:
            f = traveltime.nearest_field(cells_xy[lost], xy[np.asarray(kept_new, np.int64)],
                                         mode, net)
            minutes[lost], nearest[lost] = f.minutes, f.nearest
        else:
            minutes[lost], nearest[lost] = np.inf, -1
    if added_a.size:
        f = traveltime.nearest_field(cells_xy, xy[added_a], mode, net)
        better = f.minutes < minutes
        minutes[better] = f.minutes[better]
        nearest[better] = n_kept + f.nearest[better]
    order = np.concatenate([np.asarray(kept_new, np.int64), added_a])
    assert catchment.shape == (n, order.size)
    return _State(ids[order], xy[order] if order.size else np.empty((0, 2)), cap[order],
                  minutes, nearest, catchment)


#: Service columns of ``Comparison.selection``.
LIGHT_COLUMNS: tuple[str, ...] = ("id", "name", "category", "subcategory", "capacity",
                                  "precision")


@dataclass(eq=False)
class _Sites:
    """A service list as arrays (what the measures need), before or after a scenario."""

    ids: np.ndarray
    names: np.ndarray
    category: np.ndarray
    subcategory: np.ndarray
    precision: np.ndarray
    capacity: np.ndarray  # raw: NaN = unknown
    xy: np.ndarray  # NaN = no location
    text: np.ndarray
    change_id: np.ndarray

    @classmethod
    def from_services(cls, services: gpd.GeoDataFrame) -> _Sites:
        ids, xy = ids_xy(services)
        n = len(services)

        def col(name: str) -> np.ndarray:
            if name not in services.columns:
                return np.full(n, None, dtype=object)
            v = services[name]
            return v.astype(object).where(v.notna(), None).to_numpy(dtype=object)

        cap = (pd.to_numeric(services["capacity"], errors="coerce").to_numpy(dtype=float)
               if "capacity" in services.columns else np.full(n, np.nan))
        none = np.full(n, None, dtype=object)
        return cls(ids, col("name"), col("category"), col("subcategory"), col("precision"), cap,
                   xy, none, none.copy())

    def after(self, scenario: Scenario, strict: bool = True) -> _Sites:
        """The sites after the scenario (same semantics as :func:`apply`)."""
        res = _resolve(self.ids, self.xy, scenario, strict)
        idx = np.flatnonzero(res.alive)
        xy, prec = self.xy[idx].copy(), self.precision[idx].copy()
        for i, p in res.moved.items():
            j = int(np.searchsorted(idx, i))
            xy[j], prec[j] = p, "coordinates"
        rows = list(res.planned.values())

        def cat(a: np.ndarray, key: str) -> np.ndarray:
            return np.concatenate([a, np.array([r[key] for r in rows], dtype=object)])

        return _Sites(
            cat(self.ids[idx], "id"), cat(self.names[idx], "name"),
            cat(self.category[idx], "category"), cat(self.subcategory[idx], "subcategory"),
            np.concatenate([prec, np.full(len(rows), "coordinates", dtype=object)]),
            np.concatenate([self.capacity[idx], np.array([r["capacity"] for r in rows],
                                                         dtype=float)]),
            np.concatenate([xy, np.array([[r["_x"], r["_y"]] for r in rows],
                                         dtype=float).reshape(-1, 2)]),
            cat(res.text[idx], "scenario_change"), cat(res.change_id[idx], "change_id"))

    def selected(self, kinds: tuple[str, ...]) -> np.ndarray:
        """Rows ``analysis.service_selection`` would keep (located, of the kinds)."""
        located = np.isfinite(self.xy).all(axis=1) & (self.precision != "not_found")
        return located & _kind_mask(kinds, self.category, self.subcategory)

    def frame(self, mask: np.ndarray) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(
            {"id": self.ids[mask], "name": self.names[mask], "category": self.category[mask],
             "subcategory": self.subcategory[mask], "capacity": self.capacity[mask],
             "precision": self.precision[mask], "scenario_change": self.text[mask],
             "change_id": self.change_id[mask]},
            geometry=shapely.points(self.xy[mask]), crs=settings.CRS_METRIC)


_KIND_CACHE: dict[tuple, frozenset] = {}


def _kind_mask(kinds: tuple[str, ...], category: np.ndarray, subcategory: np.ndarray
               ) -> np.ndarray:
    """Kind filter of ``analysis.service_selection``, evaluated once per distinct
    (category, subcategory) pair set and cached (a kind that matches nothing: empty)."""
    pairs = list(zip((c if isinstance(c, str) else None for c in category),
                     (c if isinstance(c, str) else None for c in subcategory), strict=True))
    distinct = tuple(dict.fromkeys(pairs))
    key = (kinds, distinct)
    hit = _KIND_CACHE.get(key)
    if hit is None:
        probe = gpd.GeoDataFrame(
            {"category": [p[0] for p in distinct], "subcategory": [p[1] for p in distinct],
             "precision": "coordinates"},
            geometry=shapely.points(np.zeros((len(distinct), 2))), crs=settings.CRS_METRIC)
        try:
            chosen = analysis.service_selection(probe, kinds).index
        except InputError:
            chosen = []
        hit = frozenset(distinct[i] for i in chosen)
        if len(_KIND_CACHE) > 512:
            _KIND_CACHE.clear()
        _KIND_CACHE[key] = hit
    return np.fromiter((p in hit for p in pairs), dtype=bool, count=len(pairs))
#: Figures compared per Gemeinde and for the region (before, after, delta).
FIGURES: tuple[str, ...] = ("people_within", "share_within", "people_unreachable",
                            "minutes_mean", "gap", "2sfca_mean", "e2sfca_mean")


def _figures(codes: np.ndarray, n: int, people: np.ndarray, minutes: np.ndarray,
             within: np.ndarray, a2: np.ndarray, ae: np.ndarray, gap: np.ndarray
             ) -> dict[str, np.ndarray]:
    """Per-group sums and means as in ``analysis`` (2SFCA arrays per 1,000 already)."""
    ok = codes >= 0
    g = codes[ok]

    def tot(v):
        return np.bincount(g, weights=np.asarray(v, dtype=float)[ok], minlength=n)[:n]

    def div(a, b):
        out = np.full(n, np.nan)
        np.divide(a, b, out=out, where=b > 0)
        return out

    reach = np.isfinite(minutes)
    people_all = tot(people)
    p_within = tot(people * within)
    return {
        "people": people_all,
        "people_within": p_within,
        "share_within": div(p_within, people_all),
        "people_unreachable": tot(people * ~reach),
        "minutes_mean": div(tot(people * np.where(reach, minutes, 0.0)), tot(people * reach)),
        "gap": tot(gap),
        "2sfca_mean": div(tot(people * a2), people_all),
        "e2sfca_mean": div(tot(people * ae), people_all),
    }


@dataclass(eq=False)
class Comparison:
    """A scenario against the status quo.

    Attributes
    ----------
    scenario : Scenario
    params : AnalysisParams
    totals : dict
        Region figures: ``people``, ``newly_within``, ``newly_beyond`` and, for
        each of ``FIGURES``, ``<fig>_before``, ``<fig>_after``, ``<fig>_delta``;
        ``services_before``/``services_after`` (selected sites).
    gemeinden : DataFrame
        The same per Gemeinde (``ags``, ``name`` first; order of ``region.gemeinden``).
    cells : DataFrame
        Per cell (index of ``region.cells``): x, y, ags, people, minutes_before,
        minutes_after, minutes_delta (NaN unless both finite), within_before,
        within_after, change (``CELL_CHANGES`` label), count_before/after,
        2sfca_before/after, e2sfca_before/after, gap_before/after, service_id_after.
    selection : GeoDataFrame
        The selected services after the scenario (what the measures used):
        ``LIGHT_COLUMNS`` + scenario_change, change_id, geometry.
    services : GeoDataFrame
        The whole service list after the scenario (property, all columns).
    base : AnalysisResult
        The status quo.
    method : str
        ``"incremental"`` or ``"full"``.
    metadata : dict
        Parameters, model, scenario, notes (changes without effect), timings (ms).
    """

    scenario: Scenario
    params: analysis.AnalysisParams
    totals: dict
    gemeinden: pd.DataFrame
    cells: pd.DataFrame
    base: analysis.AnalysisResult
    method: str
    metadata: dict
    _after: _State | None = field(default=None, repr=False)
    _status_quo: gpd.GeoDataFrame | None = field(default=None, repr=False)
    _sites: _Sites | None = field(default=None, repr=False)
    _mask: np.ndarray | None = field(default=None, repr=False)
    _services: gpd.GeoDataFrame | None = field(default=None, repr=False)
    _selection: gpd.GeoDataFrame | None = field(default=None, repr=False)

    @property
    def selection(self) -> gpd.GeoDataFrame:
        """The selected services after the scenario (computed on first use)."""
        if self._selection is None:
            self._selection = self._sites.frame(self._mask)
        return self._selection

    @property
    def services(self) -> gpd.GeoDataFrame:
        """The whole service list after the scenario (:func:`apply`, computed on first use)."""
        if self._services is None:
            self._services = apply(self._status_quo, self.scenario)
        return self._services

    def headline(self) -> str:
        """German one-line summary for the workshop screen."""
        t = self.totals
        unit = settings.TARGET_GROUPS[self.params.target].unit_de
        T = de_decimal(self.params.threshold_min, 1)
        share = (f"{de_decimal(100 * (t['share_within_before'] or 0), 1)} % → "
                 f"{de_decimal(100 * (t['share_within_after'] or 0), 1)} %")
        text = (f"+{analysis.count_text(t['newly_within'])} {unit} neu innerhalb von {T} min "
                f"(Anteil {share})")
        if t["newly_beyond"] >= 0.5:
            text += f", {analysis.count_text(t['newly_beyond'])} {unit} nicht mehr"
        return text


def with_services(region: Any, services: gpd.GeoDataFrame) -> Any:
    """A shallow copy of ``region`` whose ``services`` are replaced (for ``analyze``)."""
    out = copy.copy(region)
    out.services = services
    return out


def _weights_key(need_weights: Mapping[str, float] | None) -> dict | None:
    return None if need_weights is None else {str(k): float(v) for k, v in need_weights.items()}


def _base_ok(base: Any, region: Any, params: analysis.AnalysisParams,
             need_weights: Mapping[str, float] | None = None) -> bool:
    """Whether ``base`` is the status quo of ``region`` for ``params`` and ``need_weights``."""
    if not (isinstance(base, analysis.AnalysisResult) and base.params == params
            and len(base.cells) == len(region.cells)):
        return False
    if base.metadata.get("content_hash") != (getattr(region, "meta", None) or {}).get(
            "content_hash"):
        return False
    used = (base.metadata.get("need_weighting") or {}).get("weights")
    return used == _weights_key(need_weights)


_CELL_KEYS = ("minutes", "within", "count", "2sfca", "e2sfca", "gap")
_FIGURE_KEYS = ("minutes", "within", "2sfca", "e2sfca", "gap")


@dataclass(eq=False)
class _BaseCache:
    """What every comparison against one status-quo result shares."""

    people: np.ndarray
    cells_xy: np.ndarray
    codes: np.ndarray
    zeros: np.ndarray
    ags: np.ndarray
    names: np.ndarray
    before: dict
    figures: dict
    region_figures: dict
    state: _State | None
    services: gpd.GeoDataFrame | None = None
    sites: _Sites | None = None

    def status_quo(self, services: gpd.GeoDataFrame) -> _Sites:
        if self.sites is None or self.services is not services:
            self.services, self.sites = services, _Sites.from_services(services)
        return self.sites


_BASE_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _base_cache(base: analysis.AnalysisResult, region: Any) -> _BaseCache:
    hit = _BASE_CACHE.get(base)
    gem = region.gemeinden
    if hit is not None and len(hit.ags) == len(gem):
        return hit
    bc = base.cells
    people = bc["people"].to_numpy(dtype=float)
    before = {k: bc[k].to_numpy() for k in _CELL_KEYS}
    before["minutes"] = before["minutes"].astype(float)
    before["within"] = before["within"].astype(bool)
    codes = np.asarray(pd.Index(gem["ags"].astype(str)).get_indexer(bc["ags"].astype(str)),
                       dtype=np.int64)
    zeros = np.zeros(len(people), dtype=np.int64)
    args = [before[k] for k in _FIGURE_KEYS]
    hit = _BaseCache(people, bc[["x", "y"]].to_numpy(dtype=float), codes, zeros,
                     gem["ags"].astype(str).to_numpy(dtype=object),
                     gem["name"].astype(str).to_numpy(dtype=object), before,
                     _figures(codes, len(gem), people, *args), _figures(zeros, 1, people, *args),
                     _State.from_result(base))
    _BASE_CACHE[base] = hit
    return hit


def compare(region: Any, params: analysis.AnalysisParams, scenario: Scenario,
            networks: Mapping[str, Any] | None = None,
            base_result: analysis.AnalysisResult | None = None, *,
            previous: Comparison | None = None, incremental: bool = True,
            need_weights: Mapping[str, float] | None = None) -> Comparison:
    """Compare a scenario with the status quo.

    Parameters
    ----------
    region : Region
    params : AnalysisParams
    scenario : Scenario
    networks : mapping mode → Network, optional
        As for :func:`geo.analysis.analyze` (fallback without).
    base_result : AnalysisResult, optional
        The status quo for ``params`` (computed when missing or not matching).
    previous : Comparison, optional
        An earlier comparison with the same parameters and status quo: only the
        sites that differ from it are recomputed (workshop: one change at a time).
    incremental : bool
        False forces a full :func:`geo.analysis.analyze` of the changed list.
    need_weights : mapping AGS → weight, optional
        As for :func:`geo.analysis.analyze`: the gap score of each cell is
        multiplied by its Gemeinde's weight (before and after alike).

    Returns
    -------
    Comparison
    """
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    if not isinstance(params, analysis.AnalysisParams):
        raise TypeError("params must be an AnalysisParams")
    base = base_result if _base_ok(base_result, region, params, need_weights) else \
        analysis.analyze(region, params, networks, need_weights)
    b = _base_cache(base, region)
    timings["base_ms"] = (time.perf_counter() - t0) * 1000
    t1 = time.perf_counter()
    status_quo = region.services
    sq = b.status_quo(status_quo)
    sites = sq.after(scenario)
    mask = sites.selected(params.kinds)
    people = b.people
    T = params.threshold_min
    state = None
    if incremental or not mask.any():
        start = b.state
        if previous is not None and previous.base is base and previous._after is not None \
                and previous.params == params:
            start = previous._after
        if start is not None:
            cap = analysis.service_capacity(pd.DataFrame({"capacity": sites.capacity[mask]}))[0]
            state = _update(start, sites.ids[mask], sites.xy[mask], cap, b.cells_xy, params,
                            (networks or {}).get(params.mode))
    if state is not None:
        m = analysis.cell_measures(state.minutes, state.catchment, people, state.capacity, T,
                                   params.decay, params.gap_cap_factor)
        per = settings.ACCESS_PER_PEOPLE
        gap = m.gap if need_weights is None else m.gap * indicators.cell_weights(
            base.cells["ags"].astype(str).to_numpy(), need_weights)
        after = {"minutes": m.minutes, "within": m.within, "count": m.count,
                 "2sfca": m.access_2sfca * per, "e2sfca": m.access_e2sfca * per, "gap": gap}
        ids = state.ids
        service_after = pd.Categorical.from_codes(
            state.nearest, categories=pd.Index(ids, dtype="str")) if len(ids) else \
            pd.Categorical([None] * len(people), categories=pd.Index([], dtype="str"))
        method = "incremental"
    else:
        res = analysis.analyze(with_services(region, apply(status_quo, scenario)), params,
                               networks, need_weights)
        after = {k: res.cells[k].to_numpy() for k in _CELL_KEYS}
        service_after = res.cells["service_id"].array
        method = "full"
    timings["scenario_ms"] = (time.perf_counter() - t1) * 1000
    before, codes, n_gem = b.before, b.codes, len(b.ags)
    fb, rb = b.figures, b.region_figures
    fa = _figures(codes, n_gem, people, *(after[k] for k in _FIGURE_KEYS))
    ra = _figures(b.zeros, 1, people, *(after[k] for k in _FIGURE_KEYS))
    wb, wa = before["within"], after["within"].astype(bool)
    new_in, new_out = people * (wa & ~wb), people * (wb & ~wa)
    ok = codes >= 0

    def by_gem(v):
        return np.bincount(codes[ok], weights=v[ok], minlength=n_gem)[:n_gem]

    table = {"ags": b.ags, "name": b.names, "people": fb["people"],
             "newly_within": by_gem(new_in), "newly_beyond": by_gem(new_out)}
    totals: dict[str, Any] = {"people": float(rb["people"][0]),
                              "newly_within": float(new_in.sum()),
                              "newly_beyond": float(new_out.sum())}
    for f in FIGURES:
        table[f"{f}_before"], table[f"{f}_after"] = fb[f], fa[f]
        table[f"{f}_delta"] = fa[f] - fb[f]
        for suffix, v in (("before", rb[f][0]), ("after", ra[f][0]),
                          ("delta", ra[f][0] - rb[f][0])):
            totals[f"{f}_{suffix}"] = analysis.json_value(v)
    totals["services_before"] = int(len(base.services))
    totals["services_after"] = int(mask.sum())
    gemeinden = pd.DataFrame(table, index=region.gemeinden.index)

    mb, ma = before["minutes"], after["minutes"].astype(float)
    fin_b, fin_a = np.isfinite(mb), np.isfinite(ma)
    both = fin_b & fin_a
    delta = np.where(both, ma - np.where(both, mb, 0.0), np.nan)
    change = np.full(len(people), 4, dtype=np.int8)  # codes of CELL_CHANGES
    change[(both & (delta < -MINUTES_EPS)) | (~fin_b & fin_a)] = 2
    change[(both & (delta > MINUTES_EPS)) | (fin_b & ~fin_a)] = 3
    change[wa & ~wb] = 0
    change[wb & ~wa] = 1
    bc = base.cells
    out_cells = pd.DataFrame({
        "x": bc["x"].to_numpy(), "y": bc["y"].to_numpy(), "ags": bc["ags"].array,
        "people": people, "minutes_before": mb, "minutes_after": ma, "minutes_delta": delta,
        "within_before": wb, "within_after": wa,
        "change": pd.Categorical.from_codes(change, categories=list(CELL_CHANGES.values())),
        "count_before": before["count"], "count_after": after["count"],
        "2sfca_before": before["2sfca"], "2sfca_after": after["2sfca"],
        "e2sfca_before": before["e2sfca"], "e2sfca_after": after["e2sfca"],
        "gap_before": before["gap"], "gap_after": after["gap"],
        "service_id_after": service_after,
    }, index=bc.index)

    notes = _no_effect_notes(scenario, sq, set(sites.ids[mask]), base, params)
    timings["total_ms"] = (time.perf_counter() - t0) * 1000
    metadata = {
        "scenario": scenario.name, "region": getattr(region, "name", None),
        "params": params.to_dict(), "model": base.model, "method": method,
        "method_label": "inkrementell (nur geänderte Standorte neu berechnet)"
        if method == "incremental" else "vollständige Neuberechnung",
        "changes": [c.describe() for c in scenario.changes], "notes": notes,
        "timings": {k: round(v, 2) for k, v in timings.items()},
        "need_weighting": base.metadata.get("need_weighting"),
        "sources": base.metadata.get("sources", []),
    }
    return Comparison(scenario, params, totals, gemeinden, out_cells, base, method, metadata,
                      state, status_quo, sites, mask)


def _no_effect_notes(scenario: Scenario, sq: _Sites, selected: set[str],
                     base: analysis.AnalysisResult, params: analysis.AnalysisParams) -> list[str]:
    """German notes on changes that do not touch the selected kind of service."""
    prefix = settings.PLAN_ID_PREFIX
    probe = selected
    if any(isinstance(c, CloseSite) and c.service_id.startswith(prefix)
           for c in scenario.changes):  # judge closed planned sites as if they stayed open
        kept = tuple(c for c in scenario.changes
                     if not (isinstance(c, CloseSite) and c.service_id.startswith(prefix)))
        opened = sq.after(dataclasses.replace(scenario, changes=kept), strict=False)
        probe = set(opened.ids[opened.selected(params.kinds)])
    base_ids = set(base.services["id"].astype(str)) if "id" in base.services else set()
    notes = []
    for c in scenario.changes:
        sites = set(c.site_ids()) or set(c.refers_to())
        known = {s for s in sites if s.startswith(prefix)} & probe | (sites & base_ids)
        if sites and not known:
            notes.append(f"{c.describe()}: nicht in der gewählten Angebotsart, ohne Wirkung "
                         "auf die Kennzahlen")
    return notes


def comparison_table(comparison: Comparison, suppress: bool = True) -> pd.DataFrame:
    """Planner-facing table per Gemeinde plus a region row (German labels, rounded).

    Counts of people are whole numbers, 1–2 shown as ``"<3"`` with ``suppress``;
    shares in percent.
    """
    c = comparison
    total = {"ags": "", "name": "Region insgesamt", "people": c.totals["people"],
             "newly_within": c.totals["newly_within"], "newly_beyond": c.totals["newly_beyond"]}
    for f in FIGURES:
        for s in ("before", "after", "delta"):
            v = c.totals[f"{f}_{s}"]
            total[f"{f}_{s}"] = np.nan if v is None else v
    df = pd.concat([c.gemeinden, pd.DataFrame([total])], ignore_index=True)
    unit = settings.TARGET_GROUPS[c.params.target].unit_de
    T = de_decimal(c.params.threshold_min, 1)
    counts = ["people", "newly_within", "newly_beyond", "people_within_before",
              "people_within_after", "people_unreachable_before", "people_unreachable_after"]
    for col in ("share_within_before", "share_within_after", "share_within_delta"):
        df[col] = np.round(df[col].to_numpy(dtype=float) * 100, 1)
    for col in ("minutes_mean_before", "minutes_mean_after", "minutes_mean_delta"):
        df[col] = np.round(df[col].to_numpy(dtype=float), 1)
    for col in ("2sfca_mean_before", "2sfca_mean_after", "2sfca_mean_delta",
                "e2sfca_mean_before", "e2sfca_mean_after", "e2sfca_mean_delta"):
        df[col] = np.round(df[col].to_numpy(dtype=float), 3)
    for col in ("gap_before", "gap_after", "gap_delta", "people_within_delta",
                "people_unreachable_delta"):
        df[col] = np.round(df[col].to_numpy(dtype=float))
    if suppress:
        df = analysis.suppress_small(df, counts)
    else:
        for col in counts:
            df[col] = np.round(df[col].to_numpy(dtype=float))
    per = de_number(settings.ACCESS_PER_PEOPLE, 0)
    labels = {
        "ags": "AGS", "name": "Gemeinde", "people": f"Zielgruppe ({unit})",
        "newly_within": f"neu bis {T} min ({unit})",
        "newly_beyond": f"nicht mehr bis {T} min ({unit})",
        "people_within_before": f"bis {T} min vorher ({unit})",
        "people_within_after": f"bis {T} min nachher ({unit})",
        "people_within_delta": f"bis {T} min Änderung ({unit})",
        "share_within_before": "Anteil erreichbar vorher (%)",
        "share_within_after": "Anteil erreichbar nachher (%)",
        "share_within_delta": "Anteil erreichbar Änderung (Prozentpunkte)",
        "people_unreachable_before": f"ohne erreichbares Angebot vorher ({unit})",
        "people_unreachable_after": f"ohne erreichbares Angebot nachher ({unit})",
        "people_unreachable_delta": f"ohne erreichbares Angebot Änderung ({unit})",
        "minutes_mean_before": "Fahrzeit Mittel vorher (min)",
        "minutes_mean_after": "Fahrzeit Mittel nachher (min)",
        "minutes_mean_delta": "Fahrzeit Mittel Änderung (min)",
        "gap_before": "Lückenwert vorher", "gap_after": "Lückenwert nachher",
        "gap_delta": "Lückenwert Änderung",
        "2sfca_mean_before": f"2SFCA vorher (je {per})",
        "2sfca_mean_after": f"2SFCA nachher (je {per})",
        "2sfca_mean_delta": f"2SFCA Änderung (je {per})",
        "e2sfca_mean_before": f"E2SFCA vorher (je {per})",
        "e2sfca_mean_after": f"E2SFCA nachher (je {per})",
        "e2sfca_mean_delta": f"E2SFCA Änderung (je {per})",
    }
    df = df[list(labels)].rename(columns=labels)
    df.attrs.update(title=f"Szenario „{c.scenario.name}“ im Vergleich zum Bestand",
                    model=c.base.model, params=c.params.to_dict(),
                    changes=list(c.metadata["changes"]), notes=list(c.metadata["notes"]))
    return df


# ---------------------------------------------------------------------------
# Names that moved to geo.scenario_store and geo._scenario_io
# ---------------------------------------------------------------------------
#: Those modules import this one, so it cannot import them at load time; the
#: names are looked up on first use for callers of ``geo.scenario.ScenarioStore``
#: and the like (new code imports them from their module).
_MOVED = {
    **dict.fromkeys(("ScenarioStore", "ScenarioInfo", "session_folder", "file_stem",
                     "DAMAGED_MARK"), "scenario_store"),
    **dict.fromkeys(("to_geojson", "export_scenario", "geopackage_bytes", "import_scenario",
                     "SITE_COLUMNS", "SITE_TYPES", "META_KEYS"), "_scenario_io"),
}


def __getattr__(name: str) -> Any:
    module = _MOVED.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__package__}.{module}"), name)


__all__ = [
    "Change", "PlannedService", "AddSite", "MoveSite", "CloseSite", "OutreachDay",
    "MobileService", "MobileStop", "Pin", "Scenario", "ScenarioHistory", "ScenarioFileError",
    "Extent", "Comparison", "apply", "changes_frame", "pins_frame", "compare",
    "comparison_table", "with_services", "resolve_kind", "ids_xy", "check_name", "check_number",
    "load_json", "strict_json", "now_iso", "to_lonlat", "to_xy", "CHANGE_TYPES",
    "CELL_CHANGES", "FIGURES", "SCHEMA_VERSION", "FORMAT",
]
