"""Report exports (geo/export.py): maps, tables, GeoPackage, CLI."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import xml.etree.ElementTree as ET
from itertools import combinations
from types import SimpleNamespace

import geopandas as gpd
import matplotlib
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
from PIL import Image

from geo import analysis, cli, planning, settings
from geo._errors import InputError
from geo._text import de_number
from geo.analysis import AnalysisParams
from present import classes, describe
from present import tables as ptables
from report import _mapdraw as md
from report import export

DAY = dt.date(2025, 11, 21)
EXAMPLE = settings.REPO_ROOT / "data" / "planning" / "kyf_lsz_regionen.csv"
HAVE_DATA = (settings.data_dir() / "th").is_dir()


@pytest.fixture(scope="module")
def region(tmp_default_region):
    return tmp_default_region


@pytest.fixture(scope="module")
def result(region):
    params = AnalysisParams(
        kinds=("Familie",),
        target="single_parent_hh",
        mode="bike",
        threshold_min=30,
        measure="minutes",
    )
    return analysis.analyze(region, params)


@pytest.fixture(scope="module")
def plan(region):
    return planning.read_planning(EXAMPLE, region)


@pytest.fixture(scope="module")
def inset_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("inset-cache")


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _expected_texts(region, result) -> list[str]:
    """Title parts, legend entries and every attribution that a map must carry as text."""
    texts = [
        "Wegezeit zum nächsten Angebot",
        "Kyffhäuserkreis + Landkreis Sömmerda",
        "Haushalte Alleinerziehender",
        "Fahrrad",
        "Schwellenwert: 30 min",
        "bis 5 min",
        "10–15 min",
        "über 60 min",
        "Familie (14 Angebote)",
        "Lage in Thüringen",
        "Kennzahlen der Region",
        describe.model_text(result),
        "Erstellt mit Nahraum am 21.11.2025",
    ]
    for src in region.meta["sources"]:
        texts.append(src["attribution"])
    return texts


# ---------------------------------------------------------------------------
# Maps
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("dpi", [150, 300])
def test_png_a4_has_the_pixel_size_and_dpi_of_the_paper(region, result, tmp_path, dpi, inset_cache):
    path = export.render_map(
        region,
        result,
        tmp_path / "karte.png",
        paper="A4",
        dpi=dpi,
        cache_dir=inset_cache,
        created=DAY,
    )
    with Image.open(path) as im:
        assert im.size == (round(297 / 25.4 * dpi), round(210 / 25.4 * dpi))
        assert im.info["dpi"] == pytest.approx((dpi, dpi), abs=0.05)
        assert im.info.get("Software", "").startswith("Nahraum")
        rgb = np.asarray(im.convert("RGB"))
    # the map is not blank: band colours of the cells are present
    colors = {
        tuple(int(settings.BAND_COLORS[i][k : k + 2], 16) for k in (1, 3, 5)) for i in (0, 3, 7)
    }
    flat = rgb.reshape(-1, 3)
    for c in colors:
        assert (np.abs(flat.astype(int) - c).sum(axis=1) < 6).any(), c


@pytest.mark.parametrize(("paper", "size_mm"), [("A3", (420, 297)), ("16:9", (338.67, 190.5))])
def test_other_papers(region, result, tmp_path, paper, size_mm, inset_cache):
    path = export.render_map(
        region, result, tmp_path / "k.png", paper=paper, dpi=60, cache_dir=inset_cache
    )
    with Image.open(path) as im:
        assert im.size == (round(size_mm[0] / 25.4 * 60), round(size_mm[1] / 25.4 * 60))


def test_svg_keeps_title_legend_and_attribution_as_text(region, result, tmp_path, inset_cache):
    path = export.render_map(
        region, result, tmp_path / "karte.svg", created=DAY, cache_dir=inset_cache
    )
    root = ET.parse(path).getroot()
    texts = [el.text or "" for el in root.iter() if el.tag.endswith("text") and el.text]
    assert len(texts) > 60
    joined = _flat(" ".join(texts))
    for expected in _expected_texts(region, result):
        assert _flat(expected) in joined, expected
    assert "Sondershausen" in texts  # Gemeinde labels stay text, too


def test_pdf_keeps_title_legend_and_attribution_as_text(region, result, tmp_path, inset_cache):
    pypdf = pytest.importorskip("pypdf")
    path = export.render_map(
        region, result, tmp_path / "karte.pdf", paper="A3", created=DAY, cache_dir=inset_cache
    )
    reader = pypdf.PdfReader(path)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(
        (420 / 25.4 * 72, 297 / 25.4 * 72), abs=0.5
    )
    text = _flat(reader.pages[0].extract_text())
    for expected in _expected_texts(region, result):
        assert _flat(expected) in text, expected
    assert reader.metadata.title.startswith("Wegezeit zum nächsten Angebot")


def test_gemeinde_labels_never_overlap(region, result, inset_cache):
    with matplotlib.rc_context(export.RC):
        fig = export.build_figure(region, result, dpi=100, cache_dir=inset_cache)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    labels = fig.nahraum["labels"]
    assert 35 <= len(labels) <= len(region.gemeinden)
    boxes = [t.get_window_extent(renderer) for t in labels]
    for a, b in combinations(boxes, 2):
        overlap_w = min(a.x1, b.x1) - max(a.x0, b.x0)
        overlap_h = min(a.y1, b.y1) - max(a.y0, b.y0)
        assert overlap_w <= 0 or overlap_h <= 0, (a, b)
    frame = fig.nahraum["map_ax"].get_window_extent(renderer)
    for bb in boxes:
        assert frame.x0 <= bb.x0 and bb.x1 <= frame.x1 and frame.y0 <= bb.y0 and bb.y1 <= frame.y1
    big = {t.get_text().replace("\n", "") for t in labels}
    for name in ("Sondershausen", "Sömmerda", "Artern", "Kölleda"):
        assert name in big


def test_place_labels_skips_labels_that_cannot_be_placed():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 3), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    n = 40
    placed = md.place_labels(
        ax,
        [5.0] * n,
        [5.0] * n,
        [f"Ort {i}" for i in range(n)],
        priority=np.arange(n),
        fontsizes=[9] * n,
    )
    assert 1 < len(placed) < n
    assert placed[0].get_text() == f"Ort {n - 1}"  # highest priority first
    boxes = [t.get_window_extent(fig.canvas.get_renderer()) for t in placed]
    for a, b in combinations(boxes, 2):
        assert not (a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1)


@pytest.mark.parametrize("measure", ["within", "count", "2sfca", "e2sfca", "gap"])
def test_every_measure_renders_with_its_legend(region, result, measure, tmp_path, inset_cache):
    res = analysis.analyze(
        region,
        AnalysisParams(
            kinds=("Familie",),
            target="single_parent_hh",
            mode="bike",
            threshold_min=30,
            measure=measure,
        ),
    )
    with matplotlib.rc_context(export.RC):
        fig = export.build_figure(region, res, dpi=50, cache_dir=inset_cache)
    classes = fig.nahraum["classes"]
    assert len(classes.colors) == len(classes.labels) >= 2
    assert classes.labels[0] in fig.nahraum["legend_labels"]
    assert len(classes.used()) >= 2


def test_choropleth_scenario_sites_and_missing_inset_data(region, result, plan, tmp_path):
    sites = gpd.GeoDataFrame(
        {"name": ["Neu"]}, geometry=[shapely.Point(11.0, 51.3)], crs=settings.CRS_DISPLAY
    )
    with matplotlib.rc_context(export.RC):
        fig = export.build_figure(
            region,
            result,
            dpi=50,
            choropleth="share_beyond",
            scenario_name="Familienzentrum Artern",
            sites=sites,
            planning=plan,
            data_dir=tmp_path,
            cache_dir=tmp_path,
        )
    legend = fig.nahraum["legend_labels"]
    assert any(t.startswith("Gemeinden: Anteil über Schwellenwert") for t in legend)
    assert "Szenario: Standort (1)" in legend
    assert "Grenze (4 Planungsräume)" in legend
    assert "Szenario: Familienzentrum Artern" in fig.nahraum["subtitle"]
    assert "Lage in Thüringen" not in [t.get_text() for t in fig.texts]


def test_bad_arguments_give_german_errors(region, result, tmp_path):
    with pytest.raises(InputError, match="Exportformat"):
        export.render_map(region, result, tmp_path / "karte.gif")
    with pytest.raises(InputError, match="Papierformat"):
        export.render_map(region, result, tmp_path / "karte.png", paper="Letter")
    with pytest.raises(InputError, match="dpi"):
        export.render_map(region, result, tmp_path / "karte.png", dpi=5)
    with pytest.raises(InputError, match="Kennzahl"):
        export.render_map(region, result, tmp_path / "karte.png", choropleth="nope")
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_helpers():
    assert de_number(12345.678, 1) == "12.345,7"
    assert md.scale_length_m(50_000) == 10_000
    assert md.scale_length_m(7_000) == 1_000
    # the report map uses the web map's classes (present.classes): 1, 2, 2.5, 5 × 10^k
    assert classes.nice_number(0.37) == pytest.approx(0.25) and classes.nice_number(1234) == 1000
    assert classes.nice_breaks(np.arange(1, 1001), 5) == [200, 500]
    assert classes.nice_breaks(np.full(50, 7.0), 5) == []  # one value: one class
    assert md.wrap_name("Bad Frankenhausen/Kyffhäuser") == "Bad Frankenhausen/\nKyffhäuser"
    img, extent = md.cell_raster(
        np.array([150, 350]),
        np.array([50, 50]),
        np.array([0, 1]),
        ["#ff0000", "#0000ff"],
        (100, 0, 400, 100),
    )
    assert img.shape == (1, 3, 4) and extent == (100, 400, 0, 100)
    assert tuple(img[0, 0]) == (255, 0, 0, 255) and img[0, 1, 3] == 0
    assert tuple(img[0, 2]) == (0, 0, 255, 255)


def test_map_of_a_region_without_kreise_population_or_thuringia(tmp_path):
    """A bounding-box region (like bayreuth-nord): one unit, no population, no inset."""
    from tests.test_planning import make_region

    reg = make_region()
    reg.gemeinden = reg.gemeinden.dissolve().assign(
        ags="bbox", name="Testgebiet", pop=np.nan, kreis=""
    )
    reg.cells = reg.cells.assign(ags="bbox")
    res = analysis.analyze(
        reg,
        AnalysisParams(
            kinds=("Familie",), target="pop", mode="walk", threshold_min=15, measure="minutes"
        ),
    )
    path = export.render_map(
        reg, res, tmp_path / "k.svg", data_dir=tmp_path, cache_dir=tmp_path, created=DAY
    )
    svg = path.read_text("utf-8")
    assert "Testdaten" in svg and "Testgebiet" in svg and "Lage in Thüringen" not in svg
    assert "Familie (2 Angebote)" in svg


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------
def _cell_value(v):
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or v == "":
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    return v


def test_xlsx_round_trips_with_formats_and_explanation(region, result, plan, tmp_path):
    path = export.export_table(result, tmp_path / "tabelle.xlsx", planning=plan, created=DAY)
    expected = ptables.table(result, suppress=True, total_row=True)
    assert expected.isin([analysis.SUPPRESSED]).to_numpy().any()  # the case is exercised
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Gemeinden", "Planungsräume", "Zuordnung", "Legende", "Erläuterung"]
    ws = wb["Gemeinden"]
    header = [c.value for c in ws[1]]
    assert header == list(expected.columns)
    assert ws.freeze_panes == "C2"
    for i, row in enumerate(ws.iter_rows(min_row=2, values_only=True)):
        want = [_cell_value(v) for v in expected.iloc[i]]
        assert list(row) == want, i
    count_col = header.index(expected.columns[2]) + 1
    assert ws.cell(row=2, column=count_col).number_format == "#,##0"
    minutes_col = (
        header.index("Wegezeit Mittel (min)") + 1 if "Wegezeit Mittel (min)" in header else 4
    )
    assert ws.cell(row=2, column=minutes_col).number_format == "0.0"
    assert ws.cell(row=2, column=1).data_type == "s"  # AGS stays text
    # pandas reads the same values back
    back = pd.read_excel(path, sheet_name="Gemeinden", dtype={"AGS": str})
    assert list(back["AGS"].fillna("")[:-1]) == list(expected["AGS"][:-1])
    assert (
        back.isin([analysis.SUPPRESSED]).to_numpy().sum()
        == expected.isin([analysis.SUPPRESSED]).to_numpy().sum()
    )
    plan_sheet = pd.read_excel(path, sheet_name="Planungsräume")
    assert list(plan_sheet["Planungsraum"][:-1]) == plan.names
    notes = " ".join(
        str(v)
        for row in wb["Erläuterung"].iter_rows(values_only=True)
        for v in row
        if v is not None
    )
    assert describe.model_text(result) in notes and "21.11.2025" in notes
    for src in region.meta["sources"]:
        assert src["attribution"] in notes
    for label in expected.columns:
        assert label in notes, label
    assert "Planungsräume" in notes and "kyf_lsz_regionen.csv" in notes


def _canon(v, german: bool = False) -> str:
    """Comparable text of a table value: numbers as %.6g, AGS and "<3" as they are."""
    v = _cell_value(v)
    if v is None:
        return ""
    if isinstance(v, str):
        if v == analysis.SUPPRESSED or re.fullmatch(r"\d{8}", v):
            return v
        try:
            return format(float(v.replace(",", ".") if german else v), ".6g")
        except ValueError:
            return v
    return format(float(v), ".6g")


def test_csv_variants_parse_back(result, plan, tmp_path):
    expected = ptables.table(result, suppress=True, total_row=True)
    de = export.export_table(result, tmp_path / "de.csv", planning=plan)
    raw = de.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b";" in raw.splitlines()[0]
    intl = export.export_table(result, tmp_path / "int.csv", fmt="csv-int")
    assert not intl.read_bytes().startswith(b"\xef\xbb\xbf")
    a = pd.read_csv(
        de,
        sep=";",
        decimal=",",
        encoding="utf-8-sig",
        dtype={"AGS": str},
        keep_default_na=False,
        na_values=[""],
    )
    b = pd.read_csv(
        intl,
        sep=",",
        decimal=".",
        encoding="utf-8",
        dtype={"AGS": str},
        keep_default_na=False,
        na_values=[""],
    )
    assert list(a.columns) == list(b.columns) == list(expected.columns)
    for col in expected.columns:
        want = [_canon(v) for v in expected[col]]
        assert [_canon(v, german=True) for v in a[col]] == want, col
        assert [_canon(v) for v in b[col]] == want, col
    second = tmp_path / f"de{export.PLANNING_CSV_SUFFIX}.csv"
    p = pd.read_csv(second, sep=";", decimal=",", encoding="utf-8-sig")
    assert list(p["Planungsraum"][:-1]) == plan.names


def test_spreadsheet_formulas_in_names_stay_text(region, result, tmp_path):
    evil = '=HYPERLINK("http://example.org","x")'
    mapping = {evil: list(region.gemeinden["ags"])}
    plan = planning.from_mapping(mapping, region)
    path = export.export_table(result, tmp_path / "t.xlsx", planning=plan)
    ws = openpyxl.load_workbook(path)["Planungsräume"]
    assert ws["A2"].value == evil and ws["A2"].data_type == "s"
    csv = export.export_table(result, tmp_path / "t.csv", planning=plan)
    second = csv.with_name("t" + export.PLANNING_CSV_SUFFIX + ".csv")
    back = pd.read_csv(second, sep=";", encoding="utf-8-sig")
    assert back["Planungsraum"][0] == "'" + evil


# ---------------------------------------------------------------------------
# GeoPackage
# ---------------------------------------------------------------------------
def test_geopackage_layers_rows_and_metadata(region, result, plan, tmp_path):
    sites = gpd.GeoDataFrame(
        {"name": ["A", "B"]},
        geometry=[shapely.Point(11.0, 51.3), shapely.Point(11.1, 51.2)],
        crs=settings.CRS_DISPLAY,
    )
    pins = pd.DataFrame({"lat": [51.25], "lon": [10.95], "text": ["Idee: Beratung im Dorf"]})
    path = export.export_geopackage(
        region,
        result,
        tmp_path / "nahraum.gpkg",
        scenario_sites=sites,
        pins=pins,
        planning=plan,
        created=DAY,
    )
    layers = dict(pyogrio.list_layers(path))
    assert layers == {
        "gemeinden": "MultiPolygon",
        "zellen": "Polygon",
        "angebote": "Point",
        "planungsraeume": "Polygon",
        "szenario_standorte": "Point",
        "markierungen": "Point",
        "nahraum_metadata": None,
    }
    located = region.services.geometry.notna() & ~region.services.geometry.is_empty
    expected_rows = {
        "gemeinden": 65,
        "zellen": len(region.cells),
        "angebote": int(located.sum()),
        "planungsraeume": 4,
        "szenario_standorte": 2,
        "markierungen": 1,
    }
    for name, n in expected_rows.items():
        info = pyogrio.read_info(path, layer=name)
        assert info["features"] == n, name
        assert info["crs"] == "EPSG:3035", name
    gem = pyogrio.read_dataframe(path, layer="gemeinden")
    people = gem["people"].dropna()
    assert not ((people > 0) & (people < settings.SMALL_COUNT_LIMIT)).any()
    assert gem["people"].isna().sum() == 0 or gem["people"].isna().sum() < 65
    cells = pyogrio.read_dataframe(path, layer="zellen")
    assert "people" not in cells.columns and "gap" not in cells.columns
    assert cells.geometry.area.round().eq(settings.CELL_SIZE_M**2).all()
    np.testing.assert_allclose(cells["minutes"], result.cells["minutes"].round(2), atol=0.006)
    svc = pyogrio.read_dataframe(path, layer="angebote")
    assert svc["ausgewaehlt"].sum() == len(result.services)
    meta = pyogrio.read_dataframe(path, layer="nahraum_metadata")
    kv = dict(zip(meta["key"], meta["value"], strict=True))
    assert kv["model"] == describe.model_text(result)
    assert json.loads(kv["params"]) == result.params.to_dict()
    assert kv["exported"] == "2025-11-21"
    assert kv["planning_source"] == "kyf_lsz_regionen.csv"
    assert all(f"source:{s['name']}" in kv for s in region.meta["sources"])
    info = pyogrio.read_info(path, layer="planungsraeume")
    assert info["layer_metadata"]["DESCRIPTION"].startswith("Planungsräume")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nahraum.gpkg"]  # no temp, no aux


def test_geopackage_points_and_people_on_request(region, result, tmp_path):
    path = export.export_geopackage(
        region, result, tmp_path / "p.gpkg", cell_geometry="point", include_people=True
    )
    assert dict(pyogrio.list_layers(path))["zellen"] == "Point"
    cells = pyogrio.read_dataframe(path, layer="zellen")
    assert cells["people"].sum() == pytest.approx(result.totals["people"], abs=0.005 * len(cells))


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------
def test_cli_export_writes_each_format(region, monkeypatch, tmp_path):
    from geo import region as region_mod

    monkeypatch.setattr(region_mod, "load_region", lambda *a, **k: region)
    base = dict(
        region="default",
        kind="Jugend",
        target="u18",
        mode="walk",
        threshold=20,
        paper="A4",
        dpi=60,
        data_dir=None,
        cache_dir=None,
    )
    for fmt, name in (
        ("png", "k.png"),
        ("pdf", "k.pdf"),
        ("svg", "k.svg"),
        ("xlsx", "t.xlsx"),
        ("csv", "t.csv"),
        ("csv-int", "i.csv"),
        ("gpkg", "g.gpkg"),
    ):
        out = cli.cli_export(SimpleNamespace(**base, fmt=fmt, out=str(tmp_path / name)))
        assert out.is_file() and out.stat().st_size > 1000, fmt
    out = cli.cli_export({**base, "format": None, "out": str(tmp_path / "auto.pdf")})
    assert out.read_bytes().startswith(b"%PDF")
    with pytest.raises(InputError, match="--out"):
        cli.cli_export(SimpleNamespace(**base, fmt="png", out=None))
    with pytest.raises(InputError, match="Angebotsart"):
        cli.cli_export(
            SimpleNamespace(**{**base, "kind": "Zauberei"}, fmt="png", out=str(tmp_path / "x.png"))
        )


@pytest.mark.skipif(not HAVE_DATA, reason="real data not available")
def test_cli_export_end_to_end(tmp_path):
    out = cli.cli_export(
        SimpleNamespace(
            region="default",
            kind="Familie",
            target="single_parent_hh",
            mode="bike",
            threshold=30,
            fmt=None,
            out=str(tmp_path / "a.png"),
            paper="A4",
            dpi=72,
            data_dir=None,
            cache_dir=None,
        )
    )
    with Image.open(io.BytesIO(out.read_bytes())) as im:
        assert im.size == (round(297 / 25.4 * 72), round(210 / 25.4 * 72))
