"""Offline geocoding: name normalisation, reference data, the place → postcode → Gemeinde chain."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import geocode, settings

DATA = settings.data_dir()
BOUNDARIES = DATA / "th/boundaries/vg250ew_gemeinden_th.geojson"
pytestmark = pytest.mark.skipif(not BOUNDARIES.is_file(), reason="real data not available")


def build_region() -> tuple[gpd.GeoDataFrame, shapely.Geometry]:
    """Gemeinden of Kyffhäuserkreis + Sömmerda (EPSG:3035) and their outline."""
    g = gpd.read_file(BOUNDARIES)
    g = g[g["ags"].str[:5].isin(["16065", "16068"])].copy()
    g["geometry"] = shapely.make_valid(g.geometry.to_numpy())
    g = g.rename(columns={"county": "kreis"})[["ags", "name", "kreis", "geometry"]]
    g = g.to_crs(settings.CRS_METRIC).reset_index(drop=True)
    return g, shapely.union_all(g.geometry.to_numpy())


@pytest.fixture(scope="module")
def region():
    gemeinden, outline = build_region()
    return gemeinden, outline, geocode.load_places(DATA), geocode.load_postcodes(DATA)


def run(region, rows: list[dict]) -> gpd.GeoDataFrame:
    gemeinden, _, places, postcodes = region
    df = pd.DataFrame(rows, dtype="str")
    for col in ("id", "town", "ortsteil", "postcode", "street", "lat", "lon"):
        if col not in df.columns:
            df[col] = np.nan
    return geocode.geocode_services(df, gemeinden, places, postcodes)


def place_point(places: gpd.GeoDataFrame, name: str, ags: str | None = None):
    sel = places[places["name"] == name]
    if ags:
        sel = sel[sel["ags"] == ags]
    assert len(sel) == 1, (name, ags, sel)
    return sel.geometry.iloc[0]


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Sondershausen, Stadt", "Sondershausen"),
        ("Roßleben", "Rossleben"),
        ("Kölleda", "Koelleda"),
        ("Stadt Sömmerda", "SÖMMERDA"),
        ("Sömmerda (Landkreis)", "Sömmerda"),
        ("Mönchpfiffel-Nikolausrieth", "Mönchpfiffel Nikolausrieth"),
    ],
)
def test_normalize_name_equal(a, b):
    assert geocode.normalize_name(a) == geocode.normalize_name(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Bad Frankenhausen", "Frankenhausen"),  # "Bad" is part of the name
        ("Stadtilm", "Ilm"),  # only the whole word "Stadt" is dropped
        ("Großfurra", "Kleinfurra"),
    ],
)
def test_normalize_name_different(a, b):
    assert geocode.normalize_name(a) != geocode.normalize_name(b)


def test_strip_parenthetical():
    assert geocode.strip_parenthetical("unbekannt (Tel. 03632/6661820)") == (
        "unbekannt",
        "(Tel. 03632/6661820)",
    )
    assert geocode.strip_parenthetical("Sömmerda") == ("Sömmerda", None)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("51,37", 51.37),
        ("51.37", 51.37),
        (" 10,8701 ", 10.8701),
        ("1.234,5", 1234.5),
        ("1,234.5", 1234.5),
        ("-3", -3.0),
        ("", None),
        (None, None),
    ],
)
def test_parse_number(text, value):
    got = geocode.parse_number(text)
    assert math.isnan(got) if value is None else got == pytest.approx(value)


@pytest.mark.parametrize("text", ["abc", "51°22'", "1,2,3", "12a", "--1"])
def test_parse_number_rejects_text(text):
    with pytest.raises(ValueError):
        geocode.parse_number(text)


def test_parse_number_nonfinite_is_returned():
    assert math.isinf(geocode.parse_number("inf"))
    assert math.isnan(geocode.parse_number("NaN"))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("6556", "06556"),
        ("06556", "06556"),
        ("99706.0", "99706"),
        ("D-99706", "99706"),
        ("abc", ""),
        ("", ""),
        ("123", ""),
    ],
)
def test_normalize_postcode(text, code):
    assert geocode.normalize_postcode(text) == code


# ---------------------------------------------------------------------------
# Reference data
# ---------------------------------------------------------------------------
def test_load_places_region():
    places = geocode.load_places(DATA, {"16065", "16068"})
    assert places.crs.equals(settings.CRS_METRIC)
    assert list(places.columns) == [
        "name",
        "ags",
        "kreis",
        "population",
        "feature_code",
        "geonameid",
        "geometry",
    ]
    assert places["ags"].str[:5].isin(["16065", "16068"]).all()
    assert (places["ags"].str.len() == 8).all()
    assert len(places) == 104
    sdh = places[places["name"] == "Sondershausen"].iloc[0]
    assert sdh["ags"] == "16065067" and sdh["population"] > 20000
    # EPSG:3035 metres, in Thuringia
    assert 4.3e6 < sdh.geometry.x < 4.5e6 and 3.0e6 < sdh.geometry.y < 3.2e6


def test_load_places_by_ags_and_all():
    assert set(geocode.load_places(DATA, ["16065067"])["name"]) == {"Sondershausen", "Schernberg"}
    assert len(geocode.load_places(DATA)) > 800


def test_load_postcodes_keeps_leading_zero():
    pc = geocode.load_postcodes(DATA)
    assert {"postcode", "place_name", "kreis", "lat", "lon"} <= set(pc.columns)
    assert (pc["postcode"].str.len() == 5).all()
    assert "06556" in set(pc["postcode"])


def test_missing_data_file_is_german_error(tmp_path):
    from geo._errors import DataFileError

    with pytest.raises(DataFileError, match="Datendatei fehlt"):
        geocode.load_places(tmp_path)


# ---------------------------------------------------------------------------
# The geocoding chain
# ---------------------------------------------------------------------------
def test_coordinates_kept(region):
    out = run(region, [{"id": "a", "lat": "51,3697", "lon": "10,8701", "town": "Erfurt"}])
    assert out.loc[0, "precision"] == "coordinates"
    p = gpd.GeoSeries([out.geometry.iloc[0]], crs=settings.CRS_METRIC).to_crs(4326).iloc[0]
    assert p.y == pytest.approx(51.3697) and p.x == pytest.approx(10.8701)


def test_invalid_coordinates_are_not_replaced_by_town(region):
    out = run(region, [{"id": "a", "lat": "abc", "lon": "10.8", "town": "Sondershausen"}])
    assert out.loc[0, "precision"] == "not_found"
    assert out.geometry.iloc[0] is None
    assert "ungültig" in out.loc[0, "geocode_note"]


def test_town_gives_village(region):
    places = region[2]
    out = run(
        region,
        [
            {"id": "a", "town": "Sondershausen"},
            {"id": "b", "town": "Sondershausen, Stadt"},
            {"id": "c", "town": "Stadt Sömmerda"},
            {"id": "d", "town": "Sömmerda (Landkreis)"},
            {"id": "e", "town": "ROSSLEBEN"},
        ],
    )
    assert list(out["precision"]) == ["village"] * 5
    assert out.geometry.iloc[0].equals(place_point(places, "Sondershausen"))
    assert out.geometry.iloc[1].equals(place_point(places, "Sondershausen"))
    assert out.geometry.iloc[3].equals(place_point(places, "Sömmerda"))
    assert "(Landkreis)" in out.loc[3, "geocode_note"]
    assert out.geometry.iloc[4].equals(place_point(places, "Roßleben"))


def test_ortsteil_inside_town(region):
    places = region[2]
    out = run(
        region,
        [
            {"id": "a", "town": "Sondershausen", "ortsteil": "Schernberg"},
            {"id": "b", "town": "Sondershausen OT Schernberg"},
        ],
    )
    assert list(out["precision"]) == ["village", "village"]
    assert out.geometry.iloc[0].equals(place_point(places, "Schernberg"))
    assert out.geometry.iloc[1].equals(place_point(places, "Schernberg"))


def test_unknown_ortsteil_falls_back_to_town_with_note(region):
    places = region[2]
    out = run(region, [{"id": "a", "town": "Sondershausen", "ortsteil": "Großfurra"}])
    assert out.loc[0, "precision"] == "village"
    assert out.geometry.iloc[0].equals(place_point(places, "Sondershausen"))
    assert "Großfurra" in out.loc[0, "geocode_note"]
    assert "statt des Ortsteils" in out.loc[0, "geocode_note"]


def test_ambiguous_name_prefers_town_gemeinde(region):
    places = region[2]
    out = run(
        region,
        [
            {"id": "a", "town": "Ringleben"},
            {"id": "b", "town": "Bad Frankenhausen", "ortsteil": "Ringleben"},
        ],
    )
    assert out.geometry.iloc[0].equals(place_point(places, "Ringleben", "16068045"))
    assert out.geometry.iloc[1].equals(place_point(places, "Ringleben", "16065003"))
    assert "mehrdeutig" in out.loc[0, "geocode_note"]


def test_gv100_name_with_slash_finds_seat(region):
    places = region[2]
    out = run(region, [{"id": "a", "town": "Bad Frankenhausen/Kyffhäuser, Stadt"}])
    assert out.loc[0, "precision"] == "village"
    assert out.geometry.iloc[0].equals(place_point(places, "Bad Frankenhausen"))


def test_postcode_then_gemeinde(region):
    gemeinden = region[0]
    out = run(
        region,
        [
            {"id": "a", "town": "Roßleben-Wiehe", "postcode": "06571"},
            {"id": "b", "town": "Roßleben-Wiehe"},
            {"id": "c", "town": "Kyffhäuserland"},
            {"id": "d", "town": "Atlantis", "postcode": "6556"},
        ],
    )
    assert list(out["precision"]) == ["postcode", "gemeinde", "gemeinde", "postcode"]
    rw = gemeinden.loc[gemeinden["name"] == "Roßleben-Wiehe"].geometry.iloc[0]
    assert rw.contains(out.geometry.iloc[1])
    assert rw.distance(out.geometry.iloc[0]) < 2000
    assert "06571" in out.loc[0, "geocode_note"]
    kyf = gemeinden.loc[gemeinden["name"] == "Kyffhäuserland"].geometry.iloc[0]
    assert kyf.contains(out.geometry.iloc[2])


def test_postcode_prefers_named_place(region):
    pc = region[3]
    row = pc[(pc["postcode"] == "99707") & (pc["place_name"] == "Günserode")].iloc[0]
    out = run(region, [{"id": "a", "town": "Günserode", "postcode": "99707"}])
    assert out.loc[0, "precision"] == "postcode"
    p = gpd.GeoSeries([out.geometry.iloc[0]], crs=settings.CRS_METRIC).to_crs(4326).iloc[0]
    assert p.y == pytest.approx(row["lat"]) and p.x == pytest.approx(row["lon"])


@pytest.mark.parametrize(
    ("town", "postcode", "precision", "reason"),
    [
        (
            "unbekannt (Tel. 03632/6661820, Vorwahl Sondershausen)",
            None,
            "not_found",
            "Kein Ort angegeben",
        ),
        ("unbekannt (Tel. 03632/6661820)", "99706", "postcode", "PLZ 99706"),
        ("VG Greußen (Ort nicht genannt)", None, "not_found", "Verwaltungsgemeinschaft"),
        ("Atlantis", None, "not_found", "weder im Ortsverzeichnis"),
        (None, None, "not_found", "Weder Koordinaten noch Ort"),
    ],
)
def test_not_found_reasons(region, town, postcode, precision, reason):
    out = run(region, [{"id": "a", "town": town, "postcode": postcode}])
    assert out.loc[0, "precision"] == precision
    assert reason in out.loc[0, "geocode_note"]
    if precision == "not_found":
        assert out.geometry.iloc[0] is None
        assert "Tel." not in out.loc[0, "geocode_note"].split("“")[-1]  # nothing derived


def test_street_address_note(region):
    out = run(
        region,
        [
            {"id": "a", "town": "Artern", "street": "Wasserstr. 1"},
            {"id": "b", "town": "Roßleben-Wiehe", "street": "Markt 1"},
        ],
    )
    assert out.loc[0, "geocode_note"].startswith(geocode.STREET_NOTE + "; Ortslage verwendet")
    assert out.loc[1, "geocode_note"].startswith(
        geocode.STREET_NOTE + "; Gemeinde-Mittelpunkt verwendet"
    )


def test_exported_precision_is_carried_over(region):
    out = run(
        region,
        [
            {
                "id": "a",
                "lat": "51.37",
                "lon": "10.87",
                "precision": "village",
                "geocode_note": "GeoNames-Ort „Sondershausen“",
            },
            {"id": "b", "lat": "51.37", "lon": "10.87", "precision": "erfunden"},
        ],
    )
    assert list(out["precision"]) == ["village", "coordinates"]
    assert out.loc[0, "geocode_note"] == "GeoNames-Ort „Sondershausen“"


def test_out_of_region_place_is_found_but_elsewhere(region):
    out = run(region, [{"id": "a", "town": "Jena"}])
    assert out.loc[0, "precision"] == "village"
    assert region[1].distance(out.geometry.iloc[0]) > 20_000
