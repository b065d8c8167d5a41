"""The launcher's preload (ui/launch.py) and the region's derived files (cell grid, outline)."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest
import shapely

from layers import cells
from layers import map as maplayers
from ui import launch, state


@pytest.fixture
def region_copy(tmp_default_region, tmp_path):
    """The default region with its bundle in a folder of its own (derived files written)."""
    folder = tmp_path / "bundle"
    shutil.copytree(tmp_default_region.cache_path, folder)
    shutil.rmtree(folder / "derived", ignore_errors=True)
    return dataclasses.replace(tmp_default_region, cache_path=folder, _outline=None)


def _clear_shared() -> None:
    for fn in (
        state.get_region,
        state.get_cell_grid,
        state.get_extent,
        state.get_networks,
        state._networks,
        state.get_map_data,
    ):
        fn.clear()


def test_preload_fills_the_caches_the_first_run_reads(region_copy, monkeypatch):
    loads, builds = [], []
    monkeypatch.setattr(
        state.georegion, "load_region", lambda name: loads.append(name) or region_copy
    )
    real_map_data = maplayers.map_data
    monkeypatch.setattr(
        maplayers, "map_data", lambda *a, **k: builds.append(1) or real_map_data(*a, **k)
    )
    _clear_shared()
    try:
        launch.preload("default", runtime_wait_s=0)  # no runtime here: stops before the page
        assert loads == ["default"] and builds == [1]
        h = str(region_copy.meta["content_hash"])
        data = state.get_map_data("default", h, "de")
        grid = state.get_cell_grid("default", h)
        # the session's calls find what the preload computed: nothing is computed again
        assert loads == ["default"] and builds == [1]
        assert data is state.get_map_data("default", h, "de")
        assert grid.n_cells == len(region_copy.cells)
    finally:
        _clear_shared()


def test_preload_gives_up_without_a_runtime():
    assert launch._wait_for_runtime(0.1) is False


def test_launcher_without_script_prints_german_usage(capsys):
    assert launch.main([]) == 64
    assert "Aufruf" in capsys.readouterr().err


def test_cell_grid_is_stored_and_read_back(region_copy, monkeypatch):
    h = str(region_copy.meta["content_hash"])
    first = state.stored_cell_grid(region_copy.cells, region_copy.cache_path, h)
    files = list((region_copy.cache_path / "derived").glob("cellgrid-*.npz"))
    assert len(files) == 1

    def no_compute(*a, **k):
        raise AssertionError("computed again although stored")

    monkeypatch.setattr(cells, "cell_grid", no_compute)
    again = state.stored_cell_grid(region_copy.cells, region_copy.cache_path, h)
    np.testing.assert_array_equal(again.index, first.index)
    assert again.bounds == first.bounds and again.n_cells == first.n_cells  # float64 kept


def test_damaged_or_foreign_cell_grid_file_is_recomputed(region_copy):
    h = str(region_copy.meta["content_hash"])
    reference = cells.cell_grid(region_copy.cells)
    state.stored_cell_grid(region_copy.cells, region_copy.cache_path, h)
    (path,) = (region_copy.cache_path / "derived").glob("cellgrid-*.npz")
    path.write_bytes(b"kaputt")
    grid = state.stored_cell_grid(region_copy.cells, region_copy.cache_path, h)
    np.testing.assert_array_equal(grid.index, reference.index)
    # a file of another cell table (fewer cells) under the same name is not used
    cells.CellGrid(reference.index[:2, :2].copy(), reference.bounds, 3).save(path)
    grid = state.stored_cell_grid(region_copy.cells, region_copy.cache_path, h)
    assert grid.n_cells == len(region_copy.cells)
    np.testing.assert_array_equal(grid.index, reference.index)


def test_earlier_builds_grids_are_removed(region_copy):
    derived = region_copy.cache_path / "derived"
    derived.mkdir()
    (derived / "cellgrid-0000000000000000.npz").write_bytes(b"alt")
    state.stored_cell_grid(region_copy.cells, region_copy.cache_path, "neu")
    assert [p.name for p in derived.glob("cellgrid-*.npz")] != ["cellgrid-0000000000000000.npz"]
    assert len(list(derived.glob("cellgrid-*.npz"))) == 1


def test_outline_is_stored_and_equals_the_union(region_copy):
    union = shapely.union_all(region_copy.gemeinden.geometry.values)
    assert shapely.equals(region_copy.outline, union)
    (path,) = (region_copy.cache_path / "derived").glob("outline-*.wkb")
    fresh = dataclasses.replace(region_copy, _outline=None)
    fresh.gemeinden = fresh.gemeinden.iloc[:0]  # read from the file, not computed
    assert shapely.equals(fresh.outline, union)
    path.write_bytes(b"kaputt")
    damaged = dataclasses.replace(region_copy, _outline=None)
    assert shapely.equals(damaged.outline, union)
