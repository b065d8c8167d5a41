"""Class breaks, colours and legend labels: the one classing of every map and table.

The web map (``layers.cells``, ``layers.boundaries``), the report figure
(``report.export``) and the XLSX legend sheet all call :func:`measure_classes` or
:func:`indicator_classes`, so the same analysis shows the same class limits, colours
and labels everywhere, in German and English.

Breaks: fixed ones from ``geo.settings`` (travel-time bands ``ISOCHRONE_BANDS_MIN``,
``POPULATION_BREAKS``, count classes, share classes) or rounded quantiles of the
positive values (:func:`nice_breaks`: 1, 2, 2,5 or 5 × 10^k). A comparison (before and
after a scenario) passes the values of both states as ``basis`` and so shares one legend.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from geo import settings

from . import i18n
from .numbers import auto_number, number

N_QUANTILE_CLASSES = 5
#: Measures of the 100 m cells on the map ("people": the target group itself).
MAP_MEASURES: tuple[str, ...] = (*settings.MEASURES, "people")
#: Class limits (percent) of shares per Gemeinde.
SHARE_BREAKS: tuple[float, ...] = (10.0, 25.0, 50.0, 75.0)
COUNT_BREAKS: tuple[float, ...] = (0.0, 1.0, 2.0, 4.0)


@dataclass(frozen=True)
class Classes:
    """Class of each value with colours, labels, limits and a legend title.

    Attributes
    ----------
    codes : ndarray of int
        Class per value; -1 = not drawn.
    colors, labels : tuple of str
        One per class, in legend order.
    title : str
        Legend title with the unit.
    limits : tuple of float
        The class limits the labels are built from (upper limits of all but the last
        class for quantile and band classes; lower limits for ``POPULATION_BREAKS``).
    """

    codes: np.ndarray
    colors: tuple[str, ...]
    labels: tuple[str, ...]
    title: str
    limits: tuple[float, ...] = ()

    def used(self) -> list[int]:
        """Classes that occur (the legend shows all classes)."""
        return sorted({int(c) for c in np.asarray(self.codes) if c >= 0})

    def rows(self) -> list[tuple[str, str]]:
        """``(label, colour)`` per class: what every legend shows."""
        return list(zip(self.labels, self.colors, strict=True))


def nice_number(value: float) -> float:
    """Round to 1, 2, 2.5 or 5 × 10^k (nearest), e.g. ``0.37 → 0.25``, ``180 → 200``."""
    if not math.isfinite(value) or value <= 0:
        return 0.0
    exp = math.floor(math.log10(value))
    base = value / 10**exp
    best = min((1.0, 2.0, 2.5, 5.0, 10.0), key=lambda m: abs(m - base))
    return float(f"{best * 10**exp:.12g}")


def nice_breaks(values: np.ndarray, n_classes: int = N_QUANTILE_CLASSES) -> list[float]:
    """Upper class limits from quantiles of ``values``, rounded to nice numbers.

    Parameters
    ----------
    values : ndarray
        The values to classify (non-finite ones are ignored).
    n_classes : int
        Wanted number of classes; fewer result when rounded quantiles coincide.

    Returns
    -------
    list of float
        Up to ``n_classes - 1`` strictly increasing inner limits between the minimum
        (inclusive) and the maximum: class ``k`` holds ``breaks[k-1] < v <= breaks[k]``.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return []
    out: list[float] = []
    lo, hi = float(v.min()), float(v.max())
    for q in np.quantile(v, np.linspace(0, 1, n_classes + 1)[1:-1]):
        b = nice_number(float(q))
        if b > 0 and (not out or b > out[-1]) and lo <= b < hi:  # no empty first or last class
            out.append(b)
    return out


def classify_upper(values: np.ndarray, breaks: Sequence[float]) -> np.ndarray:
    """Class by upper limits: 0 for ``v <= breaks[0]``, …, ``len(breaks)`` above the last."""
    return np.searchsorted(
        np.asarray(breaks, dtype=float), np.asarray(values, dtype=float), side="left"
    ).astype(np.int64)


