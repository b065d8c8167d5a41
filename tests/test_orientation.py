"""Orientation offline: settlement footprint, roads by class, local basemap tiles and server."""

from __future__ import annotations

import io
import re
import socket
import sqlite3
import urllib.error
import urllib.request
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pytest
import shapely
from PIL import Image

matplotlib.use("Agg")
import matplotlib.image
import matplotlib.pyplot as plt

from geo import orientation, region, settings, tiles
from geo._errors import InputError
from geo.network import Network
from layers import orientation as olayers
from layers._assets import localize

DATA = settings.data_dir()
HAS_DATA = (DATA / "th" / "zensus2022" / "100m").is_dir()

# Tiles at zoom 10 around Sondershausen (x 542, y 340..341) and one at zoom 11.
TILES = {
    (10, 542, 340): (200, 30, 30),
    (10, 542, 341): (30, 200, 30),
    (11, 1085, 682): (30, 30, 200),
}


def png(rgb: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (256, 256), rgb).save(buf, format="PNG")
    return buf.getvalue()


def make_mbtiles(path: Path, attribution: str = "© GeoBasis-DE / BKG (2025) TopPlusOpen") -> Path:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE metadata (name text, value text)")
    con.execute(
        "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, "
        "tile_data blob)"
    )
    meta = {
        "name": "TopPlusOpen Test",
        "format": "png",
        "minzoom": "10",
        "maxzoom": "11",
        "attribution": attribution,
        "bounds": "10.5,51.2,11.2,51.5",
    }
    con.executemany("INSERT INTO metadata VALUES (?, ?)", list(meta.items()))
    for (z, x, y), rgb in TILES.items():
        con.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, (1 << z) - 1 - y, png(rgb)))
    con.commit()
    con.close()
    return path


def make_xyz(folder: Path) -> Path:
    for (z, x, y), rgb in TILES.items():
        f = folder / str(z) / str(x) / f"{y}.png"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(png(rgb))
    (folder / "metadata.json").write_text('{"attribution": "Eigene Kacheln <b>Test</b>"}', "utf-8")
    return folder


def make_pmtiles(path: Path) -> Path:
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import Writer

    with open(path, "wb") as f:
        w = Writer(f)
        for (z, x, y), rgb in sorted(TILES.items(), key=lambda kv: zxy_to_tileid(*kv[0])):
            w.write_tile(zxy_to_tileid(z, x, y), png(rgb))
        w.finalize(
            {
                "tile_type": TileType.PNG,
                "tile_compression": Compression.NONE,
                "min_lon_e7": 105_000_000,
                "min_lat_e7": 512_000_000,
                "max_lon_e7": 112_000_000,
                "max_lat_e7": 515_000_000,
                "center_zoom": 10,
                "center_lon_e7": 108_000_000,
                "center_lat_e7": 513_000_000,
            },
            {"attribution": "PMTiles Testkarte", "name": "pm"},
        )
    return path


@pytest.fixture(params=["mbtiles", "xyz", "pmtiles"])
def source(request, tmp_path):
    if request.param == "mbtiles":
        src = tiles.open_tile_source(make_mbtiles(tmp_path / "karte.mbtiles"))
    elif request.param == "xyz":
        src = tiles.open_tile_source(make_xyz(tmp_path / "kacheln"))
    else:
        src = tiles.open_tile_source(make_pmtiles(tmp_path / "karte.pmtiles"))
    yield src
    src.close()


def pixel(data: bytes) -> tuple[int, int, int]:
    return Image.open(io.BytesIO(data)).convert("RGB").getpixel((10, 10))


# ---------------------------------------------------------------------------
# Tile sources and the local server
# ---------------------------------------------------------------------------
def test_sources_return_the_right_tiles(source):
    for (z, x, y), rgb in TILES.items():
        assert pixel(source.tile(z, x, y)) == rgb  # MBTiles rows are flipped (TMS)
    assert source.tile(10, 542, 342) is None and source.tile(10, 5000, 1) is None
    assert source.tile(-1, 0, 0) is None
    assert (source.minzoom, source.maxzoom) == (10, 11) and source.format == "png"
    assert source.attribution and "<" not in source.attribution


