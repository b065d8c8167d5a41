"""The cached map component (ui/mapview.py) sends exactly what st_folium would send."""

from __future__ import annotations

import json
import os
import time

import pytest
import streamlit_folium as stf

from geo import analysis
from layers import cells, gaps
from layers import map as maplayers
from ui import mapview
from ui.page import MAP_HEIGHT_PX, RETURNED


def _overlays(region, result, choropleth: bool):
    grid = cells.cell_grid(region.cells)
    extra = {}
    if choropleth:
        extra = {
            "choropleth": gaps.gemeinde_choropleth(result, "gap_per_1000"),
            "selected_ags": str(region.gemeinden["ags"].iloc[0]),
        }
    return gaps.overlays(
        gaps.measure_overlay(result, grid, "minutes"),
        gaps.selected_services(region.services, result),
        result,
        **extra,
    )


def _st_folium_args(data, options, ov, monkeypatch) -> dict:
    """The arguments st_folium itself hands to the component (fresh map objects)."""
    seen: dict = {}
    monkeypatch.setattr(stf, "_component_func", lambda **kw: seen.update(kw))
    base = maplayers.build_base_map(data, options)
    groups = maplayers.overlay_groups(ov, maplayers.static_sections(data, options))
    stf.st_folium(
        base,
        key="karte",
        height=MAP_HEIGHT_PX,
        use_container_width=True,
        returned_objects=RETURNED,
        feature_group_to_add=groups,
        layer_control=maplayers.layer_control(),
        render=False,
    )
    seen.pop("on_change")
    return seen


@pytest.mark.parametrize(
    ("options", "choropleth", "returned"),
    [
        (maplayers.MapOptions(), False, RETURNED),
        (maplayers.MapOptions(stops=True, workshop=True), True, RETURNED),
        (maplayers.MapOptions(), True, None),  # all objects: bounds and zoom included
    ],
)
def test_same_arguments_as_st_folium(
    tmp_default_region, monkeypatch, options, choropleth, returned
) -> None:
    region = tmp_default_region
    params = analysis.AnalysisParams(threshold_min=20.0)
    result = analysis.analyze(region, params)
    data = maplayers.map_data(region)
    ov = _overlays(region, result, choropleth)
    want = _st_folium_args(data, options, ov, monkeypatch)
    if returned is None:  # st_folium with every object returned
        monkeypatch.setattr(stf, "_component_func", lambda **kw: want.update(kw))
        base = maplayers.build_base_map(data, options)
        groups = maplayers.overlay_groups(ov, maplayers.static_sections(data, options))
        stf.st_folium(
            base,
            key="karte",
            height=MAP_HEIGHT_PX,
            use_container_width=True,
            feature_group_to_add=groups,
            layer_control=maplayers.layer_control(),
            render=False,
        )
        want.pop("on_change")
    parts = mapview.render_base(maplayers.build_base_map(data, options), bounds=returned is None)
    # the cached parts serve many reruns: build the groups twice, compare the second
    for _ in range(2):
        groups = maplayers.overlay_groups(ov, maplayers.static_sections(data, options))
        got = mapview.component_args(
            parts, groups, maplayers.layer_control(), "karte", MAP_HEIGHT_PX, None, returned
        )
    assert set(got) == set(want)
    for k in want:
        assert got[k] == want[k], k
    assert "window.nahraum.setLegend(" in got["feature_group"]
    assert got["layer_control"] and maplayers.layer_control().options["position"] in str(
        got["layer_control"]
    )


def _app_args(region, params: analysis.AnalysisParams, choropleth: bool):
    """Base parts, groups and component arguments as the app builds them (height 600)."""
    result = analysis.analyze(region, params)
    data = maplayers.map_data(region)
    parts = mapview.render_base(maplayers.build_base_map(data))
    groups = maplayers.overlay_groups(
        _overlays(region, result, choropleth),
        maplayers.static_sections(data, maplayers.MapOptions()),
    )
    args = mapview.component_args(
        parts, groups, maplayers.layer_control(), "karte", 600, None, RETURNED
    )
    return parts, groups, args


