"""Descriptions of a result in words: travel-time model, parameters and sources.

Built from codes and numbers of the result (``result.params``, ``result.metadata``:
``model_kind``, ``network_source``), never by parsing a German sentence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from geo import settings

from . import i18n
from .numbers import auto_number

MODEL_NETWORK_PREFIX = "network"
MODEL_FALLBACK_PREFIX = "fallback"


def model_text(result: Any, lang: str = i18n.DEFAULT_LANG) -> str:
    """The travel-time model of a result (``"OSM-Straßennetz (…), Fahrrad 15 km/h"``).

    Parameters
    ----------
    result : geo.analysis.AnalysisResult
        Uses ``params.mode``, ``metadata["model_kind"]`` and ``metadata["network_source"]``.
    lang : {"de", "en"}

    Returns
    -------
    str
        Models this module does not know (e.g. a new mode's own model) keep the
        result's own description (``result.model``).
    """
    meta = getattr(result, "metadata", None) or {}
    mode = result.params.mode
    kind = str(meta.get("model_kind") or "")
    if mode not in settings.MODES:
        return str(result.model)
    label = i18n.mode_label(mode, lang)
    m = settings.MODES[mode]
    if kind.startswith(MODEL_NETWORK_PREFIX):
        speed = (
            i18n.t("model_speed_roads", lang)
            if m.speed_kmh is None
            else f"{auto_number(m.speed_kmh, lang)} km/h"
        )
        source = meta.get("network_source")
        key = "model_network_text" if source else "model_network_text_nosource"
        return i18n.t(key, lang, source=source, mode=label, speed=speed)
    if kind.startswith(MODEL_FALLBACK_PREFIX):
        factor = settings.DETOUR_FACTORS.get(mode, 1.0)
        kmh = settings.FALLBACK_CAR_SPEED_KMH if m.speed_kmh is None else m.speed_kmh
        speed = (
            i18n.t("model_speed_mean", lang, speed=auto_number(kmh, lang))
            if m.speed_kmh is None
            else f"{auto_number(kmh, lang)} km/h"
        )
        return i18n.t(
            "model_fallback_text", lang, factor=auto_number(factor, lang), mode=label, speed=speed
        )
    return str(result.model)


def source_line(source: Mapping[str, Any], lang: str = i18n.DEFAULT_LANG) -> str:
    """One source in print-worthy words: ``"Name, Stand 31.12.2023: © …"``."""
    name = str(source.get("name", "")).strip()
    date = str(source.get("date", "")).strip()
    attribution = str(source.get("attribution", "")).strip()
    text = name
    if date:
        stated = date.lower().startswith(("stand", "as of"))
        text += ", " + (date if stated else i18n.t("source_as_of", lang, date=date))
    return f"{text}: {attribution}" if attribution else text


def source_lines(sources: Any, lang: str = i18n.DEFAULT_LANG) -> list[str]:
    """:func:`source_line` of every source (strings are kept as they are)."""
    return [s if isinstance(s, str) else source_line(s, lang) for s in sources or []]


def kinds_text(kinds: Any, lang: str = i18n.DEFAULT_LANG) -> str:
    """The selected service kinds (category codes or subcategories), or "alle Angebote"."""
    kinds = tuple(kinds or ())
    if not kinds:
        return i18n.t("all_services", lang)
    names = (
        i18n.category_label(k, lang) if k in settings.CATEGORIES else subcategory_label(k)
        for k in kinds
    )
    return ", ".join(dict.fromkeys(names))  # raw variants of one subcategory: named once


_DETAIL = re.compile(r"\s*(?:[(;]|\s–\s).*$")


def subcategory_label(raw: Any) -> str:
    """The harmonised name of a raw subcategory: without funding or programme details.

    ``"Familienzentrum (Thür. Richtlinie Familienzentren; LSZ-gefördert)"`` →
    ``"Familienzentrum"``; the raw text stays in the service's details.
    """
    text = " ".join(str(raw or "").split())
    short = _DETAIL.sub("", text).strip()
    short = short or text
    return short[:1].upper() + short[1:]


def subcategory_groups(counts: Mapping[str, int]) -> dict[str, tuple[int, tuple[str, ...]]]:
    """Raw subcategories with counts grouped by :func:`subcategory_label`.

    Returns
    -------
    dict
        Harmonised name → (number of services, the raw subcategories it stands for),
        sorted by name.
    """
    groups: dict[str, list] = {}
    for raw, n in counts.items():
        entry = groups.setdefault(subcategory_label(raw), [0, []])
        entry[0] += int(n)
        entry[1].append(str(raw))
    return {k: (v[0], tuple(v[1])) for k, v in sorted(groups.items(),
                                                       key=lambda kv: kv[0].casefold())}
