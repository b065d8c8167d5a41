"""Session record of a workshop: one ZIP with scenario, pins, figures, maps and a protocol.

:func:`session_record` bundles what a workshop produced so that it can be filed with the
minutes (Sitzungsprotokoll) and reopened later:

- ``szenario.geojson`` – the scenario (``geo._scenario_io.to_geojson``, re-importable),
- ``pins.geojson`` and ``pins.csv`` – the participants' pins (WGS84; text verbatim),
- ``vergleich_gemeinden.csv`` (German CSV) and ``vergleich_gemeinden.xlsx`` – before/after
  per Gemeinde and for the region (``geo.compare.comparison_table``, small counts "<3"),
- ``karte_vorher.png`` and ``karte_nachher.png`` – the status quo and the scenario
  (``report.export.render_map``),
- ``protokoll.md`` – scenario name, parameters, changes, people newly within reach, pins,
  sources and the travel-time model;
- ``protokoll.pdf`` – the document for the committee (Jugendhilfeausschuss,
  :func:`record_pdf`): title page, the maps before and after (one shared legend),
  before/after figures, the scenario's items numbered per type, the pins with their
  place (Gemeinde and coordinates) and time, sources and method – in one PDF.

No Streamlit; the app offers the bytes as a download.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import textwrap
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo import _crs, analysis, settings, transit_lever
from geo import scenario as geoscenario
from geo._scenario_io import to_geojson
from geo._text import de_decimal
from geo.compare import Comparison, compare, with_services
from geo.scenario import Scenario, apply, changes_frame, pins_frame
from present import describe, i18n, numbers
from present import tables as ptables
from report.export import attribution_lines, build_figure, render_map
from report.files import csv_bytes
from report.participation import participation_csv, participation_markdown
from report.xlsx import workbook_bytes

RECORD_DPI = 110  # maps in the record: readable on screen, quick to draw
PDF_LINES_PER_PAGE = 52
PDF_WRAP = 95


def _pins_table(scenario: Scenario) -> pd.DataFrame:
    pins = pins_frame(scenario)
    wgs = _crs.to_display(pins) if len(pins) else pins
    return pd.DataFrame(
        {
            "id": list(pins["id"]),
            "art": list(pins["label"]),
            "text": list(pins["text"]),
            "erstellt": list(pins["created"]),
            "lon": [round(float(p.x), 6) for p in wgs.geometry],
            "lat": [round(float(p.y), 6) for p in wgs.geometry],
        }
    )


def _pins_geojson(scenario: Scenario) -> bytes:
    pins = pins_frame(scenario)
    if not len(pins):
        return b'{"type": "FeatureCollection", "features": []}'
    return _crs.to_display(pins).to_json(drop_id=True).encode("utf-8")


def _params_lines(params: analysis.AnalysisParams, lang: str = "de") -> list[str]:
    return [
        f"- Angebotsart: {describe.kinds_text(params.kinds, lang)}",
        f"- Zielgruppe: {i18n.target_label(params.target, lang)}",
        f"- Verkehrsart: {i18n.mode_label(params.mode, lang)}",
        f"- Schwellenwert: {de_decimal(params.threshold_min, 1)} min",
        "- " + i18n.t("rec_measure", lang, measure=i18n.measure_label(params.measure, lang)),
    ]


def protocol_markdown(
    region: Any,
    params: analysis.AnalysisParams,
    scenario: Scenario,
    comparison: Comparison,
    base: analysis.AnalysisResult,
    created: dt.datetime | None = None,
) -> str:
    """The protocol as Markdown (German)."""
    created = created or dt.datetime.now()
    t = comparison.totals
    unit = settings.TARGET_GROUPS[params.target].unit_de
    lines = [
        f"# Sitzungsprotokoll – {scenario.name}",
        "",
        f"Region: {getattr(region, 'label', '')} · erstellt am "
        f"{created.strftime('%d.%m.%Y %H:%M')}",
        "",
        "## Parameter",
        "",
        *_params_lines(params),
        "",
        "## Ergebnis",
        "",
        f"- {describe.comparison_headline(comparison)}",
        f"- Neu innerhalb der Schwelle: {numbers.count(t['newly_within'])} {unit}",
        f"- Nicht mehr innerhalb: {numbers.count(t['newly_beyond'])} {unit}",
        f"- Angebote in der Auswahl: {t['services_before']} → {t['services_after']}",
        "",
    ]
    gem = comparison.gemeinden
    gained = gem.loc[gem["newly_within"] >= 0.5].sort_values("newly_within", ascending=False)
    if len(gained):
        lines += ["Gemeinden mit neu erreichten Personen:", ""]
        lines += [
            f"- {r.name}: +{numbers.count(r.newly_within)}" for r in gained.head(15).itertuples()
        ]
        lines.append("")
    lines += ["## Änderungen", ""]
    lines += [
        f"{i}. {describe.change_text(c)}" for i, c in enumerate(scenario.changes, start=1)
    ] or ["(keine)"]
    notes = describe.notes_text(comparison.metadata.get("notes"))
    if notes:
        lines += ["", "Hinweise:", ""] + [f"- {n}" for n in notes]
    lines += ["", "## Markierungen der Teilnehmenden", ""]
    lines += [f"- {p.label}: {p.text}" if p.text else f"- {p.label}" for p in scenario.pins] or [
        "(keine)"
    ]
    lines += ["", "## Quellen und Methode", ""]
    lines += [f"- {line}" for line in attribution_lines(region, base, created.date())]
    lines += [
        "",
        "Dateien: szenario.geojson (wieder importierbar), pins.geojson/pins.csv, "
        "vergleich_gemeinden.csv/.xlsx, karte_vorher.png, karte_nachher.png.",
        "",
    ]
    return "\n".join(lines)


def protocol_pdf(markdown: str) -> bytes:
    """The Markdown protocol as plain text pages (A4 portrait) in a PDF."""
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    rows: list[tuple[str, bool]] = []
    for raw in markdown.splitlines():
        head = raw.startswith("#")
        text = raw.lstrip("#").strip() if head else raw
        wrapped = textwrap.wrap(text, PDF_WRAP, subsequent_indent="   ") or [""]
        rows += [(w, head) for w in wrapped]
    buf = io.BytesIO()
    with PdfPages(buf, metadata={"Title": "Sitzungsprotokoll", "Creator": "Nahraum"}) as pdf:
        for start in range(0, max(len(rows), 1), PDF_LINES_PER_PAGE):
            fig = Figure(figsize=(8.27, 11.69))
            y = 0.95
            for text, head in rows[start : start + PDF_LINES_PER_PAGE]:
                fig.text(
                    0.07,
                    y,
                    text,
                    fontsize=12 if head else 9.5,
                    fontweight="bold" if head else "normal",
                    va="top",
                    family="DejaVu Sans",
                )
                y -= 0.0172
            pdf.savefig(fig)
    return buf.getvalue()


def _states(
    region: Any,
    params: analysis.AnalysisParams,
    scenario: Scenario,
    networks: Mapping[str, Any] | None,
    need_weights: Mapping[str, float] | None,
    base_result: analysis.AnalysisResult | None,
) -> tuple[analysis.AnalysisResult, Comparison, analysis.AnalysisResult]:
    """Status quo, comparison and the state after the scenario."""
    base = base_result or analysis.analyze(region, params, networks, need_weights=need_weights)
    cmp = compare(region, params, scenario, networks, base_result=base, need_weights=need_weights)
    after_services = apply(region.services, scenario, strict=False)
    after = analysis.analyze(
        with_services(region, after_services),
        params,
        transit_lever.scenario_networks(networks, scenario),  # timetable changes (ÖPNV)
        need_weights=need_weights,
    )
    return base, cmp, after


def session_pdf(
    region: Any,
    params: analysis.AnalysisParams,
    scenario: Scenario,
    networks: Mapping[str, Any] | None = None,
    *,
    base_result: analysis.AnalysisResult | None = None,
    created: dt.datetime | None = None,
    lang: str = "de",
    participation: list[dict] | None = None,
) -> bytes:
    """Only the committee PDF of the record (:func:`record_pdf`), for the app's button."""
    base, cmp, after = _states(region, params, scenario, networks, None, base_result)
    return record_pdf(
        region,
        params,
        scenario,
        cmp,
        base,
        after,
        created=created,
        lang=lang,
        participation=participation,
    )


