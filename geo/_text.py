"""German number text for messages, labels and tables: one place for each format.

- :func:`de_decimal` – at most ``decimals`` places, trailing zeros dropped, decimal
  comma, no thousands separator (``1.30`` → ``"1,3"``, ``15.0`` → ``"15"``): parameters
  in sentences (minutes, factors, hours).
- :func:`de_number` – thousands dots and decimal comma with fixed or automatic
  decimals (``12345.6`` → ``"12.345,6"``), ``"–"`` for a missing value: figures in
  maps, tables and counts.

Reading numbers is not here: ``geo.geocode.parse_number`` and
``geo.indicators.parse_value`` read ``"1.234"`` differently on purpose (see there).
"""

from __future__ import annotations

import math


def de_decimal(value: float, decimals: int = 2) -> str:
    """``value`` with at most ``decimals`` places, trailing zeros dropped (1.30 → "1,3")."""
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def de_number(value: float | None, decimals: int | None = None) -> str:
    """German number text: ``12345.6`` → ``"12.345,6"`` (``decimals=None``: automatic).

    Automatic: no decimals for whole numbers and from 100 on, one from 1, else two.
    ``None``, NaN and infinity give ``"–"``.
    """
    if value is None or not math.isfinite(value):
        return "–"
    if decimals is None:
        a = abs(value)
        decimals = 0 if a >= 100 or float(value).is_integer() else (1 if a >= 1 else 2)
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
