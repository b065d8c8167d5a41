"""Labelled tables per Gemeinde for the screen and the files, small counts suppressed.

The figures come from ``geo.analysis.gemeinde_table`` (rounded, counts of 1 and 2 as
``"<3"``); the column labels from the catalogs (``table.<code>``), in German and English.
Writing files is ``report.files`` (CSV) and ``report.export`` (XLSX).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

from geo import analysis, settings
from geo import compare as geocompare
from geo import planning as geoplanning

from . import i18n
from .numbers import SUPPRESSED, auto_number, number

COUNT_KEYS: tuple[str, ...] = analysis.COUNT_COLUMNS
#: Decimals of the rounded figures of ``analysis.gemeinde_table`` (others: 0).
DECIMALS: dict[str, int] = {
    "minutes_mean": 1,
    "minutes_median": 1,
    "minutes_p90": 1,
    "share_within": 1,
    "share_beyond": 1,
    "services_within_mean": 2,
    "2sfca_mean": 3,
    "e2sfca_mean": 3,
}


def column_labels(
    target: str, threshold_min: float, lang: str = i18n.DEFAULT_LANG
) -> dict[str, str]:
    """Code → column label (with units) of the Gemeinde table in ``lang``."""
    values = {
        "T": auto_number(threshold_min, lang),
        "unit": i18n.unit_label(target, lang),
        "one": i18n.unit_one(target, lang),
        "per": number(settings.ACCESS_PER_PEOPLE, 0, lang),
        "unit_minutes": i18n.unit_minutes(target, lang),
    }
    return {code: i18n.t(f"table.{code}", lang, **values) for code in analysis.GEMEINDE_COLUMNS}


def result_labels(result: Any, lang: str = i18n.DEFAULT_LANG) -> dict[str, str]:
    """:func:`column_labels` of a result's parameters."""
    return column_labels(result.params.target, result.params.threshold_min, lang)


def table(
    result: Any, lang: str = i18n.DEFAULT_LANG, suppress: bool = True, total_row: bool = False
) -> pd.DataFrame:
    """``analysis.gemeinde_table`` with labels in ``lang`` (``attrs`` kept)."""
    df = analysis.gemeinde_table(result, suppress=suppress, total_row=total_row)
    labels = result_labels(result, lang)
    if total_row and len(df):
        df.loc[len(df) - 1, "name"] = i18n.t("table_total", lang)
    return df.rename(columns=labels)


def planning_labels(result: Any, lang: str = i18n.DEFAULT_LANG) -> dict[str, str]:
    """Code → label of ``geo.planning.planning_table`` in ``lang``."""
    labels = result_labels(result, lang)
    return {
        **labels,
        "name": i18n.t("table.planning.name", lang),
        "n_gemeinden": i18n.t("table.planning.n_gemeinden", lang),
        "ags": i18n.t("table.planning.ags", lang),
        "services_in_gemeinde": i18n.t("table.planning.services", lang),
    }


def planning_table(
    result: Any,
    planning: Any,
    lang: str = i18n.DEFAULT_LANG,
    suppress: bool = True,
    total_row: bool = True,
) -> pd.DataFrame:
    """``geo.planning.planning_table`` with labels in ``lang`` (``attrs`` kept)."""
    df = geoplanning.planning_table(result, planning, suppress=suppress, total_row=total_row)
    if total_row and len(df):
        df.loc[len(df) - 1, "name"] = i18n.t("table_total", lang)
    return df.rename(columns=planning_labels(result, lang))


#: Column codes of ``geo.compare.comparison_table`` and the figure each one shows.
COMPARISON_COLUMNS: tuple[str, ...] = (
    "ags",
    "name",
    "people",
    "newly_within",
    "newly_beyond",
    "people_within_before",
    "people_within_after",
    "people_within_delta",
    "share_within_before",
    "share_within_after",
    "share_within_delta",
    "people_unreachable_before",
    "people_unreachable_after",
    "people_unreachable_delta",
    "minutes_mean_before",
    "minutes_mean_after",
    "minutes_mean_delta",
    "gap_before",
    "gap_after",
    "gap_delta",
    "2sfca_mean_before",
    "2sfca_mean_after",
    "2sfca_mean_delta",
    "e2sfca_mean_before",
    "e2sfca_mean_after",
    "e2sfca_mean_delta",
)