def test_attribution_from_the_file(tmp_path):
    assert (
        tiles.open_tile_source(make_mbtiles(tmp_path / "a.mbtiles")).attribution
        == "© GeoBasis-DE / BKG (2025) TopPlusOpen"
    )
    assert tiles.open_tile_source(make_xyz(tmp_path / "x")).attribution == "Eigene Kacheln Test"
    assert (
        tiles.open_tile_source(tmp_path / "x", attribution="Meine Karte").attribution
        == "Meine Karte"
    )


@pytest.mark.parametrize("bad", ["kaputt.mbtiles", "karte.png", "fehlt"])
def test_bad_basemaps_give_german_errors(tmp_path, bad):
    p = tmp_path / bad
    if bad != "fehlt":
        p.write_bytes(b"not a tile file")
    with pytest.raises(InputError, match="MBTiles|erwartet|nicht gefunden"):
        tiles.open_tile_source(p)


def test_server_serves_tiles_on_loopback_only(source):
    with tiles.TileServer(source) as server:
        host, port = server.address
        assert host == "127.0.0.1" and port > 0
        assert server.url == f"http://127.0.0.1:{port}/{{z}}/{{x}}/{{y}}.png"
        for (z, x, y), rgb in TILES.items():
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/{z}/{x}/{y}.png") as r:
                assert r.status == 200 and r.headers["Content-Type"] == "image/png"
                assert pixel(r.read()) == rgb
        for path in ("/10/542/342.png", "/../../etc/passwd", "/10/542/x.png", "/"):
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}")
            assert err.value.code == 404
        # Not reachable on another interface address of this machine.
        other = _non_loopback_ip()
        if other:
            with pytest.raises(OSError):
                socket.create_connection((other, port), timeout=1).close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def _non_loopback_ip() -> str | None:
    try:
        ip = socket.gethostbyname(socket.gethostname())
    except OSError:
        return None
    return None if ip.startswith("127.") else ip


def test_server_refuses_other_addresses(source):
    for host in ("0.0.0.0", "192.168.1.10", ""):
        with pytest.raises(InputError, match="127.0.0.1"):
            tiles.TileServer(source, host=host)


def test_map_with_local_basemap_requests_only_loopback(tmp_path):
    src = tiles.open_tile_source(make_mbtiles(tmp_path / "k.mbtiles"))
    with tiles.TileServer(src) as server:
        m = __import__("folium").Map(tiles=None, location=[51.37, 10.87], zoom_start=10)
        olayers.basemap_tile_layer(
            server.url, src.attribution, minzoom=src.minzoom, maxzoom=src.maxzoom
        ).add_to(m)
        html = localize(m).get_root().render()
    urls = re.findall(r"https?://[^\s\"'<>)]+", html)
    tile_urls = [u for u in urls if "{z}" in u]
    assert tile_urls and all(u.startswith("http://127.0.0.1:") for u in tile_urls)
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?://", html)
    assert "TopPlusOpen" in html
    with pytest.raises(ValueError):
        olayers.basemap_tile_layer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "x")


def test_mosaic_places_tiles(source):
    img, (x0, x1, y0, y1) = tiles.mosaic(source, (10.75, 51.30, 10.85, 51.45), 10)
    assert img.shape == (512, 256, 4)
    assert tuple(img[10, 10, :3]) == TILES[(10, 542, 340)]
    assert tuple(img[300, 10, :3]) == TILES[(10, 542, 341)]
    assert x1 - x0 == pytest.approx(2 * 20037508.342789244 / 1024)
    assert y1 - y0 == pytest.approx(2 * (x1 - x0))
    assert tiles.mosaic(source, (0.0, 0.0, 0.1, 0.1), 10) is None