def test_layer_control_lists_base_and_dynamic_layers(tmp_default_region) -> None:
    parts, groups, got = _app_args(tmp_default_region, analysis.AnalysisParams(), True)
    control = got["layer_control"]
    names = [n for n, _v, _o, shown in parts.layers if shown] + [g.layer_name for g in groups]
    assert len(names) >= 5
    for name in names:  # folium writes the names as JSON (non-ASCII escaped)
        assert json.dumps(name) in control, name
    for i in range(len(groups)):
        assert f"feature_group_feature_group_{i}" in control


def test_population_raster_reuses_the_shared_grid(tmp_default_region) -> None:
    """The base map's population raster from the measures' grid is the same image."""
    region = tmp_default_region
    grid = cells.cell_grid(region.cells)
    if not (region.cells["pop"] > 0).all():
        pytest.skip("the default region has unpopulated cells: the grid is not reused")
    own = cells.population_raster(region.cells)
    shared = cells.population_raster(region.cells, grid=grid)
    assert shared.png == own.png and shared.bounds == own.bounds
    # a grid of other cells is not taken
    other = cells.cell_grid(region.cells.iloc[: len(region.cells) // 2])
    assert cells.population_raster(region.cells, grid=other).png == own.png


def test_map_data_is_not_changed_by_building_maps(tmp_default_region) -> None:
    """``get_map_data`` shares one MapData between sessions (cache_resource): building and
    rendering maps from it must leave it as it was."""
    import pickle

    data = maplayers.map_data(tmp_default_region)
    before = pickle.dumps(data)
    mapview.render_base(maplayers.build_base_map(data, maplayers.MapOptions(stops=True)))
    maplayers.map_html(maplayers.build_map(data))
    assert pickle.dumps(data) == before


def test_served_arguments_carry_the_same_bytes_as_files(
    tmp_default_region, tmp_path, monkeypatch
) -> None:
    """ui.mapview.served: the embedded libraries and the base-map script become files on
    the asset route (content-addressed); every other argument is unchanged."""
    import base64
    from types import SimpleNamespace

    _parts, _groups, args = _app_args(
        tmp_default_region, analysis.AnalysisParams(threshold_min=20.0), False
    )
    monkeypatch.setattr(mapview, "ASSETS", SimpleNamespace(name="x.assets", path=str(tmp_path)))
    mapview._link_file.cache_clear()
    mapview._script_file.cache_clear()
    try:
        got = mapview.served(args)
        again = mapview.served(args)
        files = sorted(tmp_path.iterdir())
        for f in files:  # a served file that went missing is written again
            f.unlink()
        assert mapview.served(args) == got and sorted(tmp_path.iterdir()) == files
    finally:
        mapview._link_file.cache_clear()
        mapview._script_file.cache_clear()
    assert again == got
    assert {k: v for k, v in got.items() if k not in ("js_links", "script")} == {
        k: v for k, v in args.items() if k not in ("js_links", "script")
    }  # the style sheets stay embedded (applied before the labels are measured)
    assert got["script"] == mapview.BASE_SCRIPT
    assert len(got["js_links"]) == len(args["js_links"]) + 1
    embedded = [u for u in args["js_links"] if u.startswith("data:")]
    assert embedded  # Leaflet is embedded in the arguments
    for before, after in zip(args["js_links"], got["js_links"][:-1], strict=True):
        if not before.startswith("data:"):
            assert after == before
            continue
        assert after.startswith("../x.assets/")
        file = tmp_path / after.rsplit("/", 1)[1]
        assert file.read_bytes() == base64.b64decode(before.partition(",")[2])
        assert file.suffix == ".js"
    base = (tmp_path / got["js_links"][-1].rsplit("/", 1)[1]).read_text("ascii")
    prefix = "window.__nahraumBase = "
    assert base.startswith(prefix) and base.endswith(";")
    assert json.loads(base[len(prefix) : -1]) == args["script"]
    sent = len(json.dumps(got))
    assert sent < len(json.dumps(args)) / 2  # what every rerun sends
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        {u.rsplit("/", 1)[1] for u in got["js_links"] if "x.assets" in u}
    )  # no temporary files left
    old = time.time() - 8 * 86400  # a file not published for 8 days is removed at start
    os.utime(files[0], (old, old))
    assert mapview.prune_assets(7.0) == 1 and not files[0].exists() and files[1].exists()