def session_record(
    region: Any,
    params: analysis.AnalysisParams,
    scenario: Scenario,
    networks: Mapping[str, Any] | None = None,
    need_weights: Mapping[str, float] | None = None,
    *,
    base_result: analysis.AnalysisResult | None = None,
    created: dt.datetime | None = None,
    participation: list[dict] | None = None,
) -> bytes:
    """The session record as ZIP bytes (see the module docstring for its files).

    Parameters
    ----------
    region : Region
    params : AnalysisParams
    scenario : Scenario
    networks : mapping mode → Network, optional
    need_weights : mapping AGS → weight, optional
    base_result : AnalysisResult, optional
        The status quo for ``params`` (computed when missing).
    created : datetime, optional
        Time stamp of the protocol (default: now).
    participation : list of dict, optional
        Participants' pins (``geo.participants.Board.table``): ``teilnahme.csv`` and a section.
    """
    base, cmp, after = _states(region, params, scenario, networks, need_weights, base_result)
    table = ptables.comparison_table(cmp)
    md = protocol_markdown(region, params, scenario, cmp, base, created)
    md += participation_markdown(participation) if participation is not None else ""
    sites = changes_frame(region.services, scenario)
    out = io.BytesIO()
    with (
        tempfile.TemporaryDirectory() as tmp,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf,
    ):
        import json

        zf.writestr(
            "szenario.geojson",
            json.dumps(to_geojson(scenario, region.services), ensure_ascii=False, indent=1),
        )
        zf.writestr("pins.geojson", _pins_geojson(scenario))
        zf.writestr("pins.csv", csv_bytes(_pins_table(scenario)))
        if participation is not None:
            zf.writestr("teilnahme.csv", participation_csv(participation))
        zf.writestr("vergleich_gemeinden.csv", csv_bytes(table))
        notes = [("Szenario", scenario.name), ("Ergebnis", describe.comparison_headline(cmp))]
        zf.writestr(
            "vergleich_gemeinden.xlsx",
            workbook_bytes([("Vergleich", table, {}, 2, True)], [("Hinweise", notes)]),
        )
        for fname, result, name, pts in (
            ("karte_vorher.png", base, None, None),
            ("karte_nachher.png", after, scenario.name, sites if len(sites) else None),
        ):
            path = Path(tmp) / fname
            render_map(
                region,
                result,
                path,
                dpi=RECORD_DPI,
                scenario_name=name,
                sites=pts,
                created=(created or dt.datetime.now()).date(),
            )
            zf.write(path, fname)
        zf.writestr("protokoll.md", md)
        zf.writestr(
            "protokoll.pdf",
            record_pdf(
                region,
                params,
                scenario,
                cmp,
                base,
                after,
                created=created,
                participation=participation,
            ),
        )
    return out.getvalue()


