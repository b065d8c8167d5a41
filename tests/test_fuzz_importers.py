"""Property and fuzz tests for the importers not covered elsewhere (Hardening issue).

Planning regions (``geo.planning.read_planning``), scenario files
(``geo._scenario_io.import_scenario``, ``geo.scenario_store.ScenarioStore``) and OSM
files (``geo.network.build_networks``, ``geo.osmpoi.read_osm_services``) get random
bytes, truncated files, wrong encodings, oversized files, formula-like and HTML cells,
NaN/inf/swapped coordinates and invalid/empty/3D geometries. Every failure must be a
:class:`geo._errors.NahraumError` subclass with a German message, never another
exception type, and must leave no partial state behind.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import string
import tempfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from geo import _osm, _tables, network, osmpoi, planning, settings
from geo._errors import DataFileError, InputError, NahraumError, NetworkError
from geo._scenario_io import geopackage_bytes, import_scenario, to_geojson
from geo.network import to_xy
from geo.scenario import AddSite, Extent, MoveSite, Pin, Scenario, ScenarioFileError
from geo.scenario_store import DAMAGED_MARK, ScenarioStore
from tests.test_planning import AGS, X0, Y0, make_region

REPO = Path(__file__).resolve().parents[1]
NB_OSM = settings.data_dir() / "osm" / "north-bayreuth.osm.gz"

HYP = hsettings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
#: Words that show a message is German (every importer message contains one of them).
GERMAN = (
    "Datei",
    "Die ",
    "kein",
    "nicht",
    "Szenario",
    "Zeile",
    "Spalte",
    "erwartet",
    "fehlt",
    "Planungsr",
    "OSM",
    "Straßen",
    "größer",
    "beschädigt",
    "Geodatei",
    "leer",
)


def assert_german(exc: NahraumError) -> None:
    text = str(exc)
    assert text.strip(), "empty error message"
    assert any(w in text for w in GERMAN), text
    assert "Traceback" not in text


# ---------------------------------------------------------------------------
# Planning regions
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def region():
    return make_region()


def _snapshot(region) -> tuple:
    return (region.gemeinden.to_wkt().to_csv(), region.cells.to_csv(), region.outline.wkb)


def _planning(data, region, name):
    """read_planning that may only fail with InputError; returns the result or None."""
    before = _snapshot(region)
    try:
        res = planning.read_planning(data, region, file_name=name)
    except InputError as exc:
        assert_german(exc)
        res = None
    except NahraumError as exc:  # pragma: no cover - would be a wrong subclass
        pytest.fail(f"{type(exc).__name__} statt InputError: {exc}")
    assert _snapshot(region) == before, "the region was changed by an import"
    if res is not None:
        assert isinstance(res, planning.PlanningRegions)
        assert set(res.assignment["ags"]) == set(AGS)
    return res


PLANNING_NAMES = [None, "p.csv", "p.xlsx", "p.geojson", "p.json", "p.gpkg", "p.txt", "p.tsv"]


@HYP
@given(
    data=st.binary(max_size=400),
    name=st.sampled_from(PLANNING_NAMES),
    prefix=st.sampled_from(
        [
            b"",
            b"PK\x03\x04",
            b"SQLite format 3\x00",
            b"{",
            b"\xef\xbb\xbf",
            b"Planungsraum;AGS\n",
            b"\xd0\xcf\x11\xe0",
        ]
    ),
)
def test_planning_random_bytes_only_input_error(region, data, name, prefix):
    _planning(prefix + data, region, name or "Upload")


@HYP
@given(text=st.text(max_size=300), sep=st.sampled_from([";", ",", "\t"]))
def test_planning_random_text_only_input_error(region, text, sep):
    _planning(f"Planungsraum{sep}AGS\n{text}".encode(), region, "p.csv")


def _table(rows: list[tuple[str, str]], fmt: str, encoding: str = "utf-8") -> bytes:
    if fmt == ".xlsx":
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(["Planungsraum", "AGS"])
        for name, ags in rows:
            ws.append([name, ags])  # "=…" becomes a formula cell: must come back as its text
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()
    df = pd.DataFrame(rows, columns=["Planungsraum", "AGS"])
    return df.to_csv(sep=";", index=False).encode(encoding)


NAME = st.one_of(
    st.sampled_from(
        [
            "=1+1",
            '=HYPERLINK("http://x","y")',
            "+49 3631",
            "-Nord",
            "@SUM(A1)",
            "'=A1",
            "<script>alert(1)</script>",
            "<b>Nord</b>",
            '"Süd"; x',
            "Ä&Ö <img src=x onerror=alert(1)>",
            "javascript:alert(1)",
            "NaN",
            "inf",
            "Sozialraum Mitte",
        ]
    ),
    st.text(alphabet=string.printable + "äöüßÄ€<>&\"'=+-@", min_size=1, max_size=30),
)


@HYP
@given(names=st.lists(NAME, min_size=2, max_size=2), fmt=st.sampled_from([".csv", ".xlsx"]))
def test_planning_names_formulas_and_html_kept_as_text(region, names, fmt):
    clean = [ILLEGAL_CHARACTERS_RE.sub("", n) if fmt == ".xlsx" else n for n in names]
    clean = [
        n.replace("\r", " ").replace("\n", " ").replace("\x0b", " ").replace("\x0c", " ")
        for n in clean
    ]
    expected = [n.strip() for n in clean]  # verbatim, even an apostrophe in front
    if not all(expected) or expected[0] == expected[1]:
        return
    rows = [(clean[0], AGS[0]), (clean[0], AGS[1]), (clean[1], f"{AGS[2]}, {AGS[3]}")]
    res = _planning(_table(rows, fmt), region, "p" + fmt)
    assert res is not None
    assert res.names == expected  # verbatim text, nothing evaluated or escaped
    assert dict(zip(res.assignment["ags"], res.assignment["planning_region"], strict=True)) == dict(
        zip(AGS, [expected[0]] * 2 + [expected[1]] * 2, strict=True)
    )


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig", "utf-8"])
def test_planning_cp1252_and_utf8_give_the_same_names(region, encoding):
    rows = [
        ("Südstadt – Ost", AGS[0]),
        ("Südstadt – Ost", AGS[1]),
        ("Großraum €", AGS[2]),
        ("Großraum €", AGS[3]),
    ]
    res = _planning(_table(rows, ".csv", encoding), region, "p.csv")
    assert res.names == ["Südstadt – Ost", "Großraum €"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_planning_utf16_is_read(region, encoding):
    rows = [("Nord", AGS[0]), ("Nord", AGS[1]), ("Süd", AGS[2]), ("Süd", AGS[3])]
    res = _planning(_table(rows, ".csv", encoding), region, "p.csv")
    assert res.names == ["Nord", "Süd"]


def test_planning_utf32_is_rejected_in_german(region):
    rows = [("Nord", AGS[0]), ("Nord", AGS[1]), ("Süd", AGS[2]), ("Süd", AGS[3])]
    with pytest.raises(InputError, match="UTF-8|Windows-1252"):
        planning.read_planning(_table(rows, ".csv", "utf-32"), region, file_name="p.csv")


@pytest.fixture
def parsers_forbidden(monkeypatch):
    """Replace every parser behind the importers by one that fails the test."""
    import pyogrio

    def boom(*_a, **_k):
        raise AssertionError("parser called for an oversized file")

    monkeypatch.setattr(settings, "MAX_UPLOAD_BYTES", 64)
    for mod, attr in (
        (_tables, "parse_csv"),
        (_tables, "parse_xlsx"),
        (_tables, "decode"),
        (pyogrio, "read_dataframe"),
        (pyogrio, "list_layers"),
    ):
        monkeypatch.setattr(mod, attr, boom)
    import geo.scenario as scenario_mod

    monkeypatch.setattr(scenario_mod, "strict_json", boom)
    monkeypatch.setattr(scenario_mod, "load_json", boom)
    import geo._scenario_io as sio
    import geo.scenario_store as store_mod

    monkeypatch.setattr(sio, "load_json", boom)
    monkeypatch.setattr(store_mod, "load_json", boom)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".geojson", ".gpkg"])
def test_planning_oversized_rejected_before_parsing(region, tmp_path, parsers_forbidden, suffix):
    data = b"Planungsraum;AGS\n" + b"Nord;16099001\n" * 10
    path = tmp_path / f"gross{suffix}"
    path.write_bytes(data)
    fh = io.BytesIO(data)
    fh.name = f"upload{suffix}"
    for source in (data, path, fh):
        with pytest.raises(InputError, match="größer als") as err:
            planning.read_planning(source, region, file_name=f"gross{suffix}")
        assert_german(err.value)


def _fc(geometries: list, names: list[str] | None = None, crs: str | None = "3035") -> bytes:
    feats = [
        {
            "type": "Feature",
            "properties": {"Sozialraum": (names or [f"R{i}" for i in range(len(geometries))])[i]},
            "geometry": g,
        }
        for i, g in enumerate(geometries)
    ]
    obj = {"type": "FeatureCollection", "features": feats}
    if crs:
        obj["crs"] = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{crs}"}}
    return json.dumps(obj, allow_nan=True).encode()


def _ring(x0, y0, x1, y1, z=None):
    pts = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
    return [[*p, z] if z is not None else list(p) for p in pts]


WHOLE = _ring(X0 - 10, Y0 - 10, X0 + 4010, Y0 + 4010)


def test_planning_polygons_3d_are_accepted_with_z_dropped(region):
    """docs/exports.md: a third coordinate (height) is dropped."""
    assert "(height) dropped" in (REPO / "docs" / "exports.md").read_text("utf-8")
    geo3d = {
        "type": "Polygon",
        "coordinates": [_ring(X0 - 10, Y0 - 10, X0 + 4010, Y0 + 4010, z=412.5)],
    }
    res = _planning(_fc([geo3d]), region, "p.geojson")
    assert res is not None and res.names == ["R0"]
    assert not any(shapely.has_z(res.regions.geometry.values))


@pytest.mark.parametrize(
    "geometry, match",
    [
        (None, "keine Geometrie"),
        ({"type": "Polygon", "coordinates": []}, "keine Geometrie"),
        ({"type": "Point", "coordinates": [X0 + 10, Y0 + 10]}, "keine Fläche"),
        ({"type": "LineString", "coordinates": [[X0, Y0], [X0 + 4000, Y0 + 4000]]}, "keine Fläche"),
        ({"type": "Polygon", "coordinates": [[[X0, Y0], [X0 + 1, Y0], [X0, Y0]]]}, "."),
        ({"type": "Polygon", "coordinates": [[[X0, Y0]]]}, "."),
        ({"type": "Polygon", "coordinates": [[[X0, Y0], [X0, Y0], [X0, Y0], [X0, Y0]]]}, "."),
        ({"type": "Polygon", "coordinates": "abc"}, "."),
        ({"type": "Kreis", "coordinates": [1, 2]}, "."),
        ({"type": "Polygon", "coordinates": [_ring(math.nan, Y0, X0 + 4000, Y0 + 4000)]}, "."),
        ({"type": "Polygon", "coordinates": [_ring(X0, Y0, math.inf, Y0 + 4000)]}, "."),
        (
            {"type": "Polygon", "coordinates": [_ring(-math.inf, -math.inf, math.inf, math.inf)]},
            ".",
        ),
    ],
)
def test_planning_bad_geometries_only_input_error(region, geometry, match):
    """Invalid, empty, degenerate, NaN/inf: a German InputError (or a valid result)."""
    data = _fc([geometry, {"type": "Polygon", "coordinates": [WHOLE]}])
    if _planning(data, region, "p.geojson") is None:
        with pytest.raises(InputError, match=match):
            planning.read_planning(data, region, file_name="p.geojson")


def test_planning_swapped_lonlat_does_not_fit_the_region(region):
    lon0, lat0 = 11.0, 51.0
    ring = [
        [lat0, lon0],
        [lat0 + 0.1, lon0],
        [lat0 + 0.1, lon0 + 0.1],
        [lat0, lon0 + 0.1],
        [lat0, lon0],
    ]  # lat/lon swapped: somewhere in the Indian Ocean
    with pytest.raises(InputError, match="passen nicht zur Region") as err:
        planning.read_planning(
            _fc([{"type": "Polygon", "coordinates": [ring]}], crs=None),
            region,
            file_name="p.geojson",
        )
    assert_german(err.value)


def test_planning_bowtie_is_repaired(region):
    bowtie = [
        [X0 - 10, Y0 - 10],
        [X0 + 4010, Y0 + 4010],
        [X0 + 4010, Y0 - 10],
        [X0 - 10, Y0 + 4010],
        [X0 - 10, Y0 - 10],
    ]
    _planning(_fc([{"type": "Polygon", "coordinates": [bowtie]}]), region, "p.geojson")


COORD = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(X0 - 5000, X0 + 9000),
    st.floats(Y0 - 5000, Y0 + 9000),
)


@HYP
@given(
    rings=st.lists(
        st.lists(st.lists(COORD, min_size=2, max_size=3), min_size=0, max_size=6),
        min_size=1,
        max_size=3,
    ),
    kind=st.sampled_from(["Polygon", "MultiPolygon", "LineString", "Point"]),
)
def test_planning_random_polygon_coordinates(region, rings, kind):
    coords: object = rings
    if kind == "MultiPolygon":
        coords = [rings]
    elif kind == "LineString":
        coords = rings[0]
    elif kind == "Point":
        coords = rings[0][0] if rings[0] else []
    _planning(_fc([{"type": kind, "coordinates": coords}]), region, "p.geojson")


@pytest.mark.parametrize("case", ["3d", "empty", "inf", "point", "bowtie", "no_rows"])
def test_planning_gpkg_geometries(region, tmp_path, case):
    box = shapely.box(X0 - 10, Y0 - 10, X0 + 4010, Y0 + 4010)
    geom = {
        "3d": lambda: shapely.force_3d(box, 99.0),
        "empty": shapely.Polygon,
        "inf": lambda: shapely.Polygon([(X0, Y0), (math.inf, Y0), (X0 + 5, Y0 + 5)]),
        "point": lambda: shapely.Point(X0, Y0),
        "bowtie": lambda: shapely.Polygon(
            [(X0 - 10, Y0 - 10), (X0 + 4010, Y0 + 4010), (X0 + 4010, Y0 - 10), (X0 - 10, Y0 + 4010)]
        ),
        "no_rows": lambda: box,
    }[case]()
    gdf = gpd.GeoDataFrame({"name": ["Nord"]}, geometry=[geom], crs=settings.CRS_METRIC)
    if case == "no_rows":
        gdf = gdf.iloc[:0]
    path = tmp_path / "p.gpkg"
    gdf.to_file(path, driver="GPKG")
    res = _planning(path.read_bytes(), region, "p.gpkg")
    if case in ("3d", "bowtie"):
        assert res is not None and res.names == ["Nord"]
        assert not any(shapely.has_z(res.regions.geometry.values))
    else:
        assert res is None


# ---------------------------------------------------------------------------
# Scenario files
# ---------------------------------------------------------------------------
LON0, LAT0 = 11.58, 49.94  # Bayreuth
_x0, _y0 = (float(v[0]) for v in to_xy([LON0], [LAT0]))
SCN_EXTENT = Extent(
    shapely.box(_x0 - 20_000, _y0 - 20_000, _x0 + 20_000, _y0 + 20_000), "test", "der Testregion"
)


def good_scenario() -> Scenario:
    s = Scenario("Fuzz <b>Test</b>", region="test").with_changes(
        [
            AddSite(
                x=_x0 + 100,
                y=_y0 + 200,
                name="=FZ()",
                category="Familie",
                subcategory="Familienzentrum",
            ),
            MoveSite(service_id="s1", x=_x0 - 300, y=_y0 + 50),
        ]
    )
    return s.with_pin(Pin(x=_x0, y=_y0, kind="missing", text="<script>x</script>"))


def _scenario(data: bytes, name: str, extent: Extent | None = SCN_EXTENT) -> Scenario | None:
    try:
        res = import_scenario(data, filename=name, extent=extent)
    except ScenarioFileError as exc:
        assert_german(exc)
        return None
    assert isinstance(res, Scenario)
    return res


def test_good_scenario_round_trip():
    s = good_scenario()
    assert _scenario(json.dumps(to_geojson(s)).encode(), "s.geojson") == s
    assert _scenario(geopackage_bytes(s), "s.gpkg") == s


@HYP
@given(
    data=st.binary(max_size=400),
    name=st.sampled_from(["s.geojson", "s.json", "s.gpkg", "s.txt", "Upload"]),
    prefix=st.sampled_from(
        [
            b"",
            b"SQLite format 3\x00",
            b"\xef\xbb\xbf",
            b'{"type": "FeatureCollection", "features": [',
        ]
    ),
)
def test_scenario_random_bytes_only_scenario_error(data, name, prefix):
    _scenario(prefix + data, name)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
GOOD_GJ = to_geojson(good_scenario())
GOOD_FEATURE = GOOD_GJ["features"][0]
GOOD_GPKG = geopackage_bytes(good_scenario())


@HYP
@given(top=JSON, feature=JSON, meta=JSON, where=st.integers(0, 2))
def test_scenario_random_json_structures(top, feature, meta, where):
    _scenario(json.dumps(top).encode(), "s.geojson")
    gj = json.loads(json.dumps(GOOD_GJ))
    if where == 0:
        gj["features"].append(feature)
    elif where == 1:
        gj["nahraum"] = meta
    else:
        gj["features"][0]["properties"]["nahraum_type"] = feature
    _scenario(json.dumps(gj).encode(), "s.geojson")


@HYP
@given(
    key=st.sampled_from(sorted(GOOD_FEATURE["properties"])),
    value=st.one_of(
        JSON,
        st.sampled_from(
            ["=1+1", "<script>alert(1)</script>", "", "NaN", 1e308, -1e308, 2**70, "1e999"]
        ),
    ),
    feat=st.integers(0, len(GOOD_GJ["features"]) - 1),
)
def test_scenario_random_property_values(key, value, feat):
    gj = json.loads(json.dumps(GOOD_GJ))
    gj["features"][feat]["properties"][key] = value
    _scenario(json.dumps(gj).encode(), "s.geojson")


@HYP
@given(
    coords=st.lists(
        st.one_of(
            st.floats(),
            st.integers(-(10**20), 10**20),
            st.text(max_size=3),
            st.none(),
            st.booleans(),
        ),
        max_size=4,
    ),
    gtype=st.sampled_from(["Point", "LineString", "Polygon", "MultiPoint", None, 7]),
)
@example(coords=[math.nan, LAT0], gtype="Point")
@example(coords=[LON0, math.inf], gtype="Point")
def test_scenario_random_geometry(coords, gtype):
    gj = json.loads(json.dumps(GOOD_GJ))
    gj["features"][0]["geometry"] = {"type": gtype, "coordinates": coords}
    text = json.dumps(gj, allow_nan=True)
    res = _scenario(text.encode(), "s.geojson")
    if any(isinstance(c, float) and not math.isfinite(c) for c in coords):
        assert res is None  # NaN/Infinity literals are never accepted


def _with_point(coords) -> bytes:
    gj = json.loads(json.dumps(GOOD_GJ))
    gj["features"][0]["geometry"] = {"type": "Point", "coordinates": coords}
    gj["features"][0]["properties"]["x"] = gj["features"][0]["properties"]["y"] = None
    return json.dumps(gj).encode()


def test_scenario_3d_point_is_accepted_with_z_dropped():
    """docs/scenarios.md: a third coordinate (height) is ignored."""
    lon, lat = GOOD_FEATURE["geometry"]["coordinates"][:2]
    back = _scenario(_with_point([lon, lat, 345.0]), "s.geojson")
    assert back is not None
    assert back == _scenario(_with_point([lon, lat]), "s.geojson")
    assert "height" in (REPO / "docs" / "scenarios.md").read_text("utf-8")


def test_scenario_swapped_lonlat_is_outside_the_extent():
    lon, lat = GOOD_FEATURE["geometry"]["coordinates"][:2]
    with pytest.raises(ScenarioFileError, match="außerhalb|Länge/Breite") as err:
        import_scenario(_with_point([lat, lon]), filename="s.geojson", extent=SCN_EXTENT)
    assert_german(err.value)
    with pytest.raises(ScenarioFileError, match="Länge/Breite"):  # lat 11.58 is fine, lon > 90
        import_scenario(_with_point([lon, 95.0]), filename="s.geojson", extent=SCN_EXTENT)


def _gpkg_with(geoms: list) -> bytes:
    """The good scenario's GeoPackage with the site geometries replaced."""
    import pyogrio

    good = GOOD_GPKG

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "a.gpkg"
        src.write_bytes(good)
        sites = pyogrio.read_dataframe(src, layer="scenario_sites")
        meta = pyogrio.read_dataframe(src, layer="scenario_meta", read_geometry=False)
        sites = sites.set_geometry(
            gpd.GeoSeries((geoms + list(sites.geometry.values))[: len(sites)], crs=sites.crs)
        )
        sites["x"] = sites["y"] = None
        dst = Path(tmp) / "b.gpkg"
        pyogrio.write_dataframe(sites, dst, layer="scenario_sites", driver="GPKG")
        pyogrio.write_dataframe(meta, dst, layer="scenario_meta", driver="GPKG")
        return dst.read_bytes()


