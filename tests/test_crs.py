"""geo._crs: reprojection equal to geopandas' ``to_crs``, without a PROJ search per thread."""

from __future__ import annotations

import threading

import geopandas as gpd
import numpy as np
import pyproj.transformer as pt
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import _crs, network
from geo import settings as gs


def _frame() -> gpd.GeoDataFrame:
    pts = shapely.points(
        [4_380_000.0, 4_400_000.0, 4_420_500.5], [3_080_000.0, 3_100_000.0, 3_120_000.0]
    )
    geoms = [
        pts[0],
        shapely.buffer(pts[1], 800.0),
        None,
        shapely.LineString([(4.41e6, 3.1e6), (4.42e6, 3.11e6)]),
        shapely.Point(),
    ]
    return gpd.GeoDataFrame(
        {"name": ["a", "b", "c", "d", "e"], "n": [1, 2, 3, 4, 5]},
        geometry=gpd.GeoSeries(geoms, index=[10, 11, 12, 13, 14], crs=gs.CRS_METRIC).rename("geom"),
        index=[10, 11, 12, 13, 14],
    ).rename_geometry("geom")


def _same(a: gpd.GeoSeries, b: gpd.GeoSeries) -> None:
    assert a.crs == b.crs
    assert list(a.index) == list(b.index)
    missing = a.array.isna()
    assert missing.tolist() == b.array.isna().tolist()
    ok = ~missing & ~a.is_empty.to_numpy()
    assert a.is_empty.tolist() == b.is_empty.tolist()
    assert a[ok].geom_equals_exact(b[ok], tolerance=0.0).all()


def test_frame_equals_to_crs_both_ways() -> None:
    gdf = _frame()
    shown = _crs.to_display(gdf)
    want = gdf.to_crs(gs.CRS_DISPLAY)
    assert isinstance(shown, gpd.GeoDataFrame)
    assert list(shown.columns) == list(want.columns)
    assert shown.geometry.name == "geom"
    _same(shown.geometry, want.geometry)
    assert shown[["name", "n"]].equals(want[["name", "n"]])
    back = _crs.to_metric(shown)
    _same(back.geometry, shown.to_crs(gs.CRS_METRIC).geometry)
    assert gdf.crs == gs.CRS_METRIC  # the input is not changed
    assert gdf.geometry.iloc[0].x == 4_380_000.0


def test_series_and_z_and_same_crs() -> None:
    s = gpd.GeoSeries(
        [shapely.Point(4.4e6, 3.1e6, 250.0), shapely.Point(4.41e6, 3.1e6)], crs=gs.CRS_METRIC
    )
    shown = _crs.to_display(s)
    assert isinstance(shown, gpd.GeoSeries)
    _same(shown, s.to_crs(gs.CRS_DISPLAY))
    assert shapely.has_z(shown.array).tolist() == [True, False]
    assert shown.iloc[0].z == 250.0
    same = _crs.to_metric(s)
    assert same is not s and same.geom_equals_exact(s, 0.0).all()


def test_no_crs_is_refused() -> None:
    with pytest.raises(ValueError, match="Koordinatenbezugssystem"):
        _crs.to_display(gpd.GeoSeries([shapely.Point(1, 2)]))


def test_empty_frame() -> None:
    empty = gpd.GeoDataFrame({"a": []}, geometry=gpd.GeoSeries([], crs=gs.CRS_METRIC))
    out = _crs.to_display(empty)
    assert len(out) == 0 and out.crs == gs.CRS_DISPLAY


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(9.5, 12.7), st.floats(50.1, 51.7)), min_size=1, max_size=40))
def test_points_equal_from_crs(points: list[tuple[float, float]]) -> None:
    lon, lat = np.array(points).T
    ref = pt.Transformer.from_crs(gs.CRS_DISPLAY, gs.CRS_METRIC, always_xy=True)
    x, y = network.to_xy(lon, lat)
    rx, ry = ref.transform(lon, lat)
    assert np.array_equal(x, rx) and np.array_equal(y, ry)
    back_lon, back_lat = network.to_lonlat(x, y)
    np.testing.assert_allclose(back_lon, lon, atol=1e-9)
    np.testing.assert_allclose(back_lat, lat, atol=1e-9)


def test_no_operation_search_in_a_new_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Streamlit runs each rerun in a new thread: there, no ``from_crs`` search runs."""
    gdf = _frame()
    _crs.to_display(gdf)  # the operation is looked up once per process
    network.to_xy([11.0], [51.0])
    searches = []
    original = pt.TransformerFromCRS.__call__

    def counted(self):  # type: ignore[no-untyped-def]
        searches.append(1)
        return original(self)

    monkeypatch.setattr(pt.TransformerFromCRS, "__call__", counted)
    results = []

    def rerun() -> None:
        results.append(_crs.to_display(gdf))
        network.to_xy([11.0], [51.0])
        network.to_lonlat([4.4e6], [3.1e6])

    for _ in range(3):
        t = threading.Thread(target=rerun)
        t.start()
        t.join()
    assert len(results) == 3
    assert searches == []
    # the same calls through geopandas do search in every new thread (what was fixed)
    t = threading.Thread(target=lambda: gdf.to_crs(gs.CRS_DISPLAY))
    t.start()
    t.join()
    assert searches


def test_ambiguous_pair_falls_back_to_from_crs() -> None:
    """Several operations (chosen per point by area): ``from_crs`` itself, same result."""
    tr = _crs.transformer("EPSG:4326", "EPSG:31468")
    ref = pt.Transformer.from_crs("EPSG:4326", "EPSG:31468", always_xy=True)
    assert tr.transform(11.0, 51.0) == ref.transform(11.0, 51.0)


def test_short_spelling_of_a_file_crs(tmp_path) -> None:
    """GeoParquet keeps the CRS as PROJJSON; ``short`` spells it ``EPSG:3035`` (same CRS)."""
    path = tmp_path / "g.parquet"
    _frame().to_parquet(path)
    read = gpd.read_parquet(path)
    assert read.crs.srs.startswith("{")  # PROJJSON
    out = _crs.short(read)
    assert out is read and read.crs.srs == "EPSG:3035" and read.crs == gs.CRS_METRIC
    custom = gpd.GeoSeries([shapely.Point(1, 2)], crs="+proj=laea +lat_0=50 +lon_0=11 +ellps=GRS80")
    before = custom.crs.srs
    assert _crs.short(custom).crs.srs == before  # no EPSG code: left as it is
    shown = _crs.to_display(custom)
    _same(shown, custom.to_crs(gs.CRS_DISPLAY))


def test_file_crs_costs_no_parse_in_a_new_thread(tmp_path) -> None:
    """A PROJJSON CRS is not parsed again per thread (``CRS._crs``): the key is cached."""
    path = tmp_path / "g.parquet"
    _frame().to_parquet(path)
    read = gpd.read_parquet(path)
    _crs.to_display(read)
    out = []
    t = threading.Thread(target=lambda: out.append(read.crs._local.crs is None))
    t.start()
    t.join()
    assert out == [True]  # a new thread starts without the CRS's PROJ object …
    seen = []

    def rerun() -> None:
        shown = _crs.to_display(read)
        seen.append((read.crs._local.crs is None, shown.crs.srs))

    t = threading.Thread(target=rerun)
    t.start()
    t.join()
    assert seen == [(True, "EPSG:4326")]  # … and reprojecting does not build it
