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
    _write(d / "1km" / "Einwohner.parquet",
           pd.DataFrame({"Einwohner": [100, 30, -1], "x": [1500, 2500, 3500], "y": [1500, 1500, 1500]}))
    _write(d / "1km" / "unter18_A.parquet",
           pd.DataFrame({"unter18_A": [20.0, -9.0], "x": [1500, 2500], "y": [1500, 1500]}))
    _write(d / "1km" / "ab65_A.parquet",
           pd.DataFrame({"ab65_A": [30.0, 50.0], "x": [1500, 2500], "y": [1500, 1500]}))
    _write(d / "1km" / "Auslaender_A.parquet",
           pd.DataFrame({"Auslaender_A": [0.0, 10.0], "x": [1500, 2500], "y": [1500, 1500]}))
    # K1 has two 100 m cells with 3 and 1 dwellings; K2 has none.
    _write(d / "100m" / "dwellings_RAUMANZAHL_1.parquet",
           pd.DataFrame({"value": [3, 1], "quality": 0, "x": [1050, 1150], "y": [1050, 1050]}))
    _write(d / "100m" / "demography_ALTER_10JG_1.parquet",
           pd.DataFrame({"value": [10], "quality": 0, "x": [1050], "y": [1050]}))
    return d


@pytest.fixture
def units():
    """Gemeinde A (x 1000–2000, 260 inh.), B (2000–3000, 60), C (3000–4000, 10, no census cell)."""
    return gpd.GeoDataFrame(
        {"ags": ["00000001", "00000002", "00000003"], "pop": [260, 60, 10]},
        geometry=[shapely.box(1000, 1000, 2000, 2000), shapely.box(2000, 1000, 3000, 2000),
                  shapely.box(3000, 1000, 4000, 2000)],
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
    # The uncounted cell: Poisson mean below 3 with λ = 25 × 10/130.
    lam = 25 * 10 / 130
    expected = (lam + lam**2) / (1 + lam + lam**2 / 2) * 2.6
    assert c.loc[(1150, 1050), "u10"] == pytest.approx(expected)
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


@given(lam=st.floats(min_value=0, max_value=1e6, allow_nan=False))
def test_expected_below_limit_is_between_0_and_2(lam):
    v = float(population.expected_below_limit(np.array([lam]))[0])
    assert 0 <= v <= 2 + 1e-9
    assert v <= lam + 1e-9  # never above the unconditional mean


@hsettings(max_examples=30, deadline=None)
@given(
    pops=st.lists(st.integers(min_value=1, max_value=5000), min_size=1, max_size=6),
    weights=st.lists(st.integers(min_value=1, max_value=200), min_size=1, max_size=10),
)
def test_dasymetric_preserves_coarse_totals(pops, weights):
    coarse = pd.DataFrame({"x": [500 + 1000 * i for i in range(len(pops))], "y": 500, "pop": pops})
    n = len(weights)
    fine = pd.DataFrame({
        "x": [50 + 100 * (i % 10) for i in range(n)],  # all in the first 1 km cell
        "y": [50 + 100 * (i // 10) for i in range(n)],
        "weight": np.asarray(weights, float),
        "weight_source": "dwellings",
    })
    out = population.dasymetric(coarse, fine)
    totals = out.groupby(["px", "py"])["pop_census"].sum()
    assert totals.sum() == pytest.approx(sum(pops))
    assert totals.loc[(500, 500)] == pytest.approx(pops[0])
