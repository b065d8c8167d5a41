"""The launcher's preload (ui/launch.py) and the region's derived files (cell grid, outline)."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest
import shapely

from layers import cells
from layers import map as maplayers
from ui import _stored, launch, state
from ui.basemap import FOOTPRINT
from ui.mapview import base_parts


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


def test_settle_heap_freezes_what_lives_after_the_preload(monkeypatch):
    """After the preload, what is alive leaves the collector's view (and only then)."""
    import gc

    calls = []
    monkeypatch.setattr(launch, "preload", lambda name: calls.append(("preload", name)))
    real = launch.settle_heap
    monkeypatch.setattr(launch, "settle_heap", lambda: calls.append(("settle",)) or real())
    kept = [[i] for i in range(1000)]  # long-lived objects, tracked by the collector
    before = gc.get_freeze_count()
    try:
        launch.start_preload("default", settle_after_s=0).join(10)
        assert calls == [("preload", "default"), ("settle",)]
        assert gc.get_freeze_count() >= before + len(kept)
    finally:
        gc.unfreeze()


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
    old = derived / f"cellgrid-{'0' * 20}.npz"
    old.write_bytes(b"alt")
    other_kind = derived / f"cellgrid-x-{'0' * 20}.npz"  # another kind sharing the prefix
    other_kind.write_bytes(b"bleibt")
    state.stored_cell_grid(region_copy.cells, region_copy.cache_path, "neu")
    assert not old.exists() and other_kind.exists()
    assert len(list(derived.glob("cellgrid-????????????????????.npz"))) == 1


def test_stored_value_follows_key_and_code(tmp_path, monkeypatch):
    calls = []

    def compute(value):
        calls.append(value)
        return {"wert": value}

    assert _stored.stored(tmp_path, "probe", "a", lambda: compute(1)) == {"wert": 1}
    assert _stored.stored(tmp_path, "probe", "a", lambda: compute(2)) == {"wert": 1}  # read
    assert calls == [1]
    assert _stored.stored(tmp_path, "probe", "b", lambda: compute(3)) == {"wert": 3}  # new key
    assert len(list((tmp_path / "derived").glob("probe-*"))) == 1  # the old one removed
    monkeypatch.setattr(_stored, "code_digest", lambda: "anderer Code")
    assert _stored.stored(tmp_path, "probe", "b", lambda: compute(4)) == {"wert": 4}
    (path,) = (tmp_path / "derived").glob("probe-*")
    path.write_bytes(b"kaputt")  # damaged: computed again
    assert _stored.stored(tmp_path, "probe", "b", lambda: compute(5)) == {"wert": 5}
    assert calls == [1, 3, 4, 5]


def test_code_digest_follows_the_code_and_translations(tmp_path, monkeypatch):
    for rel in (
        "geo/a.py",
        "layers/map.py",
        "present/locale/de/x.po",
        *[f"ui/{n}" for n in _stored._UI],
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("# 1\n")
    monkeypatch.setattr(_stored, "_ROOT", tmp_path)

    def digest() -> str:
        _stored.code_digest.cache_clear()
        return _stored.code_digest()

    try:
        first = digest()
        (tmp_path / "layers" / "notes.txt").write_text("egal")
        assert digest() == first  # not code
        (tmp_path / "layers" / "map.py").write_text("# 2\n")
        second = digest()
        assert second != first
        (tmp_path / "present/locale/de/x.po").write_text('msgstr "neu"\n')
        assert digest() != second
    finally:
        _stored.code_digest.cache_clear()


def test_map_data_and_base_map_are_read_back_equal(region_copy, monkeypatch):
    monkeypatch.setattr(state.georegion, "load_region", lambda name: region_copy)
    _clear_shared()
    base_parts.clear()  # other tests may have rendered this key in this process
    try:
        h = str(region_copy.meta["content_hash"])
        opts = maplayers.MapOptions(stops=False, online_tiles=False)
        data = state.get_map_data("default", h, "de")
        parts = base_parts("default", h, "de", opts, data, FOOTPRINT)
        derived = region_copy.cache_path / "derived"
        assert len(list(derived.glob("mapdata-de-*"))) == 1
        assert len(list(derived.glob("basemap-de-*"))) == 1
        _clear_shared()
        base_parts.clear()
        monkeypatch.setattr(maplayers, "map_data", lambda *a, **k: pytest.fail("computed"))
        monkeypatch.setattr(maplayers, "build_base_map", lambda *a, **k: pytest.fail("rendered"))
        again = state.get_map_data("default", h, "de")
        assert again == data
        assert base_parts("default", h, "de", opts, again, FOOTPRINT) == parts
    finally:
        _clear_shared()
        base_parts.clear()


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