# ---------------------------------------------------------------------------
# The committee document: one PDF
# ---------------------------------------------------------------------------
A4_PORTRAIT = (8.27, 11.69)
_TOP, _BOTTOM, _LEFT = 0.94, 0.07, 0.08
_LINE = 0.0175  # figure fraction per 9.5 pt line
_WRAP = 100
_TYPES = (
    (geoscenario.AddSite, "rec_type_site"),
    (geoscenario.OutreachDay, "rec_type_outreach"),
    (geoscenario.MobileService, "rec_type_mobile"),
    (geoscenario.MoveSite, "rec_type_move"),
    (geoscenario.CloseSite, "rec_type_close"),
)


class _TextPages:
    """Text pages (A4 portrait) with a running footer: headings, paragraphs, table rows."""

    def __init__(self, pdf: Any, footer: str, lang: str) -> None:
        from matplotlib.figure import Figure

        self.pdf, self.footer, self.lang = pdf, footer, lang
        self.figure_cls = Figure
        self.fig: Any = None
        self.y = _TOP
        self.pages = 0

    def _new(self) -> None:
        self.flush()
        self.fig = self.figure_cls(figsize=A4_PORTRAIT)
        self.y = _TOP

    def flush(self) -> None:
        """Write the open page (with its footer)."""
        if self.fig is None:
            return
        self.pages += 1
        self.fig.text(
            _LEFT,
            0.035,
            f"{self.footer} · {i18n.t('rec_page', self.lang, n=self.pages)}",
            fontsize=7.5,
            color="#555555",
            family="DejaVu Sans",
        )
        self.pdf.savefig(self.fig)
        self.fig = None

    def page_break(self) -> None:
        """Start a new page."""
        self._new()

    def _room(self, lines: int) -> None:
        if self.fig is None or self.y - lines * _LINE < _BOTTOM:
            self._new()

    def text(self, text: str, size: float = 9.5, bold: bool = False, indent: float = 0.0) -> None:
        """A wrapped paragraph."""
        width = int(_WRAP * 9.5 / size) - int(indent * 120)
        rows = textwrap.wrap(text, max(width, 20)) or [""]
        step = _LINE * size / 9.5
        for row in rows:
            self._room(1)
            self.fig.text(
                _LEFT + indent,
                self.y,
                row,
                fontsize=size,
                fontweight="bold" if bold else "normal",
                va="top",
                family="DejaVu Sans",
            )
            self.y -= step

    def heading(self, text: str) -> None:
        """A section heading (kept with at least three lines below it)."""
        self._room(4)
        self.y -= _LINE * 0.5
        self.text(text, size=13, bold=True)
        self.y -= _LINE * 0.3

    def row(self, cells: list[str], xs: list[float], bold: bool = False) -> None:
        """One table row: cells at the figure x positions ``xs`` (right-aligned after the first)."""
        self._room(1)
        for i, (cell, x) in enumerate(zip(cells, xs, strict=True)):
            self.fig.text(
                x,
                self.y,
                cell,
                fontsize=9,
                fontweight="bold" if bold else "normal",
                va="top",
                ha="left" if i == 0 else "right",
                family="DejaVu Sans",
            )
        self.y -= _LINE

    def gap(self) -> None:
        """Half a line of space."""
        self.y -= _LINE * 0.5


