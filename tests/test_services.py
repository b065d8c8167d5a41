"""Service import (all formats and encodings), taxonomy, validation, export round-trip."""

from __future__ import annotations

import csv
import io
import json
import re
import string

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from geo import _tables, geocode, services, settings
from geo._errors import InputError
from tests.test_geocode import BOUNDARIES, DATA, build_region

REAL_FILE = DATA / services.DEFAULT_SERVICES_FILE
pytestmark = pytest.mark.skipif(not BOUNDARIES.is_file(), reason="real data not available")

HTML_NAME = '<b>Beratung</b> & <script>alert("x")</script>'
FORMULA = '=HYPERLINK("http://evil";"klick")'

# A small hand-made inventory: umlauts, an HTML name, a formula, an extra column.
SAMPLE = pd.DataFrame(
    {
        "id": ["s1", "s2", "s3", "s4"],
        "name": ["Familienzentrum Düne", HTML_NAME, FORMULA, "Jugendclub Straße"],
        "category": ["Familie", "Beratung", "Jugend", "Jugend"],
        "subcategory": ["Familienzentrum", "Schuldnerberatung", "Jugendclub", "Jugendclub"],
        "provider": ["Düne e.V.", "Träger ä ö ü ß", "@Träger", "-Stadt"],
        "street": ["Crucisstraße 8", "", "", ""],
        "postcode": ["99706", "", "06556", ""],
        "town": ["Sondershausen", "Sömmerda", "Artern", "Großneuhausen"],
        "ortsteil": ["", "", "", ""],
        "lat": ["51.3697", "", "", "51.16"],
        "lon": ["10.8701", "", "", "11.2856"],
        "capacity": ["12.5", "", "80", ""],
        "status_note": ["prüfen", "", "+49 3632", "ok"],
    }
)


@pytest.fixture(scope="module")
def region():
    gemeinden, outline = build_region()
    return gemeinden, outline, geocode.load_places(DATA), geocode.load_postcodes(DATA)


@pytest.fixture(scope="module")
def real(region):
    gemeinden, outline, places, postcodes = region
    return services.import_services(
        REAL_FILE, gemeinden, outline, DATA, places=places, postcodes=postcodes
    )


def imp(region, source, filename=None) -> services.ImportResult:
    gemeinden, outline, places, postcodes = region
    return services.import_services(
        source, gemeinden, outline, DATA, filename=filename, places=places, postcodes=postcodes
    )


def csv_bytes(df: pd.DataFrame, encoding="utf-8", sep=",", decimal_comma=False) -> bytes:
    out = df.copy()
    if decimal_comma:
        for c in ("lat", "lon", "capacity"):
            if c in out.columns:
                out[c] = out[c].str.replace(".", ",", regex=False)
    buf = io.StringIO(newline="")
    out.to_csv(buf, sep=sep, index=False, quoting=csv.QUOTE_MINIMAL)
    return buf.getvalue().encode(encoding)


def xlsx_bytes(df: pd.DataFrame, numbers=True) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(df.columns))
    for rec in df.itertuples(index=False):
        row = []
        for c, v in zip(df.columns, rec, strict=True):
            if numbers and c in ("lat", "lon", "capacity") and v:
                row.append(float(v))
            else:
                row.append(ILLEGAL_CHARACTERS_RE.sub("", v) or None)
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def geo_frame(df: pd.DataFrame) -> gpd.GeoDataFrame:
    has = df["lat"] != ""
    geom = [
        shapely.Point(float(x), float(y)) if h else None
        for x, y, h in zip(df["lon"], df["lat"], has, strict=True)
    ]
    return gpd.GeoDataFrame(df.drop(columns=["lat", "lon"]), geometry=geom, crs=4326)


def geojson_bytes(df: pd.DataFrame) -> bytes:
    return geo_frame(df).to_json(drop_id=True).encode("utf-8")


def gpkg_bytes(df: pd.DataFrame, tmp_path, crs=None) -> bytes:
    path = tmp_path / "sample.gpkg"
    g = geo_frame(df)
    if crs:
        g = g.to_crs(crs)
    g.to_file(path, driver="GPKG", engine="pyogrio")
    return path.read_bytes()


