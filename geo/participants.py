"""Participants' input in a workshop: join codes, an append-only event log, the board.

Participants join a workshop from their phones with a short join code (:func:`new_code`)
and drop pins or vote. Every write is one line appended to the workshop's event log
(:class:`EventLog`, ``<workshop folder>/teilnahme.jsonl``) under an ``fcntl`` lock, so
concurrent writers (the participant server, two facilitator tabs, other processes) never
overwrite each other: nothing is last-write-wins. :class:`Board` folds the log into the
current pins (status, merges, vote counts) and reads only the bytes appended since its
last look. The log holds times, kinds, texts and positions, never who wrote them (no
address, no browser, no client token).

:class:`JoinRegistry` maps codes to open workshops (expiry, closing); :class:`RateLimiter`
counts writes per phone. No HTTP here: ``ui/participant_server.py`` serves the pages.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from . import settings
from ._checks import check_number, check_text
from ._errors import InputError
from .network import to_lonlat
from .scenario import Extent, Pin, now_iso

STATUSES = ("open", "hidden", "approved", "merged")
EVENT_TYPES = ("open", "close", "pin", "vote", "status", "merge", "publish")
_TAIL_BYTES = 16384  # a log line is far shorter (body limit), so the last one is in here


class CodeError(InputError):
    """A join code is unknown, closed or expired (``status``: HTTP status to answer with)."""

    def __init__(self, message: str, status: int = 404):
        super().__init__(message)
        self.status = status


def new_code(length: int | None = None, alphabet: str | None = None) -> str:
    """A random join code without ambiguous characters (``settings.PARTICIPANT_CODE_*``)."""
    alphabet = alphabet or settings.PARTICIPANT_CODE_ALPHABET
    length = length or settings.PARTICIPANT_CODE_LENGTH
    return "".join(secrets.choice(alphabet) for _ in range(length))


def normalise_code(text: Any) -> str | None:
    """The code typed by a participant (case, spaces and dashes ignored), None if malformed."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    code = "".join(ch for ch in text.upper() if ch not in " -_\t")
    ok = len(code) == settings.PARTICIPANT_CODE_LENGTH and all(
        ch in settings.PARTICIPANT_CODE_ALPHABET for ch in code
    )
    return code if ok else None


def clean_text(value: Any) -> str:
    """A participant's pin text: NFC, control characters dropped (newlines kept), limited."""
    text = check_text(value, "Text", 4 * settings.PARTICIPANT_TEXT_MAX)
    text = unicodedata.normalize("NFC", text)
    text = "".join(
        ch for ch in text if ch == "\n" or not unicodedata.category(ch).startswith("C")
    ).strip()
    if len(text) > settings.PARTICIPANT_TEXT_MAX:
        raise InputError(
            f"Text: höchstens {settings.PARTICIPANT_TEXT_MAX} Zeichen (angegeben: {len(text)})."
        )
    return text


def pin_event(payload: Any, area: Any = None) -> dict:
    """The log event of a participant's pin after checking kind, text and position.

    No projection here (a ``pyproj`` transformer is rebuilt in every new server thread,
    a quarter of a second each): the position is checked against ``area`` in WGS84.

    Parameters
    ----------
    payload : mapping
        ``kind`` (a key of ``settings.PIN_KINDS``), ``text``, ``lon``, ``lat`` (WGS84).
    area : shapely geometry, optional
        WGS84 area the pin must lie in (:func:`wgs84_area` of the scenario extent).

    Returns
    -------
    dict
        ``{"t": "pin", "kind", "text", "lon", "lat"}``; InputError (German) otherwise.
    """
    if not isinstance(payload, Mapping):
        raise InputError("Die Anfrage muss ein JSON-Objekt sein.")
    unknown = set(payload) - {"kind", "text", "lon", "lat"}
    if unknown:
        raise InputError(f"Unbekannte Angaben: {', '.join(sorted(map(str, unknown)))}.")
    kind = payload.get("kind")
    if not isinstance(kind, str) or kind not in settings.PIN_KINDS:
        raise InputError("Bitte eine Art des Hinweises wählen.")
    text = clean_text(payload.get("text"))
    lon = float(check_number(payload.get("lon"), "Pin: Länge (lon)", lo=-180, hi=180))  # type: ignore[arg-type]
    lat = float(check_number(payload.get("lat"), "Pin: Breite (lat)", lo=-90, hi=90))  # type: ignore[arg-type]
    if area is not None and not shapely.contains_xy(area, lon, lat):
        raise InputError("Der Punkt liegt außerhalb der Region. Bitte auf der Karte wählen.")
    return {"t": "pin", "kind": kind, "text": text, "lon": round(lon, 6), "lat": round(lat, 6)}