# ---------------------------------------------------------------------------
# Settlement footprint
# ---------------------------------------------------------------------------
def test_footprint_from_cells_hand_computed():
    xy = np.array(
        [
            [4_400_050, 3_100_050],
            [4_400_150, 3_100_050],
            [4_400_150, 3_100_150],
            [4_401_050, 3_100_050],
        ]
    )
    geom = orientation.footprint_from_cells(xy)
    parts = sorted(shapely.get_parts(geom), key=lambda p: p.area)
    assert [p.area for p in parts] == [10_000.0, 30_000.0]
    assert parts[1].bounds == (4_400_000.0, 3_100_000.0, 4_400_200.0, 3_100_200.0)
    assert len(shapely.get_coordinates(parts[1].exterior)) == 7  # an L: 6 corners + closing
    assert orientation.footprint_from_cells(np.empty((0, 2))).is_empty


@pytest.mark.skipif(not HAS_DATA, reason="census data not available")
def test_region_footprint_cached_and_covers_its_cells(tmp_path):
    reg = region.load_region("default")

    class R:  # the region with its bundle folder in a temporary place
        outline = reg.outline
        cache_path = tmp_path
        definition = reg.definition

    fp = orientation.settlement_footprint(R())
    geom = fp.geometry.iloc[0]
    assert fp.crs == settings.CRS_METRIC and fp["cells"].iloc[0] > 5000
    assert geom.area == pytest.approx(fp["cells"].iloc[0] * 10_000.0)
    assert (tmp_path / orientation.FOOTPRINT_FILE).is_file()
    # Cells with buildings are all inside the footprint; nearly all people live in it
    # (outside: census cells with a token weight only and 1 km centres).
    xy = orientation.residential_cells(DATA / reg.definition.census, geom.bounds)
    xy = xy[shapely.contains_xy(reg.outline, xy[:, 0].astype(float), xy[:, 1].astype(float))]
    inside = shapely.contains_xy(geom, xy[:, 0].astype(float), xy[:, 1].astype(float))
    assert inside.all()
    c = reg.cells
    ins = shapely.contains_xy(geom, c["x"].to_numpy(float), c["y"].to_numpy(float))
    assert c["pop"][ins].sum() / c["pop"].sum() > 0.97
    # Second call: from the cache (same geometry), even if the census folder vanished.
    again = orientation.settlement_footprint(R())
    assert again.geometry.iloc[0].equals(geom)
    assert again.crs.srs == "EPSG:3035"  # not the file's PROJJSON (geo._crs.short)
    gj = olayers.footprint_geojson(fp)
    assert gj["features"] and gj["features"][0]["geometry"]["type"] == "MultiPolygon"


def test_region_build_stores_the_footprint(tmp_default_region, monkeypatch):
    """The bundle carries the footprint (the first map must not compute it), and reading
    it checks its signature instead of computing it again."""
    assert (tmp_default_region.cache_path / orientation.FOOTPRINT_FILE).is_file()

    def no_compute(*_a, **_k):
        raise AssertionError("footprint computed again")

    monkeypatch.setattr(orientation, "footprint_from_cells", no_compute)
    fp = orientation.settlement_footprint(tmp_default_region)
    assert fp["cells"].iloc[0] > 5000
    # a rebuild of the same inputs keeps it; a changed outline is computed anew
    region.build_region("default", cache_dir=tmp_default_region.cache_path.parent)
    assert (tmp_default_region.cache_path / orientation.FOOTPRINT_FILE).is_file()

    class Smaller:
        outline = tmp_default_region.outline.buffer(-2000)
        cache_path = tmp_default_region.cache_path
        definition = tmp_default_region.definition

    with pytest.raises(AssertionError, match="computed again"):
        orientation.settlement_footprint(Smaller(), use_cache=True)


