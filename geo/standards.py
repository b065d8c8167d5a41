"""Planning standards (Richtwerte) as data: the table a planner edits, read and validated.

A standards table (CSV or XLSX, German headers, one rule per row; the shipped
default is ``data/standards/default.csv``, documented in ``docs/standards.md``)
holds rules of three kinds (column „Art“):

- ``einrichtung`` – a facility type is required in every Gemeinde of a size class
  (Kyffhäuserkreis youth Raumprogramm: up to 650 inhabitants a Jugendzimmer, …).
  A Gemeinde belongs to a class when *von < Personen ≤ bis* (so 650 belongs to
  the class 0–650, 651 to 650–3,000); an empty „bis“ has no upper limit.
- ``verhaeltnis`` – a capacity or staffing ratio: „Soll“ units („VZÄ“, „Plätze“ or
  „Angebote“) per „je Personen“ people of the target group, within a Gemeinde,
  a Kreis or the catchment of the services (mode and minutes).
- ``wegezeit`` – a maximum travel time: at least „Soll“ percent of the target group
  reach a matching service within „max. Minuten“ by „Verkehrsmittel“.

:func:`read_standards` returns :class:`Standards` or raises
:class:`~geo._errors.InputError` with one :class:`~geo._errors.Problem` per bad cell
(file, row as shown in the spreadsheet, column, expected value). The check itself is
in :mod:`geo.standards_check`.

>>> std = read_standards()                 # the shipped default
>>> [r.rule for r in std.rules]
['KYF-Jugendzimmer', 'KYF-Jugendclub', 'KYF-Jugendhaus', 'Suchtberatung-VZÄ']
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from . import _tables, geocode, settings
from ._errors import InputError, Report

#: Rule kinds: code → German label.
KINDS: dict[str, str] = {
    "einrichtung": "Einrichtung je Größenklasse",
    "verhaeltnis": "Verhältnis (Kapazität/Personal je Personen)",
    "wegezeit": "Höchste Wegezeit",
}
#: What a rule refers to: code → German label.
BASES: dict[str, str] = {
    "gemeinde": "Gemeinde",
    "kreis": "Kreis",
    "einzugsbereich": "Einzugsbereich",
}
#: Units of ``verhaeltnis`` rules: code → German label.
RATIO_UNITS: dict[str, str] = {"vza": "VZÄ", "plaetze": "Plätze", "angebote": "Angebote"}
#: Units of the other kinds (fixed).
FACILITY_UNIT = "einrichtungen"
SHARE_UNIT = "prozent"
UNIT_LABELS: dict[str, str] = {**RATIO_UNITS, FACILITY_UNIT: "Einrichtungen", SHARE_UNIT: "%"}
#: Separators of the keywords in „Einrichtungstyp“ and of the keys in „Gebiet“.
LIST_SPLIT = re.compile(r"\s*[|;,]\s*")

_KIND_WORDS = {
    "einrichtung": "einrichtung",
    "einrichtungjegroessenklasse": "einrichtung",
    "groessenklasse": "einrichtung",
    "verhaeltnis": "verhaeltnis",
    "quote": "verhaeltnis",
    "schluessel": "verhaeltnis",
    "wegezeit": "wegezeit",
    "fahrzeit": "wegezeit",
    "erreichbarkeit": "wegezeit",
}
_BASIS_WORDS = {
    "gemeinde": "gemeinde",
    "kreis": "kreis",
    "landkreis": "kreis",
    "einzugsbereich": "einzugsbereich",
    "einzugsgebiet": "einzugsbereich",
}
_UNIT_WORDS = {
    "vza": "vza",
    "vzae": "vza",
    "vollzeitaequivalente": "vza",
    "stellen": "vza",
    "vollzeitstellen": "vza",
    "plaetze": "plaetze",
    "platz": "plaetze",
    "kapazitaet": "plaetze",
    "angebote": "angebote",
    "angebot": "angebote",
    "einrichtungen": FACILITY_UNIT,
    "einrichtung": FACILITY_UNIT,
    "prozent": SHARE_UNIT,
    "": "",
}  # "%" has the empty header key
_YES = {"ja", "j", "x", "1", "yes", "wahr", "true"}
_NO = {"nein", "n", "0", "no", "falsch", "false"}


@dataclass(frozen=True)
class Column:
    """A column of the standards table: field name, German header, accepted header keys."""

    field: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("rule", "Regel", ("regelid", "id", "nr", "name"), True),
    Column("kind", "Art", ("regelart", "typ"), True),
    Column("active", "Aktiv"),
    Column("category", "Kategorie"),
    Column("types", "Einrichtungstyp", ("einrichtungstypen", "angebotsart", "unterkategorie")),
    Column("size_from", "Größenklasse von", ("einwohnervon", "von")),
    Column("size_to", "Größenklasse bis", ("einwohnerbis", "bis")),
    Column("target", "Zielgruppe"),
    Column("per_people", "je Personen", ("jepersonen", "je", "personen")),
    Column("soll", "Soll", ("sollwert", "richtwert"), True),
    Column("unit", "Einheit"),
    Column("basis", "Bezug"),
    Column("mode", "Verkehrsmittel", ("verkehrsart",)),
    Column("max_minutes", "max. Minuten", ("minuten", "maxminuten", "maximaleminuten")),
    Column("area", "Gebiet", ("kreise", "geltungsbereich")),
    Column("source", "Quelle", ("quellen", "beleg")),
)
_BY_KEY: dict[str, Column] = {
    _tables.header_key(a): c for c in COLUMNS for a in (c.header, c.field, *c.aliases)
}


@dataclass(frozen=True)
class Rule:
    """One standard (one row of the table).

    Attributes
    ----------
    rule : str
        Unique name („Regel“).
    kind : {"einrichtung", "verhaeltnis", "wegezeit"}
    category : str
        Service category code (``settings.CATEGORIES``) or "" (any).
    types : tuple of str
        Keywords: a service matches when its subcategory or name contains one
        (case-insensitive); empty = every service of the category.
    size_from, size_to : float
        Size class (``einrichtung``): von < Personen ≤ bis; ``inf`` = open.
    target : str
        Target group code (``settings.TARGET_GROUPS``).
    per_people : float
        ``verhaeltnis``: Soll units per this many people (NaN otherwise).
    soll : float
        Facilities (``einrichtung``), units per ``per_people`` (``verhaeltnis``)
        or percent of the target group (``wegezeit``).
    unit : str
        Key of :data:`UNIT_LABELS`.
    basis : str
        Key of :data:`BASES`.
    mode : str
        Travel mode (``wegezeit`` and ``einzugsbereich``), else "".
    max_minutes : float
        Travel-time limit (``wegezeit`` and ``einzugsbereich``), else NaN.
    areas : tuple of str
        Kreisschlüssel (5 digits) or AGS where the rule applies; empty = everywhere.
    source : str
    row : int
        Row of the table (as the spreadsheet shows it).
    """

    rule: str
    kind: str
    category: str = ""
    types: tuple[str, ...] = ()
    size_from: float = 0.0
    size_to: float = math.inf
    target: str = "pop"
    per_people: float = math.nan
    soll: float = 1.0
    unit: str = FACILITY_UNIT
    basis: str = "gemeinde"
    mode: str = ""
    max_minutes: float = math.nan
    areas: tuple[str, ...] = ()
    source: str = ""
    row: int = 0

    @property
    def step(self) -> float:
        """Surplus from which a unit counts as „über Richtwert“ (one Soll unit; none for shares)."""
        return math.inf if self.kind == "wegezeit" else self.soll

    def applies_to(self, ags: str) -> bool:
        """Whether the rule applies in the Gemeinde (or Kreis) ``ags``."""
        return not self.areas or any(str(ags).startswith(a) for a in self.areas)

    def to_dict(self) -> dict:
        """JSON-serialisable fields (infinite/NaN numbers as None)."""
        out = asdict(self)
        for k, v in out.items():
            if isinstance(v, float) and not math.isfinite(v):
                out[k] = None
            elif isinstance(v, tuple):
                out[k] = list(v)
        return out


@dataclass
class Standards:
    """Active rules of a standards table, its source and notes (inactive rows, extra columns)."""

    rules: tuple[Rule, ...]
    source: str
    notes: list[str] = field(default_factory=list)
    inactive: tuple[str, ...] = ()

    def rule(self, name: str) -> Rule:
        """The rule called ``name`` (KeyError if none)."""
        for r in self.rules:
            if r.rule == name:
                return r
        raise KeyError(name)

    def modes(self) -> list[str]:
        """Travel modes the rules need (for loading networks)."""
        return sorted({r.mode for r in self.rules if r.mode})

    def to_dict(self) -> dict:
        """JSON-serialisable summary."""
        return {
            "source": self.source,
            "rules": [r.to_dict() for r in self.rules],
            "inactive": list(self.inactive),
            "notes": list(self.notes),
        }


# ---------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------
class _Cells:
    """One data row's cells by field, reporting problems with file, row and column."""

    def __init__(
        self, values: dict[str, str], row: int, headers: dict[str, str], report: Report, file: str
    ):
        self.values, self.row, self.headers = values, row, headers
        self.report, self.file = report, file

    def text(self, name: str) -> str:
        return self.values.get(name, "").strip()

    def problem(self, name: str, message: str) -> None:
        col = self.headers.get(name) or next(c.header for c in COLUMNS if c.field == name)
        self.report.add(message, self.row, col, self.file)

    def number(
        self,
        name: str,
        *,
        default: float = math.nan,
        lo: float = 0.0,
        lo_open: bool = False,
        hi: float = math.inf,
        what: str = "eine Zahl",
    ) -> float:
        text = self.text(name)
        if not text:
            return default
        try:
            value = geocode.parse_number(text)
        except ValueError:
            value = math.nan
        ok = math.isfinite(value) and (value > lo if lo_open else value >= lo) and value <= hi
        if not ok:
            self.problem(
                name, f"„{_tables.short(text)}“ ist keine gültige Angabe; erwartet {what}."
            )
            return default
        return value

    def code(self, name: str, words: dict[str, str], expected: str, default: str = "") -> str:
        text = self.text(name)
        if not text:
            return default
        key = _tables.header_key(text)
        if key in words:
            return words[key]
        self.problem(name, f"„{_tables.short(text)}“ unbekannt; erwartet {expected}.")
        return default

    def empty(self, names: Sequence[str], kind: str) -> None:
        for n in names:
            if self.text(n):
                self.problem(n, f"wird bei Art „{KINDS[kind]}“ nicht verwendet; bitte leer lassen.")


