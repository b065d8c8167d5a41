"""One analysis, three outputs: the web map legend, the report figure and the XLSX agree.

Issue 12 ("one presentation layer"): class limits, labels and numbers of the screen map
(folium legend HTML), the report map (PNG/PDF figure legend) and the XLSX legend sheet
come from ``present.classes`` and must be identical, in German and English. Also the
catalogs (keys, plural forms, generic labels of settings codes) and the number formats.
"""

from __future__ import annotations

import html
import io
import re
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely

from geo import analysis, settings
from geo._text import auto_decimals, format_number
from layers import cells, gaps
from layers import map as maplayers
from present import classes, describe, i18n, numbers, tables
from report import export
from report.files import csv_bytes, defuse

X0, Y0 = 4_400_000, 3_120_000  # EPSG:3035, near Sömmerda
SIZE = 100.0


def _row_region() -> SimpleNamespace:
    """Four Gemeinden in a row, 40 × 10 populated cells, one service at the west end.

    Walking 4.5 km/h straight-line × detour: the travel time grows from west to east, so
    the gap measure has several quantile classes (hand-checked below).
    """
    gemeinden = gpd.GeoDataFrame(
        {
            "ags": ["16068001", "16068002", "16068003", "16068004"],
            "name": ["Westdorf", "Mitteldorf", "Ostdorf", "Fernhausen"],
            "kreis": ["16068"] * 4,
            "kreis_name": ["Landkreis Sömmerda"] * 4,
            "vg": [""] * 4,
            "pop": [400, 400, 400, 400],
            "pop_vg250": [400] * 4,
            "pop_gv100": [400] * 4,
            "area_km2": [1.0] * 4,
        },
        geometry=[shapely.box(X0 + i * 1000, Y0, X0 + (i + 1) * 1000, Y0 + 1000) for i in range(4)],
        crs=settings.CRS_METRIC,
    )
    xs, ys = np.meshgrid(np.arange(40) * SIZE + SIZE / 2, np.arange(10) * SIZE + SIZE / 2)
    x = (X0 + xs.ravel()).astype(int)
    y = (Y0 + ys.ravel()).astype(int)
    cell_df = pd.DataFrame(
        {
            "x": x,
            "y": y,
            "ags": [f"1606800{1 + int((xi - X0) // 1000)}" for xi in x],
            "pop": (np.arange(x.size) % 9 + 1).astype(float),
        }
    )
    for code in settings.TARGET_GROUPS:
        if code != "pop":
            cell_df[code] = 1.0
    services = gpd.GeoDataFrame(
        {
            "id": ["s1"],
            "name": ["Beratungsstelle"],
            "category": ["Beratung"],
            "subcategory": ["Schuldnerberatung"],
            "provider": ["Stadt"],
            "street": [""],
            "postcode": [""],
            "town": ["Westdorf"],
            "ortsteil": [""],
            "source": [""],
            "status": ["aktiv"],
            "precision": ["coordinates"],
            "capacity": [1.0],
        },
        geometry=[shapely.Point(X0 + 50, Y0 + 500)],
        crs=settings.CRS_METRIC,
    )
    stops = gpd.GeoDataFrame(
        {"id": [], "name": [], "weight": []}, geometry=[], crs=settings.CRS_METRIC
    )
    places = gpd.GeoDataFrame(
        {"name": [], "ags": [], "population": []}, geometry=[], crs=settings.CRS_METRIC
    )
    sources = [
        {
            "name": "Gemeindegrenzen und Einwohner VG250-EW",
            "date": "31.12.2023",
            "attribution": "© GeoBasis-DE / BKG (2024)",
        }
    ]
    return SimpleNamespace(
        name="test",
        label="Testregion",
        gemeinden=gemeinden,
        cells=cell_df,
        services=services,
        stops=stops,
        places=places,
        meta={"content_hash": "t", "sources": sources},
    )


@pytest.fixture(scope="module")
def row_region() -> SimpleNamespace:
    return _row_region()


@pytest.fixture(scope="module")
def gap_result(row_region) -> analysis.AnalysisResult:
    params = analysis.AnalysisParams(
        kinds=(), target="pop", mode="walk", threshold_min=15, measure="gap"
    )
    return analysis.analyze(row_region, params, {})


