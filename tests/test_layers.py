"""Unit tests for the map layers on small hand-made data (no raw data, no browser)."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from PIL import Image
from pyproj import Transformer

from geo import settings
from layers import _assets, boundaries, cells, legend, services, stops
from layers import map as maplayers

EVIL = "<script>alert(1)</script>"
EVIL_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
SOURCE = "https://example.org/quelle?a=1&b=2"
X0, Y0 = 4_400_000, 3_120_000  # EPSG:3035, near Sömmerda


def _square(x: float, y: float, size: float = 2000.0) -> shapely.Polygon:
    return shapely.box(x, y, x + size, y + size)


@pytest.fixture
def region() -> SimpleNamespace:
    """A three-Gemeinden region following the contract in docs/architecture.md."""
    gemeinden = gpd.GeoDataFrame(
        {
            "ags": ["16068001", "16068002", "16065003"],
            "name": [EVIL, "Großstadt", "Dorf & Co"],
            "kreis": ["16068", "16068", "16065"],
            "kreis_name": ["Landkreis Sömmerda", "Landkreis Sömmerda", "Kyffhäuserkreis"],
            "vg": ["", "", ""],
            "pop": [120, 8000, 45],
            "pop_vg250": [120, 8000, 45],
            "pop_gv100": [121, 8010, 45],
            "area_km2": [4.0, 4.0, 4.0],
        },
        geometry=[_square(X0, Y0), _square(X0 + 2000, Y0), _square(X0 + 4000, Y0)],
        crs=settings.CRS_METRIC,
    )
    cell_df = pd.DataFrame({
        "x": [X0 + 50, X0 + 2550, X0 + 4950],
        "y": [Y0 + 50, Y0 + 1050, Y0 + 1950],
        "ags": ["16068001", "16068002", "16065003"],
        "pop": [3.0, 15.0, 200.0],
    })
    for code in settings.TARGET_GROUPS:
        if code != "pop":
            cell_df[code] = 1.0
    service_df = gpd.GeoDataFrame(
        {
            "id": ["s1", "s2", "s3", "s4"],
            "name": [EVIL, "Familienzentrum \"Sonne\"", "Jugendclub", "Ohne Ort"],
            "category": ["Beratung", "Familie", "Jugend", "Beratung"],
            "subcategory": ["Schuldnerberatung <b>", "Familienzentrum", "Jugendclub", ""],
            "provider": ["Träger & Partner", "Stadt", None, ""],
            "street": ["Markt 1", "", "", ""],
            "postcode": ["99610", "", "", ""],
            "town": ["Sömmerda", "Dorf", "Dorf", ""],
            "ortsteil": ["", "", "", ""],
            "source": [SOURCE, "javascript:alert(1)", "", ""],
            "status": ["aktiv", "aktiv", "aktiv", "aktiv"],
            "precision": ["coordinates", "village", "village", "not_found"],
        },
        geometry=[shapely.Point(X0 + 500, Y0 + 500), shapely.Point(X0 + 4500, Y0 + 1500),
                  shapely.Point(X0 + 4500, Y0 + 1500), None],
        crs=settings.CRS_METRIC,
    )
    stop_df = gpd.GeoDataFrame(
        {"id": ["1", "2"], "name": ["Bahnhof " + EVIL, "Dorfplatz"], "weight": [0.9, 0.1],
         "bus": [True, True], "tram": [False, False], "regional": [True, False],
         "suburban": [False, False], "national": [False, False]},
        geometry=[shapely.Point(X0 + 1000, Y0 + 1000), shapely.Point(X0 + 5000, Y0 + 1000)],
        crs=settings.CRS_METRIC,
    )
    places = gpd.GeoDataFrame(
        {"name": ["Großstadt", "Ortsteil A"], "ags": ["16068002", "16068002"],
         "population": [7000, 300]},
        geometry=[shapely.Point(X0 + 3000, Y0 + 1000), shapely.Point(X0 + 2500, Y0 + 300)],
        crs=settings.CRS_METRIC,
    )
    return SimpleNamespace(name="test", label="Testregion", gemeinden=gemeinden, cells=cell_df,
                           services=service_df, stops=stop_df, places=places,
                           meta={"content_hash": "t"})


@pytest.fixture
def map_html(region: SimpleNamespace) -> str:
    data = maplayers.map_data(region)
    return maplayers.map_html(maplayers.build_map(data, maplayers.MapOptions(stops=True)))


# ---------------------------------------------------------------------------
# Escaping
# ---------------------------------------------------------------------------


def test_service_popup_escapes_html(region: SimpleNamespace) -> None:
    gj = services.services_geojson(region.services)
    popups = {f["properties"]["id"]: f["properties"]["popup"] for f in gj["features"]}
    assert EVIL_ESCAPED in popups["s1"]
    assert "<script" not in popups["s1"]
    assert "Schuldnerberatung &lt;b&gt;" in popups["s1"]
    assert "Träger &amp; Partner" in popups["s1"]
    assert "&quot;Sonne&quot;" in popups["s2"]
    # The raw name travels as data and is only ever set as textContent in the browser.
    names = {f["properties"]["id"]: f["properties"]["name"] for f in gj["features"]}
    assert names["s1"] == EVIL


def test_service_popup_links_only_http(region: SimpleNamespace) -> None:
    gj = services.services_geojson(region.services)
    popups = {f["properties"]["id"]: f["properties"]["popup"] for f in gj["features"]}
    assert 'href="https://example.org/quelle?a=1&amp;b=2"' in popups["s1"]
    assert 'rel="noopener noreferrer"' in popups["s1"]
    assert "href=" not in popups["s2"]  # javascript: is shown as text, never linked
    assert "javascript:alert(1)" in popups["s2"]


def test_service_precision_and_colour(region: SimpleNamespace) -> None:
    gj = services.services_geojson(region.services)
    props = {f["properties"]["id"]: f["properties"] for f in gj["features"]}
    assert set(props) == {"s1", "s2", "s3"}  # not_found has no position
    assert props["s1"]["precise"] is True
    assert props["s2"]["precise"] is False
    assert "Lage ungenau" in props["s2"]["popup"]
    assert settings.PRECISIONS["village"][0] in props["s2"]["popup"]
    assert props["s1"]["color"] == settings.CATEGORIES["Beratung"].color
    # Two services at one position are fanned out, the first stays on the point.
    assert (props["s2"]["dx"], props["s2"]["dy"]) == (0, 0)
    assert (props["s3"]["dx"], props["s3"]["dy"]) != (0, 0)


def test_fan_offsets_are_distinct() -> None:
    offsets = services.fan_offsets(25)
    assert len(offsets) == 25 and len(set(offsets)) == 25 and offsets[0] == (0, 0)
    assert services.fan_offsets(1) == [(0, 0)]


def test_gemeinden_popup_and_tooltip_escaped(region: SimpleNamespace) -> None:
    gj = boundaries.gemeinden_geojson(region.gemeinden)
    assert len(gj["features"]) == 3
    first = gj["features"][0]["properties"]
    assert EVIL_ESCAPED in first["popup"] and "<script" not in first["popup"]
    assert EVIL_ESCAPED in first["tooltip"]
    assert "16068001" in first["popup"]
    big = gj["features"][1]["properties"]["popup"]
    assert "8.000" in big  # official population, German thousands separator
    assert "Dorf &amp; Co" in gj["features"][2]["properties"]["popup"]


def test_stops_tooltip_escaped(region: SimpleNamespace) -> None:
    gj = stops.stops_geojson(region.stops)
    tips = [f["properties"]["tooltip"] for f in gj["features"]]
    assert EVIL_ESCAPED in tips[0] and "<script" not in tips[0]
    assert gj["features"][0]["properties"]["rail"] is True
    assert gj["features"][1]["properties"]["rail"] is False


def test_js_code_values_are_inert() -> None:
    from layers._html import js_code

    code = js_code("var a = $a, b = $b;", a='x"</script><b>&', b=["<svg>"])
    assert "</script>" not in code and "<" not in code and "&" not in code
    assert code == 'var a = "x\\"\\u003c/script\\u003e\\u003cb\\u003e\\u0026", b = ["\\u003csvg\\u003e"];'


def test_legend_escapes_labels() -> None:
    section = legend.LegendSection("Titel <i>", (legend.LegendEntry(EVIL, ""),), layer_name='a"b')
    out = legend.legend_html([section])
    assert EVIL_ESCAPED in out and "<script" not in out
    assert "Titel &lt;i&gt;" in out and 'data-layer="a&quot;b"' in out


def test_rendered_map_contains_no_raw_markup_from_data(map_html: str) -> None:
    assert EVIL not in map_html
    assert "alert(1)</script>" not in map_html


def test_label_points(region: SimpleNamespace) -> None:
    gj = boundaries.label_points_geojson(region.gemeinden, region.places)
    labels = [(f["properties"]["name"], f["properties"]["kind"]) for f in gj["features"]]
    assert ("Großstadt", "gemeinde-gross") in labels
    assert ("Dorf & Co", "gemeinde") in labels
    assert ("Ortsteil A", "ort") in labels
    assert ("Großstadt", "ort") not in labels  # same name as its Gemeinde
    # The Gemeinde label sits on its seat (the settlement of the same name).
    seat = Transformer.from_crs(settings.CRS_METRIC, settings.CRS_DISPLAY, always_xy=True)
    lon, lat = seat.transform(X0 + 3000, Y0 + 1000)
    coords = gj["features"][1]["geometry"]["coordinates"]
    assert coords == pytest.approx((lon, lat), abs=1e-4)


# ---------------------------------------------------------------------------
# Population raster
# ---------------------------------------------------------------------------


def _pixel_of(raster: cells.RasterImage, x: float, y: float) -> tuple[int, int]:
    """Row/column of the raster pixel that shows EPSG:3035 point (x, y)."""
    to_merc = Transformer.from_crs(settings.CRS_METRIC, "EPSG:3857", always_xy=True)
    to_merc_deg = Transformer.from_crs(settings.CRS_DISPLAY, "EPSG:3857", always_xy=True)
    (south, west), (north, east) = raster.bounds
    mx0, my0 = to_merc_deg.transform(west, south)
    mx1, my1 = to_merc_deg.transform(east, north)
    mx, my = to_merc.transform(x, y)
    col = int((mx - mx0) / (mx1 - mx0) * raster.width)
    row = int((my1 - my) / (my1 - my0) * raster.height)
    return row, col


def test_raster_three_cells(region: SimpleNamespace) -> None:
    raster = cells.population_raster(region.cells)
    assert raster.n_cells == 3
    img = np.array(Image.open(io.BytesIO(raster.png)))
    assert img.shape == (raster.height, raster.width, 4)

    # Bounds enclose all three cells, in lat/lon order.
    to_deg = Transformer.from_crs(settings.CRS_METRIC, settings.CRS_DISPLAY, always_xy=True)
    (south, west), (north, east) = raster.bounds
    for x, y in zip(region.cells.x, region.cells.y, strict=True):
        lon, lat = to_deg.transform(x, y)
        assert west < lon < east and south < lat < north

    # Each cell centre shows its class colour: 3 -> class 0, 15 -> class 2, 200 -> class 6.
    expected = {0: 0, 1: 2, 2: 6}
    for i, cls in expected.items():
        row, col = _pixel_of(raster, region.cells.x[i], region.cells.y[i])
        rgba = tuple(int(v) for v in img[row, col])
        assert rgba == cells._hex_to_rgba(settings.POPULATION_COLORS[cls]), (i, rgba)

    # Away from the cells the image is transparent; exactly the cells are painted.
    row, col = _pixel_of(raster, X0 + 1500, Y0 + 1500)
    assert img[row, col, 3] == 0
    painted = int((img[..., 3] > 0).sum())
    assert 3 * 4 <= painted <= 3 * 16  # three cells of about oversample² = 9 pixels


def test_raster_skips_empty_cells() -> None:
    df = pd.DataFrame({"x": [X0 + 50, X0 + 150], "y": [Y0 + 50, Y0 + 50], "pop": [0.0, 7.0]})
    assert cells.population_raster(df).n_cells == 1
    with pytest.raises(ValueError):
        cells.population_raster(df.assign(pop=0.0))


def test_classify_and_labels() -> None:
    breaks = cells.POPULATION_BREAKS
    got = cells.classify(np.array([0, -1, np.nan, 0.1, 4.99, 5, 159.9, 160, 1e6]), breaks)
    assert got.tolist() == [-1, -1, -1, 0, 0, 1, 5, 6, 6]
    labels = cells.class_labels(breaks)
    assert labels[0] == "unter 5" and labels[-1] == "160 und mehr"
    assert len(labels) == len(settings.POPULATION_COLORS)


# ---------------------------------------------------------------------------
# Offline: no CDN, no tiles
# ---------------------------------------------------------------------------

# The SVG namespace (not a request) and the service's source link in the test data (a link
# the user may click, not a resource the page loads).
ALLOWED_HOSTS = {"www.w3.org", "example.org"}


def test_map_html_has_no_remote_urls(map_html: str) -> None:
    hosts = set(re.findall(r"(?:https?:)?//([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})",
                           map_html))
    assert hosts <= ALLOWED_HOSTS, hosts - ALLOWED_HOSTS
    assert map_html.count("example.org") == 2  # link and its text in the popup of s1
    for tag in re.findall(r"<(?:script|link)\b[^>]*>", map_html):
        assert re.search(r"""(?:src|href)=["'](?!data:)""", tag) is None, tag
    assert "{z}" not in map_html  # no tile layer by default


