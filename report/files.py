"""Table files: the one CSV writer (formula defusing) and the XLSX table bytes.

- :func:`csv_bytes` – German Excel CSV (``;``, decimal comma, UTF-8 with BOM, CRLF) or
  international CSV (``,``, decimal point, UTF-8). Text cells that Excel would evaluate
  as a formula (``=``, ``+``, ``-``, ``@``, tab, CR) get a leading apostrophe.
- XLSX goes through :func:`report.xlsx.workbook_bytes` (strings always written as text).
"""

from __future__ import annotations

import pandas as pd

from present.numbers import SUPPRESSED

CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def defuse(value: object) -> object:
    """Text that a spreadsheet must not evaluate as a formula gets a leading ``'``."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS and value != SUPPRESSED:
        return "'" + value
    return value


def csv_bytes(table: pd.DataFrame, german: bool = True) -> bytes:
    """A table as CSV bytes, German (Excel) or international style, formulas defused.

    Parameters
    ----------
    table : DataFrame
        Written without its index.
    german : bool
        ``True``: ``;``, decimal comma, UTF-8 with BOM, CRLF; ``False``: ``,``, decimal
        point, UTF-8, LF.

    Returns
    -------
    bytes
    """
    out = table.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(defuse)
    text = out.to_csv(
        index=False,
        sep=";" if german else ",",
        decimal="," if german else ".",
        lineterminator="\r\n" if german else "\n",
    )
    return text.encode("utf-8-sig" if german else "utf-8")
