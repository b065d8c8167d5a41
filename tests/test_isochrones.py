"""Isochrone band polygons: hand-made grids, fallback circles, the real network."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo import isochrones as iso
from geo import settings
from geo._errors import InputError
from geo.traveltime import nearest_field

from ._osmdata import nb_networks, require_nb


def assert_valid_disjoint(gdf):
    assert list(gdf.columns) == ["band_min_from", "band_min_to", "geometry"] or "service" in gdf
    assert gdf.crs == settings.CRS_METRIC
    assert gdf.geometry.is_valid.all()
    shown = iso.to_display(gdf)
    assert shown.crs == settings.CRS_DISPLAY and shown.geometry.is_valid.all()
    geoms = gdf.geometry.to_numpy()
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            assert shapely.intersection(geoms[i], geoms[j]).area < 1e-6


def test_band_polygons_by_hand():
    xs, ys = np.meshgrid(np.arange(4) * 100.0 + 50, np.arange(3) * 100.0 + 50)
    xy = np.column_stack([xs.ravel(), ys.ravel()])
    minutes = np.array([0, 4, 6, 12, 5, 5.5, 9.9, np.inf, 10, 30, np.nan, 61.0])
    gdf = iso.band_polygons(xy, minutes, bands=(5, 10, 15, 30))
    assert gdf[["band_min_from", "band_min_to"]].values.tolist() == [
        [0, 5],
        [5, 10],
        [10, 15],
        [15, 30],
    ]
    # cells per band: ≤5: 0,4,5 → 3; (5,10]: 6,5.5,9.9,10 → 4; (10,15]: 12 → 1; (15,30]: 30 → 1
    np.testing.assert_allclose(gdf.geometry.area, np.array([3, 4, 1, 1]) * 10_000)
    assert_valid_disjoint(gdf)
    cum = iso.band_polygons(xy, minutes, bands=(5, 10), cumulative=True)
    assert cum["band_min_from"].tolist() == [0, 0]
    np.testing.assert_allclose(cum.geometry.area, [30_000, 70_000])
    with pytest.raises(InputError):
        iso.band_polygons(xy, minutes, bands=(0, 5))


def test_fallback_isochrones_are_rings():
    service = np.array([[4_400_000.0, 3_000_000.0]])
    gdf = iso.nearest_isochrones(service, "walk", bands=(5, 10, 15))
    assert_valid_disjoint(gdf)
    r = np.array([5, 10, 15]) * 60 * settings.WALK_SPEED_KMH / 3.6 / settings.DETOUR_FACTORS["walk"]
    rings = np.pi * np.diff(np.r_[0, r] ** 2)
    np.testing.assert_allclose(gdf.geometry.area, rings, rtol=0.2)  # 100 m cells
    assert gdf.geometry.area.sum() == pytest.approx(np.pi * r[-1] ** 2, rel=0.05)
    cum = iso.service_isochrones(np.vstack([service, service + 3000]), "walk", bands=(5, 10))
    assert cum["service"].tolist() == [0, 0, 1, 1]
    assert (cum.groupby("service").geometry.apply(lambda g: g.area.is_monotonic_increasing)).all()
    assert iso.nearest_isochrones(np.zeros((0, 2)), "walk").empty


def test_network_isochrones_real_data():
    require_nb()
    net = nb_networks()["walk"]
    services = net.xy[[100, 5000]]
    gdf = iso.nearest_isochrones(services, "walk", bands=(5, 10, 15, 20), network=net)
    assert len(gdf) == 4
    assert_valid_disjoint(gdf)
    assert gdf.geometry.area.sum() > 1e6  # more than 1 km² reached in 20 min
    # the dissolved cells agree with the cell field
    x0, y0, x1, y1 = gdf.total_bounds
    xs, ys = np.meshgrid(np.arange(x0 + 50, x1, 100.0), np.arange(y0 + 50, y1, 100.0))
    probe = np.column_stack([xs.ravel(), ys.ravel()])[::7]
    minutes = nearest_field(probe, services, "walk", net, max_minutes=20).minutes
    inside = shapely.contains_xy(gdf.geometry.iloc[0], probe[:, 0], probe[:, 1])
    assert (minutes[inside] <= 5 + 1e-9).all()
    # given cells: only those cells are used
    cells = probe[np.isfinite(minutes)]
    by_cells = iso.nearest_isochrones(services, "walk", (10, 20), net, cells_xy=cells)
    assert by_cells.geometry.area.sum() == pytest.approx(len(cells) * 10_000, rel=1e-9)
    per = iso.service_isochrones(services[:1], "car", (5, 10), nb_networks()["car"])
    assert per["band_min_to"].tolist() == [5, 10] and per.geometry.is_valid.all()