def classify_lower(values: np.ndarray, breaks: Sequence[float]) -> np.ndarray:
    """Class by lower bounds: ``i`` for ``breaks[i] <= v < breaks[i+1]``; -1 if ``v <= 0``."""
    v = np.asarray(values, dtype=float)
    idx = np.searchsorted(np.asarray(breaks, dtype=float), v, side="right") - 1
    idx = np.clip(idx, 0, len(breaks) - 1)
    return np.where(np.isfinite(v) & (v > 0), idx, -1)


def range_labels(
    breaks: Sequence[float], lang: str = i18n.DEFAULT_LANG, unit: str = ""
) -> list[str]:
    """Labels of :func:`classify_upper` classes: ``bis 5``, ``5–10``, …, ``über 60``."""
    u = f" {unit}" if unit else ""
    if not breaks:
        return [i18n.t("cls_all", lang)]
    fmt = [auto_number(b, lang) for b in breaks]
    labels = [i18n.t("cls_upto", lang, b=fmt[0]) + u]
    labels += [i18n.t("cls_range", lang, a=a, b=b) + u for a, b in pairwise(fmt)]
    labels.append(i18n.t("cls_over", lang, b=fmt[-1]) + u)
    return labels


def lower_labels(
    breaks: Sequence[float] = settings.POPULATION_BREAKS, lang: str = i18n.DEFAULT_LANG
) -> list[str]:
    """Labels of :func:`classify_lower` classes: ``unter 5``, ``5 bis unter 10``, ``160 und mehr``."""
    labels = []
    for i, low in enumerate(breaks):
        if i == len(breaks) - 1:
            labels.append(i18n.t("cls_or_more", lang, b=number(low, 0, lang)))
        elif i == 0 and low <= 0:
            labels.append(i18n.t("cls_under", lang, b=number(breaks[1], 0, lang)))
        else:
            labels.append(
                i18n.t(
                    "cls_to_under", lang, a=number(low, 0, lang), b=number(breaks[i + 1], 0, lang)
                )
            )
    return labels


def _positive(values: np.ndarray, basis: np.ndarray | None) -> np.ndarray:
    b = np.asarray(values if basis is None else basis, dtype=float)
    return b[np.isfinite(b) & (b > 0)]