def _screen_legend(result, lang: str) -> tuple[str, list[str]]:
    """Title and rows of the measure legend in the HTML the app hands to the web map."""
    grid = cells.cell_grid(result.cells)
    overlay = gaps.measure_overlay(result, grid, "gap", lang)
    ov = gaps.overlays(overlay, {"type": "FeatureCollection", "features": []}, result, lang)
    groups = maplayers.overlay_groups(ov, (), lang)
    legend = next(
        child
        for group in groups
        for child in group._children.values()
        if isinstance(child, maplayers.LegendUpdate)
    )
    page = legend.html
    sections = re.findall(
        r'<div class="nahraum-legend-section" data-layer="([^"]*)">'
        r'<div class="nahraum-legend-title">(.*?)</div>(.*?)</div></div>',
        page,
    )
    found = [(t, b) for name, t, b in sections if html.unescape(name) == overlay.name]
    assert found, "no legend section of the measure on screen"
    title, body = found[0]
    rows = re.findall(r"<span>(.*?)</span>", body)
    return html.unescape(title), [html.unescape(r) for r in rows]


def _figure_legend(result, region, lang: str) -> tuple[str, list[str]]:
    fig = export.build_figure(region, result, dpi=60, measure="gap", lang=lang)
    title, labels = fig.nahraum["legends"][0]
    # the figure's own artists: the first legend's texts as drawn
    drawn = [t.get_text() for t in fig.legends[0].get_texts()]
    assert drawn == labels
    return title, labels


def _xlsx_legend(result, lang: str) -> pd.DataFrame:
    book = openpyxl.load_workbook(io.BytesIO(export.table_workbook(result, lang=lang)))
    sheet = book[i18n.t("rp_legend_sheet", lang)]
    rows = list(sheet.iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def _numbers_in(labels: list[str], lang: str) -> list[float]:
    """Every number written in the labels, read back in the style of ``lang``."""
    out = []
    for label in labels:
        for token in re.findall(r"\d[\d.,]*", label):
            token = token.rstrip(".,")
            if lang == "de":
                token = token.replace(".", "").replace(",", ".")
            else:
                token = token.replace(",", "")
            out.append(float(token))
    return out


@pytest.mark.parametrize("lang", ["de", "en"])
def test_screen_figure_and_xlsx_show_the_same_classes(gap_result, row_region, lang):
    values = gap_result.cells["gap"].to_numpy(dtype=float)
    expected = classes.measure_classes("gap", values, 15, "pop", lang)
    # hand check of the case: no gap near the service, then several quantile classes
    assert expected.labels[0] == i18n.t("cls_no_gap", lang, T="15")
    assert len(expected.limits) >= 3 and list(expected.limits) == sorted(expected.limits)

    screen_title, screen_rows = _screen_legend(gap_result, lang)
    figure_title, figure_rows = _figure_legend(gap_result, row_region, lang)
    sheet = _xlsx_legend(gap_result, lang)
    xlsx_rows = sheet[i18n.t("rp_legend_label", lang)].tolist()

    assert screen_rows == figure_rows == xlsx_rows == list(expected.labels)
    # the figure wraps long titles to the panel width
    assert screen_title == expected.title
    assert " ".join(figure_title.split()).startswith(expected.title)
    # class limits: XLSX numbers = the limits = the numbers written in every label
    upper = [v for v in sheet[i18n.t("rp_legend_upper", lang)].tolist() if pd.notna(v)]
    assert upper == list(expected.limits)
    limits_in_labels = _numbers_in(list(expected.labels[1:]), lang)
    assert sorted(set(limits_in_labels)) == list(expected.limits)
    for rows in (screen_rows, figure_rows, xlsx_rows):
        assert _numbers_in(rows[1:], lang) == limits_in_labels
    # colours and the cells per class: the same classes as the painted raster
    assert sheet[i18n.t("rp_legend_color", lang)].tolist() == list(expected.colors)
    counts = np.bincount(expected.codes, minlength=len(expected.labels))
    assert sheet[i18n.t("rp_legend_cells", lang)].tolist() == counts.tolist()
    assert sum(counts) == len(values)


def test_german_and_english_differ_only_in_words(gap_result, row_region):
    de = classes.measure_classes("gap", gap_result.cells["gap"].to_numpy(float), 15, "pop", "de")
    en = classes.measure_classes("gap", gap_result.cells["gap"].to_numpy(float), 15, "pop", "en")
    assert de.limits == en.limits and de.colors == en.colors
    assert (de.codes == en.codes).all() and de.labels != en.labels


def test_comparison_shares_one_legend(gap_result, row_region):
    """Before/after: breaks from both states, so the two views show one legend."""
    params = gap_result.params
    closer = row_region.services.copy()
    closer["geometry"] = [shapely.Point(X0 + 2050, Y0 + 500)]
    after = analysis.analyze(
        SimpleNamespace(**{**vars(row_region), "services": closer}), params, {}
    )
    grid = cells.cell_grid(gap_result.cells)
    alone = [gaps.measure_overlay(r, grid, "gap", "de").legend for r in (gap_result, after)]
    assert [e.label for e in alone[0].entries] != [e.label for e in alone[1].entries]
    shared = [
        gaps.measure_overlay(gap_result, grid, "gap", "de", reference=after).legend,
        gaps.measure_overlay(after, grid, "gap", "de", reference=gap_result).legend,
    ]
    assert [e.label for e in shared[0].entries] == [e.label for e in shared[1].entries]


# ---------------------------------------------------------------------------
# Catalogs
# ---------------------------------------------------------------------------
def test_catalogs_have_the_same_keys_and_plural_forms():
    assert i18n.keys("de") == i18n.keys("en")
    assert i18n.tn("kf_services", 1, "de") == "1 Angebot ausgewählt"
    assert i18n.tn("kf_services", 2, "de") == "2 Angebote ausgewählt"
    assert i18n.tn("kf_services", 1234, "en") == "1,234 services selected"
    assert i18n.tn("n_services", 0, "de") == "0 Angebote"
    assert i18n.t("not-a-key", "en") == "not-a-key"  # visible when missing


@pytest.mark.parametrize(
    "kind,codes",
    [
        ("mode", settings.MODES),
        ("target", settings.TARGET_GROUPS),
        ("measure", settings.MEASURES),
        ("category", settings.CATEGORIES),
        ("phase", settings.LIFE_PHASES),
        ("precision", settings.PRECISIONS),
        ("table", analysis.GEMEINDE_COLUMNS),
    ],
)
def test_every_settings_code_has_a_label_in_both_catalogs(kind, codes):
    """A new code in settings needs two catalog lines: ``<kind>.<code>`` in de and en."""
    for code in codes:
        assert i18n.has(f"{kind}.{code}", "de"), f"{kind}.{code} missing in de"
        en = i18n.catalog("en").gettext(f"{kind}.{code}")
        assert en not in (f"{kind}.{code}", ""), f"{kind}.{code} missing in en"


def test_german_labels_match_settings_and_geo():
    for code, m in settings.MODES.items():
        assert (
            i18n.mode_label(code, "de") == m.label_de and i18n.mode_label(code, "en") == m.label_en
        )
    for code, g in settings.TARGET_GROUPS.items():
        assert i18n.target_label(code, "de") == g.label_de
        assert i18n.quality_note(code, "de") == g.quality_de  # the catalog mirrors settings
        assert i18n.quality_note(code, "en") not in ("", g.quality_de)
    assert tables.column_labels("single_parent_hh", 7.5, "de")["gap"] == (
        "Lückenwert (Haushalts-Minuten)"
    )
    assert (
        tables.column_labels("single_parent_hh", 30, "en")["gap_per_1000"]
        == "Gap score per 1,000 households (household-minutes)"
    )


def test_catalogs_load_without_a_compile_step(tmp_path, monkeypatch):
    """The .po files are read at import (no .mo in the repository, none needed)."""
    assert not list(i18n.LOCALE_DIR.rglob("*.mo"))
    po = i18n.po_path("en").read_text("utf-8")
    assert 'msgid "threshold"' in po and "Plural-Forms: nplurals=2" in po


# ---------------------------------------------------------------------------
# Numbers, descriptions, files
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value,de,en",
    [
        (1.25, "1,25", "1.25"),
        (12.5, "12,5", "12.5"),
        (125.4, "125", "125"),
        (12345.678, "12.346", "12,346"),
        (0.025, "0,025", "0.025"),
        (-0.0001, "0", "0"),
    ],
)
def test_one_automatic_number_format(value, de, en):
    assert format_number(value, None, "de") == de and format_number(value, None, "en") == en
    assert numbers.auto_number(value, "de") == de


