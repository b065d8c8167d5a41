"""Session record of a workshop: one ZIP with scenario, pins, figures, maps and a protocol.

:func:`session_record` bundles what a workshop produced so that it can be filed with the
minutes (Sitzungsprotokoll) and reopened later:

- ``szenario.geojson`` – the scenario (``geo._scenario_io.to_geojson``, re-importable),
- ``pins.geojson`` and ``pins.csv`` – the participants' pins (WGS84; text verbatim),
- ``vergleich_gemeinden.csv`` (German CSV) and ``vergleich_gemeinden.xlsx`` – before/after
  per Gemeinde and for the region (``geo.compare.comparison_table``, small counts "<3"),
- ``karte_vorher.png`` and ``karte_nachher.png`` – the status quo and the scenario
  (``report.export.render_map``),
- ``protokoll.md`` and ``protokoll.pdf`` – scenario name, parameters, changes, people newly
  within reach, pins, sources and the travel-time model.

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

import pandas as pd

from geo import analysis, settings, transit_lever
from geo._scenario_io import to_geojson
from geo._text import de_decimal
from geo.compare import Comparison, compare, comparison_table, with_services
from geo.scenario import Scenario, apply, changes_frame, pins_frame
from present import describe, i18n, numbers
from report.export import attribution_lines, render_map
from report.files import csv_bytes
from report.xlsx import workbook_bytes

RECORD_DPI = 110  # maps in the record: readable on screen, quick to draw
PDF_LINES_PER_PAGE = 52
PDF_WRAP = 95


def _pins_table(scenario: Scenario) -> pd.DataFrame:
    pins = pins_frame(scenario)
    wgs = pins.to_crs(settings.CRS_DISPLAY) if len(pins) else pins
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
    return pins.to_crs(settings.CRS_DISPLAY).to_json(drop_id=True).encode("utf-8")


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


def session_record(
    region: Any,
    params: analysis.AnalysisParams,
    scenario: Scenario,
    networks: Mapping[str, Any] | None = None,
    need_weights: Mapping[str, float] | None = None,
    *,
    base_result: analysis.AnalysisResult | None = None,
    created: dt.datetime | None = None,
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
    """
    base = base_result or analysis.analyze(region, params, networks, need_weights=need_weights)
    cmp = compare(region, params, scenario, networks, base_result=base, need_weights=need_weights)
    after_services = apply(region.services, scenario, strict=False)
    after = analysis.analyze(
        with_services(region, after_services),
        params,
        transit_lever.scenario_networks(networks, scenario),  # timetable changes (ÖPNV)
        need_weights=need_weights,
    )
    table = comparison_table(cmp)
    md = protocol_markdown(region, params, scenario, cmp, base, created)
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
        zf.writestr("protokoll.pdf", protocol_pdf(md))
    return out.getvalue()


__all__ = ["session_record", "protocol_markdown", "protocol_pdf"]
