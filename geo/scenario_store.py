"""Scenario storage: named scenarios as JSON files, one folder per browser session.

A :class:`ScenarioStore` keeps the scenarios of one session in
``<cache>/sessions/<session-id>/`` (:func:`session_folder`), one file per name
(:func:`file_stem`). Writes are atomic and validated first; a file found
damaged is moved aside (``DAMAGED_MARK``) and reported in German, and the
caller keeps its state. :meth:`ScenarioStore.open` gives an auto-saving
:class:`geo.scenario.ScenarioHistory`::

    store = ScenarioStore.for_session(session_id, extent=Extent.from_region(region))
    history = store.open("Variante Nord")

Beside each scenario file, hidden files keep what a reload must not lose: the undo/redo
steps (``.<stem>.history.json``, restored when its current state is the stored
scenario) and the collected stops of an unfinished mobile service (``.<stem>.draft.json``);
both are written atomically.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from . import settings
from ._errors import InputError
from ._io import write_bytes_atomic, write_json_atomic
from .scenario import (
    SCHEMA_VERSION,
    Extent,
    Scenario,
    ScenarioFileError,
    ScenarioHistory,
    check_name,
    load_json,
    now_iso,
)
from .scenario_merge import MergeReport, merge

DAMAGED_MARK = ".beschädigt-"
#: Undo/redo steps kept on disk per scenario (the session keeps up to SCENARIO_UNDO_STEPS).
STEPS_KEPT = 50
LOCK_FILE = ".lock"  # read-merge-write of one store is serialised on this file
_SESSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def session_folder(session_id: str, cache_dir: str | os.PathLike | None = None) -> Path:
    """``<cache>/sessions/<session-id>/`` after validating the id as a safe file name."""
    if not isinstance(session_id, str) or not _SESSION_ID.fullmatch(session_id):
        raise InputError(
            "Ungültige Sitzungskennung: erlaubt sind 1–64 Buchstaben, Ziffern, "
            "„-“ und „_“ (kein Pfad)."
        )
    root = (settings.cache_dir(cache_dir) / settings.SESSIONS_DIRNAME).resolve()
    folder = (root / session_id).resolve()
    if folder.parent != root:
        raise InputError("Ungültige Sitzungskennung.")
    return folder


def file_stem(name: str) -> str:
    """Safe file stem of a scenario name: ASCII slug + 8 hex digits of its hash."""
    name = check_name(name)
    s = name.casefold().translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}))
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", s).strip("-")[:40].strip("-") or "szenario"
    return f"{slug}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:8]}"


@dataclass(frozen=True)
class ScenarioInfo:
    """One entry of :meth:`ScenarioStore.list`."""

    name: str
    file: str
    modified: str | None = None
    changes: int = 0
    pins: int = 0
    region: str | None = None
    error: str | None = None


class ScenarioStore:
    """Named scenarios as JSON files in one folder (one folder per session).

    Writes are atomic (temporary file + ``os.replace``) and validated first, so
    a good file is never replaced by a bad one. A file that turns out to be
    damaged when read (broken JSON, wrong types, NaN or out-of-region
    coordinates, unknown change types) is rejected with a German message and
    moved aside as ``<file>.beschädigt-<YYYYmmdd-HHMMSS>.json``; the caller
    keeps its previous state. Files from a newer format version or another
    region are refused but left untouched.

    Parameters
    ----------
    folder : path
        The store's folder (created when needed).
    extent : Extent, optional
        Region + buffer that every position must lie in.
    """

    def __init__(self, folder: str | os.PathLike, extent: Extent | None = None):
        self.folder = Path(folder)
        self.extent = extent
        self.last_merge = MergeReport()  # what the last autosave merged in

    @classmethod
    def for_session(
        cls,
        session_id: str,
        cache_dir: str | os.PathLike | None = None,
        extent: Extent | None = None,
    ) -> ScenarioStore:
        """The store of one browser session (``<cache>/sessions/<session-id>/``)."""
        return cls(session_folder(session_id, cache_dir), extent)

    def path_for(self, name: str) -> Path:
        return self.folder / f"{file_stem(name)}.json"

    def exists(self, name: str) -> bool:
        return self.path_for(name).is_file()

    def _files(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(
            p
            for p in self.folder.glob("*.json")
            if DAMAGED_MARK not in p.name and not p.name.startswith(".")
        )

    def _read(self, path: Path, move_damaged: bool = True) -> Scenario:
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise ScenarioFileError(
                f"Szenario-Datei „{path.name}“ gibt es nicht (mehr).", file=path.name
            ) from exc
        except OSError as exc:
            raise ScenarioFileError(
                f"Szenario-Datei „{path.name}“ kann nicht gelesen werden ({exc.strerror}).",
                file=path.name,
            ) from exc
        try:
            if len(data) > settings.MAX_UPLOAD_BYTES:
                raise ScenarioFileError(
                    f"Szenario-Datei „{path.name}“ ist zu groß.", file=path.name
                )
            obj = load_json(data, path.name)
            version = obj.get("version") if isinstance(obj, Mapping) else None
            if (
                isinstance(version, int)
                and not isinstance(version, bool)
                and version > SCHEMA_VERSION
            ):
                move_damaged = False
            extent = self.extent
            if (
                extent is not None
                and extent.region
                and isinstance(obj, Mapping)
                and obj.get("region") not in (None, extent.region)
            ):
                move_damaged = False
                raise ScenarioFileError(
                    f"Szenario-Datei „{path.name}“ gehört zur Region „{obj.get('region')}“, "
                    f"geöffnet ist „{extent.region}“.",
                    file=path.name,
                )
            return Scenario.from_dict(obj, source=path.name, extent=extent)
        except ScenarioFileError as exc:
            if move_damaged:
                moved = self._move_aside(path, data)
                if moved:
                    exc.moved_to = moved
                    exc.message += (
                        f" Die Datei wurde als „{moved}“ beiseitegelegt; der bisherige "
                        "Stand bleibt erhalten."
                    )
                    exc.args = (exc.message,)
            raise

    def _move_aside(self, path: Path, seen: bytes) -> str | None:
        """Rename a damaged file unless it changed since it was read."""
        try:
            if path.read_bytes() != seen:
                return None
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            target = path.with_name(f"{path.stem}{DAMAGED_MARK}{stamp}.json")
            k = 1
            while target.exists():
                k += 1
                target = path.with_name(f"{path.stem}{DAMAGED_MARK}{stamp}-{k}.json")
            os.replace(path, target)
            return target.name
        except OSError:
            return None

    def list(self) -> list[ScenarioInfo]:
        """Stored scenarios, by name; damaged files are moved aside and listed with ``error``."""
        out = []
        for path in self._files():
            try:
                s = self._read(path)
                out.append(
                    ScenarioInfo(
                        s.name, path.name, s.modified, len(s.changes), len(s.pins), s.region
                    )
                )
            except ScenarioFileError as exc:
                out.append(ScenarioInfo(path.stem, path.name, error=exc.message))
        return sorted(out, key=lambda i: (i.error is not None, i.name.casefold()))

    def names(self) -> list[str]:
        return [i.name for i in self.list() if i.error is None]

    def damaged(self) -> list[str]:
        """File names of the damaged scenario files moved aside."""
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.glob(f"*{DAMAGED_MARK}*.json"))

    def load(self, name: str) -> Scenario:
        """Load and validate a scenario (ScenarioFileError if missing or damaged)."""
        path = self.path_for(name)
        if not path.is_file():
            raise ScenarioFileError(f"Ein Szenario „{name}“ gibt es nicht.", file=path.name)
        scenario = self._read(path)
        if scenario.name != check_name(name):
            raise ScenarioFileError(
                f"Szenario-Datei „{path.name}“ enthält „{scenario.name}“ statt „{name}“.",
                file=path.name,
            )
        return scenario

    def save(self, scenario: Scenario) -> Path:
        """Validate, then write atomically (``<slug>-<hash>.json``)."""
        if not isinstance(scenario, Scenario):
            raise InputError("Nur ein Scenario kann gespeichert werden.")
        text = scenario.to_json()
        Scenario.from_dict(
            json.loads(text), source=self.path_for(scenario.name).name, extent=self.extent
        )  # never write what could not be read back
        path = self.path_for(scenario.name)
        write_bytes_atomic(path, text.encode("utf-8"))
        return path

    def delete(self, name: str) -> None:
        path = self.path_for(name)
        if not path.is_file():
            raise InputError(f"Ein Szenario „{name}“ gibt es nicht.")
        path.unlink()

    def duplicate(self, name: str, new_name: str) -> Scenario:
        if self.exists(new_name):
            raise InputError(f"Ein Szenario „{new_name}“ gibt es schon.")
        now = now_iso()
        copy_ = dataclasses.replace(self.load(name), name=new_name, created=now, modified=now)
        self.save(copy_)
        return copy_

    def rename(self, name: str, new_name: str) -> Scenario:
        """Write under the new name first, then remove the old file."""
        if check_name(new_name) == check_name(name):
            return self.load(name)
        if self.exists(new_name):
            raise InputError(f"Ein Szenario „{new_name}“ gibt es schon.")
        renamed = self.load(name).renamed(new_name)
        self.save(renamed)
        self.path_for(name).unlink(missing_ok=True)
        return renamed

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise read-merge-write across sessions and processes (``fcntl`` lock file)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / LOCK_FILE).open("a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def autosave(self, new: Scenario, previous: Scenario | None = None) -> Scenario:
        """``on_change`` callback of a history: save without losing another session's edits.

        ``previous`` is the state this session last saw. When the stored file has
        changed since (another tab or facilitator saved), both edits are merged
        (:func:`geo.scenario_merge.merge`) and the merged state is returned (the
        history shows it); ``last_merge`` says what came in. A rename drops the old
        file. If the two edits cannot be combined, ours is saved under a new name.
        """
        self.last_merge = MergeReport()
        with self._locked():
            path = self.path_for(new.name)
            renamed = previous is not None and previous.name != new.name
            stored = None
            if previous is not None and not renamed and path.is_file():
                stored = self._read(path)
            if stored is None or stored.to_json() == previous.to_json():  # type: ignore[union-attr]
                self.save(new)
                if renamed:
                    self.path_for(previous.name).unlink(missing_ok=True)  # type: ignore[union-attr]
                return new
            merged, report = merge(previous, new, stored)  # type: ignore[arg-type]
            if report.copy_name is not None or report.conflicts:
                # the state that did not win is kept under a name of its own
                kept = new if report.copy_name is not None else stored
                wanted = report.copy_name or f"{new.name} (Konflikt)"
                name, k = wanted, 2
                while self.exists(name):
                    name, k = f"{wanted} {k}", k + 1
                self.save(kept.renamed(name))
                report = dataclasses.replace(report, copy_name=name)
            if not (report.copy_name is not None and not report.conflicts):
                self.save(merged)
            self.last_merge = report
            return merged

    def open(
        self,
        name: str,
        *,
        create: bool = True,
        region: str | None = None,
        params: Mapping | None = None,
    ) -> ScenarioHistory:
        """An auto-saving history of a stored scenario (created empty if missing)."""
        if self.exists(name):
            scenario = self.load(name)
        elif create:
            region = region or (self.extent.region if self.extent else None)
            scenario = Scenario(name=name, region=region, params=params)
            self.save(scenario)
        else:
            raise ScenarioFileError(f"Ein Szenario „{name}“ gibt es nicht.")
        return self.history(scenario)

    # --- what a reload keeps: undo/redo steps and drafts ------------------------------
    def steps_path(self, name: str) -> Path:
        """The hidden file with the undo/redo steps of a scenario."""
        return self.folder / f".{file_stem(name)}.history.json"

    def draft_path(self, name: str) -> Path:
        """The hidden file with the collected, unfinished mobile stops of a scenario."""
        return self.folder / f".{file_stem(name)}.draft.json"

    def history(self, scenario: Scenario) -> ScenarioHistory:
        """An auto-saving history of ``scenario`` with the stored undo/redo steps, if their
        current state is ``scenario`` (else it starts afresh at ``scenario``)."""
        kw = {"on_change": self.autosave, "extent": self.extent, "on_steps": self.save_steps}
        states, index = self._stored_steps(scenario)
        return ScenarioHistory.restored(states, index, **kw)

    def _stored_steps(self, scenario: Scenario) -> tuple[list[Scenario], int]:
        path = self.steps_path(scenario.name)
        try:
            obj = json.loads(path.read_bytes())
            states = [Scenario.from_dict(d, extent=self.extent) for d in obj["states"]]
            index = obj["index"]
            if (
                isinstance(index, int)
                and 0 <= index < len(states)
                and states[index].to_json() == scenario.to_json()
            ):
                return states, index
        except (OSError, ValueError, KeyError, TypeError, InputError):
            pass  # no steps (or not of this state): the history starts at the scenario
        return [scenario], 0

    def save_steps(self, history: ScenarioHistory) -> None:
        """``on_steps`` callback: keep up to :data:`STEPS_KEPT` steps around the current one."""
        states, index = list(history.states), history.index
        lo = max(0, min(index, len(states) - STEPS_KEPT))
        kept = states[lo : lo + STEPS_KEPT]
        write_json_atomic(
            self.steps_path(history.current.name),
            {"index": index - lo, "states": [s.to_dict() for s in kept]},
        )

    def save_draft(self, name: str, stops: list[tuple[float, float]]) -> None:
        """Store (or, for none, remove) the collected mobile stops of scenario ``name``."""
        path = self.draft_path(name)
        if not stops:
            path.unlink(missing_ok=True)
            return
        write_json_atomic(path, {"mobile_stops": [[float(a), float(b)] for a, b in stops]})

    def load_draft(self, name: str) -> list[tuple[float, float]]:
        """The stored mobile stops of scenario ``name`` (``[]``: none or unreadable)."""
        try:
            obj = json.loads(self.draft_path(name).read_bytes())
            stops = [(float(lon), float(lat)) for lon, lat in obj["mobile_stops"]]
        except (OSError, ValueError, KeyError, TypeError):
            return []
        ok = [(lon, lat) for lon, lat in stops if -180 <= lon <= 180 and -90 <= lat <= 90]
        return ok[: settings.MOBILE_MAX_STOPS]


__all__ = ["ScenarioStore", "ScenarioInfo", "session_folder", "file_stem", "DAMAGED_MARK"]