def _choice_words(
    mapping: dict[str, Any], labels: Callable[[Any], Sequence[str]]
) -> dict[str, str]:
    return {
        _tables.header_key(w): code for code, item in mapping.items() for w in (code, *labels(item))
    }


def _target_words() -> dict[str, str]:
    return _choice_words(settings.TARGET_GROUPS, lambda g: (g.label_de, g.label_en))


def _mode_words() -> dict[str, str]:
    return _choice_words(settings.MODES, lambda m: (m.label_de, m.label_en))


def _category_words() -> dict[str, str]:
    return _choice_words(settings.CATEGORIES, lambda c: (c.label_de, c.label_en))


# ---------------------------------------------------------------------------
# Rows → rules
# ---------------------------------------------------------------------------
def _common(c: _Cells) -> dict[str, Any]:
    rule = c.text("rule")
    if not rule:
        c.problem(
            "rule",
            "Name der Regel fehlt; erwartet ein kurzer eindeutiger Name, z. B. „KYF-Jugendclub“.",
        )
    cats = _category_words()
    category = c.code(
        "category", cats, "eine Kategorie (" + ", ".join(settings.CATEGORIES) + ") oder leer"
    )
    types = tuple(t for t in LIST_SPLIT.split(c.text("types")) if t)
    if not category and not types and c.text("category") == "":
        c.problem(
            "types",
            "Kategorie und Einrichtungstyp sind beide leer; erwartet mindestens "
            "eines von beiden (z. B. „Jugendclub|Jugendhaus“).",
        )
    target = c.code(
        "target",
        _target_words(),
        "eine Zielgruppe (" + ", ".join(settings.TARGET_GROUPS) + ")",
        "pop",
    )
    areas = tuple(a for a in LIST_SPLIT.split(c.text("area")) if a)
    for a in areas:
        if not re.fullmatch(r"\d{2}(\d{3}(\d{3})?)?", a):
            c.problem(
                "area",
                f"„{_tables.short(a)}“ ist kein Schlüssel; erwartet "
                "Kreisschlüssel (5-stellig) oder AGS (8-stellig), z. B. 16065.",
            )
    return {
        "rule": rule,
        "category": category,
        "types": types,
        "target": target,
        "areas": areas,
        "source": c.text("source"),
        "row": c.row,
    }


