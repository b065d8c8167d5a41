"""Population surface: a hand-computed dasymetric case and properties."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from geo import population, settings
from geo._errors import DataFileError


def _write(path, df):
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(path, index=False)


@pytest.fixture
def census(tmp_path):
    """Two 1 km cells: K1 (1500, 1500) with 100 inhabitants, K2 (2500, 1500) with 30."""
    d = tmp_path / "census"
    _write(
        d / "1km" / "Einwohner.parquet",
        pd.DataFrame(
            {"Einwohner": [100, 30, -1], "x": [1500, 2500, 3500], "y": [1500, 1500, 1500]}
        ),
    )
    _write(
        d / "1km" / "unter18_A.parquet",
        pd.DataFrame({"unter18_A": [20.0, -9.0], "x": [1500, 2500], "y": [1500, 1500]}),
    )
    _write(
        d / "1km" / "ab65_A.parquet",
        pd.DataFrame({"ab65_A": [30.0, 50.0], "x": [1500, 2500], "y": [1500, 1500]}),
    )
    _write(
        d / "1km" / "Auslaender_A.parquet",
        pd.DataFrame({"Auslaender_A": [0.0, 10.0], "x": [1500, 2500], "y": [1500, 1500]}),
    )
    # K1 has two 100 m cells with 3 and 1 dwellings; K2 has none.
    _write(
        d / "100m" / "dwellings_RAUMANZAHL_1.parquet",
        pd.DataFrame({"value": [3, 1], "quality": 0, "x": [1050, 1150], "y": [1050, 1050]}),
    )
    _write(
        d / "100m" / "demography_ALTER_10JG_1.parquet",
        pd.DataFrame({"value": [10], "quality": 0, "x": [1050], "y": [1050]}),
    )
    return d


@pytest.fixture
def units():
    """Gemeinde A (x 1000–2000, 260 inh.), B (2000–3000, 60), C (3000–4000, 10, no census cell)."""
    return gpd.GeoDataFrame(
        {"ags": ["00000001", "00000002", "00000003"], "pop": [260, 60, 10]},
        geometry=[
            shapely.box(1000, 1000, 2000, 2000),
            shapely.box(2000, 1000, 3000, 2000),
            shapely.box(3000, 1000, 4000, 2000),
        ],
        crs=settings.CRS_METRIC,
    )


def test_dasymetric_by_hand(census, units):
    cells, report = population.build_surface(units, census)
    c = cells.set_index(["x", "y"])
    # K1: 100 inhabitants split 3:1 by dwellings = 75, 25; Gemeinde A scales by 260/100.
    assert c.loc[(1050, 1050), "pop"] == pytest.approx(195.0)
    assert c.loc[(1150, 1050), "pop"] == pytest.approx(65.0)
    # K2 has no weighted sub-cell: 30 inhabitants at its centre cell, scaled by 60/30.
    assert c.loc[(2450, 1450), "pop"] == pytest.approx(60.0)
    assert c.loc[(2450, 1450), "weight_source"] == "coarse_centre"
    # Gemeinde C has no census cell: one cell at its representative point with all 10.
    c3 = cells.loc[cells["ags"] == "00000003"]
    assert len(c3) == 1 and c3["pop"].iloc[0] == pytest.approx(10.0)
    assert report.gemeinden_without_cells == ["00000003"]
    # Sums equal official populations.
    sums = cells.groupby("ags")["pop"].sum()
    assert sums.to_dict() == pytest.approx({"00000001": 260.0, "00000002": 60.0, "00000003": 10.0})
    # Under 10: a counted cell keeps its count × the Gemeinde factor (10 × 2.6).
    assert c.loc[(1050, 1050), "u10"] == pytest.approx(26.0)
    # A cell absent from the 100 m file counts 0 (cell-key method: nobody hidden).
    assert c.loc[(1150, 1050), "u10"] == 0.0
    # Under 18 from the 1 km share (20 % in K1).
    assert c.loc[(1050, 1050), "u18"] == pytest.approx(39.0)
    # K2 share suppressed (-9): population-weighted mean of valid shares (K1 only: 20 %).
    assert c.loc[(2450, 1450), "u18"] == pytest.approx(12.0)
    # 65+ straight from the 1 km shares.
    assert c.loc[(2450, 1450), "age65"] == pytest.approx(30.0)


def test_groups_never_exceed_population(census, units):
    cells, _ = population.build_surface(units, census)
    for code in settings.TARGET_GROUPS:
        assert (cells[code] <= cells["pop"] + 1e-9).all(), code
        assert (cells[code] >= 0).all(), code


def test_missing_census_file_names_file(tmp_path, units):
    (tmp_path / "1km").mkdir()
    with pytest.raises(DataFileError, match="Einwohner.parquet"):
        population.build_surface(units, tmp_path)


@hsettings(max_examples=30, deadline=None)
@given(
    pops=st.lists(st.integers(min_value=1, max_value=5000), min_size=1, max_size=6),
    weights=st.lists(st.integers(min_value=1, max_value=200), min_size=1, max_size=10),
)
def test_dasymetric_preserves_coarse_totals(pops, weights):
    coarse = pd.DataFrame({"x": [500 + 1000 * i for i in range(len(pops))], "y": 500, "pop": pops})
    n = len(weights)
    fine = pd.DataFrame(
        {
            "x": [50 + 100 * (i % 10) for i in range(n)],  # all in the first 1 km cell
            "y": [50 + 100 * (i // 10) for i in range(n)],
            "weight": np.asarray(weights, float),
            "weight_source": "dwellings",
        }
    )
    out = population.dasymetric(coarse, fine)
    totals = out.groupby(["px", "py"])["pop_census"].sum()
    assert totals.sum() == pytest.approx(sum(pops))
    assert totals.loc[(500, 500)] == pytest.approx(pops[0])


def test_calibration_by_hand():
    """Two cells in one Kreis: totals match official shares × official inhabitants."""
    cells = pd.DataFrame(
        {
            "ags": ["16065001", "16065002"],
            "pop": [100.0, 300.0],
            "u10": [10.0, 10.0],
            "u18": [15.0, 25.0],
            "age65": [20.0, 40.0],
            "age80": [5.0, 5.0],
            "age10_17": [5.0, 15.0],
        }
    )
    units = pd.DataFrame({"ags": ["16065001", "16065002"], "kreis": ["16065", "16065"]})
    # Official Kreis: 1,000 people, 120 under 10, 200 under 18, 300 aged 65+.
    table = pd.DataFrame(
        {"pop": [1000.0], "u10": [120.0], "u18": [200.0], "age65": [300.0], "age75": [100.0]},
        index=["16065"],
    )
    f = population.calibrate_age_groups(cells, units, table)
    # Region has 400 inhabitants: targets 48 under 10, 80 under 18, 120 aged 65+.
    assert cells["u10"].tolist() == pytest.approx([24.0, 24.0])
    # 32 young people 10–17 spread 5:15 by the census difference u18 − u10.
    assert cells["age10_17"].tolist() == pytest.approx([8.0, 24.0])
    assert cells["u18"].tolist() == pytest.approx([32.0, 48.0])
    assert cells["age65"].tolist() == pytest.approx([40.0, 80.0])
    # 80+ = official 65+ × the grid's 80+ : 65+ ratio (10 : 60) = 20, split 1:1.
    assert cells["age80"].tolist() == pytest.approx([10.0, 10.0])
    assert f["16065"]["u10"] == pytest.approx(2.4)


def _official_reference(region):
    """Official Kreis age totals scaled to the region's official population (from raw files)."""
    import json

    rows = json.loads((settings.data_dir() / settings.AGE_TABLE_FILE).read_text("utf-8"))
    by = {str(r["ID_County"]): r for r in rows}
    ref = {"u10": 0.0, "u18": 0.0, "age65": 0.0}
    for kreis, popk in region.gemeinden.groupby("kreis")["pop"].sum().items():
        r = by[kreis]
        p = r["Population"]
        ref["u10"] += (r["<3 years"] + r["3-5 years"] + r["6-14 years"] * 4 / 9) / p * popk
        ref["u18"] += (
            (r["<3 years"] + r["3-5 years"] + r["6-14 years"] + r["15-17 years"]) / p * popk
        )
        ref["age65"] += (r["65-74 years"] + r[">74 years"]) / p * popk
    return ref