FORMATS = {
    "utf8.csv": lambda df, tmp: csv_bytes(df),
    "utf8bom.csv": lambda df, tmp: csv_bytes(df, "utf-8-sig"),
    "cp1252.csv": lambda df, tmp: csv_bytes(df.drop(columns=[]), "cp1252"),
    "semicolon.csv": lambda df, tmp: csv_bytes(df, "utf-8", ";", decimal_comma=True),
    "semicolon_cp1252.csv": lambda df, tmp: csv_bytes(df, "cp1252", ";", decimal_comma=True),
    "tab.tsv": lambda df, tmp: csv_bytes(df, "utf-8", "\t"),
    "sample.xlsx": lambda df, tmp: xlsx_bytes(df),
    "sample.geojson": lambda df, tmp: geojson_bytes(df),
    "sample.gpkg": lambda df, tmp: gpkg_bytes(df, tmp),
    "sample_25832.gpkg": lambda df, tmp: gpkg_bytes(df, tmp, "EPSG:25832"),
}


# ---------------------------------------------------------------------------
# Reading: formats, encodings, headers
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("as_path", [True, False])
def test_every_format_reads_the_same(fmt, as_path, tmp_path):
    data = FORMATS[fmt](SAMPLE, tmp_path)
    if as_path:
        path = tmp_path / fmt
        path.write_bytes(data)
        df = services.read_services(path)
    else:
        df = services.read_services(data, filename=fmt)
    assert list(df.columns[: len(services.SCHEMA_COLUMNS)]) == list(services.SCHEMA_COLUMNS)
    assert "status_note" in df.columns  # unknown column preserved
    assert list(df["id"]) == ["s1", "s2", "s3", "s4"]
    assert list(df["name"]) == list(SAMPLE["name"])  # umlauts, HTML, formula verbatim
    assert df.loc[2, "provider"] == "Träger ä ö ü ß"
    assert df.loc[3, "provider"] == "@Träger"
    assert df.loc[3, "postcode"] == "06556"
    assert df.index.name == "row" and list(df.index) == [1, 2, 3, 4]
    lat, lon, status = geocode.parse_coordinates(df)
    assert list(status) == ["ok", "empty", "empty", "ok"]
    assert lat[0] == pytest.approx(51.3697, abs=1e-9) and lon[3] == pytest.approx(11.2856, abs=1e-9)
    if "gpkg" not in fmt and "geojson" not in fmt:
        assert geocode.parse_number(df.loc[1, "capacity"]) == 12.5
    assert all(isinstance(v, str) for v in df["name"])


def test_format_detected_without_filename(tmp_path):
    for fmt in ("utf8.csv", "semicolon.csv", "sample.xlsx", "sample.geojson", "sample.gpkg"):
        df = services.read_services(FORMATS[fmt](SAMPLE, tmp_path))
        assert list(df["id"]) == ["s1", "s2", "s3", "s4"], fmt


def test_file_like_upload():
    df = services.read_services(io.BytesIO(csv_bytes(SAMPLE)), filename="upload.csv")
    assert len(df) == 4