def _facility(c: _Cells) -> dict[str, Any]:
    size_from = c.number("size_from", default=0.0, what="eine Einwohnerzahl ≥ 0")
    size_to = c.number("size_to", default=math.inf, what="eine Einwohnerzahl ≥ 0 (leer = offen)")
    if math.isfinite(size_to) and size_to <= size_from:
        c.problem(
            "size_to",
            f"„bis“ ({c.text('size_to')}) muss größer sein als „von“ "
            f"({c.text('size_from') or '0'}).",
        )
    soll = c.number(
        "soll",
        default=1.0,
        lo=0.0,
        lo_open=True,
        what="die Zahl der geforderten Einrichtungen (> 0, z. B. 1)",
    )
    unit = c.code("unit", _UNIT_WORDS, "„Einrichtungen“ oder leer", FACILITY_UNIT)
    if unit not in (FACILITY_UNIT, "angebote"):
        c.problem("unit", "bei Art „Einrichtung“ erwartet „Einrichtungen“ oder leer.")
    basis = c.code("basis", _BASIS_WORDS, "„Gemeinde“", "gemeinde")
    if basis != "gemeinde":
        c.problem(
            "basis",
            "bei Art „Einrichtung“ gilt die Regel je Gemeinde; erwartet „Gemeinde“ oder leer.",
        )
    c.empty(("per_people", "mode", "max_minutes"), "einrichtung")
    return {
        "size_from": size_from,
        "size_to": size_to,
        "soll": soll,
        "unit": FACILITY_UNIT,
        "basis": "gemeinde",
    }


