"""Gemeinden: geometry repair and the GV100AD parser on the real files."""

from __future__ import annotations

import json
import shutil

import geopandas as gpd
import pytest
import shapely

from geo import boundaries, settings
from geo._errors import DataFileError

DATA = settings.data_dir()


@pytest.fixture(scope="module")
def gemeinden():
    return boundaries.read_gemeinden(DATA)


def test_raw_file_has_invalid_polygon_that_is_repaired(gemeinden):
    raw = json.loads((DATA / boundaries.VG250_FILE).read_text("utf-8"))
    feats = [f for f in raw["features"] if f["properties"]["ags"] == "16064077"]
    geom = shapely.geometry.shape(feats[0]["geometry"])
    assert not geom.is_valid  # the known defect is really in the input
    assert gemeinden.geometry.is_valid.all()
    assert gemeinden.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    row = gemeinden.set_index("ags").loc["16064077"]
    # Repaired area within 1 % of the official area.
    assert row["area_km2_geom"] == pytest.approx(row["area_km2"], rel=0.01)


def test_repair_keeps_only_polygons():
    bowtie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])
    fixed = boundaries.repair_geometries(gpd.GeoSeries([bowtie]))
    assert fixed.iloc[0].is_valid
    assert fixed.iloc[0].geom_type in ("Polygon", "MultiPolygon")
    assert fixed.iloc[0].area == pytest.approx(2.0)


def test_gemeinden_join_gv100ad(gemeinden):
    assert len(gemeinden) == 624
    assert gemeinden["ags"].is_unique
    assert gemeinden["pop_gv100"].notna().all()
    s = gemeinden.set_index("ags")
    # Values read by hand from the fixed-width record of Sömmerda, Stadt.
    assert s.loc["16068051", "name_official"] == "Sömmerda, Stadt"
    assert s.loc["16068051", "pop_gv100"] == 19156
    assert s.loc["16068051", "postcode"] == "99610"
    # Clingen belongs to the Verwaltungsgemeinschaft Greußen.
    assert s.loc["16065012", "vg_name"] == "Greußen"
    assert s.loc["16065012", "vg_kind"] == "Verwaltungsgemeinschaft"
    assert gemeinden.crs.to_epsg() == 3035


def test_truncated_gv100ad_names_line(tmp_path):
    (tmp_path / "th" / "statistics").mkdir(parents=True)
    src = (DATA / boundaries.GV100AD_FILE).read_text("utf-8").splitlines()
    lines = [ln for ln in src if ln.startswith("60") and ln[10:12] == "16"][:3]
    lines[1] = lines[1][:100]
    (tmp_path / boundaries.GV100AD_FILE).write_text("\n".join(lines), "utf-8")
    with pytest.raises(DataFileError, match=r"Zeile 2.*zu kurz"):
        boundaries.read_gv100ad(tmp_path)


def test_missing_boundary_file_message(tmp_path):
    with pytest.raises(DataFileError, match="Datendatei fehlt.*NAHRAUM_DATA"):
        boundaries.read_vg250(tmp_path)


def test_malformed_geojson(tmp_path):
    p = tmp_path / boundaries.VG250_FILE
    p.parent.mkdir(parents=True)
    p.write_text('{"type": "FeatureCollection", "features": [', "utf-8")
    with pytest.raises(DataFileError, match="kann nicht gelesen werden"):
        boundaries.read_vg250(tmp_path)


def test_geojson_without_ags_column(tmp_path):
    p = tmp_path / boundaries.VG250_FILE
    p.parent.mkdir(parents=True)
    gpd.GeoDataFrame(
        {"name": ["X"], "pop": [1]}, geometry=[shapely.box(11, 51, 11.1, 51.1)], crs=4326
    ).to_file(p, driver="GeoJSON")
    with pytest.raises(DataFileError, match="ags"):
        boundaries.read_vg250(tmp_path)


def test_wrong_ags_value(tmp_path):
    p = tmp_path / boundaries.VG250_FILE
    p.parent.mkdir(parents=True)
    gpd.GeoDataFrame(
        {"ags": ["1606X001"], "name": ["X"], "pop": [1], "county": ["K"], "area_km2": [1.0]},
        geometry=[shapely.box(11, 51, 11.1, 51.1)],
        crs=4326,
    ).to_file(p, driver="GeoJSON")
    with pytest.raises(DataFileError, match=r"Objekt 1.*ags.*1606X001"):
        boundaries.read_vg250(tmp_path)


def test_copy_of_data_dir_used(tmp_path):
    # The data directory is configurable: a copy elsewhere gives the same result.
    for rel in (boundaries.VG250_FILE, boundaries.GV100AD_FILE):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DATA / rel, tmp_path / rel)
    g = boundaries.read_gemeinden(tmp_path)
    assert len(g) == 624