# ---------------------------------------------------------------------------
# Roads by class
# ---------------------------------------------------------------------------
def _toy_network(mode: str = "car") -> Network:
    # 0-1 at 100 km/h (1000 m in 36 s), 1-2 at 50 km/h, 2-3 at 30 km/h; both directions.
    x = np.array([0.0, 1000.0, 2000.0, 3000.0]) + 4_400_000
    y = np.full(4, 3_100_000.0)
    u = [0, 1, 1, 2, 2, 3]
    v = [1, 0, 2, 1, 3, 2]
    secs = [36.0, 36.0, 72.0, 72.0, 120.0, 120.0]
    return Network.from_arcs(mode, u, v, secs, x, y, lengths=[1000.0] * 6)


def test_road_classes_from_speeds():
    roads = orientation.road_lines({"car": _toy_network()})
    got = {r.klasse: round(r.geometry.length) for r in roads.itertuples()}
    assert got == {"haupt": 1000, "verbindung": 1000, "neben": 1000}
    walk = orientation.road_lines({"walk": _toy_network("walk")})
    assert list(walk["klasse"]) == ["weg"] and round(walk.geometry.iloc[0].length) == 3000
    assert orientation.road_lines({}).empty
    gj = olayers.roads_geojson(roads)
    assert sorted(f["properties"]["klasse"] for f in gj["features"]) == [
        "haupt",
        "neben",
        "verbindung",
    ]


def test_folium_layers_are_not_interactive_and_styled():
    import folium

    roads = olayers.roads_geojson(orientation.road_lines({"car": _toy_network()}))
    fp = olayers.footprint_geojson(
        gpd.GeoDataFrame(
            geometry=[shapely.box(4_400_000, 3_100_000, 4_400_200, 3_100_100)], crs=3035
        )
    )
    m = folium.Map(tiles=None)
    for name in ("p1", "p2"):
        folium.map.CustomPane(name).add_to(m)
    olayers.footprint_layer(fp, pane="p1").add_to(m)
    olayers.roads_layer(roads, pane="p2").add_to(m)
    html = m.get_root().render()
    assert orientation.FOOTPRINT_COLOR in html and '"haupt": 2.2' in html
    assert html.count('"interactive": false') >= 2


# ---------------------------------------------------------------------------
# Report maps
# ---------------------------------------------------------------------------
def test_draw_orientation_in_a_report_map(tmp_path):
    src = tiles.open_tile_source(make_mbtiles(tmp_path / "k.mbtiles"))
    from pyproj import Transformer

    to = Transformer.from_crs(4326, 3035, always_xy=True)
    x0, y0 = to.transform(10.77, 51.33)
    x1, y1 = to.transform(10.83, 51.42)
    fp = gpd.GeoDataFrame(
        geometry=[shapely.box(x0 + 1000, y0 + 1000, x0 + 3000, y0 + 3000)], crs=3035
    )
    net = _toy_network()
    net.x[:] = np.linspace(x0 + 1000, x1 - 1000, 4)
    net.y[:] = (y0 + y1) / 2
    roads = orientation.road_lines({"car": net})
    fig, ax = plt.subplots(figsize=(4, 4), dpi=50)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_axis_off()
    fig.subplots_adjust(0, 0, 1, 1)
    artists = orientation.draw_orientation(ax, fp, roads, basemap=src, width_px=60)
    images = [a for a in artists if isinstance(a, matplotlib.image.AxesImage)]
    assert len(images) == 2 and len(artists) == 2 + 1 + 3
    assert ax.get_xlim() == (x0, x1)
    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())[..., :3]
    h, w, _ = img.shape

    def at(x, y):
        return tuple(
            img[int((1 - (y - y0) / (y1 - y0)) * (h - 1)), int((x - x0) / (x1 - x0) * (w - 1))]
        )

    grey = tuple(int(orientation.FOOTPRINT_COLOR[i : i + 2], 16) for i in (1, 3, 5))
    assert at(x0 + 2000, y0 + 2000) == grey
    # Outside the footprint: the basemap tiles (red in the north, green in the south).
    assert at(x0 + 500, y1 - 300) == TILES[(10, 542, 340)]
    assert at(x0 + 500, y0 + 300) == TILES[(10, 542, 341)]
    plt.close(fig)
