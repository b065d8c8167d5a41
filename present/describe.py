"""Descriptions of a result in words: travel-time model, parameters and sources.

Built from codes and numbers of the result (``result.params``, ``result.model``,
``result.metadata``), never by parsing a German sentence.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from geo import settings

from . import i18n
from .numbers import auto_number, count, number, percent

MODEL_NETWORK_PREFIX = "network"
MODEL_FALLBACK_PREFIX = "fallback"
MODEL_TRANSIT_PREFIX = "transit:"


def model_text(result: Any, lang: str = i18n.DEFAULT_LANG) -> str:
    """The travel-time model of a result (``"OSM-Straßennetz (…), Fahrrad 15 km/h"``).

    Parameters
    ----------
    result : geo.analysis.AnalysisResult or geo.traveltime.TravelField
        Uses its ``model`` (the model as data, ``geo.traveltime.model_info``).
    lang : {"de", "en"}
    """
    return model_words(getattr(result, "model", None) or {}, lang)


def model_words(model: Mapping[str, Any], lang: str = i18n.DEFAULT_LANG) -> str:
    """A travel-time model (``geo.traveltime.model_info``) in words.

    >>> model_words({"kind": "fallback:x", "mode": "walk", "detour": 1.3, "speed_kmh": 4.5})
    'Luftlinie × Umwegfaktor 1,3, zu Fuß 4,5 km/h'
    """
    kind = str(model.get("kind") or "")
    mode = str(model.get("mode") or "")
    if kind.startswith(MODEL_TRANSIT_PREFIX):
        return transit_model_text(model, lang)
    label = i18n.mode_label(mode, lang)
    kmh = model.get("speed_kmh")
    if kind.startswith(MODEL_NETWORK_PREFIX):
        speed = (
            i18n.t("model_speed_roads", lang) if kmh is None else f"{auto_number(kmh, lang)} km/h"
        )
        source = model.get("source")
        key = "model_network_text" if source else "model_network_text_nosource"
        return i18n.t(key, lang, source=source, mode=label, speed=speed)
    if kind.startswith(MODEL_FALLBACK_PREFIX):
        speed = f"{auto_number(kmh, lang)} km/h"
        if mode == "car":
            speed = i18n.t("model_speed_mean", lang, speed=auto_number(kmh, lang))
        factor = auto_number(model.get("detour", 1.0), lang)
        return i18n.t("model_fallback_text", lang, factor=factor, mode=label, speed=speed)
    return i18n.t("model_unknown", lang, kind=kind or "?")


#: Keys of :func:`formulas`, in the order they are listed.
FORMULA_KEYS: tuple[str, ...] = (
    "minutes",
    "within",
    "count",
    "2sfca",
    "e2sfca",
    "gap",
    "gemeinde_mean",
    "gemeinde_quantiles",
    "services_in_gemeinde",
    "services_reachable",
    "services_within_mean",
    "gap_per_1000",
)


def formulas(
    params: Any, lang: str = i18n.DEFAULT_LANG, need_weighting: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """The formula of every measure of an analysis (``geo.analysis.AnalysisParams``).

    ``need_weighting`` (``result.metadata["need_weighting"]``) adds the weight to the
    gap formula.

    >>> from geo.analysis import AnalysisParams
    >>> formulas(AnalysisParams(threshold_min=15), "de")["within"]
    't_i ≤ T (T = 15 min)'
    """
    steps = " / ".join(number(w, 2, lang) for w in settings.E2SFCA_STEP_WEIGHTS)
    values = {
        "T": auto_number(params.threshold_min, lang),
        "cap": auto_number(params.cap_minutes, lang),
        "factor": auto_number(params.gap_cap_factor, lang),
        "per": number(settings.ACCESS_PER_PEOPLE, 0, lang),
        "decay": i18n.t(f"formula.decay.{params.decay or 'none'}", lang, steps=steps),
    }
    out = {key: i18n.t(f"formula.{key}", lang, **values) for key in FORMULA_KEYS}
    if need_weighting:
        out["gap"] += i18n.t("formula.gap_need", lang, formula=need_formula(need_weighting, lang))
    return out


def need_formula(info: Mapping[str, Any] | None, lang: str = i18n.DEFAULT_LANG) -> str:
    """The need weight's formula in words (``NeedWeights.info()`` or a result's
    ``metadata["need_weighting"]``); without a label: weight per Gemeinde.

    >>> need_formula({"label": "SGB-II-Quote", "unit": "%", "reference": 10.04,
    ...               "weighting": {"by": "unweighted"}}, "de")
    'Bedarfsgewicht = SGB-II-Quote der Gemeinde ÷ Mittelwert der Region (10,04 %, ungewichtet)'
    """
    info = info or {}
    if not info.get("label"):
        return i18n.t("nw.per_gemeinde", lang)
    w = dict(info.get("weighting") or {"by": "unweighted"})
    by = i18n.t(f"nw.by.{w.pop('by', 'unweighted')}", lang, **w)
    unit = str(info.get("unit") or "")
    return i18n.t(
        "nw.formula",
        lang,
        label=info["label"],
        reference=number(info.get("reference"), 2, lang) + (f" {unit}" if unit else ""),
        weighting=by,
    )


def need_notes(weights: Any, lang: str = i18n.DEFAULT_LANG) -> list[str]:
    """The notes of a need weighting (``NeedWeights.notes``) in words."""
    return [note_text(n, lang) for n in getattr(weights, "notes", ()) or ()]


def result_formulas(result: Any, lang: str = i18n.DEFAULT_LANG) -> dict[str, str]:
    """:func:`formulas` of an analysis result (with its need weighting)."""
    meta = getattr(result, "metadata", None) or {}
    return formulas(result.params, lang, meta.get("need_weighting"))


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
    return {
        k: (v[0], tuple(v[1])) for k, v in sorted(groups.items(), key=lambda kv: kv[0].casefold())
    }


def _kind(change: Any, lang: str) -> str:
    sub = getattr(change, "subcategory", None)
    return subcategory_label(sub) if sub else i18n.category_label(change.category, lang)


def change_text(change: Any, lang: str = i18n.DEFAULT_LANG) -> str:
    """One line for a scenario change (``geo.scenario.Change``) in the UI and the record.

    >>> from geo.scenario import CloseSite
    >>> change_text(CloseSite(service_id="s1"), "en")
    'Site s1 closed'
    """
    kind = change.TYPE
    if kind in ("move_site", "close_site"):
        return i18n.t(f"change.{kind}", lang, id=change.service_id)
    if kind == "add_site":
        return i18n.t("change.add_site", lang, name=change.name, kind=_kind(change, lang))
    if kind == "outreach_day":
        where = change.place or (
            i18n.t("change.at_site", lang, id=change.at_site)
            if change.at_site
            else i18n.t("change.new_place", lang)
        )
        days = ", ".join(settings.WEEKDAYS[d] if lang == "de" else d for d in change.weekdays)
        return i18n.t(
            "change.outreach_day",
            lang,
            name=change.name,
            kind=_kind(change, lang),
            where=where + (f", {days}" if days else ""),
            hours=auto_number(change.hours, lang),
            full=auto_number(settings.FULL_TIME_HOURS, lang),
        )
    if kind == "mobile_service":
        hours = sum(s.hours for s in change.stops)
        return i18n.t(
            "change.mobile_service",
            lang,
            name=change.name,
            kind=_kind(change, lang),
            stops=i18n.tn("n_stops", len(change.stops), lang),
            hours=auto_number(hours, lang),
        )
    if kind == "denser_trips":
        return i18n.t(
            "change.denser_trips",
            lang,
            trip=change.trip_id,
            headway=auto_number(change.headway_min, lang),
            until=change.until,
        )
    return str(change.describe())


def comparison_headline(cmp: Any, lang: str = i18n.DEFAULT_LANG) -> str:
    """One line summing up a scenario comparison (``geo.compare.Comparison``)."""
    t = cmp.totals
    unit = i18n.unit_label(cmp.params.target, lang)
    text = i18n.t(
        "cmp_headline",
        lang,
        n=count(t["newly_within"], lang),
        unit=unit,
        minutes=auto_number(cmp.params.threshold_min, lang),
        before=percent(t["share_within_before"] or 0, lang),
        after=percent(t["share_within_after"] or 0, lang),
    )
    if t["newly_beyond"] >= 0.5:
        text += i18n.t("cmp_headline_beyond", lang, n=count(t["newly_beyond"], lang), unit=unit)
    return text


def coverage_text(cov: Any, lang: str = i18n.DEFAULT_LANG) -> str:
    """Which part of the region an inventory covers (``geo.inventory.Coverage``), in words."""
    if cov.services_located == 0:
        return i18n.t("cov_none", lang)
    if cov.complete:
        return i18n.t(
            "cov_complete",
            lang,
            kreise=i18n.tn("n_kreise", len(cov.kreise), lang),
            with_services=number(cov.gemeinden_with_services, 0, lang),
            gemeinden=number(cov.gemeinden, 0, lang),
        )
    return i18n.t(
        "cov_partial",
        lang,
        n=len(cov.covered_kreise),
        k=len(cov.kreise),
        names=", ".join(cov.kreise[c] for c in cov.covered_kreise),
        in_covered=number(cov.gemeinden_in_covered, 0, lang),
        gemeinden=number(cov.gemeinden, 0, lang),
        pop_covered=number(cov.population_in_covered, 0, lang),
        pop=number(cov.population, 0, lang),
    )


def demand_lines(meta: Mapping[str, Any] | None, lang: str = i18n.DEFAULT_LANG) -> list[str]:
    """The demand basis of a region (``meta["demand"]`` of ``geo.demand.for_region``) in words.

    ``["Amtliche Zahlen je Gemeinde: …, Stand …", "Prognose 2030 (Quelle: …)"]``; empty
    for the census-based default.
    """
    demand = (meta or {}).get("demand") or {}
    lines = []
    official = demand.get("official")
    if official:
        date = official.get("date")
        lines.append(
            i18n.t("demand_official", lang, source=official.get("source", ""))
            + (i18n.t("demand_as_of", lang, date=date) if date else "")
        )
    if demand.get("year") is not None and demand.get("projection_source"):
        lines.append(projection_text(demand["year"], demand["projection_source"], lang))
    return lines


def projection_text(year: int, source: str, lang: str = i18n.DEFAULT_LANG) -> str:
    """``"Prognose 2030 (Quelle: 1. rBv)"``: the label of a target year on every figure."""
    return i18n.t("demand_projection", lang, year=int(year), source=source)


def note_text(note: Any, lang: str = i18n.DEFAULT_LANG) -> str:
    """One note of a result (a code with its numbers from ``geo``) in words.

    >>> note_text({"code": "unlocated", "n": 2}, "de")
    '2 Angebote der Auswahl ohne Standort (nicht gefunden) nicht berücksichtigt'

    Notes that are already text (import reports, scenario checks) are returned as they are.
    """
    if not isinstance(note, Mapping):
        return str(note)
    code = str(note.get("code", ""))
    v = dict(note)
    if code in ("capacity_unknown", "unlocated", "outside", "fewer_sites", "inactive"):
        v["services"] = i18n.tn("n_services", v.get("n", 0), lang)
    if code == "capacity_unknown":
        v["capacity"] = auto_number(v.get("capacity"), lang)
    elif code == "outside":
        v["km"] = auto_number(v.get("km"), lang)
    elif code == "off_network":
        v["share"] = percent(v.get("share"), lang)
        v["cells"] = i18n.tn("n_cells", v.get("cells", 0), lang)
        v["limit_m"] = number(v.get("limit_m"), 0, lang)
    elif code == "candidates":
        v["kind"] = i18n.t(f"candidates.{v.get('kind')}", lang)
        v["n"] = number(v.get("n"), 0, lang)
    elif code == "already_served":
        v["minutes"] = auto_number(v.get("minutes"), lang)
    elif code == "not_served":
        v["unit"] = i18n.unit_label(str(v.get("target", "")), lang)
        v["n"] = number(v.get("n"), 0, lang)
    elif code == "exact_time_limit":
        v["seconds"] = auto_number(v.get("seconds"), lang)
    elif code == "need_weighted":
        v = {"formula": need_formula(note, lang)}
    elif code == "nw_missing":
        names = ", ".join(v.get("names") or ())
        if v.get("more"):
            names += i18n.t("nw.more", lang, n=number(v["more"], 0, lang))
        v = {"gemeinden": i18n.tn("n_gemeinden", v.get("n", 0), lang), "names": names}
    elif code in ("nw_no_pop", "nw_zero"):
        v = {"gemeinden": i18n.tn("n_gemeinden", v.get("n", 0), lang)}
    elif code == "nw_source":
        when = str(v.get("imported_at") or "")
        v = {
            "file": v.get("file", ""),
            "when": i18n.t("nw.imported", lang, when=when) if when else "",
        }
    elif code == "change_no_effect":
        from geo.scenario import Change

        v["change"] = change_text(Change.from_dict(v.get("change")), lang)
    v.pop("code", None)
    return i18n.t(f"note.{code}", lang, **v)


def notes_text(notes: Any, lang: str = i18n.DEFAULT_LANG) -> list[str]:
    """All notes of a result (``metadata["notes"]``) in words."""
    return [note_text(n, lang) for n in notes or ()]


def merge_text(report: Any, lang: str = i18n.DEFAULT_LANG) -> str:
    """What a save merged in from another session (``geo.scenario_merge.MergeReport``)."""
    if report.copy_name and not report.conflicts:
        return i18n.t("merge_copy", lang, name=report.copy_name)
    text = i18n.tn("merge_from_other", report.from_other, lang)
    if report.conflicts:
        text += " " + i18n.tn(
            "merge_conflicts", len(report.conflicts), lang, name=report.copy_name or ""
        )
    return text


# --- ÖPNV (issue 11) --------------------------------------------------------------------


def _clock(hhmm: str, minutes: int) -> str:
    """``hhmm`` plus ``minutes`` as ``HH:MM`` (hours past 24 kept, as in GTFS)."""
    h, m = (int(v) for v in str(hhmm).split(":")[:2])
    total = h * 60 + m + int(minutes)
    return f"{total // 60:02d}:{total % 60:02d}"


def transit_model_text(info: Mapping[str, Any], lang: str = i18n.DEFAULT_LANG) -> str:
    """The timetable model in words, from ``TransitModel.info``.

    E.g. ``"ÖPNV nach Fahrplan cairns_gtfs, Mo 02.06.2014, Abfahrt 07:00–08:00, Median"``;
    a scenario lever on the timetable is named after it.
    """
    feed = str(info.get("feed") or "")
    feed = feed[:-4] if feed.lower().endswith(".zip") else feed
    try:
        day = dt.date.fromisoformat(str(info.get("date")))
        days = i18n.t("tr_weekdays", lang).split(",")
        date = f"{days[day.weekday()]} {day:%d.%m.%Y}"
    except ValueError:
        date = str(info.get("date"))
    window = int(info.get("window_min") or 0)
    depart = str(info.get("depart"))
    if window > 1:
        stats = list(info.get("statistic") or ["median"])
        span = f"{depart}–{_clock(depart, window)}"
        text = i18n.t(
            "tr_model_window",
            lang,
            feed=feed,
            date=date,
            span=span,
            statistic=i18n.t(f"tr_stat_{stats[0]}", lang),
        )
    else:
        text = i18n.t("tr_model_single", lang, feed=feed, date=date, depart=depart)
    if info.get("scenario"):
        text = f"{text} {i18n.t('tr_model_scenario', lang)}"
    return text


def stop_access_text(info: Mapping[str, Any], lang: str = i18n.DEFAULT_LANG) -> str:
    """The proxy without a timetable in words (never called a travel time to a service)."""
    return i18n.t(
        "tr_proxy_model",
        lang,
        source=str(info.get("source", "")),
        minutes=auto_number(info.get("threshold_min", 0), lang),
        speed=auto_number(info.get("walk_speed_kmh", 0), lang),
    )