def _travel(c: _Cells, needed: bool) -> dict[str, Any]:
    mode = c.code("mode", _mode_words(), "ein Verkehrsmittel (" + ", ".join(settings.MODES) + ")")
    minutes = c.number("max_minutes", lo=0.0, lo_open=True, what="Minuten (Zahl > 0, z. B. 30)")
    if needed and not mode and not c.text("mode"):
        c.problem("mode", "fehlt; erwartet ein Verkehrsmittel (" + ", ".join(settings.MODES) + ").")
    if needed and not math.isfinite(minutes) and not c.text("max_minutes"):
        c.problem("max_minutes", "fehlt; erwartet Minuten (Zahl > 0, z. B. 30).")
    return {"mode": mode, "max_minutes": minutes}


def _ratio(c: _Cells) -> dict[str, Any]:
    per = c.number(
        "per_people",
        lo=0.0,
        lo_open=True,
        what="die Zahl der Personen, auf die sich „Soll“ bezieht (> 0, z. B. 10000)",
    )
    if not c.text("per_people"):
        c.problem(
            "per_people",
            "fehlt; erwartet die Zahl der Personen, auf die sich „Soll“ bezieht (z. B. 10000).",
        )
    soll = c.number("soll", lo=0.0, lo_open=True, what="eine Zahl > 0 (z. B. 1)")
    unit = c.code("unit", _UNIT_WORDS, "„VZÄ“, „Plätze“ oder „Angebote“")
    if unit not in RATIO_UNITS:
        c.problem("unit", "erwartet „VZÄ“, „Plätze“ oder „Angebote“.")
    basis = c.code("basis", _BASIS_WORDS, "„Gemeinde“, „Kreis“ oder „Einzugsbereich“", "kreis")
    c.empty(("size_from", "size_to"), "verhaeltnis")
    travel: dict[str, Any] = {}
    if basis == "einzugsbereich":
        travel = _travel(c, True)
    else:
        for n in ("mode", "max_minutes"):
            if c.text(n):
                c.problem(
                    n,
                    f"wird nur beim Bezug „Einzugsbereich“ verwendet (hier: "
                    f"„{BASES[basis]}“); bitte leer lassen.",
                )
    return {"per_people": per, "soll": soll, "unit": unit, "basis": basis, **travel}


def _share(c: _Cells) -> dict[str, Any]:
    soll = c.number(
        "soll",
        lo=0.0,
        lo_open=True,
        hi=100.0,
        what="den Anteil der Zielgruppe in Prozent (> 0 bis 100, z. B. 90)",
    )
    unit = c.code("unit", _UNIT_WORDS, "„%“ oder leer", SHARE_UNIT)
    if unit not in (SHARE_UNIT, ""):
        c.problem("unit", "bei Art „Wegezeit“ erwartet „%“ oder leer.")
    basis = c.code("basis", _BASIS_WORDS, "„Gemeinde“", "gemeinde")
    if basis != "gemeinde":
        c.problem(
            "basis", "bei Art „Wegezeit“ gilt die Regel je Gemeinde; erwartet „Gemeinde“ oder leer."
        )
    c.empty(("size_from", "size_to", "per_people"), "wegezeit")
    return {"soll": soll, "unit": SHARE_UNIT, "basis": "gemeinde", **_travel(c, True)}


_KIND_PARSERS: dict[str, Callable[[_Cells], dict[str, Any]]] = {
    "einrichtung": _facility,
    "verhaeltnis": _ratio,
    "wegezeit": _share,
}


def _active(c: _Cells) -> bool:
    key = c.text("active").casefold()
    if not key or key in _YES:
        return True
    if key in _NO:
        return False
    c.problem("active", f"„{_tables.short(key)}“ unbekannt; erwartet „ja“ oder „nein“.")
    return True