def test_auto_decimals_keep_the_value_readable():
    for v in (0.025, 0.25, 1.25, 2.5, 12.5, 125.0):
        d = auto_decimals(v)
        assert float(format_number(v, d, "en")) == pytest.approx(v, rel=0.02)


def test_percent_counts_dates():
    assert numbers.percent(0.421, "de") == "42,1\u00a0%" and numbers.percent(0.421, "en") == "42.1%"
    assert [numbers.count(v) for v in (0, 1, 2.4, 2.6)] == ["0", "<3", "<3", "3"]
    import datetime as dt

    day = dt.date(2026, 12, 4)
    assert numbers.date(day, "de") == "04.12.2026" and numbers.date(day, "en") == "Dec 4, 2026"


def test_source_line_states_the_date_once():
    line = describe.source_line(
        {
            "name": "Gemeindegrenzen und Einwohner VG250-EW",
            "date": "31.12.2023",
            "attribution": "© BKG",
        }
    )
    assert line == "Gemeindegrenzen und Einwohner VG250-EW, Stand 31.12.2023: © BKG"
    assert (
        describe.source_line({"name": "GV100AD", "date": "Stand 30.11.2023"})
        == "GV100AD, Stand 30.11.2023"
    )
    from geo import boundaries

    assert "vermutlich" not in boundaries.VG250_POP_DATE


