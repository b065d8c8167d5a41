"""The atlas on Dask: same numbers as the interactive analysis per Kreis, reruns, failures."""

from __future__ import annotations

import json
import os

import dask
import distributed  # noqa: F401 - its config defaults must exist before dask.config.set
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo import analysis, atlas, region, settings
from geo._errors import InputError

KREISE = ("16065", "16068")  # Kyffhäuserkreis, Landkreis Sömmerda: they share a border
KINDS = ("Beratung", "Jugend")
TARGETS = ("pop", "u18")


@pytest.fixture(scope="module")
def spec():
    return atlas.make_spec("default", ",".join(KINDS), "walk,car", ",".join(TARGETS))


@pytest.fixture(scope="module")
def built(spec, tmp_path_factory):
    out = tmp_path_factory.mktemp("atlas")
    report = atlas.run_atlas(spec, out, workers=2, progress=None)
    return out, report


def test_atlas_equals_the_interactive_analysis_of_each_kreis(spec, built) -> None:
    out, report = built
    assert report.ok and not report.skipped
    assert sorted(m["kreis"] + "-" + m["mode"] for m in report.computed) == sorted(
        f"{k}-{m}" for k in KREISE for m in ("walk", "car")
    )
    assert len({m["pid"] for m in report.computed}) == 2  # both workers took tasks
    table = atlas.read_gemeinden(out)
    for kreis in KREISE:
        reg = region.load_region(kreis)
        for mode in ("walk", "car"):
            for kind in KINDS:
                cells = atlas.read_cells(out, kreis, mode, kind)
                for target in TARGETS:
                    params = analysis.AnalysisParams(kinds=(kind,), target=target, mode=mode)
                    res = analysis.analyze(reg, params, reg.networks([mode]))
                    rows = table.loc[
                        (table["kreis"] == kreis)
                        & (table["mode"] == mode)
                        & (table["kind"] == kind)
                        & (table["target"] == target)
                    ].reset_index(drop=True)
                    expected = res.gemeinden[list(analysis.GEMEINDE_COLUMNS)].reset_index(drop=True)
                    pd.testing.assert_frame_equal(
                        rows[list(analysis.GEMEINDE_COLUMNS)], expected, check_dtype=False
                    )
                    assert (
                        rows["threshold_min"] == settings.MODES[mode].default_threshold_min
                    ).all()
                    np.testing.assert_array_equal(cells[f"gap__{target}"], res.cells["gap"])
                    np.testing.assert_array_equal(cells[f"people__{target}"], res.cells["people"])
                np.testing.assert_array_equal(cells["minutes"], res.cells["minutes"])
                assert cells.crs.to_epsg() == 3035
                # the cell squares are 100 m wide around the cell centres
                assert np.allclose(cells.geometry.area, settings.CELL_SIZE_M**2)
                np.testing.assert_allclose(cells.geometry.centroid.x, reg.cells["x"])


def test_services_across_the_kreis_border_count(built) -> None:
    out, _ = built
    reg = region.load_region("16068")
    outside = ~reg.services.geometry.within(reg.outline)
    assert outside.sum() > 0  # Kyffhäuser services within 5 km of Sömmerda's border
    marker = atlas.read_marker(out, atlas.Partition("16068", "walk"))
    assert marker["services_outside_kreis"] == int(outside.sum())
    # without them (only the Kreis' own services) some cells would be farther away
    inside = region.Region(**{**reg.__dict__, "services": reg.services.loc[~outside]})
    # youth work in Greußen and Bad Frankenhausen (Kyffhäuserkreis) is nearest for
    # villages of Sömmerda's north
    kinds = ["Jugend"]
    assert (reg.services.loc[outside, "category"] == "Jugend").sum() >= 3
    params = analysis.AnalysisParams(kinds=(kinds[0],), target="pop", mode="car")
    own = analysis.analyze(inside, params)
    full = analysis.analyze(reg, params)
    assert (full.cells["minutes"] < own.cells["minutes"]).any()
    cells = atlas.read_cells(out, "16068", "car", kinds[0])
    np.testing.assert_array_equal(cells["minutes"], full.cells["minutes"])
    assert cells.crs.srs == "EPSG:3035"  # not the file's PROJJSON (geo._crs.short)


def test_tables_and_manifest(built) -> None:
    from report.atlas import write_tables

    out, _ = built
    files = write_tables(out)
    names = sorted(p.name for p in files)
    assert "atlas_walk.xlsx" in names and "walk_u18.csv" in names
    manifest = atlas.read_manifest(out)
    assert len(manifest["partitions"]) == 4
    assert all(p["inputs"] and p["content_hash"] for p in manifest["partitions"])
    csv = (out / "tabellen" / "walk_u18.csv").read_bytes().decode("utf-8-sig")
    header = csv.splitlines()[0].split(";")
    assert header[:4] == ["Kreis", "Kategorie", "AGS", "Gemeinde"]
    assert "bis 15 min (Personen)" in header
    # one row per Gemeinde of both Kreise and category
    n_gem = sum(len(region.load_region(k).gemeinden) for k in KREISE)
    assert len(csv.splitlines()) == 1 + n_gem * len(KINDS)
    sheet = pd.read_excel(out / "atlas_walk.xlsx", sheet_name=None)
    assert len([s for s in sheet if s != "Erläuterung"]) == len(TARGETS)