def _single_parent_reference(region):
    """Census 100 m single-parent households in the region × each Gemeinde's factor."""
    d = settings.data_dir() / "th/zensus2022"
    x0, y0, x1, y1 = region.gemeinden.total_bounds
    bbox = (x0 - 1000, y0 - 1000, x1 + 1000, y1 + 1000)
    coarse = population.read_coarse(d, bbox)
    fine = population.read_fine(d, bbox)
    cells = population.dasymetric(coarse, fine)
    cells["ags"] = population.assign_units(cells, region.gemeinden)
    cells = cells.loc[cells["ags"].notna()]
    factor = region.gemeinden.set_index("ags")["pop"] / cells.groupby("ags")["pop_census"].sum()
    hh = cells["count_single_parent_hh"].fillna(0) * cells["ags"].map(factor)
    return float(hh.sum())


@pytest.mark.parametrize("name", ["default", "thueringen"])
def test_target_groups_match_official_figures(name, tmp_path_factory):
    from geo import region as region_mod

    r = region_mod.load_region(name, cache_dir=tmp_path_factory.mktemp(f"cal-{name}"))
    got = r.info()["target_groups"]
    ref = _official_reference(r)
    assert got["u18"] == pytest.approx(ref["u18"], rel=0.02)
    assert got["age65"] == pytest.approx(ref["age65"], rel=0.02)
    assert got["u10"] == pytest.approx(ref["u10"], rel=0.05)
    assert 0.45 <= got["u10"] / got["u18"] <= 0.62
    assert got["age10_17"] == pytest.approx(got["u18"] - got["u10"], rel=1e-6)
    assert got["single_parent_hh"] == pytest.approx(_single_parent_reference(r), rel=0.05)
    assert all(r.info()["target_group_notes"][g] for g in settings.TARGET_GROUPS)