def wgs84_area(extent: Extent | None) -> Any:
    """The scenario extent (EPSG:3035) in WGS84, prepared for quick point checks."""
    if extent is None:
        return None
    area = shapely.transform(extent.geometry, _to_wgs)
    shapely.prepare(area)
    return area


def _to_wgs(coords: np.ndarray) -> np.ndarray:
    lon, lat = to_lonlat(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


class EventLog:
    """Append-only JSON-lines log of one workshop's participant events.

    Each :meth:`append` takes an exclusive ``fcntl`` lock on the file, numbers the
    events (``seq``, continuing from the last line), stamps them (``time``, UTC) and
    writes them with one ``write`` + ``fsync``. A half-written last line (power cut) is
    closed with a newline before the next append and skipped by :meth:`read`.

    Parameters
    ----------
    folder : path
        The workshop folder (``geo.scenario_store.session_folder``).
    """

    def __init__(self, folder: str | os.PathLike):
        self.path = Path(folder) / settings.PARTICIPANT_LOG_NAME

    def _tail(self, fd: int) -> tuple[int, bool]:
        """Last ``seq`` in the file and whether the file ends with a newline."""
        size = os.fstat(fd).st_size
        if size == 0:
            return 0, True
        start = max(0, size - _TAIL_BYTES)
        data = os.pread(fd, size - start, start)
        ends = data.endswith(b"\n")
        for line in reversed(data.split(b"\n")):
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict) and isinstance(obj.get("seq"), int):
                return int(obj["seq"]), ends
        if start == 0:
            return 0, ends
        events, _ = self.read()  # no whole line in the tail: count them all
        return max((e["seq"] for e in events), default=0), ends

    def append(self, *events: Mapping[str, Any]) -> list[dict]:
        """Append events (each with ``t`` in ``EVENT_TYPES``); returns them with seq and time."""
        for e in events:
            if e.get("t") not in EVENT_TYPES:
                raise InputError(f"Unbekannte Art eines Eintrags: {e.get('t')!r}.")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            seq, ends = self._tail(fd)
            if seq + len(events) > settings.PARTICIPANT_MAX_EVENTS:
                raise InputError(
                    "Die Sammlung dieses Workshops ist voll "
                    f"({settings.PARTICIPANT_MAX_EVENTS} Einträge)."
                )
            stamp = now_iso()
            out = [{**e, "seq": seq + i, "time": stamp} for i, e in enumerate(events, start=1)]
            text = "".join(
                json.dumps(o, ensure_ascii=False, separators=(",", ":")) + "\n" for o in out
            )
            data = (b"" if ends else b"\n") + text.encode("utf-8")
            while data:
                data = data[os.write(fd, data) :]
            os.fsync(fd)
            return out
        finally:
            os.close(fd)  # closing releases the lock

    def read(self, offset: int = 0) -> tuple[list[dict], int]:
        """Complete events from byte ``offset`` on, and the offset after the last one."""
        try:
            with self.path.open("rb") as fh:
                fh.seek(offset)
                data = fh.read()
        except FileNotFoundError:
            return [], offset
        end = data.rfind(b"\n") + 1
        events = []
        for line in data[:end].split(b"\n"):
            try:
                obj = json.loads(line)
            except ValueError:
                continue  # empty or half-written line
            if isinstance(obj, dict) and isinstance(obj.get("seq"), int) and "t" in obj:
                events.append(obj)
        return events, offset + end


@dataclass
class BoardPin:
    """One participant pin as the projector shows it."""

    id: str
    seq: int
    time: str
    kind: str
    text: str
    lon: float
    lat: float
    status: str = "open"
    into: str | None = None  # merged into this pin
    votes: int = 0  # own votes (see Board.votes)
    scenario_pin: str = ""  # id of the scenario pin it became (approved)


@dataclass
class BoardSite:
    """A suggested site the facilitator published for voting."""

    id: str
    name: str
    lon: float
    lat: float
    votes: int = 0