def comparison_labels(params: Any, lang: str = i18n.DEFAULT_LANG) -> dict[str, str]:
    """Code → label of the before/after table (``geo.compare.comparison_table``)."""
    values = {
        "T": auto_number(params.threshold_min, lang),
        "unit": i18n.unit_label(params.target, lang),
        "per": number(settings.ACCESS_PER_PEOPLE, 0, lang),
    }
    return {code: i18n.t(f"cmp_table.{code}", lang, **values) for code in COMPARISON_COLUMNS}


def comparison_table(
    comparison: Any, lang: str = i18n.DEFAULT_LANG, suppress: bool = True
) -> pd.DataFrame:
    """The before/after table per Gemeinde plus the region row, labels in ``lang``."""
    df = geocompare.comparison_table(comparison, suppress=suppress)
    df.loc[len(df) - 1, "name"] = i18n.t("table_total", lang)
    df = df[list(COMPARISON_COLUMNS)].rename(columns=comparison_labels(comparison.params, lang))
    df.attrs["title"] = i18n.t("cmp_table_title", lang, name=comparison.scenario.name)
    return df


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
    labels = result_labels(result, lang)
    count_cols = [labels[k] for k in COUNT_KEYS]
    for col in count_cols:
        v = pd.to_numeric(df[col], errors="coerce").astype("Float64")
        df[col] = v.mask((v > 0) & (v < settings.SMALL_COUNT_LIMIT))
    return df, count_cols


@functools.lru_cache(maxsize=200_000)
def _cell_text(value: float, decimals: int, lang: str) -> str:
    """:func:`present.numbers.number` of a table cell, remembered: a rerun formats the
    same figures again (thueringen: 10,000 cells per table)."""
    return number(value, decimals, lang)


def number_formatter(decimals: int, lang: str = i18n.DEFAULT_LANG) -> Callable[[Any], str]:
    """A formatter for ``Styler.format``: localized numbers, ``–`` for missing values."""

    def fmt(value: Any) -> str:
        try:
            v = float(value)
        except (TypeError, ValueError):
            return "–"
        return "–" if not math.isfinite(v) else _cell_text(v, decimals, lang)

    return fmt


def decimals_of(result: Any, lang: str = i18n.DEFAULT_LANG) -> dict[str, int]:
    """Decimals per displayed column (the rounding of ``analysis.gemeinde_table``)."""
    labels = result_labels(result, lang)
    return {labels[k]: DECIMALS.get(k, 0) for k in labels if k not in ("ags", "name")}


def styled(
    df: pd.DataFrame,
    suppressed: list[str],
    decimals: Mapping[str, int],
    lang: str = i18n.DEFAULT_LANG,
) -> Any:
    """A pandas ``Styler``: localized numbers, ``"<3"`` in suppressed count cells.

    Its rendering is kept (:func:`keep_rendering`).
    """
    formats = {col: number_formatter(d, lang) for col, d in decimals.items() if col in df}
    counts = {c: f for c, f in formats.items() if c in suppressed}
    others = {c: f for c, f in formats.items() if c not in suppressed}
    # Each call formats only its subset (without one, pandas resets all other columns).
    styler = df.style.format(others, subset=list(others), na_rep="–")
    return keep_rendering(styler.format(counts, subset=list(counts), na_rep=SUPPRESSED))


def keep_rendering(styler: Styler) -> Styler:
    """``styler`` that renders its cells once per rendering option.

    Streamlit renders a ``Styler`` on every ``st.dataframe`` call (pandas' ``_translate``:
    one formatter call and a dict per cell; thueringen's 624 × 18 table ~0.15 s per
    rerun). The app keeps one styled table per result for every session
    (``ui.state.get_styled_table``), so its rendering is kept on the object (an instance
    attribute: Streamlit recognises a Styler by its exact type, a subclass is refused).
    Style it completely first and change it no more.
    """
    translate = styler._translate
    kept: dict[tuple, Any] = {}

    def _translate(*args: Any, **kwargs: Any) -> Any:
        key = (args, tuple(sorted(kwargs.items())))
        if key not in kept:
            kept[key] = translate(*args, **kwargs)
        return kept[key]

    styler._translate = _translate
    return styler
