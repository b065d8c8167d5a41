"""Region bundles: the default and Thuringia regions, the cache, bad input, the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from geo import cli, region, settings
from geo._errors import CacheError, DataFileError, RegionError

DATA = settings.data_dir()
ROOT = settings.REPO_ROOT


@pytest.fixture(scope="session")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def default(cache):
    return region.load_region("default", cache_dir=cache)


def test_default_has_65_gemeinden_with_official_population(default):
    g = default.gemeinden
    assert len(g) == 65
    assert sorted(set(g["kreis"])) == ["16065", "16068"]
    assert (g["kreis"] == "16065").sum() == 28 and (g["kreis"] == "16068").sum() == 37
    assert g["pop"].sum() == 142_634  # VG250-EW
    assert g["pop_gv100"].sum() == 143_336  # GV100AD, 31.12.2022
    assert g.geometry.is_valid.all()


def test_surface_sums_to_official_population(default):
    sums = default.cells.groupby("ags")["pop"].sum()
    official = default.gemeinden.set_index("ags")["pop"].astype(float)
    assert set(sums.index) == set(official.index)  # every Gemeinde has inhabitants on the grid
    rel = (sums - official.loc[sums.index]).abs() / official.loc[sums.index]
    assert rel.max() < 0.005
    assert abs(sums.sum() - official.sum()) / official.sum() < 0.001


def test_target_groups_are_plausible(default):
    c = default.cells
    total = c["pop"].sum()
    for code in settings.TARGET_GROUPS:
        assert (c[code] <= c["pop"] + 1e-9).all(), code
    assert 0.05 < c["u10"].sum() / total < 0.12
    assert c["u10"].sum() < c["u18"].sum()
    assert c["age80"].sum() < c["age65"].sum()
    assert 0.15 < c["age65"].sum() / total < 0.35


def test_cells_are_on_the_100m_grid(default):
    c = default.cells
    assert ((c["x"] % 100) == 50).all() and ((c["y"] % 100) == 50).all()
    assert not c[["x", "y"]].duplicated().any()


def test_all_62_services_load_and_unresolved_are_explained(default):
    info = default.info()
    s = info["services"]
    assert s["total"] == 62
    assert sum(s["by_precision"].values()) == 62
    assert set(s["by_precision"]) == set(settings.PRECISIONS)
    for u in s["unresolved"]:
        assert u["geocode_note"], u
    located = default.services.loc[default.services["precision"] != "not_found"]
    assert located.geometry.notna().all()
    buffered = default.outline.buffer(settings.REGION_BUFFER_M)
    assert located.geometry.within(buffered).all()


def test_stops_inside_region_and_buffer(default):
    st = default.stops
    assert len(st) > 100
    assert st["inside"].sum() < len(st)
    assert st.geometry.within(default.outline.buffer(settings.REGION_BUFFER_M + 1)).all()
    assert set(st["level"]) <= {"gering", "mittel", "hoch", "sehr hoch"}


def test_info_has_required_keys(default):
    info = default.info()
    for key in (
        "gemeinden",
        "population_official",
        "population_surface",
        "target_groups",
        "services",
        "stops",
    ):
        assert key in info
    assert info["gemeinden"] == 65
    assert set(info["target_groups"]) == set(settings.TARGET_GROUPS)
    json.dumps(info)  # serialisable


def test_warm_build_does_not_rebuild(cache, default):
    meta = json.loads((default.cache_path / "meta.json").read_text())
    region.build_region("default", cache_dir=cache)
    again = json.loads((default.cache_path / "meta.json").read_text())
    assert again["built_at"] == meta["built_at"] and again["content_hash"] == meta["content_hash"]


def _copy_data(dst: Path) -> Path:
    for rel in (
        "th/boundaries",
        "th/statistics",
        "th/settlements",
        "th/services",
        "th/transit",
        "th/zensus2022",
    ):
        shutil.copytree(DATA / rel, dst / rel)
    return dst


def test_changed_input_rebuilds_and_failed_build_keeps_old_bundle(tmp_path, monkeypatch):
    data = _copy_data(tmp_path / "data")
    cdir = tmp_path / "cache"
    path = region.build_region("16065", data_dir=data, cache_dir=cdir)
    meta = json.loads((path / "meta.json").read_text())
    # Change one input: the services list loses its last row.
    svc = data / "th/services/services_kyf_soem.csv"
    lines = svc.read_text("utf-8").splitlines()
    svc.write_text("\n".join(lines[:-1]) + "\n", "utf-8")

    # A build that fails half-way leaves the previous bundle untouched and no temp folder behind.
    def full_disk(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(region, "write_json_atomic", full_disk)
    with pytest.raises(CacheError, match="Speicherplatz"):
        region.build_region("16065", data_dir=data, cache_dir=cdir)
    monkeypatch.undo()
    assert json.loads((path / "meta.json").read_text()) == meta
    assert [p.name for p in cdir.iterdir() if p.name.startswith(".")] == []
    # Now it builds for real, with a new hash.
    region.build_region("16065", data_dir=data, cache_dir=cdir)
    new = json.loads((path / "meta.json").read_text())
    assert new["content_hash"] != meta["content_hash"]


def test_ad_hoc_region_by_kreis_key(cache):
    r = region.load_region("16068", cache_dir=cache)
    assert len(r.gemeinden) == 37
    assert r.cells["pop"].sum() == pytest.approx(r.gemeinden["pop"].sum(), rel=1e-9)


def test_unknown_kreis_key_is_named():
    with pytest.raises(RegionError, match="Unbekannter Kreisschlüssel 16099"):
        region.select_units(region.get_definition("16065,16099"), DATA)


def test_unknown_region_name():
    with pytest.raises(RegionError, match="Unbekannte Region „sachsen“"):
        region.get_definition("sachsen")


def test_missing_data_dir(tmp_path):
    with pytest.raises(DataFileError, match="nicht gefunden.*--data"):
        region.build_region("default", data_dir=tmp_path / "nope", cache_dir=tmp_path / "c")


def test_missing_census_file(tmp_path):
    data = _copy_data(tmp_path / "data")
    (data / "th/zensus2022/1km/Einwohner.parquet").unlink()
    with pytest.raises(DataFileError, match="Einwohner.parquet"):
        region.build_region("16065", data_dir=data, cache_dir=tmp_path / "c")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_cache(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    with pytest.raises(CacheError, match="nicht beschreibbar"):
        region.build_region("16065", cache_dir=ro / "sub")


def test_unwritable_cache_path(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CacheError, match="nicht beschreibbar"):
        region.build_region("16065", cache_dir=blocker / "cache")


def test_damaged_bundle_is_rebuilt(tmp_path):
    cdir = tmp_path / "c"
    path = region.build_region("16065", cache_dir=cdir)
    (path / "meta.json").write_text("{kaputt")
    region.build_region("16065", cache_dir=cdir)
    assert json.loads((path / "meta.json").read_text())["region"] == "keys-16065"


def test_thueringen_totals_match_624_gemeinden(cache):
    r = region.load_region("thueringen", cache_dir=cache)
    assert len(r.gemeinden) == 624
    sums = r.cells.groupby("ags")["pop"].sum()
    official = r.gemeinden.set_index("ags")["pop"].astype(float)
    assert len(sums) == 624
    assert ((sums - official).abs() / official).max() < 0.005
    assert r.cells["pop"].sum() == pytest.approx(official.sum(), rel=1e-3)
    assert official.sum() == 2_122_335


def test_cli_region_info_json(cache, capsys, default):
    rc = cli.main(["region", "info", "--region", "default", "--cache", str(cache), "--json"])
    assert rc == 0
    info = json.loads(capsys.readouterr().out)
    assert info["gemeinden"] == 65 and info["services"]["total"] == 62


def test_cli_bad_region_exits_2_with_german_message(capsys):
    rc = cli.main(["region", "info", "--region", "16099"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "Unbekannter Kreisschlüssel 16099" in err and "Traceback" not in err


def test_console_command_installed():
    exe = Path(sys.executable).parent / "nahraum"
    assert exe.exists(), "set-up installs the console command"
    out = subprocess.run(
        [str(exe), "region", "list", "--json"], capture_output=True, text=True, check=True
    )
    assert {"default", "thueringen", "bayreuth-nord"} <= set(json.loads(out.stdout))


def test_loaded_layers_spell_their_crs_short(default):
    """Loaded layers carry ``EPSG:3035`` (not the file's PROJJSON, parsed again per thread)."""
    for name in ("gemeinden", "services"):
        layer = getattr(default, name)
        assert layer.crs.srs == settings.CRS_METRIC, name