@dataclass
class Board:
    """The participants' pins, votes and published sites, folded from the event log."""

    pins: dict[str, BoardPin] = field(default_factory=dict)
    sites: dict[str, BoardSite] = field(default_factory=dict)
    code: str | None = None
    expires: float | None = None
    closed: bool = True
    offset: int = 0
    events: int = 0

    def apply(self, events: Iterable[Mapping[str, Any]]) -> None:
        """Fold events in log order (unknown or malformed ones are skipped)."""
        for e in events:
            try:
                self._apply(e)
            except (KeyError, TypeError, ValueError):
                continue
            self.events += 1

    def _apply(self, e: Mapping[str, Any]) -> None:
        t = e["t"]
        if t == "pin":
            pid = f"t{int(e['seq'])}"
            self.pins[pid] = BoardPin(
                pid, int(e["seq"]), str(e["time"]), str(e["kind"]), str(e["text"]),
                float(e["lon"]), float(e["lat"]),
            )  # fmt: skip
        elif t == "vote":
            target = str(e["target"])
            if target in self.pins:
                self.pins[target].votes += 1
            elif target in self.sites:
                self.sites[target].votes += 1
        elif t == "status" and e["id"] in self.pins and e["status"] in STATUSES:
            pin = self.pins[e["id"]]
            pin.status = str(e["status"])
            pin.scenario_pin = str(e.get("pin") or pin.scenario_pin)
            if pin.status != "merged":
                pin.into = None
        elif t == "merge" and e["id"] in self.pins and e["into"] in self.pins:
            src, dst = self.pins[e["id"]], self.root(str(e["into"]))
            if src.status != "merged" and dst != src.id:  # no cycles: votes stay countable
                src.status, src.into = "merged", dst
        elif t == "publish":
            old = self.sites
            self.sites = {}
            for s in e["sites"]:
                sid = str(s["id"])
                self.sites[sid] = BoardSite(sid, str(s["name"]), float(s["lon"]), float(s["lat"]))
                self.sites[sid].votes = old[sid].votes if sid in old else 0
        elif t == "open":
            self.code, self.expires, self.closed = str(e["code"]), float(e["expires"]), False
        elif t == "close":
            self.closed = True

    def update(self, log: EventLog) -> list[dict]:
        """Read and fold only what was appended since the last update; returns the new events."""
        events, self.offset = log.read(self.offset)
        self.apply(events)
        return events

    def root(self, pin_id: str) -> str:
        """The pin a (possibly merged) pin ends up in."""
        seen = set()
        while (p := self.pins.get(pin_id)) is not None and p.into and pin_id not in seen:
            seen.add(pin_id)
            pin_id = p.into
        return pin_id

    def votes(self) -> dict[str, int]:
        """Vote counts per shown pin, votes of pins merged into it included."""
        out = {pid: 0 for pid, p in self.pins.items() if p.status != "merged"}
        for pid, p in self.pins.items():
            root = self.root(pid)
            if root in out:
                out[root] += p.votes
        return out

    def shown(self, include_hidden: bool = False) -> list[BoardPin]:
        """Pins in log order: open and approved (and hidden ones if asked), never merged."""
        allowed = {"open", "approved"} | ({"hidden"} if include_hidden else set())
        return [p for p in self.pins.values() if p.status in allowed]

    def is_open(self, now: float | None = None) -> bool:
        """True while the workshop is open for participants and its code valid."""
        now = time.time() if now is None else now
        return not self.closed and self.expires is not None and now < self.expires

    def table(self) -> list[dict]:
        """Every pin with time, kind, text, position, votes and status (for the record)."""
        votes = self.votes()
        return [
            {
                "id": p.id,
                "zeit": p.time,
                "art": p.kind,
                "text": p.text,
                "lon": p.lon,
                "lat": p.lat,
                "stimmen": votes.get(p.id, 0),
                "status": p.status,
                "zusammengefasst_in": p.into or "",
                "szenario_pin": p.scenario_pin,
            }
            for p in self.pins.values()
        ]


def scenario_pin(pin: BoardPin) -> Pin:
    """The scenario pin an approved participant pin becomes (kind, text and time kept)."""
    return Pin.at(lon=pin.lon, lat=pin.lat, kind=pin.kind, text=pin.text, created=pin.time)