def test_cp1252_is_really_cp1252():
    data = csv_bytes(SAMPLE, "cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert services.read_services(data, "x.csv").loc[1, "name"] == "Familienzentrum Düne"


def test_german_header_aliases():
    text = (
        "Nr;Bezeichnung;Kategorie;Unterkategorie;Träger;Straße;PLZ;Ort;Ortsteil;Breite;"
        "Länge;Kapazität;Öffnungszeiten;Außensprechtage;Zielgruppen;Quelle;Status;Notiz\n"
        "k1;Jugendhaus;Jugend;Jugendhaus;KJR;Markt 1;6556;Artern;;51,36;11,29;20;Mo-Fr;"
        "Di;Jugendliche;Web;aktiv;x\n"
    )
    df = services.read_services(text.encode("cp1252"), "liste.csv")
    row = df.iloc[0]
    assert (row["id"], row["name"], row["provider"], row["street"]) == (
        "k1",
        "Jugendhaus",
        "KJR",
        "Markt 1",
    )
    assert (row["postcode"], row["town"], row["lat"], row["lon"], row["capacity"]) == (
        "06556",
        "Artern",
        "51,36",
        "11,29",
        "20",
    )
    assert (row["opening_hours"], row["outreach_days"], row["target_groups"]) == (
        "Mo-Fr",
        "Di",
        "Jugendliche",
    )
    assert (row["source"], row["status"], row["Notiz"]) == ("Web", "aktiv", "x")


def test_english_aliases_and_duplicate_header():
    text = "ID,Title,Category,Latitude,Longitude,Name,City\n1,A,Jugend,51.1,11.1,B,Artern\n"
    df = services.read_services(text.encode(), "x.csv")
    assert df.loc[1, "name"] == "A"  # first alias wins
    assert df.loc[1, "Name"] == "B"  # second kept as an extra column
    assert (df.loc[1, "lat"], df.loc[1, "lon"], df.loc[1, "town"]) == ("51.1", "11.1", "Artern")


def test_blank_lines_skipped_and_row_numbers_kept():
    text = "id,name,category,town\na,A,Jugend,Artern\n,,,\nb,B,Jugend,Artern\n"
    df = services.read_services(text.encode(), "x.csv")
    assert list(df.index) == [1, 3]


def test_formula_cells_are_text_not_evaluated(tmp_path):
    data = xlsx_bytes(SAMPLE)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.active["B4"].data_type == "f"  # really a formula cell in the fixture
    df = services.read_services(data, "x.xlsx")
    assert df.loc[3, "name"] == FORMULA


# ---------------------------------------------------------------------------
# Reading: file-level errors
# ---------------------------------------------------------------------------
def test_too_big_rejected_before_parsing(monkeypatch, tmp_path):
    monkeypatch.setattr(settings, "MAX_UPLOAD_BYTES", 100)

    def boom(*a, **k):
        raise AssertionError("parsed a file that is too big")

    monkeypatch.setattr(_tables, "parse_csv", boom)
    data = csv_bytes(SAMPLE)
    assert len(data) > 100
    with pytest.raises(InputError, match="größer als"):
        services.read_services(data, "x.csv")
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    with pytest.raises(InputError, match="größer als"):
        services.read_services(path)
    with pytest.raises(InputError, match="größer als"):
        services.read_services(io.BytesIO(data), "x.csv")


def test_missing_required_columns_listed():
    with pytest.raises(InputError) as exc:
        services.read_services(b"Bezeichnung,Strasse\nA,B\n", "x.csv")
    cols = {p.column for p in exc.value.problems}
    assert cols == {"category", "town"}  # an id is generated when the file has none
    assert all(p.row is None and p.file == "x.csv" for p in exc.value.problems)


@pytest.mark.parametrize(
    ("data", "name", "match"),
    [
        (b"", "x.csv", "leer"),
        (b"id,name,category,town\n", "x.csv", "Keine Datenzeilen"),
        (b"\x81\x8d\x8f\x90\x9d", "x.csv", "Zeichenkodierung"),
        (b"\x00\x01\x02\x00\x9d\x81", "x.csv", "Binärdaten"),
        (b"PK\x03\x04garbage", "x.xlsx", "Excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "x.xls", r"\.xls"),
        (b"{not json", "x.geojson", "GeoJSON"),
        (b'{"type": "Point", "coordinates": [1, 2]}', "x.geojson", "FeatureCollection"),
        (b"SQLite format 3\x00garbage", "x.gpkg", "GeoPackage"),
    ],
)
def test_unreadable_files(data, name, match):
    with pytest.raises(InputError, match=match):
        services.read_services(data, name)


def test_missing_file():
    with pytest.raises(InputError, match="nicht gefunden"):
        services.read_services("/nonexistent/liste.csv")


# ---------------------------------------------------------------------------
# Taxonomy
# ---------------------------------------------------------------------------
def test_every_real_subcategory_maps():
    raw = services.read_services(REAL_FILE)
    unmapped = [s for s in raw["subcategory"] if services.category_from_subcategory(s) is None]
    assert unmapped == []
    assert raw["subcategory"].notna().all()


@pytest.mark.parametrize(
    ("sub", "cat"),
    [
        ("Kita", "Familie"),
        ("Kita / Thüringer Eltern-Kind-Zentrum (ThEKiZ, LSZ-gefördert)", "Familie"),
        ("Seniorenbüro (LSZ-gefördert)", "Senioren"),
        ("Migration (kommunales Integrationsmanagement)", "Integration"),
        ("Schulsozialarbeit (Programm, kreisweit)", "Jugend"),
        ("Kinder- und Jugendzentrum (+ Bereichsjugendpflege, Familienlotse)", "Jugend"),
        ("Kindertagespflege", "Familie"),
        ("Tagespflege für Senioren", "Senioren"),
        ("Schwangerschafts(konflikt)beratung / Familienberatung", "Beratung"),
        ("Erziehungs- und Familienberatung (LSZ-gefördert)", "Beratung"),
        ("Jugend- und Sozialamt (Jugendamt)", "Behörde"),
        ("Gesundheitsamt", "Behörde"),
        ("Landratsamt / Stabsstelle Integrierte Sozialplanung, Dezernat Soziales", "Behörde"),
        ("Mehrgenerationenhaus (Bundesprogramm)", "Familie"),
        ("Schüler-Freizeit-Zentrum", "Jugend"),
        ("Mobile Jugendarbeit / Streetwork", "Jugend"),
        ("Volkshochschule", "Bildung"),
    ],
)
def test_subcategory_rules_are_sensible(sub, cat):
    assert services.category_from_subcategory(sub) == cat


def test_resolve_category_fallbacks():
    assert services.resolve_category("Etwas Neues", "jugend") == "Jugend"
    assert services.resolve_category(None, "Behoerde") == "Behörde"
    assert services.resolve_category("", "Youth") == "Jugend"
    assert services.resolve_category("Kita", "Sonstiges") == "Familie"
    assert services.resolve_category("Etwas Neues", "Sonstiges") is None


def test_category_source_kept_when_different(real):
    sv = real.services.set_index("id")
    assert sv.loc["svc021", "category"] == "Senioren"
    assert sv.loc["svc021", "category_source"] == "Familie"
    assert sv.loc["svc020", "category"] == "Integration"
    assert sv.loc["svc020", "category_source"] == "Beratung"
    assert pd.isna(sv.loc["svc001", "category_source"])
    assert set(sv["category"]) <= set(settings.CATEGORIES)


# ---------------------------------------------------------------------------
# The real file
# ---------------------------------------------------------------------------
def test_real_file_all_rows_imported(real):
    s = real.summary()
    assert s["imported"] == 62 and s["errors"] == []
    assert list(s["by_precision"]) == list(settings.PRECISIONS)
    assert s["by_precision"] == {
        "coordinates": 0,
        "manual": 0,
        "street": 0,
        "village": 54,
        "postcode": 1,
        "gemeinde": 3,
        "not_found": 4,
    }
    assert sorted(real.services["id"]) == [f"svc{i:03d}" for i in range(1, 63)]
    # unknown columns round-trip
    for col in ("district", "source2", "source_date", "status_note", "geocode_status"):
        assert col in real.services.columns
    assert real.services.crs.equals(settings.CRS_METRIC)


def test_real_file_precision_per_row(real, region):
    sv = real.services.set_index("id")
    places = region[2]
    sdh = places[places["name"] == "Sondershausen"].geometry.iloc[0]
    assert sv.loc["svc022", "precision"] == "village"
    assert sv.loc["svc022", "geometry"].equals(sdh)
    assert sv.loc["svc045", "precision"] == "village"  # Ortsteil Schernberg
    assert sv.loc["svc045", "geometry"].distance(sdh) > 5000
    assert sv.loc["svc007", "precision"] == "village"  # "Sömmerda (Landkreis)"
    assert sv.loc["svc035", "precision"] == "postcode"  # Roßleben-Wiehe, PLZ 06571
    assert set(sv.index[sv["precision"] == "gemeinde"]) == {"svc047", "svc060", "svc062"}
    not_found = sv[sv["precision"] == "not_found"]
    assert set(not_found.index) == {"svc027", "svc031", "svc058", "svc061"}
    assert not_found.geometry.isna().all() and not_found["lat"].isna().all()
    # "unbekannt (Tel. …)" has no postcode in the file: not found, reason says no place given
    assert real.services.loc[27, "postcode"] is np.nan or pd.isna(real.services.loc[27, "postcode"])
    assert "Kein Ort angegeben" in sv.loc["svc027", "geocode_note"]
    assert "Kein Ort angegeben" in sv.loc["svc031", "geocode_note"]
    assert "Verwaltungsgemeinschaft" in sv.loc["svc061", "geocode_note"]
    assert "Weder Koordinaten noch Ort" in sv.loc["svc058", "geocode_note"]


def test_real_file_not_found_listed_with_reason(real):
    nf = real.summary()["not_found"]
    assert [d["row"] for d in nf] == [27, 31, 58, 61]
    assert all("nicht verortet" in d["message"] and "Bitte" in d["message"] for d in nf)


def test_real_file_street_rows_say_street_not_geocoded(real):
    sv = real.services
    with_street = sv["street"].notna()
    assert with_street.sum() == 23
    notes = sv.loc[with_street, "geocode_note"]
    assert notes.str.startswith(geocode.STREET_NOTE).all()
    assert (sv.loc[with_street, "precision"].isin(["village", "postcode"])).all()


def test_real_file_located_rows_inside_region(real, region):
    outline = region[1]
    loc = services.located(real.services)
    assert len(loc) == 58
    assert (loc.geometry.distance(outline) <= settings.REGION_BUFFER_M).all()
    assert loc["lat"].between(50.9, 51.5).all() and loc["lon"].between(10.5, 11.6).all()


# ---------------------------------------------------------------------------
# Row-level validation errors
# ---------------------------------------------------------------------------
GOOD = {
    "id": "ok1",
    "name": "Gut",
    "category": "Jugend",
    "subcategory": "",
    "town": "Artern",
    "postcode": "",
    "lat": "",
    "lon": "",
    "capacity": "",
}


def table(*rows: dict) -> bytes:
    df = pd.DataFrame([{**GOOD, **r} for r in rows], dtype="str")
    return csv_bytes(df, sep=";")


@pytest.mark.parametrize(
    ("row", "column", "text"),
    [
        ({"id": "e1", "lat": "abc", "lon": "11.2"}, "lat", "keine Zahl"),
        ({"id": "e1", "lat": "51.2", "lon": "elf"}, "lon", "keine Zahl"),
        ({"id": "e1", "lat": "51.2", "lon": ""}, "lon", "Länge (lon) fehlt"),
        ({"id": "e1", "lat": "951.2", "lon": "11.2"}, "lat", "außerhalb des gültigen Bereichs"),
        ({"id": "e1", "lat": "11,29", "lon": "51,36"}, "lat", "Breite und Länge vertauscht?"),
        ({"id": "e1", "lat": "NaN", "lon": "11.2"}, "lat", "NaN/unendlich"),
        ({"id": "e1", "lat": "51.2", "lon": "inf"}, "lon", "NaN/unendlich"),
        ({"id": "e1", "lat": "50.93", "lon": "11.59"}, "lat", "außerhalb der Region"),  # Jena
        ({"id": "e1", "town": "Jena"}, "town", "außerhalb der Region"),
        ({"id": "e1", "name": ""}, "name", "Name fehlt"),
        ({"id": "e1", "category": "Sonstiges"}, "category", "Kategorie „Sonstiges“ unbekannt"),
        ({"id": "e1", "category": "", "subcategory": "Etwas"}, "subcategory", "keiner Kategorie"),
        ({"id": "e1", "category": ""}, "category", "Kategorie fehlt"),
        ({"id": "e1", "capacity": "viele"}, "capacity", "Kapazität"),
        ({"id": "e1", "capacity": "-3"}, "capacity", "Kapazität"),
    ],
)
def test_row_error(region, row, column, text):
    res = imp(region, table(GOOD, row, {**GOOD, "id": "ok2"}), "liste.csv")
    assert len(res.problems) == 1
    p = res.problems[0]
    assert (p.row, p.column, p.file) == (2, column, "liste.csv")
    assert text in p.message
    assert f"Zeile 2, Spalte „{column}“" in str(p)
    # the bad row is excluded, the good ones are kept
    assert list(res.services["id"]) == ["ok1", "ok2"]
    assert res.summary()["errors"] == [{"row": 2, "column": column, "message": p.message}]


def test_duplicate_ids_name_both_rows(region):
    res = imp(region, table(GOOD, {"id": "x"}, {"id": "x", "name": "Zwei"}), "l.csv")
    (p,) = res.problems
    assert p.row == 3 and p.column == "id"
    assert "Zeile 2" in p.message and "Zeile 3" in p.message
    assert list(res.services["id"]) == ["ok1", "x"]
    assert res.services.set_index("id").loc["x", "name"] == "Gut"


def test_too_many_fields_is_a_row_error(region):
    data = b"id,name,category,town\na,A,Jugend,Artern\nb,B,Jugend,Artern,extra,more\n"
    res = imp(region, data, "x.csv")
    (p,) = res.problems
    assert p.row == 2 and "Felder" in p.message and "extra" in p.message
    assert list(res.services["id"]) == ["a"]


def test_coordinates_in_buffer_accepted(region):
    gemeinden, outline, *_ = region
    # a point 3 km outside the outline is inside the 5 km buffer
    xy = shapely.get_coordinates(outline)
    x, y = xy[xy[:, 0].argmin()]  # westernmost vertex
    pt = gpd.GeoSeries([shapely.Point(x - 3000, y)], crs=3035)
    assert 2000 < outline.distance(pt.iloc[0]) <= settings.REGION_BUFFER_M
    wgs = pt.to_crs(4326).iloc[0]
    res = imp(region, table({"lat": f"{wgs.y:.6f}", "lon": f"{wgs.x:.6f}"}), "x.csv")
    assert res.problems == [] and res.services["precision"].tolist() == ["coordinates"]
    res = services.validate_services(res.services, gemeinden, outline, buffer_m=1000)[1]
    assert len(res) == 1 and "außerhalb der Region" in res[0].message


def test_validate_without_geocoding_and_missing_columns(region):
    gemeinden, outline, *_ = region
    raw = services.read_services(table(GOOD, {"id": "c", "lat": "51.36", "lon": "11.29"}), "x")
    clean, problems = services.validate_services(raw, gemeinden, outline)
    assert problems == []
    assert clean["precision"].tolist() == ["not_found", "coordinates"]
    clean, problems = services.validate_services(pd.DataFrame({"x": ["1"]}), gemeinden, outline)
    assert clean.empty and {p.column for p in problems} == {"name", "category", "town"}


def test_html_kept_verbatim(region):
    res = imp(region, csv_bytes(SAMPLE), "x.csv")
    assert res.services.set_index("id").loc["s2", "name"] == HTML_NAME


# ---------------------------------------------------------------------------
# Export and round-trip
# ---------------------------------------------------------------------------
COMPARE = [c for c in services.SCHEMA_COLUMNS if c not in ("lat", "lon", "capacity")]


def assert_same(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> None:
    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    assert list(a.columns) == list(b.columns)
    text = [c for c in a.columns if c not in ("lat", "lon", "capacity", "geometry")]
    pd.testing.assert_frame_equal(a[text], b[text], check_dtype=False)
    for c in ("lat", "lon", "capacity"):
        np.testing.assert_allclose(a[c].to_numpy(float), b[c].to_numpy(float), atol=1e-9)
    d = [
        0.0 if (g1 is None and g2 is None) else g1.distance(g2)
        for g1, g2 in zip(a.geometry, b.geometry, strict=True)
    ]
    assert max(d) < 0.5


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".geojson", ".gpkg"])
def test_round_trip_real_file(real, region, tmp_path, suffix):
    path = services.export_services(real.services, tmp_path / f"export{suffix}")
    again = imp(region, path)
    assert again.problems == []
    assert again.summary()["by_precision"] == real.summary()["by_precision"]
    assert_same(real.services, again.services)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".geojson", ".gpkg"])
