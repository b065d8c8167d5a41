"""Figures as text in German or English: numbers, percent, counts, minutes, dates (Babel).

One formatter underneath (:func:`geo._text.format_number`, Babel ``de_DE``/``en``); this
module adds what the views show on top of it. Counts of the target group of 1 and 2
are suppressed as ``"<3"`` (:func:`count`, ``settings.SMALL_COUNT_LIMIT``).

>>> number(1234.5, 1, "de"), number(1234.5, 1, "en")
('1.234,5', '1,234.5')
>>> percent(0.321, "de"), count(2)
('32,1\\xa0%', '<3')
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from babel.dates import format_date
from babel.numbers import format_percent

from geo import settings
from geo._text import LOCALES, MISSING, finite, format_number

SUPPRESSED = f"<{settings.SMALL_COUNT_LIMIT}"


def _lang(lang: str | None) -> str:
    return lang if lang in LOCALES else "de"


def number(value: Any, decimals: int | None = 0, lang: str = "de") -> str:
    """A number with thousands separators: ``1.234,5`` (de) or ``1,234.5`` (en); ``–`` if missing.

    ``decimals=None`` chooses as many decimals as the size needs (``0,25``, ``2,5``, ``125``).
    """
    return format_number(value, decimals, _lang(lang))


def auto_number(value: Any, lang: str = "de") -> str:
    """:func:`number` with automatic decimals (``1,28``, ``15``, ``0,25``)."""
    return format_number(value, None, _lang(lang))


def percent(share: Any, lang: str = "de", decimals: int = 1) -> str:
    """A share (0…1) in percent: ``42,1 %`` (de, no-break space) or ``42.1%`` (en)."""
    v = finite(share)
    if v is None:
        return MISSING
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "") + "%"
    lang = _lang(lang)
    text = format_percent(
        v, pattern.replace("%", "\u00a0%") if lang == "de" else pattern, locale=LOCALES[lang]
    )
    return text.replace("-0,0", "0,0").replace("-0.0", "0.0")


def count(value: Any, lang: str = "de") -> str:
    """A count of the target group, small counts suppressed (1–2 → ``<3``)."""
    v = finite(value)
    if v is None:
        return MISSING
    r = math.floor(v + 0.5)
    if 0 < r < settings.SMALL_COUNT_LIMIT:
        return SUPPRESSED
    return format_number(r, 0, _lang(lang))


def is_suppressed(value: Any) -> bool:
    """Whether a count is shown as ``"<3"`` (1 or 2 after rounding)."""
    v = finite(value)
    return v is not None and 0 < math.floor(v + 0.5) < settings.SMALL_COUNT_LIMIT


def minutes(value: Any, lang: str = "de") -> str:
    """Minutes with one decimal and the unit; ``–`` for missing or infinite values."""
    v = finite(value)
    if v is None:
        return MISSING
    return f"{format_number(v, 1, _lang(lang))} min"


def date(value: dt.date | None = None, lang: str = "de") -> str:
    """A date: ``04.12.2026`` (de) or ``Dec 4, 2026`` (en); default today."""
    return format_date(value or dt.date.today(), "medium", locale=LOCALES[_lang(lang)])
