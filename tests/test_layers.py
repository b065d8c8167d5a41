"""Unit tests for the map layers on small hand-made data (no raw data, no browser)."""

from __future__ import annotations

import csv
import html
import io
import re
from types import SimpleNamespace

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from PIL import Image
from pyproj import Transformer

from geo import analysis, settings
from layers import (
    _assets,
    boundaries,
    catchment,
    cells,
    gaps,
    legend,
    panel,
    roads,
    services,
    stops,
)
from layers import map as maplayers
from layers._html import parse_ref, ref_html
from present import classes, describe, i18n, numbers, tables
from report.export import table_workbook
from report.files import csv_bytes

EVIL = "<script>alert(1)</script>"
EVIL_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
SOURCE = "https://example.org/quelle?a=1&b=2"
X0, Y0 = 4_400_000, 3_120_000  # EPSG:3035, near Sömmerda


def _text_of(fragment: str) -> str:
    """Text content of an HTML fragment, as the browser reports a clicked tooltip."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def _square(x: float, y: float, size: float = 2000.0) -> shapely.Polygon:
    return shapely.box(x, y, x + size, y + size)


@pytest.fixture
def region() -> SimpleNamespace:
    """A three-Gemeinden region following the contract in docs/architecture.md."""
    gemeinden = gpd.GeoDataFrame(
        {
            "ags": ["16068001", "16068002", "16065003"],
            "name": [EVIL, "Großstadt", "Dorf & Co"],
            "kreis": ["16068", "16068", "16065"],
            "kreis_name": ["Landkreis Sömmerda", "Landkreis Sömmerda", "Kyffhäuserkreis"],
            "vg": ["", "", ""],
            "pop": [120, 8000, 45],
            "pop_vg250": [120, 8000, 45],
            "pop_gv100": [121, 8010, 45],
            "area_km2": [4.0, 4.0, 4.0],
        },
        geometry=[_square(X0, Y0), _square(X0 + 2000, Y0), _square(X0 + 4000, Y0)],
        crs=settings.CRS_METRIC,
    )
    cell_df = pd.DataFrame(
        {
            "x": [X0 + 50, X0 + 2550, X0 + 4950],
            "y": [Y0 + 50, Y0 + 1050, Y0 + 1950],
            "ags": ["16068001", "16068002", "16065003"],
            "pop": [3.0, 15.0, 200.0],
        }
    )
    for code in settings.TARGET_GROUPS:
        if code != "pop":
            cell_df[code] = 1.0
    service_df = gpd.GeoDataFrame(
        {
            "id": ["s1", "s2", "s3", "s4"],
            "name": [EVIL, 'Familienzentrum "Sonne"', "Jugendclub", "Ohne Ort"],
            "category": ["Beratung", "Familie", "Jugend", "Beratung"],
            "subcategory": ["Schuldnerberatung <b>", "Familienzentrum", "Jugendclub", ""],
            "provider": ["Träger & Partner", "Stadt", None, ""],
            "street": ["Markt 1", "", "", ""],
            "postcode": ["99610", "", "", ""],
            "town": ["Sömmerda", "Dorf", "Dorf", ""],
            "ortsteil": ["", "", "", ""],
            "source": [SOURCE, "javascript:alert(1)", "", ""],
            "status": ["aktiv", "aktiv", "aktiv", "aktiv"],
            "precision": ["coordinates", "village", "village", "not_found"],
        },
        geometry=[
            shapely.Point(X0 + 500, Y0 + 500),
            shapely.Point(X0 + 4500, Y0 + 1500),
            shapely.Point(X0 + 4500, Y0 + 1500),
            None,
        ],
        crs=settings.CRS_METRIC,
    )
    stop_df = gpd.GeoDataFrame(
        {
            "id": ["1", "2"],
            "name": ["Bahnhof " + EVIL, "Dorfplatz"],
            "weight": [0.9, 0.1],
            "bus": [True, True],
            "tram": [False, False],
            "regional": [True, False],
            "suburban": [False, False],
            "national": [False, False],
        },
        geometry=[shapely.Point(X0 + 1000, Y0 + 1000), shapely.Point(X0 + 5000, Y0 + 1000)],
        crs=settings.CRS_METRIC,
    )
    places = gpd.GeoDataFrame(
        {
            "name": ["Großstadt", "Ortsteil A"],
            "ags": ["16068002", "16068002"],
            "population": [7000, 300],
        },
        geometry=[shapely.Point(X0 + 3000, Y0 + 1000), shapely.Point(X0 + 2500, Y0 + 300)],
        crs=settings.CRS_METRIC,
    )
    return SimpleNamespace(
        name="test",
        label="Testregion",
        gemeinden=gemeinden,
        cells=cell_df,
        services=service_df,
        stops=stop_df,
        places=places,
        meta={"content_hash": "t"},
    )


@pytest.fixture
def map_html(region: SimpleNamespace) -> str:
    data = maplayers.map_data(region)
    return maplayers.map_html(maplayers.build_map(data, maplayers.MapOptions(stops=True)))


# ---------------------------------------------------------------------------
# Escaping
# ---------------------------------------------------------------------------


def test_service_popup_escapes_html(region: SimpleNamespace) -> None:
    gj = services.services_geojson(region.services)
    popups = {f["properties"]["id"]: f["properties"]["popup"] for f in gj["features"]}
    assert EVIL_ESCAPED in popups["s1"]
    assert "<script" not in popups["s1"]
    assert "Schuldnerberatung &lt;b&gt;" in popups["s1"]
    assert "Träger &amp; Partner" in popups["s1"]
    assert "&quot;Sonne&quot;" in popups["s2"]
    # The raw name travels as data and is only ever set as textContent in the browser.
    names = {f["properties"]["id"]: f["properties"]["name"] for f in gj["features"]}
    assert names["s1"] == EVIL


def test_service_popup_links_only_http(region: SimpleNamespace) -> None:
    gj = services.services_geojson(region.services)
    popups = {f["properties"]["id"]: f["properties"]["popup"] for f in gj["features"]}
    assert 'href="https://example.org/quelle?a=1&amp;b=2"' in popups["s1"]
    assert 'rel="noopener noreferrer"' in popups["s1"]
    assert "href=" not in popups["s2"]  # javascript: is shown as text, never linked
    assert "javascript:alert(1)" in popups["s2"]


def test_service_precision_and_colour(region: SimpleNamespace) -> None:
    gj = services.services_geojson(region.services)
    props = {f["properties"]["id"]: f["properties"] for f in gj["features"]}
    assert set(props) == {"s1", "s2", "s3"}  # not_found has no position
    assert props["s1"]["precise"] is True
    assert props["s2"]["precise"] is False
    assert "Lage ungenau" in props["s2"]["popup"]
    assert settings.PRECISIONS["village"][0] in props["s2"]["popup"]
    assert props["s1"]["color"] == settings.CATEGORIES["Beratung"].color
    # Two services at one position are fanned out, the first stays on the point.
    assert (props["s2"]["dx"], props["s2"]["dy"]) == (0, 0)
    assert (props["s3"]["dx"], props["s3"]["dy"]) != (0, 0)


def test_fan_offsets_are_distinct() -> None:
    offsets = services.fan_offsets(25)
    assert len(offsets) == 25 and len(set(offsets)) == 25 and offsets[0] == (0, 0)
    assert services.fan_offsets(1) == [(0, 0)]


def test_gemeinden_tooltip_escaped_with_reference(region: SimpleNamespace) -> None:
    gj = boundaries.gemeinden_geojson(region.gemeinden)
    assert len(gj["features"]) == 3
    first = gj["features"][0]["properties"]
    assert EVIL_ESCAPED in first["tooltip"] and "<script" not in first["tooltip"]
    # The hidden reference tells the app which Gemeinde was clicked.
    assert parse_ref(_text_of(first["tooltip"])) == ("ags", "16068001")
    assert "Dorf &amp; Co" in gj["features"][2]["properties"]["tooltip"]


def test_stops_tooltip_escaped(region: SimpleNamespace) -> None:
    gj = stops.stops_geojson(region.stops)
    tips = [f["properties"]["tooltip"] for f in gj["features"]]
    assert EVIL_ESCAPED in tips[0] and "<script" not in tips[0]
    assert gj["features"][0]["properties"]["rail"] is True
    assert gj["features"][1]["properties"]["rail"] is False


def test_js_code_values_are_inert() -> None:
    from layers._html import js_code

    code = js_code("var a = $a, b = $b;", a='x"</script><b>&', b=["<svg>"])
    assert "</script>" not in code and "<" not in code and "&" not in code
    assert (
        code
        == 'var a = "x\\"\\u003c/script\\u003e\\u003cb\\u003e\\u0026", b = ["\\u003csvg\\u003e"];'
    )


def test_legend_escapes_labels() -> None:
    section = legend.LegendSection("Titel <i>", (legend.LegendEntry(EVIL, ""),), layer_name='a"b')
    out = legend.legend_html([section])
    assert EVIL_ESCAPED in out and "<script" not in out
    assert "Titel &lt;i&gt;" in out and 'data-layer="a&quot;b"' in out


def test_rendered_map_contains_no_raw_markup_from_data(map_html: str) -> None:
    assert EVIL not in map_html
    assert "alert(1)</script>" not in map_html


def test_label_points(region: SimpleNamespace) -> None:
    gj = boundaries.label_points_geojson(region.gemeinden, region.places)
    labels = [(f["properties"]["name"], f["properties"]["kind"]) for f in gj["features"]]
    assert ("Großstadt", "gemeinde-gross") in labels
    assert ("Dorf & Co", "gemeinde") in labels
    assert ("Ortsteil A", "ort") in labels
    assert ("Großstadt", "ort") not in labels  # same name as its Gemeinde
    # The Gemeinde label sits on its seat (the settlement of the same name).
    seat = Transformer.from_crs(settings.CRS_METRIC, settings.CRS_DISPLAY, always_xy=True)
    lon, lat = seat.transform(X0 + 3000, Y0 + 1000)
    (town,) = [f for f in gj["features"] if f["properties"]["name"] == "Großstadt"]
    assert town["geometry"]["coordinates"] == pytest.approx((lon, lat), abs=1e-4)
    # Order = priority where labels would overlap: Gemeinden by population, places last.
    kinds = [kind for _, kind in labels]
    assert [name for name, kind in labels if kind != "ort"] == ["Großstadt", EVIL, "Dorf & Co"]
    assert kinds == sorted(kinds, key=lambda k: k == "ort")  # places after all Gemeinden


# ---------------------------------------------------------------------------
# Population raster
# ---------------------------------------------------------------------------


def _pixel_of(raster: cells.RasterImage, x: float, y: float) -> tuple[int, int]:
    """Row/column of the raster pixel that shows EPSG:3035 point (x, y)."""
    to_merc = Transformer.from_crs(settings.CRS_METRIC, "EPSG:3857", always_xy=True)
    to_merc_deg = Transformer.from_crs(settings.CRS_DISPLAY, "EPSG:3857", always_xy=True)
    (south, west), (north, east) = raster.bounds
    mx0, my0 = to_merc_deg.transform(west, south)
    mx1, my1 = to_merc_deg.transform(east, north)
    mx, my = to_merc.transform(x, y)
    col = int((mx - mx0) / (mx1 - mx0) * raster.width)
    row = int((my1 - my) / (my1 - my0) * raster.height)
    return row, col


def test_raster_three_cells(region: SimpleNamespace) -> None:
    raster = cells.population_raster(region.cells)
    assert raster.n_cells == 3
    img = np.array(Image.open(io.BytesIO(raster.png)).convert("RGBA"))
    assert img.shape == (raster.height, raster.width, 4)

    # Bounds enclose all three cells, in lat/lon order.
    to_deg = Transformer.from_crs(settings.CRS_METRIC, settings.CRS_DISPLAY, always_xy=True)
    (south, west), (north, east) = raster.bounds
    for x, y in zip(region.cells.x, region.cells.y, strict=True):
        lon, lat = to_deg.transform(x, y)
        assert west < lon < east and south < lat < north

    # Each cell centre shows its class colour: 3 -> class 0, 15 -> class 2, 200 -> class 6.
    expected = {0: 0, 1: 2, 2: 6}
    for i, cls in expected.items():
        row, col = _pixel_of(raster, region.cells.x[i], region.cells.y[i])
        rgba = tuple(int(v) for v in img[row, col])
        assert rgba == cells._hex_to_rgba(settings.POPULATION_COLORS[cls]), (i, rgba)

    # Away from the cells the image is transparent; exactly the cells are painted.
    row, col = _pixel_of(raster, X0 + 1500, Y0 + 1500)
    assert img[row, col, 3] == 0
    painted = int((img[..., 3] > 0).sum())
    assert 3 * 4 <= painted <= 3 * 16  # three cells of about oversample² = 9 pixels


def test_raster_skips_empty_cells() -> None:
    df = pd.DataFrame({"x": [X0 + 50, X0 + 150], "y": [Y0 + 50, Y0 + 50], "pop": [0.0, 7.0]})
    assert cells.population_raster(df).n_cells == 1
    with pytest.raises(ValueError):
        cells.population_raster(df.assign(pop=0.0))


def test_classify_and_labels() -> None:
    breaks = settings.POPULATION_BREAKS
    got = classes.classify_lower(np.array([0, -1, np.nan, 0.1, 4.99, 5, 159.9, 160, 1e6]), breaks)
    assert got.tolist() == [-1, -1, -1, 0, 0, 1, 5, 6, 6]
    labels = classes.lower_labels(breaks)
    assert labels[0] == "unter 5" and labels[-1] == "160 und mehr"
    assert len(labels) == len(settings.POPULATION_COLORS)


def test_paint_recolours_a_cached_grid(region: SimpleNamespace) -> None:
    grid = cells.cell_grid(region.cells)
    assert grid.n_cells == 3 and grid.index.shape == (grid.height, grid.width)
    # Every cell is looked up by about oversample² pixels; the rest is -1.
    counts = np.bincount(grid.index[grid.index >= 0], minlength=3)
    assert (counts >= 4).all() and (grid.index == -1).any()
    raster = cells.paint(grid, np.array([1, -1, 0]), ["#ff0000", "#0000ff"])
    img = np.array(Image.open(io.BytesIO(raster.png)).convert("RGBA"))
    assert raster.n_cells == 2  # cell 1 is not drawn
    for i, color in ((0, "#0000ff"), (2, "#ff0000")):
        row, col = _pixel_of(raster, region.cells.x[i], region.cells.y[i])
        assert tuple(int(v) for v in img[row, col]) == cells._hex_to_rgba(color)
    row, col = _pixel_of(raster, region.cells.x[1], region.cells.y[1])
    assert img[row, col, 3] == 0
    with pytest.raises(ValueError):
        cells.paint(grid, np.array([0, 1]), ["#ff0000"])


# ---------------------------------------------------------------------------
# Class breaks of the measures
# ---------------------------------------------------------------------------


def test_nice_numbers_and_breaks() -> None:
    assert [classes.nice_number(v) for v in (0.37, 1.4, 180, 7600)] == [0.25, 1.0, 200.0, 10000.0]
    assert classes.nice_number(0) == 0.0 and classes.nice_number(float("nan")) == 0.0
    values = np.arange(1, 1001, dtype=float)
    breaks = classes.nice_breaks(values, 5)
    assert breaks == sorted(set(breaks)) and 1 <= len(breaks) <= 4
    assert all(0 < b < 1000 for b in breaks)
    assert classes.nice_breaks(np.array([5.0, 5.0, 5.0])) == []  # constant: one class
    assert classes.nice_breaks(np.array([np.nan, np.inf])) == []


def test_classify_upper_and_labels() -> None:
    codes = classes.classify_upper(np.array([0, 5, 5.01, 60, 61, np.inf]), [5, 10, 60])
    assert codes.tolist() == [0, 0, 1, 2, 3, 3]  # a limit belongs to the class below it
    assert classes.range_labels([5, 10, 60], "de", "min") == [
        "bis 5 min",
        "5–10 min",
        "10–60 min",
        "über 60 min",
    ]
    assert classes.range_labels([0.25, 2.5], "en") == ["up to 0.25", "0.25–2.5", "over 2.5"]
    assert classes.range_labels([0.25, 2.5], "de") == ["bis 0,25", "0,25–2,5", "über 2,5"]


def test_minutes_classes_use_the_bands() -> None:
    minutes = np.array([0.0, 5.0, 7.0, 15.0, 59.0, 61.0, np.inf, np.nan])
    c = classes.measure_classes("minutes", minutes, 15, "pop", "de")
    assert c.codes.tolist() == [0, 0, 1, 2, 6, 7, 7, 7]
    assert len(c.labels) == len(c.colors) == len(settings.ISOCHRONE_BANDS_MIN) + 1
    assert c.colors == tuple(settings.BAND_COLORS)
    assert c.labels[0] == "bis 5 min" and c.labels[-1] == "über 60 min oder kein Angebot"
    assert c.title == "Wegezeit zum nächsten Angebot (min)"
    en = classes.measure_classes("minutes", minutes, 15, "pop", "en")
    assert en.labels[-1] == "over 60 min or no service"


def test_coverage_count_access_gap_classes() -> None:
    within = classes.measure_classes("within", np.array([True, False]), 20, "pop", "de")
    assert within.codes.tolist() == [0, 1] and within.colors == settings.COVERAGE_COLORS
    assert within.labels == ("bis 20 min erreichbar", "über 20 min oder kein Angebot")

    count = classes.measure_classes("count", np.array([0, 1, 2, 3, 4, 5, 9]), 20, "pop", "de")
    assert count.codes.tolist() == [0, 1, 2, 3, 3, 4, 4]
    assert count.labels[0] == "keins" and count.labels[-1] == "5 und mehr"

    values = np.concatenate([[0.0, 0.0], np.linspace(0.1, 3.0, 50)])
    acc = classes.measure_classes("2sfca", values, 20, "single_parent_hh", "de")
    assert acc.codes[:2].tolist() == [0, 0] and (acc.codes[2:] >= 1).all()
    assert acc.labels[0] == "0 (kein Angebot bis 20 min)"
    assert acc.colors[0] == settings.ACCESS_COLORS[0] and len(acc.labels) == len(acc.colors)
    assert "Kapazität je 1.000 Haushalte" in acc.title  # the unit of the target group
    assert np.bincount(acc.codes).min() > 0  # every class occurs (quantile classes)

    gap = classes.measure_classes("gap", np.array([0.0, 10.0, 100.0, 1000.0]), 15, "pop", "en")
    assert gap.codes[0] == 0 and gap.labels[0] == "no gap (within 15 min)"
    assert gap.colors[0] == settings.GAP_COLORS[0]
    assert "people-minutes per 100 m cell" in gap.title


def test_people_classes() -> None:
    pop = classes.measure_classes("people", np.array([0.0, 3.0, 200.0]), 15, "pop", "de")
    assert pop.codes.tolist() == [-1, 0, 6] and pop.colors == settings.POPULATION_COLORS
    kids = classes.measure_classes("people", np.array([0.0, 0.2, 1.0, 4.0, 9.0]), 15, "u10", "de")
    assert kids.codes[0] == -1 and (kids.codes[1:] >= 0).all()
    assert "Kinder unter 10 Jahren" in kids.title
    with pytest.raises(ValueError):
        classes.measure_classes("unknown", np.zeros(2), 15, "pop")


def test_row_runs_merge_neighbours_exactly() -> None:
    rng = np.random.default_rng(1)
    grid = np.array(
        [(X0 + 50 + 100 * i, Y0 + 50 + 100 * j) for i in range(30) for j in range(20)], dtype=float
    )
    xy = grid[rng.random(len(grid)) < 0.6]
    runs = cells.row_runs(xy)
    assert len(runs) < len(xy)
    squares = shapely.box(xy[:, 0] - 50, xy[:, 1] - 50, xy[:, 0] + 50, xy[:, 1] + 50)
    assert shapely.coverage_union_all(runs).equals(shapely.union_all(squares))
    assert len(cells.row_runs(np.array([[X0 + 50, Y0 + 50], [X0 + 150, Y0 + 50]]))) == 1


def test_outline_frames_the_cells() -> None:
    xy = np.array([[X0 + 50, Y0 + 50], [X0 + 150, Y0 + 50], [X0 + 5050, Y0 + 50]], dtype=float)
    gj = cells.cells_outline_geojson(xy, np.array([True, True, False]))
    assert len(gj["features"]) == 1
    geom = shapely.geometry.shape(gj["features"][0]["geometry"])
    to_deg = Transformer.from_crs(settings.CRS_METRIC, settings.CRS_DISPLAY, always_xy=True)
    for x, y in xy[:2]:  # both selected cells inside, the third outside
        assert geom.contains(shapely.Point(*to_deg.transform(x, y)))
    assert not geom.contains(shapely.Point(*to_deg.transform(*xy[2])))
    empty = cells.cells_outline_geojson(xy, np.zeros(3, dtype=bool))
    assert empty["features"] == []


# ---------------------------------------------------------------------------
# Analysis overlays, legends, panel and tables (on the hand-made region)
# ---------------------------------------------------------------------------


@pytest.fixture
def result(region: SimpleNamespace) -> analysis.AnalysisResult:
    params = analysis.AnalysisParams(target="pop", mode="walk", threshold_min=15)
    return analysis.analyze(region, params, {})


def test_measure_overlay_legend_names_unit_model_and_threshold(
    region: SimpleNamespace, result: analysis.AnalysisResult
) -> None:
    grid = cells.cell_grid(region.cells)
    ov = gaps.measure_overlay(result, grid, "minutes", "de")
    assert ov.name == "Karte: Wegezeit zum nächsten Angebot"
    assert ov.legend.layer_name == ov.name and ov.legend.title.endswith("(min)")
    html_text = legend.legend_html([ov.legend])
    assert "Schwellenwert: 15 min" in html_text and "Luftlinie × Umwegfaktor 1,28" in html_text
    assert "Zielgruppe über 15 min (Umriss)" in html_text
    assert "Wegezeiten: Luftlinie" in ov.attribution and "Zensus 2022" in ov.attribution
    # Cells beyond the threshold with people are outlined.
    assert ov.outline is not None and ov.outline["features"]
    gap = gaps.measure_overlay(result, grid, "gap", "en")
    assert (
        gap.outline is None
        and "Model: Straight line × detour factor 1.28" in legend.legend_html([gap.legend])
    )


def test_choropleth_fixed_share_classes_and_escaped_tips(result: analysis.AnalysisResult) -> None:
    name, choro = gaps.gemeinde_choropleth(result, "share_beyond", "de")
    assert name == "Gemeinden: Anteil über Schwellenwert (%)"
    labels = [e.label for e in choro.legend.entries]
    assert labels[:5] == ["bis 10 %", "10–25 %", "25–50 %", "50–75 %", "über 75 %"]
    assert set(choro.colors.values()) <= set(settings.CHOROPLETH_COLORS)
    assert EVIL not in "".join(choro.tips.values())
    values = {"a": 0.05, "b": 0.3, "c": 1.0, "d": float("nan")}
    c2 = boundaries.choropleth(values, "share_beyond", "pop", "x", "de")
    assert c2.colors == {
        "a": settings.CHOROPLETH_COLORS[0],
        "b": settings.CHOROPLETH_COLORS[2],
        "c": settings.CHOROPLETH_COLORS[4],
    }
    assert c2.tips["b"] == "Anteil über Schwellenwert (%): 30,0\u00a0%" and c2.tips["d"].endswith(
        "–"
    )
    assert c2.legend.entries[-1].label == "keine Zielgruppe"


def test_services_tooltip_reference_and_selection(
    region: SimpleNamespace, result: analysis.AnalysisResult
) -> None:
    gj = gaps.selected_services(region.services, result, "en")
    tips = {f["properties"]["id"]: f["properties"]["tooltip"] for f in gj["features"]}
    assert set(tips) == {"s1", "s2", "s3"}
    assert EVIL_ESCAPED in tips["s1"] and "<script" not in tips["s1"]
    assert parse_ref(_text_of(tips["s1"])) == ("svc", "s1")
    popup = gj["features"][0]["properties"]["popup"]
    assert "<th>Provider</th>" in popup and "<th>Träger</th>" not in popup  # English names
    fam = analysis.analyze(region, analysis.AnalysisParams(kinds=("Familie",)), {})
    assert [
        f["properties"]["id"] for f in gaps.selected_services(region.services, fam)["features"]
    ] == ["s2"]


def test_refs_survive_odd_ids() -> None:
    odd = 'a"<b>&\u27e7x'
    fragment = ref_html("svc", odd)
    assert "<b>" not in fragment
    kind, key = parse_ref(_text_of(fragment))
    assert kind == "svc" and key == 'a"<b>&x'  # the closing bracket cannot end the reference
    assert parse_ref("Sömmerda") is None and parse_ref(None) is None


def test_services_legend_only_selected_categories() -> None:
    section = services.legend_section("Angebote", "en", categories=["Familie", "Jugend"])
    labels = [e.label for e in section.entries]
    assert labels == ["Youth", "Family", "Imprecise location (village/postcode/municipality)"]


def test_overlay_groups_render_offline_and_escaped(
    region: SimpleNamespace, result: analysis.AnalysisResult
) -> None:
    data = maplayers.map_data(region)
    grid = cells.cell_grid(region.cells)
    ov = gaps.overlays(
        gaps.measure_overlay(result, grid, "minutes"),
        gaps.selected_services(region.services, result),
        result,
        choropleth=gaps.gemeinde_choropleth(result, "gap_per_1000"),
        cell_geojson=panel.cell_square_geojson(X0 + 50, Y0 + 50),
        selected_ags="16068001",
        selected_service="s1",
    )
    groups = maplayers.overlay_groups(ov, maplayers.static_sections(data, maplayers.MapOptions()))
    names = [g.layer_name for g in groups]
    assert names[0] == ov.measure_name and names[1].startswith("Gemeinden: Lückenwert")
    assert "Angebote (Auswahl)" in names and "Ausgewählte Zelle" in names
    m = maplayers.build_map(data, overlays=ov)
    out = maplayers.map_html(m)
    assert EVIL not in out and "alert(1)</script>" not in out
    assert "window.nahraum.setLegend(" in out and "window.nahraum.setGemeinden(" in out
    hosts = set(re.findall(r"(?:https?:)?//([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})", out))
    assert hosts <= ALLOWED_HOSTS


def test_catchment_bands_and_geojson() -> None:
    assert catchment.catchment_bands(20) == (5.0, 10.0, 15.0, 20.0)
    assert catchment.catchment_bands(25) == (5.0, 10.0, 15.0, 20.0, 25.0)
    assert catchment.catchment_bands(5) == (5.0,)
    polys = gpd.GeoDataFrame(
        {"band_min_to": [10.0, 20.0]},
        geometry=[shapely.Point(X0, Y0).buffer(500), shapely.Point(X0, Y0).buffer(1000)],
        crs=settings.CRS_METRIC,
    )
    gj = catchment.catchment_geojson(polys, 20)
    props = [f["properties"] for f in gj["features"]]
    assert props == [{"minutes": 20.0, "outer": True}, {"minutes": 10.0, "outer": False}]
    section = catchment.legend_section(20, "Einzugsbereich: X", "de")
    assert section.entries[0].label == "Einzugsbereich bis 20 min"


def test_roads_from_a_network() -> None:
    net = SimpleNamespace(
        n_nodes=3,
        x=np.array([X0, X0 + 500, X0 + 1000.0]),
        y=np.array([Y0, Y0, Y0 + 500.0]),
        edge_list=lambda: (np.array([0, 1, 1, 2]), np.array([1, 0, 2, 1]), np.ones(4)),
    )
    gj = roads.roads_geojson(net)
    geom = shapely.geometry.shape(gj["features"][0]["geometry"])
    assert geom.geom_type in ("LineString", "MultiLineString")
    assert (
        geom.length > 0 and len(shapely.get_coordinates(geom)) == 3
    )  # merged, both directions once
    assert roads.pick_network({"walk": "w", "car": "c"}) == "c"
    assert roads.pick_network({}) is None


def test_key_figures_and_worst_gemeinden(result: analysis.AnalysisResult) -> None:
    figs = panel.key_figures(result, "de")
    assert [f.label for f in figs] == [
        "Zielgruppe über 15 min",
        "Anteil versorgt",
        "Mittlere Wegezeit",
        "Größte Lücken (je 1.000)",
    ]
    assert figs[1].value.endswith("\u00a0%")
    # Ties of the gap score per 1,000 (at the cap): the longer mean travel time first, then
    # the larger gap; no reachable service (NaN) counts as the longest time.
    g = pd.DataFrame(
        {
            "ags": ["1", "2", "3", "4", "5"],
            "name": ["A", "B", "C", "D", "E"],
            "gap": [10.0, 500.0, 0.0, 20.0, 5.0],
            "gap_per_1000": [900.0, 50.0, 0.0, 900.0, 900.0],
            "minutes_mean": [40.0, 20.0, 5.0, 25.0, np.nan],
        }
    )
    worst = panel.worst_gemeinden(g, 4)
    assert [w[:3] for w in worst] == [
        ("5", "E", 900.0),
        ("1", "A", 900.0),
        ("4", "D", 900.0),
        ("2", "B", 50.0),
    ]
    # tied scores show the mean time that orders them; a unique score stands alone
    assert panel.worst_labels(worst, "de") == [
        "E (900 · Ø –)",
        "A (900 · Ø 40,0 min)",
        "D (900 · Ø 25,0 min)",
        "B (50)",
    ]
    # a score that only rounds to a tie is shown as one, with its mean time
    near = [("1", "A", 29_999.6, 129.5), ("2", "B", 30_000.0, 78.2)]
    assert panel.worst_labels(near, "de") == ["A (30.000 · Ø 129,5 min)", "B (30.000 · Ø 78,2 min)"]
    same = g.assign(minutes_mean=30.0)
    assert [w[0] for w in panel.worst_gemeinden(same)] == ["4", "1", "5"]


def test_click_panel_details(region: SimpleNamespace, result: analysis.AnalysisResult) -> None:
    to_deg = Transformer.from_crs(settings.CRS_METRIC, settings.CRS_DISPLAY, always_xy=True)
    lon, lat = to_deg.transform(X0 + 2530, Y0 + 1070)  # inside the cell centred at +2550/+1050
    pos = panel.cell_at(region.cells, lat, lon)
    assert pos == 1
    lon, lat = to_deg.transform(X0 + 1500, Y0 + 1500)
    assert panel.cell_at(region.cells, lat, lon) is None
    gem = panel.gemeinde_details(result, "16068002", "de")
    assert gem.title == "Großstadt" and dict(gem.rows)["Zielgruppe"] == "15 Personen"
    assert panel.gemeinde_details(result, "nope") is None
    cell = panel.cell_details(result, 0, "en")
    assert dict(cell.rows)["Target group"] == "3 people"
    svc = panel.service_details(region.services, result, "s2", "de")
    assert svc.title == 'Familienzentrum "Sonne"' and svc.link is None  # javascript: never a link
    assert dict(svc.rows)["Quelle"] == "javascript:alert(1)"
    assert panel.service_details(region.services, result, "s1").link == SOURCE


def test_panel_html_is_escaped() -> None:
    details = panel.Details(
        "gemeinde", EVIL, ((EVIL, EVIL), ("", "frei <i>")), link="javascript:alert(1)"
    )
    out = panel.details_html(details, "Gemeinde <b>")
    assert "<script" not in out and out.count(EVIL_ESCAPED) == 3
    assert "href" not in out and "frei &lt;i&gt;" in out and "Gemeinde &lt;b&gt;" in out
    linked = panel.details_html(panel.Details("service", "A", (), link=SOURCE), "")
    assert 'href="https://example.org/quelle?a=1&amp;b=2"' in linked
    fig = panel.Figure("Größte Lücken", "keine Lücke", 'Hilfe "x"')
    worst = panel.worst_html(fig, [("1", EVIL, 1234.0, 20.0)], "de")
    assert EVIL_ESCAPED in worst and "(1.234)" in worst and 'title="Hilfe &quot;x&quot;"' in worst
    assert "<li>keine Lücke</li>" in panel.worst_html(fig, [], "de")
    assert panel.md_escape("R_j * [x](y) <b>") == r"R\_j \* \[x\](y) \<b\>"


def test_target_options_follow_life_phases() -> None:
    options = panel.target_options()
    assert set(options) == set(settings.TARGET_GROUPS) and options[0] == "pop"
    phases = [settings.TARGET_GROUPS[c].life_phase for c in options]
    order = list(settings.LIFE_PHASES)
    assert phases == sorted(phases, key=order.index)
    assert panel.target_option_label("u10", "de") == "Frühe Kindheit – Kinder unter 10 Jahren"
    assert panel.kinds(["Familie"], []) == ("Familie",)
    assert panel.kinds(["Familie"], ["Kita"]) == ("Kita",)


def test_service_counts_for_labels(region: SimpleNamespace) -> None:
    assert panel.category_counts(region.services) == {"Beratung": 1, "Jugend": 1, "Familie": 1}
    subs = panel.subcategory_counts(region.services, ["Familie", "Jugend"])
    assert subs == {"Familienzentrum": 1, "Jugendclub": 1}


def test_csv_german_and_international(result: analysis.AnalysisResult) -> None:
    de = csv_bytes(tables.table(result, "de"), german=True)
    assert de.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(de.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 1 + 3 and rows[0][:2] == ["AGS", "Gemeinde"]
    header = rows[0]
    people = header.index("Zielgruppe (Personen)")
    assert [r[people] for r in rows[1:]] == ["3", "15", "200"]
    share = header.index("Anteil erreichbar (%)")
    assert all("." not in r[share] for r in rows[1:])  # decimal comma
    en = csv_bytes(tables.table(result, "en"), german=False)
    rows_en = list(csv.reader(io.StringIO(en.decode("utf-8"))))
    assert rows_en[0][:3] == ["AGS", "Municipality", "Target group (people)"]


def test_small_counts_suppressed_in_csv_and_screen_table(region: SimpleNamespace) -> None:
    small = region.cells.assign(pop=[1.0, 15.0, 2.2])
    res = analysis.analyze(
        SimpleNamespace(**{**vars(region), "cells": small}), analysis.AnalysisParams(), {}
    )
    rows = list(
        csv.reader(io.StringIO(csv_bytes(tables.table(res)).decode("utf-8-sig")), delimiter=";")
    )
    people = rows[0].index("Zielgruppe (Personen)")
    assert [r[people] for r in rows[1:]] == ["<3", "15", "<3"]
    df, suppressed = tables.screen_table(res, "de")
    assert "Zielgruppe (Personen)" in suppressed
    assert df["Zielgruppe (Personen)"].isna().tolist() == [True, False, True]
    styled = tables.styled(df, suppressed, tables.decimals_of(res, "de"), "de").to_html()
    assert styled.count(">&lt;3<") + styled.count("><3<") >= 2


def test_styled_table_is_rendered_once_and_shows_the_same(
    result: analysis.AnalysisResult, monkeypatch
) -> None:
    """Streamlit renders a Styler on every rerun: the kept one renders its cells once,
    and what it shows is what a fresh Styler shows (German numbers, "<3")."""
    from pandas.io.formats.style import Styler
    from streamlit.elements.lib.pandas_styler_utils import marshall_styler
    from streamlit.proto.ArrowData_pb2 import ArrowData

    df, suppressed = tables.screen_table(result, "de")
    decimals = tables.decimals_of(result, "de")
    calls = []
    original = Styler._translate

    def counting(self, *args, **kwargs):
        calls.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Styler, "_translate", counting)
    kept = tables.styled(df, suppressed, decimals, "de")
    protos = []
    for _ in range(3):
        proto = ArrowData()
        marshall_styler(proto, kept, "t")
        protos.append(proto.styler.display_values)
    assert len(calls) == 1 and protos[0] == protos[1] == protos[2]
    assert type(kept) is Styler  # Streamlit takes a Styler by its exact type only
    # what it keeps is what pandas renders for the same styling now
    monkeypatch.setattr(Styler, "_translate", original)
    fresh = tables.styled(df, suppressed, decimals, "de")
    fresh.set_uuid(kept.uuid)
    now = Styler._translate(fresh._compute(), False, False)
    shown = [[c.get("display_value") for c in row] for row in now["body"]]
    again = kept._translate(False, False)  # kept: no new rendering
    assert len(calls) == 1
    assert shown == [[c.get("display_value") for c in row] for row in again["body"]]
    assert any("." in str(v) or "," in str(v) for row in shown for v in row)  # German numbers


def test_xlsx_has_table_and_explanation(result: analysis.AnalysisResult) -> None:
    from openpyxl import load_workbook

    data = table_workbook(result, lang="de")
    assert data[:2] == b"PK"
    book = load_workbook(io.BytesIO(data))
    assert len(book.sheetnames) >= 2
    first = book[book.sheetnames[0]]
    names = [c.value for c in next(first.iter_rows(max_row=1))]
    assert any(str(n).startswith("Gemeinde") for n in names)


# ---------------------------------------------------------------------------
# UI strings
# ---------------------------------------------------------------------------


def test_ui_strings_complete_in_both_languages() -> None:
    de, en = i18n.keys("de"), i18n.keys("en")
    assert de == en and len(de) > 300
    placeholders = re.compile(r"{(\w+)}")
    for key in de:
        assert set(placeholders.findall(i18n.t(key, "de"))) == set(
            placeholders.findall(i18n.t(key, "en"))
        ), key
    assert i18n.t("threshold", "en") == "Threshold (minutes)"
    assert i18n.t("kf_beyond", "de", T="20") == "Zielgruppe über 20 min"
    assert i18n.t("nope", "en") == "nope" and i18n.lang_of("fr") == "de"


def test_number_formats() -> None:
    assert (
        numbers.number(1234.5, 1, "de") == "1.234,5"
        and numbers.number(1234.5, 1, "en") == "1,234.5"
    )
    assert numbers.percent(0.321, "de") == "32,1\u00a0%" and numbers.percent(0.321, "en") == "32.1%"
    assert [numbers.count(v) for v in (0, 0.4, 1, 2.4, 2.6, 1234)] == [
        "0",
        "0",
        "<3",
        "<3",
        "3",
        "1.234",
    ]
    assert numbers.minutes(float("inf")) == "–" and numbers.minutes(12.34, "en") == "12.3 min"
    assert numbers.auto_number(1.28, "de") == "1,28" and numbers.auto_number(15.0) == "15"

    def res(kind, mode, source=None):
        speed = settings.MODES[mode].speed_kmh
        model = {"kind": kind, "mode": mode, "source": source, "speed_kmh": speed, "detour": 1.28}
        return SimpleNamespace(model=model)

    assert (
        describe.model_text(res("fallback:straight-line×detour", "bike"), "en")
        == "Straight line × detour factor 1.28, bicycle 15 km/h"
    )
    assert (
        describe.model_text(res("network:osm", "walk", "a.osm.gz"), "de")
        == "OSM-Straßennetz (a.osm.gz), zu Fuß 4,5 km/h"
    )
    assert (
        describe.model_text(res("network:osm", "car"), "en")
        == "OSM road network, car speed by maxspeed or road class"
    )
    assert (
        describe.model_text(res("other:thing", "walk"), "en") == "Travel-time model “other:thing”"
    )


# ---------------------------------------------------------------------------
# Offline: no CDN, no tiles
# ---------------------------------------------------------------------------

# The SVG namespace (not a request) and the service's source link in the test data (a link
# the user may click, not a resource the page loads).
ALLOWED_HOSTS = {"www.w3.org", "example.org"}


def test_map_html_has_no_remote_urls(map_html: str) -> None:
    hosts = set(
        re.findall(r"(?:https?:)?//([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})", map_html)
    )
    assert hosts <= ALLOWED_HOSTS, hosts - ALLOWED_HOSTS
    assert map_html.count("example.org") == 2  # link and its text in the popup of s1
    for tag in re.findall(r"<(?:script|link)\b[^>]*>", map_html):
        assert re.search(r"""(?:src|href)=["'](?!data:)""", tag) is None, tag
    assert "{z}" not in map_html  # no tile layer by default