def test_one_csv_writer_defuses_formulas():
    df = pd.DataFrame(
        {"Name": ["=1+1", "+49 361", "-x", "@SUM(A1)", "<3", "Ort"], "n": [1, 2, 3, 4, 5, 6]}
    )
    text = csv_bytes(df, german=True).decode("utf-8-sig")
    assert "'=1+1" in text and "'+49 361" in text and "'-x" in text and "'@SUM" in text
    assert ";<3;" not in text and "\r\n<3;" in text  # the suppression mark stays as it is
    assert defuse(-3) == -3  # numbers are never changed


def test_harmonised_subcategories_keep_the_raw_text_as_detail():
    raw = {
        "Familienzentrum": 3,
        "Familienzentrum (Thür. Richtlinie Familienzentren; LSZ-gefördert)": 1,
        "erziehungsberatung; Ehe- und Lebensberatung": 2,
        "Ehe-, Familien- und Lebensberatung": 1,
    }
    groups = describe.subcategory_groups(raw)
    assert list(groups) == [
        "Ehe-, Familien- und Lebensberatung",
        "Erziehungsberatung",
        "Familienzentrum",
    ]
    assert groups["Familienzentrum"] == (
        4,
        ("Familienzentrum", "Familienzentrum (Thür. Richtlinie Familienzentren; LSZ-gefördert)"),
    )
    assert describe.kinds_text(list(groups["Familienzentrum"][1]), "de") == "Familienzentrum"
    assert describe.kinds_text([], "en") == i18n.t("all_services", "en")


def test_docstring_examples_hold():
    import doctest

    from present import describe as describe_mod
    from present import i18n as i18n_mod

    for module in (describe_mod, i18n_mod):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


#: Words that make a German sentence (data names such as Gemeinde or source names aside).
_SENTENCE = re.compile(
    r"[äöüÄÖÜß]|\b(der|die|das|und|nicht|mit|bis|je|ohne|keine?|Angebote?|Zielgruppe|"
    r"Wegezeit|Luftlinie|Lückenwert|Gemeinden)\b"
)
#: Keys whose values are names from the data (files, places, services, sources).
_DATA_KEYS = {"sources", "region_label", "name", "scenario", "service_ids", "source", "feed"}


def _strings(obj, path=()):
    """Every string in a nested result structure with its path (data names skipped)."""
    if isinstance(obj, str):
        yield path, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if k not in _DATA_KEYS:
                yield from _strings(v, (*path, k))
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            yield from _strings(v, (*path, i))


def test_geo_results_carry_codes_not_sentences(gap_result, row_region):
    """``geo`` returns numbers and codes; every sentence is ``present``'s (de and en)."""
    from geo import compare, optimize
    from geo.scenario import AddSite, Scenario

    scen = Scenario("Test").with_changes(
        (AddSite(x=X0 + 3500, y=Y0 + 500, name="Neu", category="Beratung"),)
    )
    cmp = compare.compare(row_region, gap_result.params, scen, base_result=gap_result)
    sug = optimize.suggest(row_region, gap_result.params, 1, candidates="cells")
    table = analysis.gemeinde_table(gap_result)
    structures = {
        "analysis.metadata": gap_result.metadata,
        "analysis.model": gap_result.model,
        "gemeinde_table.attrs": table.attrs,
        "gemeinde_table.columns": list(table.columns),
        "compare.metadata": cmp.metadata,
        "compare.cells.change": [str(v) for v in cmp.cells["change"].unique()],
        "comparison_table.columns": list(compare.comparison_table(cmp).columns),
        "optimize.metadata": sug.metadata,
    }
    found = [
        (where, path, text)
        for where, obj in structures.items()
        for path, text in _strings(obj)
        if _SENTENCE.search(text)
    ]
    assert not found, found[:5]
    # … and the words exist in both languages
    for lang in ("de", "en"):
        assert describe.model_text(gap_result, lang) and describe.result_formulas(gap_result, lang)
        assert (
            tables.comparison_table(cmp, lang).columns[2]
            == tables.comparison_labels(gap_result.params, lang)["people"]
        )


def test_huge_numbers_format_without_a_decimal_error():
    """Found by hypothesis: ``-1e308`` with 3 decimals exceeded the decimal precision."""
    text = format_number(-1e308, 3, "de", grouping=False, trim=True)
    assert text.startswith("-1") and len(text) == 310
    assert format_number(1e20, 0, "en") == "100,000,000,000,000,000,000"
