"""Number text: the one number formatter of Nahraum (Babel, ``de_DE`` and ``en``).

- :func:`format_number` – thousands separators and decimals in the language's style
  (``12345.6`` → ``"12.345,6"`` / ``"12,345.6"``), fixed or automatic decimals
  (:func:`auto_decimals`), ``"–"`` for a missing value. Everything that shows a figure
  (maps, legends, tables, messages) goes through it; ``present.numbers`` adds percent,
  counts with suppression, minutes and dates on top.
- :func:`de_number` – :func:`format_number` in German (``geo``'s own German messages).
- :func:`de_decimal` – at most ``decimals`` places, trailing zeros dropped, no thousands
  separator (``1.30`` → ``"1,3"``, ``15.0`` → ``"15"``): parameters in sentences.

Reading numbers is not here: ``geo.geocode.parse_number`` and
``geo.indicators.parse_value`` read ``"1.234"`` differently on purpose (see there).
"""

from __future__ import annotations

import decimal
import math
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.numbers import NumberPattern, parse_pattern

#: Babel locale of each supported language code.
LOCALES: dict[str, str] = {"de": "de_DE", "en": "en"}
MISSING = "–"


@lru_cache(maxsize=8)
def _locale(lang: str) -> Locale:
    return Locale.parse(LOCALES.get(lang, LOCALES["de"]))


@lru_cache(maxsize=64)
def _pattern(decimals: int, grouping: bool, trim: bool) -> NumberPattern:
    frac = ("#" if trim else "0") * decimals
    return parse_pattern(("#,##0" if grouping else "0") + (f".{frac}" if decimals else ""))


def finite(value: Any) -> float | None:
    """``value`` as a finite float, or ``None`` (text, NaN, infinity, ``None``)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def auto_decimals(value: float) -> int:
    """Decimals a figure needs: none from 100 on or for whole numbers, else 1–3 by size.

    ``125`` → 0, ``12.5`` → 1, ``1.25`` → 2, ``2.5`` → 1, ``0.25`` → 2, ``0.025`` → 3;
    below 0.0005 → 0 (shown as 0).
    """
    a = abs(value)
    if a >= 100 or float(value).is_integer() or round(a, 3) == 0:
        return 0
    if a >= 10:
        return 0 if round(value, 1).is_integer() else 1
    if a >= 1:
        return 1 if round(value, 1) == round(value, 2) else 2
    return 2 if round(value, 2) == round(value, 3) or a >= 0.1 else 3


def format_number(
    value: Any,
    decimals: int | None = None,
    lang: str = "de",
    grouping: bool = True,
    trim: bool = False,
) -> str:
    """A number as text in the style of ``lang`` (``"de"``: ``1.234,5``; ``"en"``: ``1,234.5``).

    Parameters
    ----------
    value : number
        Anything ``float()`` accepts; missing, NaN and infinite values give ``"–"``.
    decimals : int, optional
        Fixed number of decimals; ``None``: :func:`auto_decimals`.
    lang : {"de", "en"}
    grouping : bool
        Thousands separators.
    trim : bool
        Drop trailing zeros of the decimals (``1.30`` → ``1,3``).

    Returns
    -------
    str
    """
    v = finite(value)
    if v is None:
        return MISSING
    d = auto_decimals(v) if decimals is None else max(int(decimals), 0)
    number = decimal.Decimal(repr(v))
    with decimal.localcontext() as ctx:
        ctx.prec = 330 + d  # every finite float quantizes (1e308 needs 309 digits)
        if number.quantize(decimal.Decimal(1).scaleb(-d), decimal.ROUND_HALF_EVEN).is_zero():
            number = decimal.Decimal(0)  # no "-0"
        if not trim and lang in SEPARATORS:
            fast = _fixed_text(number, d, grouping, lang)
            if fast is not None:
                return fast
        return _pattern(d, grouping, trim).apply(number, _locale(lang))


#: Thousands separator and decimal point of each language (Babel's symbols of LOCALES).
SEPARATORS: dict[str, tuple[str, str]] = {"de": (".", ","), "en": (",", ".")}


def _fixed_text(number: decimal.Decimal, decimals: int, grouping: bool, lang: str) -> str | None:
    """Babel's ``#,##0.00`` output without Babel (10× faster; tables format thousands of
    cells per rerun): rounded half to even, grouped by three; ``None`` if the number is
    too large for the decimal context (Babel then formats it)."""
    try:
        rounded = number.quantize(decimal.Decimal(1).scaleb(-decimals), decimal.ROUND_HALF_EVEN)
    except decimal.InvalidOperation:
        return None
    text = format(rounded, ",f" if grouping else "f")
    group, point = SEPARATORS[lang]
    return text.translate({ord(","): group, ord("."): point})


def de_number(value: float | None, decimals: int | None = None) -> str:
    """German number text: ``12345.6`` → ``"12.345,6"`` (``decimals=None``: automatic)."""
    return format_number(value, decimals, "de")


def de_decimal(value: float, decimals: int = 2) -> str:
    """``value`` with at most ``decimals`` places, trailing zeros dropped (1.30 → "1,3")."""
    return format_number(value, decimals, "de", grouping=False, trim=True)