def _when(iso: str, lang: str) -> str:
    try:
        t = dt.datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
    except ValueError:
        return str(iso or "–")
    zone = " UTC" if t.utcoffset() == dt.timedelta(0) else ""
    return f"{numbers.date(t.date(), lang)} {t.strftime('%H:%M')}{zone}"


def pins_with_place(region: Any, scenario: Scenario, lang: str = "de") -> pd.DataFrame:
    """The pins numbered in order, with kind, text, Gemeinde (name and AGS), lon/lat and time."""
    from geo.standards_check import gemeinde_index

    pins = pins_frame(scenario)
    if not len(pins):
        return pd.DataFrame(
            columns=["number", "kind", "text", "gemeinde", "ags", "lon", "lat", "created"]
        )
    idx = gemeinde_index(pins, region.gemeinden)
    names = region.gemeinden["name"].astype(str).to_numpy()
    ags = region.gemeinden["ags"].astype(str).to_numpy()
    wgs = _crs.to_display(pins)
    return pd.DataFrame(
        {
            "number": range(1, len(pins) + 1),
            "kind": [i18n.t(f"pin_{k}", lang) for k in pins["kind"]],
            "text": list(pins["text"]),
            "gemeinde": [names[i] if i >= 0 else i18n.t("rec_outside", lang) for i in idx],
            "ags": [ags[i] if i >= 0 else "" for i in idx],
            "lon": [round(float(g.x), 5) for g in wgs.geometry],
            "lat": [round(float(g.y), 5) for g in wgs.geometry],
            "created": [_when(c, lang) for c in pins["created"]],
        }
    )


def participation_with_place(
    region: Any, rows: list[dict] | None, lang: str = "de"
) -> pd.DataFrame:
    """Participants' phone pins (``Board.table``) with kind, status and status words,
    Gemeinde (name and AGS) and time, in the order of the board."""
    from geo.standards_check import gemeinde_index
    from report.participation import participation_frame

    frame = participation_frame(rows or [], lang)
    if not len(frame):
        return frame.assign(gemeinde=[], ags=[])
    lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype=float)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=settings.CRS_DISPLAY).to_crs(
        region.gemeinden.crs
    )
    idx = gemeinde_index(pts, region.gemeinden)
    names = region.gemeinden["name"].astype(str).to_numpy()
    ags = region.gemeinden["ags"].astype(str).to_numpy()
    frame["gemeinde"] = [names[i] if i >= 0 else i18n.t("rec_outside", lang) for i in idx]
    frame["ags"] = [ags[i] if i >= 0 else "" for i in idx]
    frame["zeit"] = [_when(z, lang) for z in frame["zeit"]]
    return frame