def test_streamlit_folium_links_are_embedded(region: SimpleNamespace) -> None:
    """st_folium loads the ``default_js``/``default_css`` of every element: all data: URLs."""
    m = maplayers.build_map(maplayers.map_data(region))
    links = []
    for element in _assets._walk(m):
        links += [url for _, url in getattr(element, "default_js", [])]
        links += [url for _, url in getattr(element, "default_css", [])]
    assert links and all(url.startswith("data:") for url in links)
    # The class attributes of folium stay untouched (other maps are not affected).
    assert any(url.startswith("http") for _, url in folium.Map.default_js)


def test_online_tiles_only_on_request(region: SimpleNamespace) -> None:
    data = maplayers.map_data(region)
    html = maplayers.map_html(maplayers.build_map(data, maplayers.MapOptions(online_tiles=True)))
    assert "{z}" in html and maplayers.LAYER_ONLINE in html


def test_localize_refuses_remote_plugins(region: SimpleNamespace) -> None:
    m = maplayers.base_map(((51.0, 10.9), (51.2, 11.2)))
    folium.plugins.MarkerCluster().add_to(m)
    with pytest.raises(_assets.AssetError, match="Internet"):
        _assets.localize(m)


def test_ensure_assets_is_idempotent(tmp_path) -> None:
    vendor = _assets.ensure_assets(tmp_path / "vendor")
    files = sorted(p for p in vendor.rglob("*") if p.is_file())
    assert (vendor / "leaflet" / "leaflet.js").is_file()
    assert (vendor / "jquery" / "jquery.min.js").is_file()
    for symbol in _assets.symbol_names():
        assert (vendor / "font-awesome" / "svgs" / "solid" / f"{symbol}.svg").is_file()
    stamps = {p: p.stat().st_mtime_ns for p in files}
    _assets.ensure_assets(vendor)
    assert {p: p.stat().st_mtime_ns for p in files} == stamps


