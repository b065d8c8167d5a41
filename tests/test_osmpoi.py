"""Services from OSM POIs: tag mapping, nodes/ways/multipolygons, XML and PBF."""

from __future__ import annotations

import pytest

from geo import osmpoi, settings
from geo._errors import DataFileError

from ._osmdata import require_nb, write_pbf


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"amenity": "kindergarten"}, ("Familie", "Kita")),
        ({"amenity": "childcare"}, ("Familie", "Kinderbetreuung")),
        ({"amenity": "school"}, ("Bildung", "Schule")),
        ({"amenity": "library"}, ("Bildung", "Bibliothek")),
        ({"amenity": "townhall"}, ("Behörde", "Rathaus")),
        ({"amenity": "social_facility"}, ("Beratung", "Soziale Einrichtung")),
        (
            {"amenity": "social_facility", "social_facility:for": "senior"},
            ("Senioren", "Seniorenhilfe"),
        ),
        (
            {"amenity": "social_facility", "social_facility": "nursing_home"},
            ("Senioren", "Pflegeheim"),
        ),
        (
            {"amenity": "social_facility", "social_facility:for": "juvenile"},
            ("Jugend", "Kinder- und Jugendhilfe"),
        ),
        (
            {"amenity": "social_facility", "social_facility:for": "refugee;migrant"},
            ("Integration", "Migrations- und Flüchtlingshilfe"),
        ),
        ({"amenity": "community_centre"}, ("Familie", "Gemeinschaftszentrum")),
        (
            {"amenity": "community_centre", "community_centre": "youth_centre"},
            ("Jugend", "Jugendzentrum"),
        ),
        ({"amenity": "youth_centre"}, ("Jugend", "Jugendzentrum")),
        ({"amenity": "social_centre"}, ("Familie", "Soziales Zentrum")),
        ({"amenity": "nursing_home"}, ("Senioren", "Pflegeheim")),
        ({"healthcare": "counselling"}, ("Beratung", "Beratungsstelle")),
        (
            {"healthcare": "counselling", "healthcare:counselling": "addiction"},
            ("Beratung", "Suchtberatung"),
        ),
        ({"office": "government"}, ("Behörde", "Behörde")),
        ({"office": "government", "government": "youth_welfare"}, ("Behörde", "Jugendamt")),
        ({"office": "employment_agency"}, ("Behörde", "Arbeitsagentur/Jobcenter")),
        ({"amenity": "restaurant"}, None),
        ({"office": "company"}, None),
    ],
)
def test_classify(tags, expected):
    assert osmpoi.classify(tags) == expected
    if expected:
        assert expected[0] in settings.CATEGORIES