@pytest.mark.parametrize("case", ["3d", "polygon", "line", "empty", "nan", "inf", "swapped"])
def test_scenario_gpkg_geometries(case):
    lon, lat = GOOD_FEATURE["geometry"]["coordinates"][:2]
    geom = {
        "3d": shapely.Point(lon, lat, 345.0),
        "polygon": shapely.box(lon, lat, lon + 0.01, lat + 0.01),
        "line": shapely.LineString([(lon, lat), (lon + 0.01, lat)]),
        "empty": shapely.Point(),
        "nan": shapely.Point(math.nan, lat),
        "inf": shapely.Point(lon, math.inf),
        "swapped": shapely.Point(lat, lon),
    }[case]
    res = _scenario(_gpkg_with([geom]), "s.gpkg")
    if case == "3d":
        assert res == _scenario(_gpkg_with([shapely.Point(lon, lat)]), "s.gpkg")
        assert res is not None
    else:
        assert res is None


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg"])
def test_scenario_oversized_rejected_before_parsing(tmp_path, parsers_forbidden, suffix):
    data = json.dumps(GOOD_GJ).encode() if suffix == ".geojson" else GOOD_GPKG
    path = tmp_path / f"s{suffix}"
    path.write_bytes(data)
    for source in (data, path):
        with pytest.raises(ScenarioFileError, match="größer als") as err:
            import_scenario(source, filename=f"s{suffix}", extent=SCN_EXTENT)
        assert_german(err.value)