def measure_classes(
    measure: str,
    values: np.ndarray,
    threshold: float,
    target: str,
    lang: str = i18n.DEFAULT_LANG,
    basis: np.ndarray | None = None,
) -> Classes:
    """Classes, colours and labels of a per-cell measure (web map, report map, XLSX).

    Parameters
    ----------
    measure : str
        ``minutes`` (travel-time bands ``settings.ISOCHRONE_BANDS_MIN``, the last class
        also holds cells without a reachable service), ``within`` (two classes),
        ``count`` (0, 1, 2, 3–4, 5+), ``2sfca``/``e2sfca`` (0, then rounded quantile
        classes of the positive values), ``gap`` (no gap, then rounded quantile classes)
        or ``people`` (target group per cell: ``settings.POPULATION_BREAKS`` for all
        inhabitants, rounded quantile classes for the other groups; 0 not drawn).
    values : ndarray
        The measure per cell (``result.cells[measure]``, or the target group).
    threshold : float
        Minutes.
    target : str
        Target group code (its unit goes into the legend title).
    lang : {"de", "en"}
    basis : ndarray, optional
        Values the quantile breaks are computed from (default ``values``); pass the
        values of both states of a comparison so that both share one legend.

    Returns
    -------
    Classes
    """
    if measure not in MAP_MEASURES:
        raise ValueError(f"unbekanntes Maß: {measure}")
    v = np.asarray(values, dtype=float)
    T = auto_number(threshold, lang)
    label = i18n.measure_label(measure, lang)
    unit = i18n.unit_label(target, lang)
    if measure == "minutes":
        bands = list(settings.ISOCHRONE_BANDS_MIN)
        codes = classify_upper(np.where(np.isnan(v), np.inf, v), bands)
        labels = range_labels(bands, lang, "min")
        labels[-1] = i18n.t("cls_min_last", lang, b=auto_number(bands[-1], lang))
        return Classes(
            codes,
            tuple(settings.BAND_COLORS[: len(labels)]),
            tuple(labels),
            i18n.t("minutes_title", lang, measure=label),
            tuple(bands),
        )
    if measure == "within":
        codes = np.where(v.astype(bool), 0, 1)
        return Classes(
            codes,
            tuple(settings.COVERAGE_COLORS),
            (i18n.t("cls_within", lang, T=T), i18n.t("cls_beyond", lang, T=T)),
            i18n.t("within_title", lang, measure=label, T=T),
            (float(threshold),),
        )
    if measure == "count":
        codes = classify_upper(v, COUNT_BREAKS)
        count_labels = (
            i18n.t("cls_count_none", lang),
            "1",
            "2",
            i18n.t("cls_range", lang, a=3, b=4),
            i18n.t("cls_count_more", lang, n=5),
        )
        return Classes(
            codes,
            tuple(settings.ACCESS_COLORS[:5]),
            count_labels,
            i18n.t("count_title", lang, T=T),
            COUNT_BREAKS,
        )
    if measure in ("2sfca", "e2sfca", "gap"):
        colors = settings.GAP_COLORS if measure == "gap" else settings.ACCESS_COLORS
        breaks = nice_breaks(_positive(v, basis), len(colors) - 1)
        codes = np.where(v > 0, 1 + classify_upper(v, breaks), 0)
        if measure == "gap":
            labels = [i18n.t("cls_no_gap", lang, T=T), *range_labels(breaks, lang)]
            title = i18n.t(
                "gap_title", lang, measure=label, unit_minutes=i18n.unit_minutes(target, lang)
            )
        else:
            labels = [i18n.t("cls_zero_access", lang, T=T), *range_labels(breaks, lang)]
            title = i18n.t("access_title", lang, measure=label, unit=unit)
        return Classes(codes, tuple(colors[: len(labels)]), tuple(labels), title, tuple(breaks))
    # people
    title = i18n.t("pop_title", lang, target=i18n.target_label(target, lang), unit=unit)
    if target == "pop":
        lower = settings.POPULATION_BREAKS
        return Classes(
            classify_lower(v, lower),
            tuple(settings.POPULATION_COLORS),
            tuple(lower_labels(lower, lang)),
            title,
            tuple(lower),
        )
    upper = nice_breaks(_positive(v, basis), len(settings.POPULATION_COLORS))
    codes = np.where(v > 0, classify_upper(v, upper), -1)
    labels = range_labels(upper, lang)
    return Classes(
        codes, tuple(settings.POPULATION_COLORS[: len(labels)]), tuple(labels), title, tuple(upper)
    )


def indicator_classes(
    values: np.ndarray,
    share: bool,
    title: str,
    lang: str = i18n.DEFAULT_LANG,
    colors: Sequence[str] = settings.CHOROPLETH_COLORS,
    basis: np.ndarray | None = None,
) -> Classes:
    """Classes of a Gemeinde indicator (choropleth): shares in fixed percent classes.

    Parameters
    ----------
    values : ndarray
        One value per Gemeinde (shares as 0…1); NaN = no value (code -1).
    share : bool
        Shares: classes :data:`SHARE_BREAKS` in percent; else rounded quantiles.
    title : str
        Legend title (the indicator with its unit).
    lang : {"de", "en"}
    colors : sequence of str
        Light to dark.
    basis : ndarray, optional
        Values the quantile breaks are computed from (default ``values``).

    Returns
    -------
    Classes
    """
    scale = 100.0 if share else 1.0
    v = np.asarray(values, dtype=float) * scale
    b = v if basis is None else np.asarray(basis, dtype=float) * scale
    breaks = list(SHARE_BREAKS) if share else nice_breaks(b[np.isfinite(b)], len(colors))
    codes = np.where(np.isfinite(v), classify_upper(np.nan_to_num(v), breaks), -1)
    labels = range_labels(breaks, lang, "%" if share else "")
    return Classes(codes, tuple(colors[: len(labels)]), tuple(labels), title, tuple(breaks))
