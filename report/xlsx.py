"""Excel workbooks for table exports (openpyxl; used by :mod:`report.export`).

Formatted header, German number formats (Excel shows the user's locale
separators), frozen panes, column widths, autofilter, a bold total row, small
counts as text "<3", and a sheet "Erläuterung" with columns, parameters,
method and sources. Strings are always written as text (never formulas).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
THIN = Side(style="thin", color="A6A6A6")
#: Excel number format per kind of column.
NUMBER_FORMATS = {
    "count": "#,##0",
    "decimal1": "0.0",
    "decimal2": "0.00",
    "decimal3": "0.000",
    "int": "0",
    "text": "@",
}
MAX_SHEET_NAME = 31


def _cell_value(value: object) -> object:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        v = float(value)
        return v if np.isfinite(v) else None
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value


def _put(ws, row: int, col: int, value: object):
    """Write a value; strings stay text even if they start with "=" (no formula injection)."""
    value = _cell_value(value)
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"
    else:
        cell.value = value
    return cell


def write_table_sheet(
    wb: Workbook,
    title: str,
    table: pd.DataFrame,
    formats: Mapping[str, str],
    freeze_cols: int = 2,
    total_row: bool = True,
) -> None:
    """One formatted data sheet: header in row 1, data below, last row bold if a total."""
    ws = wb.create_sheet(title[:MAX_SHEET_NAME])
    columns = list(table.columns)
    for j, col in enumerate(columns, start=1):
        c = _put(ws, 1, j, str(col))
        c.font = Font(bold=True)
        c.fill = HEADER_FILL
        c.alignment = Alignment(wrap_text=True, vertical="top", horizontal="center")
        c.border = Border(bottom=THIN)
    values = table.to_numpy(dtype=object)
    n = len(table)
    for i in range(n):
        is_total = total_row and i == n - 1
        for j, col in enumerate(columns):
            c = _put(ws, i + 2, j + 1, values[i, j])
            fmt = formats.get(col)
            if fmt == "text" or (fmt and not isinstance(c.value, str)):
                c.number_format = NUMBER_FORMATS[fmt]
            elif isinstance(c.value, str) and fmt:  # "<3" in a numeric column
                c.alignment = Alignment(horizontal="right")
            if is_total:
                c.font = Font(bold=True)
                c.fill = TOTAL_FILL
                c.border = Border(top=THIN)
    # widths: header words and values, within limits
    for j, col in enumerate(columns, start=1):
        longest_word = max((len(w) for w in str(col).split()), default=4)
        data_len = max((len(str(v)) for v in values[:, j - 1] if v is not None), default=0)
        width = min(max(longest_word + 2, min(data_len, 40) + 2, 8), 42)
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.row_dimensions[1].height = 15 * max(1, min(4, max(len(str(c)) // 14 + 1 for c in columns)))
    ws.freeze_panes = ws.cell(row=2, column=freeze_cols + 1)
    last = n if not total_row else n - 1
    if last >= 1:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{last + 1}"


def write_notes_sheet(
    wb: Workbook, title: str, sections: Sequence[tuple[str, Sequence[tuple[str, str]]]]
) -> None:
    """The explanation sheet: sections of (key, text) rows, keys bold, text wrapped."""
    ws = wb.create_sheet(title[:MAX_SHEET_NAME])
    ws.column_dimensions["A"].width = 42
    ws.column_dimensions["B"].width = 110
    row = 1
    for heading, rows in sections:
        c = _put(ws, row, 1, heading)
        c.font = Font(bold=True, size=12 if row == 1 else 11)
        row += 1
        for key, text in rows:
            k = _put(ws, row, 1, key)
            k.font = Font(bold=True)
            k.alignment = Alignment(vertical="top", wrap_text=True)
            t = _put(ws, row, 2, text)
            t.alignment = Alignment(vertical="top", wrap_text=True)
            lines = max(1, len(str(text)) // 105 + 1 + str(text).count("\n"))
            ws.row_dimensions[row].height = 15 * min(lines, 12)
            row += 1
        row += 1


def workbook_bytes(
    sheets: Sequence[tuple[str, pd.DataFrame, Mapping[str, str], int, bool]],
    notes: Sequence[tuple[str, Sequence[tuple[str, str]]]],
    notes_title: str = "Erläuterung",
) -> bytes:
    """A workbook with data sheets ``(title, table, formats, freeze_cols, total_row)`` and notes."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, table, formats, freeze, total in sheets:
        write_table_sheet(wb, title, table, formats, freeze, total)
    write_notes_sheet(wb, notes_title, notes)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
