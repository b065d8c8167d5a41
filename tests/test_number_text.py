"""The fast fixed-decimals path of ``geo._text.format_number`` equals Babel's output."""

from __future__ import annotations

import decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from geo import _text


def _babel(value: float, decimals: int, lang: str, grouping: bool) -> str:
    number = decimal.Decimal(repr(float(value)))
    q = decimal.Decimal(1).scaleb(-decimals)
    if number.quantize(q, decimal.ROUND_HALF_EVEN).is_zero():
        number = decimal.Decimal(0)
    return _text._pattern(decimals, grouping, False).apply(number, _text._locale(lang))


@settings(max_examples=600, deadline=None)
@given(
    value=st.one_of(
        st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15),
        st.integers(-(10**9), 10**9).map(lambda i: i / 1000),  # exact ties like 2.675, 0.125
        st.floats(allow_nan=False, allow_infinity=False, min_value=-1e22, max_value=1e22),
    ),
    decimals=st.integers(0, 4),
    lang=st.sampled_from(["de", "en"]),
    grouping=st.booleans(),
)
def test_fast_path_equals_babel(value, decimals, lang, grouping) -> None:
    assert _text.format_number(value, decimals, lang, grouping=grouping) == _babel(
        value, decimals, lang, grouping
    )


def test_hand_computed_cases() -> None:
    assert _text.format_number(12345.6, 1, "de") == "12.345,6"
    assert _text.format_number(12345.6, 1, "en") == "12,345.6"
    assert _text.format_number(2.675, 2, "de") == "2,68"  # the decimal text, half to even
    assert _text.format_number(0.125, 2, "en") == "0.12"
    assert _text.format_number(-0.04, 1, "de") == "0,0"  # no "-0"
    assert _text.format_number(-1234567.0, 0, "de") == "-1.234.567"
    assert _text.format_number(1e21, 4, "en") == _babel(1e21, 4, "en", True)
    assert _text.format_number(None, 1, "de") == _text.MISSING