def outline_geojson(outline: Any, tolerance_m: float | None = None) -> dict:
    """The region outline (EPSG:3035) simplified and in WGS84, as a small GeoJSON geometry."""
    tol = settings.PARTICIPANT_OUTLINE_TOLERANCE_M if tolerance_m is None else tolerance_m
    geom = shapely.simplify(outline, tol, preserve_topology=True)
    wgs = shapely.transform(geom, lambda c: np.round(_to_wgs(c), 5))
    return json.loads(shapely.to_geojson(wgs))


@dataclass
class Workshop:
    """An open workshop as the participant server sees it."""

    code: str
    log: EventLog
    area: Any  # WGS84 area pins must lie in (None: anywhere)
    outline: dict
    expires: float
    board: Board = field(default_factory=Board)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def refresh(self) -> Board:
        """The board with everything appended so far (also by other writers)."""
        with self.lock:
            self.board.update(self.log)
            return self.board


class JoinRegistry:
    """Join codes of the open workshops of this process (thread-safe)."""

    def __init__(self) -> None:
        self._open: dict[str, Workshop] = {}
        self._ended: set[str] = set()
        self._lock = threading.Lock()

    def open(
        self,
        folder: str | os.PathLike,
        extent: Extent | None,
        outline: dict,
        lifetime_s: float | None = None,
    ) -> Workshop:
        """Open a workshop for participants; a still valid code from its log is kept."""
        log = EventLog(folder)
        board = Board()
        board.update(log)
        with self._lock:
            for ws in self._open.values():
                if ws.log.path == log.path and ws.board.is_open():
                    return ws
            if board.is_open() and board.code not in self._open:
                code, expires = str(board.code), float(board.expires or 0)
            else:
                lifetime = (
                    settings.PARTICIPANT_CODE_LIFETIME_S if lifetime_s is None else lifetime_s
                )
                code, expires = self._fresh_code(), time.time() + lifetime
                log.append({"t": "open", "code": code, "expires": expires})
                board.update(log)
            ws = Workshop(code, log, wgs84_area(extent), outline, expires, board)
            self._open[code] = ws
            return ws

    def _fresh_code(self) -> str:
        while (code := new_code()) in self._open or code in self._ended:
            pass
        return code

    def close(self, code: str) -> None:
        """Close the workshop of ``code``: the code stops working at once."""
        with self._lock:
            ws = self._open.pop(code, None)
            self._ended.add(code)
        if ws is not None:
            ws.log.append({"t": "close", "code": code})
            ws.refresh()

    def get(self, text: Any, now: float | None = None) -> Workshop:
        """The open workshop of a typed code; CodeError (German) when unknown or expired."""
        code = normalise_code(text)
        if code is None:
            raise CodeError(
                f"Ein Zugangscode hat {settings.PARTICIPANT_CODE_LENGTH} Zeichen "
                "(Buchstaben und Ziffern). Bitte den Code vom Bildschirm prüfen."
            )
        now = time.time() if now is None else now
        with self._lock:
            ws = self._open.get(code)
            if ws is not None and now >= ws.expires:
                self._open.pop(code)
                self._ended.add(code)
                ws = None
            ended = code in self._ended
        if ws is None:
            if ended:
                raise CodeError(
                    "Dieser Zugangscode ist abgelaufen: der Workshop ist geschlossen. "
                    "Bitte den aktuellen Code vom Bildschirm verwenden.",
                    status=410,
                )
            raise CodeError(
                "Diesen Zugangscode gibt es nicht. Bitte den Code vom Bildschirm prüfen."
            )
        return ws

    def codes(self) -> list[str]:
        """The codes open now."""
        with self._lock:
            return sorted(self._open)


class RateLimiter:
    """At most ``limit`` hits per key within ``window_s`` seconds (sliding window)."""

    def __init__(self, limit: int, window_s: float = 60.0):
        self.limit, self.window_s = limit, window_s
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, now: float | None = None) -> bool:
        """Count a hit for ``key`` if the limit allows it; False when over the limit."""
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            if len(self._hits) > 10000:  # forget idle keys
                self._hits = {
                    k: v for k, v in self._hits.items() if v and v[-1] > now - self.window_s
                }
            return True


__all__ = [
    "EventLog",
    "Board",
    "BoardPin",
    "BoardSite",
    "JoinRegistry",
    "Workshop",
    "RateLimiter",
    "CodeError",
    "new_code",
    "normalise_code",
    "clean_text",
    "pin_event",
    "scenario_pin",
    "outline_geojson",
    "STATUSES",
]