SAMPLE = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
 <node id="1" lat="50.00" lon="11.50" version="1">
  <tag k="amenity" v="social_facility"/><tag k="social_facility:for" v="senior"/>
  <tag k="name" v="Seniorenberatung Mitte"/><tag k="operator" v="Diakonie"/>
  <tag k="addr:street" v="Hauptstraße"/><tag k="addr:housenumber" v="3"/>
  <tag k="addr:postcode" v="95512"/><tag k="addr:city" v="Neudrossenfeld"/>
  <tag k="opening_hours" v="Mo-Fr 09:00-12:00"/>
 </node>
 <node id="2" lat="50.00" lon="11.60" version="1"><tag k="amenity" v="bench"/></node>
 <node id="10" lat="50.010" lon="11.510" version="1"/>
 <node id="11" lat="50.010" lon="11.512" version="1"/>
 <node id="12" lat="50.012" lon="11.512" version="1"/>
 <node id="13" lat="50.012" lon="11.510" version="1"/>
 <node id="20" lat="50.020" lon="11.520" version="1"/>
 <node id="21" lat="50.020" lon="11.524" version="1"/>
 <node id="22" lat="50.024" lon="11.524" version="1"/>
 <node id="23" lat="50.024" lon="11.520" version="1"/>
 <node id="30" lat="50.0001" lon="11.5001" version="1"/>
 <node id="31" lat="50.0001" lon="11.5003" version="1"/>
 <node id="32" lat="50.0003" lon="11.5003" version="1"/>
 <way id="100" version="1">
  <nd ref="10"/><nd ref="11"/><nd ref="12"/><nd ref="13"/><nd ref="10"/>
  <tag k="amenity" v="community_centre"/><tag k="community_centre" v="youth_centre"/>
  <tag k="name" v="Jugendtreff"/>
 </way>
 <way id="101" version="1"><nd ref="20"/><nd ref="21"/><nd ref="22"/></way>
 <way id="102" version="1"><nd ref="22"/><nd ref="23"/><nd ref="20"/></way>
 <way id="103" version="1">
  <nd ref="30"/><nd ref="31"/><nd ref="32"/><nd ref="30"/>
  <tag k="amenity" v="social_facility"/><tag k="social_facility:for" v="senior"/>
  <tag k="name" v="Seniorenberatung Mitte"/>
 </way>
 <relation id="500" version="1">
  <member type="way" ref="101" role="outer"/><member type="way" ref="102" role="outer"/>
  <tag k="type" v="multipolygon"/><tag k="amenity" v="school"/>
  <tag k="name" v="Grundschule"/><tag k="capacity" v="120"/>
 </relation>
</osm>
"""


@pytest.fixture
def sample(tmp_path):
    path = tmp_path / "pois.osm"
    path.write_text(SAMPLE, encoding="utf-8")
    return path


def test_nodes_ways_relations_in_schema(sample, tmp_path):
    df = osmpoi.read_osm_services(sample)
    assert list(df.columns) == osmpoi.SCHEMA_COLUMNS
    assert df["id"].tolist() == ["osm-node-1", "osm-way-100", "osm-relation-500"]  # 103 = dup
    node = df.iloc[0]
    assert (node["category"], node["subcategory"]) == ("Senioren", "Seniorenhilfe")
    assert node["provider"] == "Diakonie" and node["street"] == "Hauptstraße 3"
    assert node["postcode"] == "95512" and node["town"] == "Neudrossenfeld"
    assert node["opening_hours"] == "Mo-Fr 09:00-12:00"
    assert node["source"] == "OpenStreetMap" and node["status"] == osmpoi.STATUS
    way = df.iloc[1]
    assert way["category"] == "Jugend"
    assert way["lat"] == pytest.approx(50.011) and way["lon"] == pytest.approx(11.511)
    rel = df.iloc[2]
    assert rel["category"] == "Bildung" and rel["capacity"] == 120
    assert rel["lat"] == pytest.approx(50.022) and rel["lon"] == pytest.approx(11.522)
    assert len(osmpoi.read_osm_services(sample, dedupe_m=0)) == 4
    pbf = write_pbf(sample, tmp_path / "pois.osm.pbf")
    from_pbf = osmpoi.read_osm_services(pbf)
    assert from_pbf.drop(columns="capacity").equals(df.drop(columns="capacity"))


def test_real_file():
    path = require_nb()
    df = osmpoi.read_osm_services(path)
    kitas = df[df["subcategory"] == "Kita"]
    assert len(kitas) == 3
    assert set(df["category"]) <= set(settings.CATEGORIES)
    assert df["id"].str.match(r"^osm-(node|way|relation)-\d+$").all()
    assert df["lat"].between(49.88, 50.10).all() and df["lon"].between(11.39, 11.68).all()
    assert "Evangelische Kindertagesstätte Harsdorf" in set(df["name"])
    assert (df["subcategory"] == "Rathaus").sum() == 2  # node + building of Harsdorf merged


def test_missing_file(tmp_path):
    with pytest.raises(DataFileError, match="nicht gefunden"):
        osmpoi.read_osm_services(tmp_path / "nope.osm.pbf")
