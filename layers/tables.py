"""The per-Gemeinde table for the screen and for downloads (CSV, XLSX).

The table itself is ``geo.analysis.gemeinde_table`` (German labels, rounding, "<3"
suppression). This module only relabels it for English, keeps numbers numeric for a
sortable screen table, and writes the files. XLSX goes through ``geo.export`` when that
module offers ``export_table``; otherwise a small openpyxl workbook is written here
(table plus a sheet with title, model, parameters, notes and sources).
"""

from __future__ import annotations

import importlib
import io
import math
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from geo import analysis, settings
from layers import i18n

COUNT_KEYS: tuple[str, ...] = analysis.COUNT_COLUMNS
SUPPRESSED = analysis.SUPPRESSED
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"


def column_labels(result: Any, lang: str = i18n.DEFAULT_LANG) -> dict[str, str]:
    """Key → column label of the Gemeinde table in the UI language."""
    p = result.params
    de = analysis.table_labels(p.target, p.threshold_min)
    if i18n.lang_of(lang) == "de":
        return de
    T = i18n.auto_number(p.threshold_min, "en")
    values = {"T": T, "unit": i18n.unit_label(p.target, "en"),
              "unit_minutes": i18n.unit_minutes(p.target, "en")}
    return {k: i18n.TABLE_LABELS_EN.get(k, de[k]).format(**values) for k in de}


def table(result: Any, lang: str = i18n.DEFAULT_LANG, suppress: bool = True,
          total_row: bool = False) -> pd.DataFrame:
    """``analysis.gemeinde_table`` with labels in the UI language (``attrs`` kept)."""
    df = analysis.gemeinde_table(result, suppress=suppress, total_row=total_row)
    de = analysis.table_labels(result.params.target, result.params.threshold_min)
    labels = column_labels(result, lang)
    return df.rename(columns={de[k]: labels[k] for k in de})


def screen_table(result: Any, lang: str = i18n.DEFAULT_LANG) -> tuple[pd.DataFrame, list[str]]:
    """The table for ``st.dataframe``: numbers stay numeric so that columns sort correctly.

    Counts of 1 and 2 become missing values; show them as ``"<3"`` (the returned
    column names) when formatting.

    Returns
    -------
    df : DataFrame
        Rounded figures, one row per Gemeinde, labels in the UI language.
    suppressed_columns : list of str
        The count columns (their missing values are suppressed small counts).
    """
    df = table(result, lang, suppress=False, total_row=False)
    labels = column_labels(result, lang)
    count_cols = [labels[k] for k in COUNT_KEYS]
    for col in count_cols:
        v = pd.to_numeric(df[col], errors="coerce").astype("Float64")
        df[col] = v.mask((v > 0) & (v < settings.SMALL_COUNT_LIMIT))
    return df, count_cols


def number_formatter(decimals: int, lang: str = i18n.DEFAULT_LANG):
    """A formatter for ``Styler.format``: localized numbers, ``–`` for missing values."""
    def fmt(value: Any) -> str:
        try:
            v = float(value)
        except (TypeError, ValueError):
            return "–"
        return "–" if not math.isfinite(v) else i18n.number(v, decimals, lang)
    return fmt


def decimals_of(result: Any, lang: str = i18n.DEFAULT_LANG) -> dict[str, int]:
    """Decimals per displayed column (the rounding of ``analysis.gemeinde_table``)."""
    labels = column_labels(result, lang)
    dec = {"minutes_mean": 1, "minutes_median": 1, "minutes_p90": 1, "share_within": 1,
           "share_beyond": 1, "services_within_mean": 2, "2sfca_mean": 3, "e2sfca_mean": 3}
    return {labels[k]: dec.get(k, 0) for k in labels if k not in ("ags", "name")}


def styled(df: pd.DataFrame, suppressed: list[str], decimals: Mapping[str, int],
           lang: str = i18n.DEFAULT_LANG):
    """A pandas ``Styler``: localized numbers, ``"<3"`` in suppressed count cells."""
    formats = {col: number_formatter(d, lang) for col, d in decimals.items() if col in df}
    counts = {c: f for c, f in formats.items() if c in suppressed}
    others = {c: f for c, f in formats.items() if c not in suppressed}
    # Each call formats only its subset (without one, pandas resets all other columns).
    styler = df.style.format(others, subset=list(others), na_rep="–")
    return styler.format(counts, subset=list(counts), na_rep=SUPPRESSED)


def csv_bytes(result: Any, style: str = "de", lang: str = i18n.DEFAULT_LANG) -> bytes:
    """The Gemeinde table as CSV: one row per Gemeinde, small counts as ``"<3"``.

    Parameters
    ----------
    result : AnalysisResult
    style : {"de", "en"}
        ``"de"``: semicolons, decimal comma, UTF-8 with BOM (opens directly in a
        German Excel); ``"en"``: commas, decimal point, UTF-8.
    lang : {"de", "en"}
        Language of the column labels.
    """
    df = table(result, lang, suppress=True, total_row=False)
    if style == "de":
        text = df.to_csv(sep=";", decimal=",", index=False)
        return ("\ufeff" + text).encode("utf-8")
    return df.to_csv(sep=",", decimal=".", index=False).encode("utf-8")


def _export_module() -> Any | None:
    try:
        module = importlib.import_module("geo.export")
    except ImportError:
        return None
    return module if callable(getattr(module, "export_table", None)) else None


def xlsx_bytes(result: Any, lang: str = i18n.DEFAULT_LANG) -> bytes:
    """The Gemeinde table as an Excel workbook (``geo.export.export_table`` if available)."""
    export = _export_module()
    if export is not None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "gemeinden.xlsx"
            export.export_table(result, path, "xlsx")
            return path.read_bytes()
    return _simple_xlsx(result, lang)


def _simple_xlsx(result: Any, lang: str = i18n.DEFAULT_LANG) -> bytes:
    """Fallback workbook: the table (with the region total) and an explanation sheet."""
    df = table(result, lang, suppress=True, total_row=True)
    attrs = df.attrs
    info: list[tuple[str, str]] = [("Titel", str(attrs.get("title", ""))),
                                   ("Modell", str(attrs.get("model", ""))),
                                   ("Geheimhaltung", str(attrs.get("suppression", "")))]
    info += [(f"Parameter {k}", str(v)) for k, v in (attrs.get("params") or {}).items()]
    info += [("Hinweis", str(n)) for n in attrs.get("notes") or []]
    info += [(f"Formel {k}", str(v)) for k, v in (attrs.get("formulas") or {}).items()]
    for src in attrs.get("sources") or []:
        text = src if isinstance(src, str) else "; ".join(f"{k}: {v}" for k, v in src.items())
        info.append(("Quelle", text))
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        df.to_excel(writer, sheet_name="Gemeinden", index=False)
        pd.DataFrame(info, columns=["Angabe", "Wert"]).to_excel(
            writer, sheet_name="Erläuterung", index=False)
        sheet = writer.sheets["Gemeinden"]
        sheet.freeze_panes = "C2"
        for column in sheet.columns:
            width = max(len(str(c.value or "")) for c in column[:40])
            sheet.column_dimensions[column[0].column_letter].width = min(max(width, 8), 40) + 2
            for cell in column:  # text such as "=…" from data must never become a formula
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    return buffer.getvalue()