def test_round_trip_sample_with_formulas_and_html(region, tmp_path, suffix):
    first = imp(region, csv_bytes(SAMPLE), "x.csv")
    assert first.problems == []
    path = services.export_services(first.services, tmp_path / f"export{suffix}")
    again = imp(region, path)
    assert_same(first.services, again.services)
    assert again.services.set_index("id").loc["s3", "name"] == FORMULA


def test_csv_export_defuses_formulas(region, tmp_path):
    res = imp(region, csv_bytes(SAMPLE), "x.csv")
    path = services.export_services(res.services, tmp_path / "out.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM for Excel
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    by_id = {r["id"]: r for r in rows}
    assert by_id["s3"]["name"] == "'" + FORMULA
    assert by_id["s3"]["provider"] == "'@Träger"
    assert by_id["s4"]["provider"] == "'-Stadt"
    assert by_id["s3"]["status_note"] == "'+49 3632"
    assert by_id["s2"]["name"] == HTML_NAME
    assert not any(v.startswith(("=", "+", "@")) for r in rows for v in r.values())


def test_xlsx_export_has_no_formula_cells(region, tmp_path):
    res = imp(region, csv_bytes(SAMPLE), "x.csv")
    path = services.export_services(res.services, tmp_path / "out.xlsx")
    ws = openpyxl.load_workbook(path).active
    types = {c.data_type for row in ws.iter_rows() for c in row}
    assert "f" not in types
    header = [c.value for c in ws[1]]
    name_col = header.index("name") + 1
    names = [ws.cell(r, name_col).value for r in range(2, ws.max_row + 1)]
    assert "'" + FORMULA in names


def test_export_unknown_suffix(real, tmp_path):
    with pytest.raises(InputError, match="Exportformat"):
        services.export_services(real.services, tmp_path / "x.shp")


def test_geojson_export_is_wgs84(real, tmp_path):
    path = services.export_services(real.services, tmp_path / "x.geojson")
    fc = json.loads(path.read_text("utf-8"))
    feats = {f["properties"]["id"]: f for f in fc["features"]}
    assert feats["svc058"]["geometry"] is None
    lon, lat = feats["svc022"]["geometry"]["coordinates"]
    assert 10.8 < lon < 10.95 and 51.3 < lat < 51.4


# ---------------------------------------------------------------------------
# Property tests
# ---------------------------------------------------------------------------
HYP = hsettings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@HYP
@given(
    data=st.binary(max_size=400),
    name=st.sampled_from([None, "x.csv", "x.xlsx", "x.geojson", "x.gpkg", "x.txt"]),
)
def test_random_bytes_only_input_error(data, name):
    for payload in (data, b"PK\x03\x04" + data, b"SQLite format 3\x00" + data):
        try:
            df = services.read_services(payload, name)
        except InputError:
            continue
        assert isinstance(df, pd.DataFrame) and len(df) > 0


@HYP
@given(text=st.text(max_size=300))
def test_random_text_only_input_error(text):
    for payload in (text, "id,name,category,town\n" + text, "id;name;kategorie;ort\n" + text):
        try:
            df = services.read_services(payload.encode("utf-8"), "x.csv")
        except InputError:
            continue
        assert len(df) > 0 and {"id", "name", "town"} <= set(df.columns)


cell = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        [
            "",
            "51,3",
            "11.2",
            "NaN",
            "-inf",
            "1e400",
            "=1+1",
            "<b>x</b>",
            "Artern",
            "99706",
            "Kita",
            "Jugend",
            "unbekannt (Tel. 1)",
            "'=A1",
            "  ",
            "0",
        ]
    ),
)
ROW = st.fixed_dictionaries(
    {
        c: cell
        for c in (
            "id",
            "name",
            "category",
            "subcategory",
            "town",
            "ortsteil",
            "postcode",
            "lat",
            "lon",
            "capacity",
        )
    }
)