def test_streamlit_folium_links_are_embedded(region: SimpleNamespace) -> None:
    """st_folium loads the ``default_js``/``default_css`` of every element: all data: URLs."""
    m = maplayers.build_map(maplayers.map_data(region))
    links = []
    for element in _assets._walk(m):
        links += [url for _, url in getattr(element, "default_js", [])]
        links += [url for _, url in getattr(element, "default_css", [])]
    assert links and all(url.startswith("data:") for url in links)
    # The class attributes of folium stay untouched (other maps are not affected).
    assert any(url.startswith("http") for _, url in folium.Map.default_js)


def test_online_tiles_only_on_request(region: SimpleNamespace) -> None:
    data = maplayers.map_data(region)
    html = maplayers.map_html(maplayers.build_map(data, maplayers.MapOptions(online_tiles=True)))
    assert "{z}" in html and maplayers.LAYER_ONLINE in html


def test_localize_refuses_remote_plugins(region: SimpleNamespace) -> None:
    m = maplayers.base_map(((51.0, 10.9), (51.2, 11.2)))
    folium.plugins.MarkerCluster().add_to(m)
    with pytest.raises(_assets.AssetError, match="Internet"):
        _assets.localize(m)


def test_ensure_assets_is_idempotent(tmp_path) -> None:
    vendor = _assets.ensure_assets(tmp_path / "vendor")
    files = sorted(p for p in vendor.rglob("*") if p.is_file())
    assert (vendor / "leaflet" / "leaflet.js").is_file()
    assert (vendor / "jquery" / "jquery.min.js").is_file()
    for symbol in _assets.symbol_names():
        assert (vendor / "font-awesome" / "svgs" / "solid" / f"{symbol}.svg").is_file()
    stamps = {p: p.stat().st_mtime_ns for p in files}
    _assets.ensure_assets(vendor)
    assert {p: p.stat().st_mtime_ns for p in files} == stamps


def test_symbol_svg_is_inline_and_clean() -> None:
    svg = _assets.symbol_svg("comments")
    assert svg.startswith("<svg ") and 'fill="currentColor"' in svg and "<!--" not in svg
    assert _assets.symbol_svg("../../etc/passwd").startswith("<svg ")