def test_symbol_svg_is_inline_and_clean() -> None:
    svg = _assets.symbol_svg("comments")
    assert svg.startswith("<svg ") and 'fill="currentColor"' in svg and "<!--" not in svg
    assert _assets.symbol_svg("../../etc/passwd").startswith("<svg ")


# ---------------------------------------------------------------------------
# Scenario layers (workshop): planned/closed symbols, escaped pin text
# ---------------------------------------------------------------------------
def _scenario_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["plan-1", "svc-9", "svc-3", "plan-2-1"],
            "name": [EVIL, "Beratung <Mitte>", "Jugendclub", "Mobil"],
            "category": ["Familie", "Beratung", "Jugend", "Familie"],
            "subcategory": ["", "", "", ""],
            "capacity": [None, 2.0, 1.0, 0.2],
            "change_id": ["plan-1", "plan-3", "plan-4", "plan-2"],
            "change_type": ["add_site", "move_site", "close_site", "mobile_service"],
            "scenario_change": ["Neuer Standort", "verlegt", "geschlossen", EVIL],
        },
        geometry=gpd.points_from_xy(
            [4400000, 4401000, 4402000, 4403000], [3140000, 3141000, 3142000, 3143000]
        ),
        crs=settings.CRS_METRIC,
    )


def test_scenario_site_symbols() -> None:
    from layers import scenario as sl

    gj = sl.sites_geojson(_scenario_frame())
    classes = [f["properties"]["cls"] for f in gj["features"]]
    assert classes == ["plan", "moved", "closed", "plan"]
    colors = [f["properties"]["color"] for f in gj["features"]]
    assert colors[0] == settings.CATEGORIES["Familie"].color
    text = str(gj)
    assert EVIL not in text and EVIL_ESCAPED in text  # names and changes escaped
    assert "geplant: neuer Standort" in gj["features"][0]["properties"]["tooltip"]
    assert "geschlossen" in gj["features"][2]["properties"]["tooltip"]
    # The popup describes each change in the UI language (not geo's German text).
    from geo.scenario import AddSite, CloseSite

    changes = [
        AddSite(id="plan-1", name=EVIL, category="Familie", x=4400000.0, y=3140000.0),
        CloseSite(id="plan-4", service_id="svc-3"),
    ]
    en = sl.sites_geojson(_scenario_frame(), "en", changes)["features"]
    de = sl.sites_geojson(_scenario_frame(), "de", changes)["features"]
    assert "Site svc-3 closed" in en[2]["properties"]["popup"]
    assert "Standort svc-3 geschlossen" in de[2]["properties"]["popup"]
    assert "New site" in en[0]["properties"]["popup"] and EVIL not in str(en)
    assert "verlegt" not in en[1]["properties"]["popup"]  # no change given: no line
    # Legend: dashed star for planned, crossed-out marker for closed.
    group, section = sl.scenario_group(gj, sl.pins_geojson(None))
    assert section is not None
    html_rows = [e.swatch_html for e in section.entries]
    assert any("nahraum-plan-plan" in h and "★" in h for h in html_rows)
    assert any("nahraum-plan-closed" in h and "★" not in h for h in html_rows)
    assert "dashed" in sl.SCENARIO_CSS and "nahraum-plan-closed::after" in sl.SCENARIO_CSS
    rendered = folium.Map(tiles=None)
    group.add_to(rendered)
    page = rendered.get_root().render()
    assert "nahraum-plan nahraum-plan-" in page and EVIL not in page