def _figure_rows(cmp: Comparison, lang: str) -> list[list[str]]:
    t = cmp.totals
    unit = i18n.unit_label(cmp.params.target, lang)

    def fmt(key: str, kind: str) -> str:
        v = t.get(key)
        if v is None:
            return "–"
        if kind == "share":
            return numbers.percent(v, lang)
        if kind == "minutes":
            return numbers.minutes(v, lang)
        return numbers.count(v, lang)

    rows = []
    for key, kind in (
        ("people_within", "count"),
        ("share_within", "share"),
        ("people_unreachable", "count"),
        ("minutes_mean", "minutes"),
    ):
        label = i18n.t(f"rec_fig_{key}", lang, unit=unit)
        rows.append([label, fmt(f"{key}_before", kind), fmt(f"{key}_after", kind)])
    rows.append(
        [
            i18n.t("rec_fig_services", lang),
            numbers.count(t["services_before"], lang),
            numbers.count(t["services_after"], lang),
        ]
    )
    return rows


def _items(scenario: Scenario, lang: str) -> list[str]:
    """The scenario's changes, numbered per type (Standort 1, 2 …; Außensprechtag 1 …)."""
    lines = []
    for cls, key in _TYPES:
        items = [c for c in scenario.changes if type(c) is cls]
        for n, change in enumerate(items, start=1):
            lines.append(f"{i18n.t(key, lang)} {n}: {describe.change_text(change, lang)}")
    return lines


def _map_page(
    pdf: Any,
    region: Any,
    result: Any,
    other: Any,
    *,
    name: str | None,
    sites: Any,
    created: dt.date,
    lang: str,
    title: str,
) -> None:
    fig = build_figure(
        region,
        result,
        paper="A4",
        dpi=RECORD_DPI,
        title=title,
        scenario_name=name,
        sites=sites,
        created=created,
        lang=lang,
        reference=other,
    )
    pdf.savefig(fig)