@hsettings(HYP, max_examples=25)
@given(rows=st.lists(ROW, min_size=1, max_size=6), fmt=st.sampled_from([".csv", ".xlsx"]))
def test_random_cells_never_crash_and_rows_are_accounted(region, tmp_path_factory, rows, fmt):
    if fmt == ".xlsx":  # characters that Excel cannot store at all
        rows = [{k: ILLEGAL_CHARACTERS_RE.sub("", v) for k, v in r.items()} for r in rows]
    df = pd.DataFrame(rows, dtype="str")
    data = csv_bytes(df) if fmt == ".csv" else xlsx_bytes(df, numbers=False)
    try:
        res = imp(region, data, "x" + fmt)
    except InputError:
        return
    n_rows = len(services.read_services(data, "x" + fmt))
    bad_rows = {p.row for p in res.problems}
    assert len(res.services) + len(bad_rows) == n_rows
    assert set(res.services["precision"]) <= set(settings.PRECISIONS)
    assert res.services["id"].is_unique
    s = res.summary()
    assert sum(s["by_precision"].values()) == s["imported"]
    # names (HTML included) survive verbatim apart from surrounding whitespace
    src = {r["id"].strip(): r["name"].strip() for r in rows}
    for ident, name in zip(res.services["id"], res.services["name"], strict=True):
        if ident in src and not src[ident].startswith("'"):
            assert name == src[ident]
    if res.services.empty:
        return
    out = tmp_path_factory.mktemp("rt") / ("out" + fmt)
    services.export_services(res.services, out)
    again = imp(region, out)
    assert list(again.services["id"]) == list(res.services["id"])