def test_store_oversized_file_rejected_before_parsing(tmp_path, monkeypatch):
    store = ScenarioStore(tmp_path, SCN_EXTENT)
    store.save(good_scenario())
    path = store.path_for(good_scenario().name)
    import geo.scenario_store as store_mod

    def boom(*_a, **_k):
        raise AssertionError("parser called for an oversized file")

    monkeypatch.setattr(settings, "MAX_UPLOAD_BYTES", 64)
    monkeypatch.setattr(store_mod, "load_json", boom)
    with pytest.raises(ScenarioFileError, match="zu groß") as err:
        store.load(good_scenario().name)
    assert_german(err.value)
    assert not path.exists() and err.value.moved_to  # moved aside, never half-read


def _folder_state(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@hsettings(HYP, max_examples=30)
@given(
    data=st.binary(max_size=300),
    cut=st.integers(0, 10_000),
    kind=st.sampled_from(["bytes", "truncated", "mutated"]),
    value=JSON,
)
def test_store_damaged_files_and_failed_imports_leave_no_partial_state(
    tmp_path_factory, data, cut, kind, value
):
    folder = tmp_path_factory.mktemp("store")
    store = ScenarioStore(folder, SCN_EXTENT)
    good = good_scenario()
    store.save(good)
    before = _folder_state(folder)
    # a failed import does not touch the store
    _scenario(data, "upload.geojson")
    assert _folder_state(folder) == before
    # a damaged file in the store: German error, moved aside, the good one unchanged
    bad = Scenario("Kaputt", region="test").with_pin(Pin(x=_x0, y=_y0, kind="known"))
    text = bad.to_json()
    damaged = {
        "bytes": data,
        "truncated": text.encode()[: cut % max(1, len(text.encode()) - 1)],
        "mutated": None,
    }[kind]
    if damaged is None:
        obj = json.loads(text)
        obj[sorted(obj)[cut % len(obj)]] = value
        damaged = json.dumps(obj).encode()
    store.save(bad)
    path = store.path_for("Kaputt")
    path.write_bytes(damaged)
    try:
        loaded = store.load("Kaputt")
    except ScenarioFileError as exc:
        assert_german(exc)
        if exc.moved_to:  # damaged: moved aside, listed no more
            assert not path.exists() and (folder / exc.moved_to).read_bytes() == damaged
            assert [i.name for i in store.list() if i.error is None] == [good.name]
        else:  # refused but left untouched (newer version, other region)
            assert path.read_bytes() == damaged
    else:
        assert isinstance(loaded, Scenario)
    assert store.load(good.name) == good
    assert {k: v for k, v in _folder_state(folder).items() if k in before} == before
    assert all(DAMAGED_MARK in n or n in before or n == path.name for n in _folder_state(folder))


# ---------------------------------------------------------------------------
# OSM files
# ---------------------------------------------------------------------------
OSM_SUFFIXES = [".osm", ".osm.gz", ".osm.bz2", ".osm.pbf", ".xml"]


def _osm_both(path: Path) -> None:
    """build_networks → NetworkError only; read_osm_services → DataFileError or a frame."""
    try:
        nets = network.build_networks(path, modes=("walk",))
    except NetworkError as exc:
        assert_german(exc)
    else:  # pragma: no cover - random data will not hold a road network
        assert nets["walk"].n_nodes > 0
    try:
        df = osmpoi.read_osm_services(path)
    except DataFileError as exc:
        assert_german(exc)
    else:
        assert isinstance(df, pd.DataFrame)


@hsettings(HYP, max_examples=30)
@given(
    data=st.binary(max_size=300),
    suffix=st.sampled_from(OSM_SUFFIXES),
    prefix=st.sampled_from(
        [
            b"",
            b"<?xml version='1.0'?><osm version='0.6'>",
            b"\x1f\x8b",
            b"BZh9",
            b"\x00\x00\x00\x0d\n\tOSMHeader",
        ]
    ),
)
def test_osm_random_bytes_each_suffix(tmp_path_factory, data, suffix, prefix):
    path = tmp_path_factory.mktemp("osm") / f"x{suffix}"
    path.write_bytes(prefix + data)
    _osm_both(path)


@pytest.mark.parametrize("suffix", OSM_SUFFIXES)
def test_osm_empty_file(tmp_path, suffix):
    path = tmp_path / f"leer{suffix}"
    path.write_bytes(b"")
    _osm_both(path)
    with pytest.raises(NetworkError):
        network.build_networks(path, modes=("walk",))


NO_HIGHWAYS = b"""<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test">
  <node id="1" lat="49.94" lon="11.58" version="1"/>
  <node id="2" lat="49.941" lon="11.58" version="1"/>
  <node id="3" lat="49.941" lon="11.581" version="1"/>
  <node id="4" lat="nan" lon="inf" version="1"><tag k="amenity" v="social_facility"/></node>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="1"/>
    <tag k="building" v="yes"/><tag k="name" v="&lt;script&gt;alert(1)&lt;/script&gt;"/></way>
</osm>
"""


@pytest.mark.parametrize("suffix", [".osm", ".osm.gz", ".osm.bz2", ".osm.pbf"])
def test_osm_without_highways(tmp_path, suffix):
    import bz2

    import osmium

    path = tmp_path / f"ohne{suffix}"
    if suffix == ".osm.pbf":
        src = tmp_path / "ohne.osm"
        src.write_bytes(NO_HIGHWAYS.replace(b'lat="nan" lon="inf"', b'lat="49.9" lon="11.5"'))
        with osmium.SimpleWriter(str(path)) as w:
            for obj in osmium.FileProcessor(str(src)):
                w.add(obj)
    else:
        comp = {".osm": lambda b: b, ".osm.gz": gzip.compress, ".osm.bz2": bz2.compress}[suffix]
        path.write_bytes(comp(NO_HIGHWAYS))
    with pytest.raises(NetworkError, match="keine Straßen") as err:
        network.build_networks(path, modes=("walk",))
    assert_german(err.value)
    _osm_both(path)


BAD_NODES = b"""<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test">
  <node id="1" lat="49.94" lon="11.58" version="1"/>
  <node id="2" lat="nan" lon="11.58" version="1"/>
  <node id="3" lat="49.941" lon="inf" version="1"/>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="99"/>
    <tag k="highway" v="residential"/></way>
</osm>
"""


@pytest.mark.parametrize("suffix", [".osm", ".osm.gz"])
def test_osm_highway_with_nan_and_missing_nodes(tmp_path, suffix):
    path = tmp_path / f"kaputt{suffix}"
    path.write_bytes(gzip.compress(BAD_NODES) if suffix.endswith(".gz") else BAD_NODES)
    _osm_both(path)


def _nb_bytes() -> bytes:
    if not NB_OSM.is_file():
        pytest.skip(f"real OSM test data missing: {NB_OSM}")
    return NB_OSM.read_bytes()


@hsettings(HYP, max_examples=12)
@given(frac=st.floats(0.0, 0.98))
@example(frac=0.0)
@example(frac=0.5)
def test_osm_truncated_gzip(tmp_path_factory, frac):
    raw = _nb_bytes()
    path = tmp_path_factory.mktemp("trunc") / "north-bayreuth.osm.gz"
    path.write_bytes(raw[: int(len(raw) * frac)])
    _osm_both(path)


def test_osm_truncated_plain_xml(tmp_path):
    xml = gzip.decompress(_nb_bytes())
    for k, frac in enumerate((0.001, 0.3)):
        path = tmp_path / f"halb{k}.osm"
        path.write_bytes(xml[: int(len(xml) * frac)])
        _osm_both(path)


def test_osm_files_are_exempt_from_the_upload_limit_and_that_is_documented(tmp_path, monkeypatch):
    """State extracts are large: OSM files are read from disk without the upload limit."""
    text = (REPO / "docs" / "traveltime.md").read_text("utf-8")
    assert "MAX_UPLOAD_BYTES" in text
    monkeypatch.setattr(settings, "MAX_UPLOAD_BYTES", 16)
    path = tmp_path / "ohne.osm"
    path.write_bytes(NO_HIGHWAYS)
    with pytest.raises(NetworkError, match="keine Straßen"):  # parsed, not rejected as too big
        _osm.read_osm(path)
