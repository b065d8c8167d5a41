"""Planner's own demand figures: official figures per Gemeinde and a target year.

Two inputs refine the census surface (``geo/population.py``):

- :func:`read_official` reads official figures per Gemeinde: the GENESIS /
  Regionalstatistik CSV layout (semicolon, a header block above the column
  names, AGS and name columns, age classes such as „unter 3 Jahre“,
  „6 bis unter 10 Jahre“, „75 Jahre und mehr“, the markers „-“ (nothing),
  „.“, „x“, „/“ (unknown, not given)) or a plain table with an AGS column
  and one column per target group (code or German label). :func:`apply_official`
  rescales the surface per Gemeinde so that each given figure is met.
- :func:`read_projection` reads a projection table per Kreis or Gemeinde by
  target group and year; :func:`growth_factors` turns it into factors for a
  target year, and :func:`apply_growth` (also for typed factors) scales the
  surface. Age classes that straddle a group boundary are split evenly over
  their single years (``docs/method.md``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import settings
from ._errors import InputError
from ._tables import Table, header_key, read_csv_table, read_source, read_xlsx_table

# Groups that official tables can give directly (age10_17 is derived).
OFFICIAL_GROUPS = ("pop", "u10", "u18", "age65", "age80", "single_parent_hh", "foreign")
_AGS_HEADERS = {
    "ags",
    "gemeindeschlüssel",
    "gemeindeschluessel",
    "regionalschlüssel",
    "schlüssel",
    "kennziffer",
    "amtlicher gemeindeschlüssel",
    "kreisschlüssel",
    "kreis",
}
_UNKNOWN_MARKERS = {".", "x", "/", "...", "…"}
_ZERO_MARKERS = {"-", "–"}
_RE_UNDER = re.compile(r"^unter (\d+) jahren?$")
_RE_RANGE = re.compile(r"^(\d+) bis unter (\d+) jahren?$")
_RE_OVER = re.compile(r"^(\d+) jahre? und (?:mehr|älter)$")
_GROUP_AGES = {"u10": (0, 10), "u18": (0, 18), "age65": (65, math.inf), "age80": (80, math.inf)}


def _age_class(text: str) -> tuple[float, float] | None:
    t = " ".join(text.casefold().split())
    if m := _RE_UNDER.match(t):
        return 0.0, float(m.group(1))
    if m := _RE_RANGE.match(t):
        return float(m.group(1)), float(m.group(2))
    if m := _RE_OVER.match(t):
        return float(m.group(1)), math.inf
    return None


def _group_of_header(text: str) -> str | None:
    key = header_key(text)
    for code, g in settings.TARGET_GROUPS.items():
        if key in (header_key(code), header_key(g.label_de)):
            return code
    if key in ("insgesamt", "einwohner", "bevölkerung", "bevölkerung insgesamt"):
        return "pop"
    return None


def _score(cells: Sequence[str]) -> int:
    keys = [header_key(c) for c in cells]
    return 2 * any(k in _AGS_HEADERS for k in keys) + sum(
        1 for c in cells if _age_class(c) or _group_of_header(c)
    )


def _read_table(source: Any, filename: str | None) -> tuple[Table, str]:
    data, name = read_source(source, filename, default_name="Tabelle")
    if name.lower().endswith((".xlsx", ".xlsm")):
        return read_xlsx_table(data, name, score=_score), name
    return read_csv_table(data, name, score=_score), name


def _number(text: str, name: str, row: int, col: str) -> float:
    t = str(text).strip()
    if t in _ZERO_MARKERS:
        return 0.0
    if t in _UNKNOWN_MARKERS or t == "":
        return math.nan
    s = t.replace(" ", "").replace("\u00a0", "")
    if "," in s:
        s = s.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+", s):
        s = s.replace(".", "")
    try:
        v = float(s)
    except ValueError:
        raise InputError(
            f"{name}, Zeile {row}, Spalte „{col}“: „{t[:40]}“ ist keine Zahl "
            "(erwartet: Anzahl, „-“ für nichts oder „.“/„x“/„/“ für unbekannt)."
        ) from None
    if not math.isfinite(v) or v < 0:
        raise InputError(
            f"{name}, Zeile {row}, Spalte „{col}“: {t} ist keine gültige Anzahl "
            "(erwartet: 0 oder mehr)."
        )
    return v


def _ags_column(table: Table, name: str) -> int:
    for i, h in enumerate(table.header):
        if header_key(h) in _AGS_HEADERS:
            return i
    # GENESIS: the key column has no header; take the column of 5- or 8-digit keys.
    for i in range(len(table.header)):
        vals = [r[i].strip() for r in table.rows if len(r) > i and r[i].strip()]
        if vals and sum(bool(re.fullmatch(r"\d{5}(\d{3})?", v)) for v in vals) >= 0.8 * len(vals):
            return i
    raise InputError(
        f"{name}: Keine Spalte mit dem Gemeindeschlüssel (AGS) gefunden "
        "(erwartet: Spalte „AGS“ oder 8-stellige Schlüssel)."
    )


@dataclass
class OfficialFigures:
    """Official figures per Gemeinde (``values``: index AGS, one column per group)."""

    values: pd.DataFrame
    source: str
    date: str | None = None
    notes: list[str] = field(default_factory=list)


def _class_groups(header: list[str]) -> dict[int, tuple[float, float]]:
    return {i: c for i, h in enumerate(header) if (c := _age_class(h))}


def _groups_from_classes(
    row: dict[int, float], classes: dict[int, tuple[float, float]]
) -> dict[str, float]:
    """Group totals from age classes; a class straddling a bound is split by its years."""
    out: dict[str, float] = {}
    for code, (lo, hi) in _GROUP_AGES.items():
        total, ok = 0.0, True
        for i, (a, b) in classes.items():
            overlap_lo, overlap_hi = max(a, lo), min(b, hi)
            if overlap_hi <= overlap_lo:
                continue
            if (math.isinf(b) and not math.isinf(hi)) or (math.isinf(b) and a < lo):
                ok = False  # an open class cannot be split by single years
                break
            frac = 1.0 if math.isinf(b) else (overlap_hi - overlap_lo) / (b - a)
            total += frac * row[i]
        covered = any(max(a, lo) < min(b, hi) for a, b in classes.values())
        if ok and covered and math.isfinite(total):
            out[code] = total
    return out


def read_official(
    source: Any,
    gemeinden: pd.DataFrame,
    filename: str | None = None,
    source_label: str | None = None,
    date: str | None = None,
) -> OfficialFigures:
    """Read official figures per Gemeinde (GENESIS layout or a plain AGS table).

    Raises :class:`InputError` (German, naming row and column) for an unknown
    AGS of the region's Kreise, text in a number column, or groups that do not
    add up (a group larger than the inhabitants, under 10 larger than under 18).
    """
    table, name = _read_table(source, filename)
    ags_col = _ags_column(table, name)
    classes = _class_groups(table.header)
    direct = {
        i: g
        for i, h in enumerate(table.header)
        if i not in classes and i != ags_col and (g := _group_of_header(h)) in OFFICIAL_GROUPS
    }
    if not classes and not direct:
        raise InputError(
            f"{name}: Keine Spalte mit Zielgruppen oder Altersklassen gefunden "
            f"(erwartet z. B. „u18“, „{settings.TARGET_GROUPS['u18'].label_de}“ oder "
            "„unter 3 Jahre“)."
        )
    known = set(gemeinden["ags"].astype(str))
    kreise = {a[:5] for a in known}
    rows, notes, skipped = {}, [], 0
    for n, r in enumerate(table.rows, start=table.header_row + 1):
        if len(r) <= ags_col or not r[ags_col].strip():
            continue
        ags = r[ags_col].strip()
        if not re.fullmatch(r"\d{8}", ags):
            skipped += 1  # Land, Kreis or footer rows of a GENESIS table
            continue
        if ags not in known:
            if ags[:5] in kreise:
                raise InputError(
                    f"{name}, Zeile {n}, Spalte „{table.header[ags_col] or 'AGS'}“: "
                    f"Gemeindeschlüssel {ags} ist in der Region unbekannt."
                )
            skipped += 1
            continue
        nums = {
            i: _number(r[i] if len(r) > i else "", name, n, table.header[i])
            for i in (*classes, *direct)
        }
        values = {g: nums[i] for i, g in direct.items()}
        if classes and all(math.isfinite(nums[i]) for i in classes):
            for g, v in _groups_from_classes(nums, classes).items():
                values.setdefault(g, v)
        pop = values.get("pop", math.nan)
        for g, v in values.items():
            if g != "pop" and math.isfinite(pop) and math.isfinite(v) and v > pop + 0.5:
                raise InputError(
                    f"{name}, Zeile {n}: {settings.TARGET_GROUPS[g].label_de} ({v:.0f}) "
                    f"ist größer als die Einwohnerzahl ({pop:.0f})."
                )
        u10, u18 = values.get("u10", math.nan), values.get("u18", math.nan)
        if math.isfinite(u10) and math.isfinite(u18) and u10 > u18 + 0.5:
            raise InputError(
                f"{name}, Zeile {n}: unter 10 ({u10:.0f}) ist größer als unter 18 ({u18:.0f})."
            )
        rows[ags] = values
    if not rows:
        raise InputError(f"{name}: Keine Zeile mit einem Gemeindeschlüssel der Region gefunden.")
    if skipped:
        notes.append(f"{skipped} Zeile(n) ohne Gemeinde der Region übersprungen.")
    values = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=list(OFFICIAL_GROUPS))
    missing = int(values.isna().sum().sum() - values.isna().all().sum() * len(values))
    if missing:
        notes.append(
            f"{missing} Wert(e) nicht angegeben („.“, „x“, „/“): dort gilt die Kreis-Anpassung."
        )
    return OfficialFigures(values.dropna(axis=1, how="all"), source_label or name, date, notes)


def _scale_unit(col: np.ndarray, mask: np.ndarray, target: float, fallback: np.ndarray) -> None:
    total = col[mask].sum()
    if total > 0:
        col[mask] *= target / total
    elif fallback[mask].sum() > 0:
        col[mask] = fallback[mask] * (target / fallback[mask].sum())


def apply_official(cells: pd.DataFrame, figures: OfficialFigures) -> pd.DataFrame:
    """Cells rescaled so that every Gemeinde meets its official figures.

    A given ``pop`` rescales all groups of the Gemeinde first; then each given
    group is scaled to its figure; ``age10_17`` follows as under 18 − under 10
    and no group exceeds a cell's inhabitants. Returns a new frame.
    """
    out = cells.copy()
    ags = out["ags"].to_numpy(object)
    cols = {c: out[c].to_numpy(float, copy=True) for c in settings.TARGET_GROUPS}
    for key, row in figures.values.iterrows():
        m = ags == key
        if not m.any():
            continue
        pop = row.get("pop", math.nan)
        if pop is not None and math.isfinite(pop):
            base = cols["pop"][m].sum()
            f = pop / base if base > 0 else 0.0
            for values in cols.values():
                values[m] *= f
        for g, v in row.items():
            if g != "pop" and math.isfinite(v):
                _scale_unit(cols[g], m, float(v), cols["pop"])
    _consistent(cols)
    for c, v in cols.items():
        out[c] = v
    return out


def _consistent(cols: dict[str, np.ndarray]) -> None:
    pop = cols["pop"]
    for c, values in cols.items():
        if c != "pop":
            np.minimum(values, pop, out=values)
    cols["u10"] = np.minimum(cols["u10"], cols["u18"])
    cols["age10_17"] = np.maximum(cols["u18"] - cols["u10"], 0.0)
    cols["age80"] = np.minimum(cols["age80"], cols["age65"])


@dataclass
class Projection:
    """Projected figures: index (key, group) with key an AGS or Kreisschlüssel, one column per year."""

    values: pd.DataFrame
    source: str

    @property
    def years(self) -> list[int]:
        """Years the table covers."""
        return sorted(int(y) for y in self.values.columns)


def read_projection(
    source: Any, filename: str | None = None, source_label: str | None = None
) -> Projection:
    """Read a projection table: key (AGS or Kreis), target group, one column per year.

    Accepts the wide layout (columns ``AGS``, ``Zielgruppe``, ``2025``, ``2030``, …)
    or the long one (``AGS``, ``Zielgruppe``, ``Jahr``, ``Anzahl``).
    """
    table, name = _read_table(source, filename)
    keys = [header_key(h) for h in table.header]
    key_col = _ags_column(table, name)
    try:
        grp_col = next(
            i for i, k in enumerate(keys) if k in ("zielgruppe", "gruppe", "target", "group")
        )
    except StopIteration:
        raise InputError(
            f"{name}: Spalte „Zielgruppe“ fehlt (erwartet: Schlüssel, Zielgruppe, Jahresspalten)."
        ) from None
    year_cols = {
        i: int(h) for i, h in enumerate(table.header) if re.fullmatch(r"(19|20)\d\d", h.strip())
    }
    long_year = next((i for i, k in enumerate(keys) if k in ("jahr", "year")), None)
    long_val = next(
        (i for i, k in enumerate(keys) if k in ("anzahl", "wert", "value", "personen")), None
    )
    if not year_cols and (long_year is None or long_val is None):
        raise InputError(
            f"{name}: Keine Jahresspalten (z. B. „2030“) und keine Spalten „Jahr“/„Anzahl“."
        )
    recs: dict[tuple[str, str], dict[int, float]] = {}
    for n, r in enumerate(table.rows, start=table.header_row + 1):
        if len(r) <= max(key_col, grp_col) or not r[key_col].strip():
            continue
        key = r[key_col].strip()
        if not re.fullmatch(r"\d{5}(\d{3})?", key):
            raise InputError(
                f"{name}, Zeile {n}, Spalte „{table.header[key_col]}“: „{key[:20]}“ ist "
                "kein Kreis- (5-stellig) oder Gemeindeschlüssel (8-stellig)."
            )
        g = _group_of_header(r[grp_col])
        if g is None or g not in settings.TARGET_GROUPS:
            raise InputError(
                f"{name}, Zeile {n}, Spalte „{table.header[grp_col]}“: Zielgruppe "
                f"„{r[grp_col][:30]}“ unbekannt (möglich: {', '.join(settings.TARGET_GROUPS)})."
            )
        rec = recs.setdefault((key, g), {})
        if year_cols:
            for i, y in year_cols.items():
                rec[y] = _number(r[i] if len(r) > i else "", name, n, table.header[i])
        else:
            assert long_year is not None and long_val is not None  # checked above
            y_text = r[long_year].strip() if len(r) > long_year else ""
            if not re.fullmatch(r"(19|20)\d\d", y_text):
                raise InputError(
                    f"{name}, Zeile {n}, Spalte „{table.header[long_year]}“: „{y_text}“ "
                    "ist kein Jahr."
                )
            rec[int(y_text)] = _number(
                r[long_val] if len(r) > long_val else "", name, n, table.header[long_val]
            )
    if not recs:
        raise InputError(f"{name}: Die Tabelle enthält keine Prognosewerte.")
    values = pd.DataFrame.from_dict(recs, orient="index")
    values.index = pd.MultiIndex.from_tuples(values.index, names=["key", "group"])
    return Projection(values[sorted(values.columns)], source_label or name)


def growth_factors(
    projection: Projection, year: int, base_year: int | None = None
) -> dict[tuple[str, str], float]:
    """Factors value(year) ÷ value(base year) per (key, group); base = first year of the table."""
    years = projection.years
    if year not in years:
        raise InputError(
            f"{projection.source}: Jahr {year} fehlt in der Prognose "
            f"(vorhanden: {', '.join(map(str, years))})."
        )
    base = years[0] if base_year is None else base_year
    if base not in years:
        raise InputError(f"{projection.source}: Basisjahr {base} fehlt in der Prognose.")
    out = {}
    for idx, row in projection.values.iterrows():
        b, v = row[base], row[year]
        if not (math.isfinite(b) and math.isfinite(v)) or b <= 0:
            raise InputError(
                f"{projection.source}: Für {idx[0]}, {idx[1]} fehlt ein Wert für "
                f"{base} oder {year}."
            )
        out[(str(idx[0]), str(idx[1]))] = float(v / b)
    return out


def apply_growth(cells: pd.DataFrame, factors: dict) -> pd.DataFrame:
    """Cells scaled by growth factors.

    ``factors`` maps a group code to a factor for the whole region (typed by
    the planner) or ``(key, group)`` to a factor for a Kreis (5 digits) or a
    Gemeinde (8 digits); a Gemeinde factor wins over its Kreis'. Under 10
    and 10–17 without a factor follow under 18, 80+ follows 65+, the other
    groups follow the inhabitants' factor. Returns a new frame.
    """
    out = cells.copy()
    ags = out["ags"].astype(str).to_numpy()
    kreis = np.array([a[:5] for a in ags])
    n = len(out)

    def factor_of(group: str) -> np.ndarray:
        f = np.full(n, float(factors.get(group, math.nan)))
        for (key, g), v in ((k, v) for k, v in factors.items() if isinstance(k, tuple)):
            if g == group and len(key) == 5:
                f[kreis == key] = v
        for (key, g), v in ((k, v) for k, v in factors.items() if isinstance(k, tuple)):
            if g == group and len(key) == 8:
                f[ags == key] = v
        return f

    f_pop = np.nan_to_num(factor_of("pop"), nan=1.0)
    # A sub-group without its own factor follows its parent group, then the inhabitants.
    parent = {"u10": "u18", "age10_17": "u18", "age80": "age65"}
    cols = {}
    for c in settings.TARGET_GROUPS:
        f = factor_of(c)
        if c in parent:
            fp = factor_of(parent[c])
            f = np.where(np.isfinite(f), f, fp)
        cols[c] = out[c].to_numpy(float) * np.where(np.isfinite(f), f, f_pop)
    _consistent(cols)
    for c, v in cols.items():
        out[c] = v
    return out


def for_region(
    region: Any,
    official: OfficialFigures | None = None,
    projection: Projection | None = None,
    year: int | None = None,
    growth: dict[str, float] | None = None,
    growth_source: str = "eigene Faktoren",
) -> Any:
    """A copy of ``region`` whose cells carry the official figures and/or a target year.

    ``meta["demand"]`` records the basis as codes and names (``official``: source and
    reference date; ``year`` and ``projection_source`` of a target year), and
    ``meta["sources"]`` lists them; ``present.describe.demand_lines`` puts them in words
    ("Prognose 2030 (Quelle: …)") for every figure.
    """
    import copy
    import dataclasses

    cells = region.cells
    demand: dict[str, Any] = {"official": None, "year": None, "projection_source": None}
    sources: list[dict[str, str]] = []
    if official is not None:
        cells = apply_official(cells, official)
        demand["official"] = {"source": official.source, "date": official.date}
        sources.append({"name": official.source, "date": official.date or "", "attribution": ""})
    if year is not None and (projection is not None or growth):
        factors: dict = dict(growth or {})
        source = growth_source
        if projection is not None:
            factors.update(growth_factors(projection, year))
            source = projection.source
        cells = apply_growth(cells, factors)
        demand.update(year=int(year), projection_source=source)  # named with every figure
    meta = copy.deepcopy(region.meta)
    meta["demand"] = demand
    meta.setdefault("sources", []).extend(sources)
    return dataclasses.replace(region, cells=cells, meta=meta)


def parse_growth(text: str) -> dict[str, float]:
    """Typed growth factors ``"u18=0,95;age65=1,1"`` → ``{"u18": 0.95, "age65": 1.1}``."""
    out = {}
    for part in re.split(r"[;\s]+", text.strip()):
        if not part:
            continue
        code, _, val = part.partition("=")
        if code not in settings.TARGET_GROUPS:
            raise InputError(
                f"Wachstumsfaktor „{part}“: Zielgruppe „{code}“ unbekannt "
                f"(möglich: {', '.join(settings.TARGET_GROUPS)})."
            )
        try:
            f = float(val.replace(",", "."))
        except ValueError:
            raise InputError(
                f"Wachstumsfaktor „{part}“: „{val}“ ist keine Zahl (z. B. u18=0,95)."
            ) from None
        if not (0 < f < 10):
            raise InputError(f"Wachstumsfaktor „{part}“: erwartet eine Zahl zwischen 0 und 10.")
        out[code] = f
    return out