@HYP
@given(name=st.text(alphabet=string.printable + "äöüß<>&\"'", min_size=1, max_size=40))
def test_html_and_any_name_round_trip(region, tmp_path_factory, name):
    name = name.strip()
    if not name or "\x0b" in name or "\x0c" in name or "\r" in name or "\n" in name:
        return
    gemeinden, outline, *_ = region
    df = pd.DataFrame([{**GOOD, "name": name, "lat": "51.36", "lon": "11.29"}], dtype="str")
    raw = services.read_services(csv_bytes(df), "x.csv")
    clean, problems = services.validate_services(raw, gemeinden, outline)
    assert problems == []
    expected = name[1:] if name[0] == "'" and name[1:2] in tuple("=+-@") else name
    expected = re.sub(r"\t+", " ", expected).strip()  # tabs in a cell become one blank
    assert clean["name"].iloc[0] == expected
    out = tmp_path_factory.mktemp("n") / "n.csv"
    services.export_services(clean, out)
    assert services.read_services(out)["name"].iloc[0] == expected


# ---------------------------------------------------------------------------
# Hand-made fixture: a German Excel "CSV (Trennzeichen-getrennt)" export
# ---------------------------------------------------------------------------
FIXTURE = __import__("pathlib").Path(__file__).parent / "fixtures/services/excel_de_semikolon.csv"


def test_german_excel_csv_fixture(region):
    res = imp(region, FIXTURE)
    assert [(p.row, p.column) for p in res.problems] == [(5, "lat")]  # Jena: outside
    assert "außerhalb der Region" in res.problems[0].message
    sv = res.services.set_index("id")
    assert list(sv.index) == ["A-1", "A-2", "A-3", "A-4"]
    assert sv.loc["A-1", "precision"] == "coordinates"
    assert sv.loc["A-1", "lat"] == 51.1591 and sv.loc["A-1", "capacity"] == 25
    assert sv.loc["A-1", "opening_hours"] == "Mo–Fr 9–17 Uhr"  # cp1252 en dash
    assert (sv.loc["A-2", "category"], sv.loc["A-2", "category_source"]) == ("Senioren", "Familie")
    assert sv.loc["A-2", "precision"] == "village"
    assert "Großfurra" in sv.loc["A-3", "geocode_note"]
    assert sv.loc["A-4", "name"].startswith("=HYPERLINK(")
    assert sv.loc["A-4", "Bemerkung"] == "Formel bleibt Text"
