"""The standards check in words: status labels and the one reason sentence per check row.

:func:`reason` turns a row of :attr:`geo.standards_check.CheckResult.rows` (codes and
numbers only) into a German or English sentence; every view (CLI, app table, profile
PDF, XLSX) uses it, so the wording lives in the catalogs (``std_*`` keys) and here only.

>>> reason(row, "de")
'651 Einwohner:innen, Größenklasse über 650 bis 3.000: gefordert 1 Jugendclub, vorhanden 0.'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from . import i18n, numbers


def status_label(code: str, lang: str = i18n.DEFAULT_LANG) -> str:
    """Label of a status code (``settings.STANDARD_STATUSES``)."""
    return i18n.label("status", code, lang)


def unit_label(code: str, lang: str = i18n.DEFAULT_LANG) -> str:
    """Label of a standards unit (``VZÄ``, ``Plätze``, ``Angebote``, ``Einrichtungen``, ``%``)."""
    return i18n.label("std_unit", code, lang)


def _num(value: Any, lang: str) -> str:
    return numbers.auto_number(round(float(value), 2), lang) if _finite(value) else "–"


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _size_class(row: Mapping[str, Any], lang: str) -> str:
    lo, hi = row.get("size_from"), row.get("size_to")
    lo_text = numbers.number(lo or 0, 0, lang)
    if not _finite(hi):
        return i18n.t("std_class_open", lang, lo=lo_text)
    return i18n.t("std_class", lang, lo=lo_text, hi=numbers.number(hi, 0, lang))


def facility_type(row: Mapping[str, Any]) -> str:
    """The facility a rule names: the first keyword of „Einrichtungstyp“, else the rule."""
    types = row.get("types") or ()
    return str(types[0]) if types else str(row.get("rule", ""))


def _basis(row: Mapping[str, Any], lang: str) -> str:
    basis = str(row.get("basis") or "")
    if basis == "einzugsbereich":
        return i18n.t(
            "std_basis_catchment",
            lang,
            minutes=_num(row.get("max_minutes"), lang),
            mode=i18n.mode_label(str(row.get("mode")), lang),
        )
    return i18n.t(f"std_basis_{basis or 'gemeinde'}", lang)


def _facility(row: Mapping[str, Any], lang: str) -> str:
    if row.get("level") == "planungsraum":
        return i18n.t(
            "std_reason_facility_planning",
            lang,
            missing=int(row.get("n_fehlt") or 0),
            n=int(row.get("n_gemeinden") or 0),
            type=facility_type(row),
            cls=_size_class(row, lang),
        )
    return i18n.t(
        "std_reason_facility",
        lang,
        size=numbers.number(row.get("size"), 0, lang),
        cls=_size_class(row, lang),
        required=_num(row.get("required"), lang),
        type=facility_type(row),
        existing=_num(row.get("existing"), lang),
    )


def _ratio(row: Mapping[str, Any], lang: str) -> str:
    unit = unit_label(str(row.get("unit")), lang)
    text = i18n.t(
        "std_reason_ratio",
        lang,
        people=numbers.count(row.get("people"), lang),
        target=i18n.target_label(str(row.get("target")), lang),
        per=numbers.number(row.get("per_people"), 0, lang),
        soll=_num(row.get("soll"), lang),
        unit=unit,
        required=_num(row.get("required"), lang),
        existing=_num(row.get("existing"), lang),
        basis=_basis(row, lang),
        services=i18n.tn("n_services", int(row.get("n_services") or 0), lang),
    )
    unknown = int(row.get("n_unknown") or 0)
    if unknown:
        text += " " + i18n.tn("std_unknown", unknown, lang, unit=unit)
    return text


def _travel(row: Mapping[str, Any], lang: str) -> str:
    return i18n.t(
        "std_reason_travel",
        lang,
        share=numbers.percent(row.get("share_within"), lang),
        target=i18n.target_label(str(row.get("target")), lang),
        minutes=_num(row.get("max_minutes"), lang),
        mode=i18n.mode_label(str(row.get("mode")), lang),
        soll=_num(row.get("soll"), lang),
    )


_KINDS = {"einrichtung": _facility, "verhaeltnis": _ratio, "wegezeit": _travel}


def reason(row: Mapping[str, Any], lang: str = i18n.DEFAULT_LANG) -> str:
    """The reason of one check row in words (status not included; see :func:`status_label`).

    Parameters
    ----------
    row : mapping
        A row of ``CheckResult.rows`` (or its record); ``types`` (the rule's
        keywords) may be added to name the facility.
    lang : {"de", "en"}

    Returns
    -------
    str
    """
    text = _KINDS[str(row["kind"])](row, lang)
    if row.get("kind") != "wegezeit" and not int(row.get("n_services") or 0):
        text += " " + i18n.t("std_none_listed", lang)
    return text


def check_table(rows: pd.DataFrame, standards: Any, lang: str = i18n.DEFAULT_LANG) -> pd.DataFrame:
    """The check rows as a labelled table (unit, rule, status, required, existing, reason, source)."""
    types = {r.rule: r.types for r in standards.rules}
    out = []
    for rec in rows.to_dict("records"):
        rec["types"] = types.get(rec["rule"], ())
        out.append(
            {
                i18n.t("std_col_level", lang): i18n.label("std_level", rec["level"], lang),
                i18n.t("std_col_key", lang): rec["key"],
                i18n.t("std_col_name", lang): rec["name"],
                i18n.t("std_col_rule", lang): rec["rule"],
                i18n.t("std_col_status", lang): status_label(rec["status"], lang),
                i18n.t("std_col_required", lang): _rounded(rec["required"]),
                i18n.t("std_col_existing", lang): _rounded(rec["existing"]),
                i18n.t("std_col_unit", lang): unit_label(rec["unit"], lang),
                i18n.t("std_col_reason", lang): reason(rec, lang),
                i18n.t("std_col_source", lang): rec["source"],
            }
        )
    return pd.DataFrame(out)


def _rounded(value: Any) -> float | None:
    return round(float(value), 2) if _finite(value) else None


#: Order of the statuses from worst to best: a Gemeinde under several rules shows its worst.
WORST_FIRST: tuple[str, ...] = ("fehlt", "keine_angabe", "erfuellt", "ueber_richtwert")


def worst_status(statuses: Any) -> str:
    """The worst of several status codes (:data:`WORST_FIRST`); ``""`` for none."""
    present = set(statuses)
    return next((s for s in WORST_FIRST if s in present), "")


def screen_table(rows: pd.DataFrame, standards: Any, lang: str = i18n.DEFAULT_LANG) -> pd.DataFrame:
    """The app's table: Gemeinde (or Kreis), rule, Soll, Ist, unit, status, reason.

    Rows of the planning-region level are left out (the profile and XLSX show them);
    Gemeinden first by name (a Gemeinde's rules in table order), then the Kreis rows.
    """
    keep = rows.loc[rows["level"] != "planungsraum"]
    order = keep.assign(
        _k=(keep["level"] != "gemeinde").astype(int), _n=keep["name"].astype(str).str.casefold()
    ).sort_values(["_k", "_n"], kind="stable")
    full = check_table(order.drop(columns=["_k", "_n"]), standards, lang)
    if full.empty:
        cols = ("gemeinde", "rule", "required", "existing", "unit", "status", "reason")
        return pd.DataFrame(columns=[i18n.t(f"std_col_{c}", lang) for c in cols])
    names = {
        i18n.t("std_col_name", lang): i18n.t("std_col_gemeinde", lang),
    }
    wanted = [
        i18n.t(f"std_col_{c}", lang)
        for c in ("name", "rule", "required", "existing", "unit", "status", "reason")
    ]
    return full[wanted].rename(columns=names).reset_index(drop=True)


__all__ = [
    "WORST_FIRST",
    "check_table",
    "facility_type",
    "reason",
    "screen_table",
    "status_label",
    "unit_label",
    "worst_status",
]
