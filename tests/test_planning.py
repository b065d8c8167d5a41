"""Planning regions (geo/planning.py): import, validation, aggregation."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from geo import analysis, planning, settings
from geo._errors import InputError
from geo.analysis import AnalysisParams
from present import tables as ptables

X0, Y0 = 4_400_000.0, 3_100_000.0
AGS = ["16099001", "16099002", "16099003", "16099004"]
NAMES = ["Adorf", "Bestadt", "Cehausen", "Deheim"]
EXAMPLE = settings.REPO_ROOT / "data" / "planning" / "kyf_lsz_regionen.csv"


def make_region() -> SimpleNamespace:
    """2 × 2 Gemeinden of 2 km × 2 km; 400 cells each with a smooth population."""
    boxes = [
        shapely.box(X0 + i * 2000, Y0 + j * 2000, X0 + (i + 1) * 2000, Y0 + (j + 1) * 2000)
        for j in range(2)
        for i in range(2)
    ]
    gem = gpd.GeoDataFrame(
        {"ags": AGS, "name": NAMES, "kreis": ["16099"] * 4, "pop": [1000, 800, 600, 50]},
        geometry=boxes,
        crs=settings.CRS_METRIC,
    )
    rng = np.random.default_rng(7)
    xs, ys = np.meshgrid(np.arange(40) * 100 + 50 + X0, np.arange(40) * 100 + 50 + Y0)
    xs, ys = xs.ravel(), ys.ravel()
    gi = ((xs - X0) // 2000).astype(int) + 2 * ((ys - Y0) // 2000).astype(int)
    pop = rng.gamma(0.6, 2.0, xs.size) * (gi < 3) + rng.uniform(0, 0.2, xs.size) * (gi == 3)
    cells = pd.DataFrame(
        {"x": xs.astype(np.int64), "y": ys.astype(np.int64), "ags": np.array(AGS)[gi], "pop": pop}
    )
    svc = gpd.GeoDataFrame(
        {
            "id": ["s1", "s2"],
            "name": ["FZ 1", "FZ 2"],
            "category": ["Familie"] * 2,
            "subcategory": ["Familienzentrum"] * 2,
            "capacity": [np.nan, 2.0],
            "precision": ["coordinates"] * 2,
        },
        geometry=[shapely.Point(X0 + 500, Y0 + 500), shapely.Point(X0 + 3500, Y0 + 2500)],
        crs=settings.CRS_METRIC,
    )
    return SimpleNamespace(
        name="test",
        label="Testregion",
        gemeinden=gem,
        cells=cells,
        services=svc,
        outline=shapely.union_all(boxes),
        meta={"sources": [{"name": "Test", "date": "2025", "attribution": "Testdaten"}]},
    )


@pytest.fixture(scope="module")
def region():
    return make_region()


@pytest.fixture(scope="module")
def result(region):
    params = AnalysisParams(kinds=("Familie",), target="pop", mode="walk", threshold_min=15)
    return analysis.analyze(region, params)


def csv_bytes(text: str) -> bytes:
    return text.encode("utf-8")


# ---------------------------------------------------------------------------
# Import and validation
# ---------------------------------------------------------------------------
def test_table_one_row_per_ags_and_lists_give_the_same_assignment(region):
    rows = csv_bytes("Planungsraum;AGS\nNord;16099001\nNord;16099002\nSüd;16099003\nSüd;16099004\n")
    lists = csv_bytes(
        'Sozialraum,Gemeindeschlüssel\nNord,"16099001, 16099002"\nSüd,"16099003;16099004"\n'
    )
    a = planning.read_planning(rows, region, file_name="zeilen.csv")
    b = planning.read_planning(lists, region, file_name="listen.csv")
    assert a.names == b.names == ["Nord", "Süd"]
    assert (
        a.ags_map()
        == b.ags_map()
        == {"16099001": "Nord", "16099002": "Nord", "16099003": "Süd", "16099004": "Süd"}
    )
    assert list(a.regions["n_gemeinden"]) == [2, 2]
    nord = a.regions.set_index("name").geometry["Nord"]
    assert nord.area == pytest.approx(2 * 4e6)


def test_xlsx_with_numeric_ags_and_cp1252_csv(region):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Name des Sozialraums", "AGS (8-stellig)"])
    for code, name in zip(AGS, ["West", "Ost", "West", "Ost"], strict=True):
        ws.append([name, int(code)])
    buf = io.BytesIO()
    wb.save(buf)
    p = planning.read_planning(buf.getvalue(), region, file_name="räume.xlsx")
    assert p.ags_map()["16099002"] == "Ost" and p.names == ["West", "Ost"]
    text = "Planungsraum;AGS\nMühlhausen-Süd;16099001,16099002,16099003,16099004\n"
    p = planning.read_planning(text.encode("cp1252"), region, file_name="alt.csv")
    assert p.names == ["Mühlhausen-Süd"]


def test_unknown_ags_duplicate_ags_and_unassigned_gemeinden_are_reported(region):
    data = csv_bytes("Planungsraum;AGS\nNord;16099001\nNord;16099999\nSüd;16099001\nSüd;1609900x\n")
    with pytest.raises(InputError) as err:
        planning.read_planning(data, region, file_name="fehler.csv")
    problems = err.value.problems
    text = str(err.value)
    by_row = {p.row: p for p in problems if p.row is not None}
    assert "16099999" in by_row[2].message and by_row[2].column == "AGS"
    assert "Zeile 1" in by_row[3].message and "Nord" in by_row[3].message
    assert "8-stellig" in by_row[4].message
    unassigned = [p for p in problems if p.row is None]
    assert len(unassigned) == 1
    for name in ("Bestadt", "Cehausen", "Deheim"):
        assert name in unassigned[0].message
    assert "Adorf" not in unassigned[0].message
    assert "fehler.csv" in text and "Zeile 2" in text and "Spalte „AGS“" in text


def test_incomplete_assignment_can_be_collected(region):
    data = csv_bytes("Planungsraum;AGS\nNord;16099001\n")
    p = planning.read_planning(data, region, file_name="teil.csv", allow_incomplete=True)
    assert p.names == ["Nord", planning.UNASSIGNED]
    assert p.warnings and "Bestadt" in p.warnings[0]


def test_missing_columns_and_empty_names(region):
    with pytest.raises(InputError, match="Keine Spalte für den Gemeindeschlüssel"):
        planning.read_planning(
            csv_bytes("Planungsraum;Einwohner\nNord;5\n"), region, file_name="x.csv"
        )
    with pytest.raises(InputError) as err:
        planning.read_planning(
            csv_bytes("Planungsraum;AGS\n;16099001\n"), region, file_name="x.csv"
        )
    assert any(p.row == 1 and "Name" in p.message for p in err.value.problems)


def _geojson(features: list[tuple[str, shapely.Geometry]], crs_3035: bool = True) -> bytes:
    gdf = gpd.GeoDataFrame(
        {"sozialraum": [f[0] for f in features]},
        geometry=[f[1] for f in features],
        crs=settings.CRS_METRIC,
    )
    if not crs_3035:
        gdf = gdf.to_crs(settings.CRS_DISPLAY)
    return gdf.to_json().encode("utf-8")


def test_polygons_assigned_by_largest_overlap_with_warning(region):
    # P1: Adorf and 30 % of Bestadt; P2: 70 % of Bestadt and Deheim;
    # Cehausen split 40 / 30 / 30 between P3, P1 and P2 → P3, with a warning.
    p1 = shapely.union_all(
        [
            shapely.box(X0, Y0, X0 + 2600, Y0 + 2000),
            shapely.box(X0 + 800, Y0 + 2000, X0 + 1400, Y0 + 4000),
        ]
    )
    p2 = shapely.union_all(
        [
            shapely.box(X0 + 2600, Y0, X0 + 4000, Y0 + 2000),
            shapely.box(X0 + 1400, Y0 + 2000, X0 + 2000, Y0 + 4000),
            shapely.box(X0 + 2000, Y0 + 2000, X0 + 4000, Y0 + 4000),
        ]
    )
    p3 = shapely.box(X0, Y0 + 2000, X0 + 800, Y0 + 4000)
    data = _geojson([("P1", p1), ("P2", p2), ("P3", p3)], crs_3035=False)
    p = planning.read_planning(data, region, file_name="raeume.geojson")
    assert p.ags_map() == {"16099001": "P1", "16099002": "P2", "16099003": "P3", "16099004": "P2"}
    shares = dict(zip(p.assignment["ags"], p.assignment["share"], strict=True))
    assert shares["16099002"] == pytest.approx(0.7, abs=0.01)
    assert shares["16099003"] == pytest.approx(0.4, abs=0.01)
    assert any("Cehausen" in w and "40 %" in w for w in p.warnings)
    assert not any("Bestadt" in w for w in p.warnings)


def test_polygons_by_cell_centre(region, result):
    west = shapely.box(X0 - 10, Y0 - 10, X0 + 1500, Y0 + 4010)
    east = shapely.box(X0 + 1500, Y0 - 10, X0 + 4010, Y0 + 4010)
    gdf = gpd.GeoDataFrame(
        {"name": ["West", "Ost"]}, geometry=[west, east], crs=settings.CRS_METRIC
    )
    p = planning.from_polygons(gdf, region, by="cell", file="zellen.gpkg")
    agg = planning.aggregate(result, p)
    west_cells = region.cells["x"] < X0 + 1500
    assert agg.set_index("name").loc["West", "people"] == pytest.approx(
        result.cells.loc[west_cells, "people"].sum()
    )
    assert agg["people"].sum() == pytest.approx(result.totals["people"])
    # the cut runs through Adorf: listed under West (about 3/4 of its inhabitants there)
    shares = dict(zip(p.assignment["ags"], p.assignment["share"], strict=True))
    assert p.ags_map()["16099001"] == "West" and 0.6 < shares["16099001"] < 0.9
    assert p.ags_map()["16099002"] == "Ost" and shares["16099002"] == pytest.approx(1.0)


def test_polygons_with_gaps_report_the_people_left_out(region):
    gdf = gpd.GeoDataFrame(
        {"name": ["Klein"]},
        geometry=[shapely.box(X0, Y0, X0 + 500, Y0 + 500)],
        crs=settings.CRS_METRIC,
    )
    with pytest.raises(InputError) as err:
        planning.from_polygons(gdf, region, by="cell", file="klein.gpkg")
    assert "in keinem Planungsraum" in str(err.value)


def test_gpkg_polygons_round_trip(region, tmp_path):
    gdf = gpd.GeoDataFrame(
        {"Planungsraum": ["Alles"]}, geometry=[region.outline.buffer(5)], crs=settings.CRS_METRIC
    )
    path = tmp_path / "raeume.gpkg"
    gdf.to_file(path, driver="GPKG")
    p = planning.read_planning(path, region)
    assert p.names == ["Alles"] and set(p.ags_map()) == set(AGS)


# ---------------------------------------------------------------------------
# Aggregation
# ---------------------------------------------------------------------------
def test_one_planning_region_per_gemeinde_reproduces_the_gemeinde_table(region, result):
    p = planning.from_mapping({n: [a] for a, n in zip(AGS, NAMES, strict=True)}, region)
    agg = planning.aggregate(result, p).set_index("ags")
    gem = result.gemeinden.set_index("ags")
    for col in analysis.SUMMARY_COLUMNS:
        np.testing.assert_allclose(
            agg.loc[AGS, col].to_numpy(float),
            gem.loc[AGS, col].to_numpy(float),
            rtol=1e-9,
            atol=1e-9,
            equal_nan=True,
            err_msg=col,
        )


def test_planning_regions_aggregate_to_the_region_totals(region, result):
    p = planning.from_mapping({"Nord": AGS[2:], "Süd": AGS[:2]}, region)
    agg = planning.aggregate(result, p)
    for col in ("people", "people_within", "people_beyond", "people_unreachable", "gap"):
        assert agg[col].sum() == pytest.approx(result.totals[col], rel=1e-9, abs=1e-9), col
    assert agg["services_in_gemeinde"].sum() == result.totals["services_in_region"]
    one = planning.aggregate(result, planning.from_mapping({"Alle": AGS}, region)).iloc[0]
    for col in (
        "minutes_mean",
        "minutes_median",
        "minutes_p90",
        "share_within",
        "2sfca_mean",
        "e2sfca_mean",
        "services_reachable",
        "gap_per_1000",
    ):
        assert one[col] == pytest.approx(result.totals[col], rel=1e-9), col


def test_quantiles_are_recomputed_from_cells_not_averaged(region, result):
    p = planning.from_mapping({"Nord": AGS[2:], "Süd": AGS[:2]}, region)
    agg = planning.aggregate(result, p).set_index("name")
    cells = result.cells
    south = cells["ags"].isin(AGS[:2]).to_numpy()
    expected = analysis.weighted_quantiles(
        cells["minutes"].to_numpy()[south], cells["people"].to_numpy()[south], (0.5, 0.9)
    )[0]
    assert agg.loc["Süd", "minutes_median"] == pytest.approx(expected[0])
    assert agg.loc["Süd", "minutes_p90"] == pytest.approx(expected[1])
    gem = result.gemeinden.set_index("ags")
    naive = gem.loc[AGS[:2], "minutes_median"].mean()
    assert agg.loc["Süd", "minutes_median"] != pytest.approx(naive)


@hsettings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.integers(0, 2), min_size=4, max_size=4))
def test_any_partition_keeps_the_totals(region, result, labels):
    mapping: dict[str, list[str]] = {}
    for code, lab in zip(AGS, labels, strict=True):
        mapping.setdefault(f"R{lab}", []).append(code)
    agg = planning.aggregate(result, planning.from_mapping(mapping, region))
    assert agg["people"].sum() == pytest.approx(result.totals["people"])
    assert agg["gap"].sum() == pytest.approx(result.totals["gap"])
    reach = agg["minutes_mean"].notna()
    p_reach = agg["people"] - agg["people_unreachable"]
    mean = (agg.loc[reach, "minutes_mean"] * p_reach[reach]).sum() / p_reach[reach].sum()
    assert mean == pytest.approx(result.totals["minutes_mean"])


def test_planning_table_labels_total_row_and_suppression(region, result):
    p = planning.from_mapping({"Nord": AGS[2:], "Süd": AGS[:2]}, region)
    assert list(planning.planning_table(result, p).columns[:3]) == ["name", "n_gemeinden", "ags"]
    table = ptables.planning_table(result, p)
    assert list(table.columns[:3]) == ["Planungsraum", "Gemeinden (Anzahl)", "AGS der Gemeinden"]
    assert "Angebote im Planungsraum (Anzahl)" in table.columns
    assert table.iloc[-1]["Planungsraum"] == "Region insgesamt"
    assert list(table["Gemeinden (Anzahl)"]) == [2, 2, 4]
    people_col = next(c for c in table.columns if c.startswith("Zielgruppe"))
    total = table.iloc[-1][people_col]
    assert total == int(np.floor(result.totals["people"] + 0.5))


# ---------------------------------------------------------------------------
# The illustrative Kyffhäuser example on the real default region
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def default_region():
    if not (settings.data_dir() / "th").is_dir():
        pytest.skip("real data not available")
    from geo import region

    return region.load_region("default")


def test_example_file_covers_the_default_region(default_region):
    p = planning.read_planning(EXAMPLE, default_region)
    assert p.names == [
        "Artern, Wiehe und Umgebung",
        "Bad Frankenhausen und Umgebung",
        "Sondershausen und Umgebung",
        "Landkreis Sömmerda (nicht unterteilt)",
    ]
    assert list(p.regions["n_gemeinden"]) == [10, 2, 16, 37]
    assert p.assignment["planning_region"].notna().all() and not p.warnings
    params = AnalysisParams(
        kinds=("Familie",), target="single_parent_hh", mode="bike", threshold_min=30
    )
    res = analysis.analyze(default_region, params)
    agg = planning.aggregate(res, p)
    for col in ("people", "people_within", "people_beyond", "gap"):
        assert agg[col].sum() == pytest.approx(res.totals[col], rel=1e-9), col
    gem = res.gemeinden.set_index("ags")
    amap = p.ags_map()
    for _, row in agg.iterrows():
        members = [a for a, n in amap.items() if n == row["name"]]
        assert row["people"] == pytest.approx(gem.loc[members, "people"].sum(), rel=1e-9)
        assert row["gap"] == pytest.approx(gem.loc[members, "gap"].sum(), rel=1e-9)
    json.dumps(p.to_frame().to_dict("records"))  # serialisable for the app