def test_pin_text_escaped() -> None:
    from geo.scenario import Pin, Scenario, pins_frame
    from layers import scenario as sl

    text = EVIL + ' & "Treff"\nzweite Zeile ' + "x" * 120
    scenario = Scenario(name="t").with_pin(Pin(x=4400000.0, y=3140000.0, kind="too_far", text=text))
    gj = sl.pins_geojson(pins_frame(scenario), pending=[(11.0, 51.3)])
    props = [f["properties"] for f in gj["features"]]
    assert [p["pending"] for p in props] == [False, True]
    pin = props[0]
    assert pin["symbol"] == sl.PIN_STYLE["too_far"][1]
    for key in ("tooltip", "popup"):
        assert EVIL not in pin[key] and EVIL_ESCAPED in pin[key]
        assert "&amp;" in pin[key] and "&quot;Treff&quot;" in pin[key]
    assert "Weg zu weit" in pin["tooltip"]
    assert "…" in pin["tooltip"] and len(pin["tooltip"]) < len(pin["popup"])
    assert "zweite Zeile" in pin["popup"] and "<br>" in pin["popup"]
    assert sl.pin_label("missing") == settings.PIN_KINDS["missing"]
    assert sl.pin_label("missing", "en") == "a service is missing here"
    # The browser code assigns the symbol as text, never as HTML.
    m = folium.Map(tiles=None)
    sl.pins_layer(gj, "nahraum-scenario", "Pins").add_to(m)
    page = m.get_root().render()
    assert "b.textContent = p.symbol" in page and EVIL not in page


def test_scenario_overlay_and_workshop_style() -> None:
    from layers import scenario as sl

    sites = sl.sites_geojson(_scenario_frame())
    ov = maplayers.Overlays(
        measure_name="M",
        raster=None,
        raster_attribution="",
        measure_legend=legend.LegendSection("M"),
        services_name="S",
        services={"type": "FeatureCollection", "features": []},
        services_legend=legend.LegendSection("S"),
        scenario_sites=sites,
        scenario_pins=sl.pins_geojson(None),
    )
    groups = maplayers.overlay_groups(ov)
    names = [g.layer_name for g in groups]
    assert i18n.t("layer_scenario") in names
    assert "nahraum-scenario" in maplayers.PANES
    style = maplayers.MapStyle(workshop=True)
    m = folium.Map(tiles=None)
    style.add_to(m)
    assert "classList.add('nahraum-workshop')" in m.get_root().render()
    m2 = folium.Map(tiles=None)
    maplayers.MapStyle().add_to(m2)
    assert "classList.add('nahraum-workshop')" not in m2.get_root().render()
    assert ".nahraum-workshop .nahraum-legend-control" in maplayers.WORKSHOP_CSS
