"""Files of the standards check as the app offers them: the table as CSV and XLSX.

The table is :func:`present.standards.screen_table` (the app's table); CSV goes through
the one CSV writer (:func:`report.files.csv_bytes`), XLSX through the one workbook writer
(:func:`report.xlsx.workbook_bytes`) with an explanation sheet naming the standards table,
the scenario, the demand basis and the rules' sources.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from present import describe, i18n, numbers
from present import standards as pstd
from report import files, xlsx


def check_table(result: Any, lang: str = i18n.DEFAULT_LANG) -> pd.DataFrame:
    """The app's table of a :class:`geo.standards_check.CheckResult`."""
    return pstd.screen_table(result.rows, result.standards, lang)


def check_csv(result: Any, lang: str = i18n.DEFAULT_LANG, german: bool = True) -> bytes:
    """The table as CSV bytes (German Excel style or international)."""
    return files.csv_bytes(check_table(result, lang), german=german)


def notes(
    result: Any, lang: str = i18n.DEFAULT_LANG, created: dt.date | None = None
) -> list[tuple[str, str]]:
    """(key, text) rows of the explanation: table, scenario, demand basis, sources."""
    meta = result.meta or {}
    std = result.standards
    rows = [
        (i18n.t("std_note_table", lang), str(std.source)),
        (
            i18n.t("std_note_state", lang),
            i18n.t("std_state_scenario", lang, name=meta["scenario"])
            if meta.get("scenario")
            else i18n.t("std_state_status_quo", lang),
        ),
    ]
    demand = describe.demand_lines({"demand": meta.get("demand") or {}}, lang)
    rows.append((i18n.t("std_note_demand", lang), "; ".join(demand) or i18n.t("demand_base", lang)))
    for rule in std.rules:
        rows.append((rule.rule, rule.source or "–"))
    for note in meta.get("notes", []):
        rows.append((i18n.t("m_notes", lang), str(note)))
    rows.append((i18n.t("std_note_created", lang), numbers.date(created, lang)))
    return rows


def check_xlsx(result: Any, lang: str = i18n.DEFAULT_LANG, created: dt.date | None = None) -> bytes:
    """The table as an XLSX workbook (sheet "Richtwerte" and an explanation sheet)."""
    table = check_table(result, lang)
    formats = {
        i18n.t("std_col_required", lang): "decimal1",
        i18n.t("std_col_existing", lang): "decimal1",
    }
    sheets = [(i18n.t("pf_sheet_standards", lang), table, formats, 2, False)]
    title = i18n.t("std_heading", lang)
    return xlsx.workbook_bytes(
        sheets, [(title, notes(result, lang, created))], i18n.t("pf_sheet_notes", lang)
    )


__all__ = ["check_csv", "check_table", "check_xlsx", "notes"]
