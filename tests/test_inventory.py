"""The planner's inventory: stored atomically, edited with a change log, exported, coverage."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import _io, inventory, services, settings
from geo._errors import CacheError, InputError
from present import describe
from tests.test_geocode import BOUNDARIES, DATA, build_region

pytestmark = pytest.mark.skipif(not BOUNDARIES.is_file(), reason="real data not available")
REAL = DATA / services.DEFAULT_SERVICES_FILE


@pytest.fixture(scope="module")
def real():
    gemeinden, outline = build_region()
    res = services.import_services(REAL, gemeinden, outline, DATA)
    return gemeinden, outline, res


@pytest.fixture
def store(real, tmp_path):
    s = inventory.InventoryStore("default", tmp_path)
    s.replace(real[2])
    return s


def test_replace_and_load_round_trip(real, store):
    res = real[2]
    inv = store.load()
    assert store.path.name == "default.json" and store.path.parent.name == "inventory"
    assert len(inv.services) == 62 and inv.services.crs == settings.CRS_METRIC
    assert list(inv.services["id"]) == list(res.services["id"])
    assert list(inv.services["precision"]) == list(res.services["precision"])
    same = res.services.geometry.reset_index(drop=True)
    d = inv.services.geometry.distance(same)
    assert (d[same.notna()] < 0.5).all()  # 6-decimal lat/lon: below half a metre
    assert inv.services.geometry[same.isna().to_numpy()].isna().all()
    assert inv.log[0]["action"] == "import" and inv.log[0]["new"] == 62
    assert inv.meta["source_file"] == REAL.name


def test_edit_fields_logged_and_saved(store):
    sid = store.load().services["id"].iloc[0]
    old_status = store.load().services["status"].iloc[0]
    store.edit(sid, {"status": "geschlossen", "capacity": "12,5", "name": "Neu\x00er Name"})
    inv = store.load()
    row = inv.services.iloc[0]
    assert row["status"] == "geschlossen" and row["capacity"] == 12.5
    assert row["name"] == "Neuer Name"
    log = [e for e in inv.log if e["action"] == "edit"]
    assert {e["field"] for e in log} == {"status", "capacity", "name"}
    assert next(e for e in log if e["field"] == "status")["old"] == (
        None if pd.isna(old_status) else old_status
    )
    assert all(e["id"] == sid and "T" in e["time"] for e in log)
    assert not any(k in e for e in log for k in ("user", "who"))


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"capacity": "viele"}, "Kapazität"),
        ({"name": ""}, "Name"),
        ({"category": "Sonstiges", "subcategory": ""}, "Kategorie"),
        ({"id": "x"}, "nicht bearbeitet"),
        ({"precision": "coordinates"}, "nicht bearbeitet"),
        ({"status": "x" * 2000}, "höchstens"),
    ],
)
def test_bad_edits_change_nothing(store, changes, match):
    before = store.path.read_bytes()
    sid = store.load().services["id"].iloc[0]
    with pytest.raises(InputError, match=match):
        store.edit(sid, changes)
    assert store.path.read_bytes() == before


def test_unknown_id(store):
    with pytest.raises(InputError, match="nicht im Bestand"):
        store.set_status("gibt-es-nicht", "aktiv")


def test_move_sets_manual_precision_and_geometry(real, store):
    _, outline, _ = real
    inv = store.load()
    i = int(np.flatnonzero(inv.services["precision"] == "village")[0])
    sid = inv.services["id"].iloc[i]
    store.move(sid, 51.3712346, 10.8702, outline=outline)
    inv = store.load()
    row = inv.services.iloc[i]
    assert row["precision"] == "manual" and row["lat"] == 51.371235 and row["lon"] == 10.8702
    expected = gpd.GeoSeries([shapely.Point(10.8702, 51.371235)], crs=4326).to_crs(3035)
    assert inv.services.geometry.iloc[i].distance(expected.iloc[0]) < 0.01
    assert [e["field"] for e in inv.log if e["action"] == "move"] == ["lat", "lon", "precision"]
    store.move(sid, 51.3713, 10.8703, precision="street", outline=outline)
    assert store.load().services["precision"].iloc[i] == "street"
    # Outside the region (Jena) or invalid: refused, nothing changed.
    before = store.path.read_bytes()
    for lat, lon in ((50.93, 11.59), (float("nan"), 10.0), (95.0, 10.0)):
        with pytest.raises(InputError):
            store.move(sid, lat, lon, outline=outline)
    assert store.path.read_bytes() == before


def test_moved_service_survives_export_and_reimport(real, store, tmp_path):
    gemeinden, outline, _ = real
    sid = store.load().services["id"].iloc[3]
    store.move(sid, 51.2, 11.0, outline=outline)
    for suffix in (".csv", ".xlsx", ".geojson", ".gpkg"):
        out = store.export(tmp_path / f"bestand{suffix}")
        again = services.import_services(out, gemeinden, outline, DATA)
        row = again.services[again.services["id"] == sid].iloc[0]
        assert row["precision"] == "manual", suffix
        assert abs(row["lat"] - 51.2) < 1e-9 and abs(row["lon"] - 11.0) < 1e-9


def test_add_and_remove(real, store):
    _, outline, _ = real
    sid = store.add(
        {"name": "Neues Familienbüro", "subcategory": "Familienzentrum", "town": "Artern"},
        lat=51.36,
        lon=11.29,
        outline=outline,
    )
    inv = store.load()
    row = inv.services[inv.services["id"] == sid].iloc[0]
    assert sid.startswith("a-") and row["category"] == "Familie" and row["precision"] == "manual"
    with pytest.raises(InputError, match="schon vergeben"):
        store.add({"id": sid, "name": "X", "category": "Jugend"})
    store.remove(sid)
    assert sid not in set(store.load().services["id"])
    assert [e["action"] for e in store.load().log][-5:] == ["add", "move", "move", "move", "remove"]


def test_no_inventory_and_damaged_file(tmp_path):
    s = inventory.InventoryStore("default", tmp_path)
    assert s.load() is None and not s.exists()
    with pytest.raises(InputError, match="kein eigener"):
        s.edit("x", {"status": "aktiv"})
    _io.write_bytes_atomic(s.path, b"{kaputt")
    with pytest.raises(CacheError, match="beschädigt"):
        s.load()
    assert not s.path.exists()
    assert len(list(s.path.parent.glob("default.beschädigt-*.json"))) == 1


def test_write_is_atomic(store, monkeypatch):
    """A failing final rename (disk full) leaves the old inventory and no temporary file."""
    before = store.path.read_bytes()
    sid = store.load().services["id"].iloc[0]

    def fail(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_io.os, "replace", fail)
    with pytest.raises(CacheError, match="gespeichert"):
        store.set_status(sid, "pausiert")
    monkeypatch.undo()
    assert store.path.read_bytes() == before
    assert not list(store.path.parent.glob(".*.tmp"))


def test_region_name_is_not_a_path(tmp_path):
    s = inventory.InventoryStore("../../etc", tmp_path)
    assert s.path.parent == tmp_path / "inventory" and s.path.name == "etc.json"


# ---------------------------------------------------------------------------
# Coverage
# ---------------------------------------------------------------------------
def _toy_gemeinden() -> gpd.GeoDataFrame:
    boxes = [
        shapely.box(4_400_000 + i * 1000, 3_100_000, 4_401_000 + i * 1000, 3_101_000)
        for i in range(3)
    ]
    return gpd.GeoDataFrame(
        {
            "ags": ["16001001", "16001002", "16002001"],
            "kreis": ["16001", "16001", "16002"],
            "kreis_name": ["Nordkreis", "Nordkreis", "Südkreis"],
            "pop": [100.0, 300.0, 600.0],
        },
        geometry=boxes,
        crs=3035,
    )


def test_coverage_hand_computed():
    g = _toy_gemeinden()
    sv = gpd.GeoDataFrame(
        {"id": ["a", "b", "c"], "precision": ["village", "manual", "not_found"]},
        geometry=[shapely.Point(4_400_500, 3_100_500), shapely.Point(4_400_600, 3_100_400), None],
        crs=3035,
    )
    cov = inventory.coverage(sv, g)
    assert cov.covered_kreise == ("16001",) and not cov.complete
    assert (cov.gemeinden, cov.gemeinden_in_covered, cov.gemeinden_with_services) == (3, 2, 1)
    assert (cov.population, cov.population_in_covered) == (1000.0, 400.0)
    assert (cov.services, cov.services_located) == (3, 2)
    assert describe.coverage_text(cov) == (
        "Angebote liegen nur für 1 von 2 Kreisen vor (Nordkreis); "
        "Anteile beziehen sich auf diese Kreise (2 von 3 Gemeinden, "
        "400 von 1.000 Einwohnern)."
    )
    table = pd.DataFrame({"ags": g["ags"], "versorgt": [1.0, 0.0, 0.0]})
    sub = inventory.restrict_to_covered(table, cov)
    assert list(sub["ags"]) == ["16001001", "16001002"]
    assert sub.attrs["coverage"] == cov.to_dict()
    assert list(inventory.label_covered(table, cov)["im_bestand"]) == [True, True, False]
    cells = pd.DataFrame({"ags": ["16002001", "16001002"]})
    assert list(inventory.covered_mask(cells["ags"], cov)) == [False, True]
    full = gpd.GeoDataFrame(
        {"id": ["x"], "precision": ["village"]},
        geometry=[shapely.Point(4_402_500, 3_100_500)],
        crs=3035,
    )
    both = inventory.coverage(pd.concat([sv, full]), g)
    assert both.complete and "alle 2 Kreise der Region" in describe.coverage_text(both)


def test_coverage_thueringen_two_of_all_kreise(real):
    g = gpd.read_file(BOUNDARIES)
    g["geometry"] = shapely.make_valid(g.geometry.to_numpy())
    g = g.assign(kreis=g["ags"].str[:5], kreis_name=g["county"]).to_crs(3035)
    cov = inventory.coverage(real[2].services, g)
    assert cov.covered_kreise == ("16065", "16068")
    assert cov.gemeinden == 624 and cov.gemeinden_in_covered == 65
    assert len(cov.kreise) == g["kreis"].nunique()
    assert "nur für 2 von" in describe.coverage_text(cov)
    assert "only 2 of" in describe.coverage_text(cov, "en")


def test_active_services_prefers_the_inventory(real, store, tmp_path):
    class R:
        name = "default"
        services = "region list"

    assert inventory.active_services(R(), tmp_path).equals(store.load().services)
    assert inventory.active_services(R(), tmp_path / "leer") == "region list"


def test_cli_inventory(real, tmp_path, capsys):
    from geo import cli

    cache = tmp_path / "c"
    data = ["--data", str(DATA), "--cache", str(cache)]
    assert cli.main(["inventory", "show", *data]) == 2
    assert "kein eigener" in capsys.readouterr().err
    store = inventory.InventoryStore("default", cache)
    store.replace(real[2])
    sid = store.load().services["id"].iloc[0]
    assert cli.main(["inventory", "edit", sid, "--set", "status=geschlossen", *data]) == 0
    assert cli.main(["inventory", "log", "--json", *data]) == 0
    out = capsys.readouterr().out
    log = json.loads(out[out.index("[") :])
    assert log[-1]["field"] == "status" and log[-1]["new"] == "geschlossen"
    out_file = tmp_path / "b.xlsx"
    assert cli.main(["inventory", "export", "--out", str(out_file), *data]) == 0
    assert len(services.read_services(out_file)) == 62


def test_cli_services_import_save(tmp_path, monkeypatch, capsys):
    from geo import cli, region

    reg = region.load_region("default")
    monkeypatch.setattr(region, "load_region", lambda *a, **k: reg)
    cache = tmp_path / "c"
    assert cli.main(["services", "import", str(REAL), "--save", "--cache", str(cache)]) == 0
    assert "Als Bestand der Region gespeichert" in capsys.readouterr().out
    inv = inventory.InventoryStore("default", cache).load()
    assert len(inv.services) == 62 and inv.meta["source_file"] == REAL.name
    assert cli.main(["inventory", "show", "--json", "--cache", str(cache)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["services"] == 62 and info["coverage"]["complete"] is True
    assert info["coverage"]["covered_kreise"] == ["16065", "16068"]
