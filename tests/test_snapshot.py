"""The interactive map as PNG through headless Chromium (layers/snapshot.py), strictly offline."""

from __future__ import annotations

import io

import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def map_data():
    from geo.region import load_region
    from layers import map as maplayers

    region = load_region("default")
    return maplayers.map_data(region, networks=region.networks())


@pytest.fixture(autouse=True)
def _needs_chromium():
    from report import snapshot

    pytest.importorskip("playwright.sync_api")
    from pathlib import Path

    if not Path(snapshot.CHROMIUM).is_file():
        pytest.skip(f"Chromium fehlt: {snapshot.CHROMIUM}")


def _pixels(png: bytes):
    import numpy as np
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image.size, np.asarray(image.convert("RGB"), dtype=float)


def test_default_region_map_as_png(map_data) -> None:
    from geo import settings
    from layers import map as maplayers
    from report import snapshot

    shot = snapshot.map_snapshot(maplayers.build_map(map_data), width=800, height=500, scale=2)
    size, px = _pixels(shot.png)
    assert size == (1600, 1000)
    assert px.std() > 20, "Bild ist leer"
    # Not mostly one colour: the region, the population raster and symbols are drawn.
    assert len({tuple(c) for c in px[::7, ::7].reshape(-1, 3)}) > 200
    # Orange population cells are in the picture (raster image decoded before the shot).
    assert ((px[..., 0] > 200) & (px[..., 1] < 190) & (px[..., 2] < 120)).sum() > 200
    assert shot.blocked == []
    # The attribution line with sources and dates is inside the picture.
    assert settings.ATTRIBUTION["zensus"] in shot.attribution
    assert "GeoBasis-DE" in shot.attribution


def test_map_png_from_html(map_data) -> None:
    from layers import map as maplayers
    from report import snapshot

    html = maplayers.map_html(maplayers.build_map(map_data))
    png = snapshot.map_png(html, width=640, height=400)
    size, px = _pixels(png)
    assert size == (640, 400)
    assert px.std() > 20


def test_remote_script_raises_and_sends_nothing() -> None:
    import folium

    from layers._assets import localize
    from report import snapshot

    m = localize(folium.Map(location=[51.2, 11.0], zoom_start=9, tiles=None))
    html = (
        m.get_root()
        .render()
        .replace("</head>", '<script src="https://cdn.example.org/lib.js"></script></head>', 1)
    )
    with pytest.raises(snapshot.SnapshotError, match="aus dem Internet") as info:
        snapshot.map_png(html, width=400, height=300, timeout_s=20)
    assert "cdn.example.org" in str(info.value)


def test_remote_image_and_online_tiles_raise(map_data) -> None:
    from layers import map as maplayers
    from report import snapshot

    m = maplayers.build_map(map_data, maplayers.MapOptions(online_tiles=True))
    with pytest.raises(snapshot.SnapshotError, match="aus dem Internet"):
        snapshot.map_png(m, width=400, height=300)
    html = "<html><body><img src='http://192.0.2.1/x.png'><div class='leaflet-container'></div>"
    with pytest.raises(snapshot.SnapshotError, match="192.0.2.1"):
        snapshot.map_png(html, width=400, height=300, timeout_s=10)


def test_german_errors(monkeypatch) -> None:
    from report import snapshot

    with pytest.raises(snapshot.SnapshotError, match="Bildgröße"):
        snapshot.map_png("<html></html>", width=10, height=10)
    with pytest.raises(snapshot.SnapshotError, match="nicht rechtzeitig gezeichnet"):
        snapshot.map_png(
            "<html><body>keine Karte</body></html>", width=200, height=200, timeout_s=2
        )
    monkeypatch.setattr(snapshot, "CHROMIUM", "/nicht/vorhanden/chromium")
    with pytest.raises(
        snapshot.SnapshotError,
        match=r"Chromium nicht gefunden \(/nicht/vorhanden/chromium\)\. "
        r"Bitte mit \./nahraum\.sh test",
    ):
        snapshot.map_png("<html></html>", width=200, height=200)