def _row_rule(c: _Cells) -> tuple[Rule | None, bool]:
    """The rule of one row (None if it has problems) and whether it is active."""
    before = len(c.report.problems)
    kind = c.code("kind", _KIND_WORDS, "„Einrichtung“, „Verhältnis“ oder „Wegezeit“")
    if not kind and not c.text("kind"):
        c.problem("kind", "fehlt; erwartet „Einrichtung“, „Verhältnis“ oder „Wegezeit“.")
    active = _active(c)
    common = _common(c)
    specific = _KIND_PARSERS[kind](c) if kind else {}
    if len(c.report.problems) > before:
        return None, active
    return Rule(kind=kind, **common, **specific), active


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------
def _header_score(cells: Sequence[str]) -> int:
    return sum(2 if _tables.header_key(c) in _BY_KEY else 0 for c in cells)


def _header_map(header: list[str], report: Report, file: str) -> tuple[dict[int, str], list[str]]:
    """Column index → field; unknown headers listed."""
    index: dict[int, str] = {}
    unknown: list[str] = []
    for i, h in enumerate(header):
        col = _BY_KEY.get(_tables.header_key(h))
        if col is None:
            if h.strip():
                unknown.append(h.strip())
            continue
        if col.field in index.values():
            report.add(
                f"Spalte „{col.header}“ kommt zweimal vor; erwartet jede Spalte einmal.",
                None,
                h,
                file,
            )
            continue
        index[i] = col.field
    for col in COLUMNS:
        if col.required and col.field not in index.values():
            report.add(
                f"Spalte „{col.header}“ fehlt; erwartet die Spalten "
                + ", ".join(f"„{c.header}“" for c in COLUMNS)
                + ".",
                None,
                None,
                file,
            )
    return index, unknown


def read_standards(
    source: str | os.PathLike | bytes | IO[bytes] | None = None, filename: str | None = None
) -> Standards:
    """Read and validate a standards table (CSV or XLSX; default: the shipped file).

    Parameters
    ----------
    source : path, bytes or file-like, optional
        The table; None reads ``settings.STANDARDS_FILE``.
    filename : str, optional
        Name shown in messages (default: the file's name).

    Returns
    -------
    Standards
        The active rules in table order; inactive rows („Aktiv“ = nein) are
        validated too and listed in ``inactive``.

    Raises
    ------
    InputError
        One problem per bad cell, naming file, row, column and what was expected;
        a repeated rule name; no rule at all.
    """
    data, name = _tables.read_source(
        settings.STANDARDS_FILE if source is None else source, filename, default_name="Richtwerte"
    )
    table = _tables.read_table(data, name, score=_header_score)
    report = Report()
    index, unknown = _header_map(table.header, report, name)
    if report:
        raise InputError(
            f"{name}: Die Richtwert-Tabelle hat nicht die erwarteten Spalten.", report.problems
        )
    headers = {f: table.header[i].strip() for i, f in index.items()}
    rules: list[Rule] = []
    inactive: list[Rule] = []
    seen: dict[str, int] = {}
    for r, cells, _extra, _n in _tables.data_rows(table.rows, len(table.header)):
        values = {f: cells[i] for i, f in index.items()}
        row = table.header_row + r
        c = _Cells(values, row, headers, report, name)
        rule, active = _row_rule(c)
        if rule is None:
            continue
        if rule.rule in seen:
            c.problem(
                "rule",
                f"Name „{rule.rule}“ kommt schon in Zeile {seen[rule.rule]} vor; "
                "erwartet ein eindeutiger Name je Regel.",
            )
            continue
        seen[rule.rule] = row
        (rules if active else inactive).append(rule)
    if report:
        raise InputError(
            f"{name}: {len(report.problems)} Fehler in der Richtwert-Tabelle; nichts übernommen.",
            report.problems,
        )
    if not rules and not inactive:
        raise InputError(f"{name}: Die Tabelle enthält keine Regel.")
    notes = (
        [f"Spalte(n) {', '.join('„' + u + '“' for u in unknown)} nicht ausgewertet."]
        if unknown
        else []
    )
    if inactive:
        notes.append(
            f"{len(inactive)} Regel(n) nicht aktiv: " + ", ".join(r.rule for r in inactive) + "."
        )
    return Standards(tuple(rules), name, notes, tuple(r.rule for r in inactive))


def default_path() -> Path:
    """The shipped default standards file."""
    return Path(settings.STANDARDS_FILE)


__all__ = [
    "BASES",
    "COLUMNS",
    "KINDS",
    "RATIO_UNITS",
    "UNIT_LABELS",
    "Column",
    "Rule",
    "Standards",
    "default_path",
    "read_standards",
]