def record_pdf(
    region: Any,
    params: analysis.AnalysisParams,
    scenario: Scenario,
    comparison: Comparison,
    base: analysis.AnalysisResult,
    after: analysis.AnalysisResult,
    *,
    created: dt.datetime | None = None,
    lang: str = "de",
    participation: list[dict] | None = None,
) -> bytes:
    """The session record as one PDF for the committee (see the module docstring).

    Parameters
    ----------
    region : Region
    params : AnalysisParams
    scenario : Scenario
    comparison : Comparison
        ``geo.compare.compare`` of the scenario with the status quo.
    base, after : AnalysisResult
        Status quo and the state after the scenario (the maps share one legend).
    created : datetime, optional
        Time stamp (default: now).
    lang : {"de", "en"}
    participation : list of dict, optional
        Participants' phone pins (``geo.participants.Board.table``): a section with
        place, time, votes and status (hidden and merged pins included, marked so).

    Returns
    -------
    bytes
    """
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages

    from report.export import RC

    created = created or dt.datetime.now()
    label = getattr(region, "label", "")
    title = i18n.t("rec_title", lang, name=scenario.name)
    buf = io.BytesIO()
    meta = {"Title": title, "Subject": i18n.t("rec_subject", lang), "Creator": "Nahraum"}
    sites = changes_frame(region.services, scenario)
    with matplotlib.rc_context(RC), PdfPages(buf, metadata=meta) as pdf:
        doc = _TextPages(pdf, f"{title} · {label}", lang)
        # title page
        doc.page_break()
        doc.y = 0.80
        doc.text(i18n.t("rec_subject", lang), size=12)
        doc.gap()
        doc.text(title, size=20, bold=True)
        doc.gap()
        doc.text(label, size=12)
        doc.text(
            i18n.t(
                "rec_created",
                lang,
                date=numbers.date(created.date(), lang),
                time=created.strftime("%H:%M"),
            ),
            size=11,
        )
        doc.gap()
        doc.gap()
        doc.text(describe.comparison_headline(comparison, lang), size=12, bold=True)
        doc.gap()
        for line in _params_lines(params, lang):
            doc.text(line, size=10)
        doc.gap()
        doc.text(i18n.t("rec_contents", lang), size=11, bold=True)
        for key in ("rec_c_maps", "rec_c_figures", "rec_c_items", "rec_c_pins", "rec_c_sources"):
            doc.text(f"– {i18n.t(key, lang)}", size=10)
        doc.flush()
        # the maps (one legend for both)
        what = {"measure": i18n.measure_label(params.measure, lang), "region": label}
        _map_page(
            pdf,
            region,
            base,
            after,
            name=None,
            sites=None,
            created=created.date(),
            lang=lang,
            title=i18n.t("rec_map_before", lang, **what),
        )
        _map_page(
            pdf,
            region,
            after,
            base,
            name=scenario.name,
            sites=sites if len(sites) else None,
            created=created.date(),
            lang=lang,
            title=i18n.t("rec_map_after", lang, name=scenario.name, **what),
        )
        doc.pages += 2
        # figures
        doc.page_break()
        doc.heading(i18n.t("rec_figures", lang))
        xs = [_LEFT, 0.72, 0.90]
        doc.row(["", i18n.t("rec_before", lang), i18n.t("rec_after", lang)], xs, bold=True)
        for r in _figure_rows(comparison, lang):
            doc.row(r, xs)
        doc.gap()
        t = comparison.totals
        unit = i18n.unit_label(params.target, lang)
        doc.text(i18n.t("rec_newly", lang, n=numbers.count(t["newly_within"], lang), unit=unit))
        doc.text(i18n.t("rec_beyond", lang, n=numbers.count(t["newly_beyond"], lang), unit=unit))
        gem = comparison.gemeinden
        gained = gem.loc[gem["newly_within"] >= 0.5].sort_values("newly_within", ascending=False)
        if len(gained):
            doc.gap()
            doc.text(i18n.t("rec_gained", lang), bold=True)
            for r in gained.head(20).itertuples():
                doc.row([str(r.name), f"+{numbers.count(r.newly_within, lang)}"], [_LEFT, 0.60])
        notes = describe.notes_text(comparison.metadata.get("notes"), lang)
        for note in notes:
            doc.text(f"– {note}", size=8.5)
        # the scenario's items
        doc.heading(i18n.t("rec_items", lang))
        for line in _items(scenario, lang) or [i18n.t("rec_none", lang)]:
            doc.text(line)
        # pins with place and time
        doc.heading(i18n.tn("rec_pins", len(scenario.pins), lang))
        pins = pins_with_place(region, scenario, lang)
        for p in pins.itertuples():
            where = f"{p.gemeinde}" + (f" (AGS {p.ags})" if p.ags else "")
            doc.text(
                i18n.t(
                    "rec_pin",
                    lang,
                    n=p.number,
                    kind=p.kind,
                    where=where,
                    lat=numbers.number(p.lat, 5, lang),
                    lon=numbers.number(p.lon, 5, lang),
                    time=p.created,
                ),
                bold=True,
            )
            if str(p.text).strip():
                doc.text(str(p.text), indent=0.03)
        if not len(pins):
            doc.text(i18n.t("rec_none", lang))
        if participation is not None:
            doc.heading(i18n.t("pp_record_heading", lang))
            phone = participation_with_place(region, participation, lang)
            for p in phone.itertuples(index=False):
                where = f"{p.gemeinde}" + (f" (AGS {p.ags})" if p.ags else "")
                doc.text(
                    i18n.t(
                        "rec_phone_pin",
                        lang,
                        id=p.id,
                        kind=p.art,
                        where=where,
                        time=p.zeit,
                        votes=p.stimmen,
                        status=p.status,
                    ),
                    bold=True,
                )
                if str(p.text).strip():
                    doc.text(" ".join(str(p.text).split()), indent=0.03)
            if not len(phone):
                doc.text(i18n.t("rec_none", lang))
        # sources and method
        doc.heading(i18n.t("rec_sources", lang))
        doc.text(i18n.t("rec_method", lang, model=describe.model_text(base, lang)))
        for line in attribution_lines(region, base, created.date(), lang):
            doc.text(f"– {line}", size=8.5)
        doc.flush()
    return buf.getvalue()


__all__ = [
    "participation_with_place",
    "pins_with_place",
    "protocol_markdown",
    "protocol_pdf",
    "record_pdf",
    "session_pdf",
    "session_record",
]
