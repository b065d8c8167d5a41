"""Three-way merge of a scenario edited in two places (no edit is ever lost).

Two facilitators (or two tabs) work on the same stored scenario. Each session saves
its new state together with the state it started from (``base``); when the file on
disk (``theirs``) is no longer ``base``, :func:`merge` combines both sides instead of
letting the last write win:

- changes and pins added on either side are both kept (an id taken on both sides is
  renumbered on our side, references among our additions follow);
- removed on one side and untouched on the other: removed;
- edited on one side: the edit is kept; edited differently on both sides: our edit is
  kept and the other one is reported as a conflict (``MergeReport.conflicts``);
- removed on one side but edited on the other: the edit is kept and reported.

If the combination is not a valid scenario (e.g. one side closed a site the other
moves), :func:`merge` keeps the other side's scenario and returns ours to be saved
under a new name, so that nothing is dropped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from . import settings
from ._errors import InputError
from .scenario import Change, Scenario


@dataclass(frozen=True)
class MergeReport:
    """What a merge did: items taken from the other side, conflicts (as codes and ids).

    Attributes
    ----------
    from_other : int
        Changes and pins the other session added, edited or removed, now merged in.
    conflicts : list of dict
        ``{"kind": "both_edited" | "removed_but_edited", "id": …}``, one per item.
    renumbered : dict
        Our ids that were taken on the other side → their new ids.
    copy_name : str or None
        Name under which the state that did not win is kept: ours when the sides
        could not be combined (the stored scenario is then the other side's), the
        other side's when an item was edited in both places (ours applies).
    """

    from_other: int = 0
    conflicts: list[dict[str, str]] = field(default_factory=list)
    renumbered: dict[str, str] = field(default_factory=dict)
    copy_name: str | None = None

    @property
    def merged(self) -> bool:
        """True when anything from the other side came in."""
        return bool(self.from_other or self.conflicts or self.copy_name)


def _by_id(items: Iterable[Any]) -> dict[str, Any]:
    return {item.id: item for item in items}


def _same(a: Any, b: Any) -> bool:
    return a.to_dict() == b.to_dict()


def _merge_items(
    base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any], conflicts: list
) -> tuple[list[Any], int]:
    """Items of both sides in the other side's order, then our additions."""
    out: list[Any] = []
    from_other = 0
    for key, t in theirs.items():
        b, o = base.get(key), ours.get(key)
        if b is None:  # added there (an id clash with our additions is handled by the caller)
            out.append(t)
            from_other += 1
        elif o is None:  # we removed it
            if _same(b, t):
                continue
            conflicts.append({"kind": "removed_but_edited", "id": key})
            out.append(t)
        elif _same(o, b):  # we left it: theirs (edited there or not)
            out.append(t)
            from_other += not _same(t, b)
        else:  # we edited it
            if not _same(t, b) and not _same(t, o):
                conflicts.append({"kind": "both_edited", "id": key})
            out.append(o)
    for key, b in base.items():  # removed there
        if key not in theirs:
            o = ours.get(key)
            if o is not None and not _same(o, b):
                conflicts.append({"kind": "removed_but_edited", "id": key})
                out.append(o)
            else:
                from_other += 1
    return out, from_other


def _renumber(items: list[Any], taken: set[str], prefix: str, start: int) -> dict[str, str]:
    """New ids for our additions whose id the other side took (``prefix`` + number)."""
    mapping: dict[str, str] = {}
    n = start
    for item in items:
        if item.id in taken:
            while f"{prefix}{n}" in taken:
                n += 1
            mapping[item.id] = f"{prefix}{n}"
            taken.add(mapping[item.id])
    return mapping


def _relabel(change: Change, mapping: dict[str, str]) -> Change:
    """A change with its id and its references to renamed planned sites updated."""
    values: dict[str, Any] = {}
    for f in dataclasses.fields(change):
        v = getattr(change, f.name)
        if f.name == "id" or (isinstance(v, str) and f.name in ("service_id", "at_site")):
            values[f.name] = mapping.get(v, v)
    return dataclasses.replace(change, **values)


def _number(text: str, prefix: str) -> int:
    tail = text[len(prefix) :] if text.startswith(prefix) else ""
    return int(tail) if tail.isdigit() else 0


def merge(base: Scenario, ours: Scenario, theirs: Scenario) -> tuple[Scenario, MergeReport]:
    """Combine our edit (``base`` → ``ours``) with the stored ``theirs``.

    Returns
    -------
    (Scenario, MergeReport)
        The scenario to store and what happened. With ``report.copy_name`` set, the
        returned scenario is ``theirs`` and ``ours`` must be saved under that name
        (:meth:`geo.scenario_store.ScenarioStore.autosave` does).
    """
    conflicts: list[dict[str, str]] = []
    b_changes, o_changes, t_changes = (_by_id(s.changes) for s in (base, ours, theirs))
    ours_added = [c for k, c in o_changes.items() if k not in b_changes]
    kept, n_changes = _merge_items(
        {k: v for k, v in b_changes.items()},
        {k: v for k, v in o_changes.items() if k in b_changes},
        t_changes,
        conflicts,
    )
    prefix = settings.PLAN_ID_PREFIX
    taken = set(t_changes) | {c.id for c in kept}
    start = max([theirs.next_number, ours.next_number, *(_number(k, prefix) + 1 for k in taken)])
    mapping = _renumber(ours_added, taken, prefix, start)
    changes = kept + [_relabel(c, mapping) for c in ours_added]

    b_pins, o_pins, t_pins = (_by_id(s.pins) for s in (base, ours, theirs))
    pins_added = [p for k, p in o_pins.items() if k not in b_pins]
    kept_pins, n_pins = _merge_items(
        b_pins, {k: v for k, v in o_pins.items() if k in b_pins}, t_pins, conflicts
    )
    pin_map = _renumber(pins_added, set(t_pins) | {p.id for p in kept_pins}, "pin-", start)
    pins = kept_pins + [dataclasses.replace(p, id=pin_map.get(p.id, p.id)) for p in pins_added]
    try:
        merged = dataclasses.replace(
            ours,
            changes=tuple(changes),
            pins=tuple(pins),
            next_number=max(ours.next_number, theirs.next_number),
        )
    except InputError:
        copy_name = _copy_name(ours.name)
        return theirs, MergeReport(copy_name=copy_name)
    report = MergeReport(
        from_other=n_changes + n_pins,
        conflicts=conflicts,
        renumbered={**mapping, **pin_map},
    )
    return merged, report


def _copy_name(name: str) -> str:
    suffix = " (Konflikt)"
    return name[: settings.SCENARIO_NAME_MAX - len(suffix)] + suffix


__all__ = ["MergeReport", "merge"]