def test_killed_worker_partition_is_recomputed_on_rerun(spec, tmp_path) -> None:
    victim = "16065-walk"

    def killer(spec_, part, out, code):  # pickled by value: runs on the worker
        if part.name == victim:
            os._exit(1)  # the worker process dies mid-task
        return atlas.compute_partition(spec_, part, out, code)

    # allowed-failures 0: the first death fails the tasks the dead worker held (the
    # victim and any partition queued behind it there); the other worker's finish.
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        first = atlas.run_atlas(spec, tmp_path, workers=2, progress=None, task=killer)
    assert victim in first.failed
    everything = {f"{k}-{m}" for k in KREISE for m in ("walk", "car")}
    finished = {m["kreis"] + "-" + m["mode"] for m in first.computed}
    assert finished and finished | set(first.failed) == everything
    text = first.failed[victim]
    assert text.startswith("Teil Kreis 16065 × zu Fuß fehlgeschlagen: Der Arbeitsprozess")
    assert "KilledWorker" not in text and "neuer Aufruf" in text
    for name in first.failed:
        assert atlas.read_marker(tmp_path, atlas.Partition(*name.split("-"))) is None
    mtimes = {
        p: atlas.marker_path(tmp_path, atlas.Partition(*p.split("-"))).stat().st_mtime_ns
        for p in finished
    }
    assert json.loads((tmp_path / "atlas.json").read_text("utf-8"))["failed"] == first.failed

    second = atlas.run_atlas(spec, tmp_path, workers=1, progress=None)
    assert second.ok
    assert sorted(m["kreis"] + "-" + m["mode"] for m in second.computed) == sorted(first.failed)
    assert sorted(second.skipped) == sorted(finished)
    for p, mtime in mtimes.items():  # finished partitions untouched
        assert (
            atlas.marker_path(tmp_path, atlas.Partition(*p.split("-"))).stat().st_mtime_ns == mtime
        )
    assert not json.loads((tmp_path / "atlas.json").read_text("utf-8"))["failed"]
    cells = gpd.read_parquet(
        tmp_path / "cells" / "kreis=16065" / "mode=walk" / "kind=Beratung" / "part.parquet"
    )
    assert len(cells) == len(region.load_region("16065").cells)


def test_spec_errors_in_german() -> None:
    with pytest.raises(InputError, match="Unbekannte Kategorie „Kino“"):
        atlas.make_spec("default", "Beratung,Kino")
    with pytest.raises(InputError, match="Unbekannte Verkehrsart"):
        atlas.make_spec("default", modes="walk,boat")
    with pytest.raises(InputError, match="Schwellenwert"):
        atlas.make_spec("default", threshold_min=-5)
    with pytest.raises(InputError, match="kein Atlas-Ordner"):
        atlas.read_manifest("/nonexistent")


def test_transit_atlas_equals_the_app_model_per_kreis(tmp_path) -> None:
    from geo import gtfs, transit
    from tests._transit_feeds import REGION_FEED_DATE, write_region_feed

    feed = write_region_feed(tmp_path / "region_feed.zip")
    depart = f"{REGION_FEED_DATE} 08:00"
    with pytest.raises(InputError, match="Fahrplan"):
        atlas.make_spec("default", "Jugend", "transit", "pop")
    spec = atlas.make_spec(
        "default", "Jugend", "transit", "pop", gtfs=feed, depart=depart, window_min=10
    )
    out = tmp_path / "atlas"
    report = atlas.run_atlas(spec, out, workers=1, progress=None)
    assert report.ok and len(report.computed) == 2
    reached = 0
    for kreis in KREISE:
        reg = region.load_region(kreis)
        day, depart_s = gtfs.parse_departure(depart)
        tt = gtfs.import_feed(feed, day, reg.cache_path, reg.outline)
        model = transit.TransitModel(tt, transit.TransitParams(depart_s=depart_s, window_min=10))
        params = analysis.AnalysisParams(kinds=("Jugend",), target="pop", mode="transit")
        res = analysis.analyze(reg, params, {"transit": model})
        cells = atlas.read_cells(out, kreis, "transit", "Jugend")
        np.testing.assert_array_equal(cells["minutes"], res.cells["minutes"])
        np.testing.assert_array_equal(cells["gap__pop"], res.cells["gap"])
        marker = atlas.read_marker(out, atlas.Partition(kreis, "transit"))
        assert marker["model"]["feed"] == "region_feed.zip" and marker["model"]["window_min"] == 10
        reached += int((res.cells["within"]).sum())
    assert reached > 0  # the feed's buses bring people within 30 minutes
    # another departure is another partition key: recomputed, not skipped
    later = atlas.make_spec(
        "default",
        "Jugend",
        "transit",
        "pop",
        gtfs=feed,
        depart=f"{REGION_FEED_DATE} 09:00",
        window_min=10,
    )
    todo, done = atlas.plan(later, out)
    assert len(todo) == 2 and not done


def test_cli_on_an_existing_scheduler(tmp_path, capsys) -> None:
    from distributed import LocalCluster

    from geo import cli

    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        argv = ["atlas", "--region", "16068", "--kinds", "Familie", "--modes", "bike"]
        argv += ["--targets", "single_parent_hh", "--out", str(tmp_path), "--scheduler"]
        rc = cli.main([*argv, cluster.scheduler_address])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "Atlas 16068: 1 Kreise × 1 Verkehrsarten" in out
    assert "[1/1] Kreis 16068 × Fahrrad: fertig" in out
    assert "1 Teile berechnet, 0 übersprungen, 0 fehlgeschlagen; 2 Tabellen" in out
    book = pd.read_excel(tmp_path / "atlas_bike.xlsx", sheet_name=None)
    sheet = next(v for k, v in book.items() if k != "Erläuterung")
    assert "Zielgruppe (Haushalte)" in sheet.columns  # single parents count as households
    assert len(sheet) == len(region.load_region("16068").gemeinden)
